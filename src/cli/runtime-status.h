/* What the running daemon says about its polls (its runtime status file), for status. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/time-util.h"

typedef struct RuntimeTask {
        char *task_id;
        usec_t next_poll;  /* CLOCK_REALTIME; 0: none planned */
        usec_t last_poll;  /* CLOCK_REALTIME; 0: never */
        bool in_flight;
        char *waiting_for; /* "credentials", "connection", "budget", or NULL */
} RuntimeTask;

typedef struct RuntimeStatus {
        pid_t pid;
        RuntimeTask *tasks; /* sorted by task_id */
        size_t n_tasks;
} RuntimeStatus;

/* Parse the file's text. -EBADMSG when it is not the daemon's format. */
int runtime_status_parse(const char *text, size_t len, RuntimeStatus *ret);
void runtime_status_done(RuntimeStatus *s);
const RuntimeTask *runtime_status_find(const RuntimeStatus *s, const char *task_id);
