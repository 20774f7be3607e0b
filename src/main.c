/* taskwatchd: options, signals and the event loop around the watcher. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "build-config.h"
#include "config/config.h"
#include "creds/provider.h"
#include "hooks/hook-runner.h"
#include "report/event.h"
#include "report/notify.h"
#include "util/cleanup.h"
#include "util/pidfile.h"
#include "util/time-util.h"
#include "watch/watcher.h"

typedef struct Options {
        const char *config_path; /* NULL: the default */
        bool check_config;
        bool exit_when_done;
        usec_t timeout; /* with exit_when_done; USEC_INFINITY: none */
        const char *state_dir; /* --state-dir, else $STATE_DIRECTORY, else nothing persists */
        ConfigLoadOptions load; /* from the environment, read once at start */
} Options;

typedef struct Daemon {
        Options options;
        sd_event *event;
        EventSink *sink;
        Watcher *watcher;
        HookRunner *hooks;
        Config *config;
        CredentialsProvider *credentials;
        const char *credentials_source; /* what credentials_provider_check() found */
        char *pidfile; /* written by us, removed at exit */
} Daemon;

static void help(void) {
        printf("Usage: %s [OPTIONS]\n"
               "Watch Alibaba Cloud ACK tasks and report every transition through systemd.\n\n"
               "  -c, --config=PATH       configuration file (default %s, plus PATH.d/*.conf)\n"
               "      --check-config      validate the configuration and credentials, print the\n"
               "                          effective settings, and exit\n"
               "      --exit-when-done    exit once every task is terminal (0 all succeeded,\n"
               "                          1 a task or instance failed or was canceled,\n"
               "                          3 a task does not exist)\n"
               "      --timeout=SPAN      with --exit-when-done: give up after SPAN (exit 2)\n"
               "      --state-dir=PATH    keep each task's state here across restarts\n"
               "                          (default: $STATE_DIRECTORY, else none)\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n\n"
               "Exit codes: 0 success, 1 task failed, 2 timeout, 3 task not found,\n"
               "4 configuration or credential error, 5 runtime failure, 6 interrupted.\n"
               "See taskwatchd(8) and taskwatchd.conf(5).\n",
               program_invocation_short_name, CONFIG_DEFAULT_PATH);
}

