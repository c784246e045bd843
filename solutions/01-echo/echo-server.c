/* echo-server.c - lesson 01: an iterative echo server.
 *
 * It serves one client at a time: accept a connection, send back every byte the client
 * sends until the client closes its side, close the connection, accept the next one.
 * While one client is being served, the next waits in the kernel's accept queue.
 *
 * It sleeps in one place only, signals_wait_fd() (common/signals.h): until the listener has
 * a client, or the client has sent bytes, or there is room to send the echo, or a stop is
 * requested (SIGINT, SIGTERM). Its sockets are non-blocking, so the accept(), recv() or
 * send() that follows a wait cannot sleep instead; that is what makes a stop request end the
 * server whatever its clients do.
 *
 * usage: echo-server [HOST [PORT]]   (defaults 127.0.0.1 65432; port 0 picks a free one) */
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How much one recv() may take at once. Any size works; larger means fewer system calls. */
#define CHUNK_SIZE 65536

/* How long to wait before calling accept() again after it failed for want of descriptors or
 * memory, in milliseconds. */
#define ACCEPT_RETRY_MS 1000

/* Room for an error line such as "setsockopt SO_REUSEADDR [::1]:65432: Invalid argument". */
#define ERROR_LEN 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: echo-server [-h] [HOST [PORT]]\n"
            "Echoes back everything each client sends, one client at a time.\n"
            "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT " (0: any free port).\n");
}

/* Writes "STEP ADDRESS: REASON" into err: what failed, for which address, and why. */
static void describe_failure(char *err, size_t errlen, const char *step, const struct addrinfo *ai,
                             int errnum)
{
    char addr[NET_ADDRSTRLEN];

    if (net_format_addr(ai->ai_addr, addr, sizeof addr) < 0)
        snprintf(addr, sizeof addr, "(unknown address)");
    snprintf(err, errlen, "%s %s: %s", step, addr, strerror(errnum));
}

/* Opens a TCP socket listening on host:port (port "0": any free port). Returns the listening
 * socket, or -1 after printing one error line naming the step and the address that failed. */
static int open_listener(const char *host, const char *port)
{
    /* @step 1 Open the listening socket: getaddrinfo(), then socket(), setsockopt(),
     * bind() and listen() on each address in turn until one works.
     * Hint: fill a struct addrinfo of hints with ai_family AF_UNSPEC (IPv4 or IPv6, as the
     * name says), ai_socktype SOCK_STREAM (TCP) and ai_flags AI_PASSIVE (an address to
     * listen on). getaddrinfo() returns 0 or an error code for gai_strerror(). Walk the
     * whole ai_next list: the first address may fail where the next works. On each:
     * socket() with the entry's family, type and protocol; setsockopt(SO_REUSEADDR, 1)
     * BEFORE bind(), so a restarted server can bind a port whose old connections linger;
     * bind() to ai_addr; listen(fd, SOMAXCONN). When a step fails, remember why with
     * describe_failure(err, sizeof err, "bind", ai, errno), close() that socket, try the
     * next. freeaddrinfo() the list on every path (valgrind checks). If no address worked,
     * log_error("%s", err): "echo-server: bind 127.0.0.1:65432: Address already in use". */
    struct addrinfo hints = {0};
    struct addrinfo *res;
    char err[ERROR_LEN] = "no address to listen on";
    int fd = -1;
    int rc;

    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        log_error("getaddrinfo %s:%s: %s", host, port,
                  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        const int on = 1;

        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            describe_failure(err, sizeof err, "socket", ai, errno);
            continue;
        }
        /* Without SO_REUSEADDR, a restarted server cannot bind its port while connections
         * of the previous run linger in TIME_WAIT (up to a minute or two). It must be set
         * before bind(): bind() is where the port is checked. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) {
            describe_failure(err, sizeof err, "setsockopt SO_REUSEADDR", ai, errno);
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            describe_failure(err, sizeof err, "bind", ai, errno);
        } else if (listen(fd, SOMAXCONN) < 0) {
            describe_failure(err, sizeof err, "listen", ai, errno);
        } else {
            break; /* fd is listening */
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        log_error("%s", err);
    return fd;
    /* @stub
    (void)host;
    (void)port;
    (void)describe_failure;
    log_error("TODO 1 is not done yet: open the listening socket");
    return -1;
    @end */
}

