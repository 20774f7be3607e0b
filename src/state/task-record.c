/* Task records: what is saved of a task, and the copies between a record and its tracker. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "task-store-internal.h"
#include "util/strutil.h"
#include "state/task-store.h"

/* Orders positions by the id found there, then by position, so the result does not depend on
 * what qsort does with equal keys. */
static int compare_position(const void *a, const void *b, void *userdata) {
        const TrackedInstance *v = userdata;
        size_t i = *(const size_t *) a, j = *(const size_t *) b;
        int c = strcmp(v[i].id, v[j].id);

        return c != 0 ? c : (i > j) - (i < j);
}

int task_store_snapshot_normalize(TaskSnapshot *s, size_t *ret_first, size_t *ret_second) {
        _cleanup_(freep) size_t *order = NULL;
        TrackedInstance *sorted;
        size_t n = s->n_instances;

        for (size_t i = 0; i < n; i++)
                if (!s->instances[i].status) {
                        s->instances[i].status = strdup("");
                        if (!s->instances[i].status)
                                return -ENOMEM;
                }

        if (n > 0) {
                order = calloc(n, sizeof(*order));
                sorted = calloc(n, sizeof(*sorted));
                if (!order || !sorted) {
                        free(sorted);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++)
                        order[i] = i;
                qsort_r(order, n, sizeof(*order), compare_position, s->instances);
                for (size_t k = 1; k < n; k++)
                        if (strcmp(s->instances[order[k - 1]].id, s->instances[order[k]].id) == 0) {
                                free(sorted);
                                *ret_first = order[k - 1];
                                *ret_second = order[k];
                                return -EEXIST;
                        }
                for (size_t k = 0; k < n; k++)
                        sorted[k] = s->instances[order[k]];
                free(s->instances);
                s->instances = sorted;
        }

        s->phase = task_phase_from_state(s->state);
        s->n_succeeded = s->n_failed = s->n_pending = 0;
        for (size_t i = 0; i < n; i++) {
                TrackedInstance *in = &s->instances[i];

                in->phase = instance_phase_from_status(in->status);
                switch (in->phase) {
                case INSTANCE_PHASE_SUCCEEDED:
                        s->n_succeeded++;
                        break;
                case INSTANCE_PHASE_FAILED:
                        s->n_failed++;
                        break;
                default:
                        s->n_pending++;
                }
        }
        return 0;
}

