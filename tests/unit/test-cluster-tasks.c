/* The DescribeClusterTasks page decoder and the pager of one round. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack/cluster-tasks.h"
#include "test.h"
#include "util/strutil.h"

static int parse(const char *body, ClusterTasksPage **ret, char **reason) {
        return cluster_tasks_parse(body, strlen(body), ret, reason);
}

/* Expects body to be refused with exactly reason. */
#define ASSERT_REFUSED(body, why)                                                             \
        do {                                                                                  \
                _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *_p = NULL;              \
                _cleanup_(freep) char *_r = NULL;                                             \
                ASSERT_INT_EQ(parse(body, &_p, &_r), -EBADMSG);                               \
                ASSERT_NULL(_p);                                                              \
                ASSERT_STR_EQ(_r, why);                                                       \
        } while (0)

/* The reply as ACK sends it: snake_case tasks, camelCase requestId. */
static void test_page_as_sent(void) {
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *p = NULL;
        const char *body =
                "{\"tasks\":["
                "{\"task_id\":\"T-5faa48fb31b6b8078d000006\",\"task_type\":\"nodepool_scaleout\","
                "\"state\":\"running\",\"created\":\"2024-01-01T10:00:00+08:00\","
                "\"updated\":\"2024-01-01T10:00:03.482+08:00\"},"
                "{\"task_id\":\"install-addons-c3f2\",\"task_type\":\"cluster_addon_install\","
                "\"state\":\"failed\",\"created\":\"2024-01-01T02:00:00Z\","
                "\"updated\":\"2024-01-01T02:10:00Z\","
                "\"error\":{\"code\":\"AddonInstallFailed\",\"message\":\"chart not found\"}}],"
                "\"page_info\":{\"page_number\":1,\"page_size\":50,\"total_count\":2},"
                "\"requestId\":\"A1B2-C3\"}";

        ASSERT_OK(parse(body, &p, NULL));
        ASSERT_INT_EQ(p->n_tasks, 2);
        ASSERT_STR_EQ(p->tasks[0].task_id, "T-5faa48fb31b6b8078d000006");
        ASSERT_STR_EQ(p->tasks[0].task_type, "nodepool_scaleout");
        ASSERT_STR_EQ(p->tasks[0].state, "running");
        ASSERT_STR_EQ(p->tasks[0].updated, "2024-01-01T10:00:03.482+08:00");
        /* 2024-01-01T02:00:03.482Z */
        ASSERT_U64_EQ(p->tasks[0].updated_usec, UINT64_C(1704074403482000));
        ASSERT_U64_EQ(p->tasks[0].created_usec, UINT64_C(1704074400000000));
        ASSERT_NULL(p->tasks[0].error_code);
        ASSERT_STR_EQ(p->tasks[1].task_id, "install-addons-c3f2");
        ASSERT_STR_EQ(p->tasks[1].error_code, "AddonInstallFailed");
        ASSERT_STR_EQ(p->tasks[1].error_message, "chart not found");
        ASSERT_TRUE(p->has_page_info);
        ASSERT_TRUE(p->has_total_count);
        ASSERT_INT_EQ(p->page_number, 1);
        ASSERT_INT_EQ(p->page_size, 50);
        ASSERT_U64_EQ(p->total_count, 2);
        ASSERT_STR_EQ(p->request_id, "A1B2-C3");
        ASSERT_NULL(p->next_token);
}

/* updated and created as epoch milliseconds: a JSON integer or a string of digits. */
static void test_milliseconds(void) {
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *p = NULL;

        ASSERT_OK(parse("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"success\","
                        "\"created\":1704074400000,\"updated\":\"1704074403482\"},"
                        "{\"task_id\":\"T-2\",\"state\":\"running\",\"updated\":\"soon\"}]}",
                        &p, NULL));
        ASSERT_U64_EQ(p->tasks[0].created_usec, UINT64_C(1704074400000000));
        ASSERT_STR_EQ(p->tasks[0].created, "1704074400000");
        ASSERT_U64_EQ(p->tasks[0].updated_usec, UINT64_C(1704074403482000));
        /* Not a time: the text is kept, the time is 0, the task is still listed. */
        ASSERT_STR_EQ(p->tasks[1].updated, "soon");
        ASSERT_U64_EQ(p->tasks[1].updated_usec, 0);
        ASSERT_TRUE(!p->has_page_info);
}

/* Keys we do not know, in any place, are ignored; so are nulls; the other casings of the
 * request id are read when requestId is missing. */
