/* app-server.c - lesson 03: an application server speaking a framed message protocol.
 *
 * The select() loop of lesson 02 (one thread, non-blocking sockets, many clients at once)
 * serving a real protocol instead of echoing. What a protocol adds is in struct conn: each
 * connection owns a struct message (message.h), a state machine that the bytes from recv()
 * are fed to, in whatever pieces they come, until it holds a whole request; then the reply
 * is encoded into it, sent as the socket takes it, and the connection is closed (one
 * request per connection, as in the protocol this kit follows).
 *
 *     while no stop is requested {
 *         watch(): the listener, every connection still reading its request, every
 *                  connection with a reply to send
 *         pselect(): sleep until one of them is ready, or a stop is requested
 *         listener ready  -> accept_new()
 *         socket readable -> handle_readable(): recv(), message_feed(); request complete
 *                            -> message_respond(); bad input -> "Error from ADDR: REASON"
 *         socket writable -> handle_writable(): send() the reply; all sent -> close
 *     }
 *
 * usage: app-server [-m BYTES] [HOST [PORT]]   (defaults 127.0.0.1 65432; port 0: any free) */
#include "cli.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "server.h"
#include "signals.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How much one recv() may take at once. */
#define CHUNK_SIZE 65536

/* While out of descriptors the listener is not watched; after this many seconds the loop
 * tries it again anyway (a descriptor may have been freed elsewhere: ENFILE is system-wide). */
#define ACCEPT_RETRY_SECONDS 1

/* Everything the server knows about one client. */
struct conn {
    int fd;                    /* the connected, non-blocking socket */
    char peer[NET_ADDRSTRLEN]; /* "HOST:PORT", for log lines */
    struct message msg;        /* the request being read, then the reply being sent */
};

struct server {
    int listener;       /* the listening, non-blocking socket */
    bool accepting;     /* false while out of descriptors: the listener is not watched */
    bool told_shortage; /* running out of descriptors has been logged (once per shortage) */
    size_t max_content; /* the largest content-length a request may have (-m) */
    /* The connections, indexed by descriptor. select() cannot watch a descriptor
     * >= FD_SETSIZE anyway, so this table covers every one it can. */
    struct conn *conns[FD_SETSIZE];
};

/* The -m option's value, set by on_option() while the command line is parsed. */
static size_t option_max_content = MESSAGE_DEFAULT_MAX_CONTENT;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: app-server [-h] [-m BYTES] [HOST [PORT]]\n"
            "Answers the requests of app-client (and of any program speaking its\n"
            "protocol), many clients at once.\n"
            "  -m BYTES  the largest content-length accepted (default 1048576)\n"
            "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT " (0: any free port).\n");
}

/* cli_parse_server()'s callback for -m BYTES: a decimal number. Returns 0, or -1. */
static int on_option(int option, const char *arg)
{
    unsigned long long value;
    char *end;

    if (option != 'm' || *arg < '0' || *arg > '9')
        return -1;
    errno = 0;
    value = strtoull(arg, &end, 10);
    if (errno != 0 || *end != '\0' || value > LLONG_MAX || value > SIZE_MAX)
        return -1;
    option_max_content = (size_t)value;
    return 0;
}

/* Closes a connection's socket, frees its state and forgets it. */
static void close_conn(struct server *srv, struct conn *c)
{
    log_info("Closing connection to %s", c->peer);
    if (close(c->fd) < 0)
        log_errno(errno, "close connection to %s", c->peer);
    srv->conns[c->fd] = NULL;
    message_free(&c->msg);
    free(c);
    /* A descriptor is free again: if accept() had run out of them, try again. */
    srv->accepting = true;
}

/* Ends a connection because of bad input or a failed call, saying why first. */
static void drop_conn(struct server *srv, struct conn *c, const char *reason)
{
    log_info("Error from %s: %s", c->peer, reason);
    close_conn(srv, c);
}

/* Whether select() should tell us when c is readable: while its request is incomplete.
 * Once the whole request is in, nothing more is read (one request per connection). */
static bool wants_to_read(const struct conn *c)
{
    return message_reading(&c->msg);
}

/* Whether select() should tell us when c is writable: only while a reply waits.
 * (A socket with room in its send buffer is always writable; watching it with nothing to
 * send would make select() return at once, forever, and the loop would spin.) */
