/* dgramc.c - a test tool: a datagram client that drives an echo server under test.
 *
 *   dgramc [--bind ADDR] [--wait MS] [--replies N] [--out PREFIX] --send FILE... TARGET
 *   dgramc [--bind ADDR] --load --clients N --count M --size S [--tries T] TARGET
 *   dgramc --flood --clients N --count M --size S [--no-read] [--hold-ms MS] TARGET
 *   dgramc --bench --clients N --ms MS --size S TARGET
 *   dgramc --make-stale PATH
 *
 * TARGET and ADDR are HOST:PORT, [HOST]:PORT, unix:PATH or unix:@NAME. Towards a Unix
 * server each socket binds an address, or the server could not answer: ADDR if given (a
 * socket file is made writable by anyone: the server may run as another user, and removed
 * at exit), else a fresh abstract name (Linux's autobind).
 *
 * --send    sends each FILE as one datagram, back to back, then waits for the replies: until
 *           N have come (--replies, default one per datagram sent), none coming for MS
 *           (--wait, default 5000) in between. Reply i goes to PREFIX.i (--out). Prints
 *           "sent N datagrams, got M back" and one line per reply; exit 0 if all came, 3 if
 *           some did not.
 * --load    N sockets at once, each sending M datagrams of S bytes (its number, the datagram's
 *           number, random bytes), one at a time: the next once the echo of the last has come
 *           back intact, a datagram resent after a second without echo (T tries, default 5).
 *           Exit 0 if every echo came back to its sender intact; 1 if one came back wrong or
 *           to another socket (said on stderr); 4 if one never came back.
 * --flood   N sockets send M datagrams each, as fast as they can, and read what comes back
 *           unless --no-read; then stay MS (--hold-ms) without reading. Prints "sent X, got
 *           Y back". Exit 0.
 * --bench   N sockets exchange one datagram at a time each for MS; prints
 *           "result echoes=E per_second=R" (the echoes that came back). Exit 0, 4 if none.
 * --make-stale  binds a Unix socket to PATH and exits without removing it: the file a
 *           server that died leaves behind.
 *
 * Handout: compiled only. Its --load mode (an echo awaited with a timeout, resent, checked
 * byte for byte against what was sent) is much of udp-ping: the student handout carries
 * dgramc as a static binary and not this source (tests/tools.mk). */
#include "dgram-addr.h"
#include "dgram.h"
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 262144
#define MAX_SENDS 64
#define MAX_CLIENTS 512

static struct dgram_addr target;
static const char *bind_text;
static char made_file[256];

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket for talking to the target: bound as the header says for a Unix target. */
static int open_client(bool use_bind_text)
{
    int fd = socket(target.ss.ss_family, SOCK_DGRAM, 0);

    if (fd < 0) {
        perror("dgramc: socket");
        return -1;
    }
    if (target.ss.ss_family == AF_UNIX) {
        struct dgram_addr own;

        if (use_bind_text && bind_text != NULL) {
            const char *path;

            if (parse_addr("dgramc", bind_text, true, &own) < 0)
                return -1;
            path = dgram_unix_path(&own);
            if (path != NULL)
                unlink(path);
            if (bind(fd, (struct sockaddr *)&own.ss, own.len) < 0) {
                perror("dgramc: bind");
                return -1;
            }
            if (path != NULL) {
                chmod(path, 0777);
                snprintf(made_file, sizeof made_file, "%s", path);
            }
        } else {
            /* Autobind: the family alone makes Linux pick a free abstract name. */
            struct sockaddr_un sun;

            memset(&sun, 0, sizeof sun);
            sun.sun_family = AF_UNIX;
            if (bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) < 0) {
                perror("dgramc: autobind");
                return -1;
            }
        }
    }
    return fd;
}

static void cleanup(void)
{
    if (made_file[0] != '\0')
        unlink(made_file);
}