static void test_unknown_keys_and_casings(void) {
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *p = NULL, *q = NULL;

        ASSERT_OK(parse("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"running\",\"target\":"
                        "{\"id\":\"np-1\"},\"parameters\":{\"a\":[1,2,{}]},\"error\":null,"
                        "\"task_type\":null,\"new_field\":3.5}],\"page_info\":{\"page_number\":"
                        "\"2\",\"page_size\":\"10\",\"total_count\":\"11\",\"extra\":true},"
                        "\"next_token\":\"abc\",\"max_results\":10,\"RequestId\":\"R-9\"}",
                        &p, NULL));
        ASSERT_INT_EQ(p->n_tasks, 1);
        ASSERT_NULL(p->tasks[0].task_type);
        ASSERT_INT_EQ(p->page_number, 2);
        ASSERT_INT_EQ(p->page_size, 10);
        ASSERT_U64_EQ(p->total_count, 11);
        ASSERT_STR_EQ(p->next_token, "abc");
        ASSERT_STR_EQ(p->request_id, "R-9");

        ASSERT_OK(parse("{\"request_id\":\"r-1\",\"tasks\":[],\"page_info\":{\"total_count\":0}}",
                        &q, NULL));
        ASSERT_TRUE(q->has_page_info && q->has_total_count);
        ASSERT_INT_EQ(q->page_number, 0);
        ASSERT_INT_EQ(q->n_tasks, 0);
        ASSERT_STR_EQ(q->request_id, "r-1");
}

static void test_bad_replies(void) {
        ASSERT_REFUSED("", "empty body");
        ASSERT_REFUSED("[]", "expected an object, got an array");
        ASSERT_REFUSED("{\"tasks\":[", "truncated JSON");
        ASSERT_REFUSED("{}", "no tasks");
        ASSERT_REFUSED("{\"tasks\":{}}", "at tasks: expected an array, got an object");
        ASSERT_REFUSED("{\"tasks\":[1]}", "at tasks[0]: expected an object, got a number");
        ASSERT_REFUSED("{\"tasks\":[{\"state\":\"running\"}]}", "at tasks[0]: no task_id");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T-1\"}]}", "at tasks[0]: no state");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":1}]}",
                       "at tasks[0].state: expected a string, got a number");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":1.5,\"state\":\"x\"}]}",
                       "at tasks[0].task_id: expected a string or an integer, got a number");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T 1\",\"state\":\"x\"}]}",
                       "at tasks[0].task_id: not a task id (1..256 printable characters "
                       "without blanks)");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"\",\"state\":\"x\"}]}",
                       "at tasks[0].task_id: not a task id (1..256 printable characters "
                       "without blanks)");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"x\",\"error\":\"e\"}]}",
                       "at tasks[0].error: expected an object, got a string");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"a\"},"
                       "{\"task_id\":\"T-1\",\"state\":\"b\"}]}",
                       "at tasks[1].task_id: the same task as tasks[0]");
        ASSERT_REFUSED("{\"tasks\":[],\"page_info\":[]}",
                       "at page_info: expected an object, got an array");
        ASSERT_REFUSED("{\"tasks\":[],\"page_info\":{\"page_number\":0}}",
                       "at page_info.page_number: pages count from 1");
        ASSERT_REFUSED("{\"tasks\":[],\"page_info\":{\"page_size\":-1}}",
                       "at page_info.page_size: expected a count, got a number");
        ASSERT_REFUSED("{\"tasks\":[],\"page_info\":{\"page_size\":4294967296}}",
                       "at page_info.page_size: 4294967296 is out of range");
        ASSERT_REFUSED("{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"x\"}],"
                       "\"page_info\":{\"page_size\":0}}",
                       "at page_info.page_size: 0 with 1 tasks");
        ASSERT_REFUSED("{\"tasks\":[],\"requestId\":7}",
                       "at requestId: expected a string, got a number");
}

