/* The watcher: the set of watched tasks, the configuration applied to them, the pool and
 * scheduler they share, and whether it is time to exit. */
#include <errno.h>
#include <string.h>

#include "task-hooks.h"
#include "task-persist.h"
#include "util/strutil.h"
#include "watcher-private.h"

void watcher_check_done(Watcher *w) {
        if (!w->exit_when_done || w->exiting || w->n_tasks == 0 || w->ctx.n_done < w->n_tasks)
                return;
        /* The last transitions' hooks (the page for a failure) are why some run at all. */
        if (w->ctx.n_hooks_running > 0)
                return;
        w->exiting = true;
        watcher_update_status(w);
        (void) sd_event_exit(w->event, watcher_outcome(w));
}

WatchedTask *watcher_find(const Watcher *w, const char *id) {
        if (w->n_tasks == 0)
                return NULL; /* tasks may be NULL, which bsearch must not see */
        WatchedTask **t = bsearch(id, w->tasks, w->n_tasks, sizeof(*w->tasks), watched_task_compare_id);
        return t ? *t : NULL;
}

/* ---- restoring the tasks from the store ------------------------------------------------- */

/* Restoring stops after this long and goes on in the next loop iteration, so that polls,
 * signals and the watchdog are served meanwhile; and a restore that failed for want of
 * memory or file descriptors is tried again after RESTORE_RETRY. */
#define RESTORE_SLICE (10 * USEC_PER_MSEC)
#define RESTORE_RETRY (1 * USEC_PER_SEC)

static int restore_arm(Watcher *w, usec_t delay);

/* No timer to go on with: the rest now, as a daemon without slices would have at start. */
static void restore_rest_now(Watcher *w) {
        for (; w->restore_cursor < w->n_tasks; w->restore_cursor++)
                if (!w->tasks[w->restore_cursor]->restored)
                        (void) watched_task_start(w->tasks[w->restore_cursor]);
        w->restore_failed = false;
        scheduler_pump(w->ctx.scheduler);
        watcher_status_changed(w);
        watcher_check_done(w);
}

static int persist_on_restore_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Watcher *w = userdata;
        usec_t start = now_usec(CLOCK_MONOTONIC);

        while (w->restore_cursor < w->n_tasks) {
                WatchedTask *t = w->tasks[w->restore_cursor++];

                if (!t->restored && watched_task_start(t) < 0)
                        w->restore_failed = true;
                if (now_usec(CLOCK_MONOTONIC) - start >= RESTORE_SLICE)
                        break;
        }
        scheduler_pump(w->ctx.scheduler);
        watcher_status_changed(w);
        if (w->restore_cursor < w->n_tasks) {
                if (restore_arm(w, 0) < 0)
                        restore_rest_now(w);
                return 0;
        }
        if (w->restore_failed) {
                w->restore_failed = false;
                w->restore_cursor = 0;
                if (restore_arm(w, RESTORE_RETRY) < 0)
                        restore_rest_now(w);
                return 0;
        }
        watcher_check_done(w);
        return 0;
}

static int restore_arm(Watcher *w, usec_t delay) {
        int r;

        if (!w->restore_timer)
                return sd_event_add_time_relative(w->event, &w->restore_timer, CLOCK_MONOTONIC,
                                                  delay, 1, persist_on_restore_timer, w);
        r = sd_event_source_set_time_relative(w->restore_timer, delay);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->restore_timer, SD_EVENT_ONESHOT);
        return r;
}

void watcher_restore_pending(Watcher *w) {
        w->restore_cursor = 0;
        if (restore_arm(w, 0) < 0)
                restore_rest_now(w);
}

/* Records of tasks the configuration no longer lists: left from an earlier run, they would
 * show up in `taskwatch status` as watched. */
void watcher_persist_prune(Watcher *w) {
        _cleanup_(strv_freep) char **ids = NULL;

        if (!w->ctx.store || task_store_list(w->ctx.store, &ids) < 0)
                return;
        usec_t now = now_usec(CLOCK_REALTIME), written;

        for (char **id = ids; *id; id++) {
                if (watcher_find(w, *id))
                        continue;
                /* Kept for the retention after the task left (its last write); one whose
                 * time cannot be read is kept, as the safe side of a repeat. */
                if (w->ctx.removed_retention == USEC_INFINITY ||
                    (w->ctx.removed_retention > 0 &&
                     (task_store_written(w->ctx.store, *id, &written) < 0 ||
                      (written <= now && now - written < w->ctx.removed_retention)) ))
                        continue;
                (void) task_store_remove(w->ctx.store, *id);
        }
}

/* ---- the watcher ------------------------------------------------------------------------ */

/* A task changed what STATUS= shows, or may be the last to be done. */
static void watcher_on_task_changed(WatchContext *ctx) {
        Watcher *w = container_of(ctx, Watcher, ctx);

        watcher_status_changed(w);
        watcher_check_done(w);
}

