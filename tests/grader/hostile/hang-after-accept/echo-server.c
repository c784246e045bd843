/* Hostile submission: announces itself, accepts one client, then hangs forever without
 * reading or closing anything. */
#include "log.h"
#include "net.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char err[NET_ERRLEN];
    char local[NET_ADDRSTRLEN];
    int listener;

    log_init("echo-server");
    listener = net_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", err,
                          sizeof err);
    if (listener < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    if (net_local_name(listener, local, sizeof local) < 0)
        return EXIT_FAILURE;
    log_info("Listening on %s", local);
    (void)accept(listener, NULL, NULL);
    for (;;)
        pause();
}
