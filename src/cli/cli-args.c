/* taskwatch's command line: git-style global options, then one command and its options. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli-args.h"
#include "util/log.h"

static const char *const command_names[_CLI_COMMAND_MAX] = {
        [CLI_COMMAND_GET] = "get",
        [CLI_COMMAND_WAIT] = "wait",
        [CLI_COMMAND_ADD] = "add",
        [CLI_COMMAND_REMOVE] = "remove",
        [CLI_COMMAND_STATUS] = "status",
        [CLI_COMMAND_HELP] = "help",
};

const char *cli_command_to_string(CliCommand c) {
        return c >= 0 && c < _CLI_COMMAND_MAX ? command_names[c] : NULL;
}

CliCommand cli_command_from_string(const char *s) {
        for (int i = 0; i < _CLI_COMMAND_MAX; i++)
                if (strcmp(s, command_names[i]) == 0)
                        return (CliCommand) i;
        return _CLI_COMMAND_INVALID;
}

int cli_parse_global(int argc, char **argv, GlobalOptions *ret) {
        enum { ARG_NO_COLOR = 0x100, ARG_VERSION, ARG_INSTANCE };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "no-color", no_argument, NULL, ARG_NO_COLOR },
                { "instance", required_argument, NULL, ARG_INSTANCE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        GlobalOptions o = { .color = -1 };
        int c;

        /* "+": stop at the command, whose options are its own (as git does). optind = 0
         * re-initializes GNU getopt, which a second parse of another argv needs. */
        optind = 0;
        while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (optarg[0] == '\0') {
                                log_error("--config needs a path");
                                return -EINVAL;
                        }
                        o.config_path = optarg;
                        break;
                case ARG_NO_COLOR:
                        o.color = 0;
                        break;
                case ARG_INSTANCE:
                        /* Checked by cli_instance_select(), which also reads the variable. */
                        o.instance = optarg;
                        break;
                case 'h':
                        o.help = true;
                        break;
                case ARG_VERSION:
                        o.version = true;
                        break;
                default:
                        log_plain("Try 'taskwatch --help'.");
                        return -EINVAL;
                }
        o.command_index = optind;
        *ret = o;
        return 0;
}

/* What each command accepts. */
typedef struct CommandSpec {
        const struct option *longopts;
        bool takes_tasks; /* needs one or more task ids; otherwise accepts none */
} CommandSpec;

enum {
        ARG_JSON = 0x100,
        ARG_TIMEOUT,
        ARG_INTERVAL,
        ARG_MAX_INTERVAL,
        ARG_NO_RELOAD,
        ARG_STATE_DIR,
};

static const struct option get_options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option wait_options[] = {
        { "timeout", required_argument, NULL, ARG_TIMEOUT },
        { "interval", required_argument, NULL, ARG_INTERVAL },
        { "max-interval", required_argument, NULL, ARG_MAX_INTERVAL },
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option edit_options[] = {
        { "no-reload", no_argument, NULL, ARG_NO_RELOAD },
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option status_options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "state-dir", required_argument, NULL, ARG_STATE_DIR },
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option help_options[] = {
        { "help", no_argument, NULL, 'h' },
        {},
};

static const CommandSpec command_specs[_CLI_COMMAND_MAX] = {
        [CLI_COMMAND_GET] = { get_options, true },
        [CLI_COMMAND_WAIT] = { wait_options, true },
        [CLI_COMMAND_ADD] = { edit_options, true },
        [CLI_COMMAND_REMOVE] = { edit_options, true },
        [CLI_COMMAND_STATUS] = { status_options, false },
        [CLI_COMMAND_HELP] = { help_options, false },
};

static int parse_span_option(const char *name, const char *value, bool allow_infinity, usec_t *ret) {
        usec_t t;

        if (parse_timespan(value, &t) < 0 || t == 0 || (t == USEC_INFINITY && !allow_infinity))
                return log_error_errno(EINVAL, "--%s=%s: not a time span greater than 0 "
                                       "(use e.g. 500ms, 30s, 15min, 1h 30min)", name, value);
        *ret = t;
        return 0;
}

/* name is cli_command_to_string(cmd); the caller has made it the log context. */
static int command_parse(CliCommand cmd, const char *name, int argc, char **argv,
                         CommandOptions *ret) {
        CommandOptions o = { .timeout = USEC_INFINITY };
        const CommandSpec *spec = &command_specs[cmd];
        int c;

        /* getopt names argv[0] in its messages: make it "taskwatch wait", not "wait". */
        char prog[32], *saved = argv[0];
        snprintf(prog, sizeof(prog), "taskwatch %s", name);
        argv[0] = prog;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", spec->longopts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        o.help = true;
                        break;
                case ARG_JSON:
                        o.json = true;
                        break;
                case ARG_NO_RELOAD:
                        o.no_reload = true;
                        break;
                case ARG_STATE_DIR:
                        if (optarg[0] != '/') {
                                log_error("--state-dir=%s: not an absolute path", optarg);
                                goto invalid;
                        }
                        o.state_dir = optarg;
                        break;
                case ARG_TIMEOUT:
                        if (parse_span_option("timeout", optarg, true, &o.timeout) < 0)
                                goto invalid;
                        break;
                case ARG_INTERVAL:
                        if (parse_span_option("interval", optarg, false, &o.interval) < 0)
                                goto invalid;
                        break;
                case ARG_MAX_INTERVAL:
                        if (parse_span_option("max-interval", optarg, false, &o.max_interval) < 0)
                                goto invalid;
                        break;
                default:
                        log_plain("Try 'taskwatch %s --help'.", name);
                        goto invalid;
                }
        argv[0] = saved;

        o.args = argv + optind;
        o.n_args = (size_t) (argc - optind);
        if (!o.help) {
                if (spec->takes_tasks && o.n_args == 0) {
                        return log_error_errno(EINVAL, "which task? Give one or more task ids "
                                               "(like T-5faa48fb31b6b8078d000006).");
                }
                if (!spec->takes_tasks && cmd != CLI_COMMAND_HELP && o.n_args > 0) {
                        return log_error_errno(EINVAL, "unexpected argument '%s'", o.args[0]);
                }
                if (cmd == CLI_COMMAND_HELP && o.n_args > 1) {
                        return log_error_errno(EINVAL, "one command at a time");
                }
        }
        *ret = o;
        return 0;

invalid:
        argv[0] = saved;
        return -EINVAL;
}

int cli_parse_command(CliCommand cmd, int argc, char **argv, CommandOptions *ret) {
        const char *name = cli_command_to_string(cmd);
        int r;

        if (!name)
                return -EINVAL;
        /* Its messages read "taskwatch wait: ...", as getopt's do. */
        log_set_context(name);
        r = command_parse(cmd, name, argc, argv, ret);
        log_set_context(NULL);
        return r;
}

int cli_wait_intervals(const CommandOptions *o, usec_t config_min, usec_t config_max,
                       usec_t *ret_min, usec_t *ret_max) {
        usec_t min = o->interval > 0 ? o->interval : config_min;
        usec_t max = o->max_interval > 0 ? o->max_interval : (config_max > min ? config_max : min);

        if (max < min)
                return -EINVAL;
        *ret_min = min;
        *ret_max = max;
        return 0;
}
