/* Hostile submission: announces itself, then forks children that leave its process group
 * (setsid) and fork again, each keeping the listening socket open forever, and exits. Only
 * something that outlives process groups (a PID namespace, or a sweep) can stop them. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <unistd.h>

#define CHILDREN 8

int main(int argc, char **argv)
{
    int listener;

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    for (int i = 0; i < CHILDREN; i++) {
        if (fork() == 0) {
            (void)setsid();
            if (fork() != 0)
                _exit(0);
            for (;;)
                pause();
        }
    }
    return EXIT_SUCCESS;
}
