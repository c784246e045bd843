/* mcload.c - a test tool: many TCP connections to an echo server, every byte checked.
 *
 * Opens the connections (all at once by default), sends each its own random binary data
 * in random-sized pieces while reading the echo back (poll, non-blocking: it never
 * deadlocks), and checks every byte. By default no connection finishes before every one
 * has had some of its echo back, so a server that serves one client at a time stalls
 * and fails instead of passing slowly.
 *
 *   mcload [options] HOST PORT
 *     --conns N         connections (default 10)
 *     --at-once K       at most K open at a time (default: all); 1 = one after another
 *     --min-bytes A     each connection sends a random size from A ... (default 1)
 *     --max-bytes B     ... to B bytes (default 65536)
 *     --max-chunk N     each send() takes a random 1..N bytes (default 1024)
 *     --seed S          seed for sizes, bytes and splits (default 1)
 *     --finish MODE     once a connection has sent everything: shutdown (half-close, then
 *                       expect the whole echo and the server's close; default), close or
 *                       reset (RST) once the whole echo is back, or mixed (the three in turn)
 *     --no-barrier      let connections finish without waiting for the others
 *     --silent-after N  each connection sends N bytes, waits for their echo, then stays
 *                       silent; when all have their echo, prints "mcload: holding N
 *                       connections" and keeps them open until killed, reporting each one
 *                       the server closes (N=0: just connect and hold)
 *     --timeout S       give up when nothing happens for S seconds (default 10)
 * Prints "mcload: N connections, B bytes echoed intact" and exits 0 when all went well.
 * Otherwise prints what went wrong on stderr and exits: 1 wrong bytes came back; 3 a
 * connection was closed or reset too early; 4 nothing happened for --timeout seconds;
 * 5 a connection could not be opened; 2 bad arguments. */
#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define IO_SIZE 65536

enum finish { FIN_SHUTDOWN, FIN_CLOSE, FIN_RESET };
enum exit_code {
    EX_OK = 0,
    EX_BYTES = 1,
    EX_USAGE = 2,
    EX_EARLY = 3,
    EX_STALL = 4,
    EX_CONNECT = 5
};

struct conn {
    int fd;
    unsigned char *data;
    size_t len, sent, received;
    enum finish finish;
    bool opened, done, half_closed, echoed_some;
};

static struct {
    long conns, at_once, min_bytes, max_bytes, max_chunk, silent_after, timeout;
    unsigned long seed;
    const char *finish;
    bool barrier;
} opt = {10, 0, 1, 65536, 1024, -1, 10, 1, "shutdown", true};

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64*: reproducible from --seed, good enough for test data. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static long rng_range(long lo, long hi)
{
    return lo + (long)(rng() % (uint64_t)(hi - lo + 1));
}

static int usage(void)
{
    fprintf(stderr, "usage: mcload [--conns N] [--at-once K] [--min-bytes A] [--max-bytes B] "
                    "[--max-chunk N] [--seed S] [--finish shutdown|close|reset|mixed] "
                    "[--no-barrier] [--silent-after N] [--timeout S] HOST PORT\n");
    return EX_USAGE;
}

static void die(int code, long id, const char *fmt, const char *detail)
{
    fprintf(stderr, "mcload: connection %ld: ", id);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    exit(code);
}

static long parse_long(const char *s)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        fprintf(stderr, "mcload: not a number: %s\n", s);
        exit(usage());
    }
    return v;
}

static const char *host, *port;

static void open_conn(struct conn *c, long id)
{
    char err[NET_ERRLEN];
    int on = 1;

    c->fd = net_connect(host, port, err, sizeof err);
    if (c->fd < 0) {
        fprintf(stderr, "mcload: connection %ld: %s\n", id, err);
        exit(EX_CONNECT);
    }
    /* Each piece its own segment, so the server really sees the random splits. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (net_set_nonblocking(c->fd) < 0) {
        perror("mcload: fcntl");
        exit(EX_CONNECT);
    }
    c->opened = true;
}

static void close_conn(struct conn *c)
{
    if (c->finish == FIN_RESET) {
        struct linger lg = {1, 0}; /* close() then sends RST */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    c->fd = -1;
    c->done = true;
    free(c->data);
    c->data = NULL;
}

