/* The watcher: one timer per task, a queue of due polls, the pool that sends them, and
 * what a reply means for the task, its events and the service status. */
#include <errno.h>
#include <string.h>

#include "watcher-internal.h"

void watcher_check_done(Watcher *w) {
        if (!w->exit_when_done || w->exiting || w->n_tasks == 0 || w->n_done < w->n_tasks)
                return;
        /* The last transitions' hooks (the page for a failure) are why some run at all. */
        if (w->n_hooks_running > 0)
                return;
        w->exiting = true;
        watcher_update_status(w);
        (void) sd_event_exit(w->event, watcher_outcome(w));
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
        if (w->hooks) {
                event_sink_remove_listener(w->sink, watcher_on_event, w);
                hook_runner_set_on_done(w->hooks, NULL, NULL);
        }
        for (size_t i = 0; i < w->n_tasks; i++)
                task_free(w->tasks[i]);
        free(w->tasks);
        free(w->timers);
        sd_event_source_disable_unref(w->poll_timer);
        ack_client_free(w->client);
        http_pool_free(w->pool);
        sd_event_source_disable_unref(w->restore_timer);
        sd_event_source_disable_unref(w->sync_timer);
        task_store_free(w->store); /* syncs what the timer had yet to */
        sd_event_source_disable_unref(w->rate_timer);
        sd_event_source_disable_unref(w->status_timer);
        sd_event_unref(w->event);
        free(w->ca_file);
        free(w->last_error);
        free(w->status_text);
        free(w->runtime_file);
        free(w->credentials_problem);
        free(w);
        return NULL;
}

void watcher_set_store(Watcher *w, TaskStore *store) {
        task_store_free(w->store);
        w->store = store;
}

int watcher_set_hook_runner(Watcher *w, HookRunner *r) {
        int k;

        if (w->hooks) {
                event_sink_remove_listener(w->sink, watcher_on_event, w);
                hook_runner_set_on_done(w->hooks, NULL, NULL);
                w->hooks = NULL;
        }
        if (!r)
                return 0;
        k = event_sink_add_listener(w->sink, watcher_on_event, w);
        if (k < 0)
                return k;
        w->hooks = r;
        hook_runner_set_on_done(r, watcher_on_hooks_done, w);
        return 0;
}

void watcher_credentials_changed(Watcher *w, const char *problem) {
        char *copy = NULL;

        if (problem && !(copy = strdup(problem)))
                return; /* out of memory: STATUS= keeps the previous reason */
        set_string(&w->credentials_problem, copy);
        if (!problem)
                for (size_t i = 0; i < w->n_tasks; i++) {
                        WatchedTask *t = w->tasks[i];
                        if (t->awaiting_credentials) {
                                t->awaiting_credentials = false;
                                queue_push(w, t);
                        }
                }
        if (w->pool)
                watcher_pump(w);
        watcher_status_changed(w);
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
                .allow_plain_http = c->allow_plain_http,
        };
        _cleanup_(http_pool_freep) HttpPool *pool = NULL;
        _cleanup_(ack_client_freep) AckClient *client = NULL;
        _cleanup_(freep) char *ca_file = NULL;
        int r;

        ca_file = strdup_or_null(c->ca_file);
        if (c->ca_file && !ca_file)
                return -ENOMEM;

        if (w->pool && pool_options_equal(&w->pool_options, &o)) {
                /* Calls in flight on the old client need nothing of it. */
                r = ack_client_new(&client, w->pool, c->endpoint);
                if (r < 0)
                        return r;
                ack_client_free(w->client);
                w->client = TAKE_PTR(client);
                return 0;
        }

        r = http_pool_new(&pool, w->event, &o);
        if (r < 0)
                return r;
        http_pool_set_on_capacity(pool, watcher_on_capacity, w);
        r = ack_client_new(&client, pool, c->endpoint);
        if (r < 0)
                return r;

        for (size_t i = 0; i < w->n_tasks; i++) {
                WatchedTask *t = w->tasks[i];
                if (t->call) {
                        ack_call_cancel(t->call);
                        t->call = NULL;
                        queue_push(w, t);
                }
        }
        ack_client_free(w->client);
        http_pool_free(w->pool);
        w->pool = TAKE_PTR(pool);
        w->client = TAKE_PTR(client);
        set_string(&w->ca_file, TAKE_PTR(ca_file));
        w->pool_options = o;
        w->pool_options.ca_file = w->ca_file;
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
        w->task_timeout = c->task_timeout;
        if (!w->limiter_ready) {
                rate_limiter_init(&w->limiter, c->max_requests_per_second, now_usec(CLOCK_MONOTONIC));
                w->limiter_ready = true;
        } else
                rate_limiter_set_max_rate(&w->limiter, c->max_requests_per_second, now_usec(CLOCK_MONOTONIC));

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
                task_persist_forget(t);
                task_free(t);
        }
        free(w->tasks);
        w->tasks = next;
        w->n_tasks = n;
        watcher_persist_prune(w);
        for (size_t i = 0; i < n; i++)
                if (!next[i]->restored) {
                        watcher_restore_pending(w);
                        break;
                }

        watcher_pump(w);
        watcher_status_changed(w);
        watcher_check_done(w);
        return 0;
}

/* ---- STUB (branch daemon): replaced by branch core's real plan/commit at merge ----------- */
struct WatcherPlan {
        const Config *config; /* borrowed: the caller keeps it until the commit */
};

int watcher_plan_config(Watcher *w, const Config *c, WatcherPlan **ret) {
        WatcherPlan *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        p->config = c;
        *ret = p;
        return 0;
}

void watcher_commit_config(Watcher *w, WatcherPlan *plan, bool is_reload) {
        /* Today's code can still fail here (out of memory); core's commit cannot. */
        (void) watcher_apply_config(w, plan->config, is_reload);
        watcher_plan_free(plan);
}

WatcherPlan *watcher_plan_free(WatcherPlan *p) {
        free(p);
        return NULL;
}
/* ---- end of STUB --------------------------------------------------------------------------- */

void watcher_set_exit_when_done(Watcher *w, bool enable) {
        w->exit_when_done = enable;
        watcher_check_done(w);
}

int watcher_outcome(const Watcher *w) {
        bool failed = false, lost = false, pending = false;

        for (size_t i = 0; i < w->n_tasks; i++) {
                const WatchedTask *t = w->tasks[i];
                TaskPhase p = t->tracker.now.phase;

                if (t->tracker.now.n_failed > 0 ||
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
