/* Hostile submission: announces itself, then writes to standard output without end. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char line[4096];
    int listener;

    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;)
        if (write(STDOUT_FILENO, line, sizeof line) < 0)
            return EXIT_FAILURE;
}
