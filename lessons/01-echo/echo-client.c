/* echo-client.c - lesson 01: a blocking echo client.
 *
 * Sends MESSAGE, or all of standard input, to an echo server and writes what comes back to
 * standard output, byte for byte. To stay deadlock-free with blocking calls it never has
 * more than one chunk in flight: send a chunk, read the same number of bytes back, repeat.
 * (Sending everything first would stall on large inputs: once the server's and our socket
 * buffers are full, the server blocks sending to us while we block sending to it.)
 * At the end it half-closes (shutdown SHUT_WR) so the server sees end of file, then reads
 * until the server closes.
 *
 * usage: echo-client [HOST [PORT [MESSAGE]]]   (defaults 127.0.0.1 65432) */
#include "cli.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The most bytes in flight at once; also the size of our read buffers. */
#define CHUNK_SIZE 65536

/* Room for an error line such as "connect [::1]:65432: Connection refused". */
#define ERROR_LEN 256

static void usage(FILE *out)
{
    fprintf(out, "usage: echo-client [-h] [HOST [PORT [MESSAGE]]]\n"
                 "Sends MESSAGE (or standard input) to an echo server and prints the echo.\n"
                 "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT ".\n");
}

/* Writes "STEP ADDRESS: REASON" into err: what failed, for which address, and why. */
static void describe_failure(char *err, size_t errlen, const char *step, const struct addrinfo *ai,
                             int errnum)
{
    char addr[NET_ADDRSTRLEN];

    if (net_format_addr(ai->ai_addr, addr, sizeof addr) < 0)
        snprintf(addr, sizeof addr, "(unknown address)");
    snprintf(err, errlen, "%s %s: %s", step, addr, strerror(errnum));
}

/* Connects a TCP socket to host:port, trying each address the name has. Returns the
 * connected socket, or -1 after printing one error line naming the address that failed. */
static int connect_to_server(const char *host, const char *port)
{
    /* TODO 5: Connect: getaddrinfo(), then socket() and connect() on each address in turn
     * until one works.
     * Hint: as in open_listener() (TODO 1), hints with ai_family AF_UNSPEC and ai_socktype
     * SOCK_STREAM, but no AI_PASSIVE: this address is one to connect to. Walk the whole
     * ai_next list: "localhost" may give ::1 first while the server listens on 127.0.0.1
     * only. On each: socket(), then connect() to ai_addr; if either fails, remember why with
     * describe_failure(err, sizeof err, "connect", ai, errno), close() the socket, try the
     * next. freeaddrinfo() the list on every path. If none worked, log_error("%s", err):
     * "echo-client: connect 127.0.0.1:65432: Connection refused". */
    (void)host;
    (void)port;
    (void)describe_failure;
    log_error("TODO 5 is not done yet: connect");
    return -1;
}

/* Writes all len bytes of bytes to fd, a socket or standard output. Returns 0, or -1 with
 * errno set (EPIPE or ECONNRESET: the server has gone). */
static int write_all(int fd, const unsigned char *bytes, size_t len)
{
    /* TODO 6: Write every byte, however few each write() takes.
     * Hint: keep a count of bytes written and loop while it is below len: write() from
     * bytes + written the len - written bytes left, and add what it returns. On a socket
     * (where write() is send() without flags) it may take fewer bytes than asked: a short
     * count, not an error. If it fails with EINTR, a signal interrupted it before anything
     * was written: call it again. Any other failure: return -1. */
    (void)fd;
    (void)bytes;
    (void)len;
    log_error("TODO 6 is not done yet: write everything");
    errno = ENOSYS;
    return -1;
}

/* Sends len bytes and reads back exactly len bytes, copying them to standard output.
 * Returns 0, or -1 on an error (reported). */
static int send_and_read_back(int sock, const unsigned char *data, size_t len)
{
    unsigned char echo[CHUNK_SIZE];

    /* TODO 7: Send one chunk, then read back exactly as many bytes and copy them to stdout.
     * Hint: write_all() the chunk to the socket. Then loop on recv() into echo until you
     * have len bytes: one recv() returns whatever has arrived, often less. Ask for no more
     * than you still miss (the server may close as soon as it has echoed everything, and
     * bytes beyond len belong to no chunk of ours). recv() returning 0 before len bytes
     * means the server closed early: report "server closed the connection after N of M
     * bytes"; EINTR: call it again. Copy the echo to standard output with
     * write_all(STDOUT_FILENO, ...). */
    (void)sock;
    (void)data;
    (void)len;
    (void)echo;
    (void)write_all;
    log_error("TODO 7 is not done yet: send and read back");
    return -1;
}

/* Sends standard input chunk by chunk until end of file. Returns 0, or -1 (reported). */
static int send_stdin(int sock)
{
    unsigned char chunk[CHUNK_SIZE];

    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);

        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_errno(errno, "read stdin");
            return -1;
        }
        if (send_and_read_back(sock, chunk, (size_t)n) < 0)
            return -1;
    }
}

/* Tells the server we are done sending, then copies whatever it still sends to standard
 * output until it closes. Returns 0, or -1 on an error (reported). */
static int finish(int sock)
{
    /* TODO 8: Half-close, then read until the server closes the connection.
     * Hint: shutdown(sock, SHUT_WR) sends end of file to the server but keeps our receiving
     * side open; close() would throw away anything still on its way to us. Then loop on
     * recv() until it returns 0, copying any bytes to stdout with write_all() (a correct
     * echo server has sent everything already, so usually there are none). */
    (void)sock;
    log_error("TODO 8 is not done yet: half-close");
    return -1;
}

int main(int argc, char **argv)
{
    const char *host = DEFAULT_HOST;
    const char *port = DEFAULT_PORT;
    const char *message = NULL;
    int sock;
    int rc;

    log_init("echo-client");
    if (argc == 2 && strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    if (argc > 4 || (argc > 1 && argv[1][0] == '-') || (argc > 2 && !net_valid_port(argv[2]))) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (argc > 1)
        host = argv[1];
    if (argc > 2)
        port = argv[2];
    if (argc > 3)
        message = argv[3];
    if (signals_ignore_sigpipe() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }

    sock = connect_to_server(host, port);
    if (sock < 0)
        return EXIT_FAILURE;

    if (message != NULL)
        rc = send_and_read_back(sock, (const unsigned char *)message, strlen(message));
    else
        rc = send_stdin(sock);
    if (rc == 0)
        rc = finish(sock);
    if (close(sock) < 0 && rc == 0) {
        log_errno(errno, "close");
        rc = -1;
    }
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
