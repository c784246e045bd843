/* tcpdrive.c - a test tool: one TCP connection driven the way a test needs.
 *
 * Sends bytes (stdin or --send FILE) with a chosen chunking while reading whatever comes
 * back at the same time (poll), so it never deadlocks however much is in flight. Received
 * bytes go to stdout (or --output FILE). After sending it half-closes and reads until the
 * peer closes, unless told otherwise.
 *
 *   tcpdrive [options] HOST PORT
 *     --split whole|1|random  chunking of what is sent (default whole: as read)
 *     --max-chunk N           largest random chunk (default 1000)
 *     --seed N                seed for random splits (default 1)
 *     --delay-us N            pause between chunks, in microseconds (default 0)
 *     --send FILE             bytes to send (default stdin)
 *     --no-read               never read (what arrives piles up in the kernel)
 *     --rcvbuf N              a receive buffer of N bytes (SO_RCVBUF): with --no-read, the
 *                             peer's sends stall for good once that much has arrived
 *     --hold-ms N             after sending, stay silent N ms before finishing
 *     --reset                 finish with an abortive close (RST) instead of a half-close
 *     --stop-after N          finish as soon as N bytes have been received
 *     --no-shutdown           finish by waiting for the peer to close, without half-closing
 *     --output FILE           where received bytes go (default stdout)
 * Exit: 0 done; 1 a connection or I/O error; 2 bad arguments. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
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

#define IO_SIZE 65536

struct options {
    const char *split;
    size_t max_chunk;
    unsigned seed;
    long delay_us;
    const char *send_file;
    const char *output;
    bool no_read, reset, no_shutdown;
    long hold_ms;
    long long stop_after;
    int rcvbuf;
};

static void pause_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static size_t next_chunk(const struct options *o, size_t available)
{
    size_t n = available;
    if (strcmp(o->split, "1") == 0)
        n = 1;
    else if (strcmp(o->split, "random") == 0)
        n = 1 + (size_t)rand() % o->max_chunk;
    return n < available ? n : available;
}

static int usage(void)
{
    fprintf(stderr, "usage: tcpdrive [--split whole|1|random] [--max-chunk N] [--seed N] "
                    "[--delay-us N] [--send FILE] [--no-read] [--hold-ms N] [--reset] "
                    "[--stop-after N] [--no-shutdown] [--rcvbuf N] [--output FILE] HOST PORT\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct options o = {"whole", 1000, 1, 0, NULL, NULL, false, false, false, 0, -1, 0};
    char err[NET_ERRLEN];
    int i, sock, in = STDIN_FILENO, out = STDOUT_FILENO;
    unsigned char *pending = malloc(IO_SIZE), *rbuf = malloc(IO_SIZE);
    size_t pend_len = 0, pend_off = 0;
    bool in_eof = false, peer_eof = false, finished_sending = false;
    long long received = 0;
    int rc = 0;

    signal(SIGPIPE, SIG_IGN);
    if (pending == NULL || rbuf == NULL)
        return 1;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-read") == 0) {
            o.no_read = true;
            continue;
        }
        if (strcmp(a, "--reset") == 0) {
            o.reset = true;
            continue;
        }
        if (strcmp(a, "--no-shutdown") == 0) {
            o.no_shutdown = true;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--split") == 0)
            o.split = v;
        else if (strcmp(a, "--max-chunk") == 0)
            o.max_chunk = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o.seed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--delay-us") == 0)
            o.delay_us = strtol(v, NULL, 10);
        else if (strcmp(a, "--send") == 0)
            o.send_file = v;
        else if (strcmp(a, "--hold-ms") == 0)
            o.hold_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--stop-after") == 0)
            o.stop_after = strtoll(v, NULL, 10);
        else if (strcmp(a, "--output") == 0)
            o.output = v;
        else if (strcmp(a, "--rcvbuf") == 0)
            o.rcvbuf = (int)strtol(v, NULL, 10);
        else
            return usage();
    }
    if (argc - i != 2 || o.max_chunk == 0)
        return usage();
    srand(o.seed);
    if (o.send_file && (in = open(o.send_file, O_RDONLY)) < 0) {
        perror(o.send_file);
        return 1;
    }
    if (o.output && (out = open(o.output, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        perror(o.output);
        return 1;
    }
    sock = net_connect(argv[i], argv[i + 1], err, sizeof err);
    if (sock < 0) {
        fprintf(stderr, "tcpdrive: %s\n", err);
        return 1;
    }
    {
        /* Each chunk its own segment: a one-byte split really arrives one byte at a time. */
        int on = 1;
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    /* A fixed buffer also ends the kernel's growing of it: its window closes for good. */
    if (o.rcvbuf > 0 && setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &o.rcvbuf, sizeof o.rcvbuf) < 0) {
        perror("tcpdrive: setsockopt SO_RCVBUF");
        return 1;
    }
    if (net_set_nonblocking(sock) < 0) {
        perror("tcpdrive: fcntl");
        return 1;
    }

    while (!peer_eof || !finished_sending) {
        struct pollfd p = {sock, 0, 0};
        if (!finished_sending && pend_off == pend_len && !in_eof) {
            ssize_t n = read(in, pending, IO_SIZE);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                perror("tcpdrive: read input");
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
            if (o.hold_ms > 0)
                pause_us(o.hold_ms * 1000);
            if (o.reset) {
                struct linger lg = {1, 0}; /* linger 0: close() sends RST */
                setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                break;
            }
            if (!o.no_shutdown && shutdown(sock, SHUT_WR) < 0) {
                perror("tcpdrive: shutdown");
                rc = 1;
                break;
            }
            if (o.no_read)
                break;
            continue;
        }
        if (!finished_sending)
            p.events |= POLLOUT;
        if (!o.no_read && !peer_eof)
            p.events |= POLLIN;
        if (p.events == 0)
            break;
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("tcpdrive: poll");
            rc = 1;
            break;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(sock, rbuf, IO_SIZE, 0);
            if (n > 0) {
                size_t done = 0;
                while (done < (size_t)n) {
                    ssize_t w = write(out, rbuf + done, (size_t)n - done);
                    if (w < 0) {
                        perror("tcpdrive: write output");
                        return 1;
                    }
                    done += (size_t)w;
                }
                received += n;
                if (o.stop_after >= 0 && received >= o.stop_after)
                    break;
            } else if (n == 0) {
                peer_eof = true;
                if (!finished_sending && o.no_read)
                    break;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "tcpdrive: recv: %s (after %lld bytes)\n", strerror(errno),
                        received);
                rc = 1;
                break;
            }
        }
        if (!finished_sending && (p.revents & POLLOUT)) {
            size_t want = next_chunk(&o, pend_len - pend_off);
            ssize_t n = send(sock, pending + pend_off, want, 0);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fprintf(stderr, "tcpdrive: send: %s\n", strerror(errno));
                rc = 1;
                break;
            }
            if (n > 0) {
                pend_off += (size_t)n;
                if (o.delay_us > 0)
                    pause_us(o.delay_us);
            }
        }
        if (peer_eof && !finished_sending && pend_off < pend_len) {
            /* The peer closed its side; keep sending what remains (it may still read). */
        }
    }
    close(sock);
    free(pending);
    free(rbuf);
    return rc;
}