/* Makes fd non-blocking: a call that cannot go on at once fails with EAGAIN instead of
 * sleeping. Returns 0, or -1 with errno set. */
static int make_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* accept() failed with errnum, for want of descriptors (EMFILE, ENFILE) or memory (ENOBUFS,
 * ENOMEM). The client stays queued, so calling accept() again at once would fail again at
 * once: the loop would spin the CPU and flood the log. Says so once per shortage (*told
 * remembers), then sleeps ACCEPT_RETRY_MS. Returns true to try again, false when a stop was
 * requested (or the wait failed, reported). */
static bool back_off(int errnum, bool *told)
{
    int slept;

    if (!*told)
        log_error("accept: %s (trying again every %d ms)", strerror(errnum), ACCEPT_RETRY_MS);
    *told = true;
    slept = signals_sleep(ACCEPT_RETRY_MS);
    if (slept < 0)
        log_errno(errno, "waiting to retry accept");
    return slept > 0;
}

/* Waits for the next client and accepts it. Returns the client's socket (non-blocking) with
 * its address as "HOST:PORT" in peer, or -1 when a stop has been requested (or waiting
 * failed, reported). */
static int accept_client(int listener, char *peer, size_t peerlen)
{
    bool told = false; /* the shortage of descriptors has been logged */

    /* @step 2 Wait for a client and accept it.
     * Hint: loop. First signals_wait_fd(listener, false): 1 means a client is waiting,
     * 0 that a stop was requested (return -1: the server stops), -1 an error (log it and
     * return -1). Then accept() with a struct sockaddr_storage (room for IPv4 and IPv6) and
     * its length. If accept() fails: EMFILE, ENFILE, ENOBUFS or ENOMEM mean "out of
     * descriptors or memory": call back_off(errno, &told) (return -1 if it says false)
     * and go round; EAGAIN, EWOULDBLOCK or ECONNABORTED (the client left already) and EINTR
     * just mean "wait again"; log any other error (log_errno(errno, "accept")) and go round.
     * Make the new socket non-blocking with make_nonblocking() (close it and go round if
     * that fails): a blocking socket could sleep in send() where no stop request reaches
     * it. Format the client's address into peer with net_format_addr(), return the socket. */
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        int ready = signals_wait_fd(listener, false);
        int conn;

        if (ready == 0)
            return -1; /* a stop request */
        if (ready < 0) {
            log_errno(errno, "waiting for a client");
            return -1;
        }
        conn = accept(listener, (struct sockaddr *)&addr, &addr_len);
        if (conn < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                if (!back_off(errno, &told))
                    return -1;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
                       errno != EINTR) {
                log_errno(errno, "accept");
            }
            continue;
        }
        if (make_nonblocking(conn) < 0) {
            log_errno(errno, "fcntl O_NONBLOCK");
            close(conn);
            continue;
        }
        if (net_format_addr((struct sockaddr *)&addr, peer, peerlen) < 0)
            snprintf(peer, peerlen, "(unknown peer)");
        return conn;
    }
    /* @stub
    (void)listener;
    (void)peer;
    (void)peerlen;
    (void)told;
    (void)back_off;
    log_error("TODO 2 is not done yet: accept a client");
    return -1;
    @end */
}

/* Sends all len bytes of bytes on the non-blocking socket fd, waiting for room as needed.
 * Returns 0, or -1 with errno set: EINTR if a stop was requested before all were sent,
 * EPIPE or ECONNRESET if the client has gone. */
