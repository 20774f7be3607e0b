/* DescribeClusterTasks: one page decoded into plain structs, and the pager of one round. */
#include "ack/cluster-tasks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "json/json-get.h"
#include "json/json-parse.h"
#include "json/json-reason.h"
#include "util/iso8601.h"
#include "util/reason.h"
#include "util/strutil.h"

static const JsonLimits page_limits = {
        .max_bytes = CLUSTER_TASKS_MAX_BODY,
        .max_depth = CLUSTER_TASKS_MAX_DEPTH,
        .max_entries = CLUSTER_TASKS_MAX_ENTRIES,
        .max_values = CLUSTER_TASKS_MAX_VALUES,
};

void cluster_task_done(ClusterTask *t) {
        free(t->task_id);
        free(t->task_type);
        free(t->state);
        free(t->created);
        free(t->updated);
        free(t->error_code);
        free(t->error_message);
        *t = (ClusterTask) {};
}

ClusterTasksPage *cluster_tasks_page_free(ClusterTasksPage *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_tasks; i++)
                cluster_task_done(&p->tasks[i]);
        free(p->tasks);
        free(p->request_id);
        free(p->next_token);
        free(p);
        return NULL;
}

/* The member key of obj as text: a string, or (when ints) an integer as its decimal text.
 * Absent or null: *ret stays NULL. Anything else is refused, naming path.key. */
static int get_text(yajl_val obj, const char *key, bool ints, const char *path, char **ret,
                    char **reason) {
        yajl_val v = json_member(obj, key);
        char buf[32];

        if (!v || YAJL_IS_NULL(v))
                return 0;
        if (YAJL_IS_STRING(v))
                *ret = strdup(v->u.string);
        else if (ints && YAJL_IS_INTEGER(v)) {
                (void) snprintf(buf, sizeof buf, "%lld", YAJL_GET_INTEGER(v));
                *ret = strdup(buf);
        } else
                return json_fail(reason, "at %s%s%s: expected %s, got %s", path, *path ? "." : "",
                                 key, ints ? "a string or an integer" : "a string",
                                 json_type_name(v));
        return *ret ? 0 : -ENOMEM;
}

/* RFC 3339 text, or epoch milliseconds as digits: the list sends both. 0 when neither. */
static usec_t parse_time(const char *s) {
        usec_t t;

        if (!s || !*s)
                return 0;
        if (strspn(s, "0123456789") == strlen(s)) {
                unsigned long long ms;
                char *end;

                errno = 0;
                ms = strtoull(s, &end, 10);
                if (errno || *end || ms > UINT64_MAX / USEC_PER_MSEC)
                        return 0;
                return (usec_t) ms * USEC_PER_MSEC;
        }
        return iso8601_parse(s, 0, &t) < 0 ? 0 : t;
}

/* page_info numbers: an integer, or a string of digits (some gateways quote them). */
static int get_count(yajl_val obj, const char *key, uint64_t max, uint64_t *ret, bool *found,
                     char **reason) {
        yajl_val v = json_member(obj, key);
        long long n;

        *found = false;
        if (!v || YAJL_IS_NULL(v))
                return 0;
        if (YAJL_IS_STRING(v) && *v->u.string &&
            strspn(v->u.string, "0123456789") == strlen(v->u.string) &&
            strlen(v->u.string) <= 18)
                n = strtoll(v->u.string, NULL, 10);
        else if (json_get_integer(v, 0, INT64_MAX, &n) < 0)
                return json_fail(reason, "at page_info.%s: expected a count, got %s", key,
                                 json_type_name(v));
        if ((uint64_t) n > max)
                return json_fail(reason, "at page_info.%s: %lld is out of range", key, n);
        *ret = (uint64_t) n;
        *found = true;
        return 0;
}

static int decode_page_info(yajl_val v, ClusterTasksPage *p, char **reason) {
        uint64_t number = 0, size = 0, total = 0;
        bool f_number, f_size, f_total;
        int r;

        if (!v || YAJL_IS_NULL(v))
                return 0;
        if (!YAJL_IS_OBJECT(v))
                return json_fail(reason, "at page_info: expected an object, got %s",
                                 json_type_name(v));
        r = get_count(v, "page_number", UINT32_MAX, &number, &f_number, reason);
        if (r >= 0)
                r = get_count(v, "page_size", UINT32_MAX, &size, &f_size, reason);
        if (r >= 0)
                r = get_count(v, "total_count", UINT64_MAX, &total, &f_total, reason);
        if (r < 0)
                return r;
        if (f_number && number == 0)
                return json_fail(reason, "at page_info.page_number: pages count from 1");
        p->has_page_info = f_number || f_size || f_total;
        p->page_number = (uint32_t) number; /* 0: not sent (a 0 sent was refused above) */
        p->page_size = (uint32_t) size;
        p->total_count = total;
        p->has_total_count = f_total;
        return 0;
}

