/* Hostile submission: announces itself, then crashes (a write through a null pointer) as
 * soon as a client connects. */
#include "log.h"
#include "net.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char err[NET_ERRLEN];
    char local[NET_ADDRSTRLEN];
    int *volatile nowhere = NULL;
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
    if (accept(listener, NULL, NULL) >= 0)
        *nowhere = 1;
    return EXIT_FAILURE;
}
