/* A watched task's record in the store: restored when watching starts, saved after every
 * change, removed when the task is no longer watched.
 *
 * Saving happens after the events of a reply were emitted, never before: a crash between
 * the two repeats at most the events of that one reply after the restart (at least once),
 * where saving first could lose them (at most once). Alerting prefers a repeat to a loss. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "util/strutil.h"
#include "task-persist.h"

/* "<task>: <what>: <detail><after>" */
static void emit_state_event(WatchedTask *t, EventKind kind, const char *what, const char *detail,
                             const char *after) {
        Event e = EVENT_INIT(kind);

        e.task_id = t->tracker.task_id;
        e.error_message = detail;
        event_emitf(t->ctx->sink, &e, "%s: %s: %s%s", t->tracker.task_id, what, detail, after);
}

int task_persist_restore(WatchedTask *t) {
        WatchContext *w = t->ctx;
        _cleanup_(task_record_freep) TaskRecord *rec = NULL;
        _cleanup_(freep) char *reason = NULL;
        int r;

        t->first_seen = now_usec(CLOCK_REALTIME);
        if (!w->store)
                return 0;

        r = task_store_load(w->store, t->tracker.task_id, &rec, &reason);
        if (r == -ENOENT)
                return 0;
        if (r == -EBADMSG) {
                emit_state_event(t, EVENT_STATE_DISCARDED, "saved state discarded, watching afresh",
                                 reason ?: "unreadable", "");
                t->dirty = true;
                return 0;
        }
        if (r < 0)
                return r;

        r = task_tracker_restore(&t->tracker, rec);
        if (r == -EINVAL) {
                emit_state_event(t, EVENT_STATE_DISCARDED, "saved state discarded, watching afresh",
                                 "the record does not match the task", "");
                t->dirty = true;
                return 0;
        }
        if (r < 0)
                return r;

        t->lost = rec->lost;
        t->timeout_reported = rec->timeout_reported;
        if (rec->first_seen > 0)
                t->first_seen = rec->first_seen;
        t->state_since = rec->state_since;
        t->last_poll = rec->last_poll; /* else the next save writes "never" */
        if (rec->last_error) {
                t->last_error = strdup(rec->last_error);
                if (!t->last_error)
                        return -ENOMEM;
        }
        /* The hook ledger changes hands whole, when there is anything in it. */
        if (!hook_ledger_is_empty(rec->own_hooks))
                t->hooks = TAKE_PTR(rec->own_hooks);
        return 1;
}

/* Within this long of a save, what was saved is synced (task_store_sync()): the loss a
 * power cut can cause, against one syncfs() for a whole burst of saves. */
#define STATE_SYNC_DELAY (1 * USEC_PER_SEC)

static int persist_on_sync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        WatchContext *w = userdata;
        int r;

        r = task_store_sync(w->store);
        if (r < 0 && !w->sync_failed) {
                Event e = EVENT_INIT(EVENT_STATE_SAVE_FAILED);

                e.error_message = strerror(-r);
                event_emitf(w->sink, &e, "%s: cannot sync the saved task states: %s; watching goes on "
                            "and the sync is tried after the next save, but after a power loss "
                            "recent transitions may be reported again: check that file system "
                            "(free space, I/O errors in the kernel log)",
                            task_store_path(w->store), strerror(-r));
        }
        w->sync_failed = r < 0;
        return 0;
}

static int persist_sync_soon(WatchContext *w) {
        int enabled = SD_EVENT_OFF;

        if (!w->sync_timer)
                return sd_event_add_time_relative(w->event, &w->sync_timer, CLOCK_MONOTONIC,
                                                  STATE_SYNC_DELAY, STATE_SYNC_DELAY / 4,
                                                  persist_on_sync_timer, w);
        if (sd_event_source_get_enabled(w->sync_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                return 0; /* a sync is planned: it covers this save too */
        if (sd_event_source_set_time_relative(w->sync_timer, STATE_SYNC_DELAY) < 0)
                return -ENOMEM;
        return sd_event_source_set_enabled(w->sync_timer, SD_EVENT_ONESHOT);
}

void task_persist_save(WatchedTask *t) {
        WatchContext *w = t->ctx;
        TaskRecord rec;
        int r;

        if (!w->store || !t->dirty)
                return;

        r = task_record_init(&rec, t->tracker.task_id);
        if (r >= 0)
                r = task_record_from_tracker(&rec, &t->tracker);
        if (r >= 0)
                r = task_record_set_last_error(&rec, t->last_error);
        if (r >= 0) {
                rec.hooks = t->hooks; /* only read */
                rec.lost = t->lost;
                rec.timeout_reported = t->timeout_reported;
                rec.first_seen = t->first_seen;
                rec.state_since = t->state_since;
                rec.last_poll = t->last_poll;
                r = task_store_save(w->store, &rec);
        }
        /* Hook bookkeeping is what runs a hook exactly once: synced at once, not within a
         * second, and the fallback when no sync can be planned. */
        if (r >= 0 && (t->hooks || persist_sync_soon(w) < 0))
                r = task_store_sync(w->store);
        task_record_done(&rec);

        if (r < 0) {
                /* Report the first failure of a run of them, not every poll's. */
                char detail[192];

                if (r == -E2BIG) /* "Argument list too long" says nothing of what is */
                        snprintf(detail, sizeof(detail),
                                 "the record is too large: %zu instances (at most %u), %zu hook runs "
                                 "done and %zu pending (at most %u each)",
                                 t->tracker.now.n_instances, TASK_STORE_MAX_INSTANCES,
                                 t->hooks ? t->hooks->n_done : 0, t->hooks ? t->hooks->n_pending : 0,
                                 TASK_STORE_MAX_HOOKS);
                else
                        snprintf(detail, sizeof(detail), "%s", strerror(-r));
                if (!t->save_failed)
                        emit_state_event(t, EVENT_STATE_SAVE_FAILED, "cannot save the task's state",
                                         detail,
                                         "; watching goes on, but a restart may report recent transitions again");
                t->save_failed = true;
                return;
        }
        t->save_failed = false;
        t->dirty = false;
}

void task_persist_forget(WatchedTask *t) {
        WatchContext *w = t->ctx;

        if (!w->store)
                return;
        if (w->removed_retention == 0) {
                if (task_store_remove(w->store, t->tracker.task_id) > 0 && persist_sync_soon(w) < 0)
                        (void) task_store_sync(w->store);
                return;
        }
        /* Kept for RemovedRetention=, written now so that its age counts from now: a task
         * added back (a drop-in emptied and restored, remove then add) finds what it had
         * reported, and reports it not again. watcher_persist_prune() deletes it later. */
        t->dirty = true;
        task_persist_save(t);
}
