/* appwire.c - a test tool: lesson 03's protocol at the byte level, written from the contract.
 *
 * It shares no code with solutions/03-app (only the kit's common/ library and jansson), so
 * the lesson's server is checked by a client, and its client by a server, that know nothing
 * but the protocol table: a 2-byte big-endian length, a JSON header with byteorder,
 * content-type, content-encoding and content-length, then the content.
 *
 *   appwire frame [--type T] [--encoding E] [--byteorder B] [--length N] [--header TEXT]
 *                 [--header-length N] [--content TEXT | --content-file FILE]
 *       Writes one message to stdout. Defaults: text/json, utf-8, little, an empty content,
 *       content-length its real size. --header replaces the JSON header by TEXT, verbatim;
 *       --length and --header-length write wrong lengths on purpose.
 *   appwire request ACTION VALUE
 *       Writes the request the protocol defines for ACTION and VALUE to stdout.
 *   appwire check [--input FILE]
 *       Reads a whole response (until end of file) and checks it byte by byte. Prints
 *       "content-type: T", "content-encoding: E", "content-length: N", then "result: R"
 *       (text/json) or "content: BYTES" (other types; bytes other than printable ASCII as
 *       \xNN). Exit 0 if well-formed; 1 with the reason on stderr if not; 3 if no byte came.
 *   appwire ask (--send FILE | --request ACTION VALUE) --output FILE [DRIVE-OPTIONS] HOST PORT
 *       Sends the bytes of FILE (or the request for ACTION VALUE) to HOST PORT as tcpdrive
 *       would with the same options (drive.h: chunking, --no-shutdown, --limit...), writes
 *       the response to FILE, then checks it as `check` does. Prints "drive: N" first (N:
 *       0 the server closed the connection, 1 a connection error, 124 the --limit passed
 *       first), then check's lines. Exit status: check's.
 *   appwire crowd HOST PORT N
 *       Opens N connections at once, sends half of a different request on each, then the
 *       rest, then checks every answer. Exit 0 if all N are right.
 *   appwire serve [--split whole|1|random] [--seed N] [--delay-us N] [--reply FILE]
 *                 [--log FILE] [HOST [PORT]]
 *       A server that answers one request per connection as the protocol says (or with the
 *       bytes of FILE), sending its reply in chunks of the chosen size: a "dribbling" server.
 *       Prints "Listening on HOST:PORT"; appends what each request held to the log (default
 *       stderr): "action: A" and "value: V", or "content: BYTES", or "bad request: REASON".
 *       Serves until killed.
 * Exit status 2: bad arguments.
 *
 * Handout: compiled only. This file parses, answers and encodes lesson 03's messages in
 * full: the lesson's answer. The student handout carries appwire as a static binary and
 * not this source (tests/tools.mk). */
#include "drive.h"
#include "io.h"
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN 512

/* What one message held, as checked by parse_message(). */
struct parsed {
    json_t *header;
    const char *type;
    const char *encoding;
    long long length;
    const unsigned char *content;
    json_t *json; /* the content, when type is text/json */
};

static void parsed_free(struct parsed *p)
{
    json_decref(p->header);
    json_decref(p->json);
    memset(p, 0, sizeof *p);
}

/* Prints bytes with everything but printable ASCII as \xNN (lowercase). */
static void print_escaped(FILE *out, const unsigned char *b, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f)
            fputc(b[i], out);
        else
            fprintf(out, "\\x%02x", b[i]);
    }
}

