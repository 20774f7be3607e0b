/* A configuration applied to the watcher in two steps: the plan does everything that can
 * fail without touching the running watcher; the commit swaps it in and cannot fail. */
#include <errno.h>
#include <string.h>

#include "util/strutil.h"
#include "task-persist.h"
#include "watcher-private.h"

struct WatcherPlan {
        Poller *poller;             /* a new pool, or NULL: the running one stays */
        AckClient *client;          /* the running pool's client for a new endpoint, or NULL */
        BackoffPolicy backoff;
        usec_t task_timeout;
        usec_t removed_retention;
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
        poller_free(p->poller);
        ack_client_free(p->client);
        free(p);
        return NULL;
}

/* A new endpoint or TLS setting takes a new pool, made here; the running one is replaced
 * only by watcher_commit_config(). */
static int plan_poller(Watcher *w, const Config *c, WatcherPlan *p) {
        if (!w->ctx.poller || !poller_fits(w->ctx.poller, c))
                return poller_new(&p->poller, w->event, c, w->ctx.ack_observer, w->ctx.ack_observer_userdata);
        if (streq_ptr(poller_endpoint(w->ctx.poller), c->endpoint))
                return 0;
        /* A new endpoint alone: a new client on the same connections (which are then not
         * reused: another host) while calls in flight finish on the old one. */
        return poller_new_client(w->ctx.poller, c->endpoint, &p->client);
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
        r = scheduler_reserve(w->ctx.scheduler, c->n_tasks);
        if (r < 0)
                return r;

        for (size_t i = 0; i < c->n_tasks; i++) {
                WatchedTask *t = watcher_find(w, c->tasks[i]);
                if (!t) {
                        r = watched_task_new(&t, &w->ctx, c->tasks[i]);
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
        p->removed_retention = c->removed_retention;
        p->max_rate = c->max_requests_per_second;

        r = plan_poller(w, c, p);
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
static void commit_poller(Watcher *w, WatcherPlan *p) {
        if (p->poller) {
                poller_set_on_capacity(p->poller, watcher_on_capacity, w);
                for (size_t i = 0; i < w->n_tasks; i++)
                        watched_task_abandon_poll(w->tasks[i]);
                poller_free(w->ctx.poller);
                w->ctx.poller = TAKE_PTR(p->poller);
        } else if (p->client)
                poller_set_client(w->ctx.poller, TAKE_PTR(p->client));
}

static void emit_membership(Watcher *w, EventKind kind, const char *id) {
        Event e = EVENT_INIT(kind);

        e.task_id = id;
        event_emitf(w->ctx.sink, &e, "%s: %s", id,
                    kind == EVENT_TASK_ADDED ? "now watched (added by reload)" : "no longer watched (removed by reload)");
}

void watcher_commit_config(Watcher *w, WatcherPlan *p, bool is_reload) {
        _cleanup_(watcher_plan_freep) WatcherPlan *plan = p;
        WatchedTask **old = w->tasks;
        size_t n_old = w->n_tasks;

        commit_poller(w, plan);
        w->ctx.backoff = plan->backoff;
        w->ctx.task_timeout = plan->task_timeout;
        w->ctx.removed_retention = plan->removed_retention;
        scheduler_set_max_rate(w->ctx.scheduler, plan->max_rate);

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
        if (w->ctx.store) {
                if (plan->n_added > 0)
                        watcher_restore_pending(w);
        } else
                for (size_t i = 0; i < plan->n_added; i++)
                        (void) watched_task_start(plan->added[i]); /* nothing to restore: cannot fail */
        plan->n_added = 0; /* they are the watcher's now */

        scheduler_pump(w->ctx.scheduler);
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

