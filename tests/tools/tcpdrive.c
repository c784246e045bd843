/* tcpdrive.c - a test tool: one TCP connection driven the way a test needs.
 *
 * Sends bytes (stdin or --send FILE) with a chosen chunking while reading whatever comes
 * back at the same time (poll), so it never deadlocks however much is in flight. Received
 * bytes go to stdout (or --output FILE). After sending it half-closes and reads until the
 * peer closes, unless told otherwise.
 *
 *   tcpdrive [options] HOST PORT
 *     --send FILE             bytes to send (default stdin)
 *     --output FILE           where received bytes go (default stdout)
 *     and the options of drive.h: --split, --max-chunk, --seed, --delay-us, --no-read,
 *     --rcvbuf, --hold-ms, --reset, --stop-after, --no-shutdown, --limit SECONDS
 * Exit: 0 done; 1 a connection or I/O error; 2 bad arguments; 124 the limit passed. */
#include "drive.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
    fprintf(stderr, "usage: tcpdrive [--send FILE] [--output FILE] " DRIVE_USAGE " HOST PORT\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct drive_options o = DRIVE_DEFAULTS;
    const char *send_file = NULL, *output = NULL;
    int i, in = STDIN_FILENO, out = STDOUT_FILENO, rc;

    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        int taken = drive_option(&o, argc, argv, &i);
        if (taken < 0)
            return usage();
        if (taken > 0)
            continue;
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--send") == 0)
            send_file = argv[++i];
        else if (strcmp(argv[i], "--output") == 0)
            output = argv[++i];
        else
            return usage();
    }
    if (argc - i != 2 || o.max_chunk == 0)
        return usage();
    if (send_file && (in = open(send_file, O_RDONLY)) < 0) {
        perror(send_file);
        return 1;
    }
    if (output && (out = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
        perror(output);
        return 1;
    }
    rc = drive(&o, argv[i], argv[i + 1], in, out, "tcpdrive");
    if (send_file)
        close(in);
    if (output)
        close(out);
    return rc;
}
