/* What we last knew of one task, and the transitions that a new reply implies, as values:
 * the caller emits them (and runs their hooks). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ack/task-info.h"
#include "report/event.h"
#include "track/task-snapshot.h"

/* The instances one task keeps: those of the last reply (at most TASK_INFO_MAX_ENTRIES,
 * the decoder's bound), and those earlier replies listed that it left out, so long as the
 * sum stays within this. Far above ACK's 500 nodes per scale-out; without it a server
 * listing new ids in every reply grew one task without bound (44 -> 140 MB in 40 s) until
 * no save could hold it. Those dropped are of the instances no longer listed, last by id. */
#define TASK_TRACKER_MAX_INSTANCES 100000U

typedef struct TaskTracker {
        char *task_id;
        bool have_baseline;
        TaskSnapshot now; /* all NULL and zero before the baseline */
        size_t n_dropped; /* instances the last apply dropped past TASK_TRACKER_MAX_INSTANCES */
} TaskTracker;

/* One transition: the event's kind and fields, and its message (event.message points to
 * message). */
typedef struct Transition {
        Event event;
        char *message;
} Transition;

/* The transitions of one reply, in the order to emit them. Their strings are borrowed from
 * the tracker's snapshot and from before (the one the reply replaced), and from the
 * request_id given: valid until transition_list_done() or the tracker's next change. */
typedef struct TransitionList {
        Transition *items;
        size_t n, n_allocated;
        TaskSnapshot before;
} TransitionList;

void transition_list_done(TransitionList *l);

int task_tracker_init(TaskTracker *t, const char *task_id);
void task_tracker_done(TaskTracker *t);

/* Compare info with what we knew, return one transition per change in *ret (the first call
 * returns the baseline), and remember info. request_id is attached to the events. Returns 1
 * when anything changed (state, stage, any instance), 0 when nothing did (*ret empty: done
 * it anyway), -ENOMEM. On error the tracker is unchanged and *ret untouched, so the next
 * reply is compared against the last good one. */
int task_tracker_apply(TaskTracker *t, const TaskInfo *info, const char *request_id,
                       TransitionList *ret);

static inline bool task_tracker_is_terminal(const TaskTracker *t) {
        return t->have_baseline && task_phase_is_terminal(t->now.phase);
}
