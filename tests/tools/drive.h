/* drive.h - one TCP connection driven the way a test needs: the heart of tcpdrive, also
 * used by `appwire ask` (a test tool is one .c file; what two of them share lives here).
 *
 * drive() sends bytes with a chosen chunking while reading whatever comes back at the
 * same time (poll), so it never deadlocks however much is in flight; after sending it
 * half-closes and reads until the peer closes, unless told otherwise. Its options, as
 * both tools take them:
 *     --split whole|1|random  chunking of what is sent (default whole: as read)
 *     --max-chunk N           largest random chunk (default 1000)
 *     --seed N                seed for random splits (default 1)
 *     --delay-us N            pause between chunks, in microseconds (default 0)
 *     --no-read               never read (what arrives piles up in the kernel)
 *     --rcvbuf N              a receive buffer of N bytes (SO_RCVBUF): with --no-read, the
 *                             peer's sends stall for good once that much has arrived
 *     --hold-ms N             after sending, stay silent N ms before finishing
 *     --reset                 finish with an abortive close (RST) instead of a half-close
 *     --stop-after N          finish as soon as N bytes have been received
 *     --no-shutdown           finish by waiting for the peer to close, without half-closing
 *     --limit SECONDS         give up after SECONDS (status 124, as timeout(1) says it):
 *                             the test needs no timeout process around the tool */
#ifndef DRIVE_H
#define DRIVE_H

#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DRIVE_IO_SIZE 65536
#define DRIVE_TIMED_OUT 124

struct drive_options {
    const char *split;
    size_t max_chunk;
    unsigned seed;
    long delay_us;
    bool no_read, reset, no_shutdown;
    long hold_ms;
    long long stop_after;
    int rcvbuf;
    unsigned limit;
};

#define DRIVE_DEFAULTS                                                                             \
    {                                                                                              \
        "whole", 1000, 1, 0, false, false, false, 0, -1, 0, 0                                      \
    }

#define DRIVE_USAGE                                                                                \
    "[--split whole|1|random] [--max-chunk N] [--seed N] [--delay-us N] [--no-read] "              \
    "[--rcvbuf N] [--hold-ms N] [--reset] [--stop-after N] [--no-shutdown] [--limit SECONDS]"

static volatile sig_atomic_t drive_expired;

static void drive_on_alarm(int sig)
{
    (void)sig;
    drive_expired = 1;
}

/* Sleeps us microseconds, or less once the limit has passed. */
static void drive_pause_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !drive_expired)
        ;
}

/* Takes argv[*i] (and its value) if it is a drive option. Returns 1 if it was (*i then on
 * its value), 0 if it is none, -1 if its value is missing. */
static int drive_option(struct drive_options *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;

    if (strcmp(a, "--no-read") == 0)
        o->no_read = true;
    else if (strcmp(a, "--reset") == 0)
        o->reset = true;
    else if (strcmp(a, "--no-shutdown") == 0)
        o->no_shutdown = true;
    else if (strcmp(a, "--split") != 0 && strcmp(a, "--max-chunk") != 0 &&
             strcmp(a, "--seed") != 0 && strcmp(a, "--delay-us") != 0 &&
             strcmp(a, "--hold-ms") != 0 && strcmp(a, "--stop-after") != 0 &&
             strcmp(a, "--rcvbuf") != 0 && strcmp(a, "--limit") != 0)
        return 0;
    else if (v == NULL)
        return -1;
    else {
        ++*i;
        if (strcmp(a, "--split") == 0)
            o->split = v;
        else if (strcmp(a, "--max-chunk") == 0)
            o->max_chunk = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o->seed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--delay-us") == 0)
            o->delay_us = strtol(v, NULL, 10);
        else if (strcmp(a, "--hold-ms") == 0)
            o->hold_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--stop-after") == 0)
            o->stop_after = strtoll(v, NULL, 10);
        else if (strcmp(a, "--rcvbuf") == 0)
            o->rcvbuf = (int)strtol(v, NULL, 10);
        else
            o->limit = (unsigned)strtoul(v, NULL, 10);
    }
    return 1;
}

static size_t drive_next_chunk(const struct drive_options *o, size_t available)
{
    size_t n = available;
    if (strcmp(o->split, "1") == 0)
        n = 1;
    else if (strcmp(o->split, "random") == 0)
        n = 1 + (size_t)rand() % o->max_chunk;
    return n < available ? n : available;
}

/* Connects to host:port and drives the connection: sends what `in` holds, writes what
 * arrives to `out`. Error lines on stderr start with `who`. Returns 0 when done, 1 on a
 * connection or I/O error, DRIVE_TIMED_OUT when the limit passed first. */
