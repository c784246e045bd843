/* hostile.h - what the grader's hostile test programs share: the attacks, and the guard.
 *
 * Each program in tests/grader/hostile/NAME/ is a submission a clever, hostile student
 * might hand in. It probes the grader the ways such a student would (the environment,
 * inherited descriptors, /proc, the folders around it, the terminal) and reports, in the
 * file hostile-report in its working folder, one line "HOSTILE: ATTACK: what it managed"
 * for every attack that worked. The grader's self-test (tests/grader/selftest) reads those
 * lines: at the containment levels meant to stop an attack, none may appear.
 *
 * The guard: these programs must do no harm even where the grader's defences fail. They
 * write, signal or trace only what lies inside the tree the self-test set up as bait for
 * their own grading: a folder holding a file named .kit-hostile-bait, at the target or
 * above it, with the same content (a tag) as the bait around their own working folder. A
 * real grading has no bait, so there they attack nothing and just fail their tests. */
#ifndef KIT_HOSTILE_H
#define KIT_HOSTILE_H

#include "log.h"
#include "server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define BAIT_MARKER ".kit-hostile-bait"

/* The bait trees found so far, and what the report holds. */
static char hostile_bait[16][PATH_MAX];
static int hostile_nbait;

/* Records one attack that worked, in ./hostile-report (and on stderr). */
static inline void hostile_report(const char *attack, const char *what)
{
    FILE *f = fopen("hostile-report", "a");

    fprintf(stderr, "HOSTILE: %s: %s\n", attack, what);
    if (f != NULL) {
        fprintf(f, "HOSTILE: %s: %s\n", attack, what);
        fclose(f);
    }
}

/* The highest folder at path or above it that holds the bait marker, into top (empty if
 * none): the top of the bait tree path lies in. */
static inline void hostile_bait_top(const char *path, char *top, size_t len)
{
    char p[PATH_MAX];
    char marker[PATH_MAX + sizeof BAIT_MARKER + 1];

    top[0] = '\0';
    if (path[0] != '/' || strlen(path) >= sizeof p)
        return;
    strcpy(p, path);
    for (;;) {
        char *slash;

        snprintf(marker, sizeof marker, "%s/%s", p, BAIT_MARKER);
        if (access(marker, F_OK) == 0)
            snprintf(top, len, "%s", p);
        slash = strrchr(p, '/');
        if (slash == NULL || slash == p)
            return;
        *slash = '\0';
    }
}

/* The tag of the bait tree whose top is top (its marker's first line), into tag. */
static inline void hostile_tag_of(const char *top, char *tag, size_t len)
{
    char marker[PATH_MAX + sizeof BAIT_MARKER + 1];
    FILE *f;

    tag[0] = '\0';
    snprintf(marker, sizeof marker, "%s/%s", top, BAIT_MARKER);
    f = fopen(marker, "r");
    if (f == NULL)
        return;
    if (fgets(tag, (int)len, f) == NULL)
        tag[0] = '\0';
    fclose(f);
}

/* Whether path lies in the bait tree of this program's own grading: the one its working
 * folder is in (none if that is in no bait tree). */
static inline bool hostile_is_bait(const char *path)
{
    static char own[128];
    static int known;
    char top[PATH_MAX], tag[128];

    if (!known) {
        char cwd[PATH_MAX];

        known = 1;
        if (getcwd(cwd, sizeof cwd) != NULL) {
            hostile_bait_top(cwd, top, sizeof top);
            if (top[0] != '\0')
                hostile_tag_of(top, own, sizeof own);
        }
    }
    if (own[0] == '\0')
        return false;
    hostile_bait_top(path, top, sizeof top);
    if (top[0] == '\0')
        return false;
    hostile_tag_of(top, tag, sizeof tag);
    return strcmp(tag, own) == 0;
}

/* Remembers the top of the bait tree holding path, if it is ours (for the searches below). */
static inline void hostile_note(const char *path)
{
    char top[PATH_MAX];

    if (!hostile_is_bait(path))
        return;
    hostile_bait_top(path, top, sizeof top);
    for (int i = 0; i < hostile_nbait; i++)
        if (strcmp(hostile_bait[i], top) == 0)
            return;
    if (hostile_nbait < 16)
        strcpy(hostile_bait[hostile_nbait++], top);
}

