/* What the task store's files share and nothing else needs: snapshots normalized. */
#pragma once

#include <stddef.h>

#include "track/task-tracker.h"

/* Sort s->instances by id, derive each phase from its status (a NULL status becomes ""), the
 * task's phase from its state and the counts, as task_tracker_apply() leaves them. s must
 * not be packed (task_snapshot_pack()): it may gain allocations of its own. Returns 0;
 * -EEXIST when two entries share an id, with their positions before sorting in *ret_first
 * and *ret_second (s is then unsorted); -ENOMEM. */
int task_store_snapshot_normalize(TaskSnapshot *s, size_t *ret_first, size_t *ret_second);
