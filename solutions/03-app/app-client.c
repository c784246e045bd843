/* app-client.c - lesson 03: a client of the application protocol.
 *
 * Sends one request and prints the response. ACTION "search" sends a text/json request,
 * {"action": "search", "value": VALUE}; any other ACTION sends binary content, the bytes of
 * ACTION followed by VALUE. The response is read through a struct message (message.h), the
 * same state machine the server uses, so it does not matter how the bytes are split.
 *
 * Blocking calls are enough here: the client sends its whole request, and the server reads
 * the whole request before it answers, so neither side waits for the other to read.
 *
 * usage: app-client HOST PORT ACTION VALUE */
#include "cli.h"
#include "io.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How much one recv() may take at once. */
#define CHUNK_SIZE 65536

static void usage(FILE *out)
{
    fprintf(out, "usage: app-client [-h] HOST PORT ACTION VALUE\n"
                 "Sends one request to app-server and prints its response.\n"
                 "ACTION search looks VALUE up (try morpheus, ring or \xF0\x9F\x90\xB6);\n"
                 "any other ACTION sends the bytes of ACTION and VALUE as binary content.\n");
}

/* Appends the request for action and value, encoded, to out.
 * Returns 0, or -1 with the reason in err. */
static int build_request(struct buf *out, const char *action, const char *value, char *err,
                         size_t errlen)
{
    /* @step 8 Build the request: text/json for "search", binary content for anything else.
     * Hint: for "search", the content is the JSON object {"action": ACTION, "value": VALUE}:
     * json_pack_ex(&jerr, 0, "{s:s, s:s}", ...) builds it (and refuses text that is not
     * valid UTF-8: report jerr.text), json_dumps(obj, 0) turns it into text; encode it with
     * message_encode(out, CONTENT_TYPE_JSON, ENCODING_UTF8, text, strlen(text)). For any
     * other action the content is the bytes of ACTION immediately followed by VALUE
     * ("double" "7" -> "double7"), encoded as CONTENT_TYPE_CLIENT_BINARY, ENCODING_BINARY.
     * Release the JSON object and the text on every path. */
    int rc = -1;

    if (strcmp(action, "search") == 0) {
        json_error_t jerr;
        json_t *content = json_pack_ex(&jerr, 0, "{s:s, s:s}", "action", action, "value", value);
        char *text;

        if (content == NULL) {
            snprintf(err, errlen, "request: %s", jerr.text);
            return -1;
        }
        text = json_dumps(content, 0);
        json_decref(content);
        if (text != NULL)
            rc = message_encode(out, CONTENT_TYPE_JSON, ENCODING_UTF8, text, strlen(text));
        free(text);
    } else {
        struct buf content = BUF_INIT;

        if (buf_append(&content, action, strlen(action)) == 0 &&
            buf_append(&content, value, strlen(value)) == 0)
            rc = message_encode(out, CONTENT_TYPE_CLIENT_BINARY, ENCODING_BINARY,
                                buf_data(&content), buf_len(&content));
        buf_free(&content);
    }
    if (rc < 0)
        snprintf(err, errlen, "request: could not encode it (out of memory)");
    return rc;
    /* @stub
    (void)out;
    (void)action;
    (void)value;
    snprintf(err, errlen, "TODO 8 is not done yet: build the request");
    return -1;
    @end */
}

/* Sends the request, reads the response into m and prints it.
 * Returns 0, or -1 on an error (reported). */
static int exchange(int sock, const struct buf *request, struct message *m)
{
    /* @step 9 Send the request, read the response through the message, print it.
     * Hint: io_write_all() sends the whole request. Then loop: recv() a chunk and
     * message_feed() it, until message_reading(m) is false; recv() returning 0 first means
     * the server closed early: message_peer_closed(m). EINTR: recv() again. If m->state is
     * MESSAGE_ERROR, print "bad response: REASON" on stderr (log_error) and return -1.
     * Otherwise message_describe_response() makes the line to print; write it to stdout
     * followed by a newline (fwrite(): the result may hold any UTF-8). */
    unsigned char chunk[CHUNK_SIZE];
    struct buf line = BUF_INIT;
    int rc = -1;

    if (io_write_all(sock, buf_data(request), buf_len(request)) < 0) {
        log_errno(errno, "send");
        return -1;
    }
    while (message_reading(m)) {
        ssize_t n = recv(sock, chunk, sizeof chunk, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_errno(errno, "recv");
            return -1;
        }
        if (n == 0)
            message_peer_closed(m);
        else
            message_feed(m, chunk, (size_t)n);
    }
    if (m->state == MESSAGE_READ_DONE && message_describe_response(m, &line) == 0) {
        if (fwrite(buf_data(&line), 1, buf_len(&line), stdout) == buf_len(&line) &&
            putchar('\n') != EOF && fflush(stdout) == 0)
            rc = 0;
        else
            log_errno(errno, "write to stdout");
    }
    if (m->state == MESSAGE_ERROR)
        log_error("bad response: %s", m->error);
    buf_free(&line);
    return rc;
    /* @stub
    (void)sock;
    (void)request;
    (void)m;
    log_error("TODO 9 is not done yet: send the request and read the response");
    return -1;
    @end */
}

int main(int argc, char **argv)
{
    struct buf request = BUF_INIT;
    struct message response;
    char err[NET_ERRLEN];
    int sock;
    int rc;

    log_init("app-client");
    if (argc == 2 && strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    if (argc != 5 || argv[1][0] == '-' || !net_valid_port(argv[2])) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (signals_ignore_sigpipe() < 0) {
        log_errno(errno, "sigaction");
        return EXIT_FAILURE;
    }
    if (build_request(&request, argv[3], argv[4], err, sizeof err) < 0) {
        log_error("%s", err);
        buf_free(&request);
        return EXIT_FAILURE;
    }
    sock = net_connect(argv[1], argv[2], err, sizeof err);
    if (sock < 0) {
        log_error("%s", err);
        buf_free(&request);
        return EXIT_FAILURE;
    }
    message_init(&response, MESSAGE_DEFAULT_MAX_CONTENT);
    rc = exchange(sock, &request, &response);
    message_free(&response);
    buf_free(&request);
    if (close(sock) < 0 && rc == 0) {
        log_errno(errno, "close");
        rc = -1;
    }
    return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
