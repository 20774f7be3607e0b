/* The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.0, written from the
 * registry. The two differ in the TYPE/HELP name of counters (with or without _total), in
 * # UNIT, _created and # EOF (OpenMetrics only), and in how le= is spelled. */
#include "metrics/metrics-exposition.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

MetricsFormat metrics_format_from_accept(const char *accept) {
        static const char om[] = "application/openmetrics-text";

        if (!accept)
                return METRICS_FORMAT_PROMETHEUS;
        /* Each media range up to the next ',': the type, then parameters after ';'. */
        for (const char *p = accept; *p;) {
                size_t len = strcspn(p, ",");
                const char *q = p;

                while (q < p + len && (*q == ' ' || *q == '\t'))
                        q++;
                if ((size_t) (p + len - q) >= sizeof(om) - 1 && strncasecmp(q, om, sizeof(om) - 1) == 0 &&
                    strchr("; \t,", q[sizeof(om) - 1] ?: ',')) {
                        const char *qv = NULL;
                        for (const char *s = q; s < p + len; s++)
                                if (*s == ';') {
                                        const char *t = s + 1;
                                        while (*t == ' ' || *t == '\t')
                                                t++;
                                        if (t[0] == 'q' && t[1] == '=')
                                                qv = t + 2;
                                }
                        if (!qv || strtod(qv, NULL) > 0)
                                return METRICS_FORMAT_OPENMETRICS;
                }
                p += len;
                if (*p == ',')
                        p++;
        }
        return METRICS_FORMAT_PROMETHEUS;
}

const char *metrics_format_content_type(MetricsFormat f) {
        return f == METRICS_FORMAT_OPENMETRICS
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
}

static const char *type_name(MetricType t) {
        switch (t) {
        case METRIC_COUNTER:
                return "counter";
        case METRIC_GAUGE:
                return "gauge";
        default:
                return "histogram";
        }
}

/* The shortest text that reads back as v; +Inf, -Inf, NaN as both formats spell them.
 * OpenMetrics wants le= values (and allows all floats) with a '.' or exponent, so
 * float_form adds ".0" to an integer there. Counters and most gauges hold integers: those
 * skip printf's float formatting, which a scrape of thousands of series would feel. */
static void format_number(char *buf, size_t size, double v, bool float_form) {
        if (isnan(v)) {
                snprintf(buf, size, "NaN");
                return;
        }
        if (isinf(v)) {
                snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
                return;
        }
        if (v == (double) (long long) v && v > -1e15 && v < 1e15) {
                char tmp[24], *p = tmp + sizeof(tmp);
                long long n = (long long) v;
                unsigned long long u = n < 0 ? -(unsigned long long) n : (unsigned long long) n;

                *--p = '\0';
                do
                        *--p = (char) ('0' + u % 10);
                while (u /= 10);
                if (n < 0)
                        *--p = '-';
                snprintf(buf, size, "%s%s", p, float_form ? ".0" : "");
                return;
        }
        snprintf(buf, size, "%.15g", v);
        if (strtod(buf, NULL) != v)
                snprintf(buf, size, "%.17g", v);
        if (float_form && !strpbrk(buf, ".e"))
                strncat(buf, ".0", size - strlen(buf) - 1);
}

static int append_str(StrBuf *b, const char *s) {
        return strbuf_append(b, s, strlen(s));
}

/* s with each byte of `special` written as its escape (\\, \" or \n): runs of
 * plain bytes are appended whole, as most values have nothing to escape. */
static int append_escaped(StrBuf *b, const char *s, const char *special) {
        int r = 0;

        while (*s && r >= 0) {
                size_t n = strcspn(s, special);

                if (n > 0)
                        r = strbuf_append(b, s, n);
                s += n;
                if (*s && r >= 0) {
                        const char *e = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n";
                        r = strbuf_append(b, e, 2);
                        s++;
                }
        }
        return r;
}

/* Label values: backslash, double quote and line feed escaped (both formats). */
static int append_label_value(StrBuf *b, const char *v) {
        return append_escaped(b, v, "\\\"\n");
}

/* HELP text: backslash and line feed escaped; OpenMetrics also escapes '"'. */
static int append_help(StrBuf *b, const char *help, MetricsFormat format) {
        return append_escaped(b, help, format == METRICS_FORMAT_OPENMETRICS ? "\\\"\n" : "\\\n");
}

