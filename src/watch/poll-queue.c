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

void watcher_pump(Watcher *w) {
        while (w->q_head && http_pool_has_capacity(w->pool)) {
                WatchedTask *t = queue_pop(w);
                if (!t->request)
                        task_start_poll(t);
        }
}

void watcher_on_capacity(void *userdata) {
        watcher_pump(userdata);
}

