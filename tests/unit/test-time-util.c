/* Tests for time spans in systemd's syntax and the microsecond clocks. */
#include <errno.h>

#include "test.h"
#include "util/time-util.h"

#define ASSERT_SPAN(s, expected)                                                               \
        do {                                                                                   \
                usec_t _v = 0;                                                                 \
                ASSERT_INT_EQ(parse_timespan(s, &_v), 0);                                      \
                ASSERT_U64_EQ(_v, expected);                                                   \
        } while (0)

#define ASSERT_SPAN_FAILS(s, error)                                                            \
        do {                                                                                   \
                usec_t _v = 42;                                                                \
                ASSERT_INT_EQ(parse_timespan(s, &_v), error);                                  \
                ASSERT_U64_EQ(_v, 42); /* untouched on failure */                              \
        } while (0)

#define ASSERT_FORMAT(t, expected)                                                             \
        do {                                                                                   \
                char _buf[FORMAT_TIMESPAN_MAX];                                                \
                ASSERT_STR_EQ(format_timespan(_buf, sizeof(_buf), t), expected);               \
        } while (0)

static void test_parse_every_unit(void) {
        ASSERT_SPAN("7us", 7);
        ASSERT_SPAN("7usec", 7);
        ASSERT_SPAN("500ms", 500 * USEC_PER_MSEC);
        ASSERT_SPAN("500msec", 500 * USEC_PER_MSEC);
        ASSERT_SPAN("10s", 10 * USEC_PER_SEC);
        ASSERT_SPAN("10sec", 10 * USEC_PER_SEC);
        ASSERT_SPAN("1second", USEC_PER_SEC);
        ASSERT_SPAN("10seconds", 10 * USEC_PER_SEC);
        ASSERT_SPAN("2m", 2 * USEC_PER_MINUTE);
        ASSERT_SPAN("2min", 2 * USEC_PER_MINUTE);
        ASSERT_SPAN("1minute", USEC_PER_MINUTE);
        ASSERT_SPAN("2minutes", 2 * USEC_PER_MINUTE);
        ASSERT_SPAN("3h", 3 * USEC_PER_HOUR);
        ASSERT_SPAN("3hr", 3 * USEC_PER_HOUR);
        ASSERT_SPAN("1hour", USEC_PER_HOUR);
        ASSERT_SPAN("3hours", 3 * USEC_PER_HOUR);
        ASSERT_SPAN("2d", 2 * USEC_PER_DAY);
        ASSERT_SPAN("1day", USEC_PER_DAY);
        ASSERT_SPAN("2days", 2 * USEC_PER_DAY);
        ASSERT_SPAN("1w", 7 * USEC_PER_DAY);
        ASSERT_SPAN("1week", 7 * USEC_PER_DAY);
        ASSERT_SPAN("2weeks", 14 * USEC_PER_DAY);
}

static void test_parse_bare_number_is_seconds(void) {
        ASSERT_SPAN("30", 30 * USEC_PER_SEC);
        ASSERT_SPAN("0", 0);
        ASSERT_SPAN("  5  ", 5 * USEC_PER_SEC);
}

static void test_parse_fractions(void) {
        ASSERT_SPAN("1.5s", 1500 * USEC_PER_MSEC);
        ASSERT_SPAN("0.25", 250 * USEC_PER_MSEC);
        ASSERT_SPAN(".5min", 30 * USEC_PER_SEC);
        ASSERT_SPAN("1.5h", 90 * USEC_PER_MINUTE);
        /* Below a microsecond is dropped, not rounded into garbage. */
        ASSERT_SPAN("1.9us", 1);
        ASSERT_SPAN("0.0000019s", 1);
}

static void test_parse_several_components(void) {
        ASSERT_SPAN("1h 30min", 90 * USEC_PER_MINUTE);
        ASSERT_SPAN("1h30min", 90 * USEC_PER_MINUTE);
        ASSERT_SPAN("2min 30s 500ms", 150 * USEC_PER_SEC + 500 * USEC_PER_MSEC);
        ASSERT_SPAN("5 s", 5 * USEC_PER_SEC);
        ASSERT_SPAN("1d\t2h", USEC_PER_DAY + 2 * USEC_PER_HOUR);
}

static void test_parse_infinity(void) {
        ASSERT_SPAN("infinity", USEC_INFINITY);
        ASSERT_SPAN(" infinity ", USEC_INFINITY);
        ASSERT_SPAN_FAILS("infinityx", -EINVAL);
        ASSERT_SPAN_FAILS("1s infinity", -EINVAL);
}

static void test_parse_rejects_garbage(void) {
        ASSERT_SPAN_FAILS("", -EINVAL);
        ASSERT_SPAN_FAILS("   ", -EINVAL);
        ASSERT_SPAN_FAILS(NULL, -EINVAL);
        ASSERT_SPAN_FAILS("-1s", -EINVAL);
        ASSERT_SPAN_FAILS("+1s", -EINVAL);
        ASSERT_SPAN_FAILS("abc", -EINVAL);
        ASSERT_SPAN_FAILS("5parsecs", -EINVAL);
        ASSERT_SPAN_FAILS("5 M", -EINVAL);
        ASSERT_SPAN_FAILS("1s,2s", -EINVAL);
        ASSERT_SPAN_FAILS("1.s", -EINVAL);
        ASSERT_SPAN_FAILS(".", -EINVAL);
        ASSERT_SPAN_FAILS("1..5s", -EINVAL);
        ASSERT_SPAN_FAILS("s", -EINVAL);
        ASSERT_SPAN_FAILS("5s x", -EINVAL);
        /* A second fraction is an error, not two components (1.5 s + .5 s = 2 s). */
        ASSERT_SPAN_FAILS("1.5.5s", -EINVAL);
        ASSERT_SPAN_FAILS("1.5.5", -EINVAL);
        ASSERT_SPAN_FAILS("10.5.5min", -EINVAL);
}

