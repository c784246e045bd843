/* contain-exec.c - `contain run` (tests/grader/contain): starts one program of a submission,
 * contained, inside a test that `contain test` started.
 *
 *   contain-exec [--preload SHIM] [--keep-fd N]... PROGRAM [ARGS...]
 *
 * It closes every descriptor of the test's above 2 but those kept, sets the resource limits
 * (GRADE_CPU, GRADE_AS, GRADE_NOFILE, GRADE_FSIZE, GRADE_TASKS, no core files; soft and hard
 * alike), and becomes, by the containment level CONTAIN:
 *   sandbox  bwrap with the test's options (the NUL-separated file CONTAIN_ARGS, made once
 *            per test by `contain test`), the shim shown read-only and preloaded, the
 *            program's folder CONTAIN_RUN, then (as root) setpriv down to CONTAIN_UID;
 *   user     setpriv down to CONTAIN_UID, in a new session, in CONTAIN_RUN, with a clean
 *            environment;
 *   none     the program itself, in a new session, in CONTAIN_RUN, with a clean environment.
 * bwrap and setpriv do the containing; this program only prepares their command. It is C,
 * not the shell script it was: a grading starts hundreds of programs, and starting a shell
 * for each cost more than a tenth of the grading. Exit status 1 (with a line on stderr) if it
 * cannot start the program; otherwise the program's own. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_KEEP 16
extern char **environ;
#define CLEAN_PATH "/usr/local/bin:/usr/bin:/bin"

/* The whole command, grown as it is put together (never freed: exec or exit follows). */
struct cmd {
    char **argv;
    size_t len, cap;
};

