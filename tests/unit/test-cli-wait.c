/* taskwatch wait's words: the closing summary, and event messages that say what wait does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "util/cleanup.h"
#include "wait-report.h"

static char *summary_of(WaitTasks *t) {
        char *s = NULL;
        return wait_summary_format(t, &s) < 0 ? NULL : s;
}

static void test_summary_counts_each_end_and_names_the_failures(void) {
        char *ids[] = { (char *) "T-1", (char *) "T-2" };
        WaitTasks t;
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;

        ASSERT_OK(wait_tasks_init(&t, ids, 2));
        ASSERT_OK(wait_tasks_set(&t, "T-1", WAIT_SUCCEEDED, NULL));
        ASSERT_OK(wait_tasks_set(&t, "T-2", WAIT_FAILED, "QuotaExceeded.ECS"));
        ASSERT_OK(wait_tasks_set(&t, "T-unknown", WAIT_FAILED, "X")); /* ignored */
        a = summary_of(&t);
        ASSERT_STR_EQ(a, "2 tasks: 1 succeeded, 1 failed (T-2: QuotaExceeded.ECS)");

        /* A first failure ends the wait: the others did not end. */
        ASSERT_OK(wait_tasks_set(&t, "T-1", WAIT_PENDING, NULL));
        b = summary_of(&t);
        ASSERT_STR_EQ(b, "2 tasks: 1 failed (T-2: QuotaExceeded.ECS), 1 not ended (T-1)");

        ASSERT_OK(wait_tasks_set(&t, "T-1", WAIT_SUCCEEDED, NULL));
        ASSERT_OK(wait_tasks_set(&t, "T-2", WAIT_NOT_FOUND, NULL));
        wait_tasks_find(&t, "T-1")->instance_failed = true;
        c = summary_of(&t);
        ASSERT_STR_EQ(c, "2 tasks: 1 succeeded, 1 not found (T-2); 1 of them with failed instances (T-1)");
        wait_tasks_done(&t);
}

static void test_summary_of_one_task(void) {
        char *ids[] = { (char *) "T-1" };
        WaitTasks t;
        _cleanup_(freep) char *a = NULL, *b = NULL;

        ASSERT_OK(wait_tasks_init(&t, ids, 1));
        a = summary_of(&t);
        ASSERT_STR_EQ(a, "1 task: 1 not ended (T-1)");
        ASSERT_OK(wait_tasks_set(&t, "T-1", WAIT_CANCELED, NULL));
        b = summary_of(&t);
        ASSERT_STR_EQ(b, "1 task: 1 canceled (T-1)");
        wait_tasks_done(&t);
}

/* "checking again every 1s 800ms" and then exit 3; "retrying in 555ms" and then giving up:
 * the message says what wait does instead. */
static void test_next_step_replaces_the_daemons(void) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL, *d = NULL;

        ASSERT_OK(wait_message_next_step("T-1: task not found (3 answers in a row: HTTP 404 X); check the "
                                         "task id and region; checking again every 1s 800ms", "1s 800ms",
                                         "the wait ends", &a));
        ASSERT_STR_EQ(a, "T-1: task not found (3 answers in a row: HTTP 404 X); check the task id and "
                         "region; the wait ends");
        ASSERT_OK(wait_message_next_step("T-1: authentication failed (X); check the key; retrying in 555ms",
                                         "555ms", "not retrying", &b));
        ASSERT_STR_EQ(b, "T-1: authentication failed (X); check the key; not retrying");
        /* Neither tail (or another span): the next step is added. */
        ASSERT_OK(wait_message_next_step("no credentials", NULL, "not retrying", &c));
        ASSERT_STR_EQ(c, "no credentials; not retrying");
        ASSERT_OK(wait_message_next_step("x; retrying in 5s", "6s", "stop", &d));
        ASSERT_STR_EQ(d, "x; retrying in 5s; stop");
}

TEST_MAIN(TEST_CASE(test_summary_counts_each_end_and_names_the_failures),
          TEST_CASE(test_summary_of_one_task),
          TEST_CASE(test_next_step_replaces_the_daemons))
