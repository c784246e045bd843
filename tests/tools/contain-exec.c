/* contain-exec.c - `contain test` (for the sandbox) and `contain run` of
 * tests/grader/contain: the two steps a grading takes hundreds of times, in C, because a
 * shell started for each cost a good part of a grading's time. bwrap and setpriv do the
 * containing; this program prepares their commands, from what `contain prepare` wrote.
 *
 *   contain-exec test WORK CMD...
 *       (CONTAIN=sandbox; other levels go to `contain test`) runs a test's harness, CMD, in a
 *       pod of its own: gives WORK/run to the test's uid (CONTAIN_UID_BASE + this process's
 *       id, when the grader is root), exports CONTAIN_RUN, CONTAIN_UID, CONTAIN_AS_ROOT,
 *       CONTAIN_EXEC and CONTAIN_ARGS, and becomes the pod command of
 *       $CONTAIN_PREPARED/pod.args followed by CMD.
 *   contain-exec [--preload SHIM] [--keep-fd N]... PROGRAM [ARGS...]
 *       (in a test) starts one program of the submission: closes every descriptor above 2
 *       but those kept, sets the resource limits (GRADE_CPU, GRADE_AS, GRADE_NOFILE,
 *       GRADE_FSIZE, GRADE_TASKS, no core files; soft and hard alike), leads a new session
 *       (no terminal; a process group the harness can stop), and becomes, by CONTAIN:
 *   sandbox  bwrap with $CONTAIN_PREPARED/sandbox.args, the test's folder CONTAIN_RUN
 *            (writable) and the built programs CONTAIN_BIN (read-only) shown at their
 *            places, the shim shown read-only and preloaded, then (as root) setpriv down to
 *            CONTAIN_UID;
 *   user     setpriv down to CONTAIN_UID, in CONTAIN_RUN, with a clean environment;
 *   none     the program itself, in CONTAIN_RUN, with a clean environment.
 * Exit status 1 (with a line on stderr) if it cannot start the program; otherwise the
 * program's own. */
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
#define CLEAN_PATH "/usr/local/bin:/usr/bin:/bin"

extern char **environ;

/* The whole command, grown as it is put together. (Nothing this program allocates is freed:
 * it ends in exec, or exits, at once.) */
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

/* Adds bwrap's arguments showing PATH at its own place with OPTION (--bind or --ro-bind):
 * first its ancestors as plain folders anyone may pass through (bwrap would make them
 * private to root). */
static void bind_at(struct cmd *c, const char *option, const char *path)
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
    add(c, option);
    add(c, path);
    add(c, path);
}

/* Adds the arguments of FILE (NUL-separated, as `contain prepare` writes them). */
static void add_file_args(struct cmd *c, const char *file)
{
    int fd;
    struct stat st;
    char *text;
    size_t got = 0;

    if (file == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
        fail(file != NULL ? file : "no CONTAIN_PREPARED");
    text = malloc((size_t)st.st_size + 1);
    if (text == NULL)
        fail("out of memory");
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail(file);
        got += (size_t)n;
    }
    close(fd);
    text[got] = '\0';
    for (size_t i = 0; i < got; i += strlen(text + i) + 1)
        add(c, text + i);
}

