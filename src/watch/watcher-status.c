/* STATUS=: a one-line summary of every task, rebuilt at most twice a second. */
#include "report/notify.h"
#include "util/strutil.h"
#include "watcher-private.h"

void watcher_update_status(Watcher *w) {
        size_t running = 0, paused = 0, waiting = 0, succeeded = 0, failed = 0, canceled = 0, lost = 0;
        size_t ok = 0, bad = 0, pending = 0;
        _cleanup_(strbuf_clear) StrBuf b = {};

        for (size_t i = 0; i < w->n_tasks; i++) {
                const WatchedTask *t = w->tasks[i];
                const TaskSnapshot *k = &t->tracker.now;

                ok += k->n_succeeded;
                bad += k->n_failed;
                pending += k->n_pending;
                if (t->lost)
                        lost++;
                else if (!t->tracker.have_baseline)
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

        /* First, because nothing else moves until it is solved. Never a secret: the
         * credential layer words it. */
        if (w->credentials_problem)
                (void) strbuf_appendf(&b, "Polling paused, waiting for credentials: %s; ",
                                      w->credentials_problem);
        /* Next, because every task it counts is stuck on it. */
        api_outage_append_status(&w->ctx, &b);
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
        if (w->ctx.last_error)
                (void) strbuf_appendf(&b, "; last error: %s", w->ctx.last_error);

        /* The same text again tells systemd nothing, and every datagram is a write into
         * PID 1's queue (a full queue would block us). */
        if (b.data && !streq_ptr(b.data, w->status_text)) {
                (void) notify_status(b.data);
                free(w->status_text);
                w->status_text = strbuf_steal(&b);
        }
        w->status_sent = now_usec(CLOCK_MONOTONIC);
        watcher_write_runtime_status(w, false);
}

int watcher_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        watcher_update_status(userdata);
        return 0;
}

void watcher_status_changed(Watcher *w) {
        int enabled = SD_EVENT_OFF;

        (void) sd_event_source_get_enabled(w->status_timer, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        (void) sd_event_source_set_time(w->status_timer, w->status_sent + STATUS_INTERVAL);
        (void) sd_event_source_set_enabled(w->status_timer, SD_EVENT_ONESHOT);
}
