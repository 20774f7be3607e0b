/* taskwatchd: the command line, then the daemon (src/daemon) runs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <curl/curl.h>

#include "build-config.h"
#include "config/config.h"
#include "config/instance.h"
#include "daemon/daemon.h"
#include "util/log.h"
#include "watch/watcher.h"

static void help(void) {
        printf("Usage: %s [OPTIONS]\n"
               "Watch Alibaba Cloud ACK tasks and report every transition through systemd.\n\n"
               "  -c, --config=PATH       configuration file (default %s, plus PATH.d/*.conf)\n"
               "      --check-config      validate the configuration and credentials, print the\n"
               "                          effective settings, make one signed read-only call\n"
               "                          (DescribeTaskInfo of the first task) and exit\n"
               "      --offline           with --check-config: skip that call\n"
               "      --exit-when-done    exit once every task is terminal (0 all succeeded,\n"
               "                          1 a task or instance failed or was canceled,\n"
               "                          3 a task does not exist)\n"
               "      --timeout=SPAN      with --exit-when-done: give up after SPAN (exit 2)\n"
               "      --instance=NAME     run as instance NAME (taskwatchd@NAME.service): read\n"
               "                          %s/NAME.conf unless --config says otherwise,\n"
               "                          and put TASKWATCH_INSTANCE=NAME on every event\n"
               "      --state-dir=PATH    keep each task's state here across restarts\n"
               "                          (default: $STATE_DIRECTORY, else none)\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n\n"
               "Exit codes: 0 success, 1 task failed, 2 timeout, 3 task not found,\n"
               "4 configuration or credential error, 5 runtime failure, 6 interrupted.\n"
               "See taskwatchd(8) and taskwatchd.conf(5).\n",
               program_invocation_short_name, CONFIG_DEFAULT_PATH, CONFIG_DIR);
}

/* Returns 1 to run, 0 to exit successfully (help), or -EINVAL after printing why. */
static int parse_argv(int argc, char **argv, DaemonOptions *o) {
        enum { ARG_CHECK_CONFIG = 0x100, ARG_OFFLINE, ARG_EXIT_WHEN_DONE, ARG_TIMEOUT, ARG_VERSION,
               ARG_STATE_DIR, ARG_INSTANCE };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "offline", no_argument, NULL, ARG_OFFLINE },
                { "exit-when-done", no_argument, NULL, ARG_EXIT_WHEN_DONE },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "instance", required_argument, NULL, ARG_INSTANCE },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        *o = DAEMON_OPTIONS_INIT;
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        o->check_config = true;
                        break;
                case ARG_OFFLINE:
                        o->offline = true;
                        break;
                case ARG_EXIT_WHEN_DONE:
                        o->exit_when_done = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_timespan(optarg, &o->timeout) < 0 || o->timeout == 0)
                                return log_error_errno(EINVAL, "--timeout=%s: not a time span (use e.g. 30s, 15min, 1h)",
                                                       optarg);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case ARG_INSTANCE:
                        if (!instance_name_is_valid(optarg))
                                return log_error_errno(EINVAL, "--instance=%s: not an instance name (letters, digits, "
                                                       "'-' and '_'; not \"taskwatchd\")", optarg);
                        o->instance = optarg;
                        break;
                case ARG_VERSION:
                        printf("taskwatchd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        /* getopt said what is wrong already. */
                        return log_error_errno(EINVAL, "try '%s --help'", program_invocation_short_name);
                }

        if (optind < argc)
                return log_error_errno(EINVAL, "unexpected argument '%s'; task ids go into the configuration ([Tasks] Task=)",
                                       argv[optind]);
        if (o->offline && !o->check_config)
                return log_error_errno(EINVAL, "--offline needs --check-config");
        if (o->timeout != USEC_INFINITY && !o->exit_when_done)
                return log_error_errno(EINVAL, "--timeout needs --exit-when-done");

        /* Read once, here: only the test suite's simulator speaks plain http. */
        o->load.allow_plain_http = config_allow_plain_http_from_env();
        return 1;
}

static int run(const DaemonOptions *o) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        int r, exit_code;

        r = daemon_new(&d, o, &exit_code);
        if (r < 0)
                return exit_code; /* it said why */
        return daemon_run(d);
}

int main(int argc, char **argv) {
        _cleanup_(freep) char *instance_config = NULL;
        DaemonOptions o;
        int r;

        /* Before anything holds a secret: a process of our user (a hook) must not read our
         * environ or memory through /proc or ptrace, and a crash must not dump a core with
         * the secret in it. Non-dumpable makes /proc/<pid>/ root's; exec() of a hook resets
         * it there. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                (void) log_full(LOG_LEVEL_WARNING, errno, "cannot make the process non-dumpable, continuing: %m");

        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? EXIT_CONFIG : EXIT_SUCCESS;
        /* An instance reads its own file unless -c names one. */
        if (o.instance && !o.config_path) {
                if (instance_config_path(o.instance, &instance_config) < 0) {
                        log_error("out of memory");
                        return EXIT_FATAL;
                }
                o.config_path = instance_config;
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                log_error("cannot initialise libcurl");
                return EXIT_FATAL;
        }
        r = run(&o);
        curl_global_cleanup();
        return r;
}