static int send_mode(const char **files, int nfiles, long replies, long wait_ms, const char *prefix)
{
    static unsigned char buf[MAX_DGRAM];
    int fd = open_client(true);
    long got = 0;

    if (fd < 0)
        return 1;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = fopen(files[i], "rb");
        size_t n;

        if (f == NULL) {
            perror(files[i]);
            return 1;
        }
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (sendto(fd, buf, n, 0, (struct sockaddr *)&target.ss, target.len) < 0) {
            fprintf(stderr, "dgramc: sendto (datagram %d, %zu bytes): %s\n", i + 1, n,
                    strerror(errno));
            return 1;
        }
    }
    {
        /* Our own address, as the server sees it: for a test reading the server's log. */
        struct sockaddr_storage self;
        socklen_t self_len = sizeof self;
        char name[DGRAM_ADDRSTRLEN];

        if (getsockname(fd, (struct sockaddr *)&self, &self_len) == 0) {
            /* Bound to the wildcard: the server sees the address the datagrams were sent
             * from, which on loopback is the target's own. */
            if (self.ss_family == AF_INET &&
                ((struct sockaddr_in *)&self)->sin_addr.s_addr == htonl(INADDR_ANY))
                ((struct sockaddr_in *)&self)->sin_addr =
                    ((struct sockaddr_in *)&target.ss)->sin_addr;
            if (self.ss_family == AF_INET6 &&
                IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&self)->sin6_addr))
                ((struct sockaddr_in6 *)&self)->sin6_addr =
                    ((struct sockaddr_in6 *)&target.ss)->sin6_addr;
            if (dgram_format((struct sockaddr *)&self, self_len, name, sizeof name) == 0)
                printf("client %s\n", name);
        }
    }
    if (replies < 0)
        replies = nfiles;
    while (got < replies) {
        struct pollfd pfd = {fd, POLLIN, 0};
        struct sockaddr_storage from;
        socklen_t from_len = sizeof from;
        char name[DGRAM_ADDRSTRLEN];
        ssize_t n;
        int r = poll(&pfd, 1, (int)wait_ms);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0) {
            printf("recvfrom: %s\n", strerror(errno));
            continue;
        }
        got++;
        if (dgram_format((struct sockaddr *)&from, from_len, name, sizeof name) < 0)
            snprintf(name, sizeof name, "?");
        printf("reply %ld: %zd bytes from %s\n", got, n, name);
        if (prefix != NULL) {
            char path[512];
            FILE *f;

            snprintf(path, sizeof path, "%s.%ld", prefix, got);
            f = fopen(path, "wb");
            if (f == NULL || fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
                perror(path);
                return 1;
            }
            fclose(f);
        }
    }
    printf("sent %d datagrams, got %ld back\n", nfiles, got);
    close(fd);
    return got >= replies ? 0 : 3;
}

struct lclient {
    int fd;
    long next;    /* the datagram awaiting its echo (1..count) */
    int tries;    /* sends of it so far */
    int64_t sent; /* when last sent */
    unsigned char *data;
};

/* The bytes of datagram n of socket client: both numbers (4 bytes each, little-endian),
 * then bytes that differ from one datagram to the next. */
static void fill(unsigned char *p, size_t size, long client, long n)
{
    uint32_t x = (uint32_t)client * 2654435761u ^ (uint32_t)n * 40503u;

    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    for (int i = 0; i < 4 && size >= 8; i++) {
        p[i] = (unsigned char)(client >> (8 * i));
        p[4 + i] = (unsigned char)(n >> (8 * i));
    }
}

