/* Maps the API's task states and instance statuses onto the phases the watcher acts on. */
#include <stddef.h>

#include "ack/task-info.h"
#include "util/cleanup.h"

/* Not strcasecmp(): that follows the locale, and the API's words are plain ASCII. */
static bool ascii_caseeq(const char *a, const char *b) {
        for (;; a++, b++) {
                char x = *a, y = *b;
                if (x >= 'A' && x <= 'Z')
                        x = (char) (x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (char) (y - 'A' + 'a');
                if (x != y)
                        return false;
                if (x == '\0')
                        return true;
        }
}

TaskPhase task_phase_from_state(const char *state) {
        /* "canceling" is not documented; it is accepted beside "cancelling" because the API
         * spells the terminal state "canceled". "timeout" is final and not a success, as
         * Alibaba's own ACK tooling treats it: a failure, reported with the word itself in
         * TASK_STATE=. */
        static const struct {
                const char *name;
                TaskPhase phase;
        } table[] = {
                { "running", TASK_PHASE_RUNNING },     { "success", TASK_PHASE_SUCCEEDED },
                { "fail", TASK_PHASE_FAILED },         { "failed", TASK_PHASE_FAILED },
                { "pausing", TASK_PHASE_PAUSED },      { "paused", TASK_PHASE_PAUSED },
                { "resuming", TASK_PHASE_PAUSED },     { "cancelling", TASK_PHASE_PAUSED },
                { "canceling", TASK_PHASE_PAUSED },    { "canceled", TASK_PHASE_CANCELED },
                { "cancelled", TASK_PHASE_CANCELED },  { "timeout", TASK_PHASE_FAILED },
        };

        if (!state)
                return TASK_PHASE_UNKNOWN;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (ascii_caseeq(state, table[i].name))
                        return table[i].phase;
        return TASK_PHASE_UNKNOWN;
}

bool task_phase_is_terminal(TaskPhase p) {
        return p == TASK_PHASE_SUCCEEDED || p == TASK_PHASE_FAILED || p == TASK_PHASE_CANCELED;
}

const char *task_phase_to_string(TaskPhase p) {
        static const char *const names[_TASK_PHASE_MAX] = {
                [TASK_PHASE_RUNNING] = "running",     [TASK_PHASE_PAUSED] = "paused",
                [TASK_PHASE_SUCCEEDED] = "succeeded", [TASK_PHASE_FAILED] = "failed",
                [TASK_PHASE_CANCELED] = "canceled",   [TASK_PHASE_UNKNOWN] = "unknown",
        };

        if ((unsigned) p >= ELEMENTSOF(names))
                return NULL;
        return names[p];
}

/* Only the two documented outcomes are final: "initial", its misspelling "initail" and
 * whatever the API adds later keep the instance pending. */
InstancePhase instance_phase_from_status(const char *status) {
        if (!status)
                return INSTANCE_PHASE_PENDING;
        if (ascii_caseeq(status, "success"))
                return INSTANCE_PHASE_SUCCEEDED;
        if (ascii_caseeq(status, "failed") || ascii_caseeq(status, "fail"))
                return INSTANCE_PHASE_FAILED;
        return INSTANCE_PHASE_PENDING;
}

const char *instance_phase_to_string(InstancePhase p) {
        static const char *const names[_INSTANCE_PHASE_MAX] = {
                [INSTANCE_PHASE_PENDING] = "pending",
                [INSTANCE_PHASE_SUCCEEDED] = "succeeded",
                [INSTANCE_PHASE_FAILED] = "failed",
        };

        if ((unsigned) p >= ELEMENTSOF(names))
                return NULL;
        return names[p];
}
