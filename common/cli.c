/* cli.c - see cli.h. */
#include "cli.h"

#include "net.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum cli_result cli_parse_server(int argc, char **argv, const char **host, const char **port,
                                 const char *more_options,
                                 int (*on_option)(int option, const char *arg))
{
    char optstring[32] = ":h"; /* leading ':' keeps getopt quiet: usage says it all */
    int opt;

    if (more_options != NULL) {
        if (strlen(optstring) + strlen(more_options) >= sizeof optstring)
            return CLI_BAD;
        strcat(optstring, more_options);
    }
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        if (opt == 'h')
            return CLI_HELP;
        if (opt == '?' || opt == ':' || on_option == NULL || on_option(opt, optarg) < 0)
            return CLI_BAD;
    }
    if (argc - optind > 2)
        return CLI_BAD;
    *host = optind < argc ? argv[optind] : DEFAULT_HOST;
    *port = optind + 1 < argc ? argv[optind + 1] : DEFAULT_PORT;
    return net_valid_port(*port) ? CLI_RUN : CLI_BAD;
}
