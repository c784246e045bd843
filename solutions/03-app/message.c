/* message.c - see message.h. */
#include "message.h"

#include "log.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The start of the server's reply to binary content; the first QUOTE_LEN bytes follow. */
#define QUOTE_PREFIX "First 10 bytes of request: "
#define QUOTE_LEN 10

/* What action "search" knows (values and answers are UTF-8, emoji included). */
static const struct {
    const char *value;
    const char *answer;
} search_table[] = {
    {"morpheus", "Follow the white rabbit. 🐰"},
    {"ring", "In the caves beneath the Misty Mountains. 💍"},
    {"🐶", "🐾 Playing ball! 🏐"},
};

/* The parts' names, indexed by the reading states, for error messages. */
static const char *const part_names[] = {"protoheader", "JSON header", "content"};

/* Moves m to ERROR with the formatted reason. The reason may quote the peer's bytes, and it
 * ends up in a log line: it is escaped (log_escape(): control characters as \xNN) so that no
 * peer can forge or split lines. */
static void fail(struct message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct message *m, const char *fmt, ...)
{
    char raw[MESSAGE_ERRLEN];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (n < 0)
        raw[0] = '\0';
    log_escape(raw, strlen(raw), m->error, sizeof m->error);
    m->state = MESSAGE_ERROR;
}

/* True if the message's content is JSON text (only valid once the header is read). */
static bool is_json(const struct message *m)
{
    return m->content_type != NULL && strcmp(m->content_type, CONTENT_TYPE_JSON) == 0;
}

/* The bytes of the part read so far as text for jansson (never NULL, even when empty). */
static const char *part_text(const struct message *m)
{
    const unsigned char *p = buf_data(&m->part);
    return p != NULL ? (const char *)p : "";
}

/* How many bytes the part being read has in all. */
static size_t part_size(const struct message *m)
{
    switch (m->state) {
    case MESSAGE_READ_PROTOHEADER:
        return MESSAGE_PROTOHEADER_LEN;
    case MESSAGE_READ_HEADER:
        return m->header_len;
    case MESSAGE_READ_CONTENT:
        return m->content_length;
    default:
        return 0;
    }
}

void message_init(struct message *m, size_t max_content)
{
    *m = (struct message){.state = MESSAGE_READ_PROTOHEADER, .max_content = max_content};
}

void message_free(struct message *m)
{
    buf_free(&m->part);
    buf_free(&m->out);
    json_decref(m->header); /* json_decref(NULL) does nothing */
    json_decref(m->json);
    m->header = m->json = NULL;
    m->byteorder = m->content_type = m->content_encoding = NULL;
}

bool message_reading(const struct message *m)
{
    return m->state == MESSAGE_READ_PROTOHEADER || m->state == MESSAGE_READ_HEADER ||
           m->state == MESSAGE_READ_CONTENT;
}

const char *message_native_byteorder(void)
{
    const uint16_t one = 1;
    unsigned char first;

    memcpy(&first, &one, 1); /* the lowest-addressed byte of the number 1 */
    return first == 1 ? "little" : "big";
}

/* The 2 bytes of the protoheader are in m->part: learn the JSON header's length. */
static void read_protoheader(struct message *m)
{
    /* @step 1 Read the protoheader: the JSON header's length, 2 bytes in network byte order.
     * Hint: copy the 2 bytes from buf_data(&m->part) into a uint16_t with memcpy() and turn
     * them from network (big-endian) into host order with ntohs(); store the result in
     * m->header_len. Reading them as a uint16_t without ntohs() gives 0x0100 = 256 instead
     * of 1 on a little-endian machine. Empty the part with buf_consume() so the header can
     * be collected next. A length of 0 can never hold a JSON object: call fail(). Otherwise
     * move on: m->state = MESSAGE_READ_HEADER. */
    uint16_t network_order;

    memcpy(&network_order, buf_data(&m->part), sizeof network_order);
    m->header_len = ntohs(network_order);
    buf_consume(&m->part, MESSAGE_PROTOHEADER_LEN);
    if (m->header_len == 0) {
        fail(m, "the JSON header's length is 0");
        return;
    }
    m->state = MESSAGE_READ_HEADER;
    /* @stub
    fail(m, "TODO 1 is not done yet: read the protoheader");
    @end */
}

