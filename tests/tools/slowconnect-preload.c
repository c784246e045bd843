/* slowconnect-preload.c - a test tool, loaded into a client under test with LD_PRELOAD: it
 * plays a network whose TCP handshakes take very long. A connect() on a non-blocking socket
 * is left alone (it returns at once either way: the program goes on with its other
 * connections). A connect() on a blocking stream socket would wait for the whole handshake,
 * holding up every other connection: the shim says so on stderr and fails it at once with
 * ETIMEDOUT, as the kernel would after minutes, so that the test sees the mistake without
 * waiting for it. Built as build/tools/slowconnect.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>

typedef int connect_fn(int, const struct sockaddr *, socklen_t);

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static connect_fn *next;
    int type = 0;
    socklen_t type_len = sizeof type;
    int flags = fcntl(fd, F_GETFL);

    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "connect");
    if (flags >= 0 && !(flags & O_NONBLOCK) &&
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM) {
        fprintf(stderr,
                "slowconnect: connect() on a blocking socket (fd %d): on this network "
                "a handshake takes minutes, and the program would wait for it\n",
                fd);
        errno = ETIMEDOUT;
        return -1;
    }
    return next(fd, addr, len);
}