/* Returns 1 to run, 0 to exit successfully (help), or -EINVAL after printing why. */
static int parse_argv(int argc, char **argv, Options *o) {
        enum { ARG_CHECK_CONFIG = 0x100, ARG_EXIT_WHEN_DONE, ARG_TIMEOUT, ARG_VERSION, ARG_STATE_DIR };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
                { "exit-when-done", no_argument, NULL, ARG_EXIT_WHEN_DONE },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c;

        *o = (Options) { .timeout = USEC_INFINITY };
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) >= 0)
                switch (c) {
                case 'c':
                        o->config_path = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        o->check_config = true;
                        break;
                case ARG_EXIT_WHEN_DONE:
                        o->exit_when_done = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_timespan(optarg, &o->timeout) < 0 || o->timeout == 0) {
                                fprintf(stderr, "%s: --timeout=%s: not a time span (use e.g. 30s, 15min, 1h)\n",
                                        program_invocation_short_name, optarg);
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case ARG_VERSION:
                        printf("taskwatchd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try '%s --help'.\n", program_invocation_short_name);
                        return -EINVAL;
                }

        if (optind < argc) {
                fprintf(stderr, "%s: unexpected argument '%s'; task ids go into the configuration ([Tasks] Task=)\n",
                        program_invocation_short_name, argv[optind]);
                return -EINVAL;
        }
        if (o->timeout != USEC_INFINITY && !o->exit_when_done) {
                fprintf(stderr, "%s: --timeout needs --exit-when-done\n", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

static void print_diagnostics(const ConfigDiagnostics *d) {
        for (size_t i = 0; i < d->n_messages; i++)
                fprintf(stderr, "%s\n", d->messages[i]);
}

static int load_config(const Options *o, Config **ret) {
        ConfigDiagnostics diag = {};
        int r;

        r = config_load(o->config_path, &o->load, ret, &diag);
        print_diagnostics(&diag);
        if (r < 0 && diag.n_messages == 0)
                fprintf(stderr, "%s: cannot load the configuration: %s\n", program_invocation_short_name,
                        strerror(-r));
        config_diagnostics_clear(&diag);
        return r;
}

/* A provider for c, checked: a broken or missing source is found before anything runs. */
static int new_credentials_provider(Daemon *d, const Config *c, CredentialsProvider **ret,
                                    const char **ret_source, char **error) {
        _cleanup_(credentials_provider_freep) CredentialsProvider *p = NULL;
        int r;

        r = credentials_provider_new(&p, d->event, d->sink, c);
        if (r < 0)
                return r;
        r = credentials_provider_check(p, ret_source, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int load_credentials(Daemon *d) {
        _cleanup_(freep) char *error = NULL;
        int r;

        r = new_credentials_provider(d, d->config, &d->credentials, &d->credentials_source, &error);
        if (r < 0)
                fprintf(stderr, "%s: credentials: %s\n", program_invocation_short_name,
                        error ? : strerror(-r));
        return r;
}

static const Credentials *daemon_get_credentials(void *userdata) {
        Daemon *d = userdata;
        return credentials_provider_get(d->credentials);
}

static void daemon_on_credentials(CredentialsProvider *p, void *userdata) {
        Daemon *d = userdata;

        if (d->watcher)
                watcher_credentials_changed(d->watcher, credentials_provider_problem(p));
}

/* --check-config: obtain the credentials once (the network too, for temporary ones), to
 * name the source and the AccessKeyId, never the secret. */
static void check_on_credentials(CredentialsProvider *p, void *userdata) {
        Daemon *d = userdata;

        if (credentials_provider_get(p) || credentials_provider_failures(p) > 0)
                (void) sd_event_exit(d->event, 0);
}

static int check_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        return sd_event_exit(d->event, 0);
}

static int check_credentials(Daemon *d) {
        _cleanup_(sd_event_source_disable_unrefp) sd_event_source *timeout = NULL;
        const Credentials *c;
        int r;

        credentials_provider_set_on_change(d->credentials, check_on_credentials, d);
        r = sd_event_add_time_relative(d->event, &timeout, CLOCK_MONOTONIC, 30 * USEC_PER_SEC, 0,
                                       check_on_timeout, d);
        if (r < 0)
                return r;
        (void) credentials_provider_start(d->credentials);
        if (!credentials_provider_get(d->credentials) && credentials_provider_failures(d->credentials) == 0) {
                r = sd_event_loop(d->event);
                if (r < 0)
                        return r;
        }

        c = credentials_provider_get(d->credentials);
        if (!c) {
                printf("\n# Credentials: source %s: none obtained: %s\n", d->credentials_source,
                       credentials_provider_problem(d->credentials));
                return -ENOKEY;
        }
        printf("\n# Credentials: source %s, AccessKeyId %s%s\n", c->source, c->access_key_id,
               c->security_token ? " (with STS token)" : "");
        return 0;
}

static int daemon_on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        Event e = EVENT_INIT(EVENT_DAEMON_STOPPING);

        (void) notify_stopping();
        event_emitf(d->sink, &e, "stopping on %s; %zu of %zu tasks terminal",
                    strsignal((int) si->ssi_signo), watcher_n_done(d->watcher), watcher_n_tasks(d->watcher));
        return sd_event_exit(d->event, d->options.exit_when_done ? EXIT_INTERRUPTED : EXIT_ALL_SUCCEEDED);
}

/* SIGHUP: a new configuration replaces the old only when it is valid as a whole. */
static int daemon_on_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        ConfigDiagnostics diag = {};
        Config *c = NULL;
        int r;

        (void) notify_reloading();
        r = config_load(d->options.config_path, &d->options.load, &c, &diag);
        if (r < 0) {
                Event e = EVENT_INIT(EVENT_CONFIG_RELOAD_FAILED);
                _cleanup_(freep) char *all = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&all, &len);

                if (f) {
                        for (size_t i = 0; i < diag.n_messages; i++)
                                fprintf(f, "%s%s", i ? "; " : "", diag.messages[i]);
                        fclose(f);
                }
                e.error_message = all;
                event_emitf(d->sink, &e, "reload failed, keeping the previous configuration: %s",
                            all && *all ? all : strerror(-r));
        } else {
                _cleanup_(credentials_provider_freep) CredentialsProvider *creds = NULL;
                _cleanup_(freep) char *error = NULL;
                const char *source = NULL;

                /* Other credential settings take a new provider, checked like at start-up. */
                if (!credentials_provider_matches(d->credentials, c))
                        r = new_credentials_provider(d, c, &creds, &source, &error);
                /* Hooks already running or queued keep their commands and timeout. */
                if (r >= 0)
                        r = hook_runner_set_config(d->hooks, &c->hooks);
                if (r >= 0) {
                        r = watcher_apply_config(d->watcher, c, true);
                        if (r < 0)
                                (void) hook_runner_set_config(d->hooks, &d->config->hooks);
                }
                if (r < 0) {
                        Event e = EVENT_INIT(EVENT_CONFIG_RELOAD_FAILED);
                        e.error_message = error;
                        event_emitf(d->sink, &e, "reload failed, keeping the previous configuration: %s",
                                    error ? : strerror(-r));
                        config_free(c);
                } else {
                        Event e = EVENT_INIT(EVENT_CONFIG_RELOADED);
                        config_free(d->config);
                        d->config = c;
                        event_emitf(d->sink, &e, "configuration reloaded: %zu tasks", c->n_tasks);
                        if (creds) {
                                credentials_provider_free(d->credentials);
                                d->credentials = TAKE_PTR(creds);
                                d->credentials_source = source;
                                credentials_provider_set_on_change(d->credentials, daemon_on_credentials, d);
                                (void) credentials_provider_start(d->credentials);
                                daemon_on_credentials(d->credentials, d);
                        }
                }
        }
        config_diagnostics_clear(&diag);
        watcher_update_status(d->watcher);
        (void) notify_ready();
        return 0;
}