static int decode_task(yajl_val v, size_t i, ClusterTask *t, char **reason) {
        char path[48];
        yajl_val err;
        int r;

        (void) snprintf(path, sizeof path, "tasks[%zu]", i);
        if (!YAJL_IS_OBJECT(v))
                return json_fail(reason, "at %s: expected an object, got %s", path,
                                 json_type_name(v));
        r = get_text(v, "task_id", true, path, &t->task_id, reason);
        if (r >= 0)
                r = get_text(v, "state", false, path, &t->state, reason);
        if (r >= 0)
                r = get_text(v, "task_type", false, path, &t->task_type, reason);
        if (r >= 0)
                r = get_text(v, "created", true, path, &t->created, reason);
        if (r >= 0)
                r = get_text(v, "updated", true, path, &t->updated, reason);
        if (r < 0)
                return r;

        err = json_member(v, "error");
        if (err && !YAJL_IS_NULL(err)) {
                char sub[64];

                (void) snprintf(sub, sizeof sub, "%s.error", path);
                if (!YAJL_IS_OBJECT(err))
                        return json_fail(reason, "at %s: expected an object, got %s", sub,
                                         json_type_name(err));
                r = get_text(err, "code", true, sub, &t->error_code, reason);
                if (r >= 0)
                        r = get_text(err, "message", false, sub, &t->error_message, reason);
                if (r < 0)
                        return r;
        }

        if (!t->task_id)
                return json_fail(reason, "at %s: no task_id", path);
        if (!string_is_visible_ascii(t->task_id, strlen(t->task_id), CLUSTER_TASK_ID_MAX))
                return json_fail(reason, "at %s.task_id: not a task id (1..%u printable "
                                 "characters without blanks)", path, CLUSTER_TASK_ID_MAX);
        if (!t->state)
                return json_fail(reason, "at %s: no state", path);
        t->created_usec = parse_time(t->created);
        t->updated_usec = parse_time(t->updated);
        return 0;
}

static int decode_tasks(yajl_val v, ClusterTasksPage *p, char **reason) {
        size_t n;
        int r;

        if (!v || YAJL_IS_NULL(v))
                return json_fail(reason, "no tasks");
        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at tasks: expected an array, got %s", json_type_name(v));
        n = v->u.array.len; /* at most CLUSTER_TASKS_MAX_ENTRIES: the guard saw to it */
        if (n == 0)
                return 0;
        p->tasks = calloc(n, sizeof(ClusterTask));
        if (!p->tasks)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = decode_task(v->u.array.values[i], i, &p->tasks[p->n_tasks], reason);
                p->n_tasks++; /* freed with the page, also when half decoded */
                if (r < 0)
                        return r;
                /* One page naming a task twice is not a list; a page is small enough to
                 * compare each pair. */
                for (size_t j = 0; j + 1 < p->n_tasks; j++)
                        if (strcmp(p->tasks[j].task_id, p->tasks[i].task_id) == 0)
                                return json_fail(reason, "at tasks[%zu].task_id: the same task "
                                                 "as tasks[%zu]", i, j);
        }
        return 0;
}

