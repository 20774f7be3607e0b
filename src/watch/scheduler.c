/* The scheduler: planned polls in a binary min-heap on next_poll behind one sd-event timer
 * (not a timer source per task, ~330 bytes each), due polls in a FIFO until a connection is
 * free, and the account-wide budget with its own timer for when it runs dry. */
#include "watch/scheduler.h"

#include <errno.h>
#include <stdlib.h>

struct Scheduler {
        sd_event *event;
        SchedulerReadyCallback ready;
        SchedulerDueCallback due;
        void *userdata;

        SchedulerEntry **heap;
        size_t n_heap, cap_heap;
        SchedulerEntry *q_head, *q_tail;
        size_t n_queued;

        RateLimiter budget;
        bool budget_ready;

        sd_event_source *poll_timer; /* the earliest planned poll */
        sd_event_source *rate_timer; /* the budget has a token again */
        bool pumping;                /* a due callback may pump: no recursion */
};

/* ---- the heap of planned polls ------------------------------------------------------------ */

static void heap_set(Scheduler *s, size_t i, SchedulerEntry *e) {
        s->heap[i] = e;
        e->heap_index = (uint32_t) (i + 1);
}

static void heap_up(Scheduler *s, size_t i) {
        SchedulerEntry *e = s->heap[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (s->heap[parent]->next_poll <= e->next_poll)
                        break;
                heap_set(s, i, s->heap[parent]);
                i = parent;
        }
        heap_set(s, i, e);
}

static void heap_down(Scheduler *s, size_t i) {
        SchedulerEntry *e = s->heap[i];

        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= s->n_heap)
                        break;
                if (c + 1 < s->n_heap && s->heap[c + 1]->next_poll < s->heap[c]->next_poll)
                        c++;
                if (e->next_poll <= s->heap[c]->next_poll)
                        break;
                heap_set(s, i, s->heap[c]);
                i = c;
        }
        heap_set(s, i, e);
}

static void heap_remove(Scheduler *s, SchedulerEntry *e) {
        size_t i = e->heap_index - 1;
        SchedulerEntry *last = s->heap[--s->n_heap];

        e->heap_index = 0;
        if (i == s->n_heap)
                return;
        heap_set(s, i, last);
        heap_up(s, i);
        heap_down(s, last->heap_index - 1);
}

/* The timer goes off for the earliest poll, within that poll's accuracy, so that sd-event can
 * merge it with other wake-ups; every poll due by then goes with it. */
static int poll_timer_arm(Scheduler *s) {
        SchedulerEntry *head;
        int r;

        if (s->n_heap == 0)
                return sd_event_source_set_enabled(s->poll_timer, SD_EVENT_OFF);
        head = s->heap[0];
        r = sd_event_source_set_time(s->poll_timer, head->next_poll);
        if (r >= 0)
                r = sd_event_source_set_time_accuracy(s->poll_timer, head->accuracy);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->poll_timer, SD_EVENT_ONESHOT);
        return r;
}

/* ---- the FIFO of due polls ---------------------------------------------------------------- */

void scheduler_enqueue(Scheduler *s, SchedulerEntry *e) {
        if (e->queued)
                return;
        e->q_prev = s->q_tail;
        e->q_next = NULL;
        if (s->q_tail)
                s->q_tail->q_next = e;
        else
                s->q_head = e;
        s->q_tail = e;
        e->queued = true;
        s->n_queued++;
}

static void queue_remove(Scheduler *s, SchedulerEntry *e) {
        if (!e->queued)
                return;
        if (e->q_prev)
                e->q_prev->q_next = e->q_next;
        else
                s->q_head = e->q_next;
        if (e->q_next)
                e->q_next->q_prev = e->q_prev;
        else
                s->q_tail = e->q_prev;
        e->q_prev = e->q_next = NULL;
        e->queued = false;
        s->n_queued--;
}

/* ---- pumping ------------------------------------------------------------------------------ */

void scheduler_pump(Scheduler *s) {
        if (s->pumping)
                return; /* the loop below goes on with what the callback queued */
        s->pumping = true;
        while (s->q_head && s->ready(s->userdata)) {
                usec_t now = now_usec(CLOCK_MONOTONIC), wait;
                SchedulerEntry *e = s->q_head;

                if (!rate_limiter_take(&s->budget, now, &wait)) {
                        /* The timer exists since scheduler_new(): this cannot fail for want
                         * of memory, and when it fails otherwise the poll timer retries. */
                        if (sd_event_source_set_time(s->rate_timer, now + wait) < 0 ||
                            sd_event_source_set_enabled(s->rate_timer, SD_EVENT_ONESHOT) < 0)
                                (void) sd_event_source_set_enabled(s->poll_timer, SD_EVENT_ONESHOT);
                        break;
                }
                queue_remove(s, e);
                s->due(e, s->userdata);
        }
        s->pumping = false;
}

