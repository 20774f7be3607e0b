/* A task's hooks: each transition's run once, pending runs kept in its ledger. */
#pragma once

#include "watched-task.h"

/* The hooks of transition e, json (the reply) on their stdin, unless they ran or run. */
void task_hooks_submit(WatchedTask *t, const Event *e, const char *json);
/* The hooks of key have all finished: recorded as done, and saved. */
void task_hooks_finished(WatchedTask *t, const char *key);
/* Submits the runs a restart cut off. */
void task_hooks_resume(WatchedTask *t);
