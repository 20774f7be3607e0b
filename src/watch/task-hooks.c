/* Hooks for a task's transitions, exactly once: each event key of a task is submitted once,
 * kept pending in the task's record until its hooks have run, and submitted again by a
 * restarted daemon when they had not (a restart does not emit that transition again).
 *
 * The pending run is saved with the reply's other changes, before the event loop next turns
 * and so before any hook starts; it moves to hooks_done, and is saved again, when the last of
 * its hooks has finished, whatever the exit status: a hook that ran is never run again, and
 * one cut off by a stop or a crash runs again in full. */
#include <errno.h>
#include <string.h>

#include "watcher-internal.h"

TaskRecord *task_hooks_record(WatchedTask *t) {
        if (!t->hooks) {
                t->hooks = calloc(1, sizeof(*t->hooks));
                if (t->hooks)
                        t->hooks->snapshot.phase = TASK_PHASE_UNKNOWN;
        }
        return t->hooks;
}

static bool hook_done(const WatchedTask *t, const char *key) {
        return t->hooks && task_record_hook_done(t->hooks, key);
}

static bool hook_pending(const WatchedTask *t, const char *key) {
        return t->hooks && task_record_hook_pending(t->hooks, key);
}

/* Returns what hook_runner_submit() does; counts what the runner will report back. */
static int task_hooks_submit(WatchedTask *t, const Event *e, const char *key, const char *json) {
        Watcher *w = t->watcher;
        int n;

        n = hook_runner_submit(w->hooks, e, key, json, json ? strlen(json) : 0, t);
        if (n > 0)
                w->n_hooks_running++;
        return n;
}

void watcher_on_event(const Event *e, void *userdata) {
        Watcher *w = userdata;
        _cleanup_(freep) char *key = NULL;
        const char *json = NULL;
        WatchedTask *t;
        int n;

        if (!w->hooks || !e->task_id || hook_triggers_for_event(e) == 0)
                return;
        if (w->applying && streq_ptr(w->applying->tracker.task_id, e->task_id)) {
                t = w->applying;
                json = w->applying_body;
        } else
                t = watcher_find(w, e->task_id);
        if (!t || hook_event_key(e, &key) < 0)
                return;
        if (hook_done(t, key) || hook_pending(t, key))
                return; /* ran already (before a restart, say), or running */

        n = task_hooks_submit(t, e, key, json);
        if (n <= 0)
                return; /* no hook for this event; or out of memory, and nothing to record */
        /* Should this fail (out of memory, too many pending), the hooks still run once now;
         * only a restart before they finish would not run them again. */
        if (task_hooks_record(t) && task_record_add_hook_pending(t->hooks, key, e, json) > 0)
                t->dirty = true; /* saved once the whole reply is applied */
}

void watcher_on_hooks_done(HookRunner *r, const char *event_key, const HookOutcome *o,
                           void *submission, void *userdata) {
        Watcher *w = userdata;
        WatchedTask *t = submission; /* NULL: watched_task_free() made the runner forget it */

        if (w->n_hooks_running > 0)
                w->n_hooks_running--;
        /* A task removed by a reload meanwhile has no record left to update. */
        if (t && task_hooks_record(t)) {
                (void) task_record_finish_hook(t->hooks, event_key);
                t->dirty = true;
                task_persist_save(t);
        }
        watcher_check_done(w);
}

void task_hooks_resume(WatchedTask *t) {
        Watcher *w = t->watcher;
        size_t i = 0;

        if (!w->hooks || !t->hooks)
                return; /* they stay pending for a daemon that runs hooks; or none are */

        while (i < t->hooks->n_hooks_pending) {
                const TaskPendingHook *p = &t->hooks->hooks_pending[i];
                _cleanup_(freep) char *key = strdup(p->key); /* p goes when it is finished */
                Event e;
                int n;

                if (!key)
                        return; /* the rest stay pending, for the next start */
                if (task_record_hook_done(t->hooks, key))
                        n = 0;
                else if (task_pending_hook_to_event(p, t->tracker.task_id, &e) < 0)
                        n = 0; /* a kind this release does not know: nothing would run */
                else
                        n = task_hooks_submit(t, &e, key, task_record_hook_input(t->hooks, p));
                if (n != 0) {
                        i++; /* running again; or out of memory: left for the next start */
                        continue;
                }
                /* Nothing to run now (its hooks were removed from the configuration, say): it
                 * is as good as done. This moves the entry out, so i stays. */
                if (task_record_finish_hook(t->hooks, key) < 0 &&
                    task_record_hook_pending(t->hooks, key))
                        i++;
                t->dirty = true;
        }
}
