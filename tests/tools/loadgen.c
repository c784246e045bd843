/* loadgen.c - a test and benchmark tool: many TCP connections at once, every reply checked.
 *
 *   loadgen [options] HOST PORT
 *     --mode echo|app|bulk   echo: each request is SIZE bytes that must come back unchanged
 *                            on the same connection, which stays open for the next request;
 *                            app: each request is one lesson-03 message on a new connection
 *                            (the server answers and closes); the reply is parsed and
 *                            compared with what the protocol says it must be;
 *                            bulk: one connection, BYTES sent while the echo is read back
 *                            and compared (throughput)          (default echo)
 *     --conns N              connections open at once (default 1)
 *     --requests N           requests per connection (default 1)
 *     --duration-ms N        instead of a count: start requests for N ms (closed loop)
 *     --warmup-ms N          with --duration-ms: requests finished in the first N ms are not
 *                            measured (default 0)
 *     --size N               echo: bytes per request (default 64)
 *     --bytes N              bulk: bytes to send (default 1 GiB)
 *     --idle N               also hold N connections that never send (default 0)
 *     --partial              send the first half of each connection's first request as soon
 *                            as it connects, the rest only in the exchange phase
 *     --step                 print a line after connecting and after the exchange, and each
 *                            time wait for a line on stdin (or its end) before going on
 *     --timeout-ms N         give up after N ms in all (default 120000)
 *
 * Phases: (1) open every connection (plus the idle ones; with --partial, send half a request
 * on each); print "connected N"; (2) exchange: every connection runs its requests; print
 * "exchanged R"; (3) close everything and print one line
 *   result mode=M conns=N idle=I requests=R errors=E seconds=S rps=X p50_us=A p99_us=B max_us=C
 * (bulk: result mode=bulk bytes=N seconds=S mib_per_s=X errors=E). Latency is from the start of
 * a request (for app: from connect()) to the last byte of its reply. Only requests started
 * and finished within the measured window count for rps and the percentiles.
 * The first few errors are described on stderr. Exit: 0 every reply was right; 1 an error or
 * a time-out; 2 bad arguments. The tool raises its own descriptor limit (RLIMIT_NOFILE) as far
 * as the hard limit allows.
 *
 * It waits with epoll on Linux and poll() elsewhere. poll(), like select(), costs time for
 * every descriptor it is handed on every call: with 1,000 connections the tool itself would
 * be what the benchmark measures.
 *
 * Handout: compiled only. Lesson 03's suite uses it (a crowd of requests while the server
 * is stopped), but its app mode writes and reads lesson 03's messages: the student handout
 * carries it as a static binary and not this source (tests/tools.mk). */
#include "buf.h"
#include "net.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#define USE_EPOLL 1
#endif

#define IO_SIZE 65536
#define BULK_PERIOD 1048573 /* a prime: the pattern never lines up with a chunk size */
#define BULK_CHUNK (256 * 1024)
#define MAX_ERRORS_SHOWN 10

enum mode { MODE_ECHO, MODE_APP, MODE_BULK };

enum conn_state {
    C_UNUSED,     /* no socket */
    C_CONNECTING, /* non-blocking connect() in progress */
    C_READY,      /* connected, waiting for the exchange phase */
    C_BUSY,       /* a request is being sent and its reply read */
    C_WAIT_EOF,   /* app: the reply is complete, waiting for the server to close */
    C_HELD,       /* echo: all requests done, the connection stays open until the end */
    C_IDLE,       /* an idle connection: never sends */
    C_FINISHED    /* closed for good */
};

struct conn {
    int id;
    enum conn_state state;
    bool idle;
    long done;              /* requests completed */
    struct buf req;         /* the request being sent */
    size_t sent;            /* bytes of req sent */
    size_t got;             /* echo: bytes of the reply checked so far */
    struct buf reply;       /* app: the reply so far */
    size_t reply_total;     /* app: the reply's full size, once known (0 before) */
    int expect;             /* app: which request was sent (index into the table) */
    int parked_fd;          /* idle: the socket, kept out of poll() (see on_writable) */
    double t_start;         /* when the request began (seconds) */
    bool started_in_window; /* begun after the warm-up */
};

struct options {
    enum mode mode;
    long conns, requests, idle;
    long duration_ms, warmup_ms, timeout_ms;
    size_t size;
    long long bytes;
    bool partial, step;
    const char *host, *port;
};

