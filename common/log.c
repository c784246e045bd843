/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *program = "?";

int log_init(const char *program_name)
{
    program = program_name;
    /* A pipe makes stdout fully buffered by default; tests and pipelines want each
     * "Listening on ..." line the moment it is printed. */
    return setvbuf(stdout, NULL, _IOLBF, 0) == 0 ? 0 : -1;
}

const char *log_program(void)
{
    return program;
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void log_errno(int errnum, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s\n", strerror(errnum));
}
