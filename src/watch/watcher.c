/* The watcher: the set of watched tasks, the configuration applied to them, the pool and
 * scheduler they share, and whether it is time to exit. */
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

/* May a due poll start: a free connection, and credentials to sign it with. Without them
 * the polls wait in order, no budget is spent, and watcher_credentials_changed() says when
 * they are back (the credential layer reports why they are not). */
static bool watcher_on_ready(void *userdata) {
        Watcher *w = userdata;

        if (!w->pool || !http_pool_has_capacity(w->pool))
                return false;
        w->ready_credentials = w->get_credentials(w->credentials_userdata);
        if (!w->ready_credentials) {
                if (!w->awaiting_credentials) {
                        w->awaiting_credentials = true;
                        watcher_status_changed(w);
                }
                return false;
        }
        return true;
}

static void watcher_on_capacity(void *userdata) {
        Watcher *w = userdata;

        scheduler_pump(w->scheduler);
}

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

        r = sd_event_add_time(event, &w->runtime_timer, CLOCK_MONOTONIC, 0, 50 * USEC_PER_MSEC,
                              watcher_on_runtime_timer, w);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(w->runtime_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(w->runtime_timer, "runtime-status");

        r = scheduler_new(&w->scheduler, event, watcher_on_ready, watched_task_on_due, w);
        if (r < 0)
                return r;

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
                watched_task_free(w->tasks[i]);
        free(w->tasks);
        scheduler_free(w->scheduler);
        http_pool_free(w->pool);
        sd_event_source_disable_unref(w->restore_timer);
        sd_event_source_disable_unref(w->sync_timer);
        task_store_free(w->store); /* syncs what the timer had yet to */
        sd_event_source_disable_unref(w->status_timer);
        sd_event_source_disable_unref(w->runtime_timer);
        sd_event_unref(w->event);
        free(w->ca_file);
        free(w->endpoint);
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
        free_and_replace(&w->credentials_problem, copy);
        if (!problem)
                w->awaiting_credentials = false;
        scheduler_pump(w->scheduler);
        watcher_status_changed(w);
}

/* ---- a configuration: planned (what can fail), then committed (what cannot) ------------- */

struct WatcherPlan {
        HttpPool *pool;             /* a new pool, or NULL: the running one stays */
        HttpPoolOptions pool_options;
        char *ca_file;              /* pool_options.ca_file points here */
        char *endpoint;
        BackoffPolicy backoff;
        usec_t task_timeout;
        double max_rate;
        WatchedTask **tasks;        /* the new set, sorted by id: running tasks kept, and */
        size_t n_tasks;
        WatchedTask **added;        /* the new ones, owned by the plan until committed */
        size_t n_added;
};

WatcherPlan *watcher_plan_free(WatcherPlan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_added; i++)
                watched_task_free(p->added[i]);
        free(p->added);
        free(p->tasks);
        http_pool_free(p->pool);
        free(p->ca_file);
        free(p->endpoint);
        free(p);
        return NULL;
}

static bool pool_options_equal(const HttpPoolOptions *a, const HttpPoolOptions *b) {
        return a->max_connections == b->max_connections && a->timeout == b->timeout &&
               a->max_body == b->max_body && a->allow_plain_http == b->allow_plain_http &&
               streq_ptr(a->ca_file, b->ca_file);
}

/* A new endpoint or TLS setting takes a new pool, made here; the running one is replaced
 * only by watcher_commit_config(). */
static int plan_http(Watcher *w, const Config *c, WatcherPlan *p) {
        p->endpoint = strdup(c->endpoint);
        p->ca_file = strdup_or_null(c->ca_file);
        if (!p->endpoint || (c->ca_file && !p->ca_file))
                return -ENOMEM;
        p->pool_options = (HttpPoolOptions) {
                .max_connections = c->max_connections,
                .timeout = c->request_timeout,
                .ca_file = p->ca_file,
                .max_body = TASK_INFO_MAX_BODY,
                .allow_plain_http = strncmp(c->endpoint, "http://", 7) == 0,
        };
        if (w->pool && pool_options_equal(&w->pool_options, &p->pool_options))
                return 0;
        return http_pool_new(&p->pool, w->event, &p->pool_options);
}

static int compare_task_ptr(const void *a, const void *b) {
        return strcmp((*(WatchedTask *const *) a)->tracker.task_id,
                      (*(WatchedTask *const *) b)->tracker.task_id);
}