/* A unitless number may still be followed by a blank and more: "1.5 .5s" is two. */
static void test_parse_unitless_number_then_blank(void) {
        ASSERT_SPAN("1.5 .5s", 2 * USEC_PER_SEC);
        ASSERT_SPAN("1 2", 3 * USEC_PER_SEC);
}

static void test_parse_rejects_overflow(void) {
        ASSERT_SPAN_FAILS("99999999999999999999", -ERANGE);
        ASSERT_SPAN_FAILS("99999999999999999999999999us", -ERANGE);
        ASSERT_SPAN_FAILS("40000000w", -ERANGE);
        /* Each part fits, the sum does not. */
        ASSERT_SPAN_FAILS("18446744073709551615us 1us", -ERANGE);
        /* Exactly UINT64_MAX would read as infinity. */
        ASSERT_SPAN_FAILS("18446744073709551615us", -ERANGE);
        ASSERT_SPAN("18446744073709551614us", USEC_INFINITY - 1);
}

static void test_format_drops_zero_components(void) {
        ASSERT_FORMAT(0, "0");
        ASSERT_FORMAT(USEC_INFINITY, "infinity");
        ASSERT_FORMAT(150 * USEC_PER_SEC, "2min 30s");
        ASSERT_FORMAT(500 * USEC_PER_MSEC, "500ms");
        ASSERT_FORMAT(USEC_PER_HOUR, "1h");
        ASSERT_FORMAT(USEC_PER_HOUR + 5 * USEC_PER_SEC, "1h 5s");
        ASSERT_FORMAT(250, "250us");
        ASSERT_FORMAT(1500, "1ms 500us");
        ASSERT_FORMAT(8 * USEC_PER_DAY, "1w 1d");
}

static void test_format_keeps_three_largest(void) {
        ASSERT_FORMAT(USEC_PER_DAY + USEC_PER_HOUR + USEC_PER_MINUTE + USEC_PER_SEC, "1d 1h 1min");
}

static void test_format_truncates_safely(void) {
        char small[6];

        ASSERT_STR_EQ(format_timespan(small, sizeof(small), 150 * USEC_PER_SEC), "2min");
        ASSERT_STR_EQ(format_timespan(small, sizeof(small), USEC_INFINITY), "infin");
}

static void test_format_parses_back(void) {
        static const usec_t spans[] = {
                1, 999, USEC_PER_MSEC, 42 * USEC_PER_SEC, 90 * USEC_PER_MINUTE,
                3 * USEC_PER_DAY + 4 * USEC_PER_HOUR, 5 * 7 * USEC_PER_DAY,
        };

        for (size_t i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
                char buf[FORMAT_TIMESPAN_MAX];
                usec_t v = 0;

                ASSERT_INT_EQ(parse_timespan(format_timespan(buf, sizeof(buf), spans[i]), &v), 0);
                ASSERT_U64_EQ(v, spans[i]);
        }
}

static void test_now_usec_moves_forward(void) {
        usec_t a, b, rt;

        a = now_usec(CLOCK_MONOTONIC);
        b = now_usec(CLOCK_MONOTONIC);
        ASSERT_TRUE(a > 0);
        ASSERT_TRUE(b >= a);
        /* Realtime is after 2020-01-01 on any machine that runs this. */
        rt = now_usec(CLOCK_REALTIME);
        ASSERT_TRUE(rt > 1577836800ULL * USEC_PER_SEC);
}

/* Issue #16: "6ms 601us" where a person only needs "6.6ms". */
static void test_format_timespan_human_rounds_to_what_a_person_reads(void) {
        char b[FORMAT_TIMESPAN_MAX];

        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 0), "0");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), USEC_INFINITY), "infinity");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 640), "640us");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 6601), "6.6ms");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 6000), "6ms");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 9960), "10ms");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 660400), "660ms");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 999600), "1s");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 1800 * USEC_PER_MSEC), "1.8s");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 1849 * USEC_PER_MSEC), "1.8s");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 42400 * USEC_PER_MSEC), "42s");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 150 * USEC_PER_SEC + 400 * USEC_PER_MSEC),
                      "2min 30s");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 3 * USEC_PER_HOUR + 5 * USEC_PER_MINUTE + 31 * USEC_PER_SEC),
                      "3h 6min");
        ASSERT_STR_EQ(format_timespan_human(b, sizeof(b), 2 * USEC_PER_DAY + 4 * USEC_PER_HOUR + USEC_PER_MINUTE),
                      "2d 4h");
}

TEST_MAIN(TEST_CASE(test_format_timespan_human_rounds_to_what_a_person_reads),
          TEST_CASE(test_parse_every_unit),
          TEST_CASE(test_parse_bare_number_is_seconds),
          TEST_CASE(test_parse_fractions),
          TEST_CASE(test_parse_several_components),
          TEST_CASE(test_parse_infinity),
          TEST_CASE(test_parse_rejects_garbage),
          TEST_CASE(test_parse_unitless_number_then_blank),
          TEST_CASE(test_parse_rejects_overflow),
          TEST_CASE(test_format_drops_zero_components),
          TEST_CASE(test_format_keeps_three_largest),
          TEST_CASE(test_format_truncates_safely),
          TEST_CASE(test_format_parses_back),
          TEST_CASE(test_now_usec_moves_forward))
