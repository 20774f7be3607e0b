/* Hooks for a task's transitions, exactly once: each event key of a task is submitted once,
 * kept pending in the task's record until its hooks have run, and submitted again by a
 * restarted daemon when they had not (a restart does not emit that transition again).
 *
 * The pending run is saved with the reply's other changes, before the event loop next turns
 * and so before any hook starts; it moves to hooks_done, and is saved again, when the last of
 * its hooks has finished, whatever the exit status: a hook that ran is never run again, and
 * one cut off by a stop or a crash runs again in full. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "task-hooks.h"
#include "task-persist.h"
#include "util/log.h"
#include "util/strutil.h"

static HookLedger *task_hooks_ledger(WatchedTask *t) {
        if (!t->hooks)
                (void) hook_ledger_new(&t->hooks);
        return t->hooks;
}

static bool hook_done(const WatchedTask *t, const char *key) {
        return t->hooks && hook_ledger_has_done(t->hooks, key);
}

static bool hook_pending(const WatchedTask *t, const char *key) {
        return t->hooks && hook_ledger_pending(t->hooks, key);
}

void task_hook_input_done(TaskHookInput *in) {
        in->buf = shared_buf_unref(in->buf);
}

/* Returns what hook_runner_submit() does; counts what the runner will report back. */
static int task_hooks_run(WatchedTask *t, const Event *e, const char *key, SharedBuf *input) {
        WatchContext *w = t->ctx;
        int n;

        n = hook_runner_submit_shared(w->hooks, e, key, input, t);
        if (n > 0)
                w->n_hooks_running++;
        return n;
}

/* Said for every run that could not be queued, so that none is lost without a word. */
static void task_hooks_report_unqueued(WatchedTask *t, const Event *e, const char *key, int error) {
        Event f = EVENT_INIT(EVENT_HOOK_FAILED);

        f.task_id = t->tracker.task_id;
        f.cluster_id = e->cluster_id;
        f.instance_id = e->instance_id;
        f.error_message = strerror(-error);
        event_emitf(t->ctx->sink, &f, "%s: the hooks of %s could not be queued: %s; they stay pending "
                    "and run when the daemon starts again",
                    t->tracker.task_id, key, strerror(-error));
}

void task_hooks_submit(WatchedTask *t, const Event *e, TaskHookInput *in) {
        _cleanup_(freep) char *key = NULL;
        int n, k;

        if (!t->ctx->hooks || !hook_runner_fires(t->ctx->hooks, e) || hook_event_key(e, &key) < 0)
                return;
        if (hook_done(t, key) || hook_pending(t, key))
                return; /* ran already (before a restart, say), or running */

        n = in->body && in->len > 0 && !in->buf ? shared_buf_new(&in->buf, in->body, in->len) : 0;
        if (n >= 0)
                n = task_hooks_run(t, e, key, in->buf);
        if (n == 0)
                return; /* no hook for this event */
        /* Recorded pending even when it could not be queued: a restart runs it. Should this
         * fail (out of memory, too many pending), the hooks still run once now; only a
         * restart before they finish would not run them again. */
        k = task_hooks_ledger(t) ? hook_ledger_add_pending_shared(t->hooks, key, e, in->buf) : -ENOMEM;
        if (k > 0)
                t->dirty = true; /* saved once the whole reply is applied */
        if (n < 0)
                task_hooks_report_unqueued(t, e, key, n);
}

/* One event whose hooks could not start: its attempts so far, and its timer. */
typedef struct HookRetry {
        WatchedTask *t;
        char *key;
        unsigned attempts;     /* retries submitted */
        sd_event_source *timer;
        struct HookRetry *next;
} HookRetry;

static HookRetry *retry_find(WatchedTask *t, const char *key) {
        for (HookRetry *r = t->hook_retries; r; r = r->next)
                if (streq_ptr(r->key, key))
                        return r;
        return NULL;
}

static void retry_drop(WatchedTask *t, HookRetry *r) {
        for (HookRetry **p = &t->hook_retries; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
                }
        sd_event_source_disable_unref(r->timer);
        free(r->key);
        free(r);
}

