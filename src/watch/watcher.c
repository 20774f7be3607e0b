/* The watcher: one timer per task, a queue of due polls, the pool that sends them, and
 * what a reply means for the task, its events and the service status. */
#include "watch/watcher.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "ack/request.h"
#include "http/http-pool.h"
#include "report/notify.h"
#include "util/strutil.h"
#include "watch/backoff.h"
#include "watch/poll-outcome.h"
#include "watch/task-tracker.h"

/* A task the API says does not exist is believed after this many answers in a row. */
#define NOT_FOUND_CONFIRMATIONS 3U
/* STATUS= is rebuilt at most this often: it walks every task. */
#define STATUS_INTERVAL (500 * USEC_PER_MSEC)

typedef struct WatchedTask WatchedTask;

struct WatchedTask {
        Watcher *watcher;
        TaskTracker tracker;
        sd_event_source *timer;
        HttpRequest *request;        /* in flight, or NULL */
        WatchedTask *q_prev, *q_next; /* in the queue of due polls */
        bool queued;
        unsigned unchanged; /* good polls in a row without a change */
        unsigned failures;  /* failed polls in a row */
        unsigned not_found; /* "not found" answers in a row */
        bool lost;          /* not found, confirmed and reported */
        bool done;          /* terminal or lost: counts toward --exit-when-done */
        char *error_key;    /* the last error reported, to report each fault once */
        char *last_error;   /* the same, for STATUS= */
        usec_t next_poll;   /* CLOCK_MONOTONIC */
        char canonical_request_hash[65]; /* of the poll in flight, for signature reports */
};

struct Watcher {
        sd_event *event;
        EventSink *sink;
        CredentialsGetter get_credentials;
        void *credentials_userdata;

        HttpPool *pool;
        HttpPoolOptions pool_options;
        char *ca_file;
        char *endpoint;
        BackoffPolicy backoff;

        WatchedTask **tasks; /* sorted by id */
        size_t n_tasks;
        size_t n_done;
        WatchedTask *q_head, *q_tail;

        bool exit_when_done;
        bool exiting;
        sd_event_source *status_timer;
        usec_t status_sent;
        char *last_error; /* the newest error of any task, for STATUS= */
};

static void watcher_pump(Watcher *w);
static void watcher_status_changed(Watcher *w);

/* ---- the queue of due polls ------------------------------------------------------------- */

static void queue_push(Watcher *w, WatchedTask *t) {
        if (t->queued)
                return;
        t->q_prev = w->q_tail;
        t->q_next = NULL;
        if (w->q_tail)
                w->q_tail->q_next = t;
        else
                w->q_head = t;
        w->q_tail = t;
        t->queued = true;
}

static void queue_remove(Watcher *w, WatchedTask *t) {
        if (!t->queued)
                return;
        if (t->q_prev)
                t->q_prev->q_next = t->q_next;
        else
                w->q_head = t->q_next;
        if (t->q_next)
                t->q_next->q_prev = t->q_prev;
        else
                w->q_tail = t->q_prev;
        t->q_prev = t->q_next = NULL;
        t->queued = false;
}

static WatchedTask *queue_pop(Watcher *w) {
        WatchedTask *t = w->q_head;

        if (t)
                queue_remove(w, t);
        return t;
}

/* ---- tasks ------------------------------------------------------------------------------ */

static WatchedTask *task_free(WatchedTask *t) {
        if (!t)
                return NULL;
        queue_remove(t->watcher, t);
        http_request_cancel(t->request);
        sd_event_source_disable_unref(t->timer);
        task_tracker_done(&t->tracker);
        free(t->error_key);
        free(t->last_error);
        free(t);
        return NULL;
}

static int task_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        WatchedTask *t = userdata;

        queue_push(t->watcher, t);
        watcher_pump(t->watcher);
        return 0;
}

