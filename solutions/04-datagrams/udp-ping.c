/* udp-ping.c - lesson 04: ping over an echo server, counting what datagrams lose.
 *
 * Sends COUNT probes, one every INTERVAL seconds, each a datagram that carries a sequence
 * number and its send time, and waits at most TIMEOUT seconds for each probe's echo. It
 * prints a line per echo (its round-trip time) and per lost probe, and at the end how many
 * were sent, received and lost, and the round-trip times' minimum, average and maximum.
 *
 * UDP promises nothing: a probe or its echo may be lost, duplicated, delayed past its
 * timeout or overtaken by a later one, and anyone may send us a datagram. So an echo counts
 * only if it is the first for a probe still waiting, bytes and size as sent, within the
 * probe's timeout; and only the server's datagrams reach us at all, because the socket is
 * connect()ed to it (the kernel drops anyone else's). Everything else is reported and
 * ignored.
 *
 * Probes go out on a fixed schedule, so when INTERVAL is shorter than a round trip several
 * are in flight at once: the program keeps a record per probe, and one loop waits for
 * whatever comes first.
 *
 *     for (;;) {
 *         time for the next probe?   -> send_probe()
 *         the oldest one timed out?  -> expire(): it is lost
 *         all sent and settled?      -> done
 *         wait_ready(): pselect() until the earlier of those two times, or an echo
 *         echoes waiting             -> read_replies(): handle_reply() for each
 *     }
 *
 * usage: udp-ping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] HOST PORT
 *        udp-ping [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] unix:PATH | unix:@NAME */
#include "cli.h"
#include "dgram.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A probe starts with its sequence number (4 bytes) and its send time (4 bytes of seconds,
 * 4 of nanoseconds), each in network byte order; the rest is a filler pattern. */
#define HEADER_SIZE 12
/* The largest probe: UDP's largest payload over IPv4 (65,535 - 20 IP - 8 UDP header). */
#define MAX_SIZE 65507
#define MAX_COUNT 1000000
/* Room for our own Unix socket's name (a sockaddr_un holds at most 108 bytes of it). */
#define OWN_NAME_MAX 256
/* How many names to try for our own Unix socket before giving up. */
#define BIND_ATTEMPTS 100

#define NS_PER_SEC 1000000000LL
#define NS_PER_MS 1000000.0

/* The defaults: 4 probes of 56 bytes (ping's size), one a second, a second to answer each. */
#define DEFAULT_COUNT 4
#define DEFAULT_SIZE 56
#define DEFAULT_INTERVAL NS_PER_SEC
#define DEFAULT_TIMEOUT NS_PER_SEC

/* What the program remembers of each probe. */
struct probe {
    int64_t sent;  /* when it went out (nanoseconds on the monotonic clock) */
    bool answered; /* its echo has been counted */
};

struct ping {
    int fd;                              /* connected to the server, non-blocking */
    char server_name[DGRAM_ADDRSTRLEN];  /* "127.0.0.1:40611", "unix:/run/echo.sock" */
    struct dgram_addr own;               /* our own Unix address (len 0: none bound) */
    long count;                          /* -c: probes to send */
    int64_t interval;                    /* -i, in nanoseconds */
    int64_t timeout;                     /* -W, in nanoseconds */
    size_t size;                         /* -s: bytes per probe */
    struct probe *probes;                /* count records: probes[k] has seq k + 1 */
    long sent;                           /* probes sent so far */
    long settled;                        /* probes before this one are answered or lost */
    long received;                       /* echoes counted */
    int64_t start;                       /* when the first probe went out */
    int64_t rtt_min, rtt_max, rtt_total; /* over the echoes counted */
    unsigned char *probe_buf;            /* size bytes: a probe, as sent */
    unsigned char *reply_buf;            /* size + 1 bytes: room to notice a longer reply */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: udp-ping [-h] [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] HOST PORT\n"
            "       udp-ping [-h] [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] unix:PATH\n"
            "Sends COUNT probes (default %d) to an echo server, one every INTERVAL seconds\n"
            "(default 1), waits TIMEOUT seconds (default 1) for each echo, and prints each\n"
            "round trip and a summary. SIZE: bytes per probe, %d to %d (default %d).\n"
            "unix:PATH names a Unix-domain socket file; unix:@NAME an abstract name (Linux).\n"
            "Exit status: 0 if at least one echo came back, 1 if none did.\n",
            DEFAULT_COUNT, HEADER_SIZE, MAX_SIZE, DEFAULT_SIZE);
}

