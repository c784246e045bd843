/* Hostile submission: announces itself, accepts one client, then hangs forever without
 * reading or closing anything. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int listener;

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    (void)accept(listener, NULL, NULL);
    for (;;)
        pause();
}
