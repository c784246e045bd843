/* Hostile submission: announces itself, accepts one client, then hangs forever without
 * reading or closing anything. */
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int listener;

    log_init("echo-server");
    listener = server_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", false);
    if (listener < 0)
        return EXIT_FAILURE;
    (void)accept(listener, NULL, NULL);
    for (;;)
        pause();
}
