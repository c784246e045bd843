/* Hostile submission: a server that first tries every attack of hostile.h (forging the
 * verdict, rewriting the kit, reaching the grader's processes and files, the terminal),
 * then accepts clients and closes them without echoing a byte. Only a verdict it managed
 * to forge could give it points. */
#include "hostile.h"
#include "log.h"
#include "server.h"

#include <sys/socket.h>

int main(int argc, char **argv)
{
    int listener;

    log_init("echo-server");
    hostile_attack();
    listener = server_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", false);
    if (listener < 0)
        return EXIT_FAILURE;
    for (;;) {
        int conn = accept(listener, NULL, NULL);

        if (conn >= 0)
            close(conn);
    }
}