/* "DIR/NAME" (malloc'ed). */
static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p == NULL)
        fail("out of memory");
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* contain-exec test WORK CMD...: see the top of this file. */
static int cmd_test(int argc, char **argv)
{
    const char *prepared = getenv("CONTAIN_PREPARED"),
               *base = env_or("CONTAIN_UID_BASE", "2000000000");
    const char *as_root = getenv("CONTAIN_AS_ROOT");
    bool root = as_root != NULL && *as_root != '\0' ? strcmp(as_root, "1") == 0 : geteuid() == 0;
    struct cmd c = {NULL, 0, 0};
    char *run, uid_text[32], self[4096];
    unsigned long long uid;
    ssize_t n;

    if (argc < 4) {
        fprintf(stderr, "usage: contain-exec test WORK CMD...\n");
        return 2;
    }
    if (strcmp(env_or("CONTAIN", "none"), "sandbox") != 0) {
        /* The other levels keep the test's shell around it: contain itself runs them. */
        char *script = path_join(env_or("KIT", "."), "tests/grader/contain");
        argv[1] = "test";
        argv[0] = script;
        execv(script, argv);
        fail(script);
    }
    if (prepared == NULL) {
        fprintf(stderr, "contain: no CONTAIN_PREPARED: run `contain prepare SCRATCH` first\n");
        return 1;
    }
    /* A uid no other test has while this one runs: this process is the pod's start. */
    uid = strtoull(base, NULL, 10) + (unsigned long long)getpid();
    snprintf(uid_text, sizeof uid_text, "%llu", uid);
    run = path_join(argv[2], "run");
    if (mkdir(run, 0755) < 0 && errno != EEXIST)
        fail(run);
    if (root && chown(run, (uid_t)uid, (gid_t)uid) < 0)
        fail(run);
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        fail("/proc/self/exe");
    self[n] = '\0';
    if (setenv("CONTAIN_RUN", run, 1) < 0 || setenv("CONTAIN_UID", uid_text, 1) < 0 ||
        setenv("CONTAIN_AS_ROOT", root ? "1" : "0", 1) < 0 || setenv("CONTAIN_EXEC", self, 1) < 0 ||
        setenv("CONTAIN_ARGS", path_join(prepared, "sandbox.args"), 1) < 0)
        fail("setenv");
    add_file_args(&c, path_join(prepared, "pod.args"));
    for (int i = 3; i < argc; i++)
        add(&c, argv[i]);
    execvp(c.argv[0], c.argv);
    fprintf(stderr, "contain: cannot run %s: %s\n", c.argv[0], strerror(errno));
    return 127;
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

/* contain-exec [--preload SHIM] [--keep-fd N]... PROGRAM [ARGS...]: see the top of this
 * file. */
static int cmd_run(int argc, char **argv)
{
    const char *level = env_or("CONTAIN", "none");
    const char *run = getenv("CONTAIN_RUN");
    const char *uid = env_or("CONTAIN_UID", "");
    bool root = strcmp(env_or("CONTAIN_AS_ROOT", "0"), "1") == 0;
    const char *preload = NULL;
    bool new_session;
    int keep[MAX_KEEP];
    size_t nkeep = 0;
    int i;
    struct cmd c = {NULL, 0, 0};
    char uid_arg[64], gid_arg[64], preload_env[4096];
    /* contain's CLEAN_ENV (the sandbox has it from sandbox.args), and room for the shim. */
    char *clean_env[5] = {"PATH=" CLEAN_PATH, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", NULL, NULL};

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--preload") == 0)
            preload = argv[i + 1];
        else if (strcmp(argv[i], "--keep-fd") == 0 && nkeep < MAX_KEEP)
            keep[nkeep++] = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--keep-fd") == 0)
            return 2;
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

    /* A session of its own (and so a process group, which the harness can stop whole),
     * without a terminal: setsid() now, unless this process leads a session already. A
     * process group leader cannot setsid() itself (setsid(1), which forks first, does it
     * below); in the sandbox bwrap makes the program's own session anyway. */
    new_session = getsid(0) == getpid() || setsid() >= 0;
    if (strcmp(level, "sandbox") == 0) {
        const char *bin = getenv("CONTAIN_BIN");
        add_file_args(&c, getenv("CONTAIN_ARGS"));
        bind_at(&c, "--bind", run);
        if (bin != NULL && *bin != '\0')
            bind_at(&c, "--ro-bind", bin);
        if (preload != NULL) {
            bind_at(&c, "--ro-bind", preload);
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
        if (chdir(run) < 0)
            fail(run);
        if (strcmp(level, "user") == 0)
            add_drop(&c, uid_arg, gid_arg);
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

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "test") == 0)
        return cmd_test(argc, argv);
    return cmd_run(argc, argv);
}
