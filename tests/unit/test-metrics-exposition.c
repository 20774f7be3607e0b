/* The exposition formats against exact expected text: Prometheus 0.0.4 and OpenMetrics 1.0.0. */
#include <stdlib.h>

#include "metrics/metrics-exposition.h"
#include "test.h"

static double fixed_clock(void) {
        return 1700000000;
}

static const char *const event_labels[] = { "event", NULL };
static const MetricFamilyInfo transitions = {
        .name = "tw_transitions", .help = "Transitions \\ seen,\nby \"kind\".",
        .type = METRIC_COUNTER, .label_names = event_labels,
};
static const char *const version_labels[] = { "version", NULL };
static const MetricFamilyInfo build_info = {
        .name = "tw_build_info", .help = "Build.", .type = METRIC_GAUGE,
        .label_names = version_labels,
};
static const MetricFamilyInfo last_poll = {
        .name = "tw_last_poll_timestamp_seconds", .help = "Last poll.", .unit = "seconds",
        .type = METRIC_GAUGE,
};
static const double buckets[] = { 0.5, 1, 2.5 };
static const MetricFamilyInfo duration = {
        .name = "tw_duration_seconds", .help = "Duration.", .unit = "seconds",
        .type = METRIC_HISTOGRAM, .buckets = buckets, .n_buckets = 3,
};

static MetricsRegistry *make_registry(void) {
        MetricsRegistry *r = NULL;
        MetricFamily *t, *b, *l, *d;

        if (metrics_registry_new(&r, fixed_clock) < 0 ||
            metrics_registry_add(r, &transitions, &t) < 0 ||
            metrics_registry_add(r, &build_info, &b) < 0 ||
            metrics_registry_add(r, &last_poll, &l) < 0 ||
            metrics_registry_add(r, &duration, &d) < 0)
                abort();
        (void) metric_family_inc(t, (const char *[]) { "task-failed" }, 2);
        (void) metric_family_inc(t, (const char *[]) { "odd\"one\\\nhere" }, 1);
        (void) metric_family_set(b, (const char *[]) { "0.1.0" }, 1);
        (void) metric_family_set(l, NULL, 1700000123.25);
        (void) metric_family_observe(d, NULL, 0.25);
        (void) metric_family_observe(d, NULL, 2);
        (void) metric_family_observe(d, NULL, 100);
        return r;
}

static void test_prometheus_text(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = make_registry();
        _cleanup_(freep) char *text = NULL;
        size_t len;

        ASSERT_OK(metrics_expose(r, METRICS_FORMAT_PROMETHEUS, &text, &len));
        ASSERT_STR_EQ(text,
                "# HELP tw_transitions_total Transitions \\\\ seen,\\nby \"kind\".\n"
                "# TYPE tw_transitions_total counter\n"
                "tw_transitions_total{event=\"task-failed\"} 2\n"
                "tw_transitions_total{event=\"odd\\\"one\\\\\\nhere\"} 1\n"
                "# HELP tw_build_info Build.\n"
                "# TYPE tw_build_info gauge\n"
                "tw_build_info{version=\"0.1.0\"} 1\n"
                "# HELP tw_last_poll_timestamp_seconds Last poll.\n"
                "# TYPE tw_last_poll_timestamp_seconds gauge\n"
                "tw_last_poll_timestamp_seconds 1700000123.25\n"
                "# HELP tw_duration_seconds Duration.\n"
                "# TYPE tw_duration_seconds histogram\n"
                "tw_duration_seconds_bucket{le=\"0.5\"} 1\n"
                "tw_duration_seconds_bucket{le=\"1\"} 1\n"
                "tw_duration_seconds_bucket{le=\"2.5\"} 2\n"
                "tw_duration_seconds_bucket{le=\"+Inf\"} 3\n"
                "tw_duration_seconds_sum 102.25\n"
                "tw_duration_seconds_count 3\n");
        ASSERT_INT_EQ(len, strlen(text));
}

