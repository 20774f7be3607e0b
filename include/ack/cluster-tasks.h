/* DescribeClusterTasks: one page of a cluster's task list decoded, and the pager that turns
 * pages into one round's complete, de-duplicated list. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "util/time-util.h"

/* A page is much smaller than a DescribeTaskInfo reply (no task_result): 100 tasks are
 * ~30 KB. Bigger bodies, deeper nesting or more entries are refused before yajl sees them. */
#define CLUSTER_TASKS_MAX_BODY (4U * 1024U * 1024U)
#define CLUSTER_TASKS_MAX_DEPTH 32U
#define CLUSTER_TASKS_MAX_ENTRIES 10000U
#define CLUSTER_TASKS_MAX_VALUES 200000U
/* A task id goes into a URL path (percent-encoded), journal fields and hook environments:
 * longer ones, or ones with control characters or blanks, make the page malformed. */
#define CLUSTER_TASK_ID_MAX 256U

/* What the pager asks for, and the most pages one round reads before it stops: a cluster
 * with more than CLUSTER_PAGER_MAX_PAGES × the server's page size tasks is listed in part
 * (ClusterPager.truncated says so). */
#define CLUSTER_PAGER_PAGE_SIZE 50U
#define CLUSTER_PAGER_MAX_PAGES 20U

/* One listed task. Strings are NULL when the reply lacks them but task_id and state, which
 * every listed task has. The times are also parsed: RFC 3339 text ("2024-01-01T10:00:03.482
 * +08:00") or epoch milliseconds (a JSON integer or a string of digits) into microseconds
 * since the epoch, 0 when absent or not a time (the text is kept, the task too). */
typedef struct ClusterTask {
        char *task_id, *task_type, *state, *created, *updated;
        char *error_code, *error_message;
        usec_t created_usec, updated_usec;
} ClusterTask;

typedef struct ClusterTasksPage {
        ClusterTask *tasks;
        size_t n_tasks;
        /* page_info; has_page_info false when the reply has none (then the page is the
         * whole list). Numbers are integers or strings of digits in the reply. */
        bool has_page_info;
        bool has_total_count;
        uint32_t page_number, page_size; /* 0 when not sent */
        uint64_t total_count;
        char *request_id; /* "requestId" (camelCase here), or "request_id"/"RequestId" */
        char *next_token; /* the token-paging cursor, NULL or "" when none */
} ClusterTasksPage;

/* Decode a 2xx DescribeClusterTasks body. Unknown keys are ignored; a known key of the
 * wrong type, a task without a task_id or state, an id that is not fit for a URL path, a
 * task id twice in one page, or a page_info that does not add up (page_number 0, a
 * page_size 0 with tasks) is refused: -EBADMSG with *ret_reason (optional) saying where
 * ("at tasks[3].task_id: expected a string, got a number"), or -ENOMEM. A body without
 * "tasks" is refused too: an empty list is "tasks": []. */
int cluster_tasks_parse(const char *body, size_t len, ClusterTasksPage **ret, char **ret_reason);
ClusterTasksPage *cluster_tasks_page_free(ClusterTasksPage *p);
DEFINE_POINTER_CLEANUP(ClusterTasksPage, cluster_tasks_page_free)

void cluster_task_done(ClusterTask *t);

/* One round of paging through a cluster's list, pure (no I/O, no clock). The order of the
 * list is undocumented and tasks are created and change while it is paged, so an entry can
 * move between two pages: one that moves to a later page is seen twice, and the pager keeps
 * one (the later updated; on a tie, the one seen last); one that moves to an earlier page
 * may be missed by this round, and is then seen by the next (the round says it was
 * unstable, so a caller may run the next one sooner). A round always runs to its end: it
 * does not stop because total_count changed, only at a short or empty page, at the end
 * total_count gives, or at max_pages. */
typedef struct ClusterPager {
        uint32_t page_size;  /* asked for */
        uint32_t max_pages;
        uint32_t pages_seen; /* the next page asked for is pages_seen + 1 */
        bool complete;       /* the round is over: take tasks */
        bool truncated;      /* over because of max_pages while the list went on */
        bool unstable;       /* total_count changed between two pages of the round */
        bool have_total;
        uint64_t total_count; /* the last page's */
        ClusterTask *tasks;  /* de-duplicated by task_id, in the order first seen */
        size_t n_tasks;
        size_t n_duplicates; /* entries seen again on a later page of this round */
} ClusterPager;

/* page_size 0 or max_pages 0: the defaults above. */
void cluster_pager_start(ClusterPager *p, uint32_t page_size, uint32_t max_pages);
/* The page to ask for next (1-based), 0 when the round is complete. */
uint32_t cluster_pager_next_page(const ClusterPager *p);
/* Adds the reply to the page asked for; takes the tasks out of page (page is left without
 * tasks and is still the caller's). A reply that names another page_number than the one
 * asked for (one that names none is taken as the one asked for), or a
 * call after the round is complete, is -EBADMSG with *reason (optional); -ENOMEM. Either
 * way the pager is unchanged, so the caller may ask for the page again. */
int cluster_pager_add(ClusterPager *p, ClusterTasksPage *page, char **reason);
/* Frees the tasks; the pager can be started again. */
void cluster_pager_clear(ClusterPager *p);