static int daemon_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        Event e = EVENT_INIT(EVENT_WAIT_TIMED_OUT);
        char span[FORMAT_TIMESPAN_MAX];

        event_emitf(d->sink, &e, "timed out after %s: %zu of %zu tasks terminal",
                    format_timespan(span, sizeof(span), d->options.timeout), watcher_n_done(d->watcher),
                    watcher_n_tasks(d->watcher));
        watcher_update_status(d->watcher);
        return sd_event_exit(d->event, EXIT_TIMEOUT);
}

static int daemon_setup_loop(Daemon *d) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(d->event, NULL, SIGTERM, daemon_on_stop, d)) < 0 ||
            (r = sd_event_add_signal(d->event, NULL, SIGINT, daemon_on_stop, d)) < 0 ||
            (r = sd_event_add_signal(d->event, NULL, SIGHUP, daemon_on_reload, d)) < 0)
                return r;

        /* Sends WATCHDOG=1 at half of $WATCHDOG_USEC while the loop turns. */
        r = sd_event_set_watchdog(d->event, true);
        if (r < 0)
                return r;

        if (d->options.timeout != USEC_INFINITY) {
                r = sd_event_add_time_relative(d->event, NULL, CLOCK_MONOTONIC, d->options.timeout, 0,
                                               daemon_on_timeout, d);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void daemon_done(Daemon *d) {
        if (d->pidfile && d->watcher)
                watcher_remove_runtime_status(d->watcher);
        watcher_free(d->watcher);
        /* Hooks still running are stopped; their runs stay pending in the state directory
         * and run again at the next start. */
        hook_runner_free(d->hooks);
        credentials_provider_free(d->credentials);
        if (d->pidfile)
                pidfile_remove(d->pidfile, getpid());
        free(d->pidfile);
        event_sink_free(d->sink);
        config_free(d->config);
        sd_event_unref(d->event);
}

/* The state directory: --state-dir, else the first of $STATE_DIRECTORY (StateDirectory=).
 * Without one nothing persists, as suits a one-shot --exit-when-done run. */
static int daemon_open_store(Daemon *d) {
        _cleanup_(freep) char *from_env = NULL, *reason = NULL;
        const char *dir = d->options.state_dir;
        TaskStore *store = NULL;
        int r;

        if (!dir) {
                const char *e = getenv("STATE_DIRECTORY");
                if (!e || !*e)
                        return 0;
                from_env = strndup(e, strcspn(e, ":"));
                if (!from_env)
                        return -ENOMEM;
                dir = from_env;
        }
        r = task_store_open(&store, dir, &reason);
        if (r < 0) {
                fprintf(stderr, "%s: cannot use the state directory: %s\n", program_invocation_short_name,
                        reason ? reason : strerror(-r));
                return r;
        }
        watcher_set_store(d->watcher, store);
        return 0;
}

/* `taskwatch add/remove` find the service through its PID file. A one-shot run writes none:
 * it must not take the service's place. */
static void daemon_write_pidfile(Daemon *d) {
        const char *rt = getenv("RUNTIME_DIRECTORY");
        int r;

        if (d->options.exit_when_done)
                return;
        const char *dir = rt && *rt ? rt : "/run/taskwatchd";
        /* $RUNTIME_DIRECTORY may list several directories: the first is ours. */
        if (asprintf(&d->pidfile, "%.*s/taskwatchd.pid", (int) strcspn(dir, ":"), dir) < 0) {
                d->pidfile = NULL;
                return;
        }
        r = pidfile_write(d->pidfile, getpid());
        if (r < 0) {
                /* Not fatal: only `taskwatch add/remove` need it, and they say so. */
                fprintf(stderr, "%s: cannot write %s: %s; taskwatch add/remove will not find this daemon\n",
                        program_invocation_short_name, d->pidfile, strerror(-r));
                free(d->pidfile);
                d->pidfile = NULL;
                return;
        }

        /* Beside it: when each task is polled next, for `taskwatch status`. */
        _cleanup_(freep) char *status = NULL;
        size_t dir_len = strlen(d->pidfile) - strlen("taskwatchd.pid");
        if (asprintf(&status, "%.*sstatus.json", (int) dir_len, d->pidfile) >= 0) {
                watcher_set_runtime_file(d->watcher, status);
                watcher_write_runtime_status_now(d->watcher);
        }
}

static int run(Daemon *d) {
        Event e = EVENT_INIT(EVENT_DAEMON_STARTED);
        int r;

        r = daemon_setup_loop(d);
        if (r < 0) {
                fprintf(stderr, "%s: cannot set up the event loop: %s\n", program_invocation_short_name, strerror(-r));
                return EXIT_FATAL;
        }
        r = watcher_new(&d->watcher, d->event, d->sink, daemon_get_credentials, d);
        if (r >= 0) {
                r = daemon_open_store(d);
                if (r < 0)
                        return EXIT_CONFIG;
                /* Before the tasks: restoring one submits the hooks a restart cut off. */
                r = hook_runner_new(&d->hooks, d->event, d->sink, &d->config->hooks);
                if (r >= 0)
                        r = watcher_set_hook_runner(d->watcher, d->hooks);
                if (r >= 0)
                        r = watcher_apply_config(d->watcher, d->config, false);
        }
        if (r < 0) {
                fprintf(stderr, "%s: cannot start watching: %s\n", program_invocation_short_name, strerror(-r));
                return EXIT_FATAL;
        }

        /* Static credentials are loaded right here; temporary ones arrive on the loop, and
         * polls wait for them. */
        credentials_provider_set_on_change(d->credentials, daemon_on_credentials, d);
        (void) credentials_provider_start(d->credentials);
        daemon_on_credentials(d->credentials, d);

        e.credentials_source = d->credentials_source;
        event_emitf(d->sink, &e, "taskwatchd %s watching %zu task%s at %s; credentials from %s",
                    PACKAGE_VERSION, d->config->n_tasks, d->config->n_tasks == 1 ? "" : "s",
                    d->config->endpoint, d->credentials_source);
        watcher_update_status(d->watcher);
        daemon_write_pidfile(d);
        (void) notify_ready();
        watcher_set_exit_when_done(d->watcher, d->options.exit_when_done);

        r = sd_event_loop(d->event);
        if (r < 0) {
                fprintf(stderr, "%s: event loop failed: %s\n", program_invocation_short_name, strerror(-r));
                return EXIT_FATAL;
        }
        return r;
}

int main(int argc, char **argv) {
        Daemon d = {};
        int r;

        r = parse_argv(argc, argv, &d.options);
        if (r <= 0)
                return r < 0 ? EXIT_CONFIG : EXIT_SUCCESS;
        d.options.load.allow_plain_http = config_allow_plain_http_from_env();

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "%s: cannot initialise libcurl\n", program_invocation_short_name);
                return EXIT_FATAL;
        }

        if (load_config(&d.options, &d.config) < 0) {
                r = EXIT_CONFIG;
                goto finish;
        }
        r = sd_event_default(&d.event);
        if (r >= 0)
                r = event_sink_new(&d.sink, stderr);
        if (r < 0) {
                fprintf(stderr, "%s: cannot set up the event loop: %s\n", program_invocation_short_name, strerror(-r));
                r = EXIT_FATAL;
                goto finish;
        }
        /* --check-config leaves the journal alone: its findings go to stdout and stderr. */
        if (d.options.check_config)
                event_sink_set_journal(d.sink, false);
        if (load_credentials(&d) < 0) {
                r = EXIT_CONFIG;
                goto finish;
        }

        if (d.options.check_config) {
                config_print(d.config, stdout);
                r = check_credentials(&d) < 0 ? EXIT_CONFIG : EXIT_SUCCESS;
                goto finish;
        }

        if (d.options.exit_when_done && d.config->n_tasks == 0) {
                fprintf(stderr, "%s: --exit-when-done with no task configured: nothing to wait for\n",
                        program_invocation_short_name);
                r = EXIT_CONFIG;
                goto finish;
        }

        r = run(&d);

finish:
        daemon_done(&d);
        curl_global_cleanup();
        return r;
}