static int task_schedule(WatchedTask *t, usec_t delay) {
        Watcher *w = t->watcher;
        /* Let sd-event coalesce wake-ups of many tasks; a tenth of the delay is noise. */
        usec_t accuracy = delay / 10;
        int r;

        if (accuracy > 250 * USEC_PER_MSEC)
                accuracy = 250 * USEC_PER_MSEC;
        if (accuracy < USEC_PER_MSEC)
                accuracy = USEC_PER_MSEC;

        t->next_poll = now_usec(CLOCK_MONOTONIC) + delay;
        if (!t->timer) {
                r = sd_event_add_time(w->event, &t->timer, CLOCK_MONOTONIC, t->next_poll, accuracy,
                                      task_on_timer, t);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(t->timer, "task-poll");
                return 0;
        }
        r = sd_event_source_set_time(t->timer, t->next_poll);
        if (r >= 0)
                r = sd_event_source_set_time_accuracy(t->timer, accuracy);
        if (r >= 0)
                r = sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
        return r;
}

static void task_set_done(WatchedTask *t, bool done) {
        if (t->done == done)
                return;
        t->done = done;
        if (done)
                t->watcher->n_done++;
        else
                t->watcher->n_done--;
}

static int compare_task_id(const void *key, const void *elem) {
        return strcmp(key, (*(WatchedTask *const *) elem)->tracker.task_id);
}

static WatchedTask *watcher_find(const Watcher *w, const char *id) {
        WatchedTask **t = bsearch(id, w->tasks, w->n_tasks, sizeof(*w->tasks), compare_task_id);
        return t ? *t : NULL;
}

/* ---- outcomes of a poll ----------------------------------------------------------------- */

static void format_delay(char *buf, size_t size, usec_t delay) {
        /* Round to what a person reads; sub-second precision only below 10 s. */
        if (delay >= 10 * USEC_PER_SEC)
                delay = (delay + USEC_PER_SEC / 2) / USEC_PER_SEC * USEC_PER_SEC;
        else if (delay >= USEC_PER_SEC)
                delay = (delay + 50 * USEC_PER_MSEC) / (100 * USEC_PER_MSEC) * (100 * USEC_PER_MSEC);
        else
                delay = (delay + USEC_PER_MSEC / 2) / USEC_PER_MSEC * USEC_PER_MSEC;
        format_timespan(buf, size, delay);
}

static void set_string(char **dst, char *value) {
        free(*dst);
        *dst = value;
}

/* One event per fault: the same error again (same kind, status and code) stays quiet until
 * a good poll ends it or a different error replaces it. */
static void task_report_error(WatchedTask *t, const PollOutcome *o, usec_t delay) {
        Watcher *w = t->watcher;
        char retry[FORMAT_TIMESPAN_MAX], server_wait[FORMAT_TIMESPAN_MAX];
        _cleanup_(freep) char *key = NULL, *summary = NULL;
        Event e = EVENT_INIT(poll_result_event_kind(o->result));
        const char *what = poll_result_to_string(o->result);

        if (asprintf(&key, "%d/%ld/%s", (int) o->result, o->http_status, o->code ?: "") < 0)
                return;
        if (streq_ptr(key, t->error_key))
                return;

        format_delay(retry, sizeof(retry), delay);
        if (o->http_status > 0)
                (void) asprintf(&summary, "HTTP %ld %s%s%s", o->http_status, o->code ?: "",
                                o->code && o->message ? ": " : "", o->message ?: "");
        else
                (void) asprintf(&summary, "%s%s%s", o->code ?: "", o->code && o->message ? ": " : "",
                                o->message ?: "");

        e.task_id = t->tracker.task_id;
        e.cluster_id = t->tracker.cluster_id;
        e.task_type = t->tracker.task_type;
        e.task_state = t->tracker.state;
        e.error_code = o->code;
        e.error_message = o->message;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        e.retry_in = retry;

        switch (o->result) {
        case POLL_THROTTLED:
                if (o->retry_after > 0) {
                        format_timespan(server_wait, sizeof(server_wait), o->retry_after);
                        event_emitf(w->sink, &e, "%s: throttled by the API (%s), server asks to wait %s; retrying in %s",
                                    e.task_id, summary ?: what, server_wait, retry);
                } else
                        event_emitf(w->sink, &e, "%s: throttled by the API (%s); retrying in %s",
                                    e.task_id, summary ?: what, retry);
                break;
        case POLL_AUTH_ERROR:
                if (streq_ptr(o->code, "SignatureDoesNotMatch"))
                        /* The server quotes its string to sign: the same hash means a wrong
                         * secret, another hash a request changed on the way or a signer bug. */
                        event_emitf(w->sink, &e,
                                    "%s: authentication failed (%s); our string to sign hashed the canonical request to %s; check the access key secret; retrying in %s",
                                    e.task_id, summary ?: what, t->canonical_request_hash, retry);
                else
                        event_emitf(w->sink, &e,
                                    "%s: authentication failed (%s); check the access key id, secret and token, and the clock; retrying in %s",
                                    e.task_id, summary ?: what, retry);
                break;
        default:
                event_emitf(w->sink, &e, "%s: poll failed, %s (%s)%s%s; keeping the last known state, retrying in %s",
                            e.task_id, what, summary ?: "", o->request_id ? ", request " : "",
                            o->request_id ?: "", retry);
        }

        set_string(&t->error_key, TAKE_PTR(key));
        set_string(&t->last_error, summary ? strdup(summary) : NULL);
        if (summary) {
                char *status_error = NULL;
                if (asprintf(&status_error, "%s: %s", t->tracker.task_id, summary) >= 0)
                        set_string(&w->last_error, status_error);
        }
}

