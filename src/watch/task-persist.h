/* A watched task's record in the store. */
#pragma once

#include "watched-task.h"

int task_persist_restore(WatchedTask *t); /* 1 restored, 0 nothing to restore, -errno */
void task_persist_save(WatchedTask *t);   /* when dirty; a failure is reported, not returned */
void task_persist_forget(WatchedTask *t);