/* Checks the JSON header's bytes and fills p. Returns 0, or -1 with the reason in err. */
static int parse_header(const unsigned char *bytes, size_t len, struct parsed *p, char *err)
{
    json_error_t jerr;
    json_t *v;
    const char *order;

    p->header = json_loadb((const char *)bytes, len, 0, &jerr);
    if (p->header == NULL) {
        snprintf(err, ERRLEN, "the JSON header (%zu bytes) is not valid JSON: %s", len, jerr.text);
        return -1;
    }
    if (!json_is_object(p->header)) {
        snprintf(err, ERRLEN, "the JSON header is not a JSON object");
        return -1;
    }
    v = json_object_get(p->header, "byteorder");
    order = json_string_value(v);
    if (order == NULL || (strcmp(order, "little") != 0 && strcmp(order, "big") != 0)) {
        snprintf(err, ERRLEN, "the JSON header's \"byteorder\" is %s, not \"little\" or \"big\"",
                 v == NULL ? "missing" : "wrong");
        return -1;
    }
    p->type = json_string_value(json_object_get(p->header, "content-type"));
    p->encoding = json_string_value(json_object_get(p->header, "content-encoding"));
    if (p->type == NULL || p->encoding == NULL) {
        snprintf(err, ERRLEN, "the JSON header lacks a string \"%s\"",
                 p->type == NULL ? "content-type" : "content-encoding");
        return -1;
    }
    v = json_object_get(p->header, "content-length");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, ERRLEN, "the JSON header's \"content-length\" is %s, not an integer >= 0",
                 v == NULL ? "missing" : "of the wrong type or negative");
        return -1;
    }
    p->length = json_integer_value(v);
    if (strcmp(p->type, "text/json") == 0 && strcmp(p->encoding, "utf-8") != 0) {
        snprintf(err, ERRLEN, "text/json content with content-encoding \"%s\", not \"utf-8\"",
                 p->encoding);
        return -1;
    }
    if (strcmp(p->type, "text/json") != 0 && strcmp(p->encoding, "binary") != 0) {
        snprintf(err, ERRLEN, "%s content with content-encoding \"%s\", not \"binary\"", p->type,
                 p->encoding);
        return -1;
    }
    return 0;
}

/* Checks the content (p->length bytes) and fills p. Returns 0, or -1 with the reason. */
static int parse_content(const unsigned char *bytes, struct parsed *p, char *err)
{
    json_error_t jerr;

    p->content = bytes;
    if (strcmp(p->type, "text/json") != 0)
        return 0;
    p->json = json_loadb((const char *)bytes, (size_t)p->length, 0, &jerr);
    if (p->json == NULL || !json_is_object(p->json)) {
        snprintf(err, ERRLEN, "the text/json content is not a JSON object: %s",
                 p->json == NULL ? jerr.text : "another JSON value");
        return -1;
    }
    return 0;
}

/* Checks one whole message in bytes[0..len), nothing missing and nothing after it.
 * Returns 0, or -1 with the reason in err. */
static int parse_message(const unsigned char *bytes, size_t len, struct parsed *p, char *err)
{
    size_t header_len;
    size_t rest;

    memset(p, 0, sizeof *p);
    if (len < 2) {
        snprintf(err, ERRLEN, "only %zu byte(s) arrived: a message starts with a 2-byte length",
                 len);
        return -1;
    }
    header_len = (size_t)bytes[0] << 8 | bytes[1]; /* big-endian, by definition */
    if (header_len == 0) {
        snprintf(err, ERRLEN, "the 2-byte length is 0: there must be a JSON header");
        return -1;
    }
    if (len - 2 < header_len) {
        snprintf(err, ERRLEN,
                 "the 2-byte length says %zu header bytes (bytes 0x%02x 0x%02x), only %zu "
                 "arrived%s",
                 header_len, bytes[0], bytes[1], len - 2,
                 ((size_t)bytes[1] << 8 | bytes[0]) <= len - 2
                     ? ": the length looks little-endian; send it in network order (htons)"
                     : "");
        return -1;
    }
    if (parse_header(bytes + 2, header_len, p, err) < 0)
        return -1;
    rest = len - 2 - header_len;
    if ((unsigned long long)p->length != rest) {
        snprintf(err, ERRLEN, "content-length says %lld bytes, %zu came after the JSON header",
                 p->length, rest);
        return -1;
    }
    return parse_content(bytes + 2 + header_len, p, err);
}

/* Reads all of fd into a malloc'ed buffer. Returns it (*len set), or NULL on error. */
static unsigned char *read_all(int fd, size_t *len)
{
    size_t cap = 65536;
    unsigned char *b = malloc(cap);

    *len = 0;
    while (b != NULL) {
        ssize_t n;

        if (*len == cap) {
            unsigned char *grown = realloc(b, cap * 2);
            if (grown == NULL)
                break;
            b = grown;
            cap *= 2;
        }
        n = read(fd, b + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0)
            return b;
        *len += (size_t)n;
    }
    free(b);
    return NULL;
}

