/* net.h - addresses, listening and connecting, the same for IPv4 and IPv6.
 *
 * net_listen() and net_connect() are what a student writes in lesson 01 (echo-server.c's
 * open_listener(), echo-client.c's connect_to_server()), given back as library code from
 * lesson 02 on; net_set_nonblocking() is lesson 01's make_nonblocking().
 *
 * Every lookup goes through getaddrinfo() with AF_UNSPEC, so "127.0.0.1", "::1",
 * "localhost" and any numeric address work. Errors are returned, never fatal: functions
 * that can fail for several reasons write one readable line into the caller's err buffer
 * ("bind 127.0.0.1:65432: Address already in use") for the caller to print. */
#ifndef KIT_NET_H
#define KIT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Room for "[" + the longest IPv6 text + "]:" + a port + NUL, with margin. */
#define NET_ADDRSTRLEN 64
/* Room for an error line such as "connect [::1]:65432: Connection refused". */
#define NET_ERRLEN 256

/* Formats sa numerically as "HOST:PORT" (IPv4) or "[HOST]:PORT" (IPv6) into out.
 * Returns 0, or -1 if the family is unknown or out is too small. */
int net_format_addr(const struct sockaddr *sa, char *out, size_t outlen);

/* Formats the remote (peer) or local address of a connected socket like net_format_addr().
 * Return 0, or -1 with errno set. */
int net_peer_name(int fd, char *out, size_t outlen);
int net_local_name(int fd, char *out, size_t outlen);

/* Returns true if s is a decimal port number from 0 to 65535. */
bool net_valid_port(const char *s);

/* Opens a TCP socket listening on host:port (port "0": any free port), with SO_REUSEADDR.
 * Returns the listening descriptor, or -1 with a reason in err. */
int net_listen(const char *host, const char *port, char *err, size_t errlen);

/* Connects a blocking TCP socket to host:port, trying each address the name has.
 * Returns the connected descriptor, or -1 with a reason in err. */
int net_connect(const char *host, const char *port, char *err, size_t errlen);

/* Puts fd in non-blocking mode. Returns 0, or -1 with errno set. */
int net_set_nonblocking(int fd);

#endif