/* Appends text to path if it is bait and writable; returns whether it did. */
static inline bool hostile_append(const char *path, const char *text)
{
    int fd;
    bool ok;

    if (!hostile_is_bait(path))
        return false;
    fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0)
        return false;
    ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok;
}

/* Calls visit(path) for each file under dir (depth at most depth), skipping the kernel's
 * trees and the system's. */
static inline void hostile_walk(const char *dir, int depth, void (*visit)(const char *))
{
    DIR *d;
    struct dirent *e;

    if (depth < 0 || strncmp(dir, "/proc", 5) == 0 || strncmp(dir, "/sys", 4) == 0 ||
        strncmp(dir, "/dev", 4) == 0 || strncmp(dir, "/usr", 4) == 0)
        return;
    d = opendir(dir);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->d_name) >=
            (int)sizeof path)
            continue;
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode))
            hostile_walk(path, depth - 1, visit);
        else
            visit(path);
    }
    closedir(d);
}

static inline bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* A file of the grader: forge it if it is a verdict, deface it if it is the kit. */
static inline void hostile_visit(const char *path)
{
    static const char *verdicts[] = {"/result.tsv",     "/results.tsv", "/results.json",
                                     "/scoreboard.txt", "/junit.xml",   "/meta.tsv"};
    static const char *kit[] = {"/tests/harness.sh", "/tests/report",       "/tests/rows.sh",
                                "/tests/01-echo.sh", "/tests/grader/grade", "/tests/run"};
    char what[PATH_MAX + 64];

    hostile_note(path);
    for (size_t i = 0; i < sizeof verdicts / sizeof *verdicts; i++)
        if (ends_with(path, verdicts[i]) &&
            hostile_append(path, "01-echo\ttest_usage\tpass\t0\tforged\t\t0\n")) {
            snprintf(what, sizeof what, "wrote into %s", path);
            hostile_report("forge-results", what);
        }
    for (size_t i = 0; i < sizeof kit / sizeof *kit; i++)
        if (ends_with(path, kit[i]) && hostile_append(path, "\n# kit-hostile was here\n")) {
            snprintf(what, sizeof what, "wrote into %s", path);
            hostile_report("rewrite-kit", what);
        }
    if (strstr(path, "/solutions/") != NULL && ends_with(path, ".c") && hostile_is_bait(path) &&
        access(path, R_OK) == 0) {
        snprintf(what, sizeof what, "can read %s", path);
        hostile_report("read-solutions", what);
    }
}

/* Every path this process can learn about: its environment, its descriptors, the folders
 * around it, other processes' command lines, folders and descriptors. */
static inline void hostile_discover(void)
{
    extern char **environ;
    char path[PATH_MAX], link[PATH_MAX];
    DIR *d;
    struct dirent *e;

    for (char **v = environ; *v != NULL; v++) {
        const char *eq = strchr(*v, '=');

        if (eq != NULL && eq[1] == '/' && hostile_is_bait(eq + 1)) {
            hostile_note(eq + 1);
            hostile_report("env-paths", *v);
        }
    }
    if (getcwd(path, sizeof path) != NULL)
        hostile_note(path);
    /* Descriptors: our own beyond 0-2, and (through /proc) every other process's. */
    d = opendir("/proc");
    while (d != NULL && (e = readdir(d)) != NULL) {
        char fddir[300];
        DIR *fds;
        struct dirent *f;
        bool self = strcmp(e->d_name, "self") == 0;
        bool other = e->d_name[0] >= '1' && e->d_name[0] <= '9' && atoi(e->d_name) != getpid();

        if (!self && !other)
            continue;
        snprintf(fddir, sizeof fddir, "/proc/%s/cwd", e->d_name);
        ssize_t n = readlink(fddir, link, sizeof link - 1);
        if (other && n > 0) {
            link[n] = '\0';
            hostile_note(link);
        }
        snprintf(fddir, sizeof fddir, "/proc/%s/fd", e->d_name);
        fds = opendir(fddir);
        while (fds != NULL && (f = readdir(fds)) != NULL) {
            int fd = atoi(f->d_name);

            if (f->d_name[0] == '.' || (self && fd <= 2))
                continue;
            snprintf(path, sizeof path, "%s/%s", fddir, f->d_name);
            n = readlink(path, link, sizeof link - 1);
            if (n <= 0)
                continue;
            link[n] = '\0';
            if (link[0] != '/' || !hostile_is_bait(link) || strstr(link, "hostile-report"))
                continue;
            hostile_note(link);
            if (self) {
                hostile_report("inherited-fd", link);
            } else {
                int w = open(path, O_WRONLY | O_APPEND);
                if (w >= 0) {
                    close(w);
                    hostile_report("proc-fd", link);
                }
            }
        }
        if (fds != NULL)
            closedir(fds);
    }
    if (d != NULL)
        closedir(d);
}

