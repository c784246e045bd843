/* io.c - see io.h. */
#include "io.h"

#include <errno.h>
#include <unistd.h>

ssize_t io_write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* a signal arrived before anything was written: try again */
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t io_read_exact(int fd, void *buf, size_t len)
{
    unsigned char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break; /* end of file: report the short count, the caller decides */
        done += (size_t)n;
    }
    return (ssize_t)done;
}
