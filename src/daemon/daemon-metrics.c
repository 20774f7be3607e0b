/* The daemon's metrics: the families counted from the event stream and the ACK client's
 * observer (the watcher's state: daemon-metrics-watcher.c), and the server that exposes
 * them, started, swapped on reload, stopped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ack/client.h"
#include "build-config.h"
#include "daemon-internal.h"
#include "daemon-metrics-private.h"
#include "metrics/metrics-listen.h"
#include "metrics/metrics-server.h"
#include "util/log.h"
#include "util/strutil.h"

static char *mfree(char *p) {
        free(p);
        return NULL;
}


/* ---- the families ------------------------------------------------------------------------- */

static const char *const labels_event[] = { "event", NULL };
static const char *const labels_version[] = { "version", NULL };
static const char *const labels_api[] = { "api", NULL };
static const char *const labels_api_call[] = { "api", "outcome", "code", NULL };
static const char *const labels_source[] = { "source", NULL };
static const char *const labels_hook[] = { "hook", "result", NULL };

static const char *const apis[] = { "DescribeTaskInfo", NULL };
/* Indexed by AckReplyKind: the api-* event names without "api-". */
static const char *const outcomes[_ACK_REPLY_KIND_MAX + 1] = {
        [ACK_REPLY_OK] = "ok",
        [ACK_REPLY_THROTTLED] = "throttled",
        [ACK_REPLY_NOT_FOUND] = "not-found",
        [ACK_REPLY_AUTH_ERROR] = "auth-error",
        [ACK_REPLY_SERVER_ERROR] = "server-error",
        [ACK_REPLY_CLIENT_ERROR] = "client-error",
        [ACK_REPLY_NETWORK_ERROR] = "network-error",
        [ACK_REPLY_BAD_REPLY] = "bad-reply",
};
/* The codes the daemon acts on or names itself; any other becomes "other", so that a server
 * inventing codes cannot grow the series. "none": a call without an error code. */
static const char *const codes[] = {
        "none", "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable",
        "InternalError", "ErrorTaskNotFound", "SignatureDoesNotMatch", "IncompleteSignature",
        "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound", "InvalidSecurityToken",
        "InvalidTimeStamp", "Forbidden", "NoPermission", "InvalidAuthorization",
        "MissingSecurityToken", "SignatureNonceUsed", "ConnectionFailed", "TLSFailed",
        "Timeout", "ReplyTooLarge", "TransferFailed", "MalformedReply", "WrongTask", NULL,
};
static const char *const *const api_call_values[] = { apis, outcomes, codes };
static const char *const *const api_values[] = { apis };
static const char *const sources[] = {
        "config", "systemd", "environment", "oidc", "cli-profile", "ecs-ram-role", NULL,
};
static const char *const *const source_values[] = { sources };
static const char *const hook_names[] = {
        "OnTaskSucceeded", "OnTaskFailed", "OnInstanceFailed", "OnTransition", NULL,
};
static const char *const hook_results[] = { "succeeded", "failed", "timed-out", NULL };
static const char *const *const hook_values[] = { hook_names, hook_results };

static const double api_buckets[] = { 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };

static const MetricFamilyInfo build_info = {
        .name = "taskwatch_build_info", .type = METRIC_GAUGE, .label_names = labels_version,
        .help = "Always 1; the version of taskwatchd that is running.", .max_series = 1,
};
static const MetricFamilyInfo api_requests = {
        .name = "taskwatch_api_requests", .type = METRIC_COUNTER, .label_names = labels_api_call,
        .label_values = api_call_values, .max_series = 64,
        .help = "ACK API calls that finished, by API, outcome and error code.",
};
static const MetricFamilyInfo api_duration = {
        .name = "taskwatch_api_request_duration_seconds", .unit = "seconds",
        .type = METRIC_HISTOGRAM, .label_names = labels_api, .label_values = api_values,
        .buckets = api_buckets, .n_buckets = ELEMENTSOF(api_buckets), .max_series = 4,
        .help = "How long ACK API calls took, from sending to the classified reply.",
};
static const MetricFamilyInfo last_poll = {
        .name = "taskwatch_last_successful_poll_timestamp_seconds", .unit = "seconds",
        .type = METRIC_GAUGE,
        .help = "When a poll last succeeded (Unix time); 0 until the first one.",
};
static const MetricFamilyInfo credentials_expiry = {
        .name = "taskwatch_credentials_expiry_timestamp_seconds", .unit = "seconds",
        .type = METRIC_GAUGE, .label_names = labels_source, .label_values = source_values,
        .max_series = 1,
        .help = "When the current credentials expire (Unix time); +Inf for a long-lived key.",
};
static const MetricFamilyInfo hooks = {
        .name = "taskwatch_hooks", .type = METRIC_COUNTER, .label_names = labels_hook,
        .label_values = hook_values, .max_series = 16,
        .help = "Hook runs that ended, by hook setting and result.",
};

/* The events conf/taskwatchd.rules.yml alerts on, as increase(taskwatch_transitions_total). */
static const EventKind alerted_events[] = {
        EVENT_TASK_FAILED, EVENT_INSTANCE_FAILED, EVENT_TASK_TIMED_OUT,
        EVENT_CREDENTIALS_REFRESH_FAILED,
};

