/* io.h - loops that move a whole buffer through a descriptor.
 *
 * read() and write() on a socket may move fewer bytes than asked (a short count) or be
 * interrupted by a signal before moving any (EINTR). These loops retry until the whole
 * buffer has moved, so callers can think in messages instead of system calls. The first is
 * lesson 01's write_all() (echo-client.c), library code from lesson 02 on. Both are for
 * blocking descriptors (clients): a server sleeps only where a stop request reaches it
 * (signals.h). */
#ifndef KIT_IO_H
#define KIT_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes of buf to fd, retrying after short writes and EINTR.
 * Returns len, or -1 with errno set (EPIPE or ECONNRESET: the peer has gone). */
ssize_t io_write_all(int fd, const void *buf, size_t len);

/* Reads exactly len bytes from fd into buf, retrying after short reads and EINTR.
 * Returns len when all arrived; a smaller count (possibly 0) when the peer closed
 * (end of file) first; or -1 with errno set. */
ssize_t io_read_exact(int fd, void *buf, size_t len);

#endif
