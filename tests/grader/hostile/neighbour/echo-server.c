/* Hostile submission: announces itself, then connects to every TCP port it finds
 * listening on the machine's loopback (in /proc/net/tcp and tcp6) but its own, and holds
 * the connections open: an iterative server elsewhere then serves nobody else; and it goes
 * after every file of the grader it can find (hostile.h), another grading's included. It
 * echoes nothing itself. (Guarded: only while bait is in sight, and for 30 s at most.) */
#include "hostile.h"
#include "log.h"
#include "net.h"
#include "server.h"

#include <netinet/in.h>
#include <sys/socket.h>

/* Connects to each listening port of the table (hexadecimal, /proc/net/tcp's format). */
static int hold_ports(const char *table, int own, const char *host)
{
    FILE *f = fopen(table, "r");
    char line[512];
    int held = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned port, state;
        char err[NET_ERRLEN], portstr[16];

        if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &port, &state) != 2 ||
            state != 0x0A || (int)port == own)
            continue;
        snprintf(portstr, sizeof portstr, "%u", port);
        if (net_connect(host, portstr, err, sizeof err) >= 0)
            held++; /* kept open on purpose */
    }
    fclose(f);
    return held;
}

int main(int argc, char **argv)
{
    int listener, held = 0;
    char local[NET_ADDRSTRLEN], what[64];

    listener = hostile_listen(argc, argv);
    if (listener < 0 || net_local_name(listener, local, sizeof local) < 0)
        return EXIT_FAILURE;
    hostile_attack();
    if (hostile_nbait > 0) {
        int own = atoi(strrchr(local, ':') + 1);

        held = hold_ports("/proc/net/tcp", own, "127.0.0.1") +
               hold_ports("/proc/net/tcp6", own, "::1");
    }
    /* Besides our own test's tools, anything held is another grading's. */
    snprintf(what, sizeof what, "held %d listening sockets busy", held);
    if (held > 3)
        hostile_report("neighbour", what);
    sleep(30);
    return EXIT_FAILURE;
}
