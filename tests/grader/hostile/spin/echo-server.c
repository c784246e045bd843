/* Hostile submission: announces itself, then spins the CPU forever, ignoring SIGTERM and
 * SIGXCPU (the CPU limit's warning): only the hard limit's SIGKILL stops it. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <signal.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    volatile unsigned long spins = 0;
    int listener;

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    (void)signal(SIGTERM, SIG_IGN);
    (void)signal(SIGXCPU, SIG_IGN);
    for (;;)
        spins = spins + 1;
}
