/* Hostile submission: a client that writes to standard output without end. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    char line[4096];

    memset(line, 'y', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    for (;;)
        if (write(STDOUT_FILENO, line, sizeof line) < 0)
            return EXIT_FAILURE;
}
