/* Error, recovery and not-found events of a task, each fault once. */
#pragma once

#include "watched-task.h"

void task_report_error(WatchedTask *t, const AckReply *o, usec_t delay);
void task_report_recovered(WatchedTask *t, const AckReply *o, unsigned failures);
void task_report_not_found(WatchedTask *t, const AckReply *o, usec_t delay);
