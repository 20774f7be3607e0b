/* When each task is polled: the planned polls behind one timer, the FIFO of due ones, and
 * the account-wide request budget that lets them go. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "track/rate-limiter.h"
#include "util/cleanup.h"
#include "util/time-util.h"

/* One task's place in the scheduler, kept inside the task (10 000 of them: no allocation of
 * its own). All zero is "neither planned nor due". */
typedef struct SchedulerEntry {
        usec_t next_poll;        /* CLOCK_MONOTONIC; USEC_INFINITY: none planned */
        uint32_t heap_index;     /* 1 + place in the heap of planned polls, 0: not planned */
        uint32_t accuracy;       /* µs the poll may come after next_poll (wake-ups merge) */
        struct SchedulerEntry *q_prev, *q_next; /* in the FIFO of due polls */
        bool queued;
} SchedulerEntry;

typedef struct Scheduler Scheduler;

/* May a poll start now (a free connection, credentials to sign with)? When not, the due
 * polls wait, no budget is spent, and the owner calls scheduler_pump() once one may. */
typedef bool (*SchedulerReadyCallback)(void *userdata);
/* e is due, out of the FIFO, and a token of the budget is taken for it: start its poll. */
typedef void (*SchedulerDueCallback)(SchedulerEntry *e, void *userdata);

/* Both timers are made here, so that arming them later cannot fail for want of memory. */
int scheduler_new(Scheduler **ret, sd_event *event, SchedulerReadyCallback ready,
                  SchedulerDueCallback due, void *userdata);
Scheduler *scheduler_free(Scheduler *s);
DEFINE_POINTER_CLEANUP(Scheduler, scheduler_free)

/* Room for n planned polls, so that scheduler_plan() cannot fail: call it before the
 * entries exist (a configuration plan). 0 or -ENOMEM / -E2BIG (nothing changed). */
int scheduler_reserve(Scheduler *s, size_t n);
/* Plan e's poll delay from now, replacing any planned one. Needs the room reserved. */
void scheduler_plan(Scheduler *s, SchedulerEntry *e, usec_t delay);
/* No poll planned for e (a final task); next_poll becomes USEC_INFINITY. */
void scheduler_unplan(Scheduler *s, SchedulerEntry *e);
/* Due now: to the end of the FIFO (nothing when it is there already). */
void scheduler_enqueue(Scheduler *s, SchedulerEntry *e);
/* Out of the heap and the FIFO: the entry goes away. */
void scheduler_forget(Scheduler *s, SchedulerEntry *e);

/* Start the due polls in order while ready() allows and the budget has tokens; when it has
 * none, the rate-limit timer pumps again once it has. */
void scheduler_pump(Scheduler *s);

/* [API] MaxRequestsPerSecond=: the first call sets up the budget, later ones change its
 * rate without forgetting a throttling cut in force. */
void scheduler_set_max_rate(Scheduler *s, double max_rate);
/* The budget, for the outcome of a poll (throttled, succeeded, a retry wanted). */
RateLimiter *scheduler_budget(Scheduler *s);

size_t scheduler_n_planned(const Scheduler *s);
size_t scheduler_n_queued(const Scheduler *s);
