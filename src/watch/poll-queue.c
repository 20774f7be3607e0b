/* Due polls wait in a FIFO until the connection pool has room: a burst of due tasks is
 * sent in order as connections free up, never more at once than there are connections. */
#include "watcher-internal.h"

void queue_push(Watcher *w, WatchedTask *t) {
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

void queue_remove(Watcher *w, WatchedTask *t) {
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

static int watcher_on_rate_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        watcher_pump(userdata);
        return 0;
}

/* Wake up when the account-wide budget has a token again. */
static void watcher_pump_later(Watcher *w, usec_t wait) {
        usec_t when = now_usec(CLOCK_MONOTONIC) + wait;

        if (!w->rate_timer) {
                if (sd_event_add_time(w->event, &w->rate_timer, CLOCK_MONOTONIC, when, 1,
                                      watcher_on_rate_timer, w) < 0)
                        return; /* the next reply or timer pumps again */
                (void) sd_event_source_set_description(w->rate_timer, "rate-limit");
                return;
        }
        (void) sd_event_source_set_time(w->rate_timer, when);
        (void) sd_event_source_set_enabled(w->rate_timer, SD_EVENT_ONESHOT);
}

void watcher_pump(Watcher *w) {
        while (w->q_head && http_pool_has_capacity(w->pool)) {
                usec_t wait;

                if (w->q_head->call) { /* already in flight: its reply schedules it */
                        queue_pop(w);
                        continue;
                }
                if (!rate_limiter_take(&w->limiter, now_usec(CLOCK_MONOTONIC), &wait)) {
                        watcher_pump_later(w, wait);
                        return;
                }
                task_start_poll(queue_pop(w));
        }
}

void watcher_on_capacity(void *userdata) {
        watcher_pump(userdata);
}

