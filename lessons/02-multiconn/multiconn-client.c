/* multiconn-client.c - lesson 02: many connections at once, from one thread.
 *
 * Opens NUM_CONNS connections to an echo server at the same time, sends the same bytes
 * on each, and checks that every byte comes back unchanged. Like the server, it never
 * blocks on one socket: the sockets are non-blocking, connect() only starts the handshake
 * (EINPROGRESS), and select() says which connection can make progress next.
 *
 * Each connection goes through two states:
 *
 *     CONNECTING    waiting for the handshake; writable = it finished, SO_ERROR says how
 *     TRANSFERRING  sending what is left while reading the echo back and comparing it
 *
 * and ends FINISHED, with one line of report. Reading while still sending matters: a
 * client that sent everything before reading could deadlock with the server (lesson 01).
 *
 * usage: multiconn-client [-r BYTES] HOST PORT NUM_CONNS [MESSAGE...] */
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* How much one recv() may take at once. */
#define CHUNK_SIZE 65536
/* Give up on the connections still open when nothing at all happens for this long. */
#define REPLY_TIMEOUT_SECONDS 10
/* Sanity limits for the command line. */
#define MAX_CONNS 10000
#define MAX_RANDOM_BYTES (1024L * 1024 * 1024)
/* Room for one connection's report, "byte 123 differs: ..." or a connect error. */
#define REASON_LEN 256

enum conn_state { CONNECTING, TRANSFERRING, FINISHED };

/* Everything the client knows about one connection. */
struct conn {
    int id;                      /* 1..NUM_CONNS, for the report */
    int fd;                      /* the non-blocking socket, -1 when there is none */
    enum conn_state state;       /* where it is in its life */
    const struct addrinfo *addr; /* the address being tried (getaddrinfo's list) */
    const unsigned char *data;   /* the bytes to send, and to expect back */
    size_t len;                  /* how many */
    unsigned char *own_data;     /* data, when it belongs to this connection (-r) */
    size_t sent;                 /* how many of them have been sent */
    size_t received;             /* how many came back (and matched) */
    bool intact;                 /* FINISHED with every byte back unchanged */
};

static void usage(FILE *out)
{
    fprintf(out, "usage: multiconn-client [-h] [-r BYTES] HOST PORT NUM_CONNS [MESSAGE...]\n"
                 "Opens NUM_CONNS connections to an echo server at once, sends the MESSAGEs\n"
                 "on each (default: two sample messages) and checks that every byte comes back.\n"
                 "-r BYTES: send BYTES random bytes on each connection instead of messages.\n"
                 "Prints one line per connection and a summary; exits 0 only if every\n"
                 "connection got its bytes back intact.\n");
}

/* Fills p with len pseudo-random bytes from seed (xorshift32: enough to make each
 * connection's data different and binary, not meant for anything secret). */
static void fill_random(unsigned char *p, size_t len, uint32_t seed)
{
    uint32_t x = seed != 0 ? seed : 1; /* xorshift never leaves 0 */

    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)(x >> 24);
    }
}

/* Closes the connection's socket, if it has one. */
static void drop_socket(struct conn *c)
{
    if (c->fd >= 0 && close(c->fd) < 0)
        log_errno(errno, "close connection %d", c->id);
    c->fd = -1;
}

/* Ends c as a success: prints its line and closes it. */
static void conn_succeeded(struct conn *c)
{
    log_info("Connection %d: sent %zu bytes, got them all back intact", c->id, c->len);
    drop_socket(c);
    c->intact = true;
    c->state = FINISHED;
}

