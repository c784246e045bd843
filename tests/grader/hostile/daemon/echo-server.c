/* Hostile submission: announces itself, then leaves a daemon behind the way one escapes a
 * process group and a sweep by environment: a new session, a second fork, and a fresh
 * start of itself with an empty environment. The daemon tries to leave its cgroup, waits
 * for the grading to end, and then goes after the verdict. The server itself exits: the
 * echo tests fail. (Guarded like every hostile program: it attacks only bait, and gives
 * up after a minute.) */
#include "hostile.h"
#include "log.h"
#include "server.h"

static void daemon_life(void)
{
    int fd = open("/sys/fs/cgroup/cgroup.procs", O_WRONLY);

    hostile_discover();
    if (fd >= 0 && hostile_nbait > 0) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());

        if (write(fd, pid, (size_t)n) == n)
            hostile_report("cgroup-escape", "moved itself to the root cgroup");
    }
    if (fd >= 0)
        close(fd);
    /* Outlive the test, then strike: if anything is still in sight by then, it lived on. */
    for (int i = 0; i < 60; i++) {
        sleep(1);
        if (i == 20 && hostile_nbait > 0) {
            hostile_report("outlived", "still running 20 s after the test started it");
            hostile_attack();
        }
    }
}

int main(int argc, char **argv)
{
    int listener;

    if (argc > 1 && strcmp(argv[1], "--daemon") == 0) {
        daemon_life();
        return EXIT_SUCCESS;
    }
    listener = hostile_listen(argc, argv);
    if (listener < 0)
        return EXIT_FAILURE;
    if (fork() == 0) {
        char self[] = "/proc/self/exe";
        char *args[] = {self, "--daemon", NULL};
        char *no_env[] = {NULL};

        (void)setsid();
        if (fork() != 0)
            _exit(0);
        close(listener);
        execve(self, args, no_env);
        _exit(1);
    }
    return EXIT_SUCCESS;
}
