/* The metrics registry: naming rules, bounded label sets, values by type, collect callbacks. */
#include <errno.h>
#include <math.h>

#include "metrics/metrics-registry.h"
#include "test.h"

static double fixed_clock(void) {
        return 1700000000.5;
}

static const char *const result_values[] = { "ok", "failed", NULL };
static const char *const *const hook_label_values[] = { NULL, result_values };
static const char *const hook_labels[] = { "hook", "result", NULL };
static const MetricFamilyInfo hooks_info = {
        .name = "test_hooks", .help = "Hooks run.", .type = METRIC_COUNTER,
        .label_names = hook_labels, .label_values = hook_label_values, .max_series = 3,
};

static void test_rejects_bad_names(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        static const char *const le[] = { "le", NULL };
        static const double b[] = { 1, 2 }, unsorted[] = { 2, 1 };
        MetricFamilyInfo i;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        i = (MetricFamilyInfo) { .name = "9lives", .help = "x", .type = METRIC_GAUGE };
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EINVAL);
        i = (MetricFamilyInfo) { .name = "x_total", .help = "x", .type = METRIC_COUNTER };
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EINVAL);
        i = (MetricFamilyInfo) { .name = "x_ms", .help = "x", .unit = "seconds", .type = METRIC_GAUGE };
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EINVAL);
        i = (MetricFamilyInfo) { .name = "h_seconds", .help = "x", .type = METRIC_HISTOGRAM,
                                 .label_names = le, .buckets = b, .n_buckets = 2 };
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EINVAL);
        i = (MetricFamilyInfo) { .name = "h_seconds", .help = "x", .type = METRIC_HISTOGRAM,
                                 .buckets = unsorted, .n_buckets = 2 };
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EINVAL);
        i = (MetricFamilyInfo) { .name = "h_seconds", .help = "x", .unit = "seconds",
                                 .type = METRIC_HISTOGRAM, .buckets = b, .n_buckets = 2 };
        ASSERT_OK(metrics_registry_add(r, &i, NULL));
        ASSERT_INT_EQ(metrics_registry_add(r, &i, NULL), -EEXIST);
        ASSERT_INT_EQ(metrics_registry_n_families(r), 1);
}

static void test_unknown_values_become_other(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        MetricFamily *f;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &hooks_info, &f));
        ASSERT_OK(metric_family_inc(f, (const char *[]) { "a", "ok" }, 1));
        ASSERT_OK(metric_family_inc(f, (const char *[]) { "a", "ok" }, 2));
        ASSERT_OK(metric_family_inc(f, (const char *[]) { "a", "exploded" }, 1));
        ASSERT_INT_EQ(metric_family_n_series(f), 2);
        ASSERT_TRUE(metric_family_value(f, (const char *[]) { "a", "ok" }) == 3);
        ASSERT_TRUE(metric_family_value(f, (const char *[]) { "a", "other" }) == 1);
        ASSERT_STR_EQ(metric_family_series(f, 1)->labels[1], "other");
        ASSERT_TRUE(metric_family_series(f, 0)->created == 1700000000.5);
}

static void test_series_past_the_bound_share_one(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        MetricFamily *f;
        char name[16];

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &hooks_info, &f));
        for (int i = 0; i < 100; i++) {
                snprintf(name, sizeof(name), "hook-%d", i);
                ASSERT_OK(metric_family_inc(f, (const char *[]) { name, "ok" }, 1));
        }
        /* max_series, plus the one that counts everything past it */
        ASSERT_INT_EQ(metric_family_n_series(f), 4);
        ASSERT_TRUE(metric_family_value(f, (const char *[]) { "other", "other" }) == 97);
        /* a label set seen before the bound keeps its own series */
        ASSERT_OK(metric_family_inc(f, (const char *[]) { "hook-0", "ok" }, 1));
        ASSERT_TRUE(metric_family_value(f, (const char *[]) { "hook-0", "ok" }) == 2);
}

static void test_long_label_values_are_cut(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        static const char *const names[] = { "id", NULL };
        static const MetricFamilyInfo info = { .name = "g", .help = "g", .type = METRIC_GAUGE,
                                               .label_names = names };
        char big[300];
        MetricFamily *f;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &info, &f));
        ASSERT_OK(metric_family_set(f, (const char *[]) { big }, 7));
        ASSERT_INT_EQ(strlen(metric_family_series(f, 0)->labels[0]), METRIC_LABEL_VALUE_MAX);
        ASSERT_OK(metric_family_set(f, (const char *[]) { big }, 8));
        ASSERT_INT_EQ(metric_family_n_series(f), 1);
        ASSERT_TRUE(metric_family_series(f, 0)->value == 8);
}