void task_hooks_forget_retries(WatchedTask *t) {
        while (t->hook_retries)
                retry_drop(t, t->hook_retries);
}

static int retry_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HookRetry *r = userdata;
        WatchedTask *t = r->t;
        const TaskPendingHook *p = t->hooks ? hook_ledger_pending(t->hooks, r->key) : NULL;
        Event e;

        r->timer = sd_event_source_disable_unref(r->timer);
        if (!p || !t->ctx->hooks || task_pending_hook_to_event(p, t->tracker.task_id, &e) < 0 ||
            task_hooks_run(t, &e, r->key, hook_ledger_input_buf(t->hooks, p)) <= 0)
                retry_drop(t, r); /* nothing to run any more; or out of memory: pending, for the next start */
        return 0;
}

/* Whether every run of o failed to start: only then is the event submitted again whole,
 * so that no hook that did start runs twice. */
static bool none_started(const HookOutcome *o) {
        if (!o || o->n_runs == 0)
                return false;
        for (size_t i = 0; i < o->n_runs; i++)
                if (o->runs[i].spawn_error >= 0)
                        return false;
        return true;
}

/* True when a retry is planned: the event stays pending. */
static bool retry_plan(WatchedTask *t, const char *key, const HookOutcome *o) {
        HookRetry *r = retry_find(t, key);
        usec_t delay;

        if (!none_started(o)) {
                if (r)
                        retry_drop(t, r);
                return false;
        }
        if (r && r->attempts >= TASK_HOOK_START_RETRIES) {
                log_warning("%s: the hooks of %s could not be started %u times; given up, recorded as run",
                            t->tracker.task_id, key, r->attempts + 1);
                retry_drop(t, r);
                return false;
        }
        if (!r) {
                r = calloc(1, sizeof(*r));
                if (!r || !(r->key = strdup(key))) {
                        free(r);
                        return false;
                }
                r->t = t;
                r->next = t->hook_retries;
                t->hook_retries = r;
        }
        delay = t->ctx->hook_retry_delay << (2 * r->attempts); /* 1 s, 4 s, 16 s */
        r->attempts++;
        if (sd_event_add_time_relative(t->ctx->event, &r->timer, CLOCK_MONOTONIC, delay, 0,
                                       retry_on_timer, r) < 0) {
                retry_drop(t, r);
                return true; /* stays pending: the next start runs it */
        }
        log_notice("%s: the hooks of %s could not be started; trying again in %llu ms (%u of %u)",
                   t->tracker.task_id, key, (unsigned long long) (delay / USEC_PER_MSEC), r->attempts,
                   TASK_HOOK_START_RETRIES);
        return true;
}

void task_hooks_finished(WatchedTask *t, const char *key, const HookOutcome *o) {
        if (!task_hooks_ledger(t))
                return;
        if (retry_plan(t, key, o))
                return;
        (void) hook_ledger_finish(t->hooks, key);
        t->dirty = true;
        task_persist_save(t);
}

void task_hooks_resume(WatchedTask *t) {
        WatchContext *w = t->ctx;
        size_t i = 0;

        if (!w->hooks || !t->hooks)
                return; /* they stay pending for a daemon that runs hooks; or none are */

        while (i < t->hooks->n_pending) {
                const TaskPendingHook *p = &t->hooks->pending[i];
                _cleanup_(freep) char *key = strdup(p->key); /* p goes when it is finished */
                Event e;
                int n;

                if (!key)
                        return; /* the rest stay pending, for the next start */
                if (hook_ledger_has_done(t->hooks, key))
                        n = 0;
                else if (task_pending_hook_to_event(p, t->tracker.task_id, &e) < 0)
                        n = 0; /* a kind this release does not know: nothing would run */
                else
                        n = task_hooks_run(t, &e, key, hook_ledger_input_buf(t->hooks, p));
                if (n != 0) {
                        i++; /* running again; or out of memory: left for the next start */
                        continue;
                }
                /* Nothing to run now (its hooks were removed from the configuration, say): it
                 * is as good as done. This moves the entry out, so i stays. */
                if (hook_ledger_finish(t->hooks, key) < 0 &&
                    hook_ledger_pending(t->hooks, key))
                        i++;
                t->dirty = true;
        }
}