static void test_openmetrics_text(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = make_registry();
        _cleanup_(freep) char *text = NULL;
        size_t len;

        ASSERT_OK(metrics_expose(r, METRICS_FORMAT_OPENMETRICS, &text, &len));
        ASSERT_STR_EQ(text,
                "# HELP tw_transitions Transitions \\\\ seen,\\nby \\\"kind\\\".\n"
                "# TYPE tw_transitions counter\n"
                "tw_transitions_total{event=\"task-failed\"} 2\n"
                "tw_transitions_created{event=\"task-failed\"} 1700000000\n"
                "tw_transitions_total{event=\"odd\\\"one\\\\\\nhere\"} 1\n"
                "tw_transitions_created{event=\"odd\\\"one\\\\\\nhere\"} 1700000000\n"
                "# HELP tw_build_info Build.\n"
                "# TYPE tw_build_info gauge\n"
                "tw_build_info{version=\"0.1.0\"} 1\n"
                "# HELP tw_last_poll_timestamp_seconds Last poll.\n"
                "# TYPE tw_last_poll_timestamp_seconds gauge\n"
                "# UNIT tw_last_poll_timestamp_seconds seconds\n"
                "tw_last_poll_timestamp_seconds 1700000123.25\n"
                "# HELP tw_duration_seconds Duration.\n"
                "# TYPE tw_duration_seconds histogram\n"
                "# UNIT tw_duration_seconds seconds\n"
                "tw_duration_seconds_bucket{le=\"0.5\"} 1\n"
                "tw_duration_seconds_bucket{le=\"1.0\"} 1\n"
                "tw_duration_seconds_bucket{le=\"2.5\"} 2\n"
                "tw_duration_seconds_bucket{le=\"+Inf\"} 3\n"
                "tw_duration_seconds_sum 102.25\n"
                "tw_duration_seconds_count 3\n"
                "tw_duration_seconds_created 1700000000\n"
                "# EOF\n");
}

static void test_empty_registry(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        _cleanup_(freep) char *a = NULL, *b = NULL;
        size_t len;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_expose(r, METRICS_FORMAT_PROMETHEUS, &a, &len));
        ASSERT_STR_EQ(a, "");
        ASSERT_OK(metrics_expose(r, METRICS_FORMAT_OPENMETRICS, &b, &len));
        ASSERT_STR_EQ(b, "# EOF\n");
}

static void test_format_from_accept(void) {
        ASSERT_INT_EQ(metrics_format_from_accept(NULL), METRICS_FORMAT_PROMETHEUS);
        ASSERT_INT_EQ(metrics_format_from_accept("*/*"), METRICS_FORMAT_PROMETHEUS);
        ASSERT_INT_EQ(metrics_format_from_accept("text/plain;version=0.0.4"), METRICS_FORMAT_PROMETHEUS);
        /* what Prometheus 2.x sends */
        ASSERT_INT_EQ(metrics_format_from_accept(
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                METRICS_FORMAT_OPENMETRICS);
        ASSERT_INT_EQ(metrics_format_from_accept("text/plain, Application/OpenMetrics-Text"),
                      METRICS_FORMAT_OPENMETRICS);
        ASSERT_INT_EQ(metrics_format_from_accept("application/openmetrics-text; q=0"),
                      METRICS_FORMAT_PROMETHEUS);
        ASSERT_INT_EQ(metrics_format_from_accept("application/openmetrics-textual"),
                      METRICS_FORMAT_PROMETHEUS);
        ASSERT_TRUE(strstr(metrics_format_content_type(METRICS_FORMAT_OPENMETRICS),
                           "application/openmetrics-text; version=1.0.0") != NULL);
        ASSERT_TRUE(strstr(metrics_format_content_type(METRICS_FORMAT_PROMETHEUS),
                           "text/plain; version=0.0.4") != NULL);
}

TEST_MAIN(TEST_CASE(test_prometheus_text),
          TEST_CASE(test_openmetrics_text),
          TEST_CASE(test_empty_registry),
          TEST_CASE(test_format_from_accept))
