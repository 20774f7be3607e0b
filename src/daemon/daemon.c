/* The daemon's life: built from a valid configuration, started, run, and taken down. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "daemon-internal.h"
#include "report/notify.h"
#include "util/log.h"

/* The messages are "file:line: what is wrong" already: no program name in front. */
static void print_diagnostics(const ConfigDiagnostics *d) {
        for (size_t i = 0; i < d->n_messages; i++)
                fprintf(stderr, "%s\n", d->messages[i]);
}

static int daemon_load_config(Daemon *d) {
        ConfigDiagnostics diag = {};
        int r;

        r = config_load(d->options.config_path, &d->options.load, &d->config, &diag);
        print_diagnostics(&diag);
        if (r < 0 && diag.n_messages == 0)
                log_error_errno(r, "cannot load the configuration: %m");
        config_diagnostics_clear(&diag);
        return r;
}

static int daemon_load_credentials(Daemon *d) {
        _cleanup_(freep) char *error = NULL;
        int r;

        r = daemon_credentials_new(d, d->config, &d->credentials, &d->credentials_source, &error);
        if (r < 0) {
                if (error)
                        return log_error_errno(r, "credentials: %s", error);
                return log_error_errno(r, "credentials: %m");
        }
        return 0;
}

/* The watcher and what it drives: the store, then the hook runner (restoring a task submits
 * the hooks a restart cut off), then every task. *exit_code: a state directory the user must
 * fix is a configuration error; anything else here is a runtime failure. */
static int daemon_new_watcher(Daemon *d, int *exit_code) {
        int r;

        *exit_code = EXIT_FATAL;
        r = watcher_new(&d->watcher, d->event, d->sink, daemon_get_credentials, d);
        if (r < 0)
                return log_error_errno(r, "cannot start watching: %m");
        if (d->metrics)
                daemon_metrics_observe_watcher(d->metrics, d->watcher);
        r = daemon_open_store(d);
        if (r < 0) {
                if (r != -ENOMEM)
                        *exit_code = EXIT_CONFIG;
                return r;
        }
        r = hook_runner_new(&d->hooks, d->event, d->sink, &d->config->hooks);
        if (r >= 0)
                r = watcher_set_hook_runner(d->watcher, d->hooks);
        if (r >= 0)
                r = watcher_apply_config(d->watcher, d->config, false);
        if (r < 0)
                return log_error_errno(r, "cannot start watching: %m");
        return 0;
}

int daemon_new(Daemon **ret, const DaemonOptions *o, int *ret_exit_code) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        int r, exit_code = EXIT_CONFIG;

        d = calloc(1, sizeof(*d));
        if (!d) {
                r = log_error_errno(ENOMEM, "cannot set up the event loop: %m");
                exit_code = EXIT_FATAL;
                goto fail;
        }
        d->options = *o;

        r = daemon_load_config(d);
        if (r < 0)
                goto fail;
        r = sd_event_default(&d->event);
        if (r >= 0)
                r = event_sink_new(&d->sink, stderr);
        if (r >= 0)
                r = event_sink_set_instance(d->sink, o->instance);
        if (r < 0) {
                log_error_errno(r, "cannot set up the event loop: %m");
                exit_code = EXIT_FATAL;
                goto fail;
        }
        /* --check-config leaves the journal alone: its findings go to stdout and stderr. */
        if (o->check_config)
                event_sink_set_journal(d->sink, false);
        r = daemon_load_credentials(d);
        if (r < 0)
                goto fail;

        if (!o->check_config) {
                if (o->exit_when_done && d->config->n_tasks == 0) {
                        r = log_error_errno(EINVAL, "--exit-when-done with no task configured: nothing to wait for");
                        goto fail;
                }
                r = daemon_metrics_new(d);
                if (r < 0) {
                        log_error_errno(r, "cannot set up the metrics: %m");
                        exit_code = EXIT_FATAL;
                        goto fail;
                }
                r = daemon_new_watcher(d, &exit_code);
                if (r < 0)
                        goto fail;
                /* Taken here, before READY=1: a bad Listen= is the user's to fix. */
                r = daemon_metrics_listen(d);
                if (r < 0) {
                        exit_code = EXIT_CONFIG;
                        goto fail;
                }
        }

        *ret = TAKE_PTR(d);
        return 0;

fail:
        /* Out of memory is a runtime failure wherever it happens. */
        if (ret_exit_code)
                *ret_exit_code = r == -ENOMEM ? EXIT_FATAL : exit_code;
        return r;
}

Daemon *daemon_free(Daemon *d) {
        if (!d)
                return NULL;
        if (d->pidfile && d->watcher)
                watcher_remove_runtime_status(d->watcher);
        watcher_free(d->watcher);
        /* Hooks still running are stopped; their runs stay pending in the state directory
         * and run again at the next start. */
        hook_runner_free(d->hooks);
        /* After the watcher: no call that could report to it is left. */
        daemon_metrics_free(d->metrics);
        credentials_provider_free(d->credentials);
        daemon_remove_pidfile(d);
        event_sink_free(d->sink);
        config_free(d->config);
        sd_event_unref(d->event);
        free(d);
        return NULL;
}

int daemon_start(Daemon *d) {
        Event e = EVENT_INIT(EVENT_DAEMON_STARTED);
        int r;

        if (!d->watcher || d->started)
                return -EINVAL;
        r = daemon_setup_signals(d);
        if (r < 0)
                return log_error_errno(r, "cannot set up the event loop: %m");
        d->started = true;

        daemon_credentials_start(d);
        e.credentials_source = d->credentials_source;
        event_emitf(d->sink, &e, "taskwatchd %s watching %zu task%s at %s; credentials from %s",
                    PACKAGE_VERSION, d->config->n_tasks, d->config->n_tasks == 1 ? "" : "s",
                    d->config->endpoint, d->credentials_source);
        watcher_update_status(d->watcher);
        daemon_write_pidfile(d);
        (void) notify_ready();
        watcher_set_exit_when_done(d->watcher, d->options.exit_when_done);
        return 0;
}

int daemon_run(Daemon *d) {
        int r;

        if (d->options.check_config) {
                config_print(d->config, stdout);
                if (daemon_check_credentials(d) < 0)
                        return EXIT_CONFIG;
                if (d->options.offline) {
                        printf("# API: not checked (--offline)\n");
                        return EXIT_SUCCESS;
                }
                return daemon_check_api(d, credentials_provider_get(d->credentials));
        }
        if (!d->started && daemon_start(d) < 0)
                return EXIT_FATAL;
        r = sd_event_loop(d->event);
        if (r < 0) {
                log_error_errno(r, "event loop failed: %m");
                return EXIT_FATAL;
        }
        return r;
}
