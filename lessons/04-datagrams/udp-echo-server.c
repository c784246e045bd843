/* udp-echo-server.c - lesson 04: an echo server for datagrams, over UDP or a Unix-domain
 * socket.
 *
 * A datagram socket has no connections. One socket receives every client's datagrams, each
 * whole and each with its sender's address; the echo goes back to that address. So there is
 * no accept(), no end of file, and no state per client: the server answers each datagram on
 * its own and forgets it. Nothing guarantees delivery either way: a lost echo is the
 * client's business (udp-ping.c counts it lost).
 *
 * The loop, in one picture:
 *
 *     for (;;) {
 *         signals_wait_fd(): sleep until a datagram is waiting, or a stop is requested
 *         recvmsg(): take one datagram and its sender's address; one too large for the
 *                    buffer is reported (MSG_TRUNC) and dropped, never echoed cut short
 *         sendto(): the same bytes back to that address
 *     }
 *
 * The same calls serve UDP (AF_INET, AF_INET6) and Unix-domain datagram sockets (AF_UNIX):
 * only the address differs. A Unix socket bound to a path is a file, which the server
 * removes at exit, and which it removes at start if a server that died left it behind.
 *
 * usage: udp-echo-server [ADDRESS [PORT]]   ADDRESS: a host (default 127.0.0.1) with PORT
 *        (default 65432; 0 picks a free one), unix:PATH, or on Linux unix:@NAME */
