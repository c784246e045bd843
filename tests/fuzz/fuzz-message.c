/* fuzz-message.c - libFuzzer harness for lesson 03's message state machine (message.h).
 *
 * Every input is a byte stream as a peer could send it, plus how the network cut it up:
 *
 *   byte 0      how to cut: bits 0-2 the largest piece (1, 2, 3, 7, 16, 100, 4096 bytes, or
 *               the rest in one piece); bits 3-4 the content limit the message is read with
 *               (16, 256, 4096 bytes or the 1 MiB default)
 *   bytes 1-2   the seed of the piece sizes (each piece 1 to the largest, at random)
 *   the rest    the stream
 *
 * Each stream is read twice on each side, once whole and once in pieces, by the server
 * (a request: read, answer, send) and by the client (a response: read, describe). Besides
 * the sanitizers' own checks (out-of-bounds access, use after free, leaks, undefined
 * behaviour), the harness stops (abort) when a promise of message.h is broken:
 *   - message_feed() never takes more bytes than offered, and takes fewer only once the
 *     message is complete or has failed;
 *   - how the bytes are cut up changes nothing: same state, same bytes taken, same content,
 *     same reply, same error;
 *   - a stream that ends before the message does leads to ERROR after message_peer_closed();
 *   - an error has a reason, and the reason holds no control character (it goes into a
 *     log line, and a peer must not forge lines);
 *   - the server's reply to a complete request is itself a valid message: the client side
 *     reads it whole (taking exactly its bytes) and describes it without error.
 *
 * Build and run: make fuzz [FUZZ_SECONDS=N] (tests/fuzz/fuzz.mk). */
#include "buf.h"
#include "message.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops the run with a reason libFuzzer shows above its crash report. */
#define CHECK(cond, why)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-message: broken promise: %s (%s:%d)\n", why, __FILE__,           \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const size_t max_pieces[] = {1, 2, 3, 7, 16, 100, 4096, SIZE_MAX};
static const size_t content_limits[] = {16, 256, 4096, MESSAGE_DEFAULT_MAX_CONTENT};

/* What reading one stream led to, to compare the whole and the cut-up readings. */
struct outcome {
    struct message m;
    size_t taken;
    struct buf said; /* server: the reply's bytes; client: the line describing the response */
};

/* A tiny PRNG (xorshift32): the piece sizes depend on the input only. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void check_error_text(const struct message *m)
{
    size_t len = strnlen(m->error, sizeof m->error);

    CHECK(len > 0, "state ERROR with an empty reason");
    CHECK(len < sizeof m->error, "the error reason is not NUL-terminated");
    for (size_t i = 0; i < len; i++)
        CHECK((unsigned char)m->error[i] >= 0x20 && m->error[i] != 0x7f,
              "a control character in the error reason");
}

/* Starts o afresh (a message with this limit, nothing said) and feeds stream to o->m in
 * pieces of at most max_piece bytes, like recv() would. */
static void feed(struct outcome *o, const uint8_t *stream, size_t len, size_t limit,
                 size_t max_piece, uint32_t seed)
{
    size_t off = 0;
    uint32_t state = seed | 1; /* xorshift must not start at 0 */

    message_init(&o->m, limit);
    o->said = (struct buf)BUF_INIT;

    while (off < len && message_reading(&o->m)) {
        size_t piece = len - off;
        if (max_piece != SIZE_MAX) {
            size_t r = 1 + next_random(&state) % max_piece;
            piece = r < piece ? r : piece;
        }
        size_t took = message_feed(&o->m, stream + off, piece);
        CHECK(took <= piece, "message_feed took more bytes than it was given");
        if (took < piece)
            CHECK(!message_reading(&o->m),
                  "message_feed left bytes while the message still wants more");
        off += took;
        if (took < piece)
            break;
    }
    o->taken = off;
    if (message_reading(&o->m)) {
        /* Every byte is in and the message still wants more: the peer has closed. */
        CHECK(off == len, "the message stopped taking bytes while still reading");
        message_peer_closed(&o->m);
        CHECK(o->m.state == MESSAGE_ERROR, "a message cut short did not end in ERROR");
    }
    if (o->m.state == MESSAGE_ERROR)
        check_error_text(&o->m);
}

