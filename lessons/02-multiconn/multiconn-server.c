/* multiconn-server.c - lesson 02: one thread, one select() loop, many clients at once.
 *
 * The lesson 01 server waits for one socket at a time, so while it serves one client every
 * other client waits. This one waits for all of them at once: every socket is non-blocking,
 * and pselect() (select() with the stop signals let in only while it sleeps) tells the loop
 * which of them are ready. Each connection keeps its own state in a struct conn, including
 * the bytes received but not yet echoed (its output buffer), because send() on a
 * non-blocking socket may take only part of what we hand it.
 *
 * What lesson 01 wrote by hand is library code now: net_listen() (common/net.c) is lesson
 * 01's open_listener(), net_set_nonblocking() its make_nonblocking().
 *
 * The loop, in one picture:
 *
 *     while no stop is requested {
 *         watch(): the listener, every socket we may read, every socket with output pending
 *         pselect(): sleep until one of them is ready, or a stop is requested
 *         listener ready  -> accept_new()
 *         socket readable -> handle_readable(): recv() and queue the bytes for echo
 *         socket writable -> handle_writable(): send() what is queued, keep the rest
 *     }
 *
 * usage: multiconn-server [HOST [PORT]]   (defaults 127.0.0.1 65432; port 0 picks a free one) */
#include "buf.h"
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How much one recv() may take at once. */
#define CHUNK_SIZE 65536

/* While out of descriptors the listener is not watched; after this many seconds the loop
 * tries it again anyway (a descriptor may have been freed elsewhere: ENFILE is system-wide). */
#define ACCEPT_RETRY_SECONDS 1

/* Backpressure: once a client has this much output we could not send yet (it is not
 * reading its echo), we stop reading from it until it drains. Without a limit, a client
 * that sends and never reads would make the server buffer without end. */
#define MAX_PENDING_OUTPUT (1024 * 1024)

/* Everything the server knows about one client. */
struct conn {
    int fd;                    /* the connected, non-blocking socket */
    char peer[NET_ADDRSTRLEN]; /* "HOST:PORT", for log lines */
    struct buf out;            /* bytes received and not yet echoed back */
    bool peer_closed;          /* the client sent end of file: close once out is sent */
};

struct server {
    int listener;       /* the listening, non-blocking socket */
    bool accepting;     /* false while out of descriptors: the listener is not watched */
    bool told_shortage; /* running out of descriptors has been logged (once per shortage) */
    /* The connections, indexed by descriptor. select() cannot watch a descriptor
     * >= FD_SETSIZE anyway, so this table covers every one it can. */
    struct conn *conns[FD_SETSIZE];
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: multiconn-server [-h] [HOST [PORT]]\n"
            "Echoes back everything each client sends, to many clients at once.\n"
            "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT " (0: any free port).\n");
}

/* Closes a connection's socket, frees its state and forgets it. */
static void close_conn(struct server *srv, struct conn *c)
{
    log_info("Closing connection to %s", c->peer);
    if (close(c->fd) < 0)
        log_errno(errno, "close connection to %s", c->peer);
    srv->conns[c->fd] = NULL;
    buf_free(&c->out);
    free(c);
    /* A descriptor is free again: if accept() had run out of them, try again. */
    srv->accepting = true;
}

/* Whether select() should tell us when c is readable. */
static bool wants_to_read(const struct conn *c)
{
    /* TODO 6: Backpressure: stop reading from a client whose unsent output is too large.
     * Hint: a client that sends but never reads its echo makes c->out grow with every
     * recv(). Watch its socket for reading only while buf_len(&c->out) is below
     * MAX_PENDING_OUTPUT. The kernel then stops accepting its data (TCP flow control), so
     * the client is slowed down instead of the server's memory growing. Reading resumes by
     * itself once handle_writable() has drained the buffer below the limit. */
    return !c->peer_closed;
}

/* Whether select() should tell us when c is writable: only while output is pending.
 * (A socket with room in its send buffer is always writable; watching it with nothing to
 * send would make select() return at once, forever, and the loop would spin.) */
static bool wants_to_write(const struct conn *c)
{
    return buf_len(&c->out) > 0;
}

/* Fills the read and write sets for the next select() and returns the highest descriptor
 * in them. */
static int watch(const struct server *srv, fd_set *readable, fd_set *writable)
{
    /* TODO 2: Tell select() what to watch.
     * Hint: FD_ZERO() both sets (select() overwrites them, so they are rebuilt every round).
     * FD_SET() the listener in the read set while srv->accepting. Then for every
     * connection in srv->conns (skip the NULL slots): FD_SET() its fd in the read set if
     * wants_to_read(), in the write set if wants_to_write(). Return the highest fd you
     * set: select() needs it plus one. */
    (void)srv;
    (void)wants_to_read;
    (void)wants_to_write;
    FD_ZERO(readable);
    FD_ZERO(writable);
    log_error("TODO 2 is not done yet: watch the listener and the connections");
    return -1;
}

/* Accepts every connection waiting in the listener's queue. */
static void accept_new(struct server *srv)
{
    /* TODO 3: Accept every waiting client: a non-blocking socket and a struct conn each.
     * Hint: call accept() in a loop until it fails with EAGAIN or EWOULDBLOCK (the queue
     * is empty: that is why the listener is non-blocking); then set srv->told_shortage =
     * false. EINTR and ECONNABORTED (the client left before we accepted) mean "try the next
     * one". EMFILE or ENFILE (out of descriptors): log it unless srv->told_shortage says it
     * is logged already (then set it), set srv->accepting = false and return; close_conn(),
     * or serve_forever() after a while, turns it back on. A descriptor >= FD_SETSIZE does not fit
     * in an fd_set (FD_SET() on it writes out of bounds): log it, close it at once and go on.
     * Otherwise make the new socket non-blocking with net_set_nonblocking(), calloc() a struct conn
     * (fd, peer name from net_format_addr(), an empty buffer: calloc's zeroes are BUF_INIT), store
     * it in srv->conns[fd], and log "Accepted connection from ADDR". */
    log_error("TODO 3 is not done yet: accept the waiting clients");
    srv->accepting = false;
}

