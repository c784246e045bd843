/* Hostile submission: announces itself, then forks until fork() fails; the children wait
 * to be killed. The process limit must stop it well before the machine suffers. (Guarded:
 * at most 1,000 children, and only 20 where no bait is in sight.) */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <sys/wait.h>

int main(int argc, char **argv)
{
    int listener, n = 0, most;
    char what[64];

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    hostile_discover();
    most = hostile_nbait > 0 ? 1000 : 20;
    while (n < most) {
        pid_t p = fork();

        if (p < 0)
            break;
        if (p == 0) {
            pause();
            _exit(0);
        }
        n++;
    }
    snprintf(what, sizeof what, "made %d processes", n);
    if (n >= 500)
        hostile_report("fork-bomb", what);
    for (;;)
        pause();
}