static struct options opt = {MODE_ECHO, 1,         1,     0,     0,    0,   120000,
                             64,        1LL << 30, false, false, NULL, NULL};
static struct addrinfo *target;
static struct conn *conns;
/* What each slot (a connection; the last one: stdin) wants: fd and events. With epoll, the
 * kernel holds a copy, which sync_slot() brings up to date after every change. */
static struct pollfd *pfds;
/* The slots found ready by the last wait_ready(). */
struct ready {
    long slot;
    short revents;
};
static struct ready *readyv;
#ifdef USE_EPOLL
static int epfd = -1;
static int *reg_fd; /* the descriptor registered for each slot, or -1 */
static short *reg_ev;
static struct epoll_event *evbuf;
#endif
static long nconns; /* active + idle */
static long errors;
static uint32_t *lat; /* measured latencies, microseconds */
static size_t nlat, lat_cap;
static double t_begin, t_window_start, t_window_end;
static bool exchange_open; /* phase 2 has begun */
static bool stop_starting; /* duration over: start no new request */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report_error(const struct conn *c, const char *fmt, const char *detail)
{
    errors++;
    if (errors <= MAX_ERRORS_SHOWN) {
        fprintf(stderr, "loadgen: connection %d, request %ld: ", c ? c->id : -1,
                c ? c->done + 1 : 0);
        fprintf(stderr, fmt, detail);
        fputc('\n', stderr);
    } else if (errors == MAX_ERRORS_SHOWN + 1) {
        fprintf(stderr, "loadgen: (further errors not shown)\n");
    }
}

static void record_latency(double seconds)
{
    if (nlat == lat_cap) {
        size_t cap = lat_cap ? lat_cap * 2 : 65536;
        uint32_t *grown = realloc(lat, cap * sizeof *lat);
        if (grown == NULL)
            return; /* an unmeasured request is not a wrong reply */
        lat = grown;
        lat_cap = cap;
    }
    lat[nlat++] = (uint32_t)(seconds * 1e6 + 0.5);
}

/* ---- the requests ---------------------------------------------------------------------- */

/* The app requests the tool sends in turn, and the result each must get. */
struct app_case {
    const char *action, *value; /* a JSON search request when action is "search" or "bogus" */
    bool binary;
    const char *result; /* for text/json: the expected result ("%s": the value) */
};
static const struct app_case app_cases[] = {
    {"search", "morpheus", false, "Follow the white rabbit. \xf0\x9f\x90\xb0"},
    {"search", "ring", false, "In the caves beneath the Misty Mountains. \xf0\x9f\x92\x8d"},
    {"search", "\xf0\x9f\x90\xb6", false, "\xf0\x9f\x90\xbe Playing ball! \xf0\x9f\x8f\x90"},
    {"search", "load-test", false, "No match for 'load-test'."},
    {"double", "1234567890", true, NULL},
    {"frobnicate", "x", false, "Error: invalid action 'frobnicate'."},
};
#define APP_CASES (sizeof app_cases / sizeof app_cases[0])

/* Appends a whole message: 2-byte big-endian header length, JSON header, content. */
static int encode_message(struct buf *out, const char *type, const char *encoding,
                          const void *content, size_t len)
{
    char header[256];
    int n = snprintf(header, sizeof header,
                     "{\"byteorder\": \"little\", \"content-type\": \"%s\", "
                     "\"content-encoding\": \"%s\", \"content-length\": %zu}",
                     type, encoding, len);
    unsigned char proto[2];

    if (n < 0 || (size_t)n >= sizeof header)
        return -1;
    proto[0] = (unsigned char)(n >> 8);
    proto[1] = (unsigned char)(n & 0xff);
    if (buf_append(out, proto, 2) < 0 || buf_append(out, header, (size_t)n) < 0 ||
        buf_append(out, content, len) < 0)
        return -1;
    return 0;
}

