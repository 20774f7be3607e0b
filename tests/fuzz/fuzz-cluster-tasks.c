/* libFuzzer target: the DescribeClusterTasks page decoder on any bytes, and every page it
 * accepts fed through a pager, whose invariants (no task twice, the round ends within its
 * bound) are checked. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ack/cluster-tasks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What an accepted page promises its users. */
static void check_page(const ClusterTasksPage *p) {
        for (size_t i = 0; i < p->n_tasks; i++) {
                const ClusterTask *t = &p->tasks[i];

                if (!t->task_id || !t->state || !*t->task_id ||
                    strlen(t->task_id) > CLUSTER_TASK_ID_MAX || strpbrk(t->task_id, " \n\r\t"))
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(p->tasks[j].task_id, t->task_id) == 0)
                                abort();
        }
        /* page_number 0 means "not sent": a 0 sent is refused. */
        if (!p->has_page_info && (p->page_number || p->page_size || p->has_total_count))
                abort();
}

/* The same page handed to a pager again and again, as a server stuck on one answer would:
 * the round must end within max_pages, without a task twice. */
static void check_pager(const uint8_t *data, size_t size) {
        ClusterPager pg = {};

        cluster_pager_start(&pg, 2, 4);
        for (unsigned round = 0; round < 8 && cluster_pager_next_page(&pg) > 0; round++) {
                ClusterTasksPage *p = NULL;
                char *reason = NULL;
                int r = cluster_tasks_parse((const char *) data, size, &p, &reason);

                if (r < 0) {
                        free(reason);
                        break;
                }
                /* Answer as the page asked for, or the pager refuses it (and stays put). */
                p->page_number = cluster_pager_next_page(&pg);
                r = cluster_pager_add(&pg, p, &reason);
                if (r < 0 && r != -ENOMEM)
                        abort();
                free(reason);
                cluster_tasks_page_free(p);
        }
        if (pg.pages_seen > pg.max_pages || (pg.pages_seen == pg.max_pages && !pg.complete))
                abort();
        for (size_t i = 0; i < pg.n_tasks; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(pg.tasks[j].task_id, pg.tasks[i].task_id) == 0)
                                abort();
        cluster_pager_clear(&pg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClusterTasksPage *p = NULL;
        char *reason = NULL;
        int r;

        r = cluster_tasks_parse((const char *) data, size, &p, &reason);
        if (r == 0) {
                if (!p || reason)
                        abort();
                check_page(p);
                check_pager(data, size);
        } else if (r == -EBADMSG) {
                if (p || !reason || strlen(reason) > 200 || strchr(reason, '\n'))
                        abort();
        } else if (r != -ENOMEM)
                abort();
        cluster_tasks_page_free(p);
        free(reason);
        return 0;
}
