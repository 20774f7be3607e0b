/* Backoff arithmetic: bounds, growth, reset, jitter, and the server's retry-after. */
#include "test.h"
#include "util/cleanup.h"
#include "util/random-util.h"
#include "track/backoff.h"

static const BackoffPolicy policy = {
        .min_interval = 5 * USEC_PER_SEC,
        .max_interval = 120 * USEC_PER_SEC,
};

static void test_initial_delay_spreads_over_first_interval(void) {
        usec_t lo = USEC_INFINITY, hi = 0;

        for (int i = 0; i < 10000; i++) {
                usec_t d = backoff_initial_delay(&policy);
                ASSERT_TRUE(d <= policy.min_interval);
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
        }
        /* Spread, not fired together: draws reach both ends of the interval. */
        ASSERT_TRUE(lo < policy.min_interval / 10);
        ASSERT_TRUE(hi > policy.min_interval * 9 / 10);
}

static void test_poll_delay_after_change_is_near_min(void) {
        for (int i = 0; i < 1000; i++) {
                usec_t d = backoff_poll_delay(&policy, 0);
                ASSERT_TRUE(d >= policy.min_interval);
                ASSERT_TRUE(d <= policy.min_interval + policy.min_interval / 4);
        }
}

static void test_poll_delay_grows_while_unchanged(void) {
        /* The lower bound of step n+1 is above the upper bound of step n-1: growth. */
        for (unsigned n = 1; n < 4; n++) {
                usec_t target = policy.min_interval << n;
                for (int i = 0; i < 200; i++) {
                        usec_t d = backoff_poll_delay(&policy, n);
                        ASSERT_TRUE(d >= target - target / 4);
                        ASSERT_TRUE(d <= target + target / 4);
                }
        }
}

static void test_poll_delay_is_capped_and_still_jittered_at_cap(void) {
        usec_t lo = USEC_INFINITY, hi = 0;

        for (int i = 0; i < 1000; i++) {
                usec_t d = backoff_poll_delay(&policy, 1000);
                ASSERT_TRUE(d <= policy.max_interval);
                ASSERT_TRUE(d >= policy.max_interval - policy.max_interval / 4);
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
        }
        /* No lockstep at the cap: the draws differ by seconds. */
        ASSERT_TRUE(hi - lo > 10 * USEC_PER_SEC);
}

static void test_poll_delay_fixed_when_min_equals_max(void) {
        BackoffPolicy fixed = { .min_interval = USEC_PER_SEC, .max_interval = USEC_PER_SEC };

        ASSERT_U64_EQ(backoff_poll_delay(&fixed, 0), USEC_PER_SEC);
        ASSERT_U64_EQ(backoff_poll_delay(&fixed, 7), USEC_PER_SEC);
}

static void test_error_delay_full_jitter_capped(void) {
        for (unsigned f = 1; f < 64; f++)
                for (int i = 0; i < 100; i++) {
                        usec_t d = backoff_error_delay(&policy, f);
                        ASSERT_TRUE(d >= policy.min_interval / 2);
                        ASSERT_TRUE(d <= policy.max_interval);
                }
        /* The first failure retries within 2·min. */
        for (int i = 0; i < 100; i++)
                ASSERT_TRUE(backoff_error_delay(&policy, 1) <= 2 * policy.min_interval);
}

static void test_error_delay_survives_huge_counts(void) {
        BackoffPolicy big = { .min_interval = USEC_PER_HOUR, .max_interval = UINT64_MAX / 2 };

        ASSERT_TRUE(backoff_error_delay(&big, 200) <= big.max_interval);
}

static void test_throttle_honours_retry_after(void) {
        usec_t retry_after = 30 * USEC_PER_SEC;

        for (int i = 0; i < 1000; i++) {
                usec_t d = backoff_throttle_delay(&policy, 1, retry_after);
                ASSERT_TRUE(d >= retry_after);
                ASSERT_TRUE(d <= retry_after + retry_after / 4);
        }
}

static void test_throttle_without_retry_after_backs_off(void) {
        for (int i = 0; i < 1000; i++)
                ASSERT_TRUE(backoff_throttle_delay(&policy, 3, 0) >= policy.min_interval / 2);
}

/* A server asking for hours (or for more than 64 bits hold) is waited out for MaxInterval,
 * jittered downwards so throttled tasks do not come back in lockstep. */
static void test_throttle_is_capped_at_max_interval(void) {
        static const usec_t asks[] = { 3600000000ULL * USEC_PER_MSEC, USEC_INFINITY,
                                       USEC_INFINITY - 1, 120 * USEC_PER_SEC,
                                       110 * USEC_PER_SEC };
        usec_t lo = USEC_INFINITY;

        for (size_t k = 0; k < ELEMENTSOF(asks); k++)
                for (int i = 0; i < 1000; i++) {
                        usec_t d = backoff_throttle_delay(&policy, 1, asks[k]);
                        ASSERT_TRUE(d <= policy.max_interval);
                        ASSERT_TRUE(d >= policy.max_interval - policy.max_interval / 4);
                        if (asks[k] == USEC_INFINITY)
                                lo = d < lo ? d : lo;
                }
        ASSERT_TRUE(lo < policy.max_interval);
}

TEST_MAIN(TEST_CASE(test_initial_delay_spreads_over_first_interval),
          TEST_CASE(test_poll_delay_after_change_is_near_min),
          TEST_CASE(test_poll_delay_grows_while_unchanged),
          TEST_CASE(test_poll_delay_is_capped_and_still_jittered_at_cap),
          TEST_CASE(test_poll_delay_fixed_when_min_equals_max),
          TEST_CASE(test_error_delay_full_jitter_capped),
          TEST_CASE(test_error_delay_survives_huge_counts),
          TEST_CASE(test_throttle_honours_retry_after),
          TEST_CASE(test_throttle_without_retry_after_backs_off),
          TEST_CASE(test_throttle_is_capped_at_max_interval))
