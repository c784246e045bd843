/* cli.h - the command-line conventions every program of the kit shares.
 *
 * "-h" prints usage on stdout and exits 0; wrong arguments print usage on stderr and exit
 * EXIT_USAGE; runtime errors exit 1 (EXIT_FAILURE). */
#ifndef KIT_CLI_H
#define KIT_CLI_H

/* Exit status for wrong arguments, as the shell's own builtins use it. */
#define EXIT_USAGE 2

/* The address a program uses when none is given on the command line. */
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT "65432"

/* Outcome of parsing a command line. */
enum cli_result {
    CLI_RUN,  /* arguments are good: go on */
    CLI_HELP, /* "-h" was given: print usage on stdout, exit 0 */
    CLI_BAD   /* wrong arguments: print usage on stderr, exit EXIT_USAGE */
};

/* Parses "[-h] [HOST [PORT]]" as a server takes it: sets *host and *port to the operands,
 * or to DEFAULT_HOST and DEFAULT_PORT when absent. Options other than "-h" are refused
 * unless listed in more_options (getopt() syntax, may be NULL); for those, on_option is
 * called with the option letter and its argument and returns 0, or -1 to refuse it.
 * Returns CLI_RUN, CLI_HELP or CLI_BAD. */
enum cli_result cli_parse_server(int argc, char **argv, const char **host, const char **port,
                                 const char *more_options,
                                 int (*on_option)(int option, const char *arg));

#endif