int cluster_tasks_parse(const char *body, size_t len, ClusterTasksPage **ret, char **ret_reason) {
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *p = NULL;
        _cleanup_(json_freep) yajl_val root = NULL;
        _cleanup_(freep) char *reason = NULL;
        int r;

        if (!ret || (!body && len > 0))
                return -EINVAL;
        if (len > CLUSTER_TASKS_MAX_BODY)
                r = json_fail(&reason, "body of %zu bytes is larger than the limit of %u bytes",
                              len, CLUSTER_TASKS_MAX_BODY);
        else
                r = json_parse(body, len, &page_limits, &root, &reason);
        if (r >= 0 && !YAJL_IS_OBJECT(root))
                r = json_fail(&reason, "expected an object, got %s", json_type_name(root));
        if (r >= 0) {
                p = calloc(1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                r = decode_tasks(json_member(root, "tasks"), p, &reason);
        }
        if (r >= 0)
                r = decode_page_info(json_member(root, "page_info"), p, &reason);
        /* camelCase here, unlike DescribeTaskInfo; the other casings cost nothing. */
        if (r >= 0)
                r = get_text(root, "requestId", false, "", &p->request_id, &reason);
        if (r >= 0 && !p->request_id)
                r = get_text(root, "request_id", false, "", &p->request_id, &reason);
        if (r >= 0 && !p->request_id)
                r = get_text(root, "RequestId", false, "", &p->request_id, &reason);
        if (r >= 0)
                r = get_text(root, "next_token", false, "", &p->next_token, &reason);
        if (r >= 0 && p->has_page_info && p->page_size == 0 && p->n_tasks > 0)
                r = json_fail(&reason, "at page_info.page_size: 0 with %zu tasks", p->n_tasks);
        if (r < 0) {
                if (ret_reason && r == -EBADMSG)
                        *ret_reason = TAKE_PTR(reason);
                return r;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* ---- the pager ------------------------------------------------------------------------ */

void cluster_pager_start(ClusterPager *p, uint32_t page_size, uint32_t max_pages) {
        cluster_pager_clear(p);
        p->page_size = page_size ? page_size : CLUSTER_PAGER_PAGE_SIZE;
        p->max_pages = max_pages ? max_pages : CLUSTER_PAGER_MAX_PAGES;
}

uint32_t cluster_pager_next_page(const ClusterPager *p) {
        return p->complete ? 0 : p->pages_seen + 1;
}

static ClusterTask *pager_find(ClusterPager *p, const char *task_id) {
        for (size_t i = 0; i < p->n_tasks; i++)
                if (strcmp(p->tasks[i].task_id, task_id) == 0)
                        return &p->tasks[i];
        return NULL;
}

/* Whether the page just added ends the round. eff is the page size the server used (it
 * may cap what was asked for). With a total_count, the round is over once the pages seen
 * reach it: a short page alone does not end it, since a server that caps the page size
 * without saying so must not cut the round short. Without one, a short page ends it. */
static bool pager_round_is_over(const ClusterPager *p, const ClusterTasksPage *page, size_t n) {
        uint64_t eff = page->has_page_info && page->page_size ? page->page_size : p->page_size;
        uint64_t seen_through = (uint64_t) (p->pages_seen - 1) * eff + n;

        if (n == 0 || !page->has_page_info)
                return true;
        if (p->have_total)
                return seen_through >= p->total_count;
        return n < eff;
}

int cluster_pager_add(ClusterPager *p, ClusterTasksPage *page, char **reason) {
        uint32_t asked = cluster_pager_next_page(p);
        size_t n = page->n_tasks, n_new = 0;
        ClusterTask *grown;

        if (asked == 0)
                return reason_set(reason, -EBADMSG, "the round is complete");
        if (page->page_number != 0 && page->page_number != asked)
                return reason_set(reason, -EBADMSG, "asked for page %" PRIu32 ", got page %" PRIu32,
                                  asked, page->page_number);

        for (size_t i = 0; i < page->n_tasks; i++)
                if (!pager_find(p, page->tasks[i].task_id))
                        n_new++;
        if (n_new > 0) {
                grown = reallocarray(p->tasks, p->n_tasks + n_new, sizeof(ClusterTask));
                if (!grown)
                        return -ENOMEM;
                p->tasks = grown;
        }

        /* Nothing fails from here on: the page is taken whole or not at all. */
        for (size_t i = 0; i < page->n_tasks; i++) {
                ClusterTask *t = &page->tasks[i], *old = pager_find(p, t->task_id);

                if (!old)
                        p->tasks[p->n_tasks++] = *t;
                else {
                        p->n_duplicates++;
                        /* It moved while we paged: the later look at it is the newer one,
                         * unless its own time says otherwise. */
                        if (t->updated_usec >= old->updated_usec) {
                                cluster_task_done(old);
                                *old = *t;
                        } else
                                cluster_task_done(t);
                }
                *t = (ClusterTask) {};
        }
        page->n_tasks = 0;

        p->pages_seen++;
        if (page->has_total_count) {
                if (p->have_total && p->total_count != page->total_count)
                        p->unstable = true;
                p->total_count = page->total_count;
                p->have_total = true;
        }
        if (pager_round_is_over(p, page, n))
                p->complete = true;
        else if (p->pages_seen >= p->max_pages) {
                p->complete = true;
                p->truncated = true;
        }
        return 0;
}

void cluster_pager_clear(ClusterPager *p) {
        for (size_t i = 0; i < p->n_tasks; i++)
                cluster_task_done(&p->tasks[i]);
        free(p->tasks);
        *p = (ClusterPager) {};
}
