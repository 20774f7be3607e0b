/* Runs the configured hook commands for transition events: asynchronously on sd-event, with
 * a timeout, a bound on concurrency, output to the journal and the exit status reported. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "hooks/hook-config.h"
#include "report/event.h"
#include "util/cleanup.h"
#include "util/shared-buf.h"
#include "util/time-util.h"

/* Which transitions are hook events. A transition is a change of a task's state or of an
 * instance's status: task-state-changed, task-succeeded, task-failed, task-canceled,
 * task-unknown-state, instance-added, instance-succeeded, instance-failed,
 * instance-status-changed. Not transitions: task-baseline (the first look at a task: a task
 * that had already failed fires task-failed / instance-failed anyway), task-stage-changed
 * (a sub-step inside the same state, chatty on long tasks), task-progress (always comes with
 * the instance events that caused it), and every api-*, daemon-*, config-* and hook-* kind.
 *
 * Returns the set of HOOK_TRIGGER_BIT()s the event fires: task-succeeded: OnTaskSucceeded;
 * task-failed, task-canceled: OnTaskFailed; instance-failed: OnInstanceFailed; and every
 * transition also OnTransition. 0 for anything else. */
unsigned hook_triggers_for_event(const Event *e);

/* A stable name for one transition, the same when a restarted daemon sees it again, so that
 * its hooks run once: "TASK/KIND" plus what distinguishes two such events of one task:
 *   T-1/task-failed                  (likewise task-succeeded, task-canceled: once per task)
 *   T-1/task-unknown-state/STATE
 *   T-1/task-state-changed/FROM>TO   (likewise task-stage-changed, with stages)
 *   T-1/instance-failed/ID           (likewise instance-added, instance-succeeded)
 *   T-1/instance-failed/ID/N         (its Nth failure, N >= 2: Event.instance_failure)
 *   T-1/instance-status-changed/ID/FROM>TO
 * and "TASK/KIND" for other kinds. An absent value is "-"; '%', '/', '>' and control
 * characters inside values are %XX-escaped, so keys never collide. A state change that
 * happens twice the same way (running>paused, later again) has one key: its second time
 * runs no hooks once the first was recorded. -EINVAL without a task id, -ENOMEM. */
int hook_event_key(const Event *e, char **ret);

/* The hook's environment, built from nothing (nothing of the daemon's own environment
 * passes but LANG, so never a credential): PATH (fixed), LANG (the daemon's, else
 * C.UTF-8), TASKWATCH_EVENT (the kind name), TASKWATCH_EVENT_KEY, and those of TASK_ID,
 * CLUSTER_ID, TASK_TYPE, TASK_STATE, TASK_PREVIOUS_STATE, INSTANCE_ID, INSTANCE_STATUS,
 * ERROR_CODE, ERROR_MESSAGE the event has. NULL-terminated "NAME=value" list. A value
 * longer than HOOK_ENV_VALUE_MAX bytes (they come from the server, and one environment
 * string over 128 KiB stops execve()) is cut, at a UTF-8 boundary, and ends in
 * HOOK_ENV_CUT_MARKER; a cut TASKWATCH_EVENT_KEY then ends in "#" and 16 hex digits of a
 * hash of the whole key, so that it stays unique and stable. */
#define HOOK_ENV_VALUE_MAX 4096
#define HOOK_ENV_CUT_MARKER "...[cut]"
int hook_env_build(const Event *e, const char *event_key, char ***ret);

typedef struct HookRunner HookRunner;

/* How one command ran. */
typedef struct HookRunResult {
        const char *name;     /* "OnTaskFailed#2": the key and its position among that key's
                               * commands; logs name hooks so, not by their arguments, which
                               * may hold a webhook token */
        const char *command;  /* the configured line */
        int exit_status;      /* the exit code, or -1 when killed or not started */
        int signal;           /* the signal that killed it, or 0 */
        bool timed_out;       /* HookTimeout= passed: it was sent SIGTERM (then SIGKILL) */
        int spawn_error;      /* -errno when it could not be started, else 0 */
        usec_t duration;
} HookRunResult;

/* All the commands one submitted event ran, in configuration order. */
typedef struct HookOutcome {
        const HookRunResult *runs;
        size_t n_runs;
        size_t n_failed; /* runs that did not exit 0: failed, killed, timed out, not started */
} HookOutcome;