/* The whole JSON header is in m->part: parse it and check the four required keys. */
static void read_header(struct message *m)
{
    /* @step 2 Parse the JSON header and check its four keys and their types.
     * Hint: json_loadb(part_text(m), m->header_len, JSON_DECODE_ANY, &jerr) parses exactly
     * those bytes (no NUL needed); keep the result in m->header (message_free() releases it)
     * and buf_consume() the part. Then one json_unpack_ex() call with the format
     * "{s:s, s:s, s:s, s:I}" finds byteorder, content-type, content-encoding (strings) and
     * content-length (an integer, json_int_t) and fails on a missing key or a wrong type. On
     * any failure call fail() with jerr.text as the reason. A content-length below 0 or
     * above m->max_content is refused before a single content byte is stored: that is what
     * stops a peer from making the server allocate gigabytes. text/json content must be
     * encoded "utf-8" (compare with strcasecmp()). Finally m->state = MESSAGE_READ_CONTENT. */
    json_error_t jerr;
    json_int_t length;

    m->header = json_loadb(part_text(m), m->header_len, JSON_DECODE_ANY, &jerr);
    buf_consume(&m->part, m->header_len);
    if (m->header == NULL) {
        fail(m, "the JSON header is not valid JSON: %s", jerr.text);
        return;
    }
    /* No JSON_STRICT: the protocol allows (and ignores) keys beyond these four. */
    if (json_unpack_ex(m->header, &jerr, 0, "{s:s, s:s, s:s, s:I}", "byteorder", &m->byteorder,
                       "content-type", &m->content_type, "content-encoding", &m->content_encoding,
                       "content-length", &length) < 0) {
        fail(m, "JSON header: %s", jerr.text);
        return;
    }
    if (length < 0) {
        fail(m, "content-length is negative (%" JSON_INTEGER_FORMAT ")", length);
        return;
    }
    if ((unsigned long long)length > m->max_content) {
        fail(m, "content-length %" JSON_INTEGER_FORMAT " is over the limit of %zu bytes", length,
             m->max_content);
        return;
    }
    if (is_json(m) && strcasecmp(m->content_encoding, ENCODING_UTF8) != 0) {
        fail(m, "text/json content must be encoded utf-8, not '%.40s'", m->content_encoding);
        return;
    }
    m->content_length = (size_t)length;
    m->state = MESSAGE_READ_CONTENT;
    /* @stub
    (void)part_text;
    fail(m, "TODO 2 is not done yet: parse the JSON header");
    @end */
}

/* The whole content is in m->part (it stays there): check it and finish reading. */
static void read_content(struct message *m)
{
    /* @step 3 Finish reading the content; parse it when it is text/json.
     * Hint: the content's bytes stay in m->part (the reply needs them). If is_json(m), parse
     * them with json_loadb(part_text(m), m->content_length, JSON_DECODE_ANY, &jerr) into
     * m->json: jansson refuses invalid UTF-8, trailing bytes and NUL characters for you.
     * Content that does not parse, or is not a JSON object (json_is_object()), is bad input:
     * fail(). Anything else (binary content) is taken as it is. Then the message is
     * complete: m->state = MESSAGE_READ_DONE. */
    if (is_json(m)) {
        json_error_t jerr;

        m->json = json_loadb(part_text(m), m->content_length, JSON_DECODE_ANY, &jerr);
        if (m->json == NULL) {
            fail(m, "text/json content is not valid UTF-8 JSON: %s", jerr.text);
            return;
        }
        if (!json_is_object(m->json)) {
            fail(m, "text/json content is not a JSON object");
            return;
        }
    }
    m->state = MESSAGE_READ_DONE;
    /* @stub
    (void)is_json;
    fail(m, "TODO 3 is not done yet: read the content");
    @end */
}

