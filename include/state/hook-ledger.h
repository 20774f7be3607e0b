/* A task's hook ledger: what makes each transition's hooks run exactly once. The keys whose
 * hooks have run, the runs submitted and not yet seen to finish (kept across a restart,
 * which submits them again), and the task JSON those read on stdin, each kept once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "report/event.h"
#include "util/cleanup.h"
#include "util/shared-buf.h"

/* In done, and again in pending: past it, -E2BIG. */
#define TASK_STORE_MAX_HOOKS 10000U

/* The fields of an Event that a pending hook run keeps, beside its kind: all that the hook's
 * environment, its key and its journal entries use. The task id is the record's. */
typedef enum TaskHookField {
        TASK_HOOK_CLUSTER_ID,
        TASK_HOOK_TASK_TYPE,
        TASK_HOOK_TASK_STATE,
        TASK_HOOK_TASK_PREVIOUS_STATE,
        TASK_HOOK_TASK_STAGE,
        TASK_HOOK_TASK_PREVIOUS_STAGE,
        TASK_HOOK_INSTANCE_ID,
        TASK_HOOK_INSTANCE_STATUS,
        TASK_HOOK_INSTANCE_PREVIOUS_STATUS,
        TASK_HOOK_ERROR_CODE,
        TASK_HOOK_ERROR_MESSAGE,
        _TASK_HOOK_FIELD_MAX,
} TaskHookField;

#define TASK_HOOK_NO_INPUT ((size_t) -1)

/* Hooks submitted for an event whose run has not been seen to finish. */
typedef struct TaskPendingHook {
        char *key;                          /* hook_event_key() of the event */
        char *kind;                         /* the event kind's name, "instance-failed" */
        char *fields[_TASK_HOOK_FIELD_MAX]; /* NULL: absent */
        size_t input;                       /* into hook_inputs; TASK_HOOK_NO_INPUT: none */
} TaskPendingHook;

typedef struct HookLedger {
        char **done;              /* event keys whose hooks have run, in the order they ran */
        size_t n_done;
        TaskPendingHook *pending; /* in the order they were submitted */
        size_t n_pending;
        SharedBuf **inputs;       /* the task JSON pending runs read, each once (a reference:
                                   * the same copy the hook runs read) */
        size_t n_inputs;
} HookLedger;

int hook_ledger_new(HookLedger **ret); /* empty; 0 or -ENOMEM */
HookLedger *hook_ledger_free(HookLedger *l);
DEFINE_POINTER_CLEANUP(HookLedger, hook_ledger_free)
/* Nothing done, pending or kept (NULL is empty). */
bool hook_ledger_is_empty(const HookLedger *l);

/* Whether key is in done. */
bool hook_ledger_has_done(const HookLedger *l, const char *key);
/* Append key to done: 1 when added, 0 when it was there already, -E2BIG past
 * TASK_STORE_MAX_HOOKS, -ENOMEM. */
int hook_ledger_add_done(HookLedger *l, const char *key);

/* "cluster_id", "task_previous_state", ...: the key of a field in the file; NULL when out of
 * range. */
const char *task_hook_field_name(TaskHookField f);
/* The pending run of key, or NULL. */
const TaskPendingHook *hook_ledger_pending(const HookLedger *l, const char *key);
/* Record that the hooks of e (whose hook_event_key() is key) were submitted with input on
 * stdin (NUL-terminated JSON, may be NULL); an input equal to one already kept is shared.
 * 1 when added, 0 when key was pending or done already, -EINVAL (no kind name), -E2BIG past
 * TASK_STORE_MAX_HOOKS pending, -ENOMEM (l unchanged). */
int hook_ledger_add_pending(HookLedger *l, const char *key, const Event *e, const char *input);
/* The same with the input as one reply's shared buffer (may be NULL), of which the ledger
 * keeps a reference: matched by identity, so the events of one reply cost O(1) each. */
int hook_ledger_add_pending_shared(HookLedger *l, const char *key, const Event *e,
                                   SharedBuf *input);
/* The hooks of key have run: it leaves pending (with its input, when no other run needs
 * it) and joins done. Returns what hook_ledger_add_done() does. */
int hook_ledger_finish(HookLedger *l, const char *key);
/* Drops every pending run and input (a task watched afresh). */
void hook_ledger_clear_pending(HookLedger *l);
/* The event of a pending run, for task_id, with strings borrowed from p. -EINVAL when the
 * kind is one this release does not know. */
int task_pending_hook_to_event(const TaskPendingHook *p, const char *task_id, Event *ret);
/* The input of a pending run (NULL: none). */
const char *hook_ledger_input(const HookLedger *l, const TaskPendingHook *p);
/* The same as the shared buffer (borrowed), or NULL. */
SharedBuf *hook_ledger_input_buf(const HookLedger *l, const TaskPendingHook *p);
