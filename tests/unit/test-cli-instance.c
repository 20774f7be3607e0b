/* taskwatch --instance: the files of instance NAME are where taskwatchd@.service puts them. */
#include <errno.h>
#include <stdlib.h>

#include "instance.h"
#include "test.h"

static void test_main_daemon(void) {
        CliInstance i;

        ASSERT_INT_EQ(cli_instance_paths(NULL, &i), 0);
        ASSERT_STR_EQ(i.name, "");
        ASSERT_STR_EQ(i.config_path, "/etc/taskwatchd/taskwatchd.conf");
        ASSERT_STR_EQ(i.unit, "taskwatchd.service");
        ASSERT_STR_EQ(i.runtime_dir, "/run/taskwatchd");
        ASSERT_STR_EQ(i.pid_file, "/run/taskwatchd/taskwatchd.pid");
        ASSERT_STR_EQ(i.runtime_status, "/run/taskwatchd/status.json");
        ASSERT_STR_EQ(i.state_dir, "/var/lib/taskwatchd");
        ASSERT_INT_EQ(cli_instance_paths("", &i), 0);
        ASSERT_STR_EQ(i.unit, "taskwatchd.service");
}

/* The template's ExecStart=--instance=%i, StateDirectory=taskwatchd-%i and
 * RuntimeDirectory=taskwatchd-%i (systemd/meson.build). */
static void test_instance(void) {
        CliInstance i;

        ASSERT_INT_EQ(cli_instance_paths("cn-hangzhou", &i), 0);
        ASSERT_STR_EQ(i.name, "cn-hangzhou");
        ASSERT_STR_EQ(i.config_path, "/etc/taskwatchd/cn-hangzhou.conf");
        ASSERT_STR_EQ(i.unit, "taskwatchd@cn-hangzhou.service");
        ASSERT_STR_EQ(i.runtime_dir, "/run/taskwatchd-cn-hangzhou");
        ASSERT_STR_EQ(i.pid_file, "/run/taskwatchd-cn-hangzhou/taskwatchd.pid");
        ASSERT_STR_EQ(i.runtime_status, "/run/taskwatchd-cn-hangzhou/status.json");
        ASSERT_STR_EQ(i.state_dir, "/var/lib/taskwatchd-cn-hangzhou");
}

static void test_bad_names_select_nothing(void) {
        CliInstance i = { .name = "untouched" };

        ASSERT_INT_EQ(cli_instance_paths("../../etc", &i), -EINVAL);
        ASSERT_INT_EQ(cli_instance_paths("taskwatchd", &i), -EINVAL);
        ASSERT_STR_EQ(i.name, "untouched");
}

/* --instance wins over $TASKWATCH_INSTANCE; the variable over the main daemon. */
static void test_select_order(void) {
        unsetenv("TASKWATCH_INSTANCE");
        ASSERT_STR_EQ(cli_instance()->unit, "taskwatchd.service");
        setenv("TASKWATCH_INSTANCE", "beijing", 1);
        ASSERT_INT_EQ(cli_instance_select(NULL), 0);
        ASSERT_STR_EQ(cli_instance()->unit, "taskwatchd@beijing.service");
        ASSERT_INT_EQ(cli_instance_select("hangzhou"), 0);
        ASSERT_STR_EQ(cli_instance()->unit, "taskwatchd@hangzhou.service");
        setenv("TASKWATCH_INSTANCE", "", 1);
        ASSERT_INT_EQ(cli_instance_select(NULL), 0);
        ASSERT_STR_EQ(cli_instance()->unit, "taskwatchd.service");
        setenv("TASKWATCH_INSTANCE", "a/b", 1);
        ASSERT_INT_EQ(cli_instance_select(NULL), -EINVAL);
        unsetenv("TASKWATCH_INSTANCE");
}

TEST_MAIN(TEST_CASE(test_main_daemon),
          TEST_CASE(test_instance),
          TEST_CASE(test_bad_names_select_nothing),
          TEST_CASE(test_select_order))
