/* signals.h - the kit's one signal policy, and the only way its servers sleep.
 *
 * SIGPIPE is ignored: writing to a peer that has gone then fails with EPIPE, which ends that
 * one connection, instead of killing the whole process.
 *
 * SIGINT and SIGTERM ask a server to stop: a handler sets a flag, the server leaves its loop,
 * closes everything and exits 0. The classic trap is the *lost wake-up*: a server checks the
 * flag, finds it clear, and a signal arriving just then (before the server is asleep in
 * accept(), recv() or select()) sets the flag while nobody looks; the server then sleeps
 * until the next client comes, perhaps for ever. So signals_install() keeps SIGINT and
 * SIGTERM *blocked*: one that arrives waits, pending, while the server runs. A server sleeps
 * only in pselect(), which unblocks them for exactly as long as it sleeps, atomically: a
 * stop requested at any moment, before the sleep or during it, ends the sleep at once.
 *
 * The rule for a server that follows this policy: it never sleeps anywhere else. It waits in
 * signals_wait_fd() (one descriptor) or in its own pselect() with signals_wait_mask() (many),
 * and its sockets are non-blocking, so that the accept(), recv() or send() after the wait
 * cannot sleep either: readiness is a hint (a client may vanish before accept(), a send()
 * may be larger than the room it was told about), and a blocking call would then wait with
 * the stop signals blocked, deaf to them. */
#ifndef KIT_SIGNALS_H
#define KIT_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

/* Installs the whole policy above (servers): blocks SIGINT and SIGTERM, installs their
 * handler, ignores SIGPIPE. Returns 0, or -1 with errno set. */
int signals_install(void);

/* Installs only the SIGPIPE half (clients, which let SIGINT stop them at once).
 * Returns 0, or -1 with errno set. */
int signals_ignore_sigpipe(void);

/* Returns true once SIGINT or SIGTERM has arrived. Since they are blocked outside the
 * waits, the flag is set during a wait: check it when a wait returns. */
bool signals_stop_requested(void);

/* The signal mask to pass to pselect(): the process's mask with SIGINT and SIGTERM
 * unblocked, so that they are delivered only while pselect() sleeps. A stop requested
 * before the call makes pselect() fail with EINTR at once. Valid after signals_install(). */
const sigset_t *signals_wait_mask(void);

/* Sleeps until fd is ready (readable, or writable if for_write) or a stop is requested:
 * for any kind of descriptor (a listening, connected or datagram socket, a pipe).
 * Returns 1 when fd is ready, 0 when a stop has been requested (at once if it was requested
 * before the call), or -1 with errno set (EINVAL: fd does not fit in an fd_set).
 * "Ready" means the next call will not sleep, not that it will succeed, or take everything:
 * on a non-blocking socket, treat EAGAIN afterwards as "wait again". */
int signals_wait_fd(int fd, bool for_write);

/* Sleeps for milliseconds ms, or less if a stop is requested: for waiting out a shortage
 * (no descriptors left) without spinning. Returns 1 after the whole time, 0 when a stop has
 * been requested, or -1 with errno set. */
int signals_sleep(long ms);

#endif
