/* signals.c - see signals.h. */
#include "signals.h"

#include <signal.h>
#include <stddef.h>

/* Written by the handler, read by the main loop: sig_atomic_t and volatile are what C
 * guarantees to be safe for exactly that. */
static volatile sig_atomic_t stop_requested = 0;

static void on_stop_signal(int signo)
{
    (void)signo;
    stop_requested = 1;
}

int signals_install(void)
{
    struct sigaction sa = {0};

    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocking calls must return EINTR so loops can stop */
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