/* Fills c->req with the connection's next request. */
static int build_request(struct conn *c)
{
    buf_free(&c->req);
    c->sent = 0;
    c->got = 0;
    buf_free(&c->reply);
    c->reply_total = 0;
    if (opt.mode == MODE_ECHO) {
        /* Bytes that name the connection and the request, so a reply sent to the wrong
         * connection, or an old reply, does not pass for the right one. */
        char tag[48];
        int n = snprintf(tag, sizeof tag, "[c%d r%ld] ", c->id, c->done + 1);
        for (size_t i = 0; i < opt.size; i++) {
            unsigned char b = i < (size_t)n ? (unsigned char)tag[i]
                                            : (unsigned char)('a' + (i + (size_t)c->id) % 26);
            if (buf_append(&c->req, &b, 1) < 0)
                return -1;
        }
        return 0;
    }
    c->expect = (int)((c->id + c->done) % (long)APP_CASES);
    const struct app_case *k = &app_cases[c->expect];
    if (k->binary) {
        char content[64];
        int n = snprintf(content, sizeof content, "%s%s", k->action, k->value);
        return encode_message(&c->req, "binary/custom-client-binary-type", "binary", content,
                              (size_t)n);
    }
    char content[128];
    int n = snprintf(content, sizeof content, "{\"action\": \"%s\", \"value\": \"%s\"}", k->action,
                     k->value);
    return encode_message(&c->req, "text/json", "utf-8", content, (size_t)n);
}

/* app: checks a complete reply. Returns 0 if it is what the protocol says, else -1. */
static int check_app_reply(struct conn *c)
{
    const unsigned char *r = buf_data(&c->reply);
    size_t hlen = ((size_t)r[0] << 8) | r[1];
    const struct app_case *k = &app_cases[c->expect];
    json_error_t jerr;
    json_t *header = json_loadb((const char *)r + 2, hlen, 0, &jerr);
    const char *type = NULL, *encoding = NULL;
    json_int_t length = -1;
    const unsigned char *content = r + 2 + hlen;
    size_t clen = c->reply_total - 2 - hlen;
    int rc = -1;

    if (header == NULL ||
        json_unpack(header, "{s:s, s:s, s:I}", "content-type", &type, "content-encoding", &encoding,
                    "content-length", &length) < 0) {
        report_error(c, "reply header is not a valid JSON header: %s", jerr.text);
        json_decref(header);
        return -1;
    }
    if (k->binary) {
        /* "First 10 bytes of request: " and the first 10 bytes of ACTION followed by VALUE */
        char want[128], whole[64];
        int w = snprintf(whole, sizeof whole, "%s%s", k->action, k->value);
        int n = snprintf(want, sizeof want, "First 10 bytes of request: ");
        memcpy(want + n, whole, w < 10 ? (size_t)w : 10);
        n += w < 10 ? w : 10;
        if (strcmp(type, "binary/custom-server-binary-type") != 0)
            report_error(c, "binary request answered with content-type '%s'", type);
        else if (clen != (size_t)n || memcmp(content, want, (size_t)n) != 0)
            report_error(c, "binary request answered with the wrong content (%s bytes)",
                         clen == (size_t)n ? "same number of" : "a different number of");
        else
            rc = 0;
    } else {
        json_t *body = json_loadb((const char *)content, clen, 0, &jerr);
        const char *result = NULL;
        if (strcmp(type, "text/json") != 0)
            report_error(c, "text/json request answered with content-type '%s'", type);
        else if (body == NULL || json_unpack(body, "{s:s}", "result", &result) < 0)
            report_error(c, "reply content is not {\"result\": STRING}: %s",
                         body ? "no string result" : jerr.text);
        else if (strcmp(result, k->result) != 0)
            report_error(c, "wrong result: '%s'", result);
        else
            rc = 0;
        json_decref(body);
    }
    json_decref(header);
    return rc;
}

/* ---- waiting for readiness ----------------------------------------------------------- */

static int poller_init(long slots)
{
    pfds = calloc((size_t)slots, sizeof *pfds);
    readyv = calloc((size_t)slots, sizeof *readyv);
    if (pfds == NULL || readyv == NULL)
        return -1;
    for (long i = 0; i < slots; i++)
        pfds[i].fd = -1;
#ifdef USE_EPOLL
    reg_fd = malloc((size_t)slots * sizeof *reg_fd);
    reg_ev = calloc((size_t)slots, sizeof *reg_ev);
    evbuf = calloc((size_t)slots, sizeof *evbuf);
    epfd = epoll_create1(0);
    if (reg_fd == NULL || reg_ev == NULL || evbuf == NULL || epfd < 0)
        return -1;
    for (long i = 0; i < slots; i++)
        reg_fd[i] = -1;
#endif
    return 0;
}

/* Makes the kernel's copy of slot i match pfds[i]. Returns 0, or -1 if the descriptor
 * cannot be watched (epoll refuses regular files and /dev/null). */