static void task_report_recovered(WatchedTask *t, const PollOutcome *o, unsigned failures) {
        Event e = EVENT_INIT(EVENT_API_RECOVERED);

        if (!t->error_key)
                return;
        e.task_id = t->tracker.task_id;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        event_emitf(t->watcher->sink, &e, "%s: polling recovered after %u failed attempt%s",
                    e.task_id, failures, failures == 1 ? "" : "s");
        set_string(&t->error_key, NULL);
        set_string(&t->last_error, NULL);
}

static void task_report_not_found(WatchedTask *t, const PollOutcome *o, usec_t delay) {
        char retry[FORMAT_TIMESPAN_MAX];
        Event e = EVENT_INIT(EVENT_TASK_NOT_FOUND);

        format_delay(retry, sizeof(retry), delay);
        e.task_id = t->tracker.task_id;
        e.error_code = o->code;
        e.error_message = o->message;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        e.retry_in = retry;
        event_emitf(t->watcher->sink, &e,
                    "%s: task not found (%u answers in a row: HTTP %ld %s); check the task id and region; checking again every %s",
                    e.task_id, t->not_found, o->http_status, o->code ?: "", retry);
        set_string(&t->last_error, strdup("task not found"));
}

static usec_t task_handle_ok(WatchedTask *t, const PollOutcome *o) {
        Watcher *w = t->watcher;
        unsigned failures = t->failures;
        int r;

        t->failures = 0;
        t->not_found = 0;
        if (t->lost) {
                t->lost = false;
                task_set_done(t, false);
        }
        task_report_recovered(t, o, failures);

        r = task_tracker_apply(&t->tracker, o->info, o->request_id, w->sink);
        if (r < 0)
                /* Out of memory: nothing was recorded, so the next reply reports it all. */
                return backoff_error_delay(&w->backoff, 1);
        if (r > 0)
                t->unchanged = 0;
        else if (t->unchanged < 64)
                t->unchanged++;

        if (task_tracker_is_terminal(&t->tracker)) {
                task_set_done(t, true);
                return USEC_INFINITY;
        }
        return backoff_poll_delay(&w->backoff, t->unchanged);
}

static usec_t task_handle_failure(WatchedTask *t, const PollOutcome *o) {
        Watcher *w = t->watcher;
        usec_t delay;

        if (t->failures < 64)
                t->failures++;

        if (o->result == POLL_NOT_FOUND) {
                if (t->not_found < UINT16_MAX)
                        t->not_found++;
                if (t->not_found < NOT_FOUND_CONFIRMATIONS)
                        /* Quietly: a task id just returned by a create call can lag. */
                        return backoff_error_delay(&w->backoff, t->failures);
                /* Confirmed: tell once, then look again rarely in case it appears. */
                delay = backoff_poll_delay(&w->backoff, 64);
                if (!t->lost) {
                        t->lost = true;
                        task_set_done(t, true);
                        task_report_not_found(t, o, delay);
                }
                return delay;
        }

        if (o->result == POLL_THROTTLED)
                delay = backoff_throttle_delay(&w->backoff, t->failures, o->retry_after);
        else
                delay = backoff_error_delay(&w->backoff, t->failures);
        task_report_error(t, o, delay);
        return delay;
}

