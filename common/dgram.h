/* dgram.h - the addresses of the kit's datagram programs (lesson 04), one form for UDP and
 * for Unix-domain sockets.
 *
 * An address is written "HOST PORT" (UDP over IPv4 or IPv6, looked up with getaddrinfo()
 * and AF_UNSPEC as everywhere in the kit), "unix:PATH" (a Unix-domain socket bound to a file
 * of the file system) or, on Linux only, "unix:@NAME" (a name in the abstract namespace: no
 * file, and the name is free again as soon as the last socket bound to it closes). Whatever
 * the form, the result is a socket address and its length, ready for socket(), bind(),
 * connect() and sendto(): a program handles both families with the same calls.
 *
 * A Unix address's length is part of it: an abstract name is exactly the bytes the length
 * covers, NUL bytes included, so every function here takes or keeps the length with the
 * address. */
#ifndef KIT_DGRAM_H
#define KIT_DGRAM_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The most addresses dgram_resolve() returns (a name may have several, IPv6 and IPv4). */
#define DGRAM_MAX_ADDRS 8
/* Room for any address as dgram_format() writes it: "unix:@" and an escaped name. */
#define DGRAM_ADDRSTRLEN (sizeof "unix:@" + LOG_ESCAPED_LEN)

/* One address: a sockaddr_in, sockaddr_in6 or sockaddr_un, and its length. */
struct dgram_addr {
    struct sockaddr_storage ss; /* large and aligned enough for every family */
    socklen_t len;              /* how many bytes of ss are the address */
};

/* Returns true if text names a Unix-domain address ("unix:PATH" or "unix:@NAME"). */
bool dgram_is_unix(const char *text);

/* Turns an address as a user writes it into the addresses to try, in order: for UDP, text
 * is the host and port its port (a number; passive: for bind(), where a NULL host means
 * every local address); for "unix:...", port must be NULL and there is one address. Stores
 * up to max addresses in addrs and their number in *count. Returns 0, or -1 with a reason
 * in err ("getaddrinfo nowhere:5000: Name or service not known"). */
int dgram_resolve(const char *text, const char *port, bool passive, struct dgram_addr *addrs,
                  size_t max, size_t *count, char *err, size_t errlen);

/* Fills *out with the Unix-domain address of name: a file path, or, with abstract, a name
 * in Linux's abstract namespace (name without the "@"). Returns 0, or -1 with errno set:
 * EINVAL (an empty name), ENAMETOOLONG (longer than a sockaddr_un holds), ENOTSUP
 * (abstract names outside Linux). */
int dgram_unix_addr(const char *name, bool abstract, struct dgram_addr *out);

/* Returns the file path of a Unix address bound to a file (inside addr), or NULL for
 * anything else: UDP, an abstract name, an unnamed socket. */
const char *dgram_unix_path(const struct dgram_addr *addr);

/* Formats the address sa (len bytes, as recvfrom() or getsockname() gave it) as
 * "HOST:PORT", "[HOST]:PORT", "unix:PATH", "unix:@NAME" or, for a Unix socket that was
 * never bound, "unix:(unnamed)". A Unix name comes from whoever bound it, a peer perhaps:
 * its bytes are escaped like any peer text (log_escape()), so a log line stays one line.
 * Returns 0, or -1 if the family is unknown or out is too small. */
int dgram_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen);

/* Returns true if sa (len bytes) is the address of a Unix socket that was never bound: there
 * is nothing to send an answer to. */
bool dgram_is_unnamed(const struct sockaddr *sa, socklen_t len);

/* Returns true if a (alen bytes) and b (blen bytes) are the same address: the same family,
 * address and port, or the same Unix name. Unnamed Unix sockets equal nothing. */
bool dgram_same(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b, socklen_t blen);

#endif
