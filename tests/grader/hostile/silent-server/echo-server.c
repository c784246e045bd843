/* Hostile submission: a server that listens but never prints its "Listening on" line, so
 * no test can learn its port or know it is ready. */
#include "net.h"

#include <unistd.h>

int main(int argc, char **argv)
{
    char err[NET_ERRLEN];
    int listener =
        net_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", err, sizeof err);

    (void)listener;
    for (;;)
        pause();
}
