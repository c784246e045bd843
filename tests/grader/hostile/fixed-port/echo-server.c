/* Hostile submission: ignores the port it is given and binds the fixed port 65432, which is
 * in use (the grader's self-test holds it), so it fails at start-up every time. */
#include "log.h"
#include "server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int listener;

    log_init("echo-server");
    listener = server_listen("127.0.0.1", "65432", false);
    if (listener < 0)
        return EXIT_FAILURE;
    for (;;) {
        int conn = accept(listener, NULL, NULL);

        if (conn >= 0)
            close(conn);
    }
}
