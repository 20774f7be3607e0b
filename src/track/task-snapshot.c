/* Snapshots packed into one allocation, and freed either way. */
#include "track/task-snapshot.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void task_snapshot_clear(TaskSnapshot *s) {
        if (s->block)
                free(s->block);
        else {
                free(s->state);
                free(s->stage);
                free(s->cluster_id);
                free(s->task_type);
                free(s->error_code);
                free(s->error_message);
                for (size_t i = 0; i < s->n_instances; i++) {
                        free(s->instances[i].id);
                        free(s->instances[i].status);
                }
                free(s->instances);
        }
        *s = (TaskSnapshot) { .phase = TASK_PHASE_UNKNOWN };
}

static size_t size_of(const char *s) {
        return s ? strlen(s) + 1 : 0;
}

/* Copies s (NULL stays NULL) to *cursor and moves the cursor past it. */
static char *put(char **cursor, const char *s) {
        char *at = *cursor;
        size_t n;

        if (!s)
                return NULL;
        n = strlen(s) + 1;
        memcpy(at, s, n);
        *cursor += n;
        return at;
}

int task_snapshot_pack(TaskSnapshot *dst, const TaskSnapshot *src) {
        const char *const fields[] = { src->state, src->stage, src->cluster_id, src->task_type,
                                       src->error_code, src->error_message };
        TaskSnapshot s = *src;
        TrackedInstance *v;
        size_t size;
        char *cursor;

        if (src->n_instances > SIZE_MAX / 2 / sizeof(*v))
                return -ENOMEM;
        size = src->n_instances * sizeof(*v); /* first, so the array is aligned */
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                size += size_of(fields[i]);
        for (size_t i = 0; i < src->n_instances; i++)
                size += size_of(src->instances[i].id) + size_of(src->instances[i].status);

        s.block = NULL;
        s.instances = NULL;
        if (size > 0) {
                s.block = malloc(size);
                if (!s.block)
                        return -ENOMEM;
        }
        v = s.block;
        cursor = (char *) (v + src->n_instances);
        if (src->n_instances > 0)
                s.instances = v;
        for (size_t i = 0; i < src->n_instances; i++)
                v[i] = (TrackedInstance) {
                        .id = put(&cursor, src->instances[i].id),
                        .status = put(&cursor, src->instances[i].status),
                        .phase = src->instances[i].phase,
                        .failures = src->instances[i].failures,
                };
        s.state = put(&cursor, src->state);
        s.stage = put(&cursor, src->stage);
        s.cluster_id = put(&cursor, src->cluster_id);
        s.task_type = put(&cursor, src->task_type);
        s.error_code = put(&cursor, src->error_code);
        s.error_message = put(&cursor, src->error_message);
        *dst = s;
        return 0;
}

void task_snapshot_count(TaskSnapshot *s) {
        s->n_succeeded = s->n_failed = s->n_pending = 0;
        for (size_t i = 0; i < s->n_instances; i++)
                switch (s->instances[i].phase) {
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
