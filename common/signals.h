/* signals.h - the kit's one signal policy.
 *
 * SIGPIPE is ignored: writing to a peer that has gone then fails with EPIPE, which ends that
 * one connection, instead of killing the whole process.
 * SIGINT and SIGTERM set a flag instead of killing: the handler is installed without
 * SA_RESTART, so a blocking accept(), recv() or select() returns -1 with EINTR, the loop
 * checks signals_stop_requested(), and the program cleans up and exits 0. */
#ifndef KIT_SIGNALS_H
#define KIT_SIGNALS_H

#include <stdbool.h>

/* Installs the whole policy above (servers). Returns 0, or -1 with errno set. */
int signals_install(void);

/* Installs only the SIGPIPE half (clients, which let SIGINT stop them at once).
 * Returns 0, or -1 with errno set. */
int signals_ignore_sigpipe(void);

/* Returns true once SIGINT or SIGTERM has arrived. */
bool signals_stop_requested(void);

#endif
