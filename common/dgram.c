/* dgram.c - see dgram.h. */
#include "dgram.h"

#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define UNIX_PREFIX "unix:"

/* Where the name starts in a sockaddr_un, and how many bytes it can hold. */
#define SUN_PATH_AT offsetof(struct sockaddr_un, sun_path)
#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

bool dgram_is_unix(const char *text)
{
    return text != NULL && strncmp(text, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0;
}

int dgram_unix_addr(const char *name, bool abstract, struct dgram_addr *out)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;
    size_t n = strlen(name);

    memset(out, 0, sizeof *out);
    sun->sun_family = AF_UNIX;
    if (n == 0) {
        errno = EINVAL;
        return -1;
    }
    if (abstract) {
#ifdef __linux__
        /* An abstract name starts with a NUL byte, and is exactly as long as the length says:
         * no terminating NUL, which would become part of the name. */
        if (1 + n > SUN_PATH_MAX) {
            errno = ENAMETOOLONG;
            return -1;
        }
        sun->sun_path[0] = '\0';
        memcpy(sun->sun_path + 1, name, n);
        out->len = (socklen_t)(SUN_PATH_AT + 1 + n);
        return 0;
#else
        errno = ENOTSUP; /* the abstract namespace is Linux's own */
        return -1;
#endif
    }
    /* A path must fit with its terminating NUL (104 bytes on BSD and macOS, 108 on Linux). */
    if (n + 1 > SUN_PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun->sun_path, name, n + 1);
    out->len = (socklen_t)(SUN_PATH_AT + n + 1);
    return 0;
}

int dgram_resolve(const char *text, const char *port, bool passive, struct dgram_addr *addrs,
                  size_t max, size_t *count, char *err, size_t errlen)
{
    struct addrinfo hints = {0};
    struct addrinfo *res;
    int rc;

    *count = 0;
    if (dgram_is_unix(text)) {
        const char *name = text + strlen(UNIX_PREFIX);
        bool abstract = name[0] == '@';

        if (port != NULL) {
            snprintf(err, errlen, "%s: a unix: address takes no port", text);
            return -1;
        }
        if (max == 0 || dgram_unix_addr(abstract ? name + 1 : name, abstract, &addrs[0]) < 0) {
            snprintf(err, errlen, "%s: %s", text,
                     errno == ENOTSUP ? "abstract names (unix:@NAME) exist on Linux only"
                                      : strerror(errno));
            return -1;
        }
        *count = 1;
        return 0;
    }
    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(text, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "getaddrinfo %s:%s: %s", text != NULL ? text : "*",
                 port != NULL ? port : "*", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && *count < max; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof addrs[*count].ss)
            continue;
        memset(&addrs[*count], 0, sizeof addrs[*count]);
        memcpy(&addrs[*count].ss, ai->ai_addr, ai->ai_addrlen);
        addrs[*count].len = ai->ai_addrlen;
        (*count)++;
    }
    freeaddrinfo(res);
    if (*count == 0) {
        snprintf(err, errlen, "getaddrinfo %s:%s: no usable address", text != NULL ? text : "*",
                 port);
        return -1;
    }
    return 0;
}

const char *dgram_unix_path(const struct dgram_addr *addr)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;

    if (sun->sun_family != AF_UNIX || addr->len <= SUN_PATH_AT || sun->sun_path[0] == '\0')
        return NULL;
    return sun->sun_path; /* dgram_unix_addr() and the kernel both end a path with a NUL */
}

/* The name bytes of a Unix address of len bytes: sets *name and *n; returns false for an
 * unnamed socket. *abstract tells an abstract name (without its leading NUL) from a path. */
static bool unix_name(const struct sockaddr *sa, socklen_t len, const char **name, size_t *n,
                      bool *abstract)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
    size_t have;

    if (len <= SUN_PATH_AT)
        return false; /* only the family: a socket that was never bound */
    have = (size_t)len - SUN_PATH_AT;
    if (have > SUN_PATH_MAX)
        have = SUN_PATH_MAX;
    if (sun->sun_path[0] == '\0') {
#ifdef __linux__
        *abstract = true;
        *name = sun->sun_path + 1;
        *n = have - 1;
        return true;
#else
        return false; /* elsewhere an empty path is an unnamed socket */
#endif
    }
    *abstract = false;
    *name = sun->sun_path;
    *n = strnlen(sun->sun_path, have);
    return true;
}

bool dgram_is_unnamed(const struct sockaddr *sa, socklen_t len)
{
    const char *name;
    size_t n;
    bool abstract;

    return sa->sa_family == AF_UNIX && !unix_name(sa, len, &name, &n, &abstract);
}

int dgram_format(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
    char escaped[LOG_ESCAPED_LEN];
    const char *name;
    size_t n;
    bool abstract;
    int written;

    if (sa->sa_family != AF_UNIX)
        return net_format_addr(sa, out, outlen);
    if (!unix_name(sa, len, &name, &n, &abstract))
        written = snprintf(out, outlen, "unix:(unnamed)");
    else
        written = snprintf(out, outlen, "unix:%s%s", abstract ? "@" : "",
                           log_escape(name, n, escaped, sizeof escaped));
    return (written < 0 || (size_t)written >= outlen) ? -1 : 0;
}

bool dgram_same(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b, socklen_t blen)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)b;

        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

        return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    if (a->sa_family == AF_UNIX) {
        const char *na, *nb;
        size_t la, lb;
        bool aa, ab;

        if (!unix_name(a, alen, &na, &la, &aa) || !unix_name(b, blen, &nb, &lb, &ab))
            return false;
        return aa == ab && la == lb && memcmp(na, nb, la) == 0;
    }
    return false;
}
