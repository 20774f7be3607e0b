/* What the running daemon says about its polls (its runtime status file), for status. The
 * file is the daemon's own, on tmpfs, but it is still parsed with the same guards as any
 * other JSON: a reader must not crash on a file cut short or replaced. */
#include "runtime-status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json/json-get.h"
#include "json/json-parse.h"
#include "util/cleanup.h"
#include "util/iso8601.h"

static const JsonLimits limits = { .max_depth = 4, .max_entries = 2000000, .max_values = 20000000 };

/* An RFC 3339 time (the file's version 2), 0 for null or anything else. */
static usec_t get_time(yajl_val obj, const char *key) {
        const char *s = YAJL_GET_STRING(json_member(obj, key));
        usec_t t;

        return s && iso8601_parse(s, ISO8601_RFC3339, &t) >= 0 ? t : 0;
}

static int compare_tasks(const void *a, const void *b) {
        return strcmp(((const RuntimeTask *) a)->task_id, ((const RuntimeTask *) b)->task_id);
}

int runtime_status_parse(const char *text, size_t len, RuntimeStatus *ret) {
        _cleanup_(freep) char *reason = NULL;
        RuntimeStatus s = {};
        yajl_val root, tasks, v;
        int r;

        r = json_parse(text, len, &limits, &root, &reason);
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        v = json_member(root, "version");
        tasks = json_member_array(root, "tasks");
        if (!YAJL_IS_OBJECT(root) || !v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) != 2 ||
            !tasks) {
                json_free(root);
                return -EBADMSG;
        }
        v = json_member(root, "pid");
        s.pid = v && YAJL_IS_INTEGER(v) ? (pid_t) YAJL_GET_INTEGER(v) : 0;
        s.tasks = calloc(tasks->u.array.len + 1, sizeof(*s.tasks));
        if (!s.tasks) {
                json_free(root);
                return -ENOMEM;
        }
        for (size_t i = 0; i < tasks->u.array.len; i++) {
                yajl_val t = tasks->u.array.values[i], id = json_member(t, "task_id"), why = json_member(t, "waiting_for");
                RuntimeTask *rt = &s.tasks[s.n_tasks];

                const char *id_text = YAJL_IS_OBJECT(t) ? YAJL_GET_STRING(id) : NULL;
                const char *why_text = YAJL_GET_STRING(why);

                if (!id_text)
                        continue;
                rt->task_id = strdup(id_text);
                rt->waiting_for = why_text ? strdup(why_text) : NULL;
                rt->next_poll = get_time(t, "next_poll");
                rt->last_poll = get_time(t, "last_poll");
                rt->in_flight = YAJL_IS_TRUE(json_member(t, "in_flight"));
                s.n_tasks++;
                if (!rt->task_id) {
                        json_free(root);
                        runtime_status_done(&s);
                        return -ENOMEM;
                }
        }
        json_free(root);
        qsort(s.tasks, s.n_tasks, sizeof(*s.tasks), compare_tasks);
        *ret = s;
        return 0;
}

void runtime_status_done(RuntimeStatus *s) {
        for (size_t i = 0; i < s->n_tasks; i++) {
                free(s->tasks[i].task_id);
                free(s->tasks[i].waiting_for);
        }
        free(s->tasks);
        *s = (RuntimeStatus) {};
}

const RuntimeTask *runtime_status_find(const RuntimeStatus *s, const char *task_id) {
        RuntimeTask key = { .task_id = (char *) task_id };

        if (s->n_tasks == 0)
                return NULL;
        return bsearch(&key, s->tasks, s->n_tasks, sizeof(*s->tasks), compare_tasks);
}