static int dup_field(char **dst, const char *src) {
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

/* A deep copy of src, normalized and packed: a record may have been filled by hand or by an
 * older release, and the tracker relies on sorted instances and consistent counts. */
static int snapshot_copy(TaskSnapshot *dst, const TaskSnapshot *src) {
        _cleanup_(task_snapshot_clear) TaskSnapshot s = { .phase = TASK_PHASE_UNKNOWN };
        size_t first, second;
        int r = 0;

        r = r ?: dup_field(&s.state, src->state);
        r = r ?: dup_field(&s.stage, src->stage);
        r = r ?: dup_field(&s.cluster_id, src->cluster_id);
        r = r ?: dup_field(&s.task_type, src->task_type);
        r = r ?: dup_field(&s.error_code, src->error_code);
        r = r ?: dup_field(&s.error_message, src->error_message);
        if (r < 0)
                return r;

        if (src->n_instances > 0) {
                s.instances = calloc(src->n_instances, sizeof(*s.instances));
                if (!s.instances)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < src->n_instances; i++) {
                if (!src->instances[i].id)
                        return -EINVAL;
                s.n_instances = i + 1;
                r = r ?: dup_field(&s.instances[i].id, src->instances[i].id);
                r = r ?: dup_field(&s.instances[i].status, src->instances[i].status);
                if (r < 0)
                        return r;
        }

        r = task_store_snapshot_normalize(&s, &first, &second);
        if (r == -EEXIST)
                return -EINVAL;
        if (r < 0)
                return r;
        return task_snapshot_pack(dst, &s);
}

int task_record_init(TaskRecord *r, const char *task_id) {
        if (!task_id)
                return -EINVAL;
        *r = (TaskRecord) { .snapshot.phase = TASK_PHASE_UNKNOWN };
        r->task_id = strdup(task_id);
        return r->task_id ? 0 : -ENOMEM;
}

int task_record_new(TaskRecord **ret, const char *task_id) {
        _cleanup_(freep) TaskRecord *r = NULL;
        int k;

        r = malloc(sizeof(*r));
        if (!r)
                return -ENOMEM;
        k = task_record_init(r, task_id);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(r);
        return 0;
}

void task_record_done(TaskRecord *r) {
        free(r->task_id);
        task_snapshot_clear(&r->snapshot);
        free(r->last_error);
        for (size_t i = 0; i < r->n_hooks_done; i++)
                free(r->hooks_done[i]);
        free(r->hooks_done);
        task_record_clear_hooks_pending(r);
        *r = (TaskRecord) { .snapshot.phase = TASK_PHASE_UNKNOWN };
}

TaskRecord *task_record_free(TaskRecord *r) {
        if (!r)
                return NULL;
        task_record_done(r);
        free(r);
        return NULL;
}

int task_record_set_last_error(TaskRecord *r, const char *error) {
        char *copy = NULL;

        if (error) {
                copy = strdup(error);
                if (!copy)
                        return -ENOMEM;
        }
        free(r->last_error);
        r->last_error = copy;
        return 0;
}

bool task_record_hook_done(const TaskRecord *r, const char *key) {
        for (size_t i = 0; i < r->n_hooks_done; i++)
                if (streq_ptr(r->hooks_done[i], key))
                        return true;
        return false;
}

int task_record_add_hook_done(TaskRecord *r, const char *key) {
        char **v, *copy;

        if (!key)
                return -EINVAL;
        if (task_record_hook_done(r, key))
                return 0;
        if (r->n_hooks_done >= TASK_STORE_MAX_HOOKS)
                return -E2BIG;
        copy = strdup(key);
        if (!copy)
                return -ENOMEM;
        v = reallocarray(r->hooks_done, r->n_hooks_done + 1, sizeof(*v));
        if (!v) {
                free(copy);
                return -ENOMEM;
        }
        v[r->n_hooks_done++] = copy;
        r->hooks_done = v;
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

void task_record_clear_hooks_pending(TaskRecord *r) {
        for (size_t i = 0; i < r->n_hooks_pending; i++)
                pending_hook_done(&r->hooks_pending[i]);
        free(r->hooks_pending);
        r->hooks_pending = NULL;
        r->n_hooks_pending = 0;
        for (size_t i = 0; i < r->n_hook_inputs; i++)
                free(r->hook_inputs[i]);
        free(r->hook_inputs);
        r->hook_inputs = NULL;
        r->n_hook_inputs = 0;
}

const TaskPendingHook *task_record_hook_pending(const TaskRecord *r, const char *key) {
        for (size_t i = 0; i < r->n_hooks_pending; i++)
                if (streq_ptr(r->hooks_pending[i].key, key))
                        return &r->hooks_pending[i];
        return NULL;
}

const char *task_record_hook_input(const TaskRecord *r, const TaskPendingHook *p) {
        return p->input < r->n_hook_inputs ? r->hook_inputs[p->input] : NULL;
}

/* The index of input among the kept ones, adding it when new; TASK_HOOK_NO_INPUT for NULL.
 * The newest is compared first: the events of one reply come together. */
static int input_index(TaskRecord *r, const char *input, size_t *ret) {
        char **v, *copy;

        *ret = TASK_HOOK_NO_INPUT;
        if (!input)
                return 0;
        for (size_t i = r->n_hook_inputs; i > 0; i--)
                if (strcmp(r->hook_inputs[i - 1], input) == 0) {
                        *ret = i - 1;
                        return 0;
                }
        copy = strdup(input);
        if (!copy)
                return -ENOMEM;
        v = reallocarray(r->hook_inputs, r->n_hook_inputs + 1, sizeof(*v));
        if (!v) {
                free(copy);
                return -ENOMEM;
        }
        r->hook_inputs = v;
        v[r->n_hook_inputs] = copy;
        *ret = r->n_hook_inputs++;
        return 1;
}

/* Drops inputs no pending run reads any more, and renumbers the rest. */
static void inputs_compact(TaskRecord *r) {
        size_t n = 0;

        for (size_t i = 0; i < r->n_hook_inputs; i++) {
                bool used = false;

                for (size_t k = 0; k < r->n_hooks_pending && !used; k++)
                        used = r->hooks_pending[k].input == i;
                if (!used) {
                        free(r->hook_inputs[i]);
                        continue;
                }
                for (size_t k = 0; k < r->n_hooks_pending; k++)
                        if (r->hooks_pending[k].input == i)
                                r->hooks_pending[k].input = n;
                r->hook_inputs[n++] = r->hook_inputs[i];
        }
        r->n_hook_inputs = n;
        if (n == 0) {
                free(r->hook_inputs);
                r->hook_inputs = NULL;
        }
}

int task_record_add_hook_pending(TaskRecord *r, const char *key, const Event *e,
                                 const char *input) {
        TaskPendingHook p = { .input = TASK_HOOK_NO_INPUT }, *v;
        const char *kind = event_kind_name(e->kind);
        int k;

        if (!key || !kind)
                return -EINVAL;
        if (task_record_hook_done(r, key) || task_record_hook_pending(r, key))
                return 0;
        if (r->n_hooks_pending >= TASK_STORE_MAX_HOOKS)
                return -E2BIG;

        p.key = strdup(key);
        p.kind = strdup(kind);
        k = p.key && p.kind ? 0 : -ENOMEM;
        for (size_t f = 0; k == 0 && f < _TASK_HOOK_FIELD_MAX; f++)
                k = dup_field(&p.fields[f], *event_field((Event *) e, (TaskHookField) f));
        if (k == 0) {
                v = reallocarray(r->hooks_pending, r->n_hooks_pending + 1, sizeof(*v));
                if (v)
                        r->hooks_pending = v;
                else
                        k = -ENOMEM;
        }
        if (k == 0) {
                k = input_index(r, input, &p.input);
                if (k >= 0) {
                        r->hooks_pending[r->n_hooks_pending++] = p;
                        return 1;
                }
        }
        pending_hook_done(&p);
        return k;
}

int task_record_finish_hook(TaskRecord *r, const char *key) {
        int k = task_record_add_hook_done(r, key);

        if (k < 0 && k != -E2BIG)
                return k; /* still pending: the next try finds it there */
        for (size_t i = 0; i < r->n_hooks_pending; i++)
                if (streq_ptr(r->hooks_pending[i].key, key)) {
                        pending_hook_done(&r->hooks_pending[i]);
                        memmove(&r->hooks_pending[i], &r->hooks_pending[i + 1],
                                (r->n_hooks_pending - i - 1) * sizeof(*r->hooks_pending));
                        r->n_hooks_pending--;
                        inputs_compact(r);
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

int task_record_from_tracker(TaskRecord *r, const TaskTracker *t) {
        TaskSnapshot s = { .phase = TASK_PHASE_UNKNOWN };
        char *id;
        int k;

        if (!t->task_id)
                return -EINVAL;
        if (t->have_baseline) {
                k = snapshot_copy(&s, &t->now);
                if (k < 0)
                        return k;
        }
        id = strdup(t->task_id);
        if (!id) {
                task_snapshot_clear(&s);
                return -ENOMEM;
        }

        free(r->task_id);
        r->task_id = id;
        r->have_baseline = t->have_baseline;
        task_snapshot_clear(&r->snapshot);
        r->snapshot = s;
        return 0;
}

int task_tracker_restore(TaskTracker *t, const TaskRecord *r) {
        TaskSnapshot s = { .phase = TASK_PHASE_UNKNOWN };
        int k;

        if (!t->task_id || !streq_ptr(t->task_id, r->task_id))
                return -EINVAL;
        /* Without a baseline the tracker holds nothing, whatever the record says. */
        if (r->have_baseline) {
                k = snapshot_copy(&s, &r->snapshot);
                if (k < 0)
                        return k;
        }

        task_snapshot_clear(&t->now);
        t->now = s;
        t->have_baseline = r->have_baseline;
        return 0;
}
