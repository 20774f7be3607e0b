/* Tests for util/log.h: one prefix (none for log_plain()), one newline, %m from the value
 * passed, -errno back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "util/log.h"

static char buf[512];

static FILE *capture(void) {
        FILE *f = fmemopen(buf, sizeof(buf), "w");
        memset(buf, 0, sizeof(buf));
        log_set_stream(f);
        return f;
}

static void test_log_prefix_and_newline(void) {
        FILE *f = capture();

        ASSERT_INT_EQ(log_error("no %s here", "task"), 0);
        log_notice("already ends\n");
        fclose(f);
        log_set_stream(NULL);
        char expect[256];
        snprintf(expect, sizeof(expect), "%s: no task here\n%s: already ends\n",
                 program_invocation_short_name, program_invocation_short_name);
        ASSERT_STR_EQ(buf, expect);
}

static void test_log_context_between_name_and_message(void) {
        FILE *f = capture();

        log_set_context("get");
        log_warning("careful");
        log_set_context(NULL);
        fclose(f);
        log_set_stream(NULL);
        char expect[256];
        snprintf(expect, sizeof(expect), "%s get: careful\n", program_invocation_short_name);
        ASSERT_STR_EQ(buf, expect);
}

static void test_log_errno_returns_negative_and_fills_m(void) {
        FILE *f = capture();

        ASSERT_INT_EQ(log_error_errno(-ENOENT, "open x: %m"), -ENOENT);
        ASSERT_INT_EQ(log_error_errno(EACCES, "open y: %m"), -EACCES);
        fclose(f);
        log_set_stream(NULL);
        ASSERT_TRUE(strstr(buf, "open x: No such file or directory\n") != NULL);
        ASSERT_TRUE(strstr(buf, "open y: Permission denied\n") != NULL);
}

static void test_log_plain_has_no_prefix(void) {
        FILE *f = capture();

        log_set_context("get");
        log_plain("Try '%s --help'.", "taskwatch get");
        log_plain("a.conf:3: Task=x: not a task id\n");
        log_set_context(NULL);
        fclose(f);
        log_set_stream(NULL);
        ASSERT_STR_EQ(buf, "Try 'taskwatch get --help'.\na.conf:3: Task=x: not a task id\n");
}

TEST_MAIN(TEST_CASE(test_log_prefix_and_newline),
          TEST_CASE(test_log_context_between_name_and_message),
          TEST_CASE(test_log_errno_returns_negative_and_fills_m),
          TEST_CASE(test_log_plain_has_no_prefix))