static void watcher_check_done(Watcher *w) {
        if (!w->exit_when_done || w->exiting || w->n_tasks == 0 || w->n_done < w->n_tasks)
                return;
        w->exiting = true;
        watcher_update_status(w);
        (void) sd_event_exit(w->event, watcher_outcome(w));
}

static void task_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        WatchedTask *t = userdata;
        Watcher *w = t->watcher;
        PollOutcome o;
        usec_t delay;

        t->request = NULL;
        if (poll_outcome_classify(t->tracker.task_id, resp, &o) < 0)
                delay = backoff_error_delay(&w->backoff, ++t->failures);
        else {
                delay = o.result == POLL_OK ? task_handle_ok(t, &o) : task_handle_failure(t, &o);
                poll_outcome_done(&o);
        }

        if (delay == USEC_INFINITY) {
                /* Terminal: no more polls. */
                (void) sd_event_source_set_enabled(t->timer, SD_EVENT_OFF);
                t->next_poll = USEC_INFINITY;
        } else if (task_schedule(t, delay) < 0) {
                /* Without a timer the task would be silently forgotten: poll again now. */
                queue_push(w, t);
        }

        watcher_status_changed(w);
        watcher_check_done(w);
}

/* Sign and send one poll. Failures to even start are treated like a failed poll. */
static void task_start_poll(WatchedTask *t) {
        Watcher *w = t->watcher;
        const Credentials *creds = w->get_credentials(w->credentials_userdata);
        _cleanup_(ack_request_freep) AckRequest *req = NULL;
        int r;

        if (!creds) {
                /* Nothing to sign with: try again later; the credential layer reports why. */
                (void) task_schedule(t, backoff_error_delay(&w->backoff, ++t->failures));
                return;
        }

        r = ack_request_describe_task(&req, w->endpoint, t->tracker.task_id, creds, time(NULL), NULL);
        if (r >= 0) {
                memcpy(t->canonical_request_hash, req->canonical_request_hash,
                       sizeof(t->canonical_request_hash));
                r = http_pool_get(w->pool, req->url, req->headers, task_on_response, t, &t->request);
        }
        if (r < 0) {
                t->request = NULL;
                (void) task_schedule(t, backoff_error_delay(&w->backoff, ++t->failures));
        }
}

/* Send due polls while the pool has room; the rest wait in order. */
static void watcher_pump(Watcher *w) {
        while (w->q_head && http_pool_has_capacity(w->pool)) {
                WatchedTask *t = queue_pop(w);
                if (!t->request)
                        task_start_poll(t);
        }
}

static void watcher_on_capacity(void *userdata) {
        watcher_pump(userdata);
}

/* ---- STATUS= ---------------------------------------------------------------------------- */

void watcher_update_status(Watcher *w) {
        size_t running = 0, paused = 0, waiting = 0, succeeded = 0, failed = 0, canceled = 0, lost = 0;
        size_t ok = 0, bad = 0, pending = 0;
        _cleanup_(strbuf_clear) StrBuf b = {};

        for (size_t i = 0; i < w->n_tasks; i++) {
                const WatchedTask *t = w->tasks[i];
                const TaskTracker *k = &t->tracker;

                ok += k->n_succeeded;
                bad += k->n_failed;
                pending += k->n_pending;
                if (t->lost)
                        lost++;
                else if (!k->have_baseline)
                        waiting++;
                else
                        switch (k->phase) {
                        case TASK_PHASE_SUCCEEDED:
                                succeeded++;
                                break;
                        case TASK_PHASE_FAILED:
                                failed++;
                                break;
                        case TASK_PHASE_CANCELED:
                                canceled++;
                                break;
                        case TASK_PHASE_PAUSED:
                                paused++;
                                break;
                        default:
                                running++;
                        }
        }

        (void) strbuf_appendf(&b, "%zu task%s: %zu running", w->n_tasks, w->n_tasks == 1 ? "" : "s", running);
        if (waiting)
                (void) strbuf_appendf(&b, ", %zu waiting for first reply", waiting);
        if (paused)
                (void) strbuf_appendf(&b, ", %zu paused", paused);
        (void) strbuf_appendf(&b, ", %zu succeeded, %zu failed", succeeded, failed);
        if (canceled)
                (void) strbuf_appendf(&b, ", %zu canceled", canceled);
        if (lost)
                (void) strbuf_appendf(&b, ", %zu not found", lost);
        if (ok + bad + pending > 0)
                (void) strbuf_appendf(&b, "; instances %zu succeeded, %zu failed, %zu pending", ok, bad, pending);
        if (w->last_error)
                (void) strbuf_appendf(&b, "; last error: %s", w->last_error);

        if (b.data)
                (void) notify_status(b.data);
        w->status_sent = now_usec(CLOCK_MONOTONIC);
}

