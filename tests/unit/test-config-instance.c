/* Instance names: what may go into paths and journal matches, and the file each one reads. */
#include <errno.h>

#include "config/instance.h"
#include "test.h"

static void test_plain_names_are_valid(void) {
        ASSERT_TRUE(instance_name_is_valid("hangzhou"));
        ASSERT_TRUE(instance_name_is_valid("cn-beijing"));
        ASSERT_TRUE(instance_name_is_valid("acct_2"));
        ASSERT_TRUE(instance_name_is_valid("9"));
}

static void test_names_that_would_escape_or_collide_are_refused(void) {
        char long_name[INSTANCE_NAME_MAX + 2];

        ASSERT_TRUE(!instance_name_is_valid(NULL));
        ASSERT_TRUE(!instance_name_is_valid(""));
        ASSERT_TRUE(!instance_name_is_valid(".."));
        ASSERT_TRUE(!instance_name_is_valid("a/b"));
        ASSERT_TRUE(!instance_name_is_valid("-x"));
        ASSERT_TRUE(!instance_name_is_valid("a b"));
        ASSERT_TRUE(!instance_name_is_valid("a.conf"));
        ASSERT_TRUE(!instance_name_is_valid("taskwatchd")); /* the main configuration */
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        ASSERT_TRUE(!instance_name_is_valid(long_name));
        long_name[INSTANCE_NAME_MAX] = '\0';
        ASSERT_TRUE(instance_name_is_valid(long_name));
}

static void test_config_path(void) {
        char *p = NULL;

        ASSERT_INT_EQ(instance_config_path("beijing", &p), 0);
        ASSERT_STR_EQ(p, "/etc/taskwatchd/beijing.conf");
        free(p);
        p = NULL;
        ASSERT_INT_EQ(instance_config_path("../x", &p), -EINVAL);
        ASSERT_NULL(p);
}

TEST_MAIN(TEST_CASE(test_plain_names_are_valid),
          TEST_CASE(test_names_that_would_escape_or_collide_are_refused),
          TEST_CASE(test_config_path))
