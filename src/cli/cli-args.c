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
        char *saved = argv[0];
        int c;

        /* getopt names argv[0] in its messages: "taskwatch", not the path it was run by. */
        argv[0] = (char *) "taskwatch";
        /* "+": stop at the command, whose options are its own (as git does). optind = 0
         * re-initializes GNU getopt, which a second parse of another argv needs. */
        optind = 0;
        while ((c = getopt_long(argc, argv, "+c:h", longopts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (optarg[0] == '\0') {
                                log_error("--config needs a path");
                                argv[0] = saved;
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
                        argv[0] = saved;
                        return -EINVAL;
                }
        argv[0] = saved;
        o.command_index = optind;
        *ret = o;
        return 0;
}

/* The global options taskwatch takes after the command too, where a user puts them. */
typedef enum GlobalOptionKind {
        GLOBAL_OPTION_NONE,
        GLOBAL_OPTION_NO_COLOR,
        GLOBAL_OPTION_CONFIG,   /* --config PATH, --config=PATH, -c PATH, -cPATH */
        GLOBAL_OPTION_INSTANCE, /* --instance NAME, --instance=NAME */
} GlobalOptionKind;

/* What argv[i] is: *ret_n arguments (0: not a global option), its value in *ret_value. */
static int global_option_at(int argc, char **argv, int i, GlobalOptionKind *ret_kind,
                            const char **ret_value, int *ret_n) {
        static const struct {
                const char *long_name, *short_name, *what;
                GlobalOptionKind kind;
        } valued[] = {
                { "--config", "-c", "a path", GLOBAL_OPTION_CONFIG },
                { "--instance", NULL, "a name", GLOBAL_OPTION_INSTANCE },
        };
        const char *a = argv[i];

        *ret_kind = GLOBAL_OPTION_NONE;
        *ret_value = NULL;
        *ret_n = 0;
        if (strcmp(a, "--no-color") == 0) {
                *ret_kind = GLOBAL_OPTION_NO_COLOR;
                *ret_n = 1;
                return 0;
        }
        for (size_t k = 0; k < ELEMENTSOF(valued); k++) {
                size_t n = strlen(valued[k].long_name);
                const char *sn = valued[k].short_name;

                if (strcmp(a, valued[k].long_name) == 0 || (sn && strcmp(a, sn) == 0)) {
                        if (i + 1 >= argc)
                                return log_error_errno(EINVAL, "%s needs %s", a, valued[k].what);
                        *ret_value = argv[i + 1];
                        *ret_n = 2;
                } else if (strncmp(a, valued[k].long_name, n) == 0 && a[n] == '=') {
                        *ret_value = a + n + 1;
                        *ret_n = 1;
                } else if (sn && strncmp(a, sn, strlen(sn)) == 0 && a[strlen(sn)] != '\0') {
                        *ret_value = a + strlen(sn);
                        *ret_n = 1;
                } else
                        continue;
                if ((*ret_value)[0] == '\0')
                        return log_error_errno(EINVAL, "%s needs %s", valued[k].long_name, valued[k].what);
                *ret_kind = valued[k].kind;
                return 0;
        }
        return 0;
}

int cli_extract_global(int *argc, char **argv, GlobalOptions *g) {
        int out = 1;

        for (int i = 1; i < *argc;) {
                GlobalOptionKind kind;
                const char *value;
                int n;

                if (strcmp(argv[i], "--") == 0) { /* operands from here on: keep them all */
                        while (i < *argc)
                                argv[out++] = argv[i++];
                        break;
                }
                if (global_option_at(*argc, argv, i, &kind, &value, &n) < 0)
                        return -EINVAL;
                switch (kind) {
                case GLOBAL_OPTION_NONE:
                        argv[out++] = argv[i++];
                        continue;
                case GLOBAL_OPTION_NO_COLOR:
                        g->color = 0;
                        break;
                case GLOBAL_OPTION_CONFIG:
                        g->config_path = value;
                        break;
                case GLOBAL_OPTION_INSTANCE:
                        g->instance = value;
                        break;
                }
                i += n;
        }
        argv[out] = NULL;
        *argc = out;
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
        ARG_ALL,
        ARG_JSON_LINES,
};

static const struct option get_options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "json-lines", no_argument, NULL, ARG_JSON_LINES },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option wait_options[] = {
        { "all", no_argument, NULL, ARG_ALL },
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
        /* -o exists for get only; the others' getopt refuses it as unknown. */
        while ((c = getopt_long(argc, argv, cmd == CLI_COMMAND_GET ? "ho:" : "h", spec->longopts, NULL)) >= 0)
                switch (c) {
                case 'h':
                        o.help = true;
                        break;
                case ARG_JSON:
                        o.json = true;
                        break;
                case ARG_JSON_LINES:
                        o.json_lines = true;
                        break;
                case 'o':
                        if (strcmp(optarg, "wide") != 0) {
                                log_error("-o %s: the only output is wide (for JSON: --json, --json-lines)",
                                          optarg);
                                goto invalid;
                        }
                        o.wide = true;
                        break;
                case ARG_ALL:
                        o.all = true;
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
                if ((o.json && o.json_lines) || ((o.json || o.json_lines) && o.wide)) {
                        return log_error_errno(EINVAL, "one output at a time: --json, --json-lines "
                                               "or -o wide");
                }
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
