/* Hostile submission: ignores the port it is given and binds the fixed port 65432, which is
 * in use (the grader's self-test holds it), so it fails at start-up every time. */
#include "log.h"
#include "net.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    char err[NET_ERRLEN];
    char local[NET_ADDRSTRLEN];
    int listener;

    log_init("echo-server");
    listener = net_listen("127.0.0.1", "65432", err, sizeof err);
    if (listener < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (net_local_name(listener, local, sizeof local) < 0)
        return EXIT_FAILURE;
    log_info("Listening on %s", local);
    for (;;) {
        int conn = accept(listener, NULL, NULL);

        if (conn >= 0)
            close(conn);
    }
}
