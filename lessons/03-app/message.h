/* message.h - one message of the application protocol, read and written by a state machine.
 *
 * A message is three parts back to back (see README.md for the byte layout):
 *
 *   protoheader   2 bytes, big-endian: the length of the JSON header
 *   JSON header   a UTF-8 JSON object: byteorder, content-type, content-encoding, content-length
 *   content       content-length bytes: the payload
 *
 * TCP delivers a stream of bytes, not messages: one recv() may return one byte of a message
 * or the whole of it. So a struct message never reads a socket itself. It is fed whatever
 * bytes arrived (message_feed), keeps what it needs, and says through its state how far it
 * has got. The same code therefore parses a request on the server, a response on the client,
 * and bytes straight from a test or a fuzzer.
 *
 *   READ_PROTOHEADER -> READ_HEADER -> READ_CONTENT -> READ_DONE    (the client stops here)
 *                                                         |
 *                                      message_respond()  v
 *                                                    WRITE_REPLY -> DONE   (the server)
 *
 * Any bad input, in any state, leads to ERROR, with the reason in error[]. */
#ifndef APP_MESSAGE_H
#define APP_MESSAGE_H

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The protoheader's size: an unsigned 16-bit length, so a JSON header has at most 65535 bytes. */
#define MESSAGE_PROTOHEADER_LEN 2
/* The largest content accepted unless the program is told otherwise (1 MiB). */
#define MESSAGE_DEFAULT_MAX_CONTENT ((size_t)1024 * 1024)
/* Room for the reason of an error, e.g. "JSON header: Object item not found: content-type". */
#define MESSAGE_ERRLEN 256

/* The content types and encodings of the protocol. */
#define CONTENT_TYPE_JSON "text/json"
#define CONTENT_TYPE_CLIENT_BINARY "binary/custom-client-binary-type"
#define CONTENT_TYPE_SERVER_BINARY "binary/custom-server-binary-type"
#define ENCODING_UTF8 "utf-8"
#define ENCODING_BINARY "binary"

enum message_state {
    MESSAGE_READ_PROTOHEADER, /* waiting for the 2 bytes of the header's length */
    MESSAGE_READ_HEADER,      /* waiting for the rest of the JSON header */
    MESSAGE_READ_CONTENT,     /* waiting for the rest of the content */
    MESSAGE_READ_DONE,        /* a whole message has been read; nothing more is taken */
    MESSAGE_WRITE_REPLY,      /* the reply is encoded and waits in out to be sent */
    MESSAGE_DONE,             /* the reply has been sent */
    MESSAGE_ERROR             /* bad input (or out of memory): the reason is in error */
};

struct message {
    enum message_state state;
    size_t max_content;    /* the largest content-length accepted */
    struct buf part;       /* the bytes of the part being read (the whole content at the end) */
    size_t header_len;     /* from the protoheader */
    json_t *header;        /* the JSON header, once read */
    const char *byteorder; /* the header's values (the strings belong to header) */
    const char *content_type;
    const char *content_encoding;
    size_t content_length;
    json_t *json;   /* the content parsed, when content-type is text/json */
    struct buf out; /* an encoded reply waiting to be sent */
    char error[MESSAGE_ERRLEN];
};

/* Prepares m to read one message whose content may have up to max_content bytes. */
void message_init(struct message *m, size_t max_content);

/* Frees everything m holds; m can then be initialised again. */
void message_free(struct message *m);

/* Takes bytes that arrived, as many as the message still needs, and advances the state.
 * Returns how many bytes were taken: fewer than len once the message is complete (the rest
 * belongs to no message) or has failed (state ERROR). */
size_t message_feed(struct message *m, const void *bytes, size_t len);

/* Tells m that the peer closed the connection. Unless the message was complete, m moves to
 * ERROR with a reason saying where the bytes stopped. */
void message_peer_closed(struct message *m);

/* Appends a whole message (protoheader, JSON header, content) to out.
 * Returns 0, or -1 if out of memory (out may then hold part of it). */
int message_encode(struct buf *out, const char *content_type, const char *content_encoding,
                   const void *content, size_t content_len);

/* Server: answers the request m has read (state READ_DONE), as the protocol says.
 * Returns 0 with the encoded reply in m->out (state WRITE_REPLY), or -1 with state ERROR
 * (a text/json request without a string action, or a search without a string value). */
int message_respond(struct message *m);

/* Server: the bytes of the reply not sent yet. Returns their number; *bytes points at them. */
size_t message_pending(const struct message *m, const unsigned char **bytes);

/* Server: n more bytes of the reply have been sent; once all are, the state becomes DONE. */
void message_sent(struct message *m, size_t n);

/* Client: the line to print for the response m has read (state READ_DONE):
 * "Got result: RESULT" for text/json, "Got response: BYTES" otherwise (printable ASCII as is,
 * other bytes as \xNN). Appends it, without a newline, to line. Returns 0, or -1 with state
 * ERROR (a text/json response that is not an object with a "result"; out of memory). */
int message_describe_response(struct message *m, struct buf *line);

/* "little" or "big": the byte order of the machine we run on, for the byteorder key. */
const char *message_native_byteorder(void);

/* True while the message still wants bytes. */
bool message_reading(const struct message *m);

#endif
