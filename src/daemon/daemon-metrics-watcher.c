/* The metrics of the watcher's state: tasks, instances and the budget read through the
 * watcher's task view at each scrape (no copy kept, no path into it), and the durations,
 * failures and throttling counted as events and replies come. */
#include <stdio.h>
#include <stdlib.h>

#include "daemon-metrics-private.h"
#include "util/iso8601.h"
#include "util/strutil.h"

static const char *const labels_task[] = { "state", "task_type", "source", NULL };
static const char *const task_states[] = {
        "waiting", "running", "paused", "succeeded", "failed", "canceled", "unknown",
        "not-found", NULL,
};
static const char *const task_sources[] = { "config", "cluster", NULL };
static const char *const *const task_values[] = { task_states, NULL, task_sources };
static const char *const labels_phase[] = { "phase", NULL };
static const char *const instance_phases[] = { "pending", "succeeded", "failed", NULL };
static const char *const *const phase_values[] = { instance_phases };
static const char *const labels_task_type[] = { "task_type", NULL };
static const char *const labels_duration[] = { "task_type", "outcome", NULL };
static const char *const task_outcomes[] = { "succeeded", "failed", "canceled", NULL };
static const char *const *const duration_values[] = { NULL, task_outcomes };
static const char *const labels_task_info[] = { "task_id", "task_type", "cluster_id", "state", NULL };

/* Scale-outs take minutes, big node pools hours. */
static const double task_buckets[] = { 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600 };

/* Task types are the API's words: a handful in practice, bounded here in case. */
#define TASK_TYPES_MAX 16
/* taskwatch_task_info's bound: one series per task not yet terminal, up to this many; the
 * rest add up in the one "other" series. */
#define TASK_INFO_MAX 10000

static const MetricFamilyInfo tasks = {
        .name = "taskwatch_tasks", .type = METRIC_GAUGE, .label_names = labels_task,
        .label_values = task_values, .max_series = 8 * TASK_TYPES_MAX * 2,
        .help = "Watched tasks, by state, task type and where the task came from.",
};
static const MetricFamilyInfo instances = {
        .name = "taskwatch_instances", .type = METRIC_GAUGE, .label_names = labels_phase,
        .label_values = phase_values, .max_series = 3,
        .help = "Instances of the watched tasks, by phase.",
};
static const MetricFamilyInfo instance_failures = {
        .name = "taskwatch_instance_failures", .type = METRIC_COUNTER,
        .label_names = labels_task_type, .max_series = TASK_TYPES_MAX,
        .help = "Instances seen failing (instance-failed events), by task type.",
};
static const MetricFamilyInfo task_duration = {
        .name = "taskwatch_task_duration_seconds", .unit = "seconds", .type = METRIC_HISTOGRAM,
        .label_names = labels_duration, .label_values = duration_values,
        .buckets = task_buckets, .n_buckets = ELEMENTSOF(task_buckets),
        .max_series = TASK_TYPES_MAX * 3,
        .help = "How long finished tasks took, from their created time (else from when "
                "watching began) to the terminal state, by task type and outcome.",
};
static const MetricFamilyInfo task_info = {
        .name = "taskwatch_task_info", .type = METRIC_GAUGE, .label_names = labels_task_info,
        .max_series = TASK_INFO_MAX,
        .help = "Always 1, per task not yet terminal: its id, type, cluster and state.",
};
static const MetricFamilyInfo budget = {
        .name = "taskwatch_api_budget_requests_per_second", .type = METRIC_GAUGE,
        .help = "The request budget's rate in force: MaxRequestsPerSecond=, or less while "
                "the API throttles.",
};
static const MetricFamilyInfo throttled = {
        .name = "taskwatch_api_throttled", .type = METRIC_COUNTER,
        .help = "ACK API calls the server throttled.",
};

/* One walk over the tasks per scrape fills taskwatch_tasks, _instances and _task_info:
 * counts are summed here, the per-task series pushed (O(1) each). */
typedef struct TaskCount {
        const char *state, *task_type, *source; /* borrowed for the walk */
        double n;
} TaskCount;

typedef struct TaskWalk {
        DaemonMetrics *m;
        TaskCount counts[8 * TASK_TYPES_MAX * 2];
        size_t n_counts;
        size_t last; /* most tasks share the previous one's labels */
        double other;
        double instances[3];
} TaskWalk;

static void task_walk_count(TaskWalk *w, const char *state, const char *task_type,
                            const char *source) {
        TaskCount *c;

        if (w->n_counts > 0) {
                c = &w->counts[w->last];
                if (c->state == state && streq_ptr(c->task_type, task_type) && c->source == source) {
                        c->n++;
                        return;
                }
        }
        for (size_t i = 0; i < w->n_counts; i++) {
                c = &w->counts[i];
                if (streq_ptr(c->state, state) && streq_ptr(c->task_type, task_type) &&
                    streq_ptr(c->source, source)) {
                        c->n++;
                        w->last = i;
                        return;
                }
        }
        if (w->n_counts == ELEMENTSOF(w->counts)) {
                w->other++; /* past the bound: shown as the label set of "other"s */
                return;
        }
        w->last = w->n_counts;
        w->counts[w->n_counts++] = (TaskCount) { state, task_type, source, 1 };
}

