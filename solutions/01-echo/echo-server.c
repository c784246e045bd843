/* echo-server.c - lesson 01: an iterative echo server with blocking sockets.
 *
 * It serves one client at a time: accept a connection, send back every byte the client
 * sends until the client closes its side, close the connection, accept the next one.
 * While one client is being served, the next waits in the kernel's accept queue.
 *
 * usage: echo-server [HOST [PORT]]   (defaults 127.0.0.1 65432; port 0 picks a free one) */
#include "cli.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* How much one recv() may take at once. Any size works; larger means fewer system calls. */
#define CHUNK_SIZE 65536

static void usage(FILE *out)
{
    fprintf(out,
            "usage: echo-server [-h] [HOST [PORT]]\n"
            "Echoes back everything each client sends, one client at a time.\n"
            "HOST defaults to " DEFAULT_HOST ", PORT to " DEFAULT_PORT " (0: any free port).\n");
}

/* Sends back every byte the client sends until it closes its side of the connection.
 * Returns 0 when the client has finished, -1 on an error (already reported). */
static int echo_until_eof(int conn, const char *peer)
{
    unsigned char chunk[CHUNK_SIZE];

    /* @step 3 Echo: receive a chunk, send all of it back, repeat until recv() returns 0.
     * Hint: recv() returns how many bytes arrived (any number from 1 to sizeof chunk),
     * 0 when the client has closed its side (end of file), -1 on error. Send back exactly
     * the bytes that arrived with io_write_all() (see common/io.h): a bare send() may send
     * fewer bytes than asked. If recv() fails with EINTR, a signal interrupted it: go
     * round again unless signals_stop_requested() says it is time to stop. */
    for (;;) {
        ssize_t n = recv(conn, chunk, sizeof chunk, 0);

        if (n == 0)
            return 0; /* the client will send nothing more */
        if (n < 0) {
            if (errno == EINTR && !signals_stop_requested())
                continue;
            log_errno(errno, "recv from %s", peer);
            return -1;
        }
        if (io_write_all(conn, chunk, (size_t)n) < 0) {
            /* EPIPE or ECONNRESET: the client vanished. Only this connection ends. */
            log_errno(errno, "send to %s", peer);
            return -1;
        }
    }
    /* @stub
    (void)conn;
    (void)peer;
    (void)chunk;
    return 0;
    @end */
}

/* Accepts clients one after another and echoes for each until a stop signal arrives. */
static void serve_forever(int listener)
{
    while (!signals_stop_requested()) {
        /* @step 2 Accept the next client, log it, echo for it, close its socket.
         * Hint: accept() blocks until a client connects and returns a new socket for that
         * client only. Pass a struct sockaddr_storage (big enough for IPv4 and IPv6) so you
         * learn the peer's address, format it with net_format_addr(), and log
         * "Connected by ADDR". Then call echo_until_eof(), close() the client's socket and
         * log "Disconnected ADDR". If accept() fails with EINTR, just go round the loop:
         * the while condition checks for a stop signal. Any other accept() error is
         * reported and the server keeps serving. */
        struct sockaddr_storage peer_addr;
        socklen_t peer_len = sizeof peer_addr;
        char peer[NET_ADDRSTRLEN];
        int conn = accept(listener, (struct sockaddr *)&peer_addr, &peer_len);

        if (conn < 0) {
            if (errno != EINTR)
                log_errno(errno, "accept");
            continue;
        }
        if (net_format_addr((struct sockaddr *)&peer_addr, peer, sizeof peer) < 0)
            snprintf(peer, sizeof peer, "(unknown peer)");
        log_info("Connected by %s", peer);
        echo_until_eof(conn, peer);
        if (close(conn) < 0)
            log_errno(errno, "close connection to %s", peer);
        log_info("Disconnected %s", peer);
        /* @stub
        (void)listener;
        (void)echo_until_eof;
        log_error("TODO 2 is not done yet: accept a client");
        break;
        @end */
    }
}

int main(int argc, char **argv)
{
    const char *host;
    const char *port;
    char local[NET_ADDRSTRLEN];
    char err[NET_ERRLEN];
    int listener;

    log_init("echo-server");
    switch (cli_parse_server(argc, argv, &host, &port, NULL, NULL)) {
    case CLI_HELP:
        usage(stdout);
        return EXIT_SUCCESS;
    case CLI_BAD:
        usage(stderr);
        return EXIT_USAGE;
    case CLI_RUN:
        break;
    }
    if (signals_install() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }

    /* @step 1 Open the listening socket and announce it.
     * Hint: net_listen() (common/net.c) does getaddrinfo(), socket(), setsockopt(SO_REUSEADDR),
     * bind() and listen(); read it once. On failure it fills err: print it with
     * log_error("%s", err) and return EXIT_FAILURE. Then find the address actually bound
     * (port 0 means "any free port") with net_local_name() and print exactly
     * "Listening on ADDR" with log_info(). */
    listener = net_listen(host, port, err, sizeof err);
    if (listener < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (net_local_name(listener, local, sizeof local) < 0) {
        log_errno(errno, "getsockname");
        close(listener);
        return EXIT_FAILURE;
    }
    log_info("Listening on %s", local);
    /* @stub
    (void)host;
    (void)port;
    (void)local;
    (void)err;
    log_error("TODO 1 is not done yet: open the listening socket");
    return EXIT_FAILURE;
    @end */

    serve_forever(listener);

    if (close(listener) < 0)
        log_errno(errno, "close listener");
    log_info("Shutting down");
    return EXIT_SUCCESS;
}