/* The client side: reads a response and describes it. */
static void read_response(struct outcome *o, const uint8_t *stream, size_t len, size_t limit,
                          size_t max_piece, uint32_t seed)
{
    feed(o, stream, len, limit, max_piece, seed);
    if (o->m.state == MESSAGE_READ_DONE) {
        if (message_describe_response(&o->m, &o->said) < 0) {
            CHECK(o->m.state == MESSAGE_ERROR, "describe failed without state ERROR");
            check_error_text(&o->m);
        }
    }
}

/* The server side: reads a request, answers it, sends the answer in pieces. */
static void serve_request(struct outcome *o, const uint8_t *stream, size_t len, size_t limit,
                          size_t max_piece, uint32_t seed)
{
    feed(o, stream, len, limit, max_piece, seed);
    if (o->m.state != MESSAGE_READ_DONE)
        return;
    if (message_respond(&o->m) < 0) {
        CHECK(o->m.state == MESSAGE_ERROR, "message_respond failed without state ERROR");
        check_error_text(&o->m);
        return;
    }
    CHECK(o->m.state == MESSAGE_WRITE_REPLY, "message_respond succeeded but nothing to send");
    /* Send it the way a non-blocking socket takes it: a few bytes at a time. */
    uint32_t state = seed ^ 0x9e3779b9u;
    for (int rounds = 0; o->m.state == MESSAGE_WRITE_REPLY; rounds++) {
        const unsigned char *bytes;
        size_t pending = message_pending(&o->m, &bytes);
        CHECK(pending > 0, "state WRITE_REPLY with nothing pending");
        CHECK(rounds < 1 << 20, "the reply never finishes sending");
        size_t n = 1 + next_random(&state) % (max_piece == SIZE_MAX ? pending : max_piece);
        n = n < pending ? n : pending;
        CHECK(buf_append(&o->said, bytes, n) == 0, "out of memory in the harness");
        message_sent(&o->m, n);
    }
    CHECK(o->m.state == MESSAGE_DONE, "the reply was sent but the state is not DONE");
}

static void compare(const struct outcome *a, const struct outcome *b)
{
    CHECK(a->m.state == b->m.state, "cutting the stream differently changed the final state");
    CHECK(a->taken == b->taken, "cutting the stream differently changed the bytes taken");
    CHECK(buf_len(&a->said) == buf_len(&b->said) &&
              (buf_len(&a->said) == 0 ||
               memcmp(buf_data(&a->said), buf_data(&b->said), buf_len(&a->said)) == 0),
          "cutting the stream differently changed the reply");
    if (a->m.state == MESSAGE_ERROR)
        CHECK(strcmp(a->m.error, b->m.error) == 0,
              "cutting the stream differently changed the error");
    if (a->m.state == MESSAGE_READ_DONE || a->m.state == MESSAGE_DONE)
        CHECK(buf_len(&a->m.part) == buf_len(&b->m.part) &&
                  (buf_len(&a->m.part) == 0 ||
                   memcmp(buf_data(&a->m.part), buf_data(&b->m.part), buf_len(&a->m.part)) == 0),
              "cutting the stream differently changed the content");
}

static void release(struct outcome *o)
{
    message_free(&o->m);
    buf_free(&o->said);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t max_piece = max_pieces[data[0] & 7];
    size_t limit = content_limits[(data[0] >> 3) & 3];
    uint32_t seed = (uint32_t)data[1] << 8 | data[2];
    const uint8_t *stream = data + 3;
    size_t len = size - 3;
    struct outcome whole, cut;

    /* The server reading a request. */
    serve_request(&whole, stream, len, limit, SIZE_MAX, seed);
    serve_request(&cut, stream, len, limit, max_piece, seed);
    compare(&whole, &cut);
    if (whole.m.state == MESSAGE_DONE) {
        /* Its reply must read back as a valid response on the client side. */
        struct outcome back;
        read_response(&back, buf_data(&whole.said), buf_len(&whole.said),
                      MESSAGE_DEFAULT_MAX_CONTENT, max_piece, seed);
        CHECK(back.m.state == MESSAGE_READ_DONE, "the client cannot read the server's reply");
        CHECK(back.taken == buf_len(&whole.said), "the reply has bytes after its end");
        CHECK(buf_len(&back.said) > 0, "the server's reply describes as nothing");
        release(&back);
    }
    release(&whole);
    release(&cut);

    /* The client reading a response. */
    read_response(&whole, stream, len, limit, SIZE_MAX, seed);
    read_response(&cut, stream, len, limit, max_piece, seed);
    compare(&whole, &cut);
    release(&whole);
    release(&cut);
    return 0;
}
