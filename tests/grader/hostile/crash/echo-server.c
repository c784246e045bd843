/* Hostile submission: announces itself, then crashes (a write through a null pointer) as
 * soon as a client connects. */
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int *volatile nowhere = NULL;
    int listener;

    log_init("echo-server");
    listener = server_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", false);
    if (listener < 0)
        return EXIT_FAILURE;
    if (accept(listener, NULL, NULL) >= 0)
        *nowhere = 1;
    return EXIT_FAILURE;
}
