/* signals.c - see signals.h. */
#include "signals.h"

#include <errno.h>
#include <stddef.h>
#include <sys/select.h>
#include <time.h>

/* Written by the handler, read by the main loop: sig_atomic_t and volatile are what C
 * guarantees to be safe for exactly that. */
static volatile sig_atomic_t stop_requested = 0;

/* The mask pselect() sleeps with: the process's mask without SIGINT and SIGTERM. */
static sigset_t wait_mask;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

int signals_install(void)
{
    struct sigaction sa = {0};
    sigset_t stop_signals;

    /* Block them before the handler exists: from now on a stop signal stays pending until
     * pselect() lets it in, and the old mask, minus these two, is what pselect() sleeps with. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &stop_signals, &wait_mask) < 0)
        return -1;
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);

    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: pselect() must return EINTR, never be restarted */
    sa.sa_handler = on_stop_signal;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
        return -1;

    return signals_ignore_sigpipe();
}

int signals_ignore_sigpipe(void)
{
    struct sigaction sa = {0};

    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

bool signals_stop_requested(void)
{
    return stop_requested != 0;
}

const sigset_t *signals_wait_mask(void)
{
    return &wait_mask;
}

/* What wait_for() returns when a stop has been requested. */
#define STOPPED (-2)

/* Sleeps in pselect() until fd (unless it is -1) is ready, the timeout (unless NULL) has
 * passed, or a stop is requested. Returns 1 (ready), 0 (the timeout passed), STOPPED, or -1
 * with errno set. */
static int wait_for(int fd, bool for_write, const struct timespec *timeout)
{
    if (fd >= FD_SETSIZE) {
        errno = EINVAL; /* FD_SET() on it would write outside the set */
        return -1;
    }
    for (;;) {
        fd_set set;
        int n;

        FD_ZERO(&set);
        if (fd >= 0)
            FD_SET(fd, &set);
        /* The flag is checked while the stop signals are blocked, so none can slip in
         * between this check and the sleep: one that comes later is let in by pselect(). */
        if (stop_requested)
            return STOPPED;
        n = pselect(fd + 1, for_write ? NULL : &set, for_write ? &set : NULL, NULL, timeout,
                    &wait_mask);
        if (n >= 0)
            return n > 0 ? 1 : 0;
        if (errno != EINTR)
            return -1;
        /* EINTR: a handler ran. A stop is seen at the top of the loop; any other caught
         * signal (the kit catches none, a program may) just starts the wait again. */
    }
}

int signals_wait_fd(int fd, bool for_write)
{
    int rc;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    rc = wait_for(fd, for_write, NULL);
    return rc == STOPPED ? 0 : rc;
}

int signals_sleep(long ms)
{
    struct timespec timeout;
    int rc;

    if (ms < 0) {
        errno = EINVAL;
        return -1;
    }
    timeout.tv_sec = ms / 1000;
    timeout.tv_nsec = (ms % 1000) * 1000000L;
    rc = wait_for(-1, false, &timeout);
    if (rc == STOPPED)
        return 0;
    return rc < 0 ? -1 : 1;
}