static int sync_slot(long i)
{
#ifdef USE_EPOLL
    int fd = pfds[i].fd;
    short ev = pfds[i].events;
    struct epoll_event e = {0};

    if (reg_fd[i] == fd && (fd < 0 || reg_ev[i] == ev))
        return 0;
    if (reg_fd[i] >= 0 && reg_fd[i] != fd) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, reg_fd[i], NULL);
        reg_fd[i] = -1;
    }
    if (fd < 0)
        return 0;
    e.data.u64 = (uint64_t)i;
    e.events = (ev & POLLIN ? EPOLLIN : 0u) | (ev & POLLOUT ? EPOLLOUT : 0u);
    if (epoll_ctl(epfd, reg_fd[i] == fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &e) < 0)
        return -1;
    reg_fd[i] = fd;
    reg_ev[i] = ev;
#else
    (void)i;
#endif
    return 0;
}

/* Waits up to timeout_ms for readiness; fills readyv. Returns how many slots, or -1. */
static int wait_ready(long slots, int timeout_ms)
{
    int n = 0;
#ifdef USE_EPOLL
    int got = epoll_wait(epfd, evbuf, (int)slots, timeout_ms);
    if (got < 0)
        return -1;
    for (int k = 0; k < got; k++) {
        uint32_t e = evbuf[k].events;
        readyv[n].slot = (long)evbuf[k].data.u64;
        readyv[n].revents = (short)((e & EPOLLIN ? POLLIN : 0) | (e & EPOLLOUT ? POLLOUT : 0) |
                                    (e & EPOLLERR ? POLLERR : 0) | (e & EPOLLHUP ? POLLHUP : 0));
        n++;
    }
#else
    if (poll(pfds, (nfds_t)slots, timeout_ms) < 0)
        return -1;
    for (long i = 0; i < slots; i++) {
        if (pfds[i].fd >= 0 && pfds[i].revents != 0) {
            readyv[n].slot = i;
            readyv[n].revents = pfds[i].revents;
            n++;
        }
    }
#endif
    return n;
}

/* ---- connections ----------------------------------------------------------------------- */

static void set_events(struct conn *c, short events)
{
    pfds[c - conns].events = events;
    sync_slot(c - conns);
}

/* Takes the connection's socket out of the watched set (before it is closed: a closed
 * number is soon another socket's) and returns it. */
static int unwatch(struct conn *c)
{
    int fd = pfds[c - conns].fd;
    pfds[c - conns].fd = -1;
    pfds[c - conns].events = 0;
    sync_slot(c - conns);
    return fd;
}

static void close_conn(struct conn *c, enum conn_state next)
{
    int fd = unwatch(c);
    if (fd >= 0)
        close(fd);
    c->state = next;
}

