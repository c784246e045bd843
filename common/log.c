/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *program = "?";

int log_init(const char *program_name)
{
    program = program_name;
    /* A pipe makes stdout fully buffered by default; tests and pipelines want each
     * "Listening on ..." line the moment it is printed. */
    return setvbuf(stdout, NULL, _IOLBF, 0) == 0 ? 0 : -1;
}

const char *log_program(void)
{
    return program;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_errno(int errnum, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(errnum));
}

/* How many bytes, from p[0], form one UTF-8 character that may be shown as it is: 1 for
 * printable ASCII, 2 to 4 for a valid multi-byte sequence (not a C1 control); 0 if p[0]
 * must be escaped. n is how many bytes p has. */
static size_t showable(const unsigned char *p, size_t n)
{
    size_t want;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */

    if (p[0] < 0x80)
        return p[0] >= 0x20 && p[0] != 0x7f && p[0] != '\\' ? 1 : 0;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        want = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        want = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        want = 4;
    else
        return 0; /* a continuation byte on its own, or never valid in UTF-8 */
    if (p[0] == 0xc2)
        lo = 0xa0; /* U+0080-U+009F are the C1 control characters */
    else if (p[0] == 0xe0)
        lo = 0xa0; /* no overlong forms */
    else if (p[0] == 0xed)
        hi = 0x9f; /* no UTF-16 surrogates */
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f; /* nothing above U+10FFFF */
    if (n < want || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < want; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    }
    return want;
}

/* How many bytes log_escape() writes for p[0..n): each byte either kept or 4 bytes long. */
static size_t escaped_len(const unsigned char *p, size_t n)
{
    size_t total = 0;

    for (size_t i = 0; i < n;) {
        size_t keep = showable(p + i, n - i);

        total += keep > 0 ? keep : 4;
        i += keep > 0 ? keep : 1;
    }
    return total;
}

const char *log_escape(const void *text, size_t len, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = text;
    size_t room;
    size_t used = 0;

    if (outlen < 4) {
        if (outlen > 0)
            out[0] = '\0';
        return out;
    }
    /* If it will not all fit, stop early enough to end with "...". */
    room = escaped_len(p, len) < outlen ? outlen - 1 : outlen - 1 - 3;
    for (size_t i = 0; i < len;) {
        size_t keep = showable(p + i, len - i);

        if (used + (keep > 0 ? keep : 4) > room) {
            memcpy(out + used, "...", 3);
            used += 3;
            break;
        }
        if (keep > 0) {
            memcpy(out + used, p + i, keep);
            used += keep;
            i += keep;
        } else {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = hex[p[i] >> 4];
            out[used++] = hex[p[i] & 0xf];
            i++;
        }
    }
    out[used] = '\0';
    return out;
}
