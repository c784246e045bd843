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
#include "io.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The most bytes in flight at once; also the size of our read buffers. */
#define CHUNK_SIZE 65536

static void usage(FILE *out)
{
    fprintf(out, "usage: echo-client [-h] [HOST [PORT [MESSAGE]]]\n"
                 "Sends MESSAGE (or standard input) to an echo server and prints the echo.\n"
                 "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT ".\n");
}

/* Sends len bytes and reads back exactly len bytes, copying them to standard output.
 * Returns 0, or -1 on an error (reported). */
static int send_and_read_back(int sock, const unsigned char *data, size_t len)
{
    unsigned char echo[CHUNK_SIZE];

    /* TODO 5: Send one chunk, then read back exactly as many bytes and copy them to stdout.
     * Hint: io_write_all() sends every byte (one send() may send fewer than asked).
     * io_read_exact() reads exactly len bytes; if it returns fewer, the server closed the
     * connection early: report "server closed the connection after N of M bytes".
     * Copy the echo to standard output with io_write_all(STDOUT_FILENO, ...). Never read
     * more than you sent: the server may close as soon as it has echoed everything. */
    (void)sock;
    (void)data;
    (void)len;
    (void)echo;
    log_error("TODO 5 is not done yet: send and read back");
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
    /* TODO 6: Half-close, then read until the server closes the connection.
     * Hint: shutdown(sock, SHUT_WR) sends end of file to the server but keeps our receiving
     * side open; close() would throw away anything still on its way to us. Then loop on
     * recv() until it returns 0, copying any bytes to stdout (a correct echo server has
     * sent everything already, so usually there are none). */
    (void)sock;
    log_error("TODO 6 is not done yet: half-close");
    return -1;
}

int main(int argc, char **argv)
{
    const char *host = DEFAULT_HOST;
    const char *port = DEFAULT_PORT;
    const char *message = NULL;
    char err[NET_ERRLEN];
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

    /* TODO 4: Connect to the server.
     * Hint: net_connect() (common/net.c) looks the name up with getaddrinfo() and tries
     * socket() + connect() on each address until one works. On failure, print err with
     * log_error("%s", err) and return EXIT_FAILURE. */
    (void)host;
    (void)port;
    (void)err;
    (void)send_stdin;
    (void)finish;
    log_error("TODO 4 is not done yet: connect");
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