/* Reads the whole of FILE (stdin if NULL). Returns the bytes (malloc'ed, *len set) or NULL. */
static unsigned char *read_file(const char *file, size_t *len)
{
    int fd = file != NULL ? open(file, O_RDONLY) : STDIN_FILENO;
    unsigned char *bytes = fd >= 0 ? read_all(fd, len) : NULL;

    if (bytes == NULL)
        perror(file != NULL ? file : "appwire: stdin");
    if (fd > STDIN_FILENO)
        close(fd);
    return bytes;
}

static int write_all(int fd, const void *b, size_t len)
{
    return io_write_all(fd, b, len) == (ssize_t)len ? 0 : -1;
}

/* Appends a message to (*b, *len) (malloc'ed). Returns 0, or -1. */
static int build_message(unsigned char **b, size_t *len, const char *header, size_t header_len,
                         long header_len_field, const void *content, size_t content_len)
{
    size_t hl = header_len_field >= 0 ? (size_t)header_len_field : header_len;

    *len = 2 + header_len + content_len;
    *b = malloc(*len);
    if (*b == NULL)
        return -1;
    (*b)[0] = (unsigned char)(hl >> 8 & 0xff);
    (*b)[1] = (unsigned char)(hl & 0xff);
    memcpy(*b + 2, header, header_len);
    if (content_len > 0)
        memcpy(*b + 2 + header_len, content, content_len);
    return 0;
}

/* The JSON header text for the given fields (malloc'ed), or NULL. */
static char *header_text(const char *type, const char *encoding, const char *order,
                         long long length)
{
    json_t *h = json_object();
    char *text = NULL;

    if (h != NULL && json_object_set_new(h, "byteorder", json_string(order)) == 0 &&
        json_object_set_new(h, "content-type", json_string(type)) == 0 &&
        json_object_set_new(h, "content-encoding", json_string(encoding)) == 0 &&
        json_object_set_new(h, "content-length", json_integer(length)) == 0)
        text = json_dumps(h, 0);
    json_decref(h);
    return text;
}

/* A message with a header built from the fields. Returns 0, or -1. */
static int make_message(unsigned char **b, size_t *len, const char *type, const char *encoding,
                        const void *content, size_t content_len)
{
    char *text = header_text(type, encoding, "little", (long long)content_len);
    int rc = -1;

    if (text != NULL)
        rc = build_message(b, len, text, strlen(text), -1, content, content_len);
    free(text);
    return rc;
}

/* The request the protocol defines for action and value. Returns 0, or -1. */
static int make_request(unsigned char **b, size_t *len, const char *action, const char *value)
{
    int rc = -1;

    if (strcmp(action, "search") == 0) {
        json_t *c = json_object();
        char *text = NULL;

        if (c != NULL && json_object_set_new(c, "action", json_string(action)) == 0 &&
            json_object_set_new(c, "value", json_string(value)) == 0)
            text = json_dumps(c, 0);
        json_decref(c);
        if (text != NULL)
            rc = make_message(b, len, "text/json", "utf-8", text, strlen(text));
        free(text);
    } else {
        size_t al = strlen(action), vl = strlen(value);
        char *content = malloc(al + vl + 1);

        if (content != NULL) {
            memcpy(content, action, al);
            memcpy(content + al, value, vl);
            rc = make_message(b, len, "binary/custom-client-binary-type", "binary", content,
                              al + vl);
        }
        free(content);
    }
    return rc;
}

/* ---- frame, request ------------------------------------------------------------------- */

