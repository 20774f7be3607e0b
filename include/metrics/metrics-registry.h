/* The metrics registry: families of counters, gauges and histograms, each with a bounded
 * number of label sets, kept as values or filled by a callback when scraped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"

typedef enum MetricType {
        METRIC_COUNTER,
        METRIC_GAUGE,
        METRIC_HISTOGRAM,
        _METRIC_TYPE_MAX,
} MetricType;

#define METRIC_LABELS_MAX 4
#define METRIC_BUCKETS_MAX 24
/* A label value longer than this is cut: values come from the API and the configuration. */
#define METRIC_LABEL_VALUE_MAX 128
/* What a value outside a label's known set, or any label set past max_series, becomes. */
#define METRIC_LABEL_OTHER "other"

/* One family as the code declares it; every pointer must stay valid as long as the registry
 * (string literals and static arrays). */
typedef struct MetricFamilyInfo {
        const char *name; /* base name: counters get "_total" when exposed */
        const char *help;
        const char *unit; /* "seconds", "bytes" or NULL; name must end in "_<unit>" */
        MetricType type;
        /* NULL-terminated, at most METRIC_LABELS_MAX; NULL: no labels, one series. */
        const char *const *label_names;
        /* Per label (parallel to label_names): its known values, NULL-terminated, or NULL for
         * a label whose values are only bounded by max_series. */
        const char *const *const *label_values;
        size_t max_series; /* 0: 64 */
        const double *buckets; /* histograms: upper bounds, ascending, +Inf implied */
        size_t n_buckets;
} MetricFamilyInfo;

typedef struct MetricsRegistry MetricsRegistry;
typedef struct MetricFamily MetricFamily;

/* The wall clock, in seconds since the epoch, for OpenMetrics' _created. */
typedef double (*MetricsClock)(void);
/* Called at each scrape before the family is exposed, to set gauges from state. */
typedef void (*MetricCollect)(MetricFamily *f, void *userdata);

/* clock NULL: CLOCK_REALTIME. */
int metrics_registry_new(MetricsRegistry **ret, MetricsClock clock);
MetricsRegistry *metrics_registry_free(MetricsRegistry *r);
DEFINE_POINTER_CLEANUP(MetricsRegistry, metrics_registry_free)

/* -EINVAL for an info that does not follow the naming rules, -EEXIST for a name already
 * registered, -ENOMEM. *ret (optional) is owned by the registry. Families are exposed in
 * the order they were added. */
int metrics_registry_add(MetricsRegistry *r, const MetricFamilyInfo *info, MetricFamily **ret);
void metric_family_set_collect(MetricFamily *f, MetricCollect collect, void *userdata);
/* Runs every collect callback. */
void metrics_registry_collect(MetricsRegistry *r);

/* labels: one value per label name (NULL when the family has none). Values outside a known
 * set become "other"; a new label set past max_series goes to the series whose every label
 * is "other". 0 or -ENOMEM, -EINVAL for a negative counter increment or the wrong type. */
int metric_family_inc(MetricFamily *f, const char *const *labels, double by);      /* counter */
int metric_family_set(MetricFamily *f, const char *const *labels, double value);   /* gauge */
int metric_family_observe(MetricFamily *f, const char *const *labels, double value); /* histogram */
/* Drops every series (a collect callback that rebuilds a gauge's label sets). */
void metric_family_reset(MetricFamily *f);
/* For such a callback: a gauge series added without looking for an equal one, so that
 * rebuilding n series costs O(n), not O(n^2) (thousands of tasks at every scrape). The
 * caller's label sets must be distinct since the reset; past max_series they still go to
 * the "other" series. 0, -ENOMEM, -EINVAL for a family that is not a gauge. */
int metric_family_push(MetricFamily *f, const char *const *labels, double value);

/* ---- reading, for the exposition --------------------------------------------------------- */
typedef struct MetricSeries {
        const char *labels[METRIC_LABELS_MAX]; /* owned by the series */
        double value;   /* counter, gauge; histogram: the sum */
        double created; /* seconds since the epoch: when the series appeared */
        unsigned long long count; /* histogram */
        unsigned long long *bucket_counts; /* histogram: per bucket (n_buckets + 1 for +Inf), not cumulative */
} MetricSeries;

size_t metrics_registry_n_families(const MetricsRegistry *r);
const MetricFamily *metrics_registry_family(const MetricsRegistry *r, size_t i);
const MetricFamilyInfo *metric_family_info(const MetricFamily *f);
size_t metric_family_n_labels(const MetricFamily *f);
size_t metric_family_n_series(const MetricFamily *f);
const MetricSeries *metric_family_series(const MetricFamily *f, size_t i);
/* A series' value, for tests and the daemon's own reads; 0 when the label set has none. */
double metric_family_value(MetricFamily *f, const char *const *labels);