static int watcher_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        watcher_update_status(userdata);
        return 0;
}

static void watcher_status_changed(Watcher *w) {
        int enabled = SD_EVENT_OFF;

        (void) sd_event_source_get_enabled(w->status_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        (void) sd_event_source_set_time(w->status_timer, w->status_sent + STATUS_INTERVAL);
        (void) sd_event_source_set_enabled(w->status_timer, SD_EVENT_ONESHOT);
}

/* ---- the watcher ------------------------------------------------------------------------ */

int watcher_new(Watcher **ret, sd_event *event, EventSink *sink, CredentialsGetter get_credentials,
                void *userdata) {
        _cleanup_(watcher_freep) Watcher *w = NULL;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->event = sd_event_ref(event);
        w->sink = sink;
        w->get_credentials = get_credentials;
        w->credentials_userdata = userdata;

        r = sd_event_add_time(event, &w->status_timer, CLOCK_MONOTONIC, 0, 50 * USEC_PER_MSEC,
                              watcher_on_status_timer, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(w->status_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(w->status_timer, "status");

        *ret = TAKE_PTR(w);
        return 0;
}

Watcher *watcher_free(Watcher *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_tasks; i++)
                task_free(w->tasks[i]);
        free(w->tasks);
        http_pool_free(w->pool);
        sd_event_source_disable_unref(w->status_timer);
        sd_event_unref(w->event);
        free(w->ca_file);
        free(w->endpoint);
        free(w->last_error);
        free(w);
        return NULL;
}

static bool pool_options_equal(const HttpPoolOptions *a, const HttpPoolOptions *b) {
        return a->max_connections == b->max_connections && a->timeout == b->timeout &&
               a->max_body == b->max_body && a->allow_plain_http == b->allow_plain_http &&
               streq_ptr(a->ca_file, b->ca_file);
}

/* A new endpoint or TLS setting takes a new pool; polls in flight on the old one are
 * abandoned and sent again at once, so no task loses its turn. */
static int watcher_configure_http(Watcher *w, const Config *c) {
        HttpPoolOptions o = {
                .max_connections = c->max_connections,
                .timeout = c->request_timeout,
                .ca_file = c->ca_file,
                .max_body = TASK_INFO_MAX_BODY,
                .allow_plain_http = strncmp(c->endpoint, "http://", 7) == 0,
        };
        _cleanup_(http_pool_freep) HttpPool *pool = NULL;
        _cleanup_(freep) char *endpoint = NULL, *ca_file = NULL;
        int r;

        endpoint = strdup(c->endpoint);
        ca_file = strdup_or_null(c->ca_file);
        if (!endpoint || (c->ca_file && !ca_file))
                return -ENOMEM;

        if (w->pool && pool_options_equal(&w->pool_options, &o)) {
                set_string(&w->endpoint, TAKE_PTR(endpoint));
                return 0;
        }

        r = http_pool_new(&pool, w->event, &o);
        if (r < 0)
                return r;
        http_pool_set_on_capacity(pool, watcher_on_capacity, w);

        for (size_t i = 0; i < w->n_tasks; i++) {
                WatchedTask *t = w->tasks[i];
                if (t->request) {
                        http_request_cancel(t->request);
                        t->request = NULL;
                        queue_push(w, t);
                }
        }
        http_pool_free(w->pool);
        w->pool = TAKE_PTR(pool);
        set_string(&w->endpoint, TAKE_PTR(endpoint));
        set_string(&w->ca_file, TAKE_PTR(ca_file));
        w->pool_options = o;
        w->pool_options.ca_file = w->ca_file;
        return 0;
}

static int task_new(WatchedTask **ret, Watcher *w, const char *id) {
        WatchedTask *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->watcher = w;
        r = task_tracker_init(&t->tracker, id);
        if (r < 0) {
                free(t);
                return r;
        }
        r = task_schedule(t, backoff_initial_delay(&w->backoff));
        if (r < 0) {
                task_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

static int compare_task_ptr(const void *a, const void *b) {
        return strcmp((*(WatchedTask *const *) a)->tracker.task_id,
                      (*(WatchedTask *const *) b)->tracker.task_id);
}

static void emit_membership(Watcher *w, EventKind kind, const char *id) {
        Event e = EVENT_INIT(kind);

        e.task_id = id;
        event_emitf(w->sink, &e, "%s: %s", id,
                    kind == EVENT_TASK_ADDED ? "now watched (added by reload)" : "no longer watched (removed by reload)");
}

int watcher_apply_config(Watcher *w, const Config *c, bool is_reload) {
        WatchedTask **next;
        size_t n = 0;
        int r;

        r = watcher_configure_http(w, c);
        if (r < 0)
                return r;
        w->backoff = (BackoffPolicy) { .min_interval = c->min_interval, .max_interval = c->max_interval };

        next = calloc(c->n_tasks ? c->n_tasks : 1, sizeof(*next));
        if (!next)
                return -ENOMEM;

        /* Build the new set first, so that running out of memory leaves the old one intact. */
        for (size_t i = 0; i < c->n_tasks; i++) {
                WatchedTask *t = watcher_find(w, c->tasks[i]);
                if (!t) {
                        r = task_new(&t, w, c->tasks[i]);
                        if (r < 0) {
                                for (size_t j = 0; j < n; j++)
                                        if (!watcher_find(w, next[j]->tracker.task_id))
                                                task_free(next[j]);
                                free(next);
                                return r;
                        }
                        if (is_reload)
                                emit_membership(w, EVENT_TASK_ADDED, t->tracker.task_id);
                }
                next[n++] = t;
        }
        qsort(next, n, sizeof(*next), compare_task_ptr);

        for (size_t i = 0; i < w->n_tasks; i++) {
                WatchedTask *t = w->tasks[i];
                if (bsearch(t->tracker.task_id, next, n, sizeof(*next), compare_task_id))
                        continue;
                if (is_reload)
                        emit_membership(w, EVENT_TASK_REMOVED, t->tracker.task_id);
                if (t->done)
                        w->n_done--;
                task_free(t);
        }
        free(w->tasks);
        w->tasks = next;
        w->n_tasks = n;

        watcher_pump(w);
        watcher_status_changed(w);
        watcher_check_done(w);
        return 0;
}

void watcher_set_exit_when_done(Watcher *w, bool enable) {
        w->exit_when_done = enable;
        watcher_check_done(w);
}

int watcher_outcome(const Watcher *w) {
        bool failed = false, lost = false, pending = false;

        for (size_t i = 0; i < w->n_tasks; i++) {
                const WatchedTask *t = w->tasks[i];
                TaskPhase p = t->tracker.phase;

                if (t->tracker.n_failed > 0 ||
                    (t->tracker.have_baseline && (p == TASK_PHASE_FAILED || p == TASK_PHASE_CANCELED)))
                        failed = true;
                else if (t->lost)
                        lost = true;
                else if (!t->done)
                        pending = true;
        }
        if (failed)
                return EXIT_TASK_FAILED;
        if (lost)
                return EXIT_TASK_NOT_FOUND;
        if (pending)
                return EXIT_TIMEOUT;
        return EXIT_ALL_SUCCEEDED;
}

size_t watcher_n_tasks(const Watcher *w) {
        return w->n_tasks;
}

size_t watcher_n_done(const Watcher *w) {
        return w->n_done;
}
