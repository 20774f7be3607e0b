/* What taskwatch wait says: how each task ended, its one closing summary line, and event
 * messages whose "what happens next" the command changes. Pure, for tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum WaitEnd {
        WAIT_PENDING,   /* not ended when the wait did */
        WAIT_SUCCEEDED,
        WAIT_FAILED,
        WAIT_CANCELED,
        WAIT_NOT_FOUND,
} WaitEnd;

typedef struct WaitTask {
        char *id;
        WaitEnd end;
        char *error_code;     /* WAIT_FAILED: the task's error.code, when it has one */
        bool instance_failed; /* an instance-failed was seen */
} WaitTask;

typedef struct WaitTasks {
        WaitTask *tasks;
        size_t n;
} WaitTasks;

/* One entry per id, in order. 0 or -ENOMEM. */
int wait_tasks_init(WaitTasks *t, char *const *ids, size_t n);
void wait_tasks_done(WaitTasks *t);
WaitTask *wait_tasks_find(WaitTasks *t, const char *id);
/* Record how a task ended; error_code is copied. 0 or -ENOMEM; an unknown id is ignored. */
int wait_tasks_set(WaitTasks *t, const char *id, WaitEnd end, const char *error_code);

/* "2 tasks: 1 succeeded, 1 failed (T-2: QuotaExceeded.ECS)": every kind of end that
 * happened, in a fixed order, with the ids of those that did not succeed. -ENOMEM. */
int wait_summary_format(const WaitTasks *t, char **ret);

/* message with its closing "; retrying in SPAN" or "; checking again every SPAN" (span is
 * the event's RETRY_IN) replaced by "; instead", or "; instead" appended when it has
 * neither. -ENOMEM. */
int wait_message_next_step(const char *message, const char *span, const char *instead, char **ret);