size_t message_feed(struct message *m, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    size_t used = 0;

    while (message_reading(m)) {
        size_t want = part_size(m);
        size_t have = buf_len(&m->part);

        if (have < want) {
            /* Take only what this part still lacks: the next bytes belong to the next part. */
            size_t take = want - have < len - used ? want - have : len - used;

            if (take == 0)
                break; /* every byte is used: wait for the next recv() */
            if (buf_append(&m->part, p + used, take) < 0) {
                fail(m, "out of memory for the %s", part_names[m->state]);
                break;
            }
            used += take;
            if (have + take < want)
                break;
        }
        /* The part is complete (a zero-length content is complete at once). */
        if (m->state == MESSAGE_READ_PROTOHEADER)
            read_protoheader(m);
        else if (m->state == MESSAGE_READ_HEADER)
            read_header(m);
        else
            read_content(m);
    }
    return used;
}

void message_peer_closed(struct message *m)
{
    if (!message_reading(m))
        return;
    if (m->state == MESSAGE_READ_PROTOHEADER && buf_len(&m->part) == 0) {
        fail(m, "connection closed before a message began");
        return;
    }
    fail(m, "connection closed in the middle of the %s (%zu of %zu bytes)", part_names[m->state],
         buf_len(&m->part), part_size(m));
}

int message_encode(struct buf *out, const char *content_type, const char *content_encoding,
                   const void *content, size_t content_len)
{
    /* @step 4 Encode a message: protoheader, JSON header, content.
     * Hint: build the header object with json_pack("{s:s, s:s, s:s, s:I}", ...) using
     * message_native_byteorder() and (json_int_t)content_len, and turn it into text with
     * json_dumps(header, 0): with flags 0 jansson writes ", " and ": " separators and raw
     * UTF-8, as Python's json.dumps(..., ensure_ascii=False) does. The protoheader is that
     * text's length: check it fits in 16 bits, convert it with htons() and append its 2 bytes,
     * then the text (without its NUL), then the content. Free what jansson allocated
     * (json_decref() the object, free() the text) on every path. */
    json_t *header;
    char *text;
    size_t text_len;
    uint16_t network_order;
    int rc = -1;

    header = json_pack("{s:s, s:s, s:s, s:I}", "byteorder", message_native_byteorder(),
                       "content-type", content_type, "content-encoding", content_encoding,
                       "content-length", (json_int_t)content_len);
    if (header == NULL)
        return -1;
    /* Flags 0: keys in the order packed, ", " and ": " separators, UTF-8 left as it is. */
    text = json_dumps(header, 0);
    json_decref(header);
    if (text == NULL)
        return -1;
    text_len = strlen(text);
    if (text_len <= UINT16_MAX) {
        network_order = htons((uint16_t)text_len);
        if (buf_append(out, &network_order, sizeof network_order) == 0 &&
            buf_append(out, text, text_len) == 0 && buf_append(out, content, content_len) == 0)
            rc = 0;
    }
    free(text);
    return rc;
    /* @stub
    (void)out;
    (void)content_type;
    (void)content_encoding;
    (void)content;
    (void)content_len;
    fprintf(stderr, "TODO 4 is not done yet: encode a message\n");
    return -1;
    @end */
}

/* The answer to action "search" for value, or NULL if it knows none. */
static const char *search(const char *value)
{
    for (size_t i = 0; i < sizeof search_table / sizeof search_table[0]; i++) {
        if (strcmp(value, search_table[i].value) == 0)
            return search_table[i].answer;
    }
    return NULL;
}

