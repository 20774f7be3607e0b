/* What we last knew of one task, and the events that a new reply implies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ack/task-info.h"
#include "report/event.h"
#include "track/task-snapshot.h"

typedef struct TaskTracker {
        char *task_id;
        bool have_baseline;
        TaskSnapshot now; /* all NULL and zero before the baseline */
} TaskTracker;

int task_tracker_init(TaskTracker *t, const char *task_id);
void task_tracker_done(TaskTracker *t);

/* Compare info with what we knew, emit one event per transition (the first call emits the
 * baseline), and remember info. request_id is attached to the events. Returns 1 when
 * anything changed (state, stage, any instance), 0 when nothing did, -ENOMEM. On error the
 * tracker is unchanged, so the next reply is compared against the last good one. */
int task_tracker_apply(TaskTracker *t, const TaskInfo *info, const char *request_id,
                       EventSink *sink);

static inline bool task_tracker_is_terminal(const TaskTracker *t) {
        return t->have_baseline && task_phase_is_terminal(t->now.phase);
}
