/* lossy.c - a test tool: a lossy path for datagrams, between a client and a server, or in
 * front of an echo of its own.
 *
 *   lossy [OPTIONS] LISTEN [TARGET]
 *
 * LISTEN and TARGET are HOST:PORT, [HOST]:PORT, unix:PATH or unix:@NAME. lossy binds LISTEN
 * and prints "Listening on ADDR", like the kit's servers. With a TARGET it relays: each
 * client's datagrams go on to TARGET from a socket of its own for that client, and what
 * comes back goes to the client from LISTEN. Without one it is the kit's own echo server:
 * every datagram is answered with the same bytes. On the way, in either direction, it
 * drops, duplicates, delays, reorders, corrupts or forges datagrams, by an explicit pattern
 * or at random from a seed, so that a test knows exactly what a client must count.
 *
 * Datagrams are numbered from 1 in each direction, in the order lossy receives them: "up"
 * towards the server (the probes), "down" back to the client (the echoes). A pattern is
 * DIR:N[,N...], for example --drop up:3,7 (lose the 3rd and 7th probe).
 *   --drop DIR:N,...       never deliver them
 *   --dup DIR:N,...        deliver them twice
 *   --delay DIR:N=MS,...   deliver them MS milliseconds late
 *   --swap DIR:N,...       hold N back and deliver it right after N+1 (or --hold-ms later)
 *   --corrupt DIR:N,...    flip every bit of the middle byte
 *   --truncate DIR:N,...   deliver only the first half
 *   --pad DIR:N,...        deliver it with one byte more
 *   --forge DIR:N,...      deliver it from another address (a stranger) instead
 *   --stranger DIR:N,...   deliver it, and a copy from another address too
 *   --silent               deliver nothing down (an echo server that never answers)
 *   --seed S               random impairments, the same for the same S and the same traffic:
 *   --loss P --dup-rate P --reorder-rate P (probabilities 0..1) --delay-max MS, both ways
 *   --hold-ms MS           the longest a swapped datagram waits for the next (default 300)
 *   --in-time MS           for the tally: an echo delivered later than MS after its probe
 *                          arrived does not count as answered (default 1000)
 *   --record FILE          writes a line "up N LEN HASH" to FILE for each datagram going
 *                          up (HASH: FNV-1a of its bytes, in hex), so a test sees the probes
 * It prints a line per datagram that something happened to ("up 3 (56 bytes): dropped"),
 * and when stopped (SIGTERM, SIGINT) a tally: "tally probes=N answered=M", N counting the
 * distinct probes received and M those of which an intact echo was delivered in time (an
 * echo is recognised by its bytes, whatever the client puts in them). Socket files it
 * creates are made writable by anyone (the programs under test run as other users) and
 * removed at exit. Exit: 0, 1 on a setup error, 2 on bad arguments.
 *
 * Handout: compiled only. Without a TARGET it is lesson 04's echo server, Unix sockets and
 * all: the student handout carries lossy as a static binary and not this source
 * (tests/tools.mk). */
#include "dgram-addr.h"
#include "dgram.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 262144
#define MAX_CLIENTS 64
#define MAX_PATTERN 64
#define MAX_PENDING 4096
#define MAX_PROBES 100000

enum dir { UP, DOWN };
static const char *dir_name[] = {"up", "down"};

enum kind { DROP, DUP, DELAY, SWAP, CORRUPT, TRUNCATE, PAD, FORGE, STRANGER, KINDS };
static const char *kind_opt[] = {"--drop",     "--dup", "--delay", "--swap",    "--corrupt",
                                 "--truncate", "--pad", "--forge", "--stranger"};

struct rule {
    long n;
    long ms; /* --delay */
};
struct pattern {
    struct rule rules[MAX_PATTERN];
    int count;
};
static struct pattern patterns[KINDS][2];

struct client {
    struct dgram_addr addr; /* the client's address */
    int up_fd;              /* relay: the socket towards the target for this client */
    struct dgram_addr up;   /* its own address, if it is a Unix one */
};

/* A datagram waiting to be delivered. */
struct pending {
    int64_t due;          /* when */
    long order;           /* ties broken in the order scheduled */
    int from_fd;          /* the socket it goes out of */
    struct dgram_addr to; /* where */
    unsigned char *data;
    size_t len;
    bool intact; /* an unaltered echo: counts for the tally */
    bool held;   /* a swapped datagram waiting for the next one */
    enum dir dir;
};