static void watcher_on_hooks_done(HookRunner *r, const char *event_key, const HookOutcome *o,
                                  void *submission, void *userdata) {
        Watcher *w = userdata;
        WatchedTask *t = submission; /* NULL: removed by a reload meanwhile, nothing to record */

        if (w->ctx.n_hooks_running > 0)
                w->ctx.n_hooks_running--;
        if (t)
                task_hooks_finished(t, event_key, o);
        watcher_check_done(w);
}

/* May a due poll start: a free connection, and credentials to sign it with. Without them
 * the polls wait in order, no budget is spent, and watcher_credentials_changed() says when
 * they are back (the credential layer reports why they are not). */
static bool watcher_on_ready(void *userdata) {
        Watcher *w = userdata;

        if (!w->ctx.poller || !poller_has_capacity(w->ctx.poller))
                return false;
        w->ctx.ready_credentials = w->get_credentials(w->credentials_userdata);
        if (!w->ctx.ready_credentials) {
                if (!w->awaiting_credentials) {
                        w->awaiting_credentials = true;
                        watcher_status_changed(w);
                }
                return false;
        }
        if (w->awaiting_credentials) { /* back before watcher_credentials_changed() said so */
                w->awaiting_credentials = false;
                watcher_status_changed(w);
        }
        return true;
}

void watcher_on_capacity(void *userdata) {
        Watcher *w = userdata;

        scheduler_pump(w->ctx.scheduler);
}

int watcher_new(Watcher **ret, sd_event *event, EventSink *sink, CredentialsGetter get_credentials,
                void *userdata) {
        _cleanup_(watcher_freep) Watcher *w = NULL;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->event = sd_event_ref(event);
        w->ctx.event = event;
        w->ctx.sink = sink;
        w->ctx.task_timeout = USEC_INFINITY;
        w->ctx.hook_retry_delay = USEC_PER_SEC;
        w->ctx.removed_retention = CONFIG_REMOVED_RETENTION_DEFAULT;
        w->ctx.on_task_changed = watcher_on_task_changed;
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

        r = scheduler_new(&w->ctx.scheduler, event, watcher_on_ready, watched_task_on_due, w);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(w);
        return 0;
}

Watcher *watcher_free(Watcher *w) {
        if (!w)
                return NULL;
        if (w->ctx.hooks)
                hook_runner_set_on_done(w->ctx.hooks, NULL, NULL);
        for (size_t i = 0; i < w->n_tasks; i++)
                watched_task_free(w->tasks[i]);
        free(w->tasks);
        scheduler_free(w->ctx.scheduler);
        poller_free(w->ctx.poller);
        sd_event_source_disable_unref(w->restore_timer);
        sd_event_source_disable_unref(w->ctx.sync_timer);
        task_store_free(w->ctx.store); /* syncs what the timer had yet to */
        sd_event_source_disable_unref(w->status_timer);
        sd_event_source_disable_unref(w->runtime_timer);
        sd_event_unref(w->event);
        free(w->ctx.last_error);
        api_outage_done(&w->ctx);
        free(w->status_text);
        free(w->runtime_file);
        free(w->credentials_problem);
        free(w);
        return NULL;
}

void watcher_set_store(Watcher *w, TaskStore *store) {
        task_store_free(w->ctx.store);
        w->ctx.store = store;
}

int watcher_set_hook_runner(Watcher *w, HookRunner *r) {
        if (w->ctx.hooks)
                hook_runner_set_on_done(w->ctx.hooks, NULL, NULL);
        w->ctx.hooks = r;
        if (r)
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
        scheduler_pump(w->ctx.scheduler);
        watcher_status_changed(w);
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
        return w->ctx.n_done;
}

void watcher_set_ack_observer(Watcher *w, AckObserver f, void *userdata) {
        w->ctx.ack_observer = f;
        w->ctx.ack_observer_userdata = userdata;
}

/* ---- reading the tasks, for the daemon's metrics --------------------------------------- */

static void task_view(const WatchedTask *t, WatcherTaskView *v) {
        const TaskSnapshot *s = &t->tracker.now;

        *v = (WatcherTaskView) {
                .id = t->tracker.task_id,
                .state = t->lost ? "not-found"
                       : !t->tracker.have_baseline ? "waiting"
                       : task_phase_to_string(s->phase),
                .task_type = s->task_type,
                .cluster_id = s->cluster_id,
                .source = "config", /* the only source until cluster-wide watching lands */
                .terminal = t->done,
                .first_seen = t->first_seen,
                .state_since = t->state_since,
                .n_pending = s->n_pending,
                .n_succeeded = s->n_succeeded,
                .n_failed = s->n_failed,
        };
}

void watcher_foreach_task(const Watcher *w, WatcherTaskVisit f, void *userdata) {
        WatcherTaskView v;

        for (size_t i = 0; i < w->n_tasks; i++) {
                task_view(w->tasks[i], &v);
                f(&v, userdata);
        }
}

int watcher_task_view(const Watcher *w, const char *id, WatcherTaskView *ret) {
        const WatchedTask *t = watcher_find(w, id);

        if (!t)
                return -ENOENT;
        task_view(t, ret);
        return 0;
}

double watcher_budget_rate(const Watcher *w) {
        return scheduler_budget(w->ctx.scheduler)->rate;
}
