/* taskwatch get's readable output of DescribeTaskInfo replies, and the pieces it needs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ack/task-info.h"
#include "util/time-util.h"

/* "45s", "3min 5s", "2h 10min", "3d 4h": two units at most, for "created 3min 5s ago". */
char *format_age(char *buf, size_t size, usec_t age);
#define FORMAT_AGE_MAX 32

typedef struct InstanceCounts {
        size_t succeeded, failed, pending;
} InstanceCounts;

InstanceCounts task_info_count_instances(const TaskInfo *t);

/* s fit for a terminal: control characters (escape sequences an API string could carry)
 * as \xNN. NULL on OOM; "-" for NULL input. Free the result. */
char *printable(const char *s);

/* One task, as "Label: value" lines; now is CLOCK_REALTIME (for the ages). color: colour the
 * state word. 0 or -ENOMEM. */
int task_summary_print(FILE *f, const TaskInfo *t, usec_t now, bool color);

/* Several tasks, one line each under a header, in the order given: TASK, STATE, TYPE,
 * CLUSTER, OK/FAILED/PENDING, CREATED (RFC 3339, UTC) and AGE (since created); wide adds
 * STAGE and ERROR (the error code). "-" for what the API did not say. 0 or -ENOMEM. */
int task_table_print(FILE *f, const TaskInfo *const *tasks, size_t n, usec_t now, bool wide, bool color);

/* The colour every command gives a task state (green succeeded, red failed, yellow canceled,
 * paused or unknown), as an ANSI sequence, or NULL for none; end it with ANSI_RESET. */
const char *state_color(const char *state);
#define ANSI_RESET_SEQ "\x1b[0m"
