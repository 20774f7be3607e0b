/* What we last knew of one task, and the transitions that a new reply implies, as values. */
#include "track/task-tracker.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/strutil.h"

int task_tracker_init(TaskTracker *t, const char *task_id) {
        *t = (TaskTracker) { .now.phase = TASK_PHASE_UNKNOWN };
        t->task_id = strdup(task_id);
        return t->task_id ? 0 : -ENOMEM;
}

void task_tracker_done(TaskTracker *t) {
        free(t->task_id);
        task_snapshot_clear(&t->now);
        *t = (TaskTracker) {};
}

static int compare_instance(const void *a, const void *b) {
        return strcmp(((const TrackedInstance *) a)->id, ((const TrackedInstance *) b)->id);
}

/* The view borrows id and status from the reply or the old snapshot. */
static void instance_set(TrackedInstance *i, const char *id, const char *status) {
        *i = (TrackedInstance) {
                .id = (char *) id,
                .status = (char *) (status ?: ""),
                .phase = instance_phase_from_status(status),
        };
}

static const TrackedInstance *find_instance(const TrackedInstance *v, size_t n, const char *id) {
        TrackedInstance key = { .id = (char *) id };

        if (n == 0)
                return NULL; /* v may be NULL, which bsearch must not see */
        return bsearch(&key, v, n, sizeof(*v), compare_instance);
}

/* Orders reply positions by instance id, then by position, so that the last entry of a
 * duplicated id is the one kept, whatever qsort does with equal keys. */
static int compare_reply_position(const void *a, const void *b, void *userdata) {
        const TaskInstance *v = userdata;
        size_t i = *(const size_t *) a, j = *(const size_t *) b;
        int c = strcmp(v[i].id ?: "", v[j].id ?: "");

        return c != 0 ? c : (i > j) - (i < j);
}

/* The reply's instances, plus any we knew that the reply no longer lists: an instance
 * missing from one reply keeps its last status rather than vanishing and coming back
 * as "added". Sorted by id; a duplicated id keeps its last entry in the reply. Fills
 * s->instances with a new array of borrowed entries; the caller frees the array. */
static int view_instances(TaskSnapshot *s, const TaskSnapshot *old, const TaskInfo *info,
                          size_t *n_dropped) {
        _cleanup_(freep) size_t *order = NULL;
        size_t n = 0, n_reply, cap = info->n_instances + old->n_instances;
        TrackedInstance *v;

        v = calloc(cap ? cap : 1, sizeof(*v));
        order = calloc(info->n_instances ? info->n_instances : 1, sizeof(*order));
        if (!v || !order) {
                free(v);
                return -ENOMEM;
        }
        s->instances = v;

        for (size_t i = 0; i < info->n_instances; i++)
                order[i] = i;
        qsort_r(order, info->n_instances, sizeof(*order), compare_reply_position, info->instances);

        for (size_t k = 0; k < info->n_instances; k++) {
                const TaskInstance *in = &info->instances[order[k]];

                if (!in->id)
                        continue; /* the decoder refuses these; never crash on one */

                if (k + 1 < info->n_instances &&
                    streq_ptr(in->id, info->instances[order[k + 1]].id))
                        continue; /* a later entry for the same id follows */
                instance_set(&v[n], in->id, in->status);
                /* Counted as emit_changes() tells a failure: failed now and not before. */
                const TrackedInstance *was = find_instance(old->instances, old->n_instances, in->id);
                v[n].failures = was ? was->failures : 0;
                if (v[n].phase == INSTANCE_PHASE_FAILED && (!was || was->phase != INSTANCE_PHASE_FAILED) &&
                    v[n].failures < UINT_MAX)
                        v[n].failures++;
                n++;
        }

        n_reply = n;
        *n_dropped = 0;
        for (size_t i = 0; i < old->n_instances; i++) {
                const TrackedInstance *o = &old->instances[i];
                if (find_instance(v, n_reply, o->id))
                        continue;
                if (n >= TASK_TRACKER_MAX_INSTANCES) {
                        (*n_dropped)++;
                        continue;
                }
                instance_set(&v[n], o->id, o->status);
                v[n++].failures = o->failures;
        }
        if (n > n_reply)
                qsort(v, n, sizeof(*v), compare_instance);
        s->n_instances = n;
        task_snapshot_count(s);
        return 0;
}

/* The new snapshot, packed into one block: first a view that borrows every string from
 * the reply and the old snapshot, then one copy of it. */
static int snapshot_build(TaskSnapshot *s, const TaskSnapshot *old, const TaskInfo *info,
                          size_t *n_dropped) {
        TaskSnapshot view = {
                .phase = task_phase_from_state(info->state),
                .state = (char *) info->state,
                .stage = (char *) info->current_stage,
                /* Identity fields rarely come and go; keep what we knew if a reply omits them. */
                .cluster_id = (char *) (info->cluster_id ?: old->cluster_id),
                .task_type = (char *) (info->task_type ?: old->task_type),
                .error_code = (char *) info->error_code,
                .error_message = (char *) info->error_message,
        };
        int r;

        r = view_instances(&view, old, info, n_dropped);
        if (r >= 0)
                r = task_snapshot_pack(s, &view);
        free(view.instances);
        return r;
}

