/* emfile-preload.c - a test tool, loaded into a server under test with LD_PRELOAD: while a
 * file named "kit-emfile" exists in the folder KIT_SHIM_DIR names, accept() fails with
 * EMFILE and accepts nothing, exactly as it does when the process has no descriptor left
 * (its `ulimit -n` too small for its clients): the client stays queued and the listening
 * socket stays readable. Removing the file ends the shortage.
 *
 * A test cannot simply lower a server's limit and raise it again: the grader runs programs
 * under a uid of their own and keeps the power to change another process's limits to
 * itself. KIT_SHIM_DIR unset (the grader gives a program a clean environment), the folder
 * is the current one, which the grader makes the test's run folder. Built as
 * build/tools/emfile.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

typedef int accept_fn(int, struct sockaddr *, socklen_t *);
typedef int accept4_fn(int, struct sockaddr *, socklen_t *, int);

/* True while the flag file exists. */
static int short_of_descriptors(void)
{
    const char *dir = getenv("KIT_SHIM_DIR");
    char path[PATH_MAX];
    struct stat st;
    int saved = errno;
    int found;

    snprintf(path, sizeof path, "%s/kit-emfile", dir != NULL ? dir : ".");
    found = stat(path, &st) == 0;
    errno = saved;
    return found;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    static accept_fn *next;
    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "accept");
    if (short_of_descriptors()) {
        errno = EMFILE;
        return -1;
    }
    return next(fd, addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    static accept4_fn *next;
    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "accept4");
    if (short_of_descriptors()) {
        errno = EMFILE;
        return -1;
    }
    return next(fd, addr, len, flags);
}