struct probe_rec {
    uint64_t hash;
    size_t len;
    int64_t arrived;
    bool answered;
};

static struct client clients[MAX_CLIENTS];
static int nclients;
static struct pending pending[MAX_PENDING];
static int npending;
static long order_seq;
static struct probe_rec *probes;
static long nprobes;
static long counts[2];
static uint64_t seed;
static bool random_mode;
static double p_loss, p_dup, p_reorder;
static long delay_max_ms, hold_ms = 300, in_time_ms = 1000;
static bool silent;
static FILE *record;
static int listen_fd = -1, stranger_fd = -1;
static struct dgram_addr listen_addr, target, stranger_addr;
static bool relay;
static char created[MAX_CLIENTS + 2][128]; /* socket files to remove at exit */
static int ncreated;

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A number in [0, 1) decided by the seed, the direction, the datagram's number and what is
 * being decided: the same run replays exactly. */
static double chance(enum dir d, long n, int what)
{
    return (double)(mix(seed ^ mix(((uint64_t)d << 56) ^ ((uint64_t)what << 48) ^ (uint64_t)n)) >>
                    11) /
           9007199254740992.0;
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static const struct rule *rule_for(enum kind k, enum dir d, long n)
{
    for (int i = 0; i < patterns[k][d].count; i++)
        if (patterns[k][d].rules[i].n == n)
            return &patterns[k][d].rules[i];
    return NULL;
}

static int parse_pattern(enum kind k, const char *text)
{
    enum dir d;
    const char *p;
    char *end;

    if (strncmp(text, "up:", 3) == 0) {
        d = UP;
        p = text + 3;
    } else if (strncmp(text, "down:", 5) == 0) {
        d = DOWN;
        p = text + 5;
    } else {
        return -1;
    }
    while (*p != '\0') {
        struct rule r = {0, 0};

        r.n = strtol(p, &end, 10);
        if (end == p || r.n < 1)
            return -1;
        p = end;
        if (k == DELAY) {
            if (*p != '=')
                return -1;
            r.ms = strtol(p + 1, &end, 10);
            if (end == p + 1 || r.ms < 0)
                return -1;
            p = end;
        }
        if (patterns[k][d].count == MAX_PATTERN)
            return -1;
        patterns[k][d].rules[patterns[k][d].count++] = r;
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
    }
    return 0;
}

/* Remembers a socket file to remove at exit, and lets anyone send to it. */
static void created_file(const struct dgram_addr *a)
{
    const char *path = dgram_unix_path(a);

    if (path == NULL || ncreated == (int)(sizeof created / sizeof created[0]))
        return;
    chmod(path, 0777);
    snprintf(created[ncreated++], sizeof created[0], "%s", path);
}

/* A socket bound to a Unix name made from LISTEN's: NAME in its folder, or @NAME. */
static int unix_socket_named(const char *name, struct dgram_addr *out)
{
    const char *path = dgram_unix_path(&listen_addr);
    char full[256];
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    if (fd < 0)
        return -1;
    if (path != NULL) {
        const char *slash = strrchr(path, '/');
        int dir = slash != NULL ? (int)(slash - path) + 1 : 0;

        snprintf(full, sizeof full, "%.*s%s.sock", dir, path, name);
        unlink(full);
    } else {
        snprintf(full, sizeof full, "%s", name);
    }
    if (dgram_unix_addr(full, path == NULL, out) < 0 ||
        bind(fd, (struct sockaddr *)&out->ss, out->len) < 0) {
        perror("lossy: bind");
        close(fd);
        return -1;
    }
    created_file(out);
    return fd;
}

static void say(enum dir d, long n, size_t len, const char *what)
{
    printf("%s %ld (%zu bytes): %s\n", dir_name[d], n, len, what);
}

/* Schedules a copy of data for delivery at due. */
static struct pending *schedule(enum dir d, int from_fd, const struct dgram_addr *to,
                                const unsigned char *data, size_t len, int64_t due, bool intact)
{
    struct pending *q;

    if (npending == MAX_PENDING)
        return NULL;
    q = &pending[npending++];
    q->due = due;
    q->order = order_seq++;
    q->from_fd = from_fd;
    q->to = *to;
    q->len = len;
    q->intact = intact;
    q->held = false;
    q->dir = d;
    q->data = malloc(len > 0 ? len : 1);
    if (q->data == NULL) {
        npending--;
        return NULL;
    }
    memcpy(q->data, data, len);
    return q;
}

/* The tally: a down datagram delivered now; if intact and the echo of a probe, in time, that
 * probe is answered. */
static void tally_delivery(const struct pending *q, int64_t now)
{
    uint64_t h;

    if (q->dir != DOWN || !q->intact)
        return;
    h = fnv(q->data, q->len);
    for (long i = nprobes - 1; i >= 0; i--) {
        if (probes[i].hash == h && probes[i].len == q->len) {
            if (now - probes[i].arrived <= in_time_ms)
                probes[i].answered = true;
            return;
        }
    }
}

static void pass(enum dir d, const unsigned char *data, size_t len, int from_fd,
                 const struct dgram_addr *to);

/* Delivers q. In echo mode a probe's delivery "up" is the echo's start "down". */
static void deliver(struct pending *q, int64_t now)
{
    if (q->dir == UP && q->from_fd < 0) {
        pass(DOWN, q->data, q->len, listen_fd, &q->to);
        return;
    }
    if (sendto(q->from_fd, q->data, q->len, 0, (struct sockaddr *)&q->to.ss, q->to.len) < 0) {
        printf("%s: sendto failed (%s)\n", dir_name[q->dir], strerror(errno));
    } else {
        tally_delivery(q, now);
    }
}

/* A datagram came in, going direction d; from_fd/to say how it goes on. Applies the rules. */
static void pass(enum dir d, const unsigned char *data, size_t len, int from_fd,
                 const struct dgram_addr *to)
{
    long n = ++counts[d];
    int64_t now = now_ms();
    int64_t due = now;
    const struct rule *r;
    unsigned char *copy = NULL;
    bool intact = true;
    int copies = 1;
    bool swap = false, forge = false, stranger = false;
    struct pending *q;
    long first_new = order_seq; /* what is scheduled from here on is this datagram */

    if (d == UP && record != NULL)
        fprintf(record, "up %ld %zu %016llx\n", n, len, (unsigned long long)fnv(data, len));
    if (d == UP && nprobes < MAX_PROBES) {
        uint64_t h = fnv(data, len);
        bool seen = false;

        for (long i = 0; i < nprobes && !seen; i++)
            seen = probes[i].hash == h && probes[i].len == len;
        if (!seen) {
            probes[nprobes].hash = h;
            probes[nprobes].len = len;
            probes[nprobes].arrived = now;
            probes[nprobes].answered = false;
            nprobes++;
        }
    }
    if ((d == DOWN && silent) || rule_for(DROP, d, n) != NULL ||
        (random_mode && chance(d, n, 1) < p_loss)) {
        say(d, n, len, "dropped");
        return;
    }
    if ((r = rule_for(DELAY, d, n)) != NULL) {
        due += r->ms;
        printf("%s %ld (%zu bytes): delayed %ld ms\n", dir_name[d], n, len, r->ms);
    } else if (random_mode && delay_max_ms > 0) {
        due += (int64_t)(chance(d, n, 2) * (double)delay_max_ms);
    }
    if (rule_for(DUP, d, n) != NULL || (random_mode && chance(d, n, 3) < p_dup)) {
        copies = 2;
        say(d, n, len, "duplicated");
    }
    if (rule_for(SWAP, d, n) != NULL || (random_mode && chance(d, n, 4) < p_reorder)) {
        swap = true;
        say(d, n, len, "held back, to come after the next one");
    }
    copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, data, len);
    if (rule_for(CORRUPT, d, n) != NULL && len > 0) {
        copy[len / 2] ^= 0xff;
        intact = false;
        say(d, n, len, "corrupted (the middle byte's bits flipped)");
    }
    if (rule_for(TRUNCATE, d, n) != NULL) {
        len /= 2;
        intact = false;
        say(d, n, len, "cut to half its size");
    }
    if (rule_for(PAD, d, n) != NULL) {
        copy[len++] = 0x5a;
        intact = false;
        say(d, n, len, "one byte added");
    }
    /* Strangers answer clients: down only. */
    forge = d == DOWN && rule_for(FORGE, d, n) != NULL;
    stranger = d == DOWN && rule_for(STRANGER, d, n) != NULL;
    if ((forge || stranger) && stranger_fd >= 0) {
        /* A stranger's copy does not answer the probe, even if the client takes it. */
        struct pending *s = schedule(d, stranger_fd, to, copy, len, due, false);

        if (s != NULL)
            say(d, n, len,
                forge ? "delivered from a stranger's address instead"
                      : "delivered, and a copy from a stranger's address");
    }
    if (!forge) {
        for (int i = 0; i < copies; i++) {
            q = schedule(d, from_fd, to, copy, len, due, intact);
            if (q != NULL && swap && i == 0) {
                q->held = true;
                q->due = now + hold_ms;
            }
        }
        /* Anything held back in this direction before goes right after this one. */
        for (int i = 0; i < npending; i++) {
            if (pending[i].dir == d && pending[i].held && pending[i].order < first_new) {
                pending[i].held = false;
                pending[i].due = due;
                pending[i].order = order_seq++;
            }
        }
    }
    free(copy);
}