/* ---- the list of transitions ------------------------------------------------------------ */

void transition_list_done(TransitionList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i].message);
        free(l->items);
        task_snapshot_clear(&l->before);
        *l = (TransitionList) {};
}

typedef struct Emitter {
        const TaskTracker *t;
        const TaskSnapshot *s;
        const char *request_id;
        TransitionList *list;
        int error; /* the first failure to add one: the reply is then not applied */
} Emitter;

static void emit(Emitter *em, const Event *e, const char *fmt, ...) _printf_(3, 4);
static void emit(Emitter *em, const Event *e, const char *fmt, ...) {
        TransitionList *l = em->list;
        Transition *v;
        char *message;
        va_list ap;
        int r;

        if (em->error < 0)
                return;
        va_start(ap, fmt);
        r = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (r < 0) {
                em->error = -ENOMEM;
                return;
        }
        if (l->n == l->n_allocated) {
                /* Doubling: 100 000 instance events must not cost 100 000 moves of a growing
                 * array (quadratic when realloc cannot grow in place). */
                size_t want = l->n_allocated ? 2 * l->n_allocated : 16;

                v = reallocarray(l->items, want, sizeof(*v));
                if (!v) {
                        free(message);
                        em->error = -ENOMEM;
                        return;
                }
                l->items = v;
                l->n_allocated = want;
        }
        v = l->items;
        v[l->n] = (Transition) { .event = *e, .message = message };
        v[l->n].event.message = message;
        l->n++;
}

static Event emitter_event(const Emitter *em, EventKind kind) {
        Event e = EVENT_INIT(kind);

        e.task_id = em->t->task_id;
        e.cluster_id = em->s->cluster_id;
        e.task_type = em->s->task_type;
        e.task_state = em->s->state;
        e.task_stage = em->s->stage;
        e.request_id = em->request_id;
        e.instances_succeeded = (long) em->s->n_succeeded;
        e.instances_failed = (long) em->s->n_failed;
        e.instances_pending = (long) em->s->n_pending;
        return e;
}

static const char *or_dash(const char *s) {
        return s && *s ? s : "-";
}

static void emit_instance(Emitter *em, const TrackedInstance *now, const TrackedInstance *before) {
        EventKind kind;
        Event e;

        if (now->phase == INSTANCE_PHASE_SUCCEEDED)
                kind = EVENT_INSTANCE_SUCCEEDED;
        else if (now->phase == INSTANCE_PHASE_FAILED)
                kind = EVENT_INSTANCE_FAILED;
        else if (!before)
                kind = EVENT_INSTANCE_ADDED;
        else
                kind = EVENT_INSTANCE_STATUS_CHANGED;

        e = emitter_event(em, kind);
        e.instance_id = now->id;
        e.instance_status = now->status;
        e.instance_previous_status = before ? before->status : NULL;
        if (kind == EVENT_INSTANCE_FAILED) {
                e.instance_failure = now->failures;
                /* task_result has no per-instance reason; the task's error is the best hint. */
                e.error_code = em->s->error_code;
                e.error_message = em->s->error_message;
                emit(em, &e, "%s: instance %s failed (was %s)%s%s%s%s", em->t->task_id,
                            now->id, before ? or_dash(before->status) : "new",
                            em->s->error_code ? "; task error " : "", em->s->error_code ?: "",
                            em->s->error_message ? ": " : "", em->s->error_message ?: "");
        } else if (kind == EVENT_INSTANCE_ADDED)
                emit(em, &e, "%s: instance %s added (%s)", em->t->task_id, now->id,
                            or_dash(now->status));
        else
                emit(em, &e, "%s: instance %s %s (was %s)", em->t->task_id, now->id,
                            kind == EVENT_INSTANCE_SUCCEEDED ? "succeeded" : or_dash(now->status),
                            before ? or_dash(before->status) : "new");
}

