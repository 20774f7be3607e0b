/* The metrics registry: families, their bounded label sets, and the values in them. */
#include "metrics/metrics-registry.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SERIES_DEFAULT 64

struct MetricFamily {
        const MetricFamilyInfo *info;
        size_t n_labels;
        size_t max_series;
        MetricSeries *series;
        size_t n_series, alloc_series;
        MetricCollect collect;
        void *collect_userdata;
        MetricsRegistry *registry;
};

struct MetricsRegistry {
        MetricsClock clock;
        MetricFamily **families;
        size_t n_families;
};

static double clock_realtime(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int metrics_registry_new(MetricsRegistry **ret, MetricsClock clock) {
        MetricsRegistry *r = calloc(1, sizeof(*r));

        if (!r)
                return -ENOMEM;
        r->clock = clock ?: clock_realtime;
        *ret = r;
        return 0;
}

/* A series' label values live in one allocation that labels[0] points to. */
static void series_done(MetricSeries *s, size_t n_labels) {
        if (n_labels > 0)
                free((char *) s->labels[0]);
        free(s->bucket_counts);
}

void metric_family_reset(MetricFamily *f) {
        for (size_t i = 0; i < f->n_series; i++)
                series_done(&f->series[i], f->n_labels);
        f->n_series = 0;
}

static MetricFamily *metric_family_free(MetricFamily *f) {
        if (!f)
                return NULL;
        metric_family_reset(f);
        free(f->series);
        free(f);
        return NULL;
}

MetricsRegistry *metrics_registry_free(MetricsRegistry *r) {
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_families; i++)
                metric_family_free(r->families[i]);
        free(r->families);
        free(r);
        return NULL;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels the same without ':'. */
static bool name_is_valid(const char *s, bool colon_ok) {
        if (!s || !*s || (*s >= '0' && *s <= '9'))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || (colon_ok && *s == ':')))
                        return false;
        return true;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool info_is_valid(const MetricFamilyInfo *info, size_t *ret_n_labels) {
        size_t n = 0;

        if (!info || !name_is_valid(info->name, true) || !info->help ||
            info->type >= _METRIC_TYPE_MAX)
                return false;
        /* The exposition adds the suffixes: a name that has one already would double it. */
        if (ends_with(info->name, "_total") || ends_with(info->name, "_created") ||
            ends_with(info->name, "_bucket") || ends_with(info->name, "_count") ||
            ends_with(info->name, "_sum"))
                return false;
        if (info->unit) {
                char suffix[64];
                if (!name_is_valid(info->unit, false) ||
                    snprintf(suffix, sizeof(suffix), "_%s", info->unit) >= (int) sizeof(suffix) ||
                    !ends_with(info->name, suffix))
                        return false;
        }
        for (; info->label_names && info->label_names[n]; n++)
                if (n >= METRIC_LABELS_MAX || !name_is_valid(info->label_names[n], false) ||
                    strncmp(info->label_names[n], "__", 2) == 0 ||
                    (info->type == METRIC_HISTOGRAM && strcmp(info->label_names[n], "le") == 0))
                        return false;
        if (info->type == METRIC_HISTOGRAM) {
                if (info->n_buckets == 0 || info->n_buckets > METRIC_BUCKETS_MAX || !info->buckets)
                        return false;
                for (size_t i = 0; i < info->n_buckets; i++)
                        if (!isfinite(info->buckets[i]) ||
                            (i > 0 && info->buckets[i] <= info->buckets[i - 1]))
                                return false;
        }
        *ret_n_labels = n;
        return true;
}

int metrics_registry_add(MetricsRegistry *r, const MetricFamilyInfo *info, MetricFamily **ret) {
        MetricFamily *f, **l;
        size_t n_labels;

        if (!r || !info_is_valid(info, &n_labels))
                return -EINVAL;
        for (size_t i = 0; i < r->n_families; i++)
                if (strcmp(r->families[i]->info->name, info->name) == 0)
                        return -EEXIST;
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        l = reallocarray(r->families, r->n_families + 1, sizeof(*l));
        if (!l) {
                free(f);
                return -ENOMEM;
        }
        r->families = l;
        f->info = info;
        f->n_labels = n_labels;
        f->max_series = info->max_series ?: MAX_SERIES_DEFAULT;
        f->registry = r;
        r->families[r->n_families++] = f;
        if (ret)
                *ret = f;
        return 0;
}

void metric_family_set_collect(MetricFamily *f, MetricCollect collect, void *userdata) {
        f->collect = collect;
        f->collect_userdata = userdata;
}

void metrics_registry_collect(MetricsRegistry *r) {
        for (size_t i = 0; i < r->n_families; i++)
                if (r->families[i]->collect)
                        r->families[i]->collect(r->families[i], r->families[i]->collect_userdata);
}

/* A label's value as the series will hold it: a known value, else "other"; cut to size. */
static const char *label_value_bound(const MetricFamily *f, size_t i, const char *v,
                                     size_t *ret_len) {
        const char *const *known = f->info->label_values ? f->info->label_values[i] : NULL;
        size_t len;

        if (!v)
                v = "";
        if (known) {
                for (; *known; known++)
                        if (strcmp(*known, v) == 0)
                                break;
                if (!*known)
                        v = METRIC_LABEL_OTHER;
        }
        len = strnlen(v, METRIC_LABEL_VALUE_MAX);
        *ret_len = len;
        return v;
}

static bool series_matches(const MetricSeries *s, size_t n_labels, const char *const *values,
                           const size_t *lens) {
        for (size_t i = 0; i < n_labels; i++)
                if (strncmp(s->labels[i], values[i], lens[i]) != 0 || s->labels[i][lens[i]] != '\0')
                        return false;
        return true;
}