/* The monotonic clock, in nanoseconds: it never jumps, unlike the time of day. (main()
 * checks once that the system has it, so it cannot fail here.) */
static int64_t now_ns(void)
{
    struct timespec ts = {0, 0};

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, sizeof v);
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof v);
    return ntohl(v);
}

/* Writes probe seq, sent at time sent, into buf (size bytes): the header, then a pattern
 * that differs from probe to probe. The same call rebuilds it to check an echo. */
static void fill_probe(unsigned char *buf, size_t size, uint32_t seq, int64_t sent)
{
    put_u32(buf, seq);
    put_u32(buf + 4, (uint32_t)(sent / NS_PER_SEC));
    put_u32(buf + 8, (uint32_t)(sent % NS_PER_SEC));
    for (size_t i = HEADER_SIZE; i < size; i++)
        buf[i] = (unsigned char)(seq + i);
}

/* Binds fd to a Unix address of our own, so that the server has somewhere to send the echo.
 * Sets p->own. Returns 0, or -1 after printing an error line. */
static int bind_own_address(struct ping *p, int fd, const struct dgram_addr *server)
{
    const char *server_path = dgram_unix_path(server);
    char name[OWN_NAME_MAX];

    /* @step 12 Give the client's Unix socket an address of its own.
     * Hint: a Unix datagram socket that is never bound sends from no address at all: the
     * server's recvmsg() gets an unnamed sender and has nowhere to send the echo (UDP
     * binds a port for you at the first send; Unix sockets do not). Make a name: for a
     * server at a path, in the same folder ("/run/echo.sock" -> "/run/udp-ping-PID-N.sock":
     * the path up to its last '/', none for the current folder); for an abstract server,
     * the abstract name "udp-ping-PID-N". dgram_unix_addr(name, abstract, &p->own) fills
     * the address. bind() it; if that fails with EADDRINUSE, try the next N: the name may
     * be taken (process ids repeat in containers and sandboxes), and bind() is what
     * creates the name, atomically, so it is also the test. main() removes the file at
     * exit (from p->own). Any other failure: log "bind NAME: REASON", return -1. */
    for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
        int n;

        if (server_path != NULL) {
            const char *slash = strrchr(server_path, '/');
            int dir_len = slash != NULL ? (int)(slash - server_path) + 1 : 0;

            n = snprintf(name, sizeof name, "%.*sudp-ping-%ld-%d.sock", dir_len, server_path,
                         (long)getpid(), attempt);
        } else {
            n = snprintf(name, sizeof name, "udp-ping-%ld-%d", (long)getpid(), attempt);
        }
        if (n < 0 || (size_t)n >= sizeof name ||
            dgram_unix_addr(name, server_path == NULL, &p->own) < 0) {
            log_error("bind: no room for a socket name next to %s", p->server_name);
            p->own.len = 0;
            return -1;
        }
        if (bind(fd, (struct sockaddr *)&p->own.ss, p->own.len) == 0)
            return 0;
        if (errno != EADDRINUSE)
            break;
    }
    log_errno(errno, "bind %s%s", server_path == NULL ? "unix:@" : "unix:", name);
    p->own.len = 0; /* nothing of ours to remove */
    return -1;
    /* @stub
    (void)p;
    (void)fd;
    (void)server_path;
    (void)name;
    return 0;
    @end */
}

/* Opens a datagram socket connected to the server (host and port as the user wrote them).
 * Sets p->fd and p->server_name. Returns 0, or -1 after printing an error line. */
