/* The registry as a scrape reads it: Prometheus text format 0.0.4 or OpenMetrics 1.0.0. */
#pragma once

#include <stddef.h>

#include "metrics/metrics-registry.h"

typedef enum MetricsFormat {
        METRICS_FORMAT_PROMETHEUS, /* text/plain; version=0.0.4 */
        METRICS_FORMAT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
        _METRICS_FORMAT_MAX,
} MetricsFormat;

/* OpenMetrics when the Accept header (NULL: none) names application/openmetrics-text
 * without q=0, else the Prometheus text format. */
MetricsFormat metrics_format_from_accept(const char *accept);
/* The Content-Type of a response in that format. */
const char *metrics_format_content_type(MetricsFormat f);

/* Runs the collect callbacks, then writes every family. *ret is malloc'ed and
 * NUL-terminated (*ret_len without the NUL). 0 or -ENOMEM. */
int metrics_expose(MetricsRegistry *r, MetricsFormat format, char **ret, size_t *ret_len);