static bool wants_to_write(const struct conn *c)
{
    return c->msg.state == MESSAGE_WRITE_REPLY;
}

/* Fills the read and write sets for the next select() and returns the highest descriptor
 * in them. */
static int watch(const struct server *srv, fd_set *readable, fd_set *writable)
{
    int max_fd = -1;

    FD_ZERO(readable);
    FD_ZERO(writable);
    if (srv->accepting) {
        FD_SET(srv->listener, readable);
        max_fd = srv->listener;
    }
    for (int fd = 0; fd < FD_SETSIZE; fd++) {
        const struct conn *c = srv->conns[fd];

        if (c == NULL)
            continue;
        if (wants_to_read(c))
            FD_SET(fd, readable);
        if (wants_to_write(c))
            FD_SET(fd, writable);
        if (fd > max_fd)
            max_fd = fd;
    }
    return max_fd;
}

/* Accepts every connection waiting in the listener's queue. */
static void accept_new(struct server *srv)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        char peer[NET_ADDRSTRLEN];
        struct conn *c;
        int fd = accept(srv->listener, (struct sockaddr *)&addr, &addr_len);

        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                srv->told_shortage = false; /* the queue is empty: any shortage is over */
                return;
            }
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* The listener would stay readable and the loop would spin: stop
                 * watching it until a connection closes (or a while has passed).
                 * Said once per shortage, not at every try. */
                if (!srv->told_shortage)
                    log_errno(errno, "accept (no new clients until a descriptor is free)");
                srv->told_shortage = true;
                srv->accepting = false;
                return;
            }
            log_errno(errno, "accept");
            return;
        }
        if (net_format_addr((struct sockaddr *)&addr, peer, sizeof peer) < 0)
            snprintf(peer, sizeof peer, "(unknown peer)");
        if (fd >= FD_SETSIZE) {
            log_error("connection from %s: descriptor %d does not fit in an fd_set "
                      "(FD_SETSIZE %d): closing it",
                      peer, fd, FD_SETSIZE);
            close(fd);
            continue;
        }
        if (net_set_nonblocking(fd) < 0) {
            log_errno(errno, "fcntl O_NONBLOCK for %s", peer);
            close(fd);
            continue;
        }
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            log_errno(errno, "memory for %s", peer);
            close(fd);
            continue;
        }
        c->fd = fd;
        snprintf(c->peer, sizeof c->peer, "%s", peer);
        message_init(&c->msg, srv->max_content);
        srv->conns[fd] = c;
        log_info("Accepted connection from %s", c->peer);
    }
}

/* Feeds what the client sent to its message; answers once the request is complete.
 * Called when select() reports the socket readable, so recv() does not block. May close
 * (and free) the connection. */
static void handle_readable(struct server *srv, struct conn *c)
{
    unsigned char chunk[CHUNK_SIZE];

    /* @step 6 Read once and feed the bytes to the connection's message; act on its state.
     * Hint: call recv() once. EAGAIN, EWOULDBLOCK or EINTR: nothing to do now. Any other
     * error: drop_conn() with strerror(errno). 0 means the client closed before its request
     * was complete (or we would not be reading): tell the message, message_peer_closed().
     * Otherwise message_feed() the n bytes: it keeps what it needs, however few arrived.
     * Then look at c->msg.state: MESSAGE_READ_DONE means the whole request is in: log
     * "Request from ADDR: CONTENT-TYPE, N bytes", the content-type escaped with
     * log_escape() into a char[LOG_ESCAPED_LEN] (the peer chose it: a newline in it would
     * forge a log line of its own), and message_respond(), which puts the
     * reply in the message and the state to MESSAGE_WRITE_REPLY (wants_to_write() then
     * asks select() about writability). MESSAGE_ERROR (now, or from message_respond()):
     * drop_conn() with c->msg.error, which logs "Error from ADDR: REASON". Never loop
     * until the request is complete: the rest may take seconds, and others are waiting. */
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        drop_conn(srv, c, strerror(errno));
        return;
    }
    if (n == 0)
        message_peer_closed(&c->msg);
    else
        message_feed(&c->msg, chunk, (size_t)n);
    if (c->msg.state == MESSAGE_READ_DONE) {
        char type[LOG_ESCAPED_LEN];

        log_info("Request from %s: %s, %zu bytes", c->peer,
                 log_escape(c->msg.content_type, strlen(c->msg.content_type), type, sizeof type),
                 c->msg.content_length);
        message_respond(&c->msg);
    }
    if (c->msg.state == MESSAGE_ERROR)
        drop_conn(srv, c, c->msg.error);
    /* @stub
    (void)chunk;
    (void)drop_conn;
    log_error("TODO 6 is not done yet: read from %s", c->peer);
    close_conn(srv, c);
    @end */
}