/* ---- counting ---------------------------------------------------------------------------- */

/* hook-runner's message reads "TASK: hook OnTaskFailed#2 (/path) for ...": the setting's
 * name is the word after "hook ", up to '#'. The event has no field for it. */
static void hook_name_of(const char *message, char *buf, size_t size) {
        const char *p = message ? strstr(message, ": hook ") : NULL;
        size_t n;

        buf[0] = '\0';
        if (!p)
                return;
        p += strlen(": hook ");
        n = strcspn(p, "# (");
        if (n < size)
                snprintf(buf, size, "%.*s", (int) n, p);
}

static void metrics_on_event(const Event *e, void *userdata) {
        DaemonMetrics *m = userdata;
        const char *result = NULL;
        char hook[32];

        /* hook-output is a line of a hook's output, not something that happened. */
        if (e->kind == EVENT_HOOK_OUTPUT)
                return;
        (void) metric_family_inc(m->transitions, (const char *[]) { event_kind_name(e->kind) }, 1);

        daemon_metrics_watcher_on_event(m, e);

        if (e->kind == EVENT_HOOK_FINISHED)
                result = "succeeded";
        else if (e->kind == EVENT_HOOK_FAILED)
                result = "failed";
        else if (e->kind == EVENT_HOOK_TIMED_OUT)
                result = "timed-out";
        if (result) {
                hook_name_of(e->message, hook, sizeof(hook));
                (void) metric_family_inc(m->hooks, (const char *[]) { hook, result }, 1);
        }
}

/* Once per finished call, before the watcher sees the reply: no allocation once every label
 * set was seen. */
static void metrics_on_ack_reply(const char *api, const AckReply *reply, void *userdata) {
        DaemonMetrics *m = userdata;
        const char *outcome = reply->kind < _ACK_REPLY_KIND_MAX ? outcomes[reply->kind] : "other";
        const char *code = reply->code && *reply->code ? reply->code : "none";

        (void) metric_family_inc(m->api_requests, (const char *[]) { api, outcome, code }, 1);
        (void) metric_family_observe(m->api_duration, (const char *[]) { api },
                                     (double) reply->duration / USEC_PER_SEC);
        if (reply->kind == ACK_REPLY_OK)
                m->last_poll = now_usec(CLOCK_REALTIME);
        daemon_metrics_watcher_on_reply(m, reply);
}

static void collect_last_poll(MetricFamily *f, void *userdata) {
        DaemonMetrics *m = userdata;
        (void) metric_family_set(f, NULL, (double) m->last_poll / USEC_PER_SEC);
}

static void collect_credentials_expiry(MetricFamily *f, void *userdata) {
        DaemonMetrics *m = userdata;
        const char *source = NULL;
        usec_t t = m->daemon->credentials
                ? credentials_provider_expiration(m->daemon->credentials, &source) : 0;

        metric_family_reset(f);
        if (t == 0)
                return;
        (void) metric_family_set(f, (const char *[]) { source },
                                 t == USEC_INFINITY ? INFINITY : (double) t / USEC_PER_SEC);
}

int daemon_metrics_new(Daemon *d) {
        _cleanup_(daemon_metrics_freep) DaemonMetrics *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->daemon = d;
        for (size_t k = 0; k < _EVENT_KIND_MAX; k++)
                m->event_names[k] = event_kind_name((EventKind) k);
        m->transition_values[0] = m->event_names;
        m->transitions_info = (MetricFamilyInfo) {
                .name = "taskwatch_transitions", .type = METRIC_COUNTER,
                .label_names = labels_event, .label_values = m->transition_values,
                .max_series = _EVENT_KIND_MAX,
                .help = "Events reported, by their TASKWATCH_EVENT= name (hook-output lines "
                        "excepted).",
        };

        r = metrics_registry_new(&m->registry, NULL);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &build_info, &m->build_info);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &m->transitions_info, &m->transitions);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &api_requests, &m->api_requests);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &api_duration, &m->api_duration);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &last_poll, &m->last_poll_family);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &credentials_expiry, &m->credentials_expiry);
        if (r >= 0)
                r = metrics_registry_add(m->registry, &hooks, &m->hooks);
        if (r >= 0)
                r = daemon_metrics_watcher_add(m);
        /* The events the shipped alerts key on are shown from the start, at 0: Prometheus'
         * increase() sees no rise in a series whose first sample is already 1. */
        for (size_t k = 0; r >= 0 && k < ELEMENTSOF(alerted_events); k++)
                r = metric_family_inc(m->transitions,
                                      (const char *[]) { event_kind_name(alerted_events[k]) }, 0);
        if (r >= 0)
                r = metric_family_set(m->build_info, (const char *[]) { PACKAGE_VERSION }, 1);
        if (r >= 0)
                r = event_sink_add_listener(d->sink, metrics_on_event, m);
        if (r < 0)
                return r;
        metric_family_set_collect(m->last_poll_family, collect_last_poll, m);
        metric_family_set_collect(m->credentials_expiry, collect_credentials_expiry, m);
        d->metrics = TAKE_PTR(m);
        return 0;
}