static int open_socket(struct ping *p, const char *host, const char *port)
{
    struct dgram_addr addrs[DGRAM_MAX_ADDRS];
    const struct sockaddr *sa;
    size_t count;
    char err[NET_ERRLEN];
    int fd;

    if (dgram_resolve(host, port, false, addrs, DGRAM_MAX_ADDRS, &count, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    /* A datagram socket cannot tell whether anyone is there (no handshake), so there is no
     * failure to try the next address on: the first address is the server's. */
    sa = (const struct sockaddr *)&addrs[0].ss;
    if (dgram_format(sa, addrs[0].len, p->server_name, sizeof p->server_name) < 0)
        snprintf(p->server_name, sizeof p->server_name, "%s", host);

    /* @step 7 Open a datagram socket and connect() it to the server.
     * Hint: fd = socket(sa->sa_family, SOCK_DGRAM, 0). For a Unix server (AF_UNIX), bind
     * an address of your own first: bind_own_address(p, fd, &addrs[0]). Then
     * connect(fd, sa, addrs[0].len). On a datagram socket connect() sends nothing: the
     * kernel remembers the server's address, so that send() and recv() need none, and
     * filters: from now on only the server's datagrams reach this socket, a stranger's
     * are dropped. Over UDP it also lets an ICMP "port unreachable" come back as
     * ECONNREFUSED. Make the socket non-blocking (net_set_nonblocking()): the loop reads
     * until recv() says EAGAIN. On an error: log "STEP ADDR: REASON" with log_errno() and
     * p->server_name, close fd, return -1; on success set p->fd and return 0. */
    fd = socket(sa->sa_family, SOCK_DGRAM, 0);
    if (fd < 0) {
        log_errno(errno, "socket %s", p->server_name);
        return -1;
    }
    if (sa->sa_family == AF_UNIX && bind_own_address(p, fd, &addrs[0]) < 0) {
        close(fd);
        return -1;
    }
    if (connect(fd, sa, addrs[0].len) < 0) {
        log_errno(errno, "connect %s", p->server_name);
        close(fd);
        return -1;
    }
    if (net_set_nonblocking(fd) < 0) {
        log_errno(errno, "fcntl O_NONBLOCK");
        close(fd);
        return -1;
    }
    p->fd = fd;
    return 0;
    /* @stub
    (void)sa;
    (void)fd;
    (void)bind_own_address;
    log_error("TODO 7 is not done yet: open a datagram socket and connect it to %s",
              p->server_name);
    return -1;
    @end */
}

/* Sends the next probe, now. A probe that cannot be sent counts as sent and lost, as if
 * the network had dropped it: it just never gets an echo. */
static void send_probe(struct ping *p, int64_t now)
{
    uint32_t seq = (uint32_t)p->sent + 1;

    p->probes[p->sent].sent = now;
    p->sent++;
    /* @step 8 Build probe seq and send it.
     * Hint: fill_probe(p->probe_buf, p->size, seq, now) writes its bytes: the sequence
     * number and the send time in network byte order (htonl()), then a pattern. Send them
     * with send(p->fd, p->probe_buf, p->size, 0): the socket is connected, so no address is
     * needed, and a datagram goes out whole or not at all. If send() fails, log it
     * ("send to ADDR: REASON") and go on: the probe is lost (EAGAIN: a Unix server's queue
     * is full; ECONNREFUSED: nobody is there). */
    fill_probe(p->probe_buf, p->size, seq, now);
    if (send(p->fd, p->probe_buf, p->size, 0) < 0)
        log_errno(errno, "send to %s", p->server_name);
    /* @stub
    (void)seq;
    (void)fill_probe;
    log_error("TODO 8 is not done yet: send probe %lu", (unsigned long)seq);
    @end */
}

/* Sleeps until a datagram is waiting on fd, or until wait_ns nanoseconds have passed, or
 * until a stop is requested (SIGINT, SIGTERM). Returns 1 if a datagram is waiting, 0
 * otherwise, or -1 with errno set. */
static int wait_ready(int fd, int64_t wait_ns)
{
    fd_set readable;
    struct timespec timeout;
    int n;

    /* @step 9 Wait for an echo, but not longer than wait_ns: pselect() with a timeout.
     * Hint: a recv() with no timeout would wait for ever for an echo that was lost. Put fd
     * in an fd_set; timeout.tv_sec and tv_nsec from wait_ns (NS_PER_SEC per second);
     * n = pselect(fd + 1, &readable, NULL, NULL, &timeout, signals_wait_mask()). The mask
     * lets SIGINT and SIGTERM in only during the sleep (signals.h): Ctrl-C then ends the
     * wait at once, with EINTR. Return 0 after EINTR (the loop checks
     * signals_stop_requested()) and after a timeout (n == 0), 1 if fd is readable, -1 on
     * any other error. (poll() or select() would do as well without the stop signals;
     * SO_RCVTIMEO puts the timeout on recv() itself, which fits a client waiting for one
     * thing at a time.) */
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    timeout.tv_sec = (time_t)(wait_ns / NS_PER_SEC);
    timeout.tv_nsec = (long)(wait_ns % NS_PER_SEC);
    n = pselect(fd + 1, &readable, NULL, NULL, &timeout, signals_wait_mask());
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    return n > 0 ? 1 : 0;
    /* @stub
    (void)fd;
    (void)readable;
    (void)timeout;
    (void)n;
    log_error("TODO 9 is not done yet: wait for an echo");
    return signals_sleep((long)(wait_ns / 1000000)) < 0 ? -1 : 0;
    @end */
}

/* Decides what the datagram of n bytes in p->reply_buf is, received at time now: the echo
 * of a probe still waiting (counted, and its round trip printed), or something to ignore
 * (said, then ignored). */
static void handle_reply(struct ping *p, size_t n, int64_t now)
{
    const unsigned char *reply = p->reply_buf;
    struct probe *probe;
    uint32_t seq;
    int64_t rtt;

    /* @step 10 Count an echo only if it is the first, intact echo of a probe, in time.
     * Hint: shorter than HEADER_SIZE: not an echo of ours. seq = get_u32(reply): a probe
     * we sent has 1 <= seq <= p->sent; probe = &p->probes[seq - 1]. Rebuild that probe
     * into p->probe_buf (fill_probe(), with probe->sent) and compare: n must be p->size
     * and the bytes equal (memcmp()), or the datagram is not what we sent. Already
     * answered: a duplicate. rtt = now - probe->sent; more than p->timeout: late, the
     * probe was already lost. Each of these: log_info() a line starting "ignored: " saying
     * which, and return without counting. Otherwise: probe->answered = true, count it in
     * p->received, update p->rtt_min, p->rtt_max and p->rtt_total, and log
     * "N bytes from ADDR: seq=SEQ time=MS ms" (three decimals). */
    if (n < HEADER_SIZE) {
        log_info("ignored: a %zu-byte datagram, too short to be an echo", n);
        return;
    }
    seq = get_u32(reply);
    if (seq < 1 || seq > (uint32_t)p->sent) {
        log_info("ignored: an echo with seq=%lu, which was never sent", (unsigned long)seq);
        return;
    }
    probe = &p->probes[seq - 1];
    fill_probe(p->probe_buf, p->size, seq, probe->sent);
    if (n != p->size || memcmp(reply, p->probe_buf, n) != 0) {
        log_info("ignored: an echo of seq=%lu that differs from the probe", (unsigned long)seq);
        return;
    }
    if (probe->answered) {
        log_info("ignored: a duplicate echo of seq=%lu", (unsigned long)seq);
        return;
    }
    rtt = now - probe->sent;
    if (rtt > p->timeout) {
        log_info("ignored: a late echo of seq=%lu (after %.3f ms)", (unsigned long)seq,
                 rtt / NS_PER_MS);
        return;
    }
    probe->answered = true;
    p->received++;
    if (p->received == 1 || rtt < p->rtt_min)
        p->rtt_min = rtt;
    if (rtt > p->rtt_max)
        p->rtt_max = rtt;
    p->rtt_total += rtt;
    log_info("%zu bytes from %s: seq=%lu time=%.3f ms", n, p->server_name, (unsigned long)seq,
             rtt / NS_PER_MS);
    /* @stub
    (void)get_u32;
    (void)reply;
    (void)probe;
    (void)seq;
    (void)rtt;
    (void)now;
    log_error("TODO 10 is not done yet: check the %zu-byte echo", n);
    @end */
}

/* Reads every datagram waiting on the socket (it is non-blocking: recv() fails with EAGAIN
 * once none is left) and hands each to handle_reply(). */
static void read_replies(struct ping *p)
{
    for (;;) {
        /* One byte more than a probe: a longer datagram then shows as n > size, instead
         * of being cut down to a probe's size without a word. */
        ssize_t n = recv(p->fd, p->reply_buf, p->size + 1, 0);

        if (n >= 0) {
            handle_reply(p, (size_t)n, now_ns());
            continue;
        }
        if (errno == EINTR)
            continue;
        /* ECONNREFUSED: over UDP an ICMP "port unreachable" came back for an earlier
         * probe: nobody listens at the server's address. That probe is lost; go on. */
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            log_errno(errno, "recv from %s", p->server_name);
        return;
    }
}

/* Settles the probes whose time is up at time now: each one still unanswered is lost. */
static void expire(struct ping *p, int64_t now)
{
    /* @step 11 Declare lost every probe whose timeout has passed without an echo.
     * Hint: probes are sent in order, with the same timeout, so they time out in order:
     * look at the oldest unsettled one, p->probes[p->settled], while p->settled < p->sent.
     * Answered: it is settled, move on (p->settled++). Unanswered and
     * now - sent >= p->timeout: it is lost: log "no echo of seq=SEQ within MS ms" and move
     * on. Otherwise stop: it, and every later one, still has time. */
    while (p->settled < p->sent) {
        const struct probe *probe = &p->probes[p->settled];

        if (!probe->answered) {
            if (now - probe->sent < p->timeout)
                break;
            log_info("no echo of seq=%ld within %.0f ms", p->settled + 1, p->timeout / NS_PER_MS);
        }
        p->settled++;
    }
    /* @stub
    (void)now;
    p->settled = p->sent;
    @end */
}

/* Sends the probes and collects the echoes until every probe is answered or lost, or a stop
 * is requested. Returns 0, or -1 if waiting failed. */
static int run(struct ping *p)
{
    p->start = now_ns();
    while (!signals_stop_requested()) {
        int64_t now = now_ns();
        int64_t next = p->start + p->sent * p->interval; /* when the next probe is due */
        int64_t wake;
        int ready;

        if (p->sent < p->count && now >= next) {
            send_probe(p, now);
            next += p->interval;
        }
        expire(p, now);
        if (p->sent == p->count && p->settled == p->count)
            return 0;
        /* Sleep until the next probe is due or the oldest waiting one times out, whichever
         * comes first; an echo ends the sleep earlier. */
        wake = p->sent < p->count ? next : INT64_MAX;
        if (p->settled < p->sent && p->probes[p->settled].sent + p->timeout < wake)
            wake = p->probes[p->settled].sent + p->timeout;
        ready = wait_ready(p->fd, wake > now ? wake - now : 0);
        if (ready < 0) {
            log_errno(errno, "pselect");
            return -1;
        }
        if (ready > 0)
            read_replies(p);
    }
    return 0;
}

static void print_summary(const struct ping *p)
{
    long lost = p->sent - p->received;

    log_info("--- %s ping statistics ---", p->server_name);
    log_info("%ld sent, %ld received, %ld lost (%.1f%% loss)", p->sent, p->received, lost,
             p->sent > 0 ? 100.0 * (double)lost / (double)p->sent : 0.0);
    if (p->received > 0)
        log_info("rtt min/avg/max = %.3f/%.3f/%.3f ms", p->rtt_min / NS_PER_MS,
                 (double)p->rtt_total / (double)p->received / NS_PER_MS, p->rtt_max / NS_PER_MS);
}

/* Parses a whole decimal number from lo to hi into *value. Returns 0, or -1. */
static int parse_long(const char *s, long lo, long hi, long *value)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *value = v;
    return 0;
}

/* Parses a number of seconds ("1", "0.2") from 0.001 to 3600 into nanoseconds. Returns 0,
 * or -1. */
static int parse_seconds(const char *s, int64_t *ns)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.001 || v > 3600)
        return -1;
    *ns = (int64_t)(v * NS_PER_SEC + 0.5);
    return 0;
}