/* Called from the event loop once every hook of a submitted event has finished, so that the
 * caller can record event_key as done in its persisted state. submission is the userdata
 * given to hook_runner_submit() (NULL when hook_runner_forget_userdata() dropped it), so the
 * caller finds what the event belongs to without parsing the key; userdata is
 * hook_runner_set_on_done()'s. Hooks still queued or running
 * when the runner is freed (stop, restart) never get here: record nothing and they run again
 * when the restarted daemon sees the event again. Must not free the runner. */
typedef void (*HookDoneCallback)(HookRunner *r, const char *event_key, const HookOutcome *o,
                                 void *submission, void *userdata);

/* Each line a hook writes (without its newline, at most HOOK_OUTPUT_LINE_MAX bytes: longer
 * lines come in pieces). stream is "stdout" or "stderr". */
typedef void (*HookOutputCallback)(HookRunner *r, const char *event_key, const char *command,
                                   const char *stream, const char *line, void *userdata);

#define HOOK_OUTPUT_LINE_MAX 2048
/* Per stream and run; past it the rest is read and dropped, with one line saying so. */
#define HOOK_OUTPUT_MAX ((size_t) 1024 * 1024)

/* Blocks SIGCHLD in the calling thread (sd-event's child sources need it; the hooks
 * themselves start with an empty signal mask). config is copied. Events hook-finished,
 * hook-failed and hook-timed-out go to sink; output lines go to the journal as hook-output.
 * Makes the process a child subreaper (PR_SET_CHILD_SUBREAPER) and takes every child of it
 * that is not a running hook for a hook's leftover: killed when a hook exits, and with all
 * descendants when the runner is freed. So the process must start no other children. */
int hook_runner_new(HookRunner **ret, sd_event *event, EventSink *sink, const HookConfig *config);
/* SIGTERM (and SIGCONT) to the process group of every running hook; drops queued runs
 * without calling on_done. */
HookRunner *hook_runner_free(HookRunner *r);
DEFINE_POINTER_CLEANUP(HookRunner, hook_runner_free)

/* For a reload: later submissions use the new commands; running and queued runs keep theirs
 * (and their timeout). The new MaxConcurrentHooks= applies at once. 0 or -ENOMEM. */
int hook_runner_set_config(HookRunner *r, const HookConfig *config);
/* The same in two steps, for a reload that must change all or nothing: prepare a copy with
 * hook_config_copy() (which can fail), then this, which cannot: it takes *prepared over and
 * leaves it as after hook_config_init(). */
void hook_runner_commit_config(HookRunner *r, HookConfig *prepared);
/* The settings later submissions use. */
const HookConfig *hook_runner_get_config(const HookRunner *r);
void hook_runner_set_on_done(HookRunner *r, HookDoneCallback cb, void *userdata);
void hook_runner_set_on_output(HookRunner *r, HookOutputCallback cb, void *userdata);
/* Output lines to the journal (default on); unit tests turn it off. */
void hook_runner_set_journal(HookRunner *r, bool enable);

/* Queues one run of every command configured for the triggers e fires (a command listed
 * under two matching triggers runs once), with the event's environment and task_json (len
 * bytes, may be NULL) on stdin. Everything is copied; nothing runs and no callback is
 * called before the event loop next dispatches; userdata comes back to on_done. Returns
 * the number of runs queued (0: no hook for this event, and on_done will not be called),
 * or -EINVAL (no event_key), -ENOMEM. */
int hook_runner_submit(HookRunner *r, const Event *e, const char *event_key,
                       const char *task_json, size_t len, void *userdata);
/* The same with the input shared, not copied: the job takes a reference of input (may be
 * NULL), so that all the hooks of one reply read one copy of it. */
int hook_runner_submit_shared(HookRunner *r, const Event *e, const char *event_key,
                              SharedBuf *input, void *userdata);
/* Whether any command is configured (now) for a trigger e fires: cheap, for the caller to
 * skip building a key for events that run nothing. */
bool hook_runner_fires(const HookRunner *r, const Event *e);
/* The owner of userdata goes away (a task removed by a reload while its hooks run): the
 * runs submitted with it still finish, and on_done gets NULL for submission. */
void hook_runner_forget_userdata(HookRunner *r, const void *userdata);

/* No queued run starts between a hold and its release (NULL-safe; they nest): for a
 * caller that submits over several turns of the loop and must save what it submitted
 * before any of it starts. */
void hook_runner_hold(HookRunner *r);
void hook_runner_release(HookRunner *r);

size_t hook_runner_n_running(const HookRunner *r);
size_t hook_runner_n_queued(const HookRunner *r);