static void fail(const char *what)
{
    fprintf(stderr, "contain: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void add(struct cmd *c, const char *arg)
{
    if (c->len + 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        char **grown = realloc(c->argv, cap * sizeof *grown);
        if (grown == NULL)
            fail("out of memory");
        c->argv = grown;
        c->cap = cap;
    }
    c->argv[c->len++] = (char *)arg;
    c->argv[c->len] = NULL;
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : fallback;
}

/* Closes every descriptor above 2 but the kept ones and those that close on exec anyway:
 * the program gets none of the harness's files. */
static void close_inherited(const int *keep, size_t nkeep)
{
    int fds[1024];
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (d == NULL)
        fail("cannot list /proc/self/fd");
    while ((e = readdir(d)) != NULL && n < sizeof fds / sizeof fds[0]) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        int flags;
        bool kept = false;

        if (*e->d_name == '\0' || *end != '\0' || fd <= 2 || fd == dirfd(d))
            continue;
        for (size_t i = 0; i < nkeep; i++)
            kept = kept || keep[i] == fd;
        flags = fcntl((int)fd, F_GETFD);
        if (!kept && flags >= 0 && !(flags & FD_CLOEXEC))
            fds[n++] = (int)fd;
    }
    closedir(d);
    for (size_t i = 0; i < n; i++)
        close(fds[i]);
}

/* Sets one limit, soft and hard, from the environment variable NAME (default FALLBACK)
 * times UNIT. */
static void limit(int resource, const char *name, const char *fallback, rlim_t unit)
{
    const char *text = env_or(name, fallback);
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    struct rlimit rl;

    if (*end != '\0') {
        fprintf(stderr, "contain: %s is not a number: %s\n", name, text);
        exit(1);
    }
    rl.rlim_cur = rl.rlim_max = (rlim_t)v * unit;
    if (setrlimit(resource, &rl) < 0)
        fail("cannot set the resource limits");
}

/* True for the folders the sandbox shows already: /usr and /etc and what is in them, and
 * its own /tmp, /proc and /dev. */
static bool shown_already(const char *dir)
{
    static const char *trees[] = {"/usr", "/etc"}, *own[] = {"/tmp", "/proc", "/dev"};

    for (size_t i = 0; i < sizeof trees / sizeof trees[0]; i++) {
        size_t n = strlen(trees[i]);
        if (strncmp(dir, trees[i], n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
            return true;
    }
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(dir, own[i]) == 0)
            return true;
    return false;
}

/* Adds bwrap's arguments showing the file PATH read-only at its own place: first its
 * ancestors as plain folders anyone may pass through (bwrap would make them private to
 * root). */
static void bind_ro(struct cmd *c, const char *path)
{
    char *dir = strdup(path);

    if (dir == NULL)
        fail("out of memory");
    for (char *slash = strchr(dir + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (!shown_already(dir)) {
            char *copy = strdup(dir);
            if (copy == NULL)
                fail("out of memory");
            add(c, "--dir");
            add(c, copy);
        }
        *slash = '/';
    }
    add(c, "--ro-bind");
    add(c, path);
    add(c, path);
}

/* Adds the bwrap arguments of the file CONTAIN_ARGS (NUL-separated). */
static void add_sandbox_args(struct cmd *c)
{
    const char *file = getenv("CONTAIN_ARGS");
    int fd;
    struct stat st;
    char *text;
    size_t got = 0;

    if (file == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
        fail("no CONTAIN_ARGS");
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL)
        fail("out of memory");
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail("cannot read CONTAIN_ARGS");
        got += (size_t)n;
    }
    close(fd);
    text[got] = '\0';
    for (size_t i = 0; i < got; i += strlen(text + i) + 1)
        add(c, text + i);
}

static void add_drop(struct cmd *c, const char *uid_arg, const char *gid_arg)
{
    add(c, "setpriv");
    add(c, uid_arg);
    add(c, gid_arg);
    add(c, "--clear-groups");
    add(c, "--inh-caps=-all");
    add(c, "--bounding-set=-all");
    add(c, "--no-new-privs");
    add(c, "--");
}

int main(int argc, char **argv)
{
    const char *level = env_or("CONTAIN", "none");
    const char *run = getenv("CONTAIN_RUN");
    const char *uid = env_or("CONTAIN_UID", "");
    bool root = strcmp(env_or("CONTAIN_AS_ROOT", "0"), "1") == 0;
    const char *preload = NULL;
    int keep[MAX_KEEP];
    size_t nkeep = 0;
    int i;
    struct cmd c = {NULL, 0, 0};
    char uid_arg[64], gid_arg[64], preload_env[4096];
    char *clean_env[5] = {"PATH=" CLEAN_PATH, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", NULL, NULL};

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--preload") == 0)
            preload = argv[i + 1];
        else if (strcmp(argv[i], "--keep-fd") == 0 && nkeep < MAX_KEEP)
            keep[nkeep++] = atoi(argv[i + 1]);
        else
            break;
    }
    if (i >= argc || run == NULL) {
        fprintf(stderr, "usage: contain-exec [--preload SHIM] [--keep-fd N]... PROGRAM [ARGS...]"
                        " (in a test that `contain test` started: CONTAIN_RUN is not set)\n");
        return 2;
    }
    if (preload != NULL) {
        if (snprintf(preload_env, sizeof preload_env, "LD_PRELOAD=%s", preload) >=
            (int)sizeof preload_env) {
            fprintf(stderr, "contain: the shim's path is too long\n");
            return 1;
        }
        clean_env[3] = preload_env;
    }
    snprintf(uid_arg, sizeof uid_arg, "--reuid=%s", uid);
    snprintf(gid_arg, sizeof gid_arg, "--regid=%s", uid);

    close_inherited(keep, nkeep);
    limit(RLIMIT_CPU, "GRADE_CPU", "60", 1);
    limit(RLIMIT_AS, "GRADE_AS", "1048576", 1024);
    limit(RLIMIT_NOFILE, "GRADE_NOFILE", "4096", 1);
    limit(RLIMIT_FSIZE, "GRADE_FSIZE", "65536", 1024);
    {
        struct rlimit none = {0, 0}; /* no core files */
        if (setrlimit(RLIMIT_CORE, &none) < 0)
            fail("cannot set the resource limits");
    }
    if (strcmp(level, "none") != 0)
        limit(RLIMIT_NPROC, "GRADE_TASKS", "256", 1);

    if (strcmp(level, "sandbox") == 0) {
        /* bwrap gives the program a new session of its own (--new-session). */
        add_sandbox_args(&c);
        if (preload != NULL) {
            bind_ro(&c, preload);
            add(&c, "--setenv");
            add(&c, "LD_PRELOAD");
            add(&c, preload);
        }
        add(&c, "--chdir");
        add(&c, run);
        add(&c, "--");
        if (root)
            add_drop(&c, uid_arg, gid_arg);
    } else {
        /* A new session without a terminal: setsid() now, unless this process leads a
         * session already (it then has none: the harness starts servers that way). */
        bool new_session = getsid(0) == getpid() || setsid() >= 0;
        if (chdir(run) < 0)
            fail(run);
        if (strcmp(level, "user") == 0)
            add_drop(&c, uid_arg, gid_arg);
        /* A process group leader cannot setsid() itself: setsid(1) forks first. */
        if (!new_session)
            add(&c, "setsid");
    }
    for (; i < argc; i++)
        add(&c, argv[i]);

    if (strcmp(level, "sandbox") == 0) {
        /* bwrap clears the environment itself (--clearenv, then --setenv). */
        execvp(c.argv[0], c.argv);
    } else {
        /* The command is looked up along the clean PATH, and gets nothing else. */
        environ = clean_env;
        execvp(c.argv[0], c.argv);
    }
    fprintf(stderr, "contain: cannot run %s: %s\n", c.argv[0], strerror(errno));
    return 127;
}
