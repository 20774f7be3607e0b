/* taskwatch's command line: global options before the command, then the command's own. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/time-util.h"

typedef enum CliCommand {
        CLI_COMMAND_GET,
        CLI_COMMAND_WAIT,
        CLI_COMMAND_ADD,
        CLI_COMMAND_REMOVE,
        CLI_COMMAND_STATUS,
        CLI_COMMAND_HELP,
        _CLI_COMMAND_MAX,
        _CLI_COMMAND_INVALID = -EINVAL,
} CliCommand;

const char *cli_command_to_string(CliCommand c);
/* The command, or -EINVAL. */
CliCommand cli_command_from_string(const char *s);

typedef struct GlobalOptions {
        const char *config_path; /* NULL: the default */
        const char *instance;    /* --instance; NULL: $TASKWATCH_INSTANCE, else the main daemon */
        int color;               /* -1: when stdout is a terminal and NO_COLOR is unset; 0: never */
        bool help, version;
        int command_index;       /* argv index of the command; argc when there is none */
} GlobalOptions;

/* Options up to the first non-option (the command). 0, or -EINVAL after printing why. */
int cli_parse_global(int argc, char **argv, GlobalOptions *ret);

/* The global options a user put after the command (argv[0]): --config/-c and --no-color,
 * taken out of argv (before any "--") and applied over g; the rest keeps its order. 0, or
 * -EINVAL after printing why (a --config without a path). */
int cli_extract_global(int *argc, char **argv, GlobalOptions *g);

typedef struct CommandOptions {
        bool help;
        bool json;           /* get, status */
        bool json_lines;     /* get: one reply per line */
        bool wide;           /* get: -o wide, the table with stage and error */
        bool no_reload;      /* add, remove */
        bool all;            /* wait: a failure does not end the wait */
        usec_t timeout;      /* wait: USEC_INFINITY for none */
        usec_t interval;     /* wait: 0 for the configuration's MinInterval= */
        usec_t max_interval; /* wait: 0 for the configuration's MaxInterval= */
        const char *state_dir; /* status: NULL for the default */
        char **args;         /* the operands (task ids), borrowed from argv */
        size_t n_args;
} CommandOptions;

/* argv[0] is the command's name. Checks what each command accepts (options, and whether
 * it wants task ids), not whether ids are well formed. 0, or -EINVAL after printing why.
 * ret->args points into argv, which getopt may reorder. */
int cli_parse_command(CliCommand cmd, int argc, char **argv, CommandOptions *ret);

/* wait's effective MinInterval/MaxInterval: --interval replaces MinInterval=; the cap is
 * --max-interval, else the configuration's MaxInterval= raised to at least the interval.
 * -EINVAL when --max-interval is shorter than the interval. */
int cli_wait_intervals(const CommandOptions *o, usec_t config_min, usec_t config_max,
                       usec_t *ret_min, usec_t *ret_max);