/* The series for labels: found (unless lookup is false: the caller knows it is new),
 * created, or the overflow series. NULL on OOM, or when create is false and there is none. */
static MetricSeries *series_get_full(MetricFamily *f, const char *const *labels, bool lookup,
                                     bool create) {
        const char *values[METRIC_LABELS_MAX];
        size_t lens[METRIC_LABELS_MAX];
        MetricSeries *s;

        for (size_t i = 0; i < f->n_labels; i++)
                values[i] = label_value_bound(f, i, labels ? labels[i] : NULL, &lens[i]);
        for (size_t i = 0; lookup && i < f->n_series; i++)
                if (series_matches(&f->series[i], f->n_labels, values, lens))
                        return &f->series[i];
        if (!create)
                return NULL;
        if (f->n_series >= f->max_series && f->n_labels > 0) {
                /* Past the bound every new label set is counted in one series, "other" for
                 * each label: totals stay right while the series count stays bounded. */
                for (size_t i = 0; i < f->n_labels; i++) {
                        values[i] = METRIC_LABEL_OTHER;
                        lens[i] = strlen(METRIC_LABEL_OTHER);
                }
                for (size_t i = 0; i < f->n_series; i++)
                        if (series_matches(&f->series[i], f->n_labels, values, lens))
                                return &f->series[i];
        }

        if (f->n_series == f->alloc_series) {
                /* Doubling: a collect callback may push thousands of series. */
                size_t n = f->alloc_series ? 2 * f->alloc_series : 8;
                MetricSeries *l = reallocarray(f->series, n, sizeof(*l));
                if (!l)
                        return NULL;
                f->series = l;
                f->alloc_series = n;
        }
        s = &f->series[f->n_series];
        /* Gauges have no _created: no clock read for the thousands a collect pushes. */
        *s = (MetricSeries) {
                .created = f->info->type == METRIC_GAUGE ? 0 : f->registry->clock(),
        };
        if (f->info->type == METRIC_HISTOGRAM) {
                s->bucket_counts = calloc(f->info->n_buckets + 1, sizeof(*s->bucket_counts));
                if (!s->bucket_counts)
                        return NULL;
        }
        if (f->n_labels > 0) {
                /* One allocation for all the values (a pushed series costs one malloc, not
                 * one per label), each NUL-terminated. */
                size_t total = 0;
                char *p;

                for (size_t i = 0; i < f->n_labels; i++)
                        total += lens[i] + 1;
                p = malloc(total);
                if (!p) {
                        series_done(s, 0);
                        return NULL;
                }
                for (size_t i = 0; i < f->n_labels; i++) {
                        memcpy(p, values[i], lens[i]);
                        p[lens[i]] = '\0';
                        s->labels[i] = p;
                        p += lens[i] + 1;
                }
        }
        f->n_series++;
        return s;
}

static MetricSeries *series_get(MetricFamily *f, const char *const *labels, bool create) {
        return series_get_full(f, labels, true, create);
}

int metric_family_inc(MetricFamily *f, const char *const *labels, double by) {
        MetricSeries *s;

        if (f->info->type != METRIC_COUNTER || !(by >= 0))
                return -EINVAL;
        s = series_get(f, labels, true);
        if (!s)
                return -ENOMEM;
        s->value += by;
        return 0;
}

int metric_family_set(MetricFamily *f, const char *const *labels, double value) {
        MetricSeries *s;

        if (f->info->type != METRIC_GAUGE)
                return -EINVAL;
        s = series_get(f, labels, true);
        if (!s)
                return -ENOMEM;
        s->value = value;
        return 0;
}

int metric_family_push(MetricFamily *f, const char *const *labels, double value) {
        MetricSeries *s;

        if (f->info->type != METRIC_GAUGE)
                return -EINVAL;
        /* Past the bound every push lands in the one "other" series, looked up among the
         * max_series others, and adds to it: it stands for all the label sets left out. */
        bool past = f->n_series >= f->max_series && f->n_labels > 0;

        s = series_get_full(f, labels, past, true);
        if (!s)
                return -ENOMEM;
        s->value = past ? s->value + value : value;
        return 0;
}

int metric_family_observe(MetricFamily *f, const char *const *labels, double value) {
        const MetricFamilyInfo *info = f->info;
        MetricSeries *s;
        size_t b = 0;

        if (info->type != METRIC_HISTOGRAM || isnan(value))
                return -EINVAL;
        s = series_get(f, labels, true);
        if (!s)
                return -ENOMEM;
        while (b < info->n_buckets && value > info->buckets[b])
                b++;
        s->bucket_counts[b]++;
        s->count++;
        s->value += value;
        return 0;
}

double metric_family_value(MetricFamily *f, const char *const *labels) {
        const MetricSeries *s = series_get(f, labels, false);
        return s ? s->value : 0;
}

size_t metrics_registry_n_families(const MetricsRegistry *r) {
        return r->n_families;
}

const MetricFamily *metrics_registry_family(const MetricsRegistry *r, size_t i) {
        return i < r->n_families ? r->families[i] : NULL;
}

const MetricFamilyInfo *metric_family_info(const MetricFamily *f) {
        return f->info;
}

size_t metric_family_n_labels(const MetricFamily *f) {
        return f->n_labels;
}

size_t metric_family_n_series(const MetricFamily *f) {
        return f->n_series;
}

const MetricSeries *metric_family_series(const MetricFamily *f, size_t i) {
        return i < f->n_series ? &f->series[i] : NULL;
}