#include "cli.h"
#include "dgram.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* The largest datagram the server echoes. A UDP datagram always fits: its largest payload is
 * 65,507 bytes over IPv4 (an IP packet's 65,535, less 20 bytes of IP header and 8 of UDP
 * header). A Unix-domain datagram may be larger (up to the sender's send buffer): recvmsg()
 * then says so with MSG_TRUNC. */
#define MAX_DATAGRAM 65536

static void usage(FILE *out)
{
    fprintf(out, "usage: udp-echo-server [-h] [ADDRESS [PORT]]\n"
                 "Echoes every datagram back to its sender, over UDP or a Unix-domain socket.\n"
                 "ADDRESS: a host (default " DEFAULT_HOST ") with PORT (default " DEFAULT_PORT
                 ", 0: any free port),\n"
                 "or unix:PATH (a socket file), or unix:@NAME (an abstract name, Linux only).\n");
}

/* Binds fd to a Unix-domain address. A socket file left at the path by a server that did
 * not clean up (it crashed, or was killed) makes bind() fail with EADDRINUSE although
 * nobody uses it any more: such a stale file is removed, and bind() tried again. A file
 * that is not a socket, or a socket a live server is bound to, is left alone.
 * Returns 0, or -1 with errno set (EADDRINUSE: the address is taken). */
static int bind_unix(int fd, const struct dgram_addr *addr)
{
    const struct sockaddr *sa = (const struct sockaddr *)&addr->ss;
    const char *path = dgram_unix_path(addr);
    struct stat st;

    if (bind(fd, sa, addr->len) == 0)
        return 0;
    /* TODO 5: A stale socket file: remove it and bind again, but only if it is stale.
     * Hint: only a path can be stale (path is NULL for an abstract name), and only
     * EADDRINUSE says something is there. lstat() it: if it is not a socket (S_ISSOCK), it
     * is somebody's file: leave it. If it is, ask whether a server still owns it: connect()
     * a new AF_UNIX datagram socket to addr. On a datagram socket connect() sends nothing;
     * it fails with ECONNREFUSED when no socket is bound to that file any more: then the
     * file is stale, unlink() it and bind() again. In every other case, close the probe
     * socket and return -1 with errno = EADDRINUSE: the first bind()'s reason stands. */
    (void)path;
    (void)st;
    return -1;
}

/* Opens a non-blocking datagram socket bound to the first of addrs (count of them) that
 * takes it. Returns the socket and sets *bound to its address, or returns -1 after printing
 * one error line naming the step and the address that failed. */
static int open_socket(const struct dgram_addr *addrs, size_t count, struct dgram_addr *bound)
{
    char name[DGRAM_ADDRSTRLEN] = "(no address)";
    const char *step = "socket";
    int errnum = 0;

    /* TODO 1: Open a datagram socket and bind it: try each address until one works.
     * Hint: for each addrs[i]: fd = socket(family, SOCK_DGRAM, 0), the family being
     * addrs[i].ss.ss_family. Make it non-blocking (net_set_nonblocking()): the server
     * sleeps only in signals_wait_fd(), and a recvmsg() after it must never block. Then
     * bind it: bind_unix(fd, &addrs[i]) for AF_UNIX, bind(fd, address, addrs[i].len)
     * otherwise (no listen(), no accept(): datagram sockets have no connections). On
     * success set *bound = addrs[i] and return fd. On failure remember the step, errno and
     * the address (dgram_format()), close fd, try the next. If none works, print
     * "STEP ADDR: REASON" with log_errno() ("bind 127.0.0.1:5000: Address already in use")
     * and return -1. No SO_REUSEADDR: UDP has no TIME_WAIT to wait out, and on UDP the
     * option would let a second server bind the same port without an error. */
    (void)addrs;
    (void)count;
    (void)bound;
    (void)name;
    (void)step;
    (void)errnum;
    (void)bind_unix;
    log_error("TODO 1 is not done yet: open a datagram socket and bind it");
    return -1;
}

/* Receives one datagram and sends it back to its sender. Whatever goes wrong concerns that
 * datagram only: it is logged, and the server goes on with the next. */
static void echo_one(int fd, unsigned char *buf)
{
    struct sockaddr_storage peer;
    socklen_t peer_len = 0;
    char name[DGRAM_ADDRSTRLEN];
    struct iovec iov;
    struct msghdr msg = {0};
    ssize_t n;

    /* TODO 2: Receive one datagram and learn who sent it, with recvmsg().
     * Hint: recvfrom() would do, but it cannot tell you that the datagram was cut short;
     * recvmsg() can (TODO 4). Point an iovec at buf (MAX_DATAGRAM bytes), and fill msg:
     * msg_name = &peer and msg_namelen = sizeof peer (where the sender's address goes),
     * msg_iov = &iov, msg_iovlen = 1. n = recvmsg(fd, &msg, 0) is the datagram's size,
     * and 0 is a valid, empty datagram: there is no end of file on a datagram socket.
     * -1 with EAGAIN or EWOULDBLOCK: nothing is there after all (readiness is a hint):
     * return quietly; any other error: log it and return. Then peer_len = msg.msg_namelen:
     * how much of peer the sender's address fills. */
    (void)iov;
    (void)peer;
    (void)peer_len;
    (void)name;
    (void)msg;
    n = recv(fd, buf, MAX_DATAGRAM, 0);
    if (n >= 0)
        log_error("TODO 2 is not done yet: receive the datagram and its sender's address");
    return;

    if (dgram_format((struct sockaddr *)&peer, peer_len, name, sizeof name) < 0)
        snprintf(name, sizeof name, "(unknown sender)");

    /* TODO 4: A datagram larger than the buffer: report it and drop it, never echo it cut.
     * Hint: the kernel copies the first MAX_DATAGRAM bytes of a larger datagram and
     * throws the rest away; recvmsg() then sets MSG_TRUNC in msg.msg_flags. Echoing the
     * first part would send the client a datagram it never sent. Log
     * "Dropped a datagram from ADDR: larger than 65536 bytes" (log_info()) and return. */

    /* TODO 3: Send the same bytes back to the sender, then log it.
     * Hint: sendto(fd, buf, n, 0, (struct sockaddr *)&peer, peer_len). One call sends the
     * whole datagram or nothing: no loop, a datagram is never sent in part. But first, a
     * Unix socket that was never bound has no address to answer to (dgram_is_unnamed()):
     * log that its sender must bind one (log_error()) and return. If sendto() fails, log it
     * with log_errno() and return: the client's socket may have gone (ECONNREFUSED, ENOENT)
     * or its queue be full (EAGAIN); that one echo is lost, as datagrams may be, and the
     * server serves the next. Log "Echoed a datagram of N bytes to ADDR" (log_info()). */
    log_error("TODO 3 is not done yet: echo %zd bytes to %s", n, name);
}

/* Echoes datagrams until a stop is requested. Returns 0 then, or -1 if waiting failed. */
static int serve(int fd)
{
    unsigned char buf[MAX_DATAGRAM];

    for (;;) {
        /* One datagram per wait: under a flood the socket is always ready, and the wait is
         * also where a stop request gets in (signals.h). */
        int ready = signals_wait_fd(fd, false);

        if (ready == 0)
            return 0;
        if (ready < 0) {
            log_errno(errno, "waiting for datagrams");
            return -1;
        }
        echo_one(fd, buf);
    }
}

int main(int argc, char **argv)
{
    struct dgram_addr addrs[DGRAM_MAX_ADDRS];
    struct dgram_addr bound;
    struct sockaddr_storage self;
    socklen_t self_len = sizeof self;
    size_t count;
    const char *host;
    const char *port;
    const char *path;
    char local[DGRAM_ADDRSTRLEN];
    char err[NET_ERRLEN];
    int fd;
    int rc;

    log_init("udp-echo-server");
    switch (cli_parse_server(argc, argv, &host, &port, NULL, NULL)) {
    case CLI_HELP:
        usage(stdout);
        return EXIT_SUCCESS;
    case CLI_BAD:
        usage(stderr);
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    if (dgram_is_unix(host)) {
        /* cli_parse_server() leaves optind at the first operand: a unix: address takes no
         * PORT after it. */
        if (argc - optind > 1) {
            usage(stderr);
            return EXIT_USAGE;
        }
        port = NULL;
    }
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }
    if (dgram_resolve(host, port, true, addrs, DGRAM_MAX_ADDRS, &count, err, sizeof err) < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    fd = open_socket(addrs, count, &bound);
    if (fd < 0)
        return EXIT_FAILURE;
    path = dgram_unix_path(&bound);
    /* The address actually bound: port 0 has become the port the system chose. */
    if (getsockname(fd, (struct sockaddr *)&self, &self_len) < 0 ||
        dgram_format((struct sockaddr *)&self, self_len, local, sizeof local) < 0) {
        log_errno(errno, "getsockname");
        rc = -1;
    } else {
        log_info("Listening on %s", local);
        rc = serve(fd);
    }

    if (close(fd) < 0)
        log_errno(errno, "close");
    /* TODO 6: Remove the socket file that bind() created.
     * Hint: binding a Unix socket to a path creates a file there; closing the socket does
     * not remove it, and the next server on that path would find it in its way. path
     * (above) is the file's path, or NULL when there is no file (UDP, an abstract name):
     * unlink() it, and log an error if that fails. */
    (void)path;
    log_info("Shutting down");
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