static int load_mode(long nclients, long count, size_t size, int max_tries)
{
    static unsigned char buf[MAX_DGRAM];
    struct lclient *cl = calloc((size_t)nclients, sizeof *cl);
    struct pollfd *pfds = calloc((size_t)nclients, sizeof *pfds);
    unsigned char *want = malloc(size > 0 ? size : 1);
    long done = 0, resent = 0;

    if (cl == NULL || pfds == NULL || want == NULL || size < 8)
        return 1;
    for (long c = 0; c < nclients; c++) {
        cl[c].fd = open_client(false);
        if (cl[c].fd < 0)
            return 1;
        cl[c].next = 1;
        cl[c].data = malloc(size);
        if (cl[c].data == NULL)
            return 1;
        pfds[c].fd = cl[c].fd;
        pfds[c].events = POLLIN;
    }
    while (done < nclients) {
        int64_t now = now_ms();

        for (long c = 0; c < nclients; c++) {
            struct lclient *x = &cl[c];

            if (x->next > count || (x->tries > 0 && now - x->sent < 1000))
                continue;
            if (x->tries == max_tries) {
                fprintf(stderr,
                        "socket %ld, datagram %ld of %ld (%zu bytes): no echo came back, sent %d "
                        "times a second apart\n",
                        c + 1, x->next, count, size, max_tries);
                return 4;
            }
            if (x->tries > 0)
                resent++;
            fill(x->data, size, c + 1, x->next);
            if (sendto(x->fd, x->data, size, 0, (struct sockaddr *)&target.ss, target.len) < 0 &&
                errno != EAGAIN && errno != ENOBUFS) {
                fprintf(stderr, "socket %ld: sendto: %s\n", c + 1, strerror(errno));
                return 1;
            }
            x->tries++;
            x->sent = now;
        }
        if (poll(pfds, (nfds_t)nclients, 100) < 0 && errno != EINTR)
            return 1;
        for (long c = 0; c < nclients; c++) {
            struct lclient *x = &cl[c];

            if (!(pfds[c].revents & POLLIN))
                continue;
            for (;;) {
                ssize_t n = recv(x->fd, buf, sizeof buf, MSG_DONTWAIT);
                long from_client, which;

                if (n < 0)
                    break;
                if (n < 8) {
                    fprintf(stderr, "socket %ld got a %zd-byte datagram, sent none that short\n",
                            c + 1, n);
                    return 1;
                }
                from_client = buf[0] | (long)buf[1] << 8 | (long)buf[2] << 16 | (long)buf[3] << 24;
                which = buf[4] | (long)buf[5] << 8 | (long)buf[6] << 16 | (long)buf[7] << 24;
                if (from_client != c + 1) {
                    fprintf(stderr,
                            "socket %ld got the echo of socket %ld's datagram %ld: the server "
                            "answered the wrong address\n",
                            c + 1, from_client, which);
                    return 1;
                }
                if (which < x->next)
                    continue; /* the echo of a resent datagram, twice */
                fill(want, size, c + 1, which);
                if (which > x->next || (size_t)n != size || memcmp(buf, want, size) != 0) {
                    size_t at = 0;

                    while (at < size && at < (size_t)n && buf[at] == want[at])
                        at++;
                    fprintf(stderr,
                            "socket %ld, datagram %ld: sent %zu bytes, got %zd back, the first "
                            "difference at byte %zu\n",
                            c + 1, x->next, size, n, at);
                    return 1;
                }
                x->next++;
                x->tries = 0;
                if (x->next > count)
                    done++;
            }
        }
    }
    printf("%ld sockets, %ld datagrams of %zu bytes each: every echo came back intact to its "
           "sender (%ld resent)\n",
           nclients, count, size, resent);
    return 0;
}

/* Reads (and counts in *got) every datagram waiting on fd. */
static void drain(int fd, long *got)
{
    static unsigned char buf[MAX_DGRAM];

    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
        (*got)++;
}

static int flood_mode(long nclients, long count, size_t size, bool no_read, long hold_ms)
{
    int fds[MAX_CLIENTS];
    long sent = 0, got = 0;
    unsigned char *data = malloc(size > 0 ? size : 1);
    int64_t progress = now_ms();

    if (data == NULL || nclients > MAX_CLIENTS)
        return 1;
    memset(data, 'f', size);
    for (long c = 0; c < nclients; c++) {
        fds[c] = open_client(c == 0);
        if (fds[c] < 0)
            return 1;
    }
    for (long i = 0; i < count; i++) {
        for (long c = 0; c < nclients; c++) {
            /* A Unix server's queue holds a few datagrams: wait for room (the server takes
             * them), but not for ever (a server that stopped taking them). */
            while (sendto(fds[c], data, size, MSG_DONTWAIT, (struct sockaddr *)&target.ss,
                          target.len) < 0) {
                if ((errno != EAGAIN && errno != ENOBUFS) || now_ms() - progress > 3000) {
                    printf("sent %ld, then sendto: %s\n", sent,
                           errno == EAGAIN ? "the server has stopped taking datagrams"
                                           : strerror(errno));
                    i = count;
                    break;
                }
                if (!no_read)
                    drain(fds[c], &got);
                usleep(100);
            }
            if (i == count)
                break;
            sent++;
            progress = now_ms();
            if (!no_read)
                drain(fds[c], &got);
        }
    }
    printf("sent %ld\n", sent);
    if (!no_read) {
        int64_t until = now_ms() + 500;

        while (now_ms() < until) {
            for (long c = 0; c < nclients; c++)
                drain(fds[c], &got);
            usleep(1000);
        }
        printf("sent %ld, got %ld back\n", sent, got);
    }
    if (hold_ms > 0)
        usleep((useconds_t)hold_ms * 1000);
    return 0;
}

