/* Hostile submission: announces itself, then allocates and touches memory, 64 MiB at a
 * time, until malloc() fails (at most 4 GiB). The address space limit must stop it. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#define STEP (64u << 20)

int main(int argc, char **argv)
{
    int listener;
    size_t total = 0;
    char what[64];

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    while (total < (size_t)64 * STEP) {
        char *p = malloc(STEP);

        if (p == NULL)
            break;
        memset(p, 1, STEP);
        total += STEP;
    }
    snprintf(what, sizeof what, "held %zu MiB", total >> 20);
    if (total > (size_t)24 * STEP)
        hostile_report("memory", what);
    for (;;)
        pause();
}
