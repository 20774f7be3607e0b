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
        for (size_t i = 0; i < n; i++)
                s->instances[i].phase = instance_phase_from_status(s->instances[i].status);
        task_snapshot_count(s);
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
        hook_ledger_free(r->own_hooks);
        *r = (TaskRecord) { .snapshot.phase = TASK_PHASE_UNKNOWN };
}

TaskRecord *task_record_free(TaskRecord *r) {
        if (!r)
                return NULL;
        task_record_done(r);
        free(r);
        return NULL;
}

HookLedger *task_record_own_hooks(TaskRecord *r) {
        if (!r->own_hooks && hook_ledger_new(&r->own_hooks) < 0)
                return NULL;
        r->hooks = r->own_hooks;
        return r->own_hooks;
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