static void daemon_metrics_stop_server(DaemonMetrics *m) {
        m->server = metrics_server_free(m->server);
        if (m->unix_path)
                (void) unlink(m->unix_path);
        m->unix_path = mfree(m->unix_path);
        m->listen = mfree(m->listen);
}

DaemonMetrics *daemon_metrics_free(DaemonMetrics *m) {
        if (!m)
                return NULL;
        event_sink_remove_listener(m->daemon->sink, metrics_on_event, m);
        daemon_metrics_stop_server(m);
        metrics_registry_free(m->registry);
        free(m);
        return NULL;
}

MetricsRegistry *daemon_metrics_registry(Daemon *d) {
        return d->metrics ? d->metrics->registry : NULL;
}

/* ---- the server: started, swapped on reload, stopped ---------------------------------------- */

/* /healthz: nothing left to poll is not a stall. */
static usec_t metrics_last_poll(void *userdata) {
        DaemonMetrics *m = userdata;
        Watcher *w = m->daemon->watcher;

        if (w && watcher_n_tasks(w) == watcher_n_done(w))
                return now_usec(CLOCK_REALTIME);
        return m->last_poll;
}

/* A poll round is late once three of the longest intervals passed without one succeeding,
 * and never sooner than 5 minutes (a reply may take RequestTimeout=, retries back off). */
static usec_t health_max_age(const Config *c) {
        usec_t a = c->max_interval < USEC_INFINITY / 3 ? 3 * c->max_interval : USEC_INFINITY;
        return a > 5 * USEC_PER_MINUTE ? a : 5 * USEC_PER_MINUTE;
}

void daemon_metrics_plan_done(DaemonMetricsPlan *p) {
        p->server = metrics_server_free(p->server);
        p->unix_path = mfree(p->unix_path);
}

int daemon_metrics_prepare(Daemon *d, const Config *c, DaemonMetricsPlan *p, char **error) {
        DaemonMetrics *m = d->metrics;
        int fd = -1, r;

        *p = (DaemonMetricsPlan) {};
        /* The socket unit's fd stays for the daemon's life: Listen= is not used beside it. */
        if (m->from_systemd || streq_ptr(m->listen, c->metrics_listen))
                return 0;
        p->change = true;
        if (!c->metrics_listen)
                return 0; /* turned off: the commit stops the server */
        r = metrics_listen(&c->metrics_address, &fd);
        if (r >= 0) {
                if (metrics_address_path(&c->metrics_address)) {
                        p->unix_path = strdup(metrics_address_path(&c->metrics_address));
                        if (!p->unix_path)
                                r = -ENOMEM;
                }
                if (r >= 0)
                        r = metrics_server_new(&p->server, d->event, TAKE_FD(fd), m->registry, NULL);
                else
                        (void) close(fd);
        }
        if (r < 0) {
                if (p->unix_path && !p->server)
                        (void) unlink(p->unix_path);
                if (asprintf(error, "[Metrics] Listen=%s: cannot listen there: %s",
                             c->metrics_listen, strerror(-r)) < 0)
                        *error = NULL;
                return r;
        }
        return 0;
}

void daemon_metrics_commit(Daemon *d, const Config *c, DaemonMetricsPlan *p) {
        DaemonMetrics *m = d->metrics;

        if (p->change) {
                daemon_metrics_stop_server(m);
                m->server = TAKE_PTR(p->server);
                m->unix_path = TAKE_PTR(p->unix_path);
                /* Only with a server: without one, nothing listens for that Listen= yet. */
                if (m->server)
                        m->listen = strdup_or_null(c->metrics_listen);
        }
        if (m->server)
                metrics_server_set_health(m->server, metrics_last_poll, m, health_max_age(c));
}

int daemon_metrics_listen(Daemon *d) {
        DaemonMetrics *m = d->metrics;
        _cleanup_(freep) char *error = NULL;
        DaemonMetricsPlan p;
        int fd, r;

        r = metrics_listen_fd_from_systemd(&fd);
        if (r < 0)
                log_warning("metrics: cannot take the sockets systemd passed: %s", strerror(-r));
        if (r > 0) {
                r = metrics_server_new(&m->server, d->event, fd, m->registry, NULL);
                if (r < 0)
                        return log_error_errno(r, "metrics: cannot serve on the socket systemd "
                                               "passed: %m");
                m->from_systemd = true;
                daemon_metrics_commit(d, d->config, &(DaemonMetricsPlan) {});
                return 0;
        }
        r = daemon_metrics_prepare(d, d->config, &p, &error);
        if (r < 0) {
                if (error)
                        return log_error_errno(r, "%s", error);
                return log_error_errno(r, "metrics: %m");
        }
        daemon_metrics_commit(d, d->config, &p);
        daemon_metrics_plan_done(&p);
        return 0;
}

void daemon_metrics_observe_watcher(DaemonMetrics *m, Watcher *w) {
        /* Every ACK call of every pool and client the watcher makes reports to us. */
        watcher_set_ack_observer(w, metrics_on_ack_reply, m);
}