static void emit_task_phase(Emitter *em, const char *previous_state) {
        const TaskSnapshot *s = em->s;
        EventKind kind;
        Event e;

        switch (s->phase) {
        case TASK_PHASE_SUCCEEDED:
                kind = EVENT_TASK_SUCCEEDED;
                break;
        case TASK_PHASE_FAILED:
                kind = EVENT_TASK_FAILED;
                break;
        case TASK_PHASE_CANCELED:
                kind = EVENT_TASK_CANCELED;
                break;
        case TASK_PHASE_UNKNOWN:
                kind = EVENT_TASK_UNKNOWN_STATE;
                break;
        default:
                kind = EVENT_TASK_STATE_CHANGED;
        }

        e = emitter_event(em, kind);
        e.task_previous_state = previous_state;
        switch (kind) {
        case EVENT_TASK_FAILED:
        case EVENT_TASK_CANCELED:
                e.error_code = s->error_code;
                e.error_message = s->error_message;
                emit(em, &e,
                            "%s: task %s (%s on cluster %s)%s%s%s%s; instances %zu succeeded, %zu failed, %zu pending",
                            em->t->task_id, kind == EVENT_TASK_FAILED ? "failed" : "canceled",
                            or_dash(s->task_type), or_dash(s->cluster_id),
                            s->error_code || s->error_message ? ": " : "",
                            s->error_code ?: "", s->error_code && s->error_message ? ": " : "",
                            s->error_message ?: "", s->n_succeeded, s->n_failed, s->n_pending);
                break;
        case EVENT_TASK_SUCCEEDED:
                emit(em, &e,
                            "%s: task succeeded (%s on cluster %s); instances %zu succeeded, %zu failed",
                            em->t->task_id, or_dash(s->task_type), or_dash(s->cluster_id),
                            s->n_succeeded, s->n_failed);
                break;
        case EVENT_TASK_UNKNOWN_STATE:
                emit(em, &e, "%s: task is in unknown state '%s' (was %s); still watching",
                            em->t->task_id, or_dash(s->state), or_dash(previous_state));
                break;
        default:
                emit(em, &e, "%s: task %s (was %s)", em->t->task_id, or_dash(s->state),
                            or_dash(previous_state));
        }
}

static void emit_baseline(Emitter *em) {
        const TaskSnapshot *s = em->s;
        Event e = emitter_event(em, EVENT_TASK_BASELINE);

        emit(em, &e,
                    "%s: watching %s on cluster %s: %s, stage %s; instances %zu succeeded, %zu failed, %zu pending",
                    em->t->task_id, or_dash(s->task_type), or_dash(s->cluster_id), or_dash(s->state),
                    or_dash(s->stage), s->n_succeeded, s->n_failed, s->n_pending);

        /* Alerts key on task-failed and instance-failed: a task that had already failed
         * when we started watching must fire them too. */
        for (size_t i = 0; i < s->n_instances; i++)
                if (s->instances[i].phase == INSTANCE_PHASE_FAILED)
                        emit_instance(em, &s->instances[i], NULL);
        if (s->phase != TASK_PHASE_RUNNING && s->phase != TASK_PHASE_PAUSED)
                emit_task_phase(em, NULL);
}

/* Both failure spellings are one phase; an unknown state is compared by its text. */
static bool state_changed(const TaskSnapshot *t, const TaskSnapshot *s) {
        if (t->phase != s->phase)
                return true;
        return s->phase == TASK_PHASE_UNKNOWN && !streq_ptr(t->state, s->state);
}

static bool emit_changes(Emitter *em) {
        const TaskSnapshot *t = &em->t->now;
        const TaskSnapshot *s = em->s;
        const char *id = em->t->task_id;
        bool changed = false;

        if (!streq_ptr(t->stage, s->stage)) {
                Event e = emitter_event(em, EVENT_TASK_STAGE_CHANGED);
                e.task_previous_stage = t->stage;
                emit(em, &e, "%s: stage %s (was %s)", id, or_dash(s->stage),
                            or_dash(t->stage));
                changed = true;
        }

        for (size_t i = 0; i < s->n_instances; i++) {
                const TrackedInstance *now = &s->instances[i];
                const TrackedInstance *before = find_instance(t->instances, t->n_instances, now->id);

                if (before && streq_ptr(before->status, now->status))
                        continue;
                /* "fail" -> "failed": another spelling of the same verdict is no transition. A
                 * pending status that changes its text ("initial" -> "creating") is news. */
                if (before && before->phase == now->phase && now->phase != INSTANCE_PHASE_PENDING)
                        continue;
                emit_instance(em, now, before);
                changed = true;
        }

        if (s->n_succeeded != t->n_succeeded || s->n_failed != t->n_failed ||
            s->n_pending != t->n_pending) {
                Event e = emitter_event(em, EVENT_TASK_PROGRESS);
                emit(em, &e, "%s: instances %zu succeeded, %zu failed, %zu pending (of %zu)",
                            id, s->n_succeeded, s->n_failed, s->n_pending, s->n_instances);
                changed = true;
        }

        if (state_changed(t, s)) {
                emit_task_phase(em, t->state);
                changed = true;
        }
        return changed;
}

int task_tracker_apply(TaskTracker *t, const TaskInfo *info, const char *request_id,
                       TransitionList *ret) {
        TransitionList list = {};
        TaskSnapshot s;
        size_t n_dropped = 0;
        bool changed;
        int r;

        r = snapshot_build(&s, &t->now, info, &n_dropped);
        if (r < 0)
                return r;

        Emitter em = { .t = t, .s = &s, .request_id = request_id, .list = &list };
        if (!t->have_baseline) {
                emit_baseline(&em);
                changed = true;
        } else
                changed = emit_changes(&em);
        if (em.error < 0) {
                transition_list_done(&list);
                task_snapshot_clear(&s);
                return em.error;
        }

        /* The new picture replaces the old, which the transitions keep: they borrow from
         * both. */
        list.before = t->now;
        t->now = s;
        t->have_baseline = true;
        t->n_dropped = n_dropped;
        *ret = list;
        return changed ? 1 : 0;
}
