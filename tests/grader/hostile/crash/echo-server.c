/* Hostile submission: announces itself, then crashes (a write through a null pointer) as
 * soon as a client connects. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int *volatile nowhere = NULL;
    int listener;

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    if (accept(listener, NULL, NULL) >= 0)
        *nowhere = 1;
    return EXIT_FAILURE;
}
