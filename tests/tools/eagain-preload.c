/* eagain-preload.c - a test tool, loaded into a program under test with LD_PRELOAD: every
 * other recv() or read(), every other send() or write(), and every other accept() or
 * accept4() on each non-blocking socket fails with EAGAIN without doing anything (the
 * first of each kind on each socket included), the way a call may after select() reported the
 * socket ready (a spurious wake-up: another thread, or the kernel, took the data or the
 * connection first; Linux's select(2) page warns of it).
 *
 * A program that treats EAGAIN as an error drops a connection, or stops, at its first
 * such call; a correct one tries again on the next round and loses nothing. Blocking
 * sockets, files, pipes and terminals are left alone. Built as build/tools/eagain.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum kind { READ, WRITE, ACCEPT };
#define FDS 4096

/* True for the first, third, fifth... call of this kind on this non-blocking socket. */
static int spurious(int fd, enum kind kind)
{
    static unsigned char calls[3][FDS];
    struct stat st;
    if (fd < 0 || fd >= FDS || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return 0;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || !(flags & O_NONBLOCK))
        return 0;
    if (calls[kind][fd]++ % 2 != 0)
        return 0;
    errno = EAGAIN;
    return 1;
}

#define REAL(name)                                                                                 \
    static __typeof__(name) *real;                                                                 \
    if (real == NULL)                                                                              \
    *(void **)&real = dlsym(RTLD_NEXT, #name)

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    REAL(recv);
    return spurious(fd, READ) ? -1 : real(fd, buf, len, flags);
}

ssize_t read(int fd, void *buf, size_t len)
{
    REAL(read);
    return spurious(fd, READ) ? -1 : real(fd, buf, len);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    REAL(send);
    return spurious(fd, WRITE) ? -1 : real(fd, buf, len, flags);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    REAL(write);
    return spurious(fd, WRITE) ? -1 : real(fd, buf, len);
}

int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    REAL(accept);
    return spurious(fd, ACCEPT) ? -1 : real(fd, addr, addrlen);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags)
{
    REAL(accept4);
    return spurious(fd, ACCEPT) ? -1 : real(fd, addr, addrlen, flags);
}