static int start_connect(struct conn *c)
{
    int fd = socket(target->ai_family, SOCK_STREAM, 0);
    int on = 1;

    if (fd < 0) {
        report_error(c, "socket: %s", strerror(errno));
        return -1;
    }
    /* Small requests go out at once instead of waiting for Nagle's timer. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (net_set_nonblocking(fd) < 0 ||
        (connect(fd, target->ai_addr, target->ai_addrlen) < 0 && errno != EINPROGRESS)) {
        report_error(c, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    pfds[c - conns].fd = fd;
    pfds[c - conns].events = POLLOUT;
    if (sync_slot(c - conns) < 0) {
        report_error(c, "epoll_ctl: %s", strerror(errno));
        pfds[c - conns].fd = -1;
        close(fd);
        return -1;
    }
    c->state = C_CONNECTING;
    return 0;
}

/* Begins the connection's next request (app: on a new connection). */
static int start_request(struct conn *c, double t)
{
    if (build_request(c) < 0) {
        report_error(c, "%s", "out of memory");
        return -1;
    }
    c->t_start = t;
    c->started_in_window = t >= t_window_start;
    if (opt.mode == MODE_APP && c->state != C_READY) {
        if (start_connect(c) < 0)
            return -1;
        return 0; /* the request is sent once connected */
    }
    c->state = C_BUSY;
    set_events(c, POLLIN | POLLOUT);
    return 0;
}

/* The connection is done with a request: measure, then start the next or rest. */
static void request_done(struct conn *c)
{
    double t = now();
    c->done++;
    if (c->started_in_window && t <= t_window_end)
        record_latency(t - c->t_start);
    bool more = opt.duration_ms > 0 ? !stop_starting : c->done < opt.requests;
    if (opt.mode == MODE_APP) {
        c->state = C_WAIT_EOF; /* the server closes; its side keeps the TIME_WAIT */
        set_events(c, POLLIN);
        return;
    }
    if (more) {
        if (start_request(c, t) < 0)
            close_conn(c, C_FINISHED);
    } else {
        c->state = C_HELD;
        set_events(c, POLLIN);
    }
}

/* How much of the request may go out now: half of it before the exchange (--partial). */
static size_t send_limit(const struct conn *c)
{
    size_t len = buf_len(&c->req);
    return exchange_open ? len : len / 2;
}

static void on_writable(struct conn *c)
{
    int fd = pfds[c - conns].fd;
    if (c->state == C_CONNECTING) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr != 0) {
            report_error(c, "connect: %s", strerror(soerr));
            close_conn(c, C_FINISHED);
            return;
        }
        if (c->idle) {
            /* Out of the watched set: the idle connections must cost the tool nothing
             * (with poll() they would cost it on every call). check_idle() looks at them
             * at the end. */
            c->state = C_IDLE;
            c->parked_fd = unwatch(c);
        } else if (exchange_open) {
            c->state = C_BUSY; /* app: a request was waiting for this connection */
            set_events(c, POLLIN | POLLOUT);
        } else if (opt.partial) {
            if (build_request(c) < 0) {
                report_error(c, "%s", "out of memory");
                close_conn(c, C_FINISHED);
                return;
            }
            c->state = C_READY;
            set_events(c, POLLIN | POLLOUT);
        } else {
            c->state = C_READY;
            set_events(c, POLLIN);
        }
        return;
    }
    size_t limit = send_limit(c);
    if (c->sent < limit) {
        ssize_t n = send(fd, buf_data(&c->req) + c->sent, limit - c->sent, 0);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            report_error(c, "send: %s", strerror(errno));
            close_conn(c, C_FINISHED);
            return;
        }
        if (n > 0)
            c->sent += (size_t)n;
    }
    if (c->sent >= limit)
        set_events(c, POLLIN);
}

static void on_readable(struct conn *c)
{
    unsigned char in[IO_SIZE];
    int fd = pfds[c - conns].fd;
    ssize_t n = recv(fd, in, sizeof in, 0);

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        report_error(c, "recv: %s", strerror(errno));
        close_conn(c, C_FINISHED);
        return;
    }
    if (n == 0) {
        if (c->state == C_WAIT_EOF) {
            close_conn(c, C_UNUSED);
            bool more = opt.duration_ms > 0 ? !stop_starting : c->done < opt.requests;
            if (more && start_request(c, now()) < 0)
                c->state = C_FINISHED;
            else if (!more)
                c->state = C_FINISHED;
            return;
        }
        if (opt.mode == MODE_APP && c->state == C_BUSY)
            report_error(c, "the server closed the connection after %s reply bytes",
                         buf_len(&c->reply) ? "some" : "no");
        else
            report_error(c, "the server closed the connection (%s)",
                         c->idle ? "an idle one" : "before the reply was complete");
        close_conn(c, C_FINISHED);
        return;
    }
    if (c->idle || c->state == C_HELD || c->state == C_WAIT_EOF) {
        report_error(c, "%s", "bytes arrived that no request asked for");
        close_conn(c, C_FINISHED);
        return;
    }
    if (opt.mode == MODE_ECHO) {
        const unsigned char *want = buf_data(&c->req);
        if (c->got + (size_t)n > c->sent) {
            report_error(c, "%s", "more bytes came back than were sent");
            close_conn(c, C_FINISHED);
            return;
        }
        if (memcmp(in, want + c->got, (size_t)n) != 0) {
            report_error(c, "%s", "the echo differs from the bytes sent");
            close_conn(c, C_FINISHED);
            return;
        }
        c->got += (size_t)n;
        if (c->got == buf_len(&c->req))
            request_done(c);
        return;
    }
    /* app */
    if (buf_append(&c->reply, in, (size_t)n) < 0) {
        report_error(c, "%s", "out of memory");
        close_conn(c, C_FINISHED);
        return;
    }
    size_t have = buf_len(&c->reply);
    const unsigned char *r = buf_data(&c->reply);
    if (c->reply_total == 0 && have >= 2) {
        size_t hlen = ((size_t)r[0] << 8) | r[1];
        if (have >= 2 + hlen) {
            json_error_t jerr;
            json_t *h = json_loadb((const char *)r + 2, hlen, 0, &jerr);
            json_int_t length = -1;
            if (h == NULL || json_unpack(h, "{s:I}", "content-length", &length) < 0 || length < 0) {
                report_error(c, "reply header has no valid content-length: %s",
                             h ? "missing or not an integer" : jerr.text);
                json_decref(h);
                close_conn(c, C_FINISHED);
                return;
            }
            json_decref(h);
            c->reply_total = 2 + hlen + (size_t)length;
        }
    }
    if (c->reply_total != 0 && have >= c->reply_total) {
        if (have > c->reply_total || check_app_reply(c) < 0) {
            if (have > c->reply_total)
                report_error(c, "%s", "bytes after the end of the reply");
            close_conn(c, C_FINISHED);
            return;
        }
        request_done(c);
    }
}

