/* event-echo-server.c - the benchmark's peer: lesson 02's echo server on an event library
 * (libevent 2.1) instead of a hand-written select() loop.
 *
 * It does exactly what multiconn-server does, the same way: one recv() of up to 64 KiB per
 * readiness report, the bytes queued in the connection's own buffer, sent when the socket is
 * writable, write interest only while output is pending, the same backpressure limit, the
 * same command line, "Listening on" line and clean SIGTERM shutdown. So the benchmark
 * compares one thing: the readiness machinery. select() is handed every descriptor on every
 * round (and the server rebuilds both sets first); libevent uses the best mechanism the
 * system has (epoll on Linux, kqueue on the BSDs and macOS), which keeps the interest set in
 * the kernel and returns only the ready descriptors, at the price of a system call each time
 * interest changes (here: when output starts and stops being pending).
 *
 * Why not libevent's bufferevents, the library's higher-level API: in libevent 2.1 (the
 * version Debian 12 ships) a bufferevent reads at most 4096 bytes per call, whatever it is
 * told, which on bulk transfers measures that constant rather than the design.
 *
 * usage: event-echo-server [HOST [PORT]]   (port 0 picks a free one) */
#include "buf.h"
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The same sizes as multiconn-server. */
#define CHUNK_SIZE 65536
#define MAX_PENDING_OUTPUT (1024 * 1024)

/* One client. Kept in a list so that shutdown can free every one. */
struct conn {
    int fd;
    struct event *on_read, *on_write;
    bool reading, writing; /* whether each event is currently added */
    bool peer_closed;
    struct buf out;
    struct conn *prev, *next;
};

static struct conn *all_conns;

static void conn_free(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        all_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    event_free(c->on_read); /* event_free() also removes a pending event */
    event_free(c->on_write);
    if (close(c->fd) < 0)
        log_errno(errno, "close");
    buf_free(&c->out);
    free(c);
}

/* Adds or removes each event so that interest matches the state (as multiconn's watch()). */
static void update_interest(struct conn *c)
{
    bool want_read = !c->peer_closed && buf_len(&c->out) < MAX_PENDING_OUTPUT;
    bool want_write = buf_len(&c->out) > 0;

    if (want_read != c->reading) {
        if ((want_read ? event_add(c->on_read, NULL) : event_del(c->on_read)) < 0)
            log_error("event_add/event_del failed");
        c->reading = want_read;
    }
    if (want_write != c->writing) {
        if ((want_write ? event_add(c->on_write, NULL) : event_del(c->on_write)) < 0)
            log_error("event_add/event_del failed");
        c->writing = want_write;
    }
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    unsigned char chunk[CHUNK_SIZE];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);

    (void)what;
    if (n > 0) {
        if (buf_append(&c->out, chunk, (size_t)n) < 0) {
            conn_free(c);
            return;
        }
    } else if (n == 0) {
        c->peer_closed = true;
        if (buf_len(&c->out) == 0) {
            conn_free(c);
            return;
        }
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        conn_free(c);
        return;
    }
    update_interest(c);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    ssize_t n = send(fd, buf_data(&c->out), buf_len(&c->out), 0);

    (void)what;
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_free(c);
        return;
    }
    buf_consume(&c->out, (size_t)n);
    if (buf_len(&c->out) == 0 && c->peer_closed) {
        conn_free(c);
        return;
    }
    update_interest(c);
}

/* The listener is readable: accept every waiting client. */
static void on_accept(evutil_socket_t listener, short what, void *arg)
{
    struct event_base *base = arg;

    (void)what;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        struct conn *c;

        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                log_errno(errno, "accept");
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;
        }
        c = calloc(1, sizeof *c);
        if (c == NULL || net_set_nonblocking(fd) < 0) {
            log_errno(errno, "new connection");
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->on_read = event_new(base, fd, EV_READ | EV_PERSIST, on_readable, c);
        c->on_write = event_new(base, fd, EV_WRITE | EV_PERSIST, on_writable, c);
        c->next = all_conns;
        if (all_conns)
            all_conns->prev = c;
        all_conns = c;
        if (c->on_read == NULL || c->on_write == NULL) {
            log_error("event_new failed");
            conn_free(c);
            continue;
        }
        update_interest(c);
    }
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    const char *host, *port;
    char local[NET_ADDRSTRLEN], err[NET_ERRLEN];
    struct event_base *base;
    struct event *listening, *sigterm, *sigint;
    int fd;

    log_init("event-echo-server");
    switch (cli_parse_server(argc, argv, &host, &port, NULL, NULL)) {
    case CLI_HELP:
        printf("usage: event-echo-server [-h] [HOST [PORT]]\n");
        return EXIT_SUCCESS;
    case CLI_BAD:
        fprintf(stderr, "usage: event-echo-server [-h] [HOST [PORT]]\n");
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    if (signals_ignore_sigpipe() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }
    fd = net_listen(host, port, err, sizeof err);
    if (fd < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (net_set_nonblocking(fd) < 0 || net_local_name(fd, local, sizeof local) < 0) {
        log_errno(errno, "listener");
        close(fd);
        return EXIT_FAILURE;
    }
    base = event_base_new();
    if (base == NULL) {
        log_error("event_base_new failed");
        close(fd);
        return EXIT_FAILURE;
    }
    listening = event_new(base, fd, EV_READ | EV_PERSIST, on_accept, base);
    sigterm = evsignal_new(base, SIGTERM, on_stop_signal, base);
    sigint = evsignal_new(base, SIGINT, on_stop_signal, base);
    if (listening == NULL || sigterm == NULL || sigint == NULL || event_add(listening, NULL) < 0 ||
        evsignal_add(sigterm, NULL) < 0 || evsignal_add(sigint, NULL) < 0) {
        log_error("libevent set-up failed");
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);
    log_info("Event method: %s", event_base_get_method(base));
    event_base_dispatch(base);

    while (all_conns)
        conn_free(all_conns);
    event_free(listening);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(base);
    close(fd);
    log_info("Shutting down");
    return EXIT_SUCCESS;
}
