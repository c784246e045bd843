/* slowwait-preload.c - a test tool, loaded into a server under test with LD_PRELOAD: every
 * call in which a server may sleep waiting for a client (accept, select, pselect, poll)
 * first pauses SLOWWAIT_MS milliseconds (default 150), then makes the real call.
 *
 * A server that checks a stop flag and then sleeps in one of these calls loses a stop
 * request that arrives in between: the handler sets the flag, and the server sleeps on.
 * On a real machine that window lasts microseconds and a test would hit it only by luck;
 * this shim holds it open, so a signal sent right after the server announces itself lands
 * in it nearly every time. A server that cannot lose a stop (the signals blocked until
 * pselect() lets them in, or a self-pipe that select() watches) stops all the same: the
 * pause only delays it. The pause goes on through a signal, as the real window would.
 * Built as build/tools/slowwait.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>

typedef int accept_fn(int, struct sockaddr *, socklen_t *);
typedef int select_fn(int, fd_set *, fd_set *, fd_set *, struct timeval *);
typedef int pselect_fn(int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                       const sigset_t *);
typedef int poll_fn(struct pollfd *, nfds_t, int);

/* The next definition of name (the C library's), looked up once by the caller. */
static void *real(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

static void pause_before_waiting(void)
{
    const char *s = getenv("SLOWWAIT_MS");
    long ms = s != NULL ? strtol(s, NULL, 10) : 150;
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    int saved = errno;

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        ;
    errno = saved;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    static accept_fn *next;
    if (next == NULL)
        *(void **)&next = real("accept");
    pause_before_waiting();
    return next(fd, addr, len);
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
    static select_fn *next;
    if (next == NULL)
        *(void **)&next = real("select");
    pause_before_waiting();
    return next(n, r, w, e, t);
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t, const sigset_t *m)
{
    static pselect_fn *next;
    if (next == NULL)
        *(void **)&next = real("pselect");
    pause_before_waiting();
    return next(n, r, w, e, t, m);
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    static poll_fn *next;
    if (next == NULL)
        *(void **)&next = real("poll");
    pause_before_waiting();
    return next(fds, n, timeout);
}
