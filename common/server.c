/* server.c - see server.h. */
#include "server.h"

#include "log.h"
#include "net.h"

#include <errno.h>
#include <sys/select.h>
#include <unistd.h>

int server_listen(const char *host, const char *port, bool for_select)
{
    char local[NET_ADDRSTRLEN];
    char err[NET_ERRLEN];
    int listener = net_listen(host, port, err, sizeof err);

    if (listener < 0) {
        log_error("%s", err);
        return -1;
    }
    if (for_select) {
        /* Non-blocking, so that a select() loop can accept() until the queue is empty, and
         * so that a client that connects and leaves before accept() cannot leave the whole
         * server blocked in accept(). */
        if (net_set_nonblocking(listener) < 0) {
            log_errno(errno, "fcntl O_NONBLOCK");
            close(listener);
            return -1;
        }
        if (listener >= FD_SETSIZE) {
            log_error("listening socket %d does not fit in an fd_set", listener);
            close(listener);
            return -1;
        }
    }
    if (net_local_name(listener, local, sizeof local) < 0) {
        log_errno(errno, "getsockname");
        close(listener);
        return -1;
    }
    log_info("Listening on %s", local);
    return listener;
}