static int scheduler_on_rate_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        scheduler_pump(userdata);
        return 0;
}

static int scheduler_on_poll_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Scheduler *s = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (s->n_heap > 0 && s->heap[0]->next_poll <= now) {
                SchedulerEntry *e = s->heap[0];

                heap_remove(s, e);
                scheduler_enqueue(s, e);
        }
        if (poll_timer_arm(s) < 0)
                /* Without the timer no poll would start again: try once more from the loop. */
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        scheduler_pump(s);
        return 0;
}

/* ---- planning ----------------------------------------------------------------------------- */

int scheduler_reserve(Scheduler *s, size_t n) {
        SchedulerEntry **a;

        if (n <= s->cap_heap)
                return 0;
        if (n >= UINT32_MAX - 1)
                return -E2BIG;
        a = reallocarray(s->heap, n, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->heap = a;
        s->cap_heap = n;
        return 0;
}

void scheduler_plan(Scheduler *s, SchedulerEntry *e, usec_t delay) {
        /* Let sd-event coalesce wake-ups of many tasks; a tenth of the delay is noise. */
        usec_t accuracy = delay / 10;
        bool was_head = e->heap_index == 1;

        if (accuracy > 250 * USEC_PER_MSEC)
                accuracy = 250 * USEC_PER_MSEC;
        if (accuracy < USEC_PER_MSEC)
                accuracy = USEC_PER_MSEC;

        if (e->heap_index == 0) {
                /* scheduler_reserve() made the room; a caller that did not gets its poll now
                 * rather than never. */
                if (s->n_heap >= s->cap_heap && scheduler_reserve(s, s->cap_heap ? 2 * s->cap_heap : 64) < 0) {
                        e->next_poll = now_usec(CLOCK_MONOTONIC);
                        scheduler_enqueue(s, e);
                        return;
                }
                heap_set(s, s->n_heap++, e);
        }
        e->next_poll = now_usec(CLOCK_MONOTONIC) + delay;
        e->accuracy = (uint32_t) accuracy;
        heap_up(s, e->heap_index - 1);
        heap_down(s, e->heap_index - 1);
        if ((was_head || e->heap_index == 1) && poll_timer_arm(s) < 0)
                (void) sd_event_source_set_enabled(s->poll_timer, SD_EVENT_ONESHOT);
}

void scheduler_unplan(Scheduler *s, SchedulerEntry *e) {
        bool was_head = e->heap_index == 1;

        e->next_poll = USEC_INFINITY;
        if (e->heap_index == 0)
                return;
        heap_remove(s, e);
        if (was_head)
                (void) poll_timer_arm(s);
}

void scheduler_forget(Scheduler *s, SchedulerEntry *e) {
        scheduler_unplan(s, e);
        queue_remove(s, e);
}

/* ---- the scheduler ------------------------------------------------------------------------ */

int scheduler_new(Scheduler **ret, sd_event *event, SchedulerReadyCallback ready,
                  SchedulerDueCallback due, void *userdata) {
        _cleanup_(scheduler_freep) Scheduler *s = NULL;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->ready = ready;
        s->due = due;
        s->userdata = userdata;
        rate_limiter_init(&s->budget, 1, now_usec(CLOCK_MONOTONIC));

        r = sd_event_add_time(event, &s->poll_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1,
                              scheduler_on_poll_timer, s);
        if (r >= 0)
                r = sd_event_add_time(event, &s->rate_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1,
                                      scheduler_on_rate_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(s->poll_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(s->rate_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(s->poll_timer, "task-poll");
        (void) sd_event_source_set_description(s->rate_timer, "rate-limit");

        *ret = TAKE_PTR(s);
        return 0;
}

Scheduler *scheduler_free(Scheduler *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->poll_timer);
        sd_event_source_disable_unref(s->rate_timer);
        sd_event_unref(s->event);
        free(s->heap);
        free(s);
        return NULL;
}

void scheduler_set_max_rate(Scheduler *s, double max_rate) {
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (!s->budget_ready)
                rate_limiter_init(&s->budget, max_rate, now);
        else
                rate_limiter_set_max_rate(&s->budget, max_rate, now);
        s->budget_ready = true;
}

RateLimiter *scheduler_budget(Scheduler *s) {
        return &s->budget;
}

size_t scheduler_n_planned(const Scheduler *s) {
        return s->n_heap;
}

size_t scheduler_n_queued(const Scheduler *s) {
        return s->n_queued;
}
