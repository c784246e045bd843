/* app-server.c - lesson 03: an application server speaking a framed message protocol.
 *
 * The select() loop of lesson 02 (one process, one thread, non-blocking sockets), serving a
 * real protocol instead of echoing. Each connection owns a struct message (message.h): the
 * bytes recv() returns are fed to it, in whatever pieces they come, until it holds a whole
 * request; then the reply is encoded, sent as the socket accepts it, and the connection is
 * closed. One request per connection, as in the protocol this kit follows.
 *
 * Bad input (a header that is not JSON, a missing key, an oversized content-length, a peer
 * that vanishes mid-message) ends that one connection with "Error from ADDR: REASON".
 *
 * usage: app-server [-m BYTES] [HOST [PORT]]   (defaults 127.0.0.1 65432; port 0: any free) */
#include "cli.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* How much one recv() may take at once. */
#define CHUNK_SIZE 65536

/* One client connection and the message it is exchanging. */
struct conn {
    int fd;
    char peer[NET_ADDRSTRLEN];
    struct message msg;
};

struct server {
    int listener;
    size_t max_content;               /* the -m option */
    struct conn *conns[FD_SETSIZE];   /* indexed by descriptor; NULL: no client there */
};

/* The -m option's value, set by on_option() while the command line is parsed. */
static size_t option_max_content = MESSAGE_DEFAULT_MAX_CONTENT;

static void usage(FILE *out)
{
    fprintf(out, "usage: app-server [-h] [-m BYTES] [HOST [PORT]]\n"
                 "Answers the requests of app-client (and of any program speaking its\n"
                 "protocol), many clients at once.\n"
                 "  -m BYTES  the largest content-length accepted (default 1048576)\n"
                 "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT
                 " (0: any free port).\n");
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

/* Closes a client's socket and frees everything it had. */
static void close_conn(struct server *s, struct conn *c)
{
    if (close(c->fd) < 0)
        log_errno(errno, "close connection to %s", c->peer);
    s->conns[c->fd] = NULL;
    message_free(&c->msg);
    free(c);
}

/* Ends a connection because of bad input or a failed call, saying why. */
static void drop_conn(struct server *s, struct conn *c, const char *reason)
{
    log_info("Error from %s: %s", c->peer, reason);
    close_conn(s, c);
}

/* Accepts every client waiting in the listener's queue. */
static void accept_clients(struct server *s)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof addr;
        char peer[NET_ADDRSTRLEN];
        struct conn *c;
        int fd = accept(s->listener, (struct sockaddr *)&addr, &addr_len);

        if (fd < 0) {
            /* EAGAIN: the queue is empty. Anything else (a client that gave up before we
             * accepted it, too many open files) is reported; select() tells us when to retry. */
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_errno(errno, "accept");
            return;
        }
        if (net_format_addr((struct sockaddr *)&addr, peer, sizeof peer) < 0)
            snprintf(peer, sizeof peer, "(unknown peer)");
        if (fd >= FD_SETSIZE) {
            /* FD_SET() on such a descriptor would write past the end of the fd_set. */
            log_info("Refusing connection from %s: descriptor %d does not fit in an fd_set", peer,
                     fd);
            close(fd);
            continue;
        }
        c = malloc(sizeof *c);
        if (c == NULL || net_set_nonblocking(fd) < 0) {
            log_errno(errno, "accept %s", peer);
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        snprintf(c->peer, sizeof c->peer, "%s", peer);
        message_init(&c->msg, s->max_content);
        s->conns[fd] = c;
        log_info("Accepted connection from %s", peer);
    }
}

/* The client's socket is readable: feed what arrived to its message. */
static void on_readable(struct server *s, struct conn *c)
{
    /* @step 6 Read what arrived and feed it to the connection's message; act on its state.
     * Hint: recv() into a local chunk. EAGAIN/EWOULDBLOCK or EINTR: nothing to do now. Any
     * other error: drop_conn() with the reason. 0 means the peer closed: tell the message
     * with message_peer_closed() (it was not complete yet, or we would not be reading).
     * Otherwise message_feed() the n bytes. Then look at c->msg.state: READ_DONE means the
     * whole request is in, so log "Request from ADDR: CONTENT-TYPE, N bytes" and call
     * message_respond(); ERROR (now or after responding) means drop_conn() with
     * c->msg.error, which logs "Error from ADDR: REASON". Never wait for more bytes here:
     * the rest may come in a later recv(), and other clients are waiting meanwhile. */
    unsigned char chunk[CHUNK_SIZE];
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            drop_conn(s, c, strerror(errno));
        return;
    }
    if (n == 0)
        message_peer_closed(&c->msg);
    else
        message_feed(&c->msg, chunk, (size_t)n);
    if (c->msg.state == MESSAGE_READ_DONE) {
        log_info("Request from %s: %s, %zu bytes", c->peer, c->msg.content_type,
                 c->msg.content_length);
        message_respond(&c->msg);
    }
    if (c->msg.state == MESSAGE_ERROR)
        drop_conn(s, c, c->msg.error);
    /* @stub
    (void)drop_conn;
    log_error("TODO 6 is not done yet: read from %s", c->peer);
    close_conn(s, c);
    @end */
}

