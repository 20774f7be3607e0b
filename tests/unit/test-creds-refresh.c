/* Tests for refresh timing: when to refresh, when credentials count as expired, retry waits. */
#include "creds/refresh-timing.h"
#include "test.h"
#include "util/random-util.h"

#define T0 ((usec_t) 1767225600 * USEC_PER_SEC) /* 2026-01-01T00:00:00Z */

static void test_hour_long_credentials_refresh_fifteen_minutes_ahead(void) {
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + USEC_PER_HOUR), T0 + 45 * USEC_PER_MINUTE);
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + 6 * USEC_PER_HOUR),
                      T0 + 6 * USEC_PER_HOUR - 15 * USEC_PER_MINUTE);
}

static void test_short_lived_credentials_refresh_after_a_third(void) {
        /* 15 min (STS's minimum): after 5 min, 10 min left for retries. */
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + 15 * USEC_PER_MINUTE), T0 + 5 * USEC_PER_MINUTE);
        /* 20 s: after ~6.7 s, so two refreshes fit in a 20 s test. */
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + 21 * USEC_PER_SEC), T0 + 7 * USEC_PER_SEC);
        ASSERT_TRUE(credentials_refresh_time(T0, T0 + 20 * USEC_PER_SEC) > T0 + 6 * USEC_PER_SEC);
        ASSERT_TRUE(credentials_refresh_time(T0, T0 + 20 * USEC_PER_SEC) < T0 + 7 * USEC_PER_SEC);
}

static void test_refresh_edge_cases(void) {
        ASSERT_U64_EQ(credentials_refresh_time(T0, USEC_INFINITY), USEC_INFINITY);
        /* Already expired: at once. */
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 - USEC_PER_SEC), T0);
        /* Tiny lifetimes: not before a second has passed, nor after the expiry. */
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + 2 * USEC_PER_SEC), T0 + USEC_PER_SEC);
        ASSERT_U64_EQ(credentials_refresh_time(T0, T0 + 300 * USEC_PER_MSEC), T0 + 300 * USEC_PER_MSEC);
}

static void test_usable_until_the_margin(void) {
        Credentials c = { .expiration = T0 + 10 * USEC_PER_SEC };
        Credentials forever = { .expiration = USEC_INFINITY };

        ASSERT_TRUE(!credentials_usable(NULL, T0));
        ASSERT_TRUE(credentials_usable(&forever, T0));
        ASSERT_TRUE(credentials_usable(&c, T0));
        ASSERT_TRUE(credentials_usable(&c, T0 + 10 * USEC_PER_SEC - CREDENTIALS_EXPIRY_MARGIN - 1));
        ASSERT_TRUE(!credentials_usable(&c, T0 + 10 * USEC_PER_SEC - CREDENTIALS_EXPIRY_MARGIN));
        ASSERT_TRUE(!credentials_usable(&c, T0 + 11 * USEC_PER_SEC));
}

static void test_retry_waits_grow_with_jitter_up_to_the_cap(void) {
        random_seed(42);
        for (int i = 0; i < 1000; i++) {
                usec_t d1 = credentials_retry_delay(1), d2 = credentials_retry_delay(2),
                       d3 = credentials_retry_delay(3), d64 = credentials_retry_delay(64);

                ASSERT_TRUE(d1 >= USEC_PER_SEC / 2 && d1 <= USEC_PER_SEC);
                ASSERT_TRUE(d2 >= USEC_PER_SEC && d2 <= 2 * USEC_PER_SEC);
                ASSERT_TRUE(d3 >= 2 * USEC_PER_SEC && d3 <= 4 * USEC_PER_SEC);
                ASSERT_TRUE(d64 >= CREDENTIALS_RETRY_MAX / 2 && d64 <= CREDENTIALS_RETRY_MAX);
        }
        /* Jitter: not every wait is the same. */
        ASSERT_TRUE(credentials_retry_delay(5) != credentials_retry_delay(5) ||
                    credentials_retry_delay(5) != credentials_retry_delay(5));
        ASSERT_TRUE(credentials_retry_delay(0) <= USEC_PER_SEC);
}

TEST_MAIN(TEST_CASE(test_hour_long_credentials_refresh_fifteen_minutes_ahead),
          TEST_CASE(test_short_lived_credentials_refresh_after_a_third),
          TEST_CASE(test_refresh_edge_cases),
          TEST_CASE(test_usable_until_the_margin),
          TEST_CASE(test_retry_waits_grow_with_jitter_up_to_the_cap));