static int cmd_frame(int argc, char **argv)
{
    const char *type = "text/json", *encoding = "utf-8", *order = "little";
    const char *header = NULL, *content = "", *content_file = NULL;
    long long length = -1;
    long header_len_field = -1;
    unsigned char *file_bytes = NULL, *msg = NULL;
    size_t content_len, msg_len;
    char *text = NULL;
    int rc = 1;

    for (int i = 0; i < argc; i += 2) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return 2;
        if (strcmp(o, "--type") == 0)
            type = v;
        else if (strcmp(o, "--encoding") == 0)
            encoding = v;
        else if (strcmp(o, "--byteorder") == 0)
            order = v;
        else if (strcmp(o, "--length") == 0)
            length = strtoll(v, NULL, 10);
        else if (strcmp(o, "--header") == 0)
            header = v;
        else if (strcmp(o, "--header-length") == 0)
            header_len_field = strtol(v, NULL, 10);
        else if (strcmp(o, "--content") == 0)
            content = v;
        else if (strcmp(o, "--content-file") == 0)
            content_file = v;
        else
            return 2;
    }
    content_len = strlen(content);
    if (content_file != NULL) {
        if ((file_bytes = read_file(content_file, &content_len)) == NULL)
            return 1;
        content = (const char *)file_bytes;
    }
    if (header == NULL) {
        text = header_text(type, encoding, order, length >= 0 ? length : (long long)content_len);
        header = text;
    }
    if (header != NULL &&
        build_message(&msg, &msg_len, header, strlen(header), header_len_field, content,
                      content_len) == 0 &&
        write_all(STDOUT_FILENO, msg, msg_len) == 0)
        rc = 0;
    free(text);
    free(msg);
    free(file_bytes);
    return rc;
}

static int cmd_request(int argc, char **argv)
{
    unsigned char *msg;
    size_t len;
    int rc;

    if (argc != 2)
        return 2;
    if (make_request(&msg, &len, argv[0], argv[1]) < 0)
        return 1;
    rc = write_all(STDOUT_FILENO, msg, len) == 0 ? 0 : 1;
    free(msg);
    return rc;
}

/* ---- check ------------------------------------------------------------------------------ */

/* Checks a whole response: prints what it held, as `check` says. Returns 0 if well-formed,
 * 1 if not (the reason on stderr), 3 if it is empty. */
static int check_response(const unsigned char *bytes, size_t len)
{
    struct parsed p;
    char err[ERRLEN];
    json_t *result;
    int rc = 0;

    if (len == 0) {
        fprintf(stderr, "appwire: no response: the connection closed without a byte\n");
        return 3;
    }
    if (parse_message(bytes, len, &p, err) < 0) {
        fprintf(stderr, "appwire: %s\n", err);
        rc = 1;
    } else {
        printf("content-type: %s\ncontent-encoding: %s\ncontent-length: %lld\n", p.type, p.encoding,
               p.length);
        if (p.json != NULL) {
            result = json_object_get(p.json, "result");
            if (!json_is_string(result)) {
                fprintf(stderr, "appwire: the text/json content has no string \"result\"\n");
                rc = 1;
            } else {
                fputs("result: ", stdout);
                fwrite(json_string_value(result), 1, json_string_length(result), stdout);
                fputc('\n', stdout);
            }
        } else {
            fputs("content: ", stdout);
            print_escaped(stdout, p.content, (size_t)p.length);
            fputc('\n', stdout);
        }
    }
    parsed_free(&p);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    unsigned char *bytes;
    size_t len;
    int rc;

    if (argc != 0 && (argc != 2 || strcmp(argv[0], "--input") != 0))
        return 2;
    if ((bytes = read_file(argc == 2 ? argv[1] : NULL, &len)) == NULL)
        return 1;
    rc = check_response(bytes, len);
    free(bytes);
    return rc;
}

/* ---- ask -------------------------------------------------------------------------------- */

/* ask: sends a request with tcpdrive's machinery (drive.h), keeps the response in a file and
 * checks it, in one process: lesson 03's tests ask hundreds of times per grading. */
