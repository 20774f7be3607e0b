/* A watched task's record in the store: restored when watching starts, saved after every
 * change, removed when the task is no longer watched.
 *
 * Saving happens after the events of a reply were emitted, never before: a crash between
 * the two repeats at most the events of that one reply after the restart (at least once),
 * where saving first could lose them (at most once). Alerting prefers a repeat to a loss. */
#include <errno.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "util/strutil.h"
#include "watcher-internal.h"

/* "<task>: <what>: <detail><after>" */
static void emit_state_event(WatchedTask *t, EventKind kind, const char *what, const char *detail,
                             const char *after) {
        Event e = EVENT_INIT(kind);

        e.task_id = t->tracker.task_id;
        e.error_message = detail;
        event_emitf(t->watcher->sink, &e, "%s: %s: %s%s", t->tracker.task_id, what, detail, after);
}

int task_persist_restore(WatchedTask *t) {
        Watcher *w = t->watcher;
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
        if (rec->last_error) {
                t->last_error = strdup(rec->last_error);
                if (!t->last_error)
                        return -ENOMEM;
        }
        /* The hook bookkeeping changes hands whole (task-hooks.c), when there is any. */
        if (rec->n_hooks_done == 0 && rec->n_hooks_pending == 0 && rec->n_hook_inputs == 0)
                return 1;
        if (!task_hooks_record(t))
                return -ENOMEM;
        t->hooks->hooks_done = TAKE_PTR(rec->hooks_done);
        t->hooks->n_hooks_done = rec->n_hooks_done;
        rec->n_hooks_done = 0;
        t->hooks->hooks_pending = TAKE_PTR(rec->hooks_pending);
        t->hooks->n_hooks_pending = rec->n_hooks_pending;
        rec->n_hooks_pending = 0;
        t->hooks->hook_inputs = TAKE_PTR(rec->hook_inputs);
        t->hooks->n_hook_inputs = rec->n_hook_inputs;
        rec->n_hook_inputs = 0;
        return 1;
}

/* Within this long of a save, what was saved is synced (task_store_sync()): the loss a
 * power cut can cause, against one syncfs() for a whole burst of saves. */
#define STATE_SYNC_DELAY (1 * USEC_PER_SEC)

static int persist_on_sync_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Watcher *w = userdata;
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

static int persist_sync_soon(Watcher *w) {
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
        Watcher *w = t->watcher;
        TaskRecord rec;
        int r;

        if (!w->store || !t->dirty)
                return;

        r = task_record_init(&rec, t->tracker.task_id);
        if (r >= 0)
                r = task_record_from_tracker(&rec, &t->tracker);
        if (r >= 0)
                r = task_record_set_last_error(&rec, t->last_error);
        if (r >= 0 && t->hooks) {
                /* Borrowed for the save; handed back before the record is freed. */
                rec.hooks_done = t->hooks->hooks_done;
                rec.n_hooks_done = t->hooks->n_hooks_done;
                rec.hooks_pending = t->hooks->hooks_pending;
                rec.n_hooks_pending = t->hooks->n_hooks_pending;
                rec.hook_inputs = t->hooks->hook_inputs;
                rec.n_hook_inputs = t->hooks->n_hook_inputs;
        }
        if (r >= 0) {
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
        /* Handed back: the record must not free what it borrowed. */
        rec.hooks_done = NULL;
        rec.n_hooks_done = 0;
        rec.hooks_pending = NULL;
        rec.n_hooks_pending = 0;
        rec.hook_inputs = NULL;
        rec.n_hook_inputs = 0;
        task_record_done(&rec);

        if (r < 0) {
                /* Report the first failure of a run of them, not every poll's. */
                if (!t->save_failed)
                        emit_state_event(t, EVENT_STATE_SAVE_FAILED, "cannot save the task's state",
                                         strerror(-r),
                                         "; watching goes on, but a restart may report recent transitions again");
                t->save_failed = true;
                return;
        }
        t->save_failed = false;
        t->dirty = false;
}

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
                        (void) task_start(w->tasks[w->restore_cursor]);
        w->restore_failed = false;
        scheduler_pump(w->scheduler);
        watcher_status_changed(w);
        watcher_check_done(w);
}

static int persist_on_restore_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Watcher *w = userdata;
        usec_t start = now_usec(CLOCK_MONOTONIC);

        while (w->restore_cursor < w->n_tasks) {
                WatchedTask *t = w->tasks[w->restore_cursor++];

                if (!t->restored && task_start(t) < 0)
                        w->restore_failed = true;
                if (now_usec(CLOCK_MONOTONIC) - start >= RESTORE_SLICE)
                        break;
        }
        scheduler_pump(w->scheduler);
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

void task_persist_forget(WatchedTask *t) {
        Watcher *w = t->watcher;

        if (w->store && task_store_remove(w->store, t->tracker.task_id) > 0 &&
            persist_sync_soon(w) < 0)
                (void) task_store_sync(w->store);
}

/* Records of tasks the configuration no longer lists: left from an earlier run, they would
 * show up in `taskwatch status` as watched. */
void watcher_persist_prune(Watcher *w) {
        _cleanup_(strv_freep) char **ids = NULL;

        if (!w->store || task_store_list(w->store, &ids) < 0)
                return;
        for (char **id = ids; *id; id++)
                if (!watcher_find(w, *id))
                        (void) task_store_remove(w->store, *id);
}