/* Reads what is there; checks it. Returns false when the peer closed (EOF or reset). */
static bool read_some(struct conn *c, long id, unsigned char *buf)
{
    ssize_t n = recv(c->fd, buf, IO_SIZE, 0);
    char detail[160];

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;
        snprintf(detail, sizeof detail, "%s after %zu of %zu bytes came back", strerror(errno),
                 c->received, c->len);
        if (opt.silent_after >= 0)
            return false;
        die(EX_EARLY, id, "recv: %s", detail);
    }
    if (n == 0) {
        if (opt.silent_after >= 0)
            return false;
        if (c->half_closed && c->received == c->len)
            return false; /* the expected end */
        snprintf(detail, sizeof detail, "after %zu of %zu bytes came back (%zu sent)", c->received,
                 c->len, c->sent);
        die(EX_EARLY, id, "the server closed the connection %s", detail);
    }
    if (c->received + (size_t)n > c->sent) {
        snprintf(detail, sizeof detail, "%zu bytes came back but only %zu were sent",
                 c->received + (size_t)n, c->sent);
        die(EX_BYTES, id, "%s", detail);
    }
    for (size_t i = 0; i < (size_t)n; i++) {
        size_t at = c->received + i;
        if (buf[i] != c->data[at]) {
            snprintf(detail, sizeof detail, "byte %zu of %zu came back as 0x%02x, 0x%02x was sent",
                     at, c->len, buf[i], c->data[at]);
            die(EX_BYTES, id, "%s", detail);
        }
    }
    c->received += (size_t)n;
    c->echoed_some = true;
    return true;
}