/* Hostile shapes are refused by the guard before a tree is built. */
static void test_hostile_input(void) {
        _cleanup_(freep) char *deep = NULL, *big = NULL;
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *p = NULL;
        _cleanup_(freep) char *reason = NULL;
        size_t n = 200;

        deep = malloc(2 * n + 1);
        ASSERT_NOT_NULL(deep);
        memset(deep, '[', n);
        memset(deep + n, ']', n);
        deep[2 * n] = '\0';
        ASSERT_REFUSED(deep, "nested deeper than 32 levels");
        ASSERT_INT_EQ(cluster_tasks_parse("{\"tasks\":[]}\0x", 14, &p, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "contains a NUL byte");

        big = malloc(CLUSTER_TASKS_MAX_BODY + 2);
        ASSERT_NOT_NULL(big);
        memset(big, ' ', CLUSTER_TASKS_MAX_BODY + 1);
        big[CLUSTER_TASKS_MAX_BODY + 1] = '\0';
        ASSERT_REFUSED(big, "body of 4194305 bytes is larger than the limit of 4194304 bytes");
}

/* ---- the pager ------------------------------------------------------------------------ */

/* A page as a server would send it: tasks "T-<id>" for each of ids. Out of memory is not
 * what these tests test: abort. */
static ClusterTasksPage *make_page(uint32_t number, uint32_t size, uint64_t total,
                                   const int *ids, size_t n, usec_t updated) {
        ClusterTasksPage *p = calloc(1, sizeof(*p));
        if (!p || !(p->tasks = calloc(n ? n : 1, sizeof(ClusterTask))))
                abort();
        for (size_t i = 0; i < n; i++) {
                if (asprintf(&p->tasks[i].task_id, "T-%d", ids[i]) < 0 ||
                    !(p->tasks[i].state = strdup("running")))
                        abort();
                p->tasks[i].updated_usec = updated;
        }
        p->n_tasks = n;
        p->has_page_info = p->has_total_count = true;
        p->page_number = number;
        p->page_size = size;
        p->total_count = total;
        return p;
}

static void add_page(ClusterPager *pg, ClusterTasksPage *page) {
        ASSERT_OK(cluster_pager_add(pg, page, NULL));
        ASSERT_INT_EQ(page->n_tasks, 0); /* taken */
        cluster_tasks_page_free(page);
}

static size_t count_id(const ClusterPager *pg, const char *id) {
        size_t n = 0;
        for (size_t i = 0; i < pg->n_tasks; i++)
                n += strcmp(pg->tasks[i].task_id, id) == 0;
        return n;
}

static void test_pager_pages_to_the_end(void) {
        ClusterPager pg = {};
        int a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 }, c[] = { 7 };

        cluster_pager_start(&pg, 3, 0);
        ASSERT_INT_EQ(pg.max_pages, CLUSTER_PAGER_MAX_PAGES);
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 1);
        add_page(&pg, make_page(1, 3, 7, a, 3, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 2);
        add_page(&pg, make_page(2, 3, 7, b, 3, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 3);
        add_page(&pg, make_page(3, 3, 7, c, 1, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 0);
        ASSERT_TRUE(pg.complete && !pg.truncated && !pg.unstable);
        ASSERT_INT_EQ(pg.n_tasks, 7);
        ASSERT_STR_EQ(pg.tasks[6].task_id, "T-7");
        cluster_pager_clear(&pg);

        /* An exact multiple ends at total_count, without asking for an empty page. */
        cluster_pager_start(&pg, 3, 0);
        add_page(&pg, make_page(1, 3, 6, a, 3, 0));
        add_page(&pg, make_page(2, 3, 6, b, 3, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 0);
        cluster_pager_clear(&pg);

        /* An empty list is one page. */
        cluster_pager_start(&pg, 3, 0);
        add_page(&pg, make_page(1, 3, 0, NULL, 0, 0));
        ASSERT_TRUE(pg.complete);
        ASSERT_INT_EQ(pg.n_tasks, 0);
        cluster_pager_clear(&pg);
}

/* The server caps the page size: its page_size counts, not ours. */
static void test_pager_server_caps_page_size(void) {
        ClusterPager pg = {};
        int a[] = { 1, 2 }, b[] = { 3 };

        cluster_pager_start(&pg, 100, 0);
        add_page(&pg, make_page(1, 2, 3, a, 2, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 2);
        add_page(&pg, make_page(2, 2, 3, b, 1, 0));
        ASSERT_TRUE(pg.complete);
        ASSERT_INT_EQ(pg.n_tasks, 3);
        cluster_pager_clear(&pg);

        /* Capped without saying so (page_size echoes ours): total_count says more are left,
         * so a short page does not end the round. */
        cluster_pager_start(&pg, 100, 0);
        add_page(&pg, make_page(1, 100, 3, a, 2, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 2);
        add_page(&pg, make_page(2, 100, 3, b, 1, 0));
        ASSERT_TRUE(pg.complete);
        ASSERT_INT_EQ(pg.n_tasks, 3);
        cluster_pager_clear(&pg);
}

/* A task created at the head of the list between two pages pushes the last task of page 1
 * onto page 2: it is seen twice and kept once, the newer look; the new task is seen by the
 * next round. The round still runs to its end though total_count changed. */
static void test_pager_between_page_moves(void) {
        ClusterPager pg = {};
        int a[] = { 1, 2, 3 }, b[] = { 3, 4, 5 }, c[] = { 6, 7 };

        cluster_pager_start(&pg, 3, 0);
        add_page(&pg, make_page(1, 3, 7, a, 3, 10));
        add_page(&pg, make_page(2, 3, 8, b, 3, 20));
        ASSERT_TRUE(pg.unstable);
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 3);
        add_page(&pg, make_page(3, 3, 8, c, 2, 20));
        ASSERT_TRUE(pg.complete);
        ASSERT_INT_EQ(pg.n_tasks, 7);
        ASSERT_INT_EQ(pg.n_duplicates, 1);
        for (int i = 1; i <= 7; i++) {
                char id[16];
                snprintf(id, sizeof id, "T-%d", i);
                ASSERT_INT_EQ(count_id(&pg, id), 1);
        }
        /* The second look at T-3 (updated 20) replaced the first (10). */
        ASSERT_U64_EQ(pg.tasks[2].updated_usec, 20);
        cluster_pager_clear(&pg);

        /* An older look seen later does not replace a newer one. */
        cluster_pager_start(&pg, 2, 0);
        add_page(&pg, make_page(1, 2, 4, (int[]) { 1, 2 }, 2, 50));
        add_page(&pg, make_page(2, 2, 4, (int[]) { 2, 3 }, 2, 40));
        ASSERT_TRUE(pg.complete);
        ASSERT_INT_EQ(pg.n_tasks, 3);
        ASSERT_U64_EQ(pg.tasks[1].updated_usec, 50);
        cluster_pager_clear(&pg);
}

static void test_pager_bounds_pages_per_round(void) {
        ClusterPager pg = {};
        int a[] = { 1, 2 }, b[] = { 3, 4 };

        cluster_pager_start(&pg, 2, 2);
        add_page(&pg, make_page(1, 2, 1000, a, 2, 0));
        add_page(&pg, make_page(2, 2, 1000, b, 2, 0));
        ASSERT_INT_EQ(cluster_pager_next_page(&pg), 0);
        ASSERT_TRUE(pg.complete && pg.truncated);
        ASSERT_INT_EQ(pg.n_tasks, 4);
        cluster_pager_clear(&pg);
}

/* A reply for another page, or one after the round, changes nothing. */
static void test_pager_refuses_wrong_page(void) {
        _cleanup_(cluster_tasks_page_freep) ClusterTasksPage *wrong = NULL, *late = NULL;
        _cleanup_(freep) char *reason = NULL, *reason2 = NULL;
        ClusterPager pg = {};
        int a[] = { 1 };

        cluster_pager_start(&pg, 2, 0);
        wrong = make_page(2, 2, 1, a, 1, 0);
        ASSERT_INT_EQ(cluster_pager_add(&pg, wrong, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "asked for page 1, got page 2");
        ASSERT_INT_EQ(wrong->n_tasks, 1);
        ASSERT_INT_EQ(pg.pages_seen, 0);
        ASSERT_INT_EQ(pg.n_tasks, 0);

        /* A page_info without page_number is the page asked for. */
        {
                ClusterPager pn = {};
                int b[] = { 1, 2 };

                cluster_pager_start(&pn, 2, 0);
                add_page(&pn, make_page(0, 2, 3, b, 2, 0));
                ASSERT_INT_EQ(cluster_pager_next_page(&pn), 2);
                add_page(&pn, make_page(0, 2, 3, a, 1, 0));
                ASSERT_TRUE(pn.complete);
                ASSERT_INT_EQ(pn.n_tasks, 2); /* T-1 twice */
                ASSERT_INT_EQ(pn.n_duplicates, 1);
                cluster_pager_clear(&pn);
        }

        /* Without page_info a page is the whole list. */
        wrong->has_page_info = wrong->has_total_count = false;
        wrong->page_number = 0;
        ASSERT_OK(cluster_pager_add(&pg, wrong, NULL));
        ASSERT_TRUE(pg.complete);
        late = make_page(2, 2, 1, a, 1, 0);
        ASSERT_INT_EQ(cluster_pager_add(&pg, late, &reason2), -EBADMSG);
        ASSERT_STR_EQ(reason2, "the round is complete");
        ASSERT_INT_EQ(pg.n_tasks, 1);
        cluster_pager_clear(&pg);
}

TEST_MAIN(TEST_CASE(test_page_as_sent),
          TEST_CASE(test_milliseconds),
          TEST_CASE(test_unknown_keys_and_casings),
          TEST_CASE(test_bad_replies),
          TEST_CASE(test_hostile_input),
          TEST_CASE(test_pager_pages_to_the_end),
          TEST_CASE(test_pager_server_caps_page_size),
          TEST_CASE(test_pager_between_page_moves),
          TEST_CASE(test_pager_bounds_pages_per_round),
          TEST_CASE(test_pager_refuses_wrong_page))
