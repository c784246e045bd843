/* dgram-addr.h - the address argument of the kit's datagram test tools (dgramc, lossy). */
#ifndef KIT_TOOLS_DGRAM_ADDR_H
#define KIT_TOOLS_DGRAM_ADDR_H

#include "dgram.h"
#include "net.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Parses HOST:PORT, [HOST]:PORT, unix:PATH or unix:@NAME into *out (passive: an address to
 * bind). Returns 0, or -1 (with the reason on stderr, after "PROG: " when there is one). */
static int parse_addr(const char *prog, const char *text, bool passive, struct dgram_addr *out)
{
    char host[256], err[NET_ERRLEN];
    const char *colon, *port = NULL;
    size_t count, hlen;

    if (!dgram_is_unix(text)) {
        colon = strrchr(text, ':');
        if (colon == NULL || (size_t)(colon - text) >= sizeof host)
            return -1;
        hlen = (size_t)(colon - text);
        memcpy(host, text, hlen);
        host[hlen] = '\0';
        if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
            memmove(host, host + 1, hlen - 2);
            host[hlen - 2] = '\0';
        }
        text = host;
        port = colon + 1;
    }
    if (dgram_resolve(text, port, passive, out, 1, &count, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return -1;
    }
    return 0;
}

#endif