/* The client's socket is writable: send as much of the reply as it takes. */
static void on_writable(struct server *s, struct conn *c)
{
    /* @step 7 Send the pending reply; close the connection once all of it is sent.
     * Hint: message_pending() gives the bytes still to send. send() on a non-blocking socket
     * sends what fits in the socket buffer, maybe less than asked: tell the message how many
     * went with message_sent(), and the rest goes the next time select() says writable.
     * EAGAIN/EWOULDBLOCK or EINTR: try again later. Another error (EPIPE, ECONNRESET: the
     * client went away) ends this connection only. When the state is MESSAGE_DONE, log
     * "Closing connection to ADDR" and close_conn(): closing tells the client the reply is
     * complete. */
    const unsigned char *bytes;
    size_t len = message_pending(&c->msg, &bytes);
    ssize_t n = send(c->fd, bytes, len, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            drop_conn(s, c, strerror(errno));
        return;
    }
    message_sent(&c->msg, (size_t)n);
    if (c->msg.state == MESSAGE_DONE) {
        log_info("Closing connection to %s", c->peer);
        close_conn(s, c);
    }
    /* @stub
    log_error("TODO 7 is not done yet: send to %s", c->peer);
    close_conn(s, c);
    @end */
}

/* Waits in select() until a socket is ready and handles what is ready, until a stop signal.
 * Returns 0, or -1 if select() itself failed. */
static int serve_forever(struct server *s)
{
    while (!signals_stop_requested()) {
        fd_set readable;
        fd_set writable;
        int max_fd = s->listener;

        FD_ZERO(&readable);
        FD_ZERO(&writable);
        FD_SET(s->listener, &readable);
        for (int fd = 0; fd < FD_SETSIZE; fd++) {
            const struct conn *c = s->conns[fd];

            if (c == NULL)
                continue;
            /* A connection is either reading its request or writing its reply, never both:
             * a socket is watched for writing only while a reply waits, or select() would
             * return at once, every time, and the loop would spin. */
            if (message_reading(&c->msg))
                FD_SET(fd, &readable);
            else
                FD_SET(fd, &writable);
            if (fd > max_fd)
                max_fd = fd;
        }
        /* No timeout: the process sleeps until a socket is ready or a signal arrives. */
        if (select(max_fd + 1, &readable, &writable, NULL, NULL) < 0) {
            if (errno == EINTR)
                continue; /* a signal: the while condition checks whether it means stop */
            log_errno(errno, "select");
            return -1;
        }
        if (FD_ISSET(s->listener, &readable))
            accept_clients(s);
        for (int fd = 0; fd <= max_fd; fd++) {
            struct conn *c = s->conns[fd];

            if (c == NULL)
                continue;
            if (FD_ISSET(fd, &readable))
                on_readable(s, c);
            else if (FD_ISSET(fd, &writable))
                on_writable(s, c);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *host;
    const char *port;
    char local[NET_ADDRSTRLEN];
    char err[NET_ERRLEN];
    struct server *s;
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
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }
    /* On the heap: the descriptor table is FD_SETSIZE pointers (8 KiB on most systems). */
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        log_errno(errno, "calloc");
        return EXIT_FAILURE;
    }
    s->max_content = option_max_content;
    s->listener = net_listen(host, port, err, sizeof err);
    if (s->listener < 0) {
        log_error("%s", err);
        free(s);
        return EXIT_FAILURE;
    }
    if (s->listener >= FD_SETSIZE || net_set_nonblocking(s->listener) < 0 ||
        net_local_name(s->listener, local, sizeof local) < 0) {
        log_errno(s->listener >= FD_SETSIZE ? EMFILE : errno, "listen %s:%s", host, port);
        close(s->listener);
        free(s);
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);

    rc = serve_forever(s);

    for (int fd = 0; fd < FD_SETSIZE; fd++) {
        if (s->conns[fd] != NULL)
            close_conn(s, s->conns[fd]);
    }
    if (close(s->listener) < 0)
        log_errno(errno, "close listener");
    free(s);
    log_info("Shutting down");
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
