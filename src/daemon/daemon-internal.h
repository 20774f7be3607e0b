/* The daemon's state, shared by the files of the daemon layer, and their entry points. */
#pragma once

#include <systemd/sd-event.h>

#include "config/config.h"
#include "creds/provider.h"
#include "daemon/daemon.h"
#include "hooks/hook-runner.h"
#include "metrics/metrics-registry.h"
#include "metrics/metrics-server.h"
#include "report/event.h"
#include "watch/watcher.h"

typedef struct DaemonMetrics DaemonMetrics;

struct Daemon {
        DaemonOptions options;
        sd_event *event;
        EventSink *sink;
        Config *config;
        CredentialsProvider *credentials;
        const char *credentials_source; /* what credentials_provider_check() found */
        HookRunner *hooks;
        Watcher *watcher;
        DaemonMetrics *metrics; /* NULL with --check-config */
        char *pidfile; /* written by us, removed at exit */
        bool started;
};

/* daemon-credentials.c: a provider for c, checked: a broken or missing source is found
 * before anything uses it; *error says what to do. */
int daemon_credentials_new(Daemon *d, const Config *c, CredentialsProvider **ret,
                           const char **ret_source, char **error);
/* The first attempt of d->credentials (a new one after a reload), its changes reported to
 * the watcher from now on. */
void daemon_credentials_start(Daemon *d);
/* The watcher's CredentialsGetter; userdata is the Daemon. */
const Credentials *daemon_get_credentials(void *userdata);
/* --check-config: obtain them once (the network too, for temporary ones), print the source
 * and AccessKeyId, never the secret. 0, or -ENOKEY when none were obtained. */
int daemon_check_credentials(Daemon *d);
/* daemon-check-api.c: --check-config's one signed call (DescribeTaskInfo of the first task)
 * with creds, its verdict printed. Returns the exit code: EXIT_SUCCESS accepted (or no task
 * to ask about), EXIT_TASK_NOT_FOUND, EXIT_CONFIG signature refused or no permission,
 * EXIT_FATAL no verdict (unreachable, a server error, throttled). */
int daemon_check_api(Daemon *d, const Credentials *creds);

/* daemon-files.c: the state directory's store, handed to the watcher (0 without one). */
int daemon_open_store(Daemon *d);
/* The PID file and the runtime status beside it; failing to write them is not fatal. The
 * runtime status goes with the watcher (watcher_remove_runtime_status()). */
void daemon_write_pidfile(Daemon *d);
void daemon_remove_pidfile(Daemon *d);

/* daemon-signals.c: SIGTERM/SIGINT, SIGHUP (daemon_reload()), the watchdog, --timeout. */
int daemon_setup_signals(Daemon *d);

/* daemon-metrics.c: the registry and what counts into it (the event stream, every ACK call);
 * made before the watcher, so that its clients report to it. */
int daemon_metrics_new(Daemon *d);
DaemonMetrics *daemon_metrics_free(DaemonMetrics *m);
DEFINE_POINTER_CLEANUP(DaemonMetrics, daemon_metrics_free)
MetricsRegistry *daemon_metrics_registry(Daemon *d);
/* Count w's ACK calls: before its first configuration. */
void daemon_metrics_observe_watcher(DaemonMetrics *m, Watcher *w);
/* Serve on the socket systemd passed (taskwatchd-metrics.socket), else on [Metrics] Listen=,
 * else nowhere (until a reload sets it). Says why on stderr when it fails. */
int daemon_metrics_listen(Daemon *d);
/* The reload's part: prepare binds and starts the server a new Listen= asks for (changing
 * nothing else; *error says why it failed), commit swaps it in and stops the old. */
typedef struct DaemonMetricsPlan {
        bool change;           /* Listen= changed: the commit replaces the server */
        MetricsServer *server; /* NULL: none (turned off) */
        char *unix_path;
} DaemonMetricsPlan;
int daemon_metrics_prepare(Daemon *d, const Config *c, DaemonMetricsPlan *p, char **error);
void daemon_metrics_commit(Daemon *d, const Config *c, DaemonMetricsPlan *p);
void daemon_metrics_plan_done(DaemonMetricsPlan *p);