static void deliver_due(void)
{
    int64_t now = now_ms();

    for (;;) {
        int best = -1;

        for (int i = 0; i < npending; i++) {
            if (pending[i].due <= now &&
                (best < 0 || pending[i].due < pending[best].due ||
                 (pending[i].due == pending[best].due && pending[i].order < pending[best].order)))
                best = i;
        }
        if (best < 0)
            return;
        /* Out of the list first: delivering may schedule more (an echo). */
        struct pending q = pending[best];

        pending[best] = pending[--npending];
        deliver(&q, now);
        free(q.data);
    }
}

static struct client *client_for(const struct sockaddr *sa, socklen_t len)
{
    struct client *c;
    char name[32];

    for (int i = 0; i < nclients; i++)
        if (dgram_same((struct sockaddr *)&clients[i].addr.ss, clients[i].addr.len, sa, len))
            return &clients[i];
    if (nclients == MAX_CLIENTS)
        return NULL;
    c = &clients[nclients];
    memset(c, 0, sizeof *c);
    memcpy(&c->addr.ss, sa, len);
    c->addr.len = len;
    c->up_fd = -1;
    if (relay) {
        if (target.ss.ss_family == AF_UNIX) {
            snprintf(name, sizeof name, "lossy-%ld-%d", (long)getpid(), nclients);
            c->up_fd = unix_socket_named(name, &c->up);
        } else {
            c->up_fd = socket(target.ss.ss_family, SOCK_DGRAM, 0);
        }
        if (c->up_fd < 0)
            return NULL;
    }
    nclients++;
    return c;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: lossy [--drop|--dup|--swap|--corrupt|--truncate|--pad|--forge|--stranger "
            "DIR:N,...]\n"
            "             [--delay DIR:N=MS,...] [--silent] [--seed S [--loss P] [--dup-rate P]\n"
            "             [--reorder-rate P] [--delay-max MS]] [--hold-ms MS] [--in-time MS]\n"
            "             [--record FILE] LISTEN [TARGET]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static unsigned char buf[MAX_DGRAM];
    char name[DGRAM_ADDRSTRLEN];
    struct sockaddr_storage self;
    socklen_t self_len = sizeof self;
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int k;

        if (strcmp(opt, "--silent") == 0) {
            silent = true;
            continue;
        }
        if (val == NULL)
            return usage();
        i++;
        for (k = 0; k < KINDS; k++)
            if (strcmp(opt, kind_opt[k]) == 0)
                break;
        if (k < KINDS) {
            if (parse_pattern((enum kind)k, val) < 0)
                return usage();
        } else if (strcmp(opt, "--seed") == 0) {
            seed = strtoull(val, NULL, 10);
            random_mode = true;
        } else if (strcmp(opt, "--loss") == 0) {
            p_loss = atof(val);
        } else if (strcmp(opt, "--dup-rate") == 0) {
            p_dup = atof(val);
        } else if (strcmp(opt, "--reorder-rate") == 0) {
            p_reorder = atof(val);
        } else if (strcmp(opt, "--delay-max") == 0) {
            delay_max_ms = atol(val);
        } else if (strcmp(opt, "--hold-ms") == 0) {
            hold_ms = atol(val);
        } else if (strcmp(opt, "--record") == 0) {
            record = fopen(val, "w");
            if (record == NULL)
                return 1;
            setvbuf(record, NULL, _IOLBF, 0);
        } else if (strcmp(opt, "--in-time") == 0) {
            in_time_ms = atol(val);
        } else {
            return usage();
        }
    }
    if (argc - i < 1 || argc - i > 2)
        return usage();
    if (parse_addr("lossy", argv[i], true, &listen_addr) < 0)
        return usage();
    relay = argc - i == 2;
    if (relay && parse_addr("lossy", argv[i + 1], false, &target) < 0)
        return usage();
    probes = calloc(MAX_PROBES, sizeof *probes);
    if (probes == NULL || signals_install() < 0)
        return 1;

