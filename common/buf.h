/* buf.h - a growable byte buffer: bytes are appended at the end and consumed from the front.
 *
 * Used for a connection's pending input and output. Memory grows as needed (doubling, so
 * appending is cheap on average) and is freed with buf_free(). */
#ifndef KIT_BUF_H
#define KIT_BUF_H

#include <stddef.h>

struct buf {
    unsigned char *data; /* allocated storage, NULL until the first append */
    size_t start;        /* offset of the first unconsumed byte */
    size_t end;          /* offset one past the last byte */
    size_t cap;          /* allocated size */
};

/* An empty buffer; equivalent to zero-initialising the struct. */
/* clang-format off */
#define BUF_INIT {NULL, 0, 0, 0}
/* clang-format on */

/* Returns a pointer to the first unconsumed byte (valid until the next append). */
unsigned char *buf_data(const struct buf *b);

/* Returns the number of unconsumed bytes. */
size_t buf_len(const struct buf *b);

/* Appends len bytes. Returns 0, or -1 with errno ENOMEM (the buffer is then unchanged). */
int buf_append(struct buf *b, const void *bytes, size_t len);

/* Drops the first len bytes (all of them if len is larger). */
void buf_consume(struct buf *b, size_t len);

/* Frees the storage and leaves an empty buffer. */
void buf_free(struct buf *b);

#endif