static int bench_mode(long nclients, long ms, size_t size)
{
    static unsigned char buf[MAX_DGRAM];
    struct pollfd *pfds = calloc((size_t)nclients, sizeof *pfds);
    unsigned char *data = malloc(size > 0 ? size : 1);
    long echoes = 0;
    int64_t start, end;

    if (pfds == NULL || data == NULL)
        return 1;
    memset(data, 'b', size);
    for (long c = 0; c < nclients; c++) {
        pfds[c].fd = open_client(false);
        pfds[c].events = POLLIN;
        if (pfds[c].fd < 0 || connect(pfds[c].fd, (struct sockaddr *)&target.ss, target.len) < 0)
            return 1;
        if (send(pfds[c].fd, data, size, 0) < 0)
            return 1;
    }
    start = now_ms();
    end = start + ms;
    while (now_ms() < end) {
        int r = poll(pfds, (nfds_t)nclients, 200);

        if (r < 0 && errno != EINTR)
            return 1;
        if (r == 0) {
            /* An echo was lost: each socket that has heard nothing sends again. */
            for (long c = 0; c < nclients; c++)
                send(pfds[c].fd, data, size, 0);
            continue;
        }
        for (long c = 0; c < nclients; c++) {
            if (!(pfds[c].revents & POLLIN))
                continue;
            if (recv(pfds[c].fd, buf, sizeof buf, MSG_DONTWAIT) >= 0) {
                echoes++;
                send(pfds[c].fd, data, size, 0);
            }
        }
    }
    printf("result echoes=%ld per_second=%.0f\n", echoes,
           (double)echoes * 1000.0 / (double)(now_ms() - start));
    return echoes > 0 ? 0 : 4;
}

static int usage(void)
{
    fprintf(stderr, "usage: dgramc [--bind ADDR] [--wait MS] [--replies N] [--out PREFIX] "
                    "--send FILE... TARGET\n"
                    "       dgramc --load|--flood|--bench --clients N [--count M] [--ms MS] "
                    "--size S [--tries T] [--no-read] [--hold-ms MS] TARGET\n"
                    "       dgramc --make-stale PATH\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *files[MAX_SENDS];
    const char *prefix = NULL;
    const char *mode = "send";
    int nfiles = 0, i, tries = 5, rc;
    long replies = -1, wait_ms = 5000, nclients = 1, count = 1, ms = 1000, hold_ms = 0;
    size_t size = 64;
    bool no_read = false;

    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : "";

        if (strcmp(opt, "--load") == 0 || strcmp(opt, "--flood") == 0 ||
            strcmp(opt, "--bench") == 0) {
            mode = opt + 2;
        } else if (strcmp(opt, "--no-read") == 0) {
            no_read = true;
        } else if (strcmp(opt, "--make-stale") == 0) {
            struct dgram_addr a;
            int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

            unlink(val);
            if (fd < 0 || dgram_unix_addr(val, false, &a) < 0 ||
                bind(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
                perror("dgramc: make-stale");
                return 1;
            }
            chmod(val, 0777);
            return 0; /* exit without unlink(): the file stays, with nobody bound to it */
        } else {
            i++;
            if (strcmp(opt, "--send") == 0 && nfiles < MAX_SENDS)
                files[nfiles++] = val;
            else if (strcmp(opt, "--bind") == 0)
                bind_text = val;
            else if (strcmp(opt, "--out") == 0)
                prefix = val;
            else if (strcmp(opt, "--replies") == 0)
                replies = atol(val);
            else if (strcmp(opt, "--wait") == 0)
                wait_ms = atol(val);
            else if (strcmp(opt, "--clients") == 0)
                nclients = atol(val);
            else if (strcmp(opt, "--count") == 0)
                count = atol(val);
            else if (strcmp(opt, "--size") == 0)
                size = (size_t)atol(val);
            else if (strcmp(opt, "--tries") == 0)
                tries = atoi(val);
            else if (strcmp(opt, "--ms") == 0)
                ms = atol(val);
            else if (strcmp(opt, "--hold-ms") == 0)
                hold_ms = atol(val);
            else
                return usage();
        }
    }
    if (argc - i != 1 || parse_addr("dgramc", argv[i], false, &target) < 0 || nclients < 1 ||
        nclients > MAX_CLIENTS || size > MAX_DGRAM)
        return usage();
    if (strcmp(mode, "send") == 0)
        rc = nfiles > 0 ? send_mode(files, nfiles, replies, wait_ms, prefix) : usage();
    else if (strcmp(mode, "load") == 0)
        rc = load_mode(nclients, count, size, tries);
    else if (strcmp(mode, "flood") == 0)
        rc = flood_mode(nclients, count, size, no_read, hold_ms);
    else
        rc = bench_mode(nclients, ms, size);
    cleanup();
    return rc;
}