static void test_types_are_enforced(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        MetricFamily *f;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &hooks_info, &f));
        ASSERT_INT_EQ(metric_family_inc(f, (const char *[]) { "a", "ok" }, -1), -EINVAL);
        ASSERT_INT_EQ(metric_family_set(f, (const char *[]) { "a", "ok" }, 1), -EINVAL);
        ASSERT_INT_EQ(metric_family_observe(f, (const char *[]) { "a", "ok" }, 1), -EINVAL);
        ASSERT_INT_EQ(metric_family_n_series(f), 0);
}

static void test_histogram_buckets(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        static const double b[] = { 0.1, 1, 10 };
        static const MetricFamilyInfo info = { .name = "d_seconds", .help = "d", .unit = "seconds",
                                               .type = METRIC_HISTOGRAM, .buckets = b,
                                               .n_buckets = 3 };
        const MetricSeries *s;
        MetricFamily *f;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &info, &f));
        ASSERT_OK(metric_family_observe(f, NULL, 0.1)); /* le is inclusive */
        ASSERT_OK(metric_family_observe(f, NULL, 0.5));
        ASSERT_OK(metric_family_observe(f, NULL, 50));
        s = metric_family_series(f, 0);
        ASSERT_NOT_NULL(s);
        ASSERT_INT_EQ(s->bucket_counts[0], 1);
        ASSERT_INT_EQ(s->bucket_counts[1], 1);
        ASSERT_INT_EQ(s->bucket_counts[2], 0);
        ASSERT_INT_EQ(s->bucket_counts[3], 1);
        ASSERT_INT_EQ(s->count, 3);
        ASSERT_TRUE(fabs(s->value - 50.6) < 1e-9);
}

static int collected;
static void collect_gauge(MetricFamily *f, void *userdata) {
        metric_family_reset(f);
        (void) metric_family_set(f, NULL, *(double *) userdata);
        collected++;
}

static void test_collect_runs_at_scrape(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        static const MetricFamilyInfo info = { .name = "g", .help = "g", .type = METRIC_GAUGE };
        double v = 5;
        MetricFamily *f;

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &info, &f));
        metric_family_set_collect(f, collect_gauge, &v);
        ASSERT_INT_EQ(collected, 0);
        metrics_registry_collect(r);
        v = 6;
        metrics_registry_collect(r);
        ASSERT_INT_EQ(collected, 2);
        ASSERT_INT_EQ(metric_family_n_series(f), 1);
        ASSERT_TRUE(metric_family_value(f, NULL) == 6);
}

/* What a collect callback over thousands of tasks does at every scrape: reset, push each. */
static void test_push_rebuilds_many_series_within_the_bound(void) {
        _cleanup_(metrics_registry_freep) MetricsRegistry *r = NULL;
        static const char *const names[] = { "task_id", NULL };
        static const MetricFamilyInfo info = { .name = "tasks", .help = "t", .type = METRIC_GAUGE,
                                               .label_names = names, .max_series = 10000 };
        MetricFamily *f;
        char id[32];

        ASSERT_OK(metrics_registry_new(&r, fixed_clock));
        ASSERT_OK(metrics_registry_add(r, &info, &f));
        for (int round = 0; round < 3; round++) {
                metric_family_reset(f);
                for (int i = 0; i < 10005; i++) {
                        snprintf(id, sizeof(id), "T-%d", i);
                        ASSERT_OK(metric_family_push(f, (const char *[]) { id }, 1));
                }
                ASSERT_INT_EQ(metric_family_n_series(f), 10001);
                ASSERT_STR_EQ(metric_family_series(f, 9999)->labels[0], "T-9999");
                /* the five left out, in one series */
                ASSERT_TRUE(metric_family_value(f, (const char *[]) { "other" }) == 5);
        }
        ASSERT_OK(metrics_registry_add(r, &hooks_info, &f));
        ASSERT_INT_EQ(metric_family_push(f, (const char *[]) { "a", "ok" }, 1), -EINVAL);
}

TEST_MAIN(TEST_CASE(test_rejects_bad_names),
          TEST_CASE(test_unknown_values_become_other),
          TEST_CASE(test_series_past_the_bound_share_one),
          TEST_CASE(test_long_label_values_are_cut),
          TEST_CASE(test_types_are_enforced),
          TEST_CASE(test_histogram_buckets),
          TEST_CASE(test_collect_runs_at_scrape),
          TEST_CASE(test_push_rebuilds_many_series_within_the_bound))
