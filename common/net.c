/* net.c - see net.h. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int net_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN]; /* numeric text of the longest address, IPv6 */
    char port[sizeof "65535"];
    socklen_t len;
    int n;

    if (sa->sa_family == AF_INET)
        len = sizeof(struct sockaddr_in);
    else if (sa->sa_family == AF_INET6)
        len = sizeof(struct sockaddr_in6);
    else
        return -1;
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return -1;
    /* IPv6 addresses contain colons, so brackets keep the port readable. */
    n = snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int net_peer_name(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return net_format_addr((struct sockaddr *)&ss, out, outlen);
}

int net_local_name(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    return net_format_addr((struct sockaddr *)&ss, out, outlen);
}

bool net_valid_port(const char *s)
{
    unsigned long value = 0;

    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        value = value * 10 + (unsigned long)(*s - '0');
        if (value > 65535)
            return false;
    }
    return true;
}

void net_describe_failure(char *err, size_t errlen, const char *step, const struct sockaddr *sa,
                          int errnum)
{
    char addr[NET_ADDRSTRLEN];

    if (net_format_addr(sa, addr, sizeof addr) < 0)
        snprintf(addr, sizeof addr, "(unknown address)");
    snprintf(err, errlen, "%s %s: %s", step, addr, strerror(errnum));
}

/* Looks host:port up for a TCP socket. Returns 0, or -1 with a reason in err. */
static int lookup(const char *host, const char *port, int flags, struct addrinfo **res, char *err,
                  size_t errlen)
{
    struct addrinfo hints = {0};
    int rc;

    hints.ai_family = AF_UNSPEC; /* IPv4 or IPv6, whichever the name has */
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    rc = getaddrinfo(host, port, &hints, res);
    if (rc != 0) {
        snprintf(err, errlen, "getaddrinfo %s:%s: %s", host, port,
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    return 0;
}

int net_listen(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo *res;
    int fd = -1;

    if (lookup(host, port, AI_PASSIVE | AI_NUMERICSERV, &res, err, errlen) < 0)
        return -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        const int on = 1;

        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            net_describe_failure(err, errlen, "socket", ai->ai_addr, errno);
            continue;
        }
        /* Without SO_REUSEADDR, a restarted server cannot bind its port while connections
         * of the previous run linger in TIME_WAIT (up to a minute or two). */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) {
            net_describe_failure(err, errlen, "setsockopt SO_REUSEADDR", ai->ai_addr, errno);
        } else if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            net_describe_failure(err, errlen, "bind", ai->ai_addr, errno);
        } else if (listen(fd, SOMAXCONN) < 0) {
            net_describe_failure(err, errlen, "listen", ai->ai_addr, errno);
        } else {
            break; /* success: fd is listening */
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int net_connect(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo *res;
    int fd = -1;

    if (lookup(host, port, AI_NUMERICSERV, &res, err, errlen) < 0)
        return -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            net_describe_failure(err, errlen, "socket", ai->ai_addr, errno);
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        net_describe_failure(err, errlen, "connect", ai->ai_addr, errno);
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