/* Ends c as a failure: prints its line with the reason (printf-style) and closes it. */
static void conn_failed(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_failed(struct conn *c, const char *fmt, ...)
{
    char reason[REASON_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    log_info("Connection %d: FAILED: %s", c->id, reason);
    drop_socket(c);
    c->intact = false;
    c->state = FINISHED;
}

/* Formats c's current address for an error line. */
static void current_addr(const struct conn *c, char *out, size_t outlen)
{
    if (net_format_addr(c->addr->ai_addr, out, outlen) < 0)
        snprintf(out, outlen, "(unknown address)");
}

/* Starts connecting a non-blocking socket to c->addr. Returns 0 once the handshake is
 * under way (c->fd set, c->state CONNECTING), or -1 with errno set. */
static int start_connect(struct conn *c)
{
    /* TODO 7: Start a non-blocking connect: socket(), non-blocking, connect().
     * Hint: create the socket with c->addr's ai_family, ai_socktype and ai_protocol, and
     * make it non-blocking with net_set_nonblocking() BEFORE connect(). Then connect() to
     * c->addr->ai_addr (ai_addrlen bytes) returns at once: -1 with errno EINPROGRESS means
     * "the handshake has started" (not an error; EINTR means the same here), 0 means it
     * already finished. Either way, store the fd in c->fd, set c->state = CONNECTING and
     * return 0: select() reports the socket writable once the handshake is over. On any
     * other failure close the socket, and return -1 with errno as connect() left it (save
     * it before close(), which may change it). */
    (void)c;
    log_error("TODO 7 is not done yet: start a non-blocking connect");
    errno = ENOSYS;
    return -1;
}

/* Returns 0 if the non-blocking connect on fd succeeded, or the error number saying why
 * it failed. Call it once select() has reported fd writable. */
static int connect_result(int fd)
{
    /* TODO 8: Ask the socket how its connect() ended: getsockopt(SO_ERROR).
     * Hint: writable only means the handshake is over, not that it worked: a refused
     * connection is "writable" too. int error = 0; socklen_t len = sizeof error;
     * getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) stores 0 (connected) or the
     * error (ECONNREFUSED...) in error. Return error; if getsockopt() itself fails,
     * return errno. */
    (void)fd;
    log_error("TODO 8 is not done yet: read SO_ERROR");
    return ENOSYS;
}

/* Starts c's connect to its current address, moving on to the next ones while they fail
 * at once. Finishes c as failed when none is left. */
static void connect_next(struct conn *c)
{
    char addr[NET_ADDRSTRLEN];

    while (start_connect(c) < 0) {
        int error = errno;

        if (c->addr->ai_next == NULL) {
            current_addr(c, addr, sizeof addr);
            conn_failed(c, "connect %s: %s", addr, strerror(error));
            return;
        }
        c->addr = c->addr->ai_next;
    }
    if (c->fd >= FD_SETSIZE) {
        /* FD_SET() on it would write outside the fd_set. */
        conn_failed(c, "descriptor %d does not fit in an fd_set (FD_SETSIZE %d)", c->fd,
                    FD_SETSIZE);
    }
}

/* The handshake of c is over (its socket became writable): connected, or on to the next
 * address, or failed. */
static void on_connect_done(struct conn *c)
{
    char addr[NET_ADDRSTRLEN];
    int error = connect_result(c->fd);

    if (error == 0) {
        c->state = TRANSFERRING;
        if (c->len == 0)
            conn_succeeded(c); /* nothing to send, nothing to wait for */
        return;
    }
    drop_socket(c);
    if (c->addr->ai_next != NULL) {
        c->addr = c->addr->ai_next;
        connect_next(c);
        return;
    }
    current_addr(c, addr, sizeof addr);
    conn_failed(c, "connect %s: %s", addr, strerror(error));
}

/* Sends as much of what is left as the socket takes now (it was reported writable). */
static void send_more(struct conn *c)
{
    ssize_t n = send(c->fd, c->data + c->sent, c->len - c->sent, 0);

    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_failed(c, "send: %s", strerror(errno));
        return;
    }
    c->sent += (size_t)n; /* maybe fewer than asked: the rest goes next time */
}

/* Reads what the server echoed (the socket was reported readable) and compares it with
 * what was sent. Finishes c when everything is back, or at the first wrong byte. */
static void receive_echo(struct conn *c)
{
    unsigned char chunk[CHUNK_SIZE];

    /* TODO 9: Read the echo and compare it, byte for byte, with what was sent.
     * Hint: recv() at most min(sizeof chunk, c->len - c->received) bytes: never more than
     * you still expect. n < 0: EAGAIN, EWOULDBLOCK, EINTR: try later; else
     * conn_failed(c, "recv: %s", strerror(errno)). n == 0: the server closed early:
     * conn_failed(c, "the server closed the connection after %zu of %zu bytes", ...).
     * Otherwise the n bytes must equal c->data[c->received ...]: at the first difference
     * conn_failed(c, "byte %zu differs: sent 0x%02x, got 0x%02x", offset, sent, got).
     * Add n to c->received; once it reaches c->len, conn_succeeded(c). */
    (void)chunk;
    log_error("TODO 9 is not done yet: read and check the echo");
    conn_failed(c, "TODO 9 is not done yet");
}

/* Fills the sets for select(): a connecting socket is watched for writability (the end of
 * its handshake); a transferring one for readability, and for writability only while it
 * has bytes left to send. Returns the highest descriptor set, -1 if none. */
static int watch(const struct conn *conns, int count, fd_set *readable, fd_set *writable)
{
    int max_fd = -1;

    FD_ZERO(readable);
    FD_ZERO(writable);
    for (int i = 0; i < count; i++) {
        const struct conn *c = &conns[i];

        if (c->state == FINISHED)
            continue;
        if (c->state == CONNECTING) {
            FD_SET(c->fd, writable);
        } else {
            FD_SET(c->fd, readable);
            if (c->sent < c->len)
                FD_SET(c->fd, writable);
        }
        if (c->fd > max_fd)
            max_fd = c->fd;
    }
    return max_fd;
}

/* Fails every connection still open with the given reason. */
static void fail_unfinished(struct conn *conns, int count, const char *why)
{
    for (int i = 0; i < count; i++) {
        struct conn *c = &conns[i];

        if (c->state == CONNECTING)
            conn_failed(c, "%s before the connection was established", why);
        else if (c->state == TRANSFERRING)
            conn_failed(c, "%s: sent %zu of %zu bytes, got %zu back", why, c->sent, c->len,
                        c->received);
    }
}

/* Drives every connection until all are finished. */
static void run(struct conn *conns, int count)
{
    int max_fd;
    fd_set readable;
    fd_set writable;

    while ((max_fd = watch(conns, count, &readable, &writable)) >= 0) {
        struct timeval timeout = {REPLY_TIMEOUT_SECONDS, 0};
        int ready = select(max_fd + 1, &readable, &writable, NULL, &timeout);

        if (ready < 0) {
            if (errno == EINTR)
                continue;
            log_errno(errno, "select");
            fail_unfinished(conns, count, "select failed");
            return;
        }
        if (ready == 0) {
            char why[64];

            snprintf(why, sizeof why, "nothing happened for %d s", REPLY_TIMEOUT_SECONDS);
            fail_unfinished(conns, count, why);
            return;
        }
        for (int i = 0; i < count; i++) {
            struct conn *c = &conns[i];

            if (c->state == CONNECTING) {
                if (FD_ISSET(c->fd, &writable))
                    on_connect_done(c);
                continue; /* its new socket (next address) was not in this round's sets */
            }
            if (c->state == TRANSFERRING && FD_ISSET(c->fd, &readable))
                receive_echo(c);
            if (c->state == TRANSFERRING && c->sent < c->len && FD_ISSET(c->fd, &writable))
                send_more(c);
        }
    }
}

/* Parses a decimal number from min to max. Returns 0, or -1 if s is not one. */
static int parse_number(const char *s, long min, long max, long *value)
{
    char *end;

    errno = 0;
    *value = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || *value < min || *value > max)
        return -1;
    return 0;
}