static int plan_tasks(Watcher *w, const Config *c, WatcherPlan *p) {
        int r;

        p->tasks = calloc(c->n_tasks ? c->n_tasks : 1, sizeof(*p->tasks));
        p->added = calloc(c->n_tasks ? c->n_tasks : 1, sizeof(*p->added));
        if (!p->tasks || !p->added)
                return -ENOMEM;
        /* Every task has its place in the heap of planned polls from now on, so that planning
         * a poll cannot fail (a task never silently loses its next poll). */
        r = scheduler_reserve(w->scheduler, c->n_tasks);
        if (r < 0)
                return r;

        for (size_t i = 0; i < c->n_tasks; i++) {
                WatchedTask *t = watcher_find(w, c->tasks[i]);
                if (!t) {
                        r = watched_task_new(&t, w, c->tasks[i]);
                        if (r < 0)
                                return r;
                        p->added[p->n_added++] = t;
                }
                p->tasks[p->n_tasks++] = t;
        }
        qsort(p->tasks, p->n_tasks, sizeof(*p->tasks), compare_task_ptr);
        return 0;
}

int watcher_plan_config(Watcher *w, const Config *c, WatcherPlan **ret) {
        _cleanup_(watcher_plan_freep) WatcherPlan *p = NULL;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->backoff = (BackoffPolicy) { .min_interval = c->min_interval, .max_interval = c->max_interval };
        p->task_timeout = c->task_timeout;
        p->max_rate = c->max_requests_per_second;

        r = plan_http(w, c, p);
        if (r < 0)
                return r;
        r = plan_tasks(w, c, p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

/* Polls in flight on the old pool are abandoned and sent again at once, so no task loses
 * its turn. */
static void commit_http(Watcher *w, WatcherPlan *p) {
        free_and_replace(&w->endpoint, TAKE_PTR(p->endpoint));
        if (!p->pool)
                return;
        http_pool_set_on_capacity(p->pool, watcher_on_capacity, w);
        for (size_t i = 0; i < w->n_tasks; i++) {
                WatchedTask *t = w->tasks[i];
                if (t->request) {
                        http_request_cancel(t->request);
                        t->request = NULL;
                        scheduler_enqueue(w->scheduler, &t->sched);
                }
        }
        http_pool_free(w->pool);
        w->pool = TAKE_PTR(p->pool);
        free_and_replace(&w->ca_file, TAKE_PTR(p->ca_file));
        w->pool_options = p->pool_options;
        w->pool_options.ca_file = w->ca_file;
}

static void emit_membership(Watcher *w, EventKind kind, const char *id) {
        Event e = EVENT_INIT(kind);

        e.task_id = id;
        event_emitf(w->sink, &e, "%s: %s", id,
                    kind == EVENT_TASK_ADDED ? "now watched (added by reload)" : "no longer watched (removed by reload)");
}

void watcher_commit_config(Watcher *w, WatcherPlan *p, bool is_reload) {
        _cleanup_(watcher_plan_freep) WatcherPlan *plan = p;
        WatchedTask **old = w->tasks;
        size_t n_old = w->n_tasks;

        commit_http(w, plan);
        w->backoff = plan->backoff;
        w->task_timeout = plan->task_timeout;
        scheduler_set_max_rate(w->scheduler, plan->max_rate);

        w->tasks = TAKE_PTR(plan->tasks);
        w->n_tasks = plan->n_tasks;
        plan->n_tasks = 0;
        for (size_t i = 0; i < plan->n_added; i++)
                if (is_reload)
                        emit_membership(w, EVENT_TASK_ADDED, plan->added[i]->tracker.task_id);
        for (size_t i = 0; i < n_old; i++) {
                WatchedTask *t = old[i];
                if (watcher_find(w, t->tracker.task_id))
                        continue;
                if (is_reload)
                        emit_membership(w, EVENT_TASK_REMOVED, t->tracker.task_id);
                task_persist_forget(t);
                watched_task_free(t);
        }
        free(old);

        watcher_persist_prune(w);
        /* With a store, the watcher restores its tasks after READY=1, in slices of the
         * loop (watcher_restore_pending()): reading 10 000 records takes ~0.3 s. */
        if (w->store) {
                if (plan->n_added > 0)
                        watcher_restore_pending(w);
        } else
                for (size_t i = 0; i < plan->n_added; i++)
                        (void) task_start(plan->added[i]); /* nothing to restore: cannot fail */
        plan->n_added = 0; /* they are the watcher's now */

        scheduler_pump(w->scheduler);
        watcher_status_changed(w);
        watcher_check_done(w);
}

int watcher_apply_config(Watcher *w, const Config *c, bool is_reload) {
        WatcherPlan *p = NULL;
        int r;

        r = watcher_plan_config(w, c, &p);
        if (r < 0)
                return r;
        watcher_commit_config(w, p, is_reload);
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
