/* A task's hook ledger: which transitions' hooks ran, which were submitted and have not
 * been seen to finish, and the task JSON those read on stdin. */
#include "state/hook-ledger.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

static int dup_field(char **dst, const char *src) {
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

int hook_ledger_new(HookLedger **ret) {
        HookLedger *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        *ret = l;
        return 0;
}

bool hook_ledger_is_empty(const HookLedger *l) {
        return !l || (l->n_done == 0 && l->n_pending == 0 && l->n_inputs == 0);
}

bool hook_ledger_has_done(const HookLedger *l, const char *key) {
        for (size_t i = 0; i < l->n_done; i++)
                if (streq_ptr(l->done[i], key))
                        return true;
        return false;
}

int hook_ledger_add_done(HookLedger *l, const char *key) {
        char **v, *copy;

        if (!key)
                return -EINVAL;
        if (hook_ledger_has_done(l, key))
                return 0;
        if (l->n_done >= TASK_STORE_MAX_HOOKS)
                return -E2BIG;
        copy = strdup(key);
        if (!copy)
                return -ENOMEM;
        v = reallocarray(l->done, l->n_done + 1, sizeof(*v));
        if (!v) {
                free(copy);
                return -ENOMEM;
        }
        v[l->n_done++] = copy;
        l->done = v;
        return 1;
}

/* ---- pending hook runs -------------------------------------------------------------------- */

static const struct {
        const char *name;
        size_t offset; /* of the const char * in Event */
} hook_fields[_TASK_HOOK_FIELD_MAX] = {
        [TASK_HOOK_CLUSTER_ID] = { "cluster_id", offsetof(Event, cluster_id) },
        [TASK_HOOK_TASK_TYPE] = { "task_type", offsetof(Event, task_type) },
        [TASK_HOOK_TASK_STATE] = { "task_state", offsetof(Event, task_state) },
        [TASK_HOOK_TASK_PREVIOUS_STATE] = { "task_previous_state",
                                            offsetof(Event, task_previous_state) },
        [TASK_HOOK_TASK_STAGE] = { "task_stage", offsetof(Event, task_stage) },
        [TASK_HOOK_TASK_PREVIOUS_STAGE] = { "task_previous_stage",
                                            offsetof(Event, task_previous_stage) },
        [TASK_HOOK_INSTANCE_ID] = { "instance_id", offsetof(Event, instance_id) },
        [TASK_HOOK_INSTANCE_STATUS] = { "instance_status", offsetof(Event, instance_status) },
        [TASK_HOOK_INSTANCE_PREVIOUS_STATUS] = { "instance_previous_status",
                                                 offsetof(Event, instance_previous_status) },
        [TASK_HOOK_ERROR_CODE] = { "error_code", offsetof(Event, error_code) },
        [TASK_HOOK_ERROR_MESSAGE] = { "error_message", offsetof(Event, error_message) },
};

const char *task_hook_field_name(TaskHookField f) {
        return f < _TASK_HOOK_FIELD_MAX ? hook_fields[f].name : NULL;
}

static const char **event_field(Event *e, TaskHookField f) {
        return (const char **) ((char *) e + hook_fields[f].offset);
}

static void pending_hook_done(TaskPendingHook *p) {
        free(p->key);
        free(p->kind);
        for (size_t f = 0; f < _TASK_HOOK_FIELD_MAX; f++)
                free(p->fields[f]);
        *p = (TaskPendingHook) { .input = TASK_HOOK_NO_INPUT };
}

void hook_ledger_clear_pending(HookLedger *l) {
        for (size_t i = 0; i < l->n_pending; i++)
                pending_hook_done(&l->pending[i]);
        free(l->pending);
        l->pending = NULL;
        l->n_pending = 0;
        for (size_t i = 0; i < l->n_inputs; i++)
                shared_buf_unref(l->inputs[i]);
        free(l->inputs);
        l->inputs = NULL;
        l->n_inputs = 0;
}

const TaskPendingHook *hook_ledger_pending(const HookLedger *l, const char *key) {
        for (size_t i = 0; i < l->n_pending; i++)
                if (streq_ptr(l->pending[i].key, key))
                        return &l->pending[i];
        return NULL;
}

const char *hook_ledger_input(const HookLedger *l, const TaskPendingHook *p) {
        return p->input < l->n_inputs ? l->inputs[p->input]->data : NULL;
}

SharedBuf *hook_ledger_input_buf(const HookLedger *l, const TaskPendingHook *p) {
        return p->input < l->n_inputs ? l->inputs[p->input] : NULL;
}

static int inputs_append(HookLedger *l, SharedBuf *b, size_t *ret) {
        SharedBuf **v = reallocarray(l->inputs, l->n_inputs + 1, sizeof(*v));

        if (!v)
                return -ENOMEM;
        l->inputs = v;
        v[l->n_inputs] = shared_buf_ref(b);
        *ret = l->n_inputs++;
        return 1;
}

/* The index of input among the kept ones, adding it when new; TASK_HOOK_NO_INPUT for NULL.
 * The newest is compared first: the events of one reply come together. */
static int input_index(HookLedger *l, const char *input, size_t *ret) {
        _cleanup_(shared_buf_unrefp) SharedBuf *b = NULL;
        size_t len;

        *ret = TASK_HOOK_NO_INPUT;
        if (!input)
                return 0;
        len = strlen(input);
        for (size_t i = l->n_inputs; i > 0; i--)
                if (l->inputs[i - 1]->len == len && memcmp(l->inputs[i - 1]->data, input, len) == 0) {
                        *ret = i - 1;
                        return 0;
                }
        if (shared_buf_new(&b, input, len) < 0)
                return -ENOMEM;
        return inputs_append(l, b, ret);
}

/* The same by identity: one reply's buffer is compared by its address, never byte by byte,
 * so that a reply with thousands of events costs no more than one. */
static int input_index_shared(HookLedger *l, SharedBuf *input, size_t *ret) {
        *ret = TASK_HOOK_NO_INPUT;
        if (!input)
                return 0;
        for (size_t i = l->n_inputs; i > 0; i--)
                if (l->inputs[i - 1] == input) {
                        *ret = i - 1;
                        return 0;
                }
        return inputs_append(l, input, ret);
}

/* Drops inputs no pending run reads any more, and renumbers the rest. */
static void inputs_compact(HookLedger *l) {
        size_t n = 0;

        for (size_t i = 0; i < l->n_inputs; i++) {
                bool used = false;

                for (size_t k = 0; k < l->n_pending && !used; k++)
                        used = l->pending[k].input == i;
                if (!used) {
                        shared_buf_unref(l->inputs[i]);
                        continue;
                }
                for (size_t k = 0; k < l->n_pending; k++)
                        if (l->pending[k].input == i)
                                l->pending[k].input = n;
                l->inputs[n++] = l->inputs[i];
        }
        l->n_inputs = n;
        if (n == 0) {
                free(l->inputs);
                l->inputs = NULL;
        }
}

static int add_pending(HookLedger *l, const char *key, const Event *e, const char *input,
                       SharedBuf *shared) {
        TaskPendingHook p = { .input = TASK_HOOK_NO_INPUT }, *v;
        const char *kind = event_kind_name(e->kind);
        int k;

        if (!key || !kind)
                return -EINVAL;
        if (hook_ledger_has_done(l, key) || hook_ledger_pending(l, key))
                return 0;
        if (l->n_pending >= TASK_STORE_MAX_HOOKS)
                return -E2BIG;

        p.key = strdup(key);
        p.kind = strdup(kind);
        k = p.key && p.kind ? 0 : -ENOMEM;
        for (size_t f = 0; k == 0 && f < _TASK_HOOK_FIELD_MAX; f++)
                k = dup_field(&p.fields[f], *event_field((Event *) e, (TaskHookField) f));
        if (k == 0) {
                v = reallocarray(l->pending, l->n_pending + 1, sizeof(*v));
                if (v)
                        l->pending = v;
                else
                        k = -ENOMEM;
        }
        if (k == 0) {
                k = shared ? input_index_shared(l, shared, &p.input) : input_index(l, input, &p.input);
                if (k >= 0) {
                        l->pending[l->n_pending++] = p;
                        return 1;
                }
        }
        pending_hook_done(&p);
        return k;
}

int hook_ledger_add_pending(HookLedger *l, const char *key, const Event *e, const char *input) {
        return add_pending(l, key, e, input, NULL);
}

int hook_ledger_add_pending_shared(HookLedger *l, const char *key, const Event *e,
                                   SharedBuf *input) {
        return add_pending(l, key, e, NULL, input);
}

int hook_ledger_finish(HookLedger *l, const char *key) {
        int k = hook_ledger_add_done(l, key);

        if (k < 0 && k != -E2BIG)
                return k; /* still pending: the next try finds it there */
        for (size_t i = 0; i < l->n_pending; i++)
                if (streq_ptr(l->pending[i].key, key)) {
                        pending_hook_done(&l->pending[i]);
                        memmove(&l->pending[i], &l->pending[i + 1],
                                (l->n_pending - i - 1) * sizeof(*l->pending));
                        l->n_pending--;
                        inputs_compact(l);
                        break;
                }
        return k;
}

int task_pending_hook_to_event(const TaskPendingHook *p, const char *task_id, Event *ret) {
        for (size_t k = 0; k < _EVENT_KIND_MAX; k++) {
                if (!p->kind || !streq_ptr(event_kind_name((EventKind) k), p->kind))
                        continue;
                *ret = EVENT_INIT((EventKind) k);
                ret->task_id = task_id;
                for (size_t f = 0; f < _TASK_HOOK_FIELD_MAX; f++)
                        *event_field(ret, (TaskHookField) f) = p->fields[f];
                return 0;
        }
        return -EINVAL;
}


HookLedger *hook_ledger_free(HookLedger *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_done; i++)
                free(l->done[i]);
        free(l->done);
        hook_ledger_clear_pending(l);
        free(l);
        return NULL;
}
