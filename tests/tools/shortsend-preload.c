/* shortsend-preload.c - a test tool, loaded into a program under test with LD_PRELOAD:
 * every send() and write() on a socket moves at most a random part of the bytes asked.
 *
 * The kernel rarely returns short counts on loopback, so a program that assumes one send()
 * sends everything passes most tests by luck. Under this shim a short count is the rule,
 * and such a program loses bytes. Writes to files, pipes and terminals are left alone.
 * SHORTSEND_SEED sets the random sequence (default 1). Built as build/tools/shortsend.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static unsigned int seed;
static int seeded;

/* How many of len bytes to pass on: between 1 and len, often much fewer. */
static size_t short_count(size_t len)
{
    if (!seeded) {
        const char *s = getenv("SHORTSEND_SEED");
        seed = s != NULL ? (unsigned int)strtoul(s, NULL, 10) : 1;
        seeded = 1;
    }
    if (len <= 1)
        return len;
    return 1 + (size_t)rand_r(&seed) % (len < 3000 ? len : 3000);
}

static int is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*real_send)(int, const void *, size_t, int);
    if (real_send == NULL)
        *(void **)&real_send = dlsym(RTLD_NEXT, "send");
    return real_send(fd, buf, short_count(len), flags);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static ssize_t (*real_write)(int, const void *, size_t);
    if (real_write == NULL)
        *(void **)&real_write = dlsym(RTLD_NEXT, "write");
    return real_write(fd, buf, is_socket(fd) ? short_count(len) : len);
}
