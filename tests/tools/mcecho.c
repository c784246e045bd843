/* mcecho.c - a test tool: an echo server that misbehaves on purpose, to test clients.
 *
 * Serves many connections at once (poll). Prints "Listening on HOST:PORT" first, like the
 * kit's servers, and runs until killed. Connections are numbered in the order accepted;
 * the odd-numbered ones (1st, 3rd, ...) get the fault, the even ones a correct echo, so a
 * client's report must tell the two apart.
 *
 *   mcecho [--fault none|corrupt|drop|truncate] [--trickle] [--wait-for N] HOST PORT
 *     --fault corrupt   byte 5 of the echo comes back with every bit flipped
 *     --fault drop      byte 5 is never sent back (the echo is one byte short, shifted)
 *     --fault truncate  the server closes the connection after echoing 5 bytes
 *     --trickle         every connection's echo goes out one byte per send(), slowly
 *     --wait-for N      echo nothing until N connections have been accepted
 * Exit: 1 on a setup error, 2 on bad arguments.
 *
 * Handout: compiled only. Its loop (non-blocking sockets, a buffer per connection, write
 * interest only while output is pending) is lesson 02's server with poll() for select():
 * the student handout carries mcecho as a static binary and not this source
 * (tests/tools.mk). */
#include "buf.h"
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

#define IO_SIZE 65536
#define MAX_CONNS 4096
#define FAULT_AT 5

enum fault { NONE, CORRUPT, DROP, TRUNCATE };

struct conn {
    int fd;
    long number;     /* 1, 2, ... in accept order */
    size_t in_count; /* bytes received so far: the stream position of the next one */
    struct buf out;  /* echo not sent yet */
    bool peer_eof;   /* close once out is sent */
    bool cut;        /* truncate: echo nothing more, half-close once out is sent */
    bool fin_sent;   /* cut and half-closed */
};

static int usage(void)
{
    fprintf(stderr, "usage: mcecho [--fault none|corrupt|drop|truncate] [--trickle] "
                    "[--wait-for N] HOST PORT\n");
    return 2;
}

static void drop_conn(struct conn *conns, int *count, int k)
{
    close(conns[k].fd);
    buf_free(&conns[k].out);
    conns[k] = conns[*count - 1];
    (*count)--;
}

int main(int argc, char **argv)
{
    enum fault fault = NONE;
    bool trickle = false;
    long wait_for = 0, accepted = 0;
    struct conn *conns = calloc(MAX_CONNS, sizeof *conns);
    struct pollfd *pfds = calloc(MAX_CONNS + 1, sizeof *pfds);
    unsigned char *in = malloc(IO_SIZE);
    char err[NET_ERRLEN], local[NET_ADDRSTRLEN];
    int count = 0, listener, i;

    signal(SIGPIPE, SIG_IGN);
    if (conns == NULL || pfds == NULL || in == NULL)
        return 1;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--trickle") == 0) {
            trickle = true;
        } else if (strcmp(argv[i], "--fault") == 0 && i + 1 < argc) {
            const char *f = argv[++i];
            if (strcmp(f, "none") == 0)
                fault = NONE;
            else if (strcmp(f, "corrupt") == 0)
                fault = CORRUPT;
            else if (strcmp(f, "drop") == 0)
                fault = DROP;
            else if (strcmp(f, "truncate") == 0)
                fault = TRUNCATE;
            else
                return usage();
        } else if (strcmp(argv[i], "--wait-for") == 0 && i + 1 < argc) {
            wait_for = strtol(argv[++i], NULL, 10);
        } else {
            return usage();
        }
    }
    if (argc - i != 2)
        return usage();
    listener = net_listen(argv[i], argv[i + 1], err, sizeof err);
    if (listener < 0) {
        fprintf(stderr, "mcecho: %s\n", err);
        return 1;
    }
    if (net_set_nonblocking(listener) < 0 || net_local_name(listener, local, sizeof local) < 0) {
        perror("mcecho");
        return 1;
    }
    printf("Listening on %s\n", local);
    fflush(stdout);

    for (;;) {
        bool echoing = accepted >= wait_for;

        pfds[0].fd = listener;
        pfds[0].events = count < MAX_CONNS ? POLLIN : 0;
        for (int k = 0; k < count; k++) {
            struct conn *c = &conns[k];
            pfds[k + 1].fd = c->fd;
            pfds[k + 1].events = 0;
            if (!c->peer_eof)
                pfds[k + 1].events |= POLLIN;
            if (echoing && buf_len(&c->out) > 0)
                pfds[k + 1].events |= POLLOUT;
        }
        if (poll(pfds, (nfds_t)count + 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            perror("mcecho: poll");
            return 1;
        }
        int polled = count;

        if (pfds[0].revents & POLLIN) {
            int fd = accept(listener, NULL, NULL);
            if (fd >= 0) {
                int on = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
                net_set_nonblocking(fd);
                conns[count] = (struct conn){.fd = fd, .number = ++accepted};
                count++;
            }
        }
        /* Backwards, so that dropping connection k (the last one moves into its slot)
         * leaves the ones still to visit where they were. */
        for (int k = polled - 1; k >= 0; k--) {
            struct conn *c = &conns[k];
            short re = pfds[k + 1].revents;
            bool faulty = fault != NONE && c->number % 2 == 1;

            if (re & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = recv(c->fd, in, IO_SIZE, 0);
                if (n == 0) {
                    c->peer_eof = true;
                } else if (n < 0) {
                    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        drop_conn(conns, &count, k);
                        continue;
                    }
                } else {
                    for (ssize_t b = 0; b < n && !c->cut; b++) {
                        unsigned char byte = in[b];
                        size_t at = c->in_count++;
                        if (faulty && at == FAULT_AT) {
                            if (fault == CORRUPT)
                                byte ^= 0xFF;
                            else if (fault == DROP)
                                continue;
                            else if (fault == TRUNCATE) {
                                c->cut = true;
                                break;
                            }
                        }
                        buf_append(&c->out, &byte, 1);
                    }
                }
            }
            if ((re & POLLOUT) && buf_len(&c->out) > 0) {
                size_t want = trickle ? 1 : buf_len(&c->out);
                ssize_t n = send(c->fd, buf_data(&c->out), want, 0);
                if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                    drop_conn(conns, &count, k);
                    continue;
                }
                if (n > 0)
                    buf_consume(&c->out, (size_t)n);
                if (trickle) {
                    struct timespec pause = {0, 200000}; /* 0.2 ms: one byte per segment */
                    nanosleep(&pause, NULL);
                }
            }
            if (c->cut && !c->fin_sent && buf_len(&c->out) == 0) {
                shutdown(c->fd, SHUT_WR); /* end of file, without a reset */
                c->fin_sent = true;
            }
            if (c->peer_eof && buf_len(&c->out) == 0)
                drop_conn(conns, &count, k);
        }
    }
}