static int drive(const struct drive_options *o, const char *host, const char *port, int in, int out,
                 const char *who)
{
    char err[NET_ERRLEN];
    unsigned char *pending = malloc(DRIVE_IO_SIZE), *rbuf = malloc(DRIVE_IO_SIZE);
    size_t pend_len = 0, pend_off = 0;
    bool in_eof = false, peer_eof = false, finished_sending = false;
    long long received = 0;
    int sock = -1, rc = 0, on = 1;

    signal(SIGPIPE, SIG_IGN);
    srand(o->seed);
    if (o->limit > 0) {
        /* No SA_RESTART: the alarm interrupts connect(), poll() and nanosleep(). */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = drive_on_alarm;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        alarm(o->limit);
    }
    if (pending == NULL || rbuf == NULL) {
        fprintf(stderr, "%s: out of memory\n", who);
        rc = 1;
        goto done;
    }
    sock = net_connect(host, port, err, sizeof err);
    if (sock < 0) {
        if (!drive_expired)
            fprintf(stderr, "%s: %s\n", who, err);
        rc = drive_expired ? DRIVE_TIMED_OUT : 1;
        goto done;
    }
    /* Each chunk its own segment: a one-byte split really arrives one byte at a time. */
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    /* A fixed buffer also ends the kernel's growing of it: its window closes for good. */
    if (o->rcvbuf > 0 &&
        setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &o->rcvbuf, sizeof o->rcvbuf) < 0) {
        fprintf(stderr, "%s: setsockopt SO_RCVBUF: %s\n", who, strerror(errno));
        rc = 1;
        goto done;
    }
    if (net_set_nonblocking(sock) < 0) {
        fprintf(stderr, "%s: fcntl: %s\n", who, strerror(errno));
        rc = 1;
        goto done;
    }

    while (!peer_eof || !finished_sending) {
        struct pollfd p = {sock, 0, 0};
        if (drive_expired) {
            rc = DRIVE_TIMED_OUT;
            break;
        }
        if (!finished_sending && pend_off == pend_len && !in_eof) {
            ssize_t n = read(in, pending, DRIVE_IO_SIZE);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                fprintf(stderr, "%s: read input: %s\n", who, strerror(errno));
                rc = 1;
                break;
            }
            if (n == 0)
                in_eof = true;
            pend_len = (size_t)n;
            pend_off = 0;
        }
        if (!finished_sending && pend_off == pend_len && in_eof) {
            finished_sending = true;
            if (o->hold_ms > 0)
                drive_pause_us(o->hold_ms * 1000);
            if (o->reset) {
                struct linger lg = {1, 0}; /* linger 0: close() sends RST */
                setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                break;
            }
            if (!o->no_shutdown && shutdown(sock, SHUT_WR) < 0) {
                fprintf(stderr, "%s: shutdown: %s\n", who, strerror(errno));
                rc = 1;
                break;
            }
            if (o->no_read)
                break;
            continue;
        }
        if (!finished_sending)
            p.events |= POLLOUT;
        if (!o->no_read && !peer_eof)
            p.events |= POLLIN;
        if (p.events == 0)
            break;
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: poll: %s\n", who, strerror(errno));
            rc = 1;
            break;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(sock, rbuf, DRIVE_IO_SIZE, 0);
            if (n > 0) {
                size_t got = 0;
                while (got < (size_t)n) {
                    ssize_t w = write(out, rbuf + got, (size_t)n - got);
                    if (w < 0 && errno == EINTR && !drive_expired)
                        continue;
                    if (w < 0 && drive_expired) {
                        rc = DRIVE_TIMED_OUT;
                        goto done;
                    }
                    if (w < 0) {
                        fprintf(stderr, "%s: write output: %s\n", who, strerror(errno));
                        rc = 1;
                        goto done;
                    }
                    got += (size_t)w;
                }
                received += n;
                if (o->stop_after >= 0 && received >= o->stop_after)
                    break;
            } else if (n == 0) {
                peer_eof = true;
                if (!finished_sending && o->no_read)
                    break;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "%s: recv: %s (after %lld bytes)\n", who, strerror(errno),
                        received);
                rc = 1;
                break;
            }
        }
        if (!finished_sending && (p.revents & POLLOUT)) {
            size_t want = drive_next_chunk(o, pend_len - pend_off);
            ssize_t n = send(sock, pending + pend_off, want, 0);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "%s: send: %s\n", who, strerror(errno));
                rc = 1;
                break;
            }
            if (n > 0) {
                pend_off += (size_t)n;
                if (o->delay_us > 0)
                    drive_pause_us(o->delay_us);
            }
        }
        /* When the peer has closed its side, what remains is still sent: it may read. */
    }
done:
    alarm(0);
    if (sock >= 0)
        close(sock);
    free(pending);
    free(rbuf);
    return rc;
}

#endif
