/* Tests for ISO-8601 / RFC 3339 times: what the API's created/updated and the credentials'
 * Expiration look like, and what is refused. */
#include <errno.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/iso8601.h"

#define T2026 ((usec_t) 1767225600 * USEC_PER_SEC) /* 2026-01-01T00:00:00Z */

static void test_iso8601_with_offsets_and_fractions(void) {
        usec_t t;

        ASSERT_OK(iso8601_parse("2026-01-02T03:04:05Z", 0, &t));
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC);
        ASSERT_OK(iso8601_parse("2026-01-02T11:04:05+08:00", 0, &t));
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC);
        ASSERT_OK(iso8601_parse("2026-01-01T22:04:05-0500", 0, &t));
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC);
        ASSERT_OK(iso8601_parse("2026-01-02T11:04:05.250+08:00", 0, &t));
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC + 250 * USEC_PER_MSEC);
        ASSERT_OK(iso8601_parse("2026-01-02 03:04:05", 0, &t)); /* no offset: UTC */
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC);
        ASSERT_OK(iso8601_parse("2026-01-02T03:04:05.1234567891Z", 0, &t)); /* extra digits dropped */
        ASSERT_U64_EQ(t, 1767323045ULL * USEC_PER_SEC + 123456);
        ASSERT_OK(iso8601_parse("2026-01-02t03:04:05,5+08", 0, &t));
        ASSERT_U64_EQ(t, (1767323045ULL - 8 * 3600) * USEC_PER_SEC + 500 * USEC_PER_MSEC);
}

static void test_iso8601_refuses_what_is_not_a_time(void) {
        usec_t t = 7;

        ASSERT_INT_EQ(iso8601_parse("", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-13-02T03:04:05Z", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02T24:04:05Z", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02T03:04:05Zjunk", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02T03:04:05.Z", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02T03:04:05+8", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("2026-01-02T03:04:05+24:00", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("1650000000000", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse(NULL, 0, &t), -EINVAL);
        ASSERT_U64_EQ(t, 7);
}

/* The credentials' Expiration: RFC 3339, a time without a zone is not one. */
static void test_rfc3339(void) {
        usec_t t;

        ASSERT_OK(iso8601_parse("2026-01-01T00:00:00Z", ISO8601_RFC3339, &t));
        ASSERT_U64_EQ(t, T2026);
        ASSERT_OK(iso8601_parse("2026-01-01T08:00:00+08:00", ISO8601_RFC3339, &t));
        ASSERT_U64_EQ(t, T2026);
        ASSERT_OK(iso8601_parse("2025-12-31T23:00:00-01:00", ISO8601_RFC3339, &t));
        ASSERT_U64_EQ(t, T2026);
        ASSERT_OK(iso8601_parse("2026-01-01T00:00:01.25Z", ISO8601_RFC3339, &t));
        ASSERT_U64_EQ(t, T2026 + USEC_PER_SEC + 250 * USEC_PER_MSEC);

        const char *bad[] = { "", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z",
                              "2026-01-01T24:00:00Z", "2026-01-01T00:00:00Zjunk", "1969-12-31T00:00:00Z",
                              "2026-1-01T00:00:00Z", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+0800",
                              "2026-01-01T00:00:00+08", "2026-01-01T00:00:00,5Z" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_INT_EQ(iso8601_parse(bad[i], ISO8601_RFC3339, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse(NULL, ISO8601_RFC3339, &t), -EINVAL);
}

static void test_epoch_bounds(void) {
        usec_t t = 7;

        ASSERT_OK(iso8601_parse("1970-01-01T00:00:00Z", 0, &t));
        ASSERT_U64_EQ(t, 0);
        /* Before the epoch once the offset is applied: not a usec_t. */
        ASSERT_INT_EQ(iso8601_parse("1970-01-01T00:00:00+01:00", 0, &t), -EINVAL);
        ASSERT_INT_EQ(iso8601_parse("1969-12-31T00:00:00Z", 0, &t), -EINVAL);
        /* timegm()'s -1, which is also a real time, plus an offset that lands after it. */
        ASSERT_OK(iso8601_parse("1969-12-31T23:59:59-01:00", 0, &t));
        ASSERT_U64_EQ(t, 3599 * USEC_PER_SEC);
        ASSERT_OK(iso8601_parse("2026-12-31T23:59:60Z", 0, &t)); /* a leap second */
}

/* One format for what we print (#16 item 8): UTC with Z, microseconds for JSON, and it
 * parses back to the same time. */
static void test_format(void) {
        char buf[ISO8601_FORMAT_MAX];
        usec_t t = 1767322800ULL * USEC_PER_SEC + 42, back = 0;

        ASSERT_STR_EQ(iso8601_format(buf, sizeof(buf), t, 0), "2026-01-02T03:00:00Z");
        ASSERT_STR_EQ(iso8601_format(buf, sizeof(buf), t, ISO8601_USEC), "2026-01-02T03:00:00.000042Z");
        ASSERT_OK(iso8601_parse(buf, ISO8601_RFC3339, &back));
        ASSERT_U64_EQ(back, t);
        ASSERT_STR_EQ(iso8601_format(buf, sizeof(buf), 0, 0), "1970-01-01T00:00:00Z");
}

TEST_MAIN(TEST_CASE(test_format),
          TEST_CASE(test_iso8601_with_offsets_and_fractions),
          TEST_CASE(test_iso8601_refuses_what_is_not_a_time),
          TEST_CASE(test_rfc3339),
          TEST_CASE(test_epoch_bounds));