static void task_walk_visit(const WatcherTaskView *v, void *userdata) {
        TaskWalk *w = userdata;

        task_walk_count(w, v->state, v->task_type ?: "unknown", v->source);
        w->instances[0] += (double) v->n_pending;
        w->instances[1] += (double) v->n_succeeded;
        w->instances[2] += (double) v->n_failed;
        if (!v->terminal)
                (void) metric_family_push(w->m->task_info,
                                          (const char *[]) { v->id, v->task_type ?: "",
                                                             v->cluster_id ?: "", v->state },
                                          1);
}

static void collect_tasks(MetricFamily *f, void *userdata) {
        DaemonMetrics *m = userdata;
        Watcher *watcher = m->daemon->watcher;
        TaskWalk *w;

        metric_family_reset(f);
        metric_family_reset(m->task_info);
        for (size_t p = 0; p < 3; p++)
                (void) metric_family_set(m->instances, (const char *[]) { instance_phases[p] }, 0);
        if (!watcher)
                return;
        w = calloc(1, sizeof(*w)); /* ~8 KiB: not on the stack of a callback */
        if (!w)
                return;
        w->m = m;
        watcher_foreach_task(watcher, task_walk_visit, w);
        for (size_t i = 0; i < w->n_counts; i++)
                (void) metric_family_set(f, (const char *[]) { w->counts[i].state,
                                                               w->counts[i].task_type,
                                                               w->counts[i].source },
                                         w->counts[i].n);
        if (w->other > 0)
                (void) metric_family_set(f, (const char *[]) { METRIC_LABEL_OTHER,
                                                               METRIC_LABEL_OTHER,
                                                               METRIC_LABEL_OTHER }, w->other);
        for (size_t p = 0; p < 3; p++)
                (void) metric_family_set(m->instances, (const char *[]) { instance_phases[p] },
                                         w->instances[p]);
        free(w);
}

static void collect_budget(MetricFamily *f, void *userdata) {
        DaemonMetrics *m = userdata;

        if (m->daemon->watcher)
                (void) metric_family_set(f, NULL, watcher_budget_rate(m->daemon->watcher));
}

/* A terminal event: how long the task took, from its "created" when the reply that ended it
 * carried one we read, else from when watching began. */
static void observe_task_duration(DaemonMetrics *m, const Event *e, const char *outcome) {
        WatcherTaskView v;
        usec_t now = now_usec(CLOCK_REALTIME), start = 0;

        if (!e->task_id || streq_ptr(m->baseline_task_id, e->task_id))
                return;
        if (m->reply_created > 0 && streq_ptr(m->reply_task_id, e->task_id))
                start = m->reply_created;
        else if (m->daemon->watcher && watcher_task_view(m->daemon->watcher, e->task_id, &v) >= 0)
                start = v.first_seen;
        if (start == 0 || start > now)
                return;
        (void) metric_family_observe(m->task_duration,
                                     (const char *[]) { e->task_type ?: "unknown", outcome },
                                     (double) (now - start) / USEC_PER_SEC);
}

static void remember_id(char *buf, size_t size, const char *id) {
        snprintf(buf, size, "%s", id ?: "");
}

int daemon_metrics_watcher_add(DaemonMetrics *m) {
        int r;

        r = metrics_registry_add(m->registry, &tasks, &m->tasks);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &instances, &m->instances);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &task_info, &m->task_info);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &instance_failures, &m->instance_failures);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &task_duration, &m->task_duration);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &budget, &m->budget);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &throttled, &m->throttled);
        if (r >= 0)
                r = metric_family_inc(m->throttled, NULL, 0);
        if (r < 0)
                return r;
        metric_family_set_collect(m->tasks, collect_tasks, m);
        metric_family_set_collect(m->budget, collect_budget, m);
        return 0;
}

void daemon_metrics_watcher_on_event(DaemonMetrics *m, const Event *e) {
        if (e->kind == EVENT_TASK_BASELINE)
                remember_id(m->baseline_task_id, sizeof(m->baseline_task_id), e->task_id);
        else if (e->kind == EVENT_TASK_SUCCEEDED)
                observe_task_duration(m, e, "succeeded");
        else if (e->kind == EVENT_TASK_FAILED)
                observe_task_duration(m, e, "failed");
        else if (e->kind == EVENT_TASK_CANCELED)
                observe_task_duration(m, e, "canceled");
        else if (e->kind == EVENT_INSTANCE_FAILED)
                (void) metric_family_inc(m->instance_failures,
                                         (const char *[]) { e->task_type ?: "unknown" }, 1);
}

void daemon_metrics_watcher_on_reply(DaemonMetrics *m, const AckReply *reply) {
        if (reply->kind == ACK_REPLY_THROTTLED)
                (void) metric_family_inc(m->throttled, NULL, 1);
        /* Only a decoded reply brings transitions; any other leaves the slot to be forgotten. */
        m->reply_created = 0;
        m->reply_task_id[0] = '\0';
        m->baseline_task_id[0] = '\0'; /* a new reply: the last baseline is behind us */
        if (reply->info && reply->info->task_id && reply->info->created &&
            iso8601_parse(reply->info->created, 0, &m->reply_created) >= 0)
                remember_id(m->reply_task_id, sizeof(m->reply_task_id), reply->info->task_id);
        else
                m->reply_created = 0;
}