/* Processes of the grader this one can signal or trace (a harness, a runner, a grader). */
static inline void hostile_reach_processes(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[64], cmd[4096];
        pid_t pid = (pid_t)atoi(e->d_name);
        int fd;
        ssize_t n;

        if (pid <= 1 || pid == getpid() || pid == getppid())
            continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
        if (n <= 0)
            continue;
        cmd[n] = '\0';
        for (ssize_t i = 0; i < n; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
        /* Only the grader's own processes working on bait: the harness, runner, grader. */
        if ((strstr(cmd, "harness") == NULL && strstr(cmd, "01-echo.sh") == NULL &&
             strstr(cmd, "tests/run") == NULL && strstr(cmd, "grader/grade") == NULL) ||
            strstr(cmd, BAIT_MARKER) != NULL)
            continue;
        bool bait = false;
        for (int i = 0; i < hostile_nbait && !bait; i++)
            bait = strstr(cmd, hostile_bait[i]) != NULL;
        if (!bait)
            continue;
        if (kill(pid, 0) == 0) {
            char what[128];
            snprintf(what, sizeof what, "may signal pid %d (%.60s)", (int)pid, cmd);
            hostile_report("signal-grader", what);
        }
    }
    if (d != NULL)
        closedir(d);
}

/* A file written outside this program's own folder, in bait. */
static inline void hostile_write_outside(void)
{
    for (int i = 0; i < hostile_nbait; i++) {
        char path[PATH_MAX + 32];
        int fd;

        if (snprintf(path, sizeof path, "%s/hostile-was-here", hostile_bait[i]) >= (int)sizeof path)
            continue;
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            close(fd);
            hostile_report("write-outside", path);
        }
    }
}

/* The terminal: a fake score line and keystrokes pushed into its input. */
static inline void hostile_terminal(void)
{
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);

    if (fd < 0)
        return;
    /* Only write to a terminal the self-test gave the grading (bait in sight). */
    if (hostile_nbait > 0) {
        static const char fake[] = "\033[1;32mScore: 9999/9999\033[0m\n";
        (void)!write(fd, fake, sizeof fake - 1);
        hostile_report("terminal", "opened /dev/tty and wrote to it");
    }
    close(fd);
}

/* All the probes, in the order a student would try them. */
static inline void hostile_attack(void)
{
    hostile_discover();
    /* A search of the whole visible file system, as `find /` would, then deeper around
     * the folders found: the verdict, the kit, other gradings. */
    hostile_walk("/", 5, hostile_visit);
    for (int i = 0; i < hostile_nbait; i++)
        hostile_walk(hostile_bait[i], 9, hostile_visit);
    hostile_reach_processes();
    hostile_write_outside();
    hostile_terminal();
}

/* The listening socket of a hostile echo-server, made the way lesson 01's main makes it:
 * HOST and PORT from the command line (default 127.0.0.1 and a port the system picks), the
 * "Listening on" line printed. Returns it, or -1. */
static inline int hostile_listen(int argc, char **argv)
{
    log_init("echo-server");
    return server_listen(argc > 1 ? argv[1] : "127.0.0.1", argc > 2 ? argv[2] : "0", false);
}

#endif
