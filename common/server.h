/* server.h - how every server of the kit opens its listening socket and announces it.
 *
 * Lesson 01 writes these steps itself (open_listener(), then make_nonblocking()), lesson 02
 * calls net_listen() and adds the FD_SETSIZE check; from lesson 03 on they are library
 * code. */
#ifndef KIT_SERVER_H
#define KIT_SERVER_H

#include <stdbool.h>

/* Opens a TCP socket listening on host:port (net_listen()) and prints the kit's first server
 * line, "Listening on ADDR", with the address actually bound (port 0 becomes the port the
 * system chose). With for_select, the socket is also made non-blocking and checked to fit
 * in an fd_set, as a select() loop needs. Returns the descriptor, or -1 after printing one
 * error line. */
int server_listen(const char *host, const char *port, bool for_select);

#endif