/* Reads what the client sent and queues it for echoing. Called when select() reports the
 * socket readable, so recv() does not block. May close (and free) the connection. */
static void handle_readable(struct server *srv, struct conn *c)
{
    unsigned char chunk[CHUNK_SIZE];

    /* TODO 4: Read once: queue what arrived for echoing; handle end of file and errors.
     * Hint: call recv() once (select() will report the socket again if more is waiting).
     * n > 0: append the bytes to c->out with buf_append() (if that fails, out of memory:
     * log and close_conn()); the write handler sends them later. n == 0: the client has
     * sent everything: set c->peer_closed, and close_conn() now if c->out is empty.
     * n < 0: EAGAIN, EWOULDBLOCK or EINTR just mean "nothing after all, try later";
     * anything else (ECONNRESET...) is logged and ends this connection only. After
     * close_conn(), c is freed: do not touch it again. */
    (void)chunk;
    log_error("TODO 4 is not done yet: read from %s", c->peer);
    close_conn(srv, c);
}

/* Sends as much of the pending output as the socket takes now. Called when select()
 * reports the socket writable. May close (and free) the connection. */
static void handle_writable(struct server *srv, struct conn *c)
{
    /* TODO 5: Send what the socket takes, keep the rest for the next round.
     * Hint: one send() of buf_data(&c->out), buf_len(&c->out) bytes. It may take only
     * part of them (a partial write): buf_consume() exactly the n bytes it took, and the
     * rest stays queued; select() reports the socket writable again when there is room.
     * Never loop until everything is sent: that would block the whole server on one slow
     * client. EAGAIN, EWOULDBLOCK, EINTR: try later. EPIPE, ECONNRESET and other errors:
     * the client has gone, log and close_conn(). Once c->out is empty and the client has
     * closed its side (c->peer_closed), the echo is complete: close_conn(). */
    log_error("TODO 5 is not done yet: write to %s", c->peer);
    close_conn(srv, c);
}

/* The event loop: runs until SIGINT or SIGTERM. */
static void serve_forever(struct server *srv)
{
    /* Out of descriptors, the loop wakes after this to try the listener again. */
    const struct timespec retry = {ACCEPT_RETRY_SECONDS, 0};

    while (!signals_stop_requested()) {
        /* TODO 1: Wait in pselect() for something to be ready, then hand each ready socket
         * to its handler.
         * Hint: fd_set readable, writable; int max_fd = watch(srv, &readable, &writable);
         * then pselect(max_fd + 1, &readable, &writable, NULL, timeout,
         * signals_wait_mask()): the timeout is NULL (none: an idle server sleeps) except
         * while !srv->accepting, when it is &retry; the mask lets SIGINT and SIGTERM in only
         * while pselect() sleeps, so a stop request can never arrive unseen between the loop
         * test and the sleep. If pselect() fails with EINTR, a signal arrived: continue (the
         * loop condition sees the stop request); any other failure is reported and ends the
         * loop. If it returns 0, the retry time is up: srv->accepting = true, continue.
         * Then: if FD_ISSET(srv->listener, &readable), accept_new(). For each fd from 0 to
         * max_fd with a connection: if readable, handle_readable(); then, if the connection
         * still exists (srv->conns[fd] != NULL: the handler may have closed it) and it is
         * writable, handle_writable(). */
        (void)srv;
        (void)retry;
        (void)watch;
        (void)accept_new;
        (void)handle_readable;
        (void)handle_writable;
        log_error("TODO 1 is not done yet: the select() loop");
        return;
    }
}

int main(int argc, char **argv)
{
    struct server srv = {.listener = -1, .accepting = true};
    const char *host;
    const char *port;
    char local[NET_ADDRSTRLEN];
    char err[NET_ERRLEN];

    log_init("multiconn-server");
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

    /* Lesson 01's open_listener(), now in the library. */
    srv.listener = net_listen(host, port, err, sizeof err);
    if (srv.listener < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    /* Non-blocking, so that accept_new() can take connections until the queue is empty,
     * and so that a client that connects and resets before we call accept() (on some
     * systems that removes it from the queue) cannot leave the server blocked in accept(). */
    if (net_set_nonblocking(srv.listener) < 0) {
        log_errno(errno, "fcntl O_NONBLOCK");
        close(srv.listener);
        return EXIT_FAILURE;
    }
    if (srv.listener >= FD_SETSIZE) {
        log_error("listening socket %d does not fit in an fd_set", srv.listener);
        close(srv.listener);
        return EXIT_FAILURE;
    }
    /* Port 0 means "any free port": ask which one we got. */
    if (net_local_name(srv.listener, local, sizeof local) < 0) {
        log_errno(errno, "getsockname");
        close(srv.listener);
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);

    serve_forever(&srv);

    /* Shutdown: every connection is closed and freed, then the listener. */
    for (int fd = 0; fd < FD_SETSIZE; fd++) {
        if (srv.conns[fd] != NULL)
            close_conn(&srv, srv.conns[fd]);
    }
    if (close(srv.listener) < 0)
        log_errno(errno, "close listener");
    log_info("Shutting down");
    return EXIT_SUCCESS;
}
