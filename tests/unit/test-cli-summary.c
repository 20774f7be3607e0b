/* taskwatch get's summary: ages, instance counts, and nothing raw reaches a terminal. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "test.h"
#include "util/cleanup.h"

static void test_age_shows_two_units_at_most(void) {
        char buf[FORMAT_AGE_MAX];

        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 0), "0s");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 999 * USEC_PER_MSEC), "0s");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 45 * USEC_PER_SEC), "45s");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 185 * USEC_PER_SEC), "3min 5s");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 2 * USEC_PER_HOUR + 10 * USEC_PER_MINUTE + 7 * USEC_PER_SEC),
                      "2h 10min");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 2 * USEC_PER_HOUR + 7 * USEC_PER_SEC), "2h");
        ASSERT_STR_EQ(format_age(buf, sizeof(buf), 3 * USEC_PER_DAY + 4 * USEC_PER_HOUR + USEC_PER_MINUTE),
                      "3d 4h");
}

static void test_printable_escapes_control_characters(void) {
        _cleanup_(freep) char *a = printable("Quota\x1b[31m\r\nend\x7f"), *b = printable(NULL),
                              *c = printable("caf\xc3\xa9 ok");

        ASSERT_STR_EQ(a, "Quota\\x1b[31m\\x0d\\x0aend\\x7f");
        ASSERT_STR_EQ(b, "-");
        ASSERT_STR_EQ(c, "caf\xc3\xa9 ok"); /* UTF-8 passes */
}

static TaskInstance instances[] = {
        { (char *) "i-1", (char *) "success" }, { (char *) "i-2", (char *) "failed" },
        { (char *) "i-3", (char *) "initial" }, { (char *) "i-4", (char *) "initail" },
        { (char *) "i-5", (char *) "fail" },    { NULL, NULL },
};

static void test_instance_counts(void) {
        TaskInfo t = { .instances = instances, .n_instances = 6 };
        InstanceCounts c = task_info_count_instances(&t);

        ASSERT_INT_EQ(c.succeeded, 1);
        ASSERT_INT_EQ(c.failed, 2);
        ASSERT_INT_EQ(c.pending, 3);
}

static char *summary(const TaskInfo *t, usec_t now, bool color) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        if (task_summary_print(f, t, now, color) < 0) {
                fclose(f);
                free(buf);
                return NULL;
        }
        fclose(f);
        return buf;
}

static void test_summary_of_a_failed_task(void) {
        TaskInfo t = {
                .task_id = (char *) "T-1", .cluster_id = (char *) "c-1", .state = (char *) "failed",
                .task_type = (char *) "cluster_scaleout", .current_stage = (char *) "AddNodes",
                .target_id = (char *) "np-1", .target_type = (char *) "nodepool",
                .created = (char *) "2026-01-02T11:04:05+08:00",
                .error_code = (char *) "QuotaExceeded.ECS", .error_message = (char *) "quota\x1b]0;x",
                .instances = instances, .n_instances = 6,
        };
        usec_t now = 1767323045ULL * USEC_PER_SEC + 185 * USEC_PER_SEC;
        _cleanup_(freep) char *s = summary(&t, now, false);

        ASSERT_NOT_NULL(s);
        ASSERT_NOT_NULL(strstr(s, "      Task: T-1\n"));
        ASSERT_NOT_NULL(strstr(s, "     State: failed\n"));
        ASSERT_NOT_NULL(strstr(s, "      Type: cluster_scaleout\n"));
        ASSERT_NOT_NULL(strstr(s, "   Cluster: c-1\n"));
        ASSERT_NOT_NULL(strstr(s, "    Target: nodepool np-1\n"));
        ASSERT_NOT_NULL(strstr(s, "     Stage: AddNodes\n"));
        /* The API's local time with its offset, printed in UTC like every time (#16 item 8). */
        ASSERT_NOT_NULL(strstr(s, "   Created: 2026-01-02T03:04:05Z (3min 5s ago)\n"));
        ASSERT_NOT_NULL(strstr(s, " Instances: 1 succeeded, 2 failed, 3 pending\n"));
        ASSERT_NOT_NULL(strstr(s, "    Failed: i-2\n"));
        ASSERT_NOT_NULL(strstr(s, "          : i-5\n"));
        ASSERT_NOT_NULL(strstr(s, "     Error: QuotaExceeded.ECS: quota\\x1b]0;x\n"));
        ASSERT_NULL(strchr(s, '\x1b'));
        ASSERT_NULL(strstr(s, "Updated")); /* absent fields are left out */
}