/* Parses the command line into p, *host and *port (NULL for a unix: address). Options may
 * come before or after the operands, as with ping. */
static enum cli_result parse_args(int argc, char **argv, struct ping *p, const char **host,
                                  const char **port)
{
    const char *operand[2];
    int operands = 0;
    long size;

    while (optind < argc) {
        /* getopt() stops at the first operand (POSIX): take it, then look for options
         * again after it. The leading ':' keeps getopt quiet: usage says it all. */
        int opt = getopt(argc, argv, ":hc:i:W:s:");

        if (opt == -1) {
            if (optind >= argc)
                break;
            if (operands == 2)
                return CLI_BAD;
            operand[operands++] = argv[optind++];
            continue;
        }
        switch (opt) {
        case 'h':
            return CLI_HELP;
        case 'c':
            if (parse_long(optarg, 1, MAX_COUNT, &p->count) < 0)
                return CLI_BAD;
            break;
        case 'i':
            if (parse_seconds(optarg, &p->interval) < 0)
                return CLI_BAD;
            break;
        case 'W':
            if (parse_seconds(optarg, &p->timeout) < 0)
                return CLI_BAD;
            break;
        case 's':
            if (parse_long(optarg, HEADER_SIZE, MAX_SIZE, &size) < 0)
                return CLI_BAD;
            p->size = (size_t)size;
            break;
        default:
            return CLI_BAD;
        }
    }
    if (operands == 0)
        return CLI_BAD;
    *host = operand[0];
    if (dgram_is_unix(*host)) {
        *port = NULL;
        return operands == 1 ? CLI_RUN : CLI_BAD;
    }
    *port = operands == 2 ? operand[1] : NULL;
    return *port != NULL && net_valid_port(*port) ? CLI_RUN : CLI_BAD;
}