static int send_all(int fd, const unsigned char *bytes, size_t len)
{
    /* @step 4 Send every byte, however few each send() takes, and stay stoppable.
     * Hint: keep a count of bytes sent; loop while it is below len: send() from bytes + sent
     * the len - sent bytes left, and add what it returns: it may take any number from 1 to
     * all of them (a short count). If it fails: EINTR means "call it again"; EAGAIN or
     * EWOULDBLOCK mean the socket's buffer is full (the client is not reading fast enough):
     * wait with signals_wait_fd(fd, true) until there is room. If that wait returns 0, a
     * stop was requested: set errno = EINTR and return -1 (do NOT just go round: the client
     * may never read, and the server must still stop). Any other error (EPIPE, ECONNRESET:
     * the client has gone), or -1 from the wait: return -1 with errno as it is. */
    size_t sent = 0;

    while (sent < len) {
        ssize_t n = send(fd, bytes + sent, len - sent, 0);
        int ready;

        if (n >= 0) {
            sent += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        ready = signals_wait_fd(fd, true);
        if (ready == 0)
            errno = EINTR; /* a stop request: give up this client */
        if (ready <= 0)
            return -1;
    }
    return 0;
    /* @stub
    (void)fd;
    (void)bytes;
    (void)len;
    log_error("TODO 4 is not done yet: send everything");
    errno = ENOSYS;
    return -1;
    @end */
}

/* Sends back every byte the client sends until it closes its side of the connection.
 * Returns 0 when the client has finished or a stop was requested, -1 after an error (already
 * reported). */
static int echo_until_eof(int conn, const char *peer)
{
    unsigned char chunk[CHUNK_SIZE];

    /* @step 3 Echo: wait for bytes, receive a chunk, send all of it back, until recv()
     * returns 0.
     * Hint: loop. signals_wait_fd(conn, false): 0 means a stop was requested (return 0),
     * -1 an error (log it, return -1). Then recv() into chunk: it returns how many bytes
     * arrived (any number from 1 to sizeof chunk), 0 when the client has closed its side
     * (end of file: return 0), -1 on error: EAGAIN, EWOULDBLOCK or EINTR mean "nothing after
     * all, wait again"; anything else (ECONNRESET...) is logged as
     * log_errno(errno, "recv from %s", peer) and ends this client only (return -1). Send
     * back exactly the n bytes that arrived with send_all() (TODO 4); if it fails with
     * errno EINTR a stop was requested (return -1 without a message), otherwise log
     * "send to PEER" and return -1. */
    for (;;) {
        int ready = signals_wait_fd(conn, false);
        ssize_t n;

        if (ready == 0)
            return 0; /* a stop request */
        if (ready < 0) {
            log_errno(errno, "waiting for %s", peer);
            return -1;
        }
        n = recv(conn, chunk, sizeof chunk, 0);
        if (n == 0)
            return 0; /* the client will send nothing more */
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                continue;
            log_errno(errno, "recv from %s", peer);
            return -1;
        }
        if (send_all(conn, chunk, (size_t)n) < 0) {
            /* EPIPE or ECONNRESET: the client vanished. Only this connection ends. */
            if (errno != EINTR)
                log_errno(errno, "send to %s", peer);
            return -1;
        }
    }
    /* @stub
    (void)conn;
    (void)peer;
    (void)chunk;
    (void)send_all;
    return 0;
    @end */
}

/* Accepts clients one after another and echoes for each, until a stop is requested. */
static void serve_forever(int listener)
{
    char peer[NET_ADDRSTRLEN];
    int conn;

    while ((conn = accept_client(listener, peer, sizeof peer)) >= 0) {
        log_info("Connected by %s", peer);
        echo_until_eof(conn, peer);
        if (close(conn) < 0)
            log_errno(errno, "close connection to %s", peer);
        log_info("Disconnected %s", peer);
    }
}

int main(int argc, char **argv)
{
    const char *host;
    const char *port;
    char local[NET_ADDRSTRLEN];
    int listener;

    log_init("echo-server");
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
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }

    listener = open_listener(host, port);
    if (listener < 0)
        return EXIT_FAILURE;
    /* Non-blocking, so that the accept() after a wait cannot sleep: a client that connects
     * and resets before we accept it leaves (on some systems) an empty queue behind. */
    if (make_nonblocking(listener) < 0) {
        log_errno(errno, "fcntl O_NONBLOCK");
        close(listener);
        return EXIT_FAILURE;
    }
    /* Port 0 means "any free port": ask which one we got. */
    if (net_local_name(listener, local, sizeof local) < 0) {
        log_errno(errno, "getsockname");
        close(listener);
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);

    serve_forever(listener);

    if (close(listener) < 0)
        log_errno(errno, "close listener");
    log_info("Shutting down");
    return EXIT_SUCCESS;
}
