/* taskwatch: the command-line companion of taskwatchd (get, wait, add, remove, status). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "build-config.h"
#include "cli-args.h"
#include "cli.h"
#include "instance.h"
#include "util/log.h"

static void help(void) {
        printf("Usage: taskwatch [--config PATH] [--no-color] COMMAND [OPTIONS] [TASK...]\n"
               "Look at, wait for, and choose the Alibaba Cloud ACK tasks taskwatchd watches.\n\n"
               "Commands:\n"
               "  get TASK...        fetch tasks once: a summary, a table for several (-o wide,\n"
               "                     --json: the API's reply, --json-lines: one reply a line)\n"
               "  wait TASK...       wait until every task succeeded or one failed; progress on stderr\n"
               "  add TASK...        watch more tasks: edit the drop-in, reload taskwatchd\n"
               "  remove TASK...     stop watching tasks: edit the drop-in, reload taskwatchd\n"
               "  status             what taskwatchd watches, from its saved state\n"
               "  help [COMMAND]     show this help, or a command's\n\n"
               "Options (before or after the command):\n"
               "  -c, --config=PATH  configuration file (default %s, plus PATH.d/*.conf)\n"
               "      --instance=NAME  address instance NAME (taskwatchd@NAME.service): its\n"
               "                     configuration %s/NAME.conf, its PID file and its state;\n"
               "                     default $TASKWATCH_INSTANCE, else the main taskwatchd\n"
               "      --no-color     never colour the output\n"
               "  -h, --help         show this help\n"
               "      --version      show the version\n\n"
               "Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET\n"
               "and ALIBABA_CLOUD_SECURITY_TOKEN, as for taskwatchd.\n"
               "Exit status: 0 success, 1 task failed, 2 timeout, 3 task not found,\n"
               "4 configuration or credential error, 5 API or runtime failure, 6 interrupted.\n"
               "Run 'taskwatch COMMAND --help' for a command's options. See taskwatch(1).\n",
               CONFIG_DEFAULT_PATH, CONFIG_DIR);
}

static int (*const commands[_CLI_COMMAND_MAX])(const CliContext *, int, char **) = {
        [CLI_COMMAND_GET] = cmd_get,
        [CLI_COMMAND_WAIT] = cmd_wait,
        [CLI_COMMAND_ADD] = cmd_add,
        [CLI_COMMAND_REMOVE] = cmd_remove,
        [CLI_COMMAND_STATUS] = cmd_status,
};

/* "taskwatch help wait" is "taskwatch wait --help". */
static int cmd_help(const CliContext *ctx, int argc, char **argv) {
        CommandOptions o;
        CliCommand c;
        char *help_argv[] = { NULL, (char *) "--help", NULL };

        if (cli_parse_command(CLI_COMMAND_HELP, argc, argv, &o) < 0)
                return EXIT_CONFIG;
        if (o.help || o.n_args == 0) {
                help();
                return EXIT_SUCCESS;
        }
        c = cli_command_from_string(o.args[0]);
        if (c < 0 || c == CLI_COMMAND_HELP) {
                if (c < 0) {
                        log_set_context("help");
                        log_error("no command '%s'; see 'taskwatch help'", o.args[0]);
                        log_set_context(NULL);
                } else
                        help();
                return c < 0 ? EXIT_CONFIG : EXIT_SUCCESS;
        }
        help_argv[0] = o.args[0];
        return commands[c](ctx, 2, help_argv);
}

/* One rule for every command and stream: no colour with --no-color or a non-empty
 * $NO_COLOR (no-color.org), nor when the stream is not a terminal, nor on TERM=dumb. */
static bool color_wanted(int opt, int fd) {
        const char *term = getenv("TERM"), *no = getenv("NO_COLOR");

        if (opt == 0 || (no && *no))
                return false;
        return isatty(fd) && term && strcmp(term, "dumb") != 0;
}

int main(int argc, char **argv) {
        GlobalOptions g;
        CliContext ctx;
        CliCommand c;
        int r;

        if (cli_parse_global(argc, argv, &g) < 0)
                return EXIT_CONFIG;
        if (g.version) {
                printf("taskwatch %s\n", PACKAGE_VERSION);
                return EXIT_SUCCESS;
        }
        if (g.help || g.command_index >= argc) {
                help();
                if (!g.help)
                        log_error("which command?");
                return g.help ? EXIT_SUCCESS : EXIT_CONFIG;
        }
        c = cli_command_from_string(argv[g.command_index]);
        if (c < 0) {
                log_error("'%s' is not a command; see 'taskwatch help'", argv[g.command_index]);
                return EXIT_CONFIG;
        }
        /* "taskwatch get --config F T-1" is what people type: the command's argv loses them. */
        argc -= g.command_index;
        argv += g.command_index;
        log_set_context(argv[0]);
        r = cli_extract_global(&argc, argv, &g);
        log_set_context(NULL);
        if (r < 0)
                return EXIT_CONFIG;
        if (cli_instance_select(g.instance) < 0)
                return EXIT_CONFIG;
        ctx = (CliContext) {
                /* An instance's own file unless -c names one; the main file stays NULL. */
                .config_path = g.config_path ? g.config_path :
                               cli_instance()->name[0] ? cli_instance()->config_path : NULL,
                .color = color_wanted(g.color, STDOUT_FILENO),
                .color_stderr = color_wanted(g.color, STDERR_FILENO),
                .load.allow_plain_http = config_allow_plain_http_from_env(),
        };

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("cannot initialise libcurl");
                return EXIT_FATAL;
        }
        if (c == CLI_COMMAND_HELP)
                r = cmd_help(&ctx, argc, argv);
        else
                r = commands[c](&ctx, argc, argv);
        curl_global_cleanup();
        return r;
}
