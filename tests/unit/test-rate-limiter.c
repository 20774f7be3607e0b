/* The request budget: bucket, throttling cuts and recovery, retry budget. */
#include "test.h"
#include "track/rate-limiter.h"

#define T0 (1000 * USEC_PER_SEC)

static void test_burst_then_steady_rate(void) {
        RateLimiter l;
        usec_t wait = 0;

        rate_limiter_init(&l, 10, T0);
        for (int i = 0; i < 10; i++)
                ASSERT_TRUE(rate_limiter_take(&l, T0, NULL));
        ASSERT_TRUE(!rate_limiter_take(&l, T0, &wait));
        ASSERT_U64_EQ(wait, 100 * USEC_PER_MSEC);
        ASSERT_TRUE(rate_limiter_take(&l, T0 + wait, NULL));
}

static void test_long_run_rate_is_bounded(void) {
        RateLimiter l;
        usec_t now = T0;
        int granted = 0;

        rate_limiter_init(&l, 5, T0);
        /* Ask every millisecond for 10 s: at most burst + 10 s × 5/s. */
        for (int i = 0; i < 10000; i++, now += USEC_PER_MSEC)
                granted += rate_limiter_take(&l, now, NULL);
        ASSERT_TRUE(granted <= 5 + 50 + 1);
        ASSERT_TRUE(granted >= 50);
}

static void test_throttling_halves_once_per_burst(void) {
        RateLimiter l;

        rate_limiter_init(&l, 16, T0);
        rate_limiter_on_throttled(&l, T0);
        ASSERT_TRUE(l.rate == 8);
        /* More throttled replies of the same burst: no further cut. */
        rate_limiter_on_throttled(&l, T0 + 100 * USEC_PER_MSEC);
        ASSERT_TRUE(l.rate == 8);
        rate_limiter_on_throttled(&l, T0 + 2 * USEC_PER_SEC);
        ASSERT_TRUE(l.rate == 4);
}

static void test_throttling_has_a_floor(void) {
        RateLimiter l;

        rate_limiter_init(&l, 10, T0);
        for (int i = 0; i < 100; i++)
                rate_limiter_on_throttled(&l, T0 + (usec_t) i * 2 * USEC_PER_SEC);
        ASSERT_TRUE(l.rate > 0);
        ASSERT_TRUE(l.rate <= 0.1 + 1e-9);
}

static void test_throttling_drops_saved_tokens(void) {
        RateLimiter l;

        rate_limiter_init(&l, 50, T0);
        rate_limiter_on_throttled(&l, T0);
        ASSERT_TRUE(rate_limiter_take(&l, T0, NULL));
        ASSERT_TRUE(!rate_limiter_take(&l, T0, NULL));
}

static void test_recovery_is_gradual(void) {
        RateLimiter l;

        rate_limiter_init(&l, 10, T0);
        rate_limiter_on_throttled(&l, T0);
        rate_limiter_on_success(&l);
        ASSERT_TRUE(l.rate > 5 && l.rate < 5.5);
        for (int i = 0; i < 1000; i++)
                rate_limiter_on_success(&l);
        ASSERT_TRUE(l.rate == 10);
}

static void test_retry_budget_is_bounded_and_earned_back(void) {
        RateLimiter l;
        int retries = 0;

        rate_limiter_init(&l, 1, T0); /* budget: max(5, 6) = 6 */
        while (rate_limiter_take_retry(&l))
                retries++;
        ASSERT_INT_EQ(retries, 6);
        for (int i = 0; i < 10; i++)
                rate_limiter_on_success(&l);
        ASSERT_TRUE(rate_limiter_take_retry(&l));
        ASSERT_TRUE(!rate_limiter_take_retry(&l));
}

static void test_reload_keeps_a_cut_in_force(void) {
        RateLimiter l;

        rate_limiter_init(&l, 10, T0);
        rate_limiter_on_throttled(&l, T0);
        rate_limiter_set_max_rate(&l, 20, T0);
        ASSERT_TRUE(l.rate == 5);
        rate_limiter_set_max_rate(&l, 2, T0);
        ASSERT_TRUE(l.rate == 2);
}

TEST_MAIN(TEST_CASE(test_burst_then_steady_rate),
          TEST_CASE(test_long_run_rate_is_bounded),
          TEST_CASE(test_throttling_halves_once_per_burst),
          TEST_CASE(test_throttling_has_a_floor),
          TEST_CASE(test_throttling_drops_saved_tokens),
          TEST_CASE(test_recovery_is_gradual),
          TEST_CASE(test_retry_budget_is_bounded_and_earned_back),
          TEST_CASE(test_reload_keeps_a_cut_in_force))
