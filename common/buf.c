/* buf.c - see buf.h. */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The first allocation; small messages never need more. */
#define BUF_MIN_CAP 4096

unsigned char *buf_data(const struct buf *b)
{
    if (b->data == NULL)
        return NULL; /* nothing appended yet (and NULL + 0 is undefined in C) */
    return b->data + b->start;
}

size_t buf_len(const struct buf *b)
{
    return b->end - b->start;
}

int buf_append(struct buf *b, const void *bytes, size_t len)
{
    if (len == 0)
        return 0;
    if (b->cap - b->end < len && b->start > 0) {
        /* Reuse the space freed at the front before growing. */
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    if (b->cap - b->end < len) {
        size_t cap = b->cap > 0 ? b->cap : BUF_MIN_CAP;
        unsigned char *grown;

        while (cap - b->end < len) {
            if (cap > SIZE_MAX / 2) {
                errno = ENOMEM;
                return -1;
            }
            cap *= 2;
        }
        /* realloc's result goes to a temporary: on failure the old block is still ours. */
        grown = realloc(b->data, cap);
        if (grown == NULL)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->end, bytes, len);
    b->end += len;
    return 0;
}

void buf_consume(struct buf *b, size_t len)
{
    if (len >= buf_len(b)) {
        b->start = b->end = 0; /* empty: start over at the front */
        return;
    }
    b->start += len;
}

void buf_free(struct buf *b)
{
    free(b->data);
    *b = (struct buf)BUF_INIT;
}
