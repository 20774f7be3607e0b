/* What one reply said of a task: its state, stage, identity and instances. */
#pragma once

#include <stddef.h>

#include "ack/task-info.h"

typedef struct TrackedInstance {
        char *id;
        char *status; /* as the API sent it */
        InstancePhase phase;
        unsigned failures; /* how often it turned failed while watched (kept in the store): the
                            * generation of its instance-failed, so a retry that fails again
                            * is a new transition with a new hook event key */
} TrackedInstance;

/* Everything we know of a task from one reply (and the instances earlier ones listed). */
typedef struct TaskSnapshot {
        char *state; /* as the API sent it */
        TaskPhase phase;
        char *stage;
        char *cluster_id, *task_type;
        char *error_code, *error_message;
        TrackedInstance *instances; /* sorted by id, for lookup */
        size_t n_instances;
        size_t n_succeeded, n_failed, n_pending;
        /* When set, the instances and every string above live in this one allocation
         * (task_snapshot_pack()); when NULL, each is an allocation of its own. A watcher
         * holds thousands of snapshots: one block instead of ~15 small ones halves their
         * memory, malloc's per-chunk overhead included. */
        void *block;
} TaskSnapshot;

/* Sets n_succeeded, n_failed and n_pending from the instances' phases. */
void task_snapshot_count(TaskSnapshot *s);

/* Free what s holds, packed or not, and leave it empty (phase unknown). */
void task_snapshot_clear(TaskSnapshot *s);

/* Copy src into *dst as one packed allocation. Phases and counts are copied as they are;
 * src may borrow its strings from anywhere. Returns 0, or -ENOMEM with *dst untouched. */
int task_snapshot_pack(TaskSnapshot *dst, const TaskSnapshot *src);
