/* Tests for reason texts: the last one replaces the one before, and NULL asks for none. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/reason.h"

static void test_replaces_and_returns_the_code(void) {
        _cleanup_(freep) char *reason = NULL;

        ASSERT_INT_EQ(reason_set(&reason, -ENOENT, "first %s", "try"), -ENOENT);
        ASSERT_STR_EQ(reason, "first try");
        ASSERT_INT_EQ(reason_set(&reason, -EINVAL, "second"), -EINVAL);
        ASSERT_STR_EQ(reason, "second");
}

static void test_no_place_for_a_reason(void) {
        ASSERT_INT_EQ(reason_set(NULL, -EPERM, "ignored %d", 1), -EPERM);
}

TEST_MAIN(TEST_CASE(test_replaces_and_returns_the_code),
          TEST_CASE(test_no_place_for_a_reason));