/* ---- bulk ------------------------------------------------------------------------------ */

static int run_bulk(void)
{
    unsigned char *pattern = malloc(BULK_PERIOD + BULK_CHUNK), *in = malloc(BULK_CHUNK);
    long long sent = 0, got = 0;
    uint32_t x = 2463534242u;
    struct conn c = {0};
    int fd, rc = 1;

    if (pattern == NULL || in == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        free(pattern);
        free(in);
        return 1;
    }
    for (size_t i = 0; i < BULK_PERIOD + BULK_CHUNK; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern[i] = i < BULK_PERIOD ? (unsigned char)x : pattern[i - BULK_PERIOD];
    }
    fd = socket(target->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, target->ai_addr, target->ai_addrlen) < 0 ||
        net_set_nonblocking(fd) < 0) {
        report_error(&c, "connect: %s", strerror(errno));
        goto out;
    }
    double t0 = now(), deadline = t0 + (double)opt.timeout_ms / 1000;
    while (got < opt.bytes) {
        struct pollfd p = {fd, POLLIN, 0};
        if (sent < opt.bytes)
            p.events |= POLLOUT;
        if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
            report_error(&c, "poll: %s", strerror(errno));
            goto out;
        }
        if (now() > deadline) {
            report_error(&c, "%s", "timed out");
            goto out;
        }
        if (p.revents & POLLOUT) {
            size_t off = (size_t)(sent % BULK_PERIOD);
            long long left = opt.bytes - sent;
            size_t want = left < BULK_CHUNK ? (size_t)left : BULK_CHUNK;
            ssize_t n = send(fd, pattern + off, want, 0);
            if (n > 0)
                sent += n;
            else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                report_error(&c, "send: %s", strerror(errno));
                goto out;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = recv(fd, in, BULK_CHUNK, 0);
            if (n == 0) {
                report_error(&c, "%s", "the server closed the connection early");
                goto out;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                report_error(&c, "recv: %s", strerror(errno));
                goto out;
            }
            if (n > 0) {
                if (got + n > sent ||
                    memcmp(in, pattern + (size_t)(got % BULK_PERIOD), (size_t)n) != 0) {
                    report_error(&c, "%s", "the echo differs from the bytes sent");
                    goto out;
                }
                got += n;
            }
        }
    }
    double secs = now() - t0;
    printf("result mode=bulk bytes=%lld seconds=%.3f mib_per_s=%.1f errors=0\n", got, secs,
           (double)got / secs / 1048576.0);
    rc = 0;
out:
    if (rc != 0)
        printf("result mode=bulk bytes=%lld seconds=0 mib_per_s=0 errors=%ld\n", got, errors);
    if (fd >= 0)
        close(fd);
    free(pattern);
    free(in);
    return rc;
}

/* ---- the phases ------------------------------------------------------------------------- */

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t percentile(double p)
{
    if (nlat == 0)
        return 0;
    size_t i = (size_t)(p * (double)(nlat - 1) + 0.5);
    return lat[i];
}

/* Waits for a line on stdin (or its end) while keeping every connection served. */
static bool gate_passed(void)
{
    char line[64];
    ssize_t n = read(STDIN_FILENO, line, sizeof line);
    return n >= 0 || (errno != EAGAIN && errno != EINTR);
}

/* Runs the loop until done() says so; with wait_stdin, also until a line arrives.
 * Returns 0, or -1 on a time-out. */
