/* log.h - how every program of the kit reports to its user.
 *
 * The contract: normal progress goes to stdout, one line at a time (stdout is made
 * line-buffered so a test reading through a pipe sees each line at once); errors go to
 * stderr as one line "PROGRAM: WHAT FAILED: REASON". No function here exits: the caller
 * decides what an error means. */
#ifndef KIT_LOG_H
#define KIT_LOG_H

#include <stddef.h>

/* Room for a peer's text escaped by log_escape(): longer text is cut, ending in "...". */
#define LOG_ESCAPED_LEN 256

/* Remembers the program's name for error lines and makes stdout line-buffered.
 * Call first thing in main(). Returns 0, or -1 if stdout could not be reconfigured. */
int log_init(const char *program_name);

/* Returns the name given to log_init() ("?" before it is called). */
const char *log_program(void);

/* Prints one line on stdout: the formatted text and a newline. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROGRAM: TEXT" on stderr, TEXT being the formatted message. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "PROGRAM: TEXT: strerror(errnum)" on stderr. Pass errno right after the failed
 * call (before anything else can change it). */
void log_errno(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text that came from a peer must be escaped before it goes into a log line, or a peer could
 * end the line early and forge the next one ("...\nShutting down"), or send escape sequences
 * to the terminal showing the log. Copies len bytes of text (NUL bytes included) into out
 * (outlen bytes, at least 4) as one line's worth of safe text: control characters (bytes
 * 0-31 and 127, and U+0080-U+009F), backslash, and bytes that are not valid UTF-8 become
 * \xNN; everything else is kept, accents and emoji included. Text too long for out is cut
 * and ends in "...". Returns out. */
const char *log_escape(const void *text, size_t len, char *out, size_t outlen);

#endif