int main(int argc, char **argv)
{
    struct conn *conns;
    struct pollfd *pfds;
    long *ids;
    unsigned char *buf = malloc(IO_SIZE);
    long next = 0, open_now = 0, finished = 0, echoed_some = 0;
    unsigned long long total = 0;
    bool holding = false;
    int i;

    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-barrier") == 0) {
            opt.barrier = false;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--conns") == 0)
            opt.conns = parse_long(v);
        else if (strcmp(a, "--at-once") == 0)
            opt.at_once = parse_long(v);
        else if (strcmp(a, "--min-bytes") == 0)
            opt.min_bytes = parse_long(v);
        else if (strcmp(a, "--max-bytes") == 0)
            opt.max_bytes = parse_long(v);
        else if (strcmp(a, "--max-chunk") == 0)
            opt.max_chunk = parse_long(v);
        else if (strcmp(a, "--seed") == 0)
            opt.seed = (unsigned long)parse_long(v);
        else if (strcmp(a, "--finish") == 0)
            opt.finish = v;
        else if (strcmp(a, "--silent-after") == 0)
            opt.silent_after = parse_long(v);
        else if (strcmp(a, "--timeout") == 0)
            opt.timeout = parse_long(v);
        else
            return usage();
    }
    if (argc - i != 2 || opt.conns < 1 || opt.max_chunk < 1 || opt.min_bytes > opt.max_bytes ||
        opt.timeout < 1 ||
        (strcmp(opt.finish, "shutdown") != 0 && strcmp(opt.finish, "close") != 0 &&
         strcmp(opt.finish, "reset") != 0 && strcmp(opt.finish, "mixed") != 0))
        return usage();
    host = argv[i];
    port = argv[i + 1];
    if (opt.at_once <= 0 || opt.at_once > opt.conns)
        opt.at_once = opt.conns;
    /* The barrier only makes sense when every connection is open at the same time. */
    if (opt.at_once < opt.conns || opt.conns == 1)
        opt.barrier = false;
    rng_state = 0x9E3779B97F4A7C15ULL ^ (opt.seed * 0x100000001B3ULL);
    if (rng_state == 0)
        rng_state = 1;

    conns = calloc((size_t)opt.conns, sizeof *conns);
    pfds = calloc((size_t)opt.conns, sizeof *pfds);
    ids = calloc((size_t)opt.conns, sizeof *ids);
    if (conns == NULL || pfds == NULL || ids == NULL || buf == NULL) {
        perror("mcload");
        return 1;
    }
    for (long k = 0; k < opt.conns; k++) {
        struct conn *c = &conns[k];
        c->fd = -1;
        if (opt.silent_after >= 0)
            c->len = (size_t)opt.silent_after;
        else
            c->len = (size_t)rng_range(opt.min_bytes, opt.max_bytes);
        c->data = malloc(c->len > 0 ? c->len : 1);
        if (c->data == NULL) {
            perror("mcload");
            return 1;
        }
        for (size_t b = 0; b < c->len; b++)
            c->data[b] = (unsigned char)(rng() >> 56);
        if (c->len == 0) {
            c->echoed_some = true; /* nothing to wait for at the barrier */
            echoed_some++;
        }
        if (strcmp(opt.finish, "mixed") == 0)
            c->finish = (enum finish)(k % 3);
        else
            c->finish = strcmp(opt.finish, "close") == 0   ? FIN_CLOSE
                        : strcmp(opt.finish, "reset") == 0 ? FIN_RESET
                                                           : FIN_SHUTDOWN;
    }

    while (finished < opt.conns) {
        int n_pfds = 0, ready;

        while (open_now < opt.at_once && next < opt.conns) {
            open_conn(&conns[next], next + 1);
            next++;
            open_now++;
        }
        if (opt.silent_after >= 0 && !holding) {
            bool all = true;
            for (long k = 0; k < opt.conns; k++)
                if (!conns[k].done && conns[k].received < conns[k].len)
                    all = false;
            if (all) {
                holding = true;
                printf("mcload: holding %ld connections\n", opt.conns - finished);
                fflush(stdout);
            }
        }
        for (long k = 0; k < opt.conns; k++) {
            struct conn *c = &conns[k];
            bool barrier_open = !opt.barrier || echoed_some == opt.conns;

            if (!c->opened || c->done)
                continue;
            /* Finishing, when everything is sent (and echoed, unless half-closing). */
            if (opt.silent_after < 0 && c->sent == c->len && barrier_open) {
                if (c->finish == FIN_SHUTDOWN && !c->half_closed) {
                    if (shutdown(c->fd, SHUT_WR) < 0)
                        die(EX_EARLY, k + 1, "shutdown: %s", strerror(errno));
                    c->half_closed = true;
                } else if (c->finish != FIN_SHUTDOWN && c->received == c->len) {
                    total += c->len;
                    close_conn(c);
                    finished++;
                    open_now--;
                    continue;
                }
            }
            pfds[n_pfds].fd = c->fd;
            pfds[n_pfds].events = POLLIN;
            if (c->sent < c->len)
                pfds[n_pfds].events |= POLLOUT;
            pfds[n_pfds].revents = 0;
            ids[n_pfds] = k;
            n_pfds++;
        }
        if (n_pfds == 0)
            continue;
        ready = poll(pfds, (nfds_t)n_pfds, holding ? -1 : (int)(opt.timeout * 1000));
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            perror("mcload: poll");
            return 1;
        }
        if (ready == 0) {
            long stuck = -1;
            for (long k = 0; k < opt.conns && stuck < 0; k++)
                if (conns[k].opened && !conns[k].done)
                    stuck = k;
            fprintf(stderr,
                    "mcload: nothing happened for %ld s; %ld of %ld connections unfinished "
                    "(connection %ld: sent %zu of %zu bytes, %zu came back%s)\n",
                    opt.timeout, opt.conns - finished, opt.conns, stuck + 1, conns[stuck].sent,
                    conns[stuck].len, conns[stuck].received,
                    conns[stuck].half_closed ? ", half-closed, waiting for the server to close"
                                             : "");
            return EX_STALL;
        }
        for (int p = 0; p < n_pfds; p++) {
            struct conn *c = &conns[ids[p]];
            long id = ids[p] + 1;

            if (pfds[p].revents & (POLLIN | POLLHUP | POLLERR)) {
                bool had_some = c->echoed_some;
                if (!read_some(c, id, buf)) {
                    if (opt.silent_after >= 0) {
                        printf("mcload: connection %ld closed by the server\n", id);
                        fflush(stdout);
                    } else {
                        total += c->len;
                    }
                    close_conn(c);
                    finished++;
                    open_now--;
                    continue;
                }
                if (!had_some && c->echoed_some)
                    echoed_some++;
            }
            if ((pfds[p].revents & POLLOUT) && c->sent < c->len) {
                size_t want = (size_t)rng_range(1, opt.max_chunk);
                ssize_t n;
                if (want > c->len - c->sent)
                    want = c->len - c->sent;
                n = send(c->fd, c->data + c->sent, want, 0);
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    die(EX_EARLY, id, "send: %s", strerror(errno));
                if (n > 0)
                    c->sent += (size_t)n;
            }
        }
    }
    printf("mcload: %ld connections, %llu bytes echoed intact\n", opt.conns, total);
    free(conns);
    free(pfds);
    free(ids);
    free(buf);
    return EX_OK;
}
