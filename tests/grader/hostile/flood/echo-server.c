/* Hostile submission: announces itself, then writes to standard output without end. */
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

    log_init("echo-server");
    listener = server_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", false);
    if (listener < 0)
        return EXIT_FAILURE;
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;)
        if (write(STDOUT_FILENO, line, sizeof line) < 0)
            return EXIT_FAILURE;
}
