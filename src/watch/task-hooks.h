/* A task's hooks: each transition's run once, pending runs kept in its ledger. */
#pragma once

#include "watched-task.h"

/* One reply as its hooks read it: copied once, when the first of its events runs a hook,
 * into a buffer every hook of the reply (and the ledger) shares. */
typedef struct TaskHookInput {
        const char *body; /* the reply's, borrowed; may be NULL */
        size_t len;
        SharedBuf *buf;   /* NULL until needed */
} TaskHookInput;

/* Drops the input's reference; the hooks keep theirs. */
void task_hook_input_done(TaskHookInput *in);

/* The hooks of transition e, the reply on their stdin, unless they ran or run. O(1) in the
 * size of the reply once its copy is made, and nothing at all for an event no hook is
 * configured for. A run that cannot be queued (out of memory) is a hook-failed event and
 * stays pending, for the next start. */
void task_hooks_submit(WatchedTask *t, const Event *e, TaskHookInput *in);
/* How often the hooks of an event that could not start at all (every command failed to
 * start: E2BIG, EAGAIN, ENOMEM, ...) are submitted again, after 1 s, 4 s, 16 s. */
#define TASK_HOOK_START_RETRIES 3U

/* The hooks of key have all finished: recorded as done, and saved; unless none of them
 * could start, when they stay pending and are submitted again with backoff, at most
 * TASK_HOOK_START_RETRIES times (the runner reports each failure as hook-failed). */
void task_hooks_finished(WatchedTask *t, const char *key, const HookOutcome *o);
/* Cancels the retries (the task goes; what is pending stays so in its record). */
void task_hooks_forget_retries(WatchedTask *t);
/* Submits the runs a restart cut off. */
void task_hooks_resume(WatchedTask *t);