static int serve(bool (*done)(void), bool wait_stdin)
{
    bool gate = !wait_stdin;
    if (!gate) {
        pfds[nconns].fd = STDIN_FILENO;
        pfds[nconns].events = POLLIN;
        if (sync_slot(nconns) < 0) /* not watchable (a file, /dev/null): reading will not block */
            gate = gate_passed();
    }
    for (;;) {
        if (gate && pfds[nconns].fd >= 0) {
            pfds[nconns].fd = -1;
            sync_slot(nconns);
        }
        if (gate && done())
            return 0;
        double t = now();
        if (t - t_begin > (double)opt.timeout_ms / 1000)
            return -1;
        if (opt.duration_ms > 0 && exchange_open && !stop_starting && t >= t_window_end)
            stop_starting = true;
        int ready = wait_ready(nconns + 1, 100);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            perror("loadgen: wait for readiness");
            return -1;
        }
        for (int k = 0; k < ready; k++) {
            long i = readyv[k].slot;
            short re = readyv[k].revents;
            int fd = pfds[i].fd;
            if (i == nconns) {
                if (!gate && gate_passed())
                    gate = true;
                continue;
            }
            if (fd < 0)
                continue;
            if (re & (POLLIN | POLLHUP | POLLERR)) {
                if (conns[i].state == C_CONNECTING)
                    on_writable(&conns[i]);
                else
                    on_readable(&conns[i]);
            }
            /* Only if it is still the same socket, still wanting to write. */
            if (pfds[i].fd == fd && (re & POLLOUT) && (pfds[i].events & POLLOUT))
                on_writable(&conns[i]);
        }
    }
}

/* The idle connections must still be open, with nothing received. */
static void check_idle(void)
{
    for (long k = 0; k < nconns; k++) {
        struct conn *c = &conns[k];
        char byte;
        if (c->state != C_IDLE)
            continue;
        ssize_t n = recv(c->parked_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0)
            report_error(c, "%s", "the server closed an idle connection");
        else if (n > 0)
            report_error(c, "%s", "bytes arrived on an idle connection");
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            report_error(c, "idle connection: %s", strerror(errno));
    }
}

static bool all_connected(void)
{
    for (long i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        if (c->state == C_CONNECTING)
            return false;
        if (c->state == C_READY && opt.partial && c->sent < buf_len(&c->req) / 2)
            return false;
    }
    return true;
}

static bool all_exchanged(void)
{
    for (long i = 0; i < nconns; i++) {
        enum conn_state s = conns[i].state;
        if (s == C_CONNECTING || s == C_BUSY || s == C_WAIT_EOF || s == C_READY)
            return false;
        if (s == C_UNUSED && !conns[i].idle)
            return false;
    }
    return true;
}

static int usage(void)
{
    fprintf(stderr, "usage: loadgen [--mode echo|app|bulk] [--conns N] [--requests N] "
                    "[--duration-ms N] [--warmup-ms N] [--size N] [--bytes N] [--idle N] "
                    "[--partial] [--step] [--timeout-ms N] HOST PORT\n");
    return 2;
}

static void raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t goal = (rlim_t)want;
    if (rl.rlim_max != RLIM_INFINITY && goal > rl.rlim_max)
        goal = rl.rlim_max;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= goal)
        return;
    rl.rlim_cur = goal;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
        perror("loadgen: setrlimit");
}