/* name{a="x",b="y"[,le="…"]} value */
static int append_sample(StrBuf *b, const MetricFamily *f, const MetricSeries *s,
                         const char *suffix, const char *le, double value, bool float_form) {
        const MetricFamilyInfo *info = metric_family_info(f);
        size_t n = metric_family_n_labels(f);
        char num[64];
        int r;

        r = append_str(b, info->name);
        if (r >= 0)
                r = append_str(b, suffix);
        if (r >= 0 && (n > 0 || le))
                r = strbuf_append(b, "{", 1);
        for (size_t i = 0; i < n && r >= 0; i++) {
                if (i > 0)
                        r = strbuf_append(b, ",", 1);
                if (r >= 0)
                        r = append_str(b, info->label_names[i]);
                if (r >= 0)
                        r = strbuf_append(b, "=\"", 2);
                if (r >= 0)
                        r = append_label_value(b, s->labels[i]);
                if (r >= 0)
                        r = strbuf_append(b, "\"", 1);
        }
        if (r >= 0 && le)
                r = strbuf_appendf(b, "%sle=\"%s\"", n > 0 ? "," : "", le);
        if (r >= 0 && (n > 0 || le))
                r = strbuf_append(b, "}", 1);
        format_number(num, sizeof(num), value, float_form);
        if (r >= 0)
                r = strbuf_append(b, " ", 1);
        if (r >= 0)
                r = append_str(b, num);
        if (r >= 0)
                r = strbuf_append(b, "\n", 1);
        return r;
}

static int append_histogram(StrBuf *b, const MetricFamily *f, const MetricSeries *s,
                            MetricsFormat format) {
        const MetricFamilyInfo *info = metric_family_info(f);
        bool om = format == METRICS_FORMAT_OPENMETRICS;
        unsigned long long cumulative = 0;
        char le[64];
        int r = 0;

        for (size_t i = 0; i <= info->n_buckets && r >= 0; i++) {
                cumulative += s->bucket_counts[i];
                if (i < info->n_buckets)
                        format_number(le, sizeof(le), info->buckets[i], om);
                else
                        snprintf(le, sizeof(le), "+Inf");
                r = append_sample(b, f, s, "_bucket", le, (double) cumulative, false);
        }
        if (r >= 0)
                r = append_sample(b, f, s, "_sum", NULL, s->value, false);
        if (r >= 0)
                r = append_sample(b, f, s, "_count", NULL, (double) s->count, false);
        if (r >= 0 && om)
                r = append_sample(b, f, s, "_created", NULL, s->created, false);
        return r;
}

static int append_family(StrBuf *b, const MetricFamily *f, MetricsFormat format) {
        const MetricFamilyInfo *info = metric_family_info(f);
        bool om = format == METRICS_FORMAT_OPENMETRICS;
        /* The text format names a counter family with its _total; OpenMetrics without. */
        const char *family_suffix = !om && info->type == METRIC_COUNTER ? "_total" : "";
        int r;

        r = strbuf_appendf(b, "# HELP %s%s ", info->name, family_suffix);
        if (r >= 0)
                r = append_help(b, info->help, format);
        if (r >= 0)
                r = strbuf_appendf(b, "\n# TYPE %s%s %s\n", info->name, family_suffix,
                                   type_name(info->type));
        if (r >= 0 && om && info->unit)
                r = strbuf_appendf(b, "# UNIT %s %s\n", info->name, info->unit);

        for (size_t i = 0; i < metric_family_n_series(f) && r >= 0; i++) {
                const MetricSeries *s = metric_family_series(f, i);

                switch (info->type) {
                case METRIC_COUNTER:
                        r = append_sample(b, f, s, "_total", NULL, s->value, false);
                        if (r >= 0 && om)
                                r = append_sample(b, f, s, "_created", NULL, s->created, false);
                        break;
                case METRIC_GAUGE:
                        r = append_sample(b, f, s, "", NULL, s->value, false);
                        break;
                default:
                        r = append_histogram(b, f, s, format);
                }
        }
        return r;
}

int metrics_expose(MetricsRegistry *r, MetricsFormat format, char **ret, size_t *ret_len) {
        StrBuf b = {};
        int k = 0;

        metrics_registry_collect(r);
        for (size_t i = 0; i < metrics_registry_n_families(r) && k >= 0; i++)
                k = append_family(&b, metrics_registry_family(r, i), format);
        if (k >= 0 && format == METRICS_FORMAT_OPENMETRICS)
                k = strbuf_append(&b, "# EOF\n", 6);
        if (k >= 0)
                k = strbuf_append(&b, "", 0); /* data non-NULL even for an empty registry */
        if (k < 0) {
                strbuf_clear(&b);
                return -ENOMEM;
        }
        *ret_len = b.len;
        *ret = strbuf_steal(&b);
        return 0;
}
