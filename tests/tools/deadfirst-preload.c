/* deadfirst-preload.c - a test tool, loaded into a program under test with LD_PRELOAD:
 * every successful getaddrinfo() answer gets one IPv4 address in front where nothing can
 * work, on the same port: for an address to listen on (AI_PASSIVE), 192.0.2.1, a
 * documentation address no machine has, so bind() fails (EADDRNOTAVAIL); for an address to
 * connect to, 127.0.0.2, a loopback address where nothing listens, so connect() is refused
 * at once. A program that tries only the first address fails; one that walks the ai_next
 * list goes on to the real addresses and works. freeaddrinfo() knows the extra entry.
 * (A name often has several addresses, "localhost" both ::1 and 127.0.0.1; which comes
 * first depends on the machine, so without this shim a test could not tell the two kinds
 * of program apart.) Built as build/tools/deadfirst.so. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int getaddrinfo_fn(const char *, const char *, const struct addrinfo *, struct addrinfo **);
typedef void freeaddrinfo_fn(struct addrinfo *);

/* The extra entry and its address, allocated together. */
struct dead {
    struct addrinfo ai;
    struct sockaddr_in sin;
};

/* The extra entries handed out and not freed yet (a program makes few lookups). */
#define MAX_DEAD 64
static struct dead *handed_out[MAX_DEAD];

static unsigned short port_of(const struct addrinfo *ai)
{
    if (ai->ai_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_port;
    if (ai->ai_family == AF_INET6)
        return ((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_port;
    return 0;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    static getaddrinfo_fn *next;
    int passive = hints != NULL && (hints->ai_flags & AI_PASSIVE);
    struct dead *d;
    int rc, slot;

    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "getaddrinfo");
    rc = next(node, service, hints, res);
    if (rc != 0 || (hints != NULL && hints->ai_family != AF_UNSPEC && hints->ai_family != AF_INET))
        return rc;
    for (slot = 0; slot < MAX_DEAD && handed_out[slot] != NULL; slot++)
        ;
    d = slot < MAX_DEAD ? calloc(1, sizeof *d) : NULL;
    if (d == NULL)
        return rc; /* then the answer goes out as it is */
    d->sin.sin_family = AF_INET;
    d->sin.sin_port = port_of(*res);
    inet_pton(AF_INET, passive ? "192.0.2.1" : "127.0.0.2", &d->sin.sin_addr);
    d->ai.ai_flags = (*res)->ai_flags;
    d->ai.ai_family = AF_INET;
    d->ai.ai_socktype = (*res)->ai_socktype;
    d->ai.ai_protocol = (*res)->ai_protocol;
    d->ai.ai_addrlen = sizeof d->sin;
    d->ai.ai_addr = (struct sockaddr *)&d->sin;
    d->ai.ai_next = *res;
    handed_out[slot] = d;
    *res = &d->ai;
    return 0;
}

void freeaddrinfo(struct addrinfo *ai)
{
    static freeaddrinfo_fn *next;

    if (next == NULL)
        *(void **)&next = dlsym(RTLD_NEXT, "freeaddrinfo");
    for (int slot = 0; slot < MAX_DEAD; slot++) {
        if (handed_out[slot] != NULL && &handed_out[slot]->ai == ai) {
            handed_out[slot] = NULL;
            if (ai->ai_next != NULL)
                next(ai->ai_next);
            free(ai);
            return;
        }
    }
    next(ai);
}
