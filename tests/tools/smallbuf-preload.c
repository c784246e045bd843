/* smallbuf-preload.c - a test tool, loaded into a program under test with LD_PRELOAD:
 * every TCP socket it creates gets small, fixed send and receive buffers (SO_SNDBUF and
 * SO_RCVBUF of 64 KiB; the kernel doubles them for its bookkeeping).
 *
 * Linux grows a socket's buffers on its own, up to tens of megabytes on loopback, so a
 * client that sends all its input before reading any echo back gets away with it on
 * inputs of a few megabytes, or not, depending on how fast each side ran. With fixed small
 * buffers on both ends, the few hundred kilobytes they hold together are always far less
 * than the test's input, and that client blocks every time, as it would on a real network
 * with a larger input. A correct program is only slowed down a little. Accepted sockets
 * inherit the listening socket's sizes. Built as build/tools/smallbuf.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol)
{
    static int (*real_socket)(int, int, int);
    if (real_socket == NULL)
        *(void **)&real_socket = dlsym(RTLD_NEXT, "socket");
    int fd = real_socket(domain, type, protocol);
    if (fd >= 0 && (domain == AF_INET || domain == AF_INET6) &&
        (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM) {
        int size = 65536;
        /* Best effort: a failure leaves the kernel's sizes, and the test as it was. */
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    return fd;
}
