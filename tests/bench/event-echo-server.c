/* event-echo-server.c - the benchmark's peer: the echo server a practitioner would write,
 * on an event library (libevent 2.1) instead of a hand-written select() loop.
 *
 * It behaves like lesson 02's multiconn-server (same command line, same "Listening on"
 * line, the same backpressure limit, SIGTERM shuts it down cleanly), so the two can be
 * driven by the same load and compared. libevent chooses the best readiness mechanism the
 * system has (epoll on Linux, kqueue on the BSDs and macOS): its cost per loop round grows
 * with the number of ready connections, not with the number of open ones, and it keeps its
 * interest set in the kernel instead of rebuilding it before every wait.
 *
 * usage: event-echo-server [HOST [PORT]]   (port 0 picks a free one) */
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The same limit as multiconn-server: past it, stop reading from a client that does not
 * read its echo, and resume once half of it has drained. */
#define MAX_PENDING_OUTPUT (1024 * 1024)

/* One client. Kept in a list so that shutdown can free every one. */
struct conn {
    struct bufferevent *bev;
    struct conn *prev, *next;
};

static struct conn *all_conns;

static void conn_free(struct conn *c) {
    if (c->prev)
        c->prev->next = c->next;
    else
        all_conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    bufferevent_free(c->bev); /* closes the socket (BEV_OPT_CLOSE_ON_FREE) */
    free(c);
}

/* Input arrived: move it to the output as it is (no copy: the buffer's chunks move). */
static void on_read(struct bufferevent *bev, void *arg) {
    struct evbuffer *out = bufferevent_get_output(bev);

    (void)arg;
    if (evbuffer_add_buffer(out, bufferevent_get_input(bev)) < 0)
        log_error("evbuffer_add_buffer failed");
    if (evbuffer_get_length(out) >= MAX_PENDING_OUTPUT) {
        /* Backpressure: the write callback runs once output drains to the low mark. */
        bufferevent_disable(bev, EV_READ);
        bufferevent_setwatermark(bev, EV_WRITE, MAX_PENDING_OUTPUT / 2, 0);
    }
}

/* Output drained to the low watermark (or entirely): resume reading if it was paused.
 * (on_read moved all input to the output, so nothing is left waiting in the input.) */
static void on_write(struct bufferevent *bev, void *arg) {
    (void)arg;
    if (!(bufferevent_get_enabled(bev) & EV_READ)) {
        bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
        bufferevent_enable(bev, EV_READ);
    }
}

/* The client closed, reset, or failed. */
static void on_event(struct bufferevent *bev, short what, void *arg) {
    struct conn *c = arg;

    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(c);
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *addr,
                      int len, void *arg) {
    struct event_base *base = arg;
    struct conn *c = calloc(1, sizeof *c);

    (void)listener;
    (void)addr;
    (void)len;
    if (c == NULL) {
        log_errno(errno, "memory for a connection");
        close(fd);
        return;
    }
    c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        log_error("bufferevent_socket_new failed");
        close(fd);
        free(c);
        return;
    }
    c->next = all_conns;
    if (all_conns)
        all_conns->prev = c;
    all_conns = c;
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg) {
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv) {
    const char *host, *port;
    char local[NET_ADDRSTRLEN], err[NET_ERRLEN];
    struct event_base *base;
    struct evconnlistener *listener;
    struct event *sigterm, *sigint;
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
    listener = evconnlistener_new(base, on_accept, base, LEV_OPT_CLOSE_ON_FREE, -1, fd);
    sigterm = evsignal_new(base, SIGTERM, on_stop_signal, base);
    sigint = evsignal_new(base, SIGINT, on_stop_signal, base);
    if (listener == NULL || sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) < 0 ||
        evsignal_add(sigint, NULL) < 0) {
        log_error("libevent set-up failed");
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);
    log_info("Event method: %s", event_base_get_method(base));
    event_base_dispatch(base);

    while (all_conns)
        conn_free(all_conns);
    evconnlistener_free(listener);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(base);
    log_info("Shutting down");
    return EXIT_SUCCESS;
}