static int cmd_ask(int argc, char **argv)
{
    struct drive_options o = DRIVE_DEFAULTS;
    const char *send_file = NULL, *output = NULL, *action = NULL, *value = NULL;
    unsigned char *req = NULL, *resp = NULL;
    size_t req_len = 0, resp_len = 0;
    int i, in = -1, out = -1, drove, rc = 1;

    for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        int taken = drive_option(&o, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken > 0)
            continue;
        if (strcmp(argv[i], "--request") == 0 && i + 2 < argc) {
            action = argv[++i];
            value = argv[++i];
        } else if (i + 1 >= argc) {
            return 2;
        } else if (strcmp(argv[i], "--send") == 0) {
            send_file = argv[++i];
        } else if (strcmp(argv[i], "--output") == 0) {
            output = argv[++i];
        } else {
            return 2;
        }
    }
    if (argc - i != 2 || output == NULL || (send_file == NULL) == (action == NULL) ||
        o.max_chunk == 0)
        return 2;
    if (send_file != NULL) {
        in = open(send_file, O_RDONLY);
        if (in < 0)
            perror(send_file);
    } else if (make_request(&req, &req_len, action, value) == 0) {
        /* The request goes through a pipe: it is small, so it fits in one at once. */
        int p[2];
        if (pipe(p) == 0) {
            in = p[0];
            if (write_all(p[1], req, req_len) < 0)
                perror("appwire ask: pipe");
            close(p[1]);
        }
    }
    out = open(output, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (out < 0)
        perror(output);
    if (in >= 0 && out >= 0) {
        drove = drive(&o, argv[i], argv[i + 1], in, out, "appwire ask");
        printf("drive: %d\n", drove);
        fflush(stdout);
        if (lseek(out, 0, SEEK_SET) == 0 && (resp = read_all(out, &resp_len)) != NULL)
            rc = check_response(resp, resp_len);
        else
            perror(output);
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(req);
    free(resp);
    return rc;
}

/* ---- crowd ------------------------------------------------------------------------------ */

/* The request of connection i and the check line its response must give. */
static int crowd_request(int i, unsigned char **b, size_t *len, char *expect, size_t size)
{
    char value[64];

    switch (i % 4) {
    case 0:
        snprintf(expect, size, "result: Follow the white rabbit. \xF0\x9F\x90\xB0");
        return make_request(b, len, "search", "morpheus");
    case 1:
        snprintf(value, sizeof value, "item-%d", i);
        snprintf(expect, size, "result: No match for '%s'.", value);
        return make_request(b, len, "search", value);
    case 2:
        snprintf(value, sizeof value, "%d", i);
        snprintf(expect, size, "content: First 10 bytes of request: crowd%.5s", value);
        return make_request(b, len, "crowd", value);
    default:
        snprintf(expect, size, "result: \xF0\x9F\x90\xBE Playing ball! \xF0\x9F\x8F\x90");
        return make_request(b, len, "search", "\xF0\x9F\x90\xB6");
    }
}

/* The check line a response gives, into line. Returns 0, or -1 with the reason in err. */
static int describe(const unsigned char *bytes, size_t len, char *line, size_t size, char *err)
{
    struct parsed p;
    int rc = -1;

    if (parse_message(bytes, len, &p, err) == 0) {
        if (p.json != NULL) {
            const char *r = json_string_value(json_object_get(p.json, "result"));
            if (r != NULL) {
                snprintf(line, size, "result: %s", r);
                rc = 0;
            } else {
                snprintf(err, ERRLEN, "no string \"result\" in the text/json content");
            }
        } else {
            FILE *f = fmemopen(line, size, "w");
            if (f != NULL) {
                fputs("content: ", f);
                print_escaped(f, p.content, (size_t)p.length);
                fclose(f);
                rc = 0;
            }
        }
    }
    parsed_free(&p);
    return rc;
}

static int cmd_crowd(int argc, char **argv)
{
    int n, right = 0, *fds;
    char err[NET_ERRLEN];

    if (argc != 3 || (n = atoi(argv[2])) <= 0)
        return 2;
    fds = calloc((size_t)n, sizeof *fds);
    if (fds == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        fds[i] = net_connect(argv[0], argv[1], err, sizeof err);
        if (fds[i] < 0) {
            fprintf(stderr, "appwire crowd: connection %d: %s\n", i + 1, err);
            return 1;
        }
    }
    /* Every connection holds half a request before any request is complete: a server that
     * serves one client at a time cannot answer any of them. */
    for (int half = 0; half < 2; half++) {
        for (int i = 0; i < n; i++) {
            unsigned char *b;
            size_t len, cut;
            char expect[256];

            if (crowd_request(i, &b, &len, expect, sizeof expect) < 0)
                return 1;
            cut = len / 2;
            if ((half == 0 ? write_all(fds[i], b, cut) : write_all(fds[i], b + cut, len - cut)) <
                0) {
                fprintf(stderr, "appwire crowd: send on connection %d: %s\n", i + 1,
                        strerror(errno));
                free(b);
                return 1;
            }
            free(b);
        }
    }
    for (int i = 0; i < n; i++) {
        unsigned char *b, *resp;
        size_t len, resp_len;
        char expect[256], line[512], why[ERRLEN];

        if (crowd_request(i, &b, &len, expect, sizeof expect) < 0)
            return 1;
        free(b);
        resp = read_all(fds[i], &resp_len);
        close(fds[i]);
        if (resp == NULL) {
            fprintf(stderr, "appwire crowd: connection %d: recv: %s\n", i + 1, strerror(errno));
        } else if (describe(resp, resp_len, line, sizeof line, why) < 0) {
            fprintf(stderr, "appwire crowd: connection %d: %s\n", i + 1,
                    resp_len == 0 ? "closed without a response" : why);
        } else if (strcmp(line, expect) != 0) {
            fprintf(stderr, "appwire crowd: connection %d: got '%s', expected '%s'\n", i + 1, line,
                    expect);
        } else {
            right++;
        }
        free(resp);
    }
    free(fds);
    printf("crowd: %d of %d connections got the right answer\n", right, n);
    return right == n ? 0 : 1;
}

/* ---- serve ------------------------------------------------------------------------------ */

struct serve_options {
    const char *split;
    unsigned seed;
    long delay_us;
    const char *reply;
    FILE *log;
};

/* Sends b in chunks of the chosen size. Returns 0, or -1. */
static int dribble(int fd, const unsigned char *b, size_t len, const struct serve_options *o)
{
    size_t done = 0;

    while (done < len) {
        size_t n = len - done;
        if (strcmp(o->split, "1") == 0)
            n = 1;
        else if (strcmp(o->split, "random") == 0)
            n = 1 + (size_t)rand() % 7;
        if (n > len - done)
            n = len - done;
        if (write_all(fd, b + done, n) < 0)
            return -1;
        done += n;
        if (done < len && o->delay_us > 0)
            drive_pause_us(o->delay_us);
    }
    return 0;
}

/* Reads one request from fd (exactly its bytes), checks it and logs what it held.
 * Returns the reply (malloc'ed, *len set), or NULL if the request was bad (logged). */
static unsigned char *serve_request(int fd, size_t *len, FILE *log)
{
    unsigned char head[2], *header = NULL, *content = NULL, *reply = NULL;
    size_t header_len;
    struct parsed p;
    char err[ERRLEN] = "";

    memset(&p, 0, sizeof p);
    if (io_read_exact(fd, head, 2) != 2) {
        snprintf(err, ERRLEN, "the connection closed before a 2-byte length");
        goto done;
    }
    header_len = (size_t)head[0] << 8 | head[1];
    header = malloc(header_len + 1);
    if (header == NULL || header_len == 0 ||
        io_read_exact(fd, header, header_len) != (ssize_t)header_len) {
        snprintf(err, ERRLEN, "the JSON header (%zu bytes by its 2-byte length) did not arrive",
                 header_len);
        goto done;
    }
    if (parse_header(header, header_len, &p, err) < 0)
        goto done;
    if (p.length > 16 * 1024 * 1024) {
        snprintf(err, ERRLEN, "content-length %lld is too large for this test", p.length);
        goto done;
    }
    content = malloc((size_t)p.length + 1);
    if (content == NULL || io_read_exact(fd, content, (size_t)p.length) != (ssize_t)p.length) {
        snprintf(err, ERRLEN, "the content (%lld bytes by content-length) did not arrive",
                 p.length);
        goto done;
    }
    if (parse_content(content, &p, err) < 0)
        goto done;
    if (p.json != NULL) {
        const char *action = json_string_value(json_object_get(p.json, "action"));
        const char *value = json_string_value(json_object_get(p.json, "value"));
        static const char *const known[][2] = {
            {"morpheus", "Follow the white rabbit. \xF0\x9F\x90\xB0"},
            {"ring", "In the caves beneath the Misty Mountains. \xF0\x9F\x92\x8D"},
            {"\xF0\x9F\x90\xB6", "\xF0\x9F\x90\xBE Playing ball! \xF0\x9F\x8F\x90"},
        };
        json_t *answer = NULL, *obj;
        char *text;

        if (action == NULL || (strcmp(action, "search") == 0 && value == NULL)) {
            snprintf(err, ERRLEN, "the text/json request lacks a string action or value");
            goto done;
        }
        fprintf(log, "action: %s\nvalue: %s\n", action, value != NULL ? value : "(none)");
        if (strcmp(action, "search") != 0)
            answer = json_sprintf("Error: invalid action '%s'.", action);
        for (int i = 0; answer == NULL && i < 3; i++) {
            if (strcmp(value, known[i][0]) == 0)
                answer = json_string(known[i][1]);
        }
        if (answer == NULL)
            answer = json_sprintf("No match for '%s'.", value);
        obj = json_object();
        json_object_set_new(obj, "result", answer);
        text = json_dumps(obj, 0);
        json_decref(obj);
        if (text != NULL)
            make_message(&reply, len, "text/json", "utf-8", text, strlen(text));
        free(text);
    } else {
        size_t quoted = p.length < 10 ? (size_t)p.length : 10;
        const char prefix[] = "First 10 bytes of request: ";
        unsigned char quote[sizeof prefix + 10];

        fputs("content: ", log);
        print_escaped(log, content, (size_t)p.length);
        fputc('\n', log);
        memcpy(quote, prefix, sizeof prefix - 1);
        memcpy(quote + sizeof prefix - 1, content, quoted);
        make_message(&reply, len, "binary/custom-server-binary-type", "binary", quote,
                     sizeof prefix - 1 + quoted);
    }
done:
    if (err[0] != '\0')
        fprintf(log, "bad request: %s\n", err);
    fflush(log);
    parsed_free(&p);
    free(header);
    free(content);
    return reply;
}

static int cmd_serve(int argc, char **argv)
{
    struct serve_options o = {"whole", 1, -1, NULL, stderr};
    const char *host = "127.0.0.1", *port = "0";
    char err[NET_ERRLEN], local[NET_ADDRSTRLEN];
    int i, listener;

    for (i = 0; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *opt = argv[i], *v = argv[i + 1];
        if (strcmp(opt, "--split") == 0)
            o.split = v;
        else if (strcmp(opt, "--seed") == 0)
            o.seed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(opt, "--delay-us") == 0)
            o.delay_us = strtol(v, NULL, 10);
        else if (strcmp(opt, "--reply") == 0)
            o.reply = v;
        else if (strcmp(opt, "--log") == 0) {
            o.log = fopen(v, "a");
            if (o.log == NULL) {
                perror(v);
                return 1;
            }
        } else
            return 2;
    }
    if (argc - i > 2)
        return 2;
    if (argc - i >= 1)
        host = argv[i];
    if (argc - i == 2)
        port = argv[i + 1];
    if (o.delay_us < 0)
        o.delay_us = strcmp(o.split, "whole") == 0 ? 0 : 300;
    srand(o.seed);
    setvbuf(stdout, NULL, _IOLBF, 0);
    listener = net_listen(host, port, err, sizeof err);
    if (listener < 0 || net_local_name(listener, local, sizeof local) < 0) {
        fprintf(stderr, "appwire serve: %s\n", listener < 0 ? err : strerror(errno));
        return 1;
    }
    printf("Listening on %s\n", local);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        unsigned char *reply;
        size_t len;
        int on = 1;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            perror("appwire serve: accept");
            return 1;
        }
        /* Each chunk its own segment, so a one-byte split arrives one byte at a time. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        reply = serve_request(fd, &len, o.log);
        if (reply != NULL && o.reply != NULL) {
            free(reply);
            reply = read_file(o.reply, &len);
        }
        if (reply != NULL && dribble(fd, reply, len, &o) < 0)
            fprintf(o.log, "send: %s\n", strerror(errno));
        free(reply);
        close(fd);
        printf("Served a connection\n");
    }
}

int main(int argc, char **argv)
{
    int rc = 2;

    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "frame") == 0)
        rc = cmd_frame(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "request") == 0)
        rc = cmd_request(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "check") == 0)
        rc = cmd_check(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "ask") == 0)
        rc = cmd_ask(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "crowd") == 0)
        rc = cmd_crowd(argc - 2, argv + 2);
    else if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        rc = cmd_serve(argc - 2, argv + 2);
    if (rc == 2)
        fprintf(stderr, "usage: appwire frame|request|check|ask|crowd|serve ... (see appwire.c)\n");
    return rc;
}
