/* What daemon-metrics.c and daemon-metrics-watcher.c share: the daemon's metrics state. */
#pragma once

#include "ack/client.h"
#include "daemon-internal.h"
#include "metrics/metrics-registry.h"
#include "metrics/metrics-server.h"
#include "report/event.h"

struct DaemonMetrics {
        Daemon *daemon;
        MetricsRegistry *registry;
        MetricsServer *server;
        bool from_systemd; /* the server runs on taskwatchd-metrics.socket's fd */
        char *listen;      /* the Listen= the server was started for */
        char *unix_path;   /* removed when that server stops */
        usec_t last_poll;  /* CLOCK_REALTIME of the last successful call; 0: none yet */

        MetricFamily *transitions, *api_requests, *api_duration, *last_poll_family;
        MetricFamily *credentials_expiry, *hooks, *build_info;
        MetricFamily *tasks, *instances, *instance_failures, *task_duration, *task_info;
        MetricFamily *budget, *throttled;

        /* The reply being applied: the observer sees it just before the watcher emits its
         * transitions, so a terminal event can be timed from the task's "created". */
        char reply_task_id[METRIC_LABEL_VALUE_MAX + 1];
        usec_t reply_created; /* 0: none, or not a time we read */
        /* The task whose baseline was just reported: a terminal event right after it is of
         * a task that ended before watching began, whose end we never saw. */
        char baseline_task_id[METRIC_LABEL_VALUE_MAX + 1];

        /* The event names, the known values of transitions' one label. */
        const char *event_names[_EVENT_KIND_MAX + 1];
        const char *const *transition_values[1];
        MetricFamilyInfo transitions_info;
};

/* daemon-metrics-watcher.c: the families of the watcher's state, registered with their
 * collect callbacks; then what each event and each ACK reply adds to them. */
int daemon_metrics_watcher_add(DaemonMetrics *m);
void daemon_metrics_watcher_on_event(DaemonMetrics *m, const Event *e);
void daemon_metrics_watcher_on_reply(DaemonMetrics *m, const AckReply *reply);