int message_respond(struct message *m)
{
    /* @step 5 Answer the request: a result for text/json, a quote for anything else.
     * Hint: for text/json, get the string "action" from m->json with json_unpack_ex(m->json,
     * &jerr, 0, "{s:s}", "action", &action) (a missing or non-string action is bad input:
     * fail() and return -1). For "search" get the string "value" the same way and answer
     * search(value), or "No match for 'VALUE'."; any other action gets "Error: invalid
     * action 'ACTION'." (json_sprintf() formats straight into a JSON string). Wrap the answer
     * as {"result": ANSWER}, json_dumps() it and message_encode() it into m->out as text/json,
     * utf-8. For other content, the reply is QUOTE_PREFIX followed by the first QUOTE_LEN
     * (or fewer) bytes of the content, encoded as CONTENT_TYPE_SERVER_BINARY, "binary".
     * On success m->state = MESSAGE_WRITE_REPLY; if out of memory, fail() too. */
    if (is_json(m)) {
        json_error_t jerr;
        const char *action;
        const char *value;
        const char *known;
        json_t *answer;
        json_t *reply;
        char *text = NULL;

        if (json_unpack_ex(m->json, &jerr, 0, "{s:s}", "action", &action) < 0) {
            fail(m, "request: %s", jerr.text);
            return -1;
        }
        if (strcmp(action, "search") != 0) {
            answer = json_sprintf("Error: invalid action '%s'.", action);
        } else if (json_unpack_ex(m->json, &jerr, 0, "{s:s}", "value", &value) < 0) {
            fail(m, "request: %s", jerr.text);
            return -1;
        } else {
            known = search(value);
            answer = known != NULL ? json_string(known) : json_sprintf("No match for '%s'.", value);
        }
        /* "O" adds a reference to answer, so answer is ours to release either way. */
        reply = answer != NULL ? json_pack("{s:O}", "result", answer) : NULL;
        json_decref(answer);
        if (reply != NULL) {
            text = json_dumps(reply, 0);
            json_decref(reply);
        }
        if (text == NULL ||
            message_encode(&m->out, CONTENT_TYPE_JSON, ENCODING_UTF8, text, strlen(text)) < 0) {
            free(text);
            fail(m, "out of memory for the reply");
            return -1;
        }
        free(text);
    } else {
        size_t quoted = buf_len(&m->part) < QUOTE_LEN ? buf_len(&m->part) : QUOTE_LEN;
        struct buf content = BUF_INIT;
        int rc = -1;

        if (buf_append(&content, QUOTE_PREFIX, strlen(QUOTE_PREFIX)) == 0 &&
            buf_append(&content, buf_data(&m->part), quoted) == 0)
            rc = message_encode(&m->out, CONTENT_TYPE_SERVER_BINARY, ENCODING_BINARY,
                                buf_data(&content), buf_len(&content));
        buf_free(&content);
        if (rc < 0) {
            fail(m, "out of memory for the reply");
            return -1;
        }
    }
    m->state = MESSAGE_WRITE_REPLY;
    return 0;
    /* @stub
    (void)search;
    fail(m, "TODO 5 is not done yet: answer the request");
    return -1;
    @end */
}

size_t message_pending(const struct message *m, const unsigned char **bytes)
{
    *bytes = buf_data(&m->out);
    return buf_len(&m->out);
}

void message_sent(struct message *m, size_t n)
{
    buf_consume(&m->out, n);
    if (m->state == MESSAGE_WRITE_REPLY && buf_len(&m->out) == 0)
        m->state = MESSAGE_DONE;
}

int message_describe_response(struct message *m, struct buf *line)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = buf_data(&m->part);
    size_t len = buf_len(&m->part);
    int rc = 0;

    if (is_json(m)) {
        json_error_t jerr;
        json_t *result;

        if (json_unpack_ex(m->json, &jerr, 0, "{s:o}", "result", &result) < 0) {
            fail(m, "response: %s", jerr.text);
            return -1;
        }
        rc = buf_append(line, "Got result: ", strlen("Got result: "));
        if (rc == 0 && json_is_string(result)) {
            rc = buf_append(line, json_string_value(result), json_string_length(result));
        } else if (rc == 0) {
            /* Not a string (the protocol sends one): show it as JSON rather than guess. */
            char *text = json_dumps(result, JSON_ENCODE_ANY);

            rc = text != NULL ? buf_append(line, text, strlen(text)) : -1;
            free(text);
        }
    } else {
        rc = buf_append(line, "Got response: ", strlen("Got response: "));
        for (size_t i = 0; i < len && rc == 0; i++) {
            /* Printable ASCII as it is; any other byte as \xNN, so the terminal stays sane. */
            const unsigned char escaped[] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 0xf]};

            if (p[i] >= 0x20 && p[i] < 0x7f)
                rc = buf_append(line, &p[i], 1);
            else
                rc = buf_append(line, escaped, sizeof escaped);
        }
    }
    if (rc < 0) {
        fail(m, "out of memory for the response");
        return -1;
    }
    return 0;
}