int main(int argc, char **argv)
{
    struct ping p = {.fd = -1,
                     .count = DEFAULT_COUNT,
                     .interval = DEFAULT_INTERVAL,
                     .timeout = DEFAULT_TIMEOUT,
                     .size = DEFAULT_SIZE};
    struct timespec ts;
    const char *host;
    const char *port;
    const char *own_path;
    int rc = -1;

    log_init("udp-ping");
    switch (parse_args(argc, argv, &p, &host, &port)) {
    case CLI_HELP:
        usage(stdout);
        return EXIT_SUCCESS;
    case CLI_BAD:
        usage(stderr);
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    /* SIGINT and SIGTERM end the run early, as with ping: the summary covers the probes
     * sent so far, and our socket file is removed. */
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }
    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
        log_errno(errno, "clock_gettime CLOCK_MONOTONIC");
        return EXIT_FAILURE;
    }
    p.probes = calloc((size_t)p.count, sizeof *p.probes);
    p.probe_buf = malloc(p.size);
    p.reply_buf = malloc(p.size + 1);
    if (p.probes == NULL || p.probe_buf == NULL || p.reply_buf == NULL) {
        log_errno(errno, "memory for %ld probes", p.count);
    } else if (open_socket(&p, host, port) == 0) {
        log_info("PING %s: %ld probes of %zu bytes", p.server_name, p.count, p.size);
        rc = run(&p);
        print_summary(&p);
        if (close(p.fd) < 0)
            log_errno(errno, "close");
    }
    own_path = p.own.len > 0 ? dgram_unix_path(&p.own) : NULL;
    if (own_path != NULL && unlink(own_path) < 0)
        log_errno(errno, "unlink %s", own_path);
    free(p.probes);
    free(p.probe_buf);
    free(p.reply_buf);
    return rc == 0 && p.received > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