/* Concatenates the messages into one allocated buffer (what every connection sends).
 * Returns it (NULL with *len 0 if there is nothing to send), or NULL with errno ENOMEM. */
static unsigned char *join_messages(char **messages, int count, size_t *len)
{
    unsigned char *joined;
    size_t total = 0;

    for (int i = 0; i < count; i++)
        total += strlen(messages[i]);
    *len = total;
    if (total == 0)
        return NULL;
    joined = malloc(total);
    if (joined == NULL)
        return NULL;
    total = 0;
    for (int i = 0; i < count; i++) {
        size_t n = strlen(messages[i]);

        memcpy(joined + total, messages[i], n);
        total += n;
    }
    return joined;
}

int main(int argc, char **argv)
{
    char *default_messages[] = {"Message 1 from client.", "Message 2 from client."};
    char **messages = default_messages;
    int message_count = 2;
    long random_bytes = -1; /* -r not given */
    long count;
    const char *host;
    const char *port;
    struct addrinfo hints = {0};
    struct addrinfo *addrs = NULL;
    struct conn *conns = NULL;
    unsigned char *shared = NULL;
    size_t shared_len = 0;
    int argi = 1;
    int intact = 0;
    int rc;

    log_init("multiconn-client");
    /* Options come first; the first operand (or "--") ends them, so messages may start
     * with '-'. */
    for (; argi < argc && argv[argi][0] == '-' && argv[argi][1] != '\0'; argi++) {
        if (strcmp(argv[argi], "--") == 0) {
            argi++;
            break;
        }
        if (strcmp(argv[argi], "-h") == 0) {
            usage(stdout);
            return EXIT_SUCCESS;
        }
        if (strcmp(argv[argi], "-r") == 0 && argi + 1 < argc &&
            parse_number(argv[argi + 1], 0, MAX_RANDOM_BYTES, &random_bytes) == 0) {
            argi++;
            continue;
        }
        usage(stderr);
        return EXIT_USAGE;
    }
    if (argc - argi < 3 || !net_valid_port(argv[argi + 1]) ||
        parse_number(argv[argi + 2], 1, MAX_CONNS, &count) < 0 ||
        (random_bytes >= 0 && argc - argi > 3)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    host = argv[argi];
    port = argv[argi + 1];
    if (argc - argi > 3) {
        messages = argv + argi + 3;
        message_count = argc - argi - 3;
    }
    if (signals_ignore_sigpipe() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }

    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &addrs);
    if (rc != 0) {
        log_error("getaddrinfo %s:%s: %s", host, port,
                  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return EXIT_FAILURE;
    }
    conns = calloc((size_t)count, sizeof *conns);
    if (random_bytes < 0)
        shared = join_messages(messages, message_count, &shared_len);
    if (conns == NULL || (shared == NULL && shared_len > 0)) {
        log_errno(ENOMEM, "memory for %ld connections", count);
        free(conns);
        free(shared);
        freeaddrinfo(addrs);
        return EXIT_FAILURE;
    }

    for (int i = 0; i < count; i++) {
        struct conn *c = &conns[i];

        c->id = i + 1;
        c->fd = -1;
        c->addr = addrs;
        c->data = shared;
        c->len = shared_len;
        if (random_bytes > 0) {
            c->own_data = malloc((size_t)random_bytes);
            if (c->own_data == NULL) {
                conn_failed(c, "no memory for %ld bytes", random_bytes);
                continue;
            }
            fill_random(c->own_data, (size_t)random_bytes, (uint32_t)c->id * 2654435761u);
            c->data = c->own_data;
            c->len = (size_t)random_bytes;
        }
        connect_next(c);
    }

    run(conns, (int)count);

    for (int i = 0; i < count; i++) {
        if (conns[i].intact)
            intact++;
        free(conns[i].own_data);
    }
    log_info("Summary: %d of %ld connections got their bytes back intact", intact, count);
    free(conns);
    free(shared);
    freeaddrinfo(addrs);
    if (intact < count) {
        log_error("%ld of %ld connections failed", count - intact, count);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