int main(int argc, char **argv)
{
    int i;
    struct addrinfo hints = {0};

    signal(SIGPIPE, SIG_IGN);
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--partial") == 0) {
            opt.partial = true;
            continue;
        }
        if (strcmp(a, "--step") == 0) {
            opt.step = true;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "echo") == 0)
                opt.mode = MODE_ECHO;
            else if (strcmp(v, "app") == 0)
                opt.mode = MODE_APP;
            else if (strcmp(v, "bulk") == 0)
                opt.mode = MODE_BULK;
            else
                return usage();
        } else if (strcmp(a, "--conns") == 0)
            opt.conns = strtol(v, NULL, 10);
        else if (strcmp(a, "--requests") == 0)
            opt.requests = strtol(v, NULL, 10);
        else if (strcmp(a, "--duration-ms") == 0)
            opt.duration_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--warmup-ms") == 0)
            opt.warmup_ms = strtol(v, NULL, 10);
        else if (strcmp(a, "--size") == 0)
            opt.size = strtoul(v, NULL, 10);
        else if (strcmp(a, "--bytes") == 0)
            opt.bytes = strtoll(v, NULL, 10);
        else if (strcmp(a, "--idle") == 0)
            opt.idle = strtol(v, NULL, 10);
        else if (strcmp(a, "--timeout-ms") == 0)
            opt.timeout_ms = strtol(v, NULL, 10);
        else
            return usage();
    }
    if (argc - i != 2 || opt.conns < 1 || opt.requests < 1 || opt.idle < 0 || opt.size < 1 ||
        opt.bytes < 1 || opt.timeout_ms < 1 || opt.duration_ms < 0 || opt.warmup_ms < 0 ||
        (opt.duration_ms > 0 && opt.warmup_ms >= opt.duration_ms))
        return usage();
    opt.host = argv[i];
    opt.port = argv[i + 1];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(opt.host, opt.port, &hints, &target);
    if (gai != 0) {
        fprintf(stderr, "loadgen: %s:%s: %s\n", opt.host, opt.port, gai_strerror(gai));
        return 1;
    }
    t_begin = now();
    if (opt.mode == MODE_BULK) {
        int rc = run_bulk();
        freeaddrinfo(target);
        return rc;
    }

    nconns = opt.conns + opt.idle;
    raise_fd_limit(nconns + 64);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (conns == NULL || poller_init(nconns + 1) < 0) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    if (opt.step && net_set_nonblocking(STDIN_FILENO) < 0)
        opt.step = false; /* then the gates simply do not wait */

    /* Phase 1: every connection, at once. */
    for (long k = 0; k < nconns; k++) {
        conns[k].id = (int)k;
        conns[k].idle = k >= opt.conns;
        if (start_connect(&conns[k]) < 0)
            conns[k].state = C_FINISHED;
    }
    int rc = serve(all_connected, false);
    long open_now = 0;
    for (long k = 0; k < nconns; k++)
        open_now += pfds[k].fd >= 0 || conns[k].state == C_IDLE;
    printf("connected %ld\n", open_now);
    fflush(stdout);
    if (rc == 0 && opt.step)
        rc = serve(all_connected, true);

    /* Phase 2: the exchange. */
    if (rc == 0) {
        double t = now();
        exchange_open = true;
        t_window_start = t + (double)opt.warmup_ms / 1000;
        t_window_end = opt.duration_ms > 0 ? t + (double)opt.duration_ms / 1000 : 1e300;
        for (long k = 0; k < opt.conns; k++) {
            struct conn *c = &conns[k];
            if (c->state != C_READY)
                continue;
            if (opt.partial) { /* the rest of the request already built */
                c->t_start = t;
                c->started_in_window = t >= t_window_start;
                c->state = C_BUSY;
                set_events(c, POLLIN | POLLOUT);
            } else if (start_request(c, t) < 0) {
                close_conn(c, C_FINISHED);
            }
        }
        rc = serve(all_exchanged, false);
        if (opt.duration_ms == 0)
            t_window_end = now();
    }
    long total = 0;
    for (long k = 0; k < opt.conns; k++)
        total += conns[k].done;
    printf("exchanged %ld\n", total);
    fflush(stdout);
    if (rc == 0 && opt.step)
        rc = serve(all_exchanged, true);
    if (rc < 0)
        report_error(NULL, "timed out after %s ms (see --timeout-ms)", "the allowed");

    /* Phase 3: close everything, report. */
    check_idle();
    for (long k = 0; k < nconns; k++) {
        if (pfds[k].fd >= 0)
            close(pfds[k].fd);
        if (conns[k].state == C_IDLE)
            close(conns[k].parked_fd);
        buf_free(&conns[k].req);
        buf_free(&conns[k].reply);
    }
    double window = t_window_end - t_window_start;
    if (window <= 0)
        window = 1e-9;
    qsort(lat, nlat, sizeof *lat, compare_u32);
    printf("result mode=%s conns=%ld idle=%ld requests=%ld errors=%ld seconds=%.3f rps=%.0f "
           "p50_us=%u p99_us=%u max_us=%u\n",
           opt.mode == MODE_ECHO ? "echo" : "app", opt.conns, opt.idle, total, errors, window,
           (double)nlat / window, percentile(0.50), percentile(0.99), nlat ? lat[nlat - 1] : 0);
    free(lat);
    free(conns);
    free(pfds);
    free(readyv);
#ifdef USE_EPOLL
    free(reg_fd);
    free(reg_ev);
    free(evbuf);
    if (epfd >= 0)
        close(epfd);
#endif
    freeaddrinfo(target);
    return errors == 0 && rc == 0 ? 0 : 1;
}