/* Sends as much of the reply as the socket takes now; closes the connection once all of
 * it is sent. Called when select() reports the socket writable. May close (and free) the
 * connection. */
static void handle_writable(struct server *srv, struct conn *c)
{
    /* @step 7 Send what the socket takes of the reply; close once the reply is complete.
     * Hint: message_pending() gives the bytes still to send. One send(): it may take only
     * part of them; tell the message how many went with message_sent(), and the rest goes
     * the next time select() reports the socket writable. EAGAIN, EWOULDBLOCK, EINTR: try
     * later. EPIPE, ECONNRESET and other errors: the client has gone: drop_conn(). Once the
     * state is MESSAGE_DONE the reply is complete: close_conn() (closing is how the client
     * learns there is nothing more, one request per connection). */
    const unsigned char *bytes;
    size_t len = message_pending(&c->msg, &bytes);
    ssize_t n = send(c->fd, bytes, len, 0);

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        drop_conn(srv, c, strerror(errno));
        return;
    }
    message_sent(&c->msg, (size_t)n);
    if (c->msg.state == MESSAGE_DONE)
        close_conn(srv, c);
    /* @stub
    log_error("TODO 7 is not done yet: write to %s", c->peer);
    close_conn(srv, c);
    @end */
}

/* The event loop: runs until SIGINT or SIGTERM. Returns 0, or -1 if pselect() failed. */
static int serve_forever(struct server *srv)
{
    /* Out of descriptors, the loop wakes after this to try the listener again. */
    const struct timespec retry = {ACCEPT_RETRY_SECONDS, 0};

    while (!signals_stop_requested()) {
        fd_set readable;
        fd_set writable;
        int max_fd = watch(srv, &readable, &writable);
        /* No timeout unless out of descriptors: an idle server sleeps until a socket is
         * ready or a stop is requested; the mask lets the stop signals in only while it
         * sleeps, so none can slip in unseen between the loop test and the sleep. */
        int ready = pselect(max_fd + 1, &readable, &writable, NULL, srv->accepting ? NULL : &retry,
                            signals_wait_mask());

        if (ready < 0) {
            if (errno == EINTR)
                continue;
            log_errno(errno, "pselect");
            return -1;
        }
        if (ready == 0) {
            srv->accepting = true; /* time to try the listener again */
            continue;
        }
        /* New connections first: they are not in the sets yet, so the loop below
         * cannot mistake them for ready ones. */
        if (FD_ISSET(srv->listener, &readable))
            accept_new(srv);
        for (int fd = 0; fd <= max_fd; fd++) {
            if (srv->conns[fd] == NULL)
                continue;
            if (FD_ISSET(fd, &readable))
                handle_readable(srv, srv->conns[fd]);
            if (srv->conns[fd] != NULL && FD_ISSET(fd, &writable))
                handle_writable(srv, srv->conns[fd]);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct server srv = {.listener = -1, .accepting = true};
    const char *host;
    const char *port;
    int rc;

    log_init("app-server");
    switch (cli_parse_server(argc, argv, &host, &port, "m:", on_option)) {
    case CLI_HELP:
        usage(stdout);
        return EXIT_SUCCESS;
    case CLI_BAD:
        usage(stderr);
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    srv.max_content = option_max_content;
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }

    /* Non-blocking and within FD_SETSIZE, as lesson 02's listener (now library code). */
    srv.listener = server_listen(host, port, true);
    if (srv.listener < 0)
        return EXIT_FAILURE;

    rc = serve_forever(&srv);

    /* Shutdown: every connection is closed and freed (a half-read request too), then the
     * listener. */
    for (int fd = 0; fd < FD_SETSIZE; fd++) {
        if (srv.conns[fd] != NULL)
            close_conn(&srv, srv.conns[fd]);
    }
    if (close(srv.listener) < 0)
        log_errno(errno, "close listener");
    log_info("Shutting down");
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