    listen_fd = socket(listen_addr.ss.ss_family, SOCK_DGRAM, 0);
    if (listen_fd < 0)
        return 1;
    if (dgram_unix_path(&listen_addr) != NULL)
        unlink(dgram_unix_path(&listen_addr));
    if (bind(listen_fd, (struct sockaddr *)&listen_addr.ss, listen_addr.len) < 0) {
        perror("lossy: bind");
        return 1;
    }
    created_file(&listen_addr);
    if (listen_addr.ss.ss_family == AF_UNIX) {
        snprintf(name, sizeof name, "lossy-stranger-%ld", (long)getpid());
        stranger_fd = unix_socket_named(name, &stranger_addr);
    } else {
        stranger_fd = socket(listen_addr.ss.ss_family, SOCK_DGRAM, 0);
    }
    if (net_set_nonblocking(listen_fd) < 0 ||
        getsockname(listen_fd, (struct sockaddr *)&self, &self_len) < 0 ||
        dgram_format((struct sockaddr *)&self, self_len, name, sizeof name) < 0)
        return 1;
    printf("Listening on %s\n", name);

    while (!signals_stop_requested()) {
        fd_set readable;
        int max_fd = listen_fd;
        struct timespec timeout = {1, 0};
        int64_t now = now_ms();

        FD_ZERO(&readable);
        FD_SET(listen_fd, &readable);
        for (int c = 0; c < nclients; c++) {
            if (clients[c].up_fd >= 0) {
                FD_SET(clients[c].up_fd, &readable);
                if (clients[c].up_fd > max_fd)
                    max_fd = clients[c].up_fd;
            }
        }
        for (int p = 0; p < npending; p++) {
            int64_t wait = pending[p].due - now;

            if (wait < 0)
                wait = 0;
            if (wait < timeout.tv_sec * 1000 + timeout.tv_nsec / 1000000) {
                timeout.tv_sec = (time_t)(wait / 1000);
                timeout.tv_nsec = (long)(wait % 1000) * 1000000;
            }
        }
        if (pselect(max_fd + 1, &readable, NULL, NULL, &timeout, signals_wait_mask()) < 0) {
            if (errno == EINTR)
                continue;
            perror("lossy: pselect");
            break;
        }
        if (FD_ISSET(listen_fd, &readable)) {
            for (;;) {
                struct sockaddr_storage from;
                socklen_t from_len = sizeof from;
                ssize_t n =
                    recvfrom(listen_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
                struct client *c;

                if (n < 0)
                    break;
                c = client_for((struct sockaddr *)&from, from_len);
                if (c == NULL)
                    continue;
                /* In echo mode the probe goes "up" to no socket (-1): its delivery is
                 * the echo's start down to the client (deliver()). */
                if (relay)
                    pass(UP, buf, (size_t)n, c->up_fd, &target);
                else
                    pass(UP, buf, (size_t)n, -1, &c->addr);
            }
        }
        for (int c = 0; c < nclients; c++) {
            if (clients[c].up_fd < 0 || !FD_ISSET(clients[c].up_fd, &readable))
                continue;
            for (;;) {
                ssize_t n = recv(clients[c].up_fd, buf, sizeof buf, MSG_DONTWAIT);

                if (n < 0)
                    break;
                pass(DOWN, buf, (size_t)n, listen_fd, &clients[c].addr);
            }
        }
        deliver_due();
    }
    {
        long answered = 0;

        for (long p = 0; p < nprobes; p++)
            answered += probes[p].answered;
        printf("tally probes=%ld answered=%ld\n", nprobes, answered);
    }
    for (int f = 0; f < ncreated; f++)
        unlink(created[f]);
    return 0;
}
