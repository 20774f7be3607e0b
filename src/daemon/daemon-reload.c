/* The reload transaction: prepare every part of the change (what can fail), then commit it
 * (what cannot), so that a refused reload leaves everything as it was. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon-internal.h"
#include "report/notify.h"

/* Everything a reload swaps in, allocated up front. */
typedef struct ReloadPlan {
        Config *config;
        CredentialsProvider *credentials; /* NULL: the current provider stays */
        const char *credentials_source;
        HookConfig hooks;
        WatcherPlan *watcher;
        DaemonMetricsPlan metrics;
} ReloadPlan;

static void reload_plan_done(ReloadPlan *p) {
        /* The watcher's plan first: the stub borrows the config. */
        p->watcher = watcher_plan_free(p->watcher);
        daemon_metrics_plan_done(&p->metrics);
        hook_config_done(&p->hooks);
        p->credentials = credentials_provider_free(p->credentials);
        config_free(p->config);
        p->config = NULL;
}

/* The diagnostics of a configuration that does not load, as one line. */
static char *diagnostics_join(const ConfigDiagnostics *diag) {
        char *all = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&all, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < diag->n_messages; i++)
                fprintf(f, "%s%s", i ? "; " : "", diag->messages[i]);
        if (fclose(f) != 0) {
                free(all);
                return NULL;
        }
        return all;
}

/* Changes nothing outside p. On failure *error (may stay NULL) says why. */
static int reload_prepare(Daemon *d, ReloadPlan *p, char **error) {
        ConfigDiagnostics diag = {};
        int r;

        r = config_load(d->options.config_path, &d->options.load, &p->config, &diag);
        if (r < 0) {
                *error = diagnostics_join(&diag);
                config_diagnostics_clear(&diag);
                return r;
        }
        config_diagnostics_clear(&diag);

        /* Other credential settings take a new provider, checked like at start-up. */
        if (!credentials_provider_matches(d->credentials, p->config)) {
                r = daemon_credentials_new(d, p->config, &p->credentials, &p->credentials_source, error);
                if (r < 0)
                        return r;
        }
        r = hook_config_copy(&p->hooks, &p->config->hooks);
        if (r < 0)
                return r;
        r = watcher_plan_config(d->watcher, p->config, &p->watcher);
        if (r < 0)
                return r;
        /* Last: a new listener is bound only for a change that is otherwise complete. */
        return daemon_metrics_prepare(d, p->config, &p->metrics, error);
}

/* Cannot fail. Takes everything in p. */
static void reload_commit(Daemon *d, ReloadPlan *p) {
        Event e = EVENT_INIT(EVENT_CONFIG_RELOADED);

        /* Hooks already running or queued keep their commands and timeout. */
        hook_runner_commit_config(d->hooks, &p->hooks);
        /* task-added and task-removed come before config-reloaded. */
        watcher_commit_config(d->watcher, TAKE_PTR(p->watcher), true);
        daemon_metrics_commit(d, p->config, &p->metrics);
        config_free(d->config);
        d->config = TAKE_PTR(p->config);
        event_emitf(d->sink, &e, "configuration reloaded: %zu tasks", d->config->n_tasks);
        if (p->credentials) {
                credentials_provider_free(d->credentials);
                d->credentials = TAKE_PTR(p->credentials);
                d->credentials_source = p->credentials_source;
                daemon_credentials_start(d);
        }
}

int daemon_reload(Daemon *d) {
        _cleanup_(freep) char *error = NULL;
        ReloadPlan p = {};
        int r;

        if (!d->watcher)
                return -EINVAL; /* --check-config: nothing runs that a reload could change */
        hook_config_init(&p.hooks);
        (void) notify_reloading();
        r = reload_prepare(d, &p, &error);
        if (r < 0) {
                Event e = EVENT_INIT(EVENT_CONFIG_RELOAD_FAILED);

                e.error_message = error;
                event_emitf(d->sink, &e, "reload failed, keeping the previous configuration: %s",
                            error && *error ? error : strerror(-r));
        } else
                reload_commit(d, &p);
        reload_plan_done(&p);
        watcher_update_status(d->watcher);
        (void) notify_ready();
        return r < 0 ? r : 0;
}