static void test_summary_colours_the_state_only_when_asked(void) {
        TaskInfo t = { .task_id = (char *) "T-1", .state = (char *) "success" };
        _cleanup_(freep) char *plain = summary(&t, 0, false), *colored = summary(&t, 0, true);

        ASSERT_NOT_NULL(strstr(plain, "     State: success\n"));
        ASSERT_NOT_NULL(strstr(colored, "     State: \x1b[32msuccess\x1b[0m\n"));
        ASSERT_NOT_NULL(strstr(plain, " Instances: 0 succeeded, 0 failed, 0 pending\n"));
}

static char *table(const TaskInfo *const *t, size_t n, usec_t now, bool wide, bool color) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        if (task_table_print(f, t, n, now, wide, color) < 0) {
                fclose(f);
                free(buf);
                return NULL;
        }
        fclose(f);
        return buf;
}

/* Several tasks: one line each, like kubectl get (#16 item 9); -o wide adds stage and error. */
static void test_table_has_a_line_per_task(void) {
        TaskInfo a = {
                .task_id = (char *) "T-1", .cluster_id = (char *) "c-1", .state = (char *) "failed",
                .task_type = (char *) "cluster_scaleout", .current_stage = (char *) "AddNodes",
                .created = (char *) "2026-01-02T11:04:05+08:00", .error_code = (char *) "QuotaExceeded.ECS",
                .instances = instances, .n_instances = 6,
        };
        TaskInfo b = { .task_id = (char *) "T-longer-id", .state = (char *) "success\x1b[2J" };
        const TaskInfo *both[] = { &a, &b };
        usec_t now = 1767323045ULL * USEC_PER_SEC + 185 * USEC_PER_SEC;
        _cleanup_(freep) char *narrow = table(both, 2, now, false, false),
                              *wide = table(both, 2, now, true, false),
                              *colored = table(both, 1, now, false, true);

        ASSERT_STR_EQ(narrow,
                      "TASK         STATE           TYPE              CLUSTER  OK/FAILED/PENDING  CREATED               AGE\n"
                      "T-1          failed          cluster_scaleout  c-1      1/2/3              2026-01-02T03:04:05Z  3min 5s\n"
                      "T-longer-id  success\\x1b[2J  -                 -        0/0/0              -                     -\n");
        ASSERT_STR_EQ(wide,
                      "TASK         STATE           TYPE              CLUSTER  OK/FAILED/PENDING  CREATED               AGE      STAGE     ERROR\n"
                      "T-1          failed          cluster_scaleout  c-1      1/2/3              2026-01-02T03:04:05Z  3min 5s  AddNodes  QuotaExceeded.ECS\n"
                      "T-longer-id  success\\x1b[2J  -                 -        0/0/0              -                     -        -         -\n");
        ASSERT_NOT_NULL(strstr(colored, "\nT-1   \x1b[31mfailed\x1b[0m  "));
}

TEST_MAIN(TEST_CASE(test_table_has_a_line_per_task),
          TEST_CASE(test_age_shows_two_units_at_most),
          TEST_CASE(test_printable_escapes_control_characters),
          TEST_CASE(test_instance_counts),
          TEST_CASE(test_summary_of_a_failed_task),
          TEST_CASE(test_summary_colours_the_state_only_when_asked))
