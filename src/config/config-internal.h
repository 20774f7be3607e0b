/* What the config files share privately: the parse state, the defaults, the setters' helpers. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/ini.h"

#define DEFAULT_REGION "cn-hangzhou"
#define DEFAULT_REQUEST_TIMEOUT (10 * USEC_PER_SEC)
#define REQUEST_TIMEOUT_MAX (5 * USEC_PER_MINUTE)
#define DEFAULT_MAX_CONNECTIONS 4U
#define MAX_CONNECTIONS_MAX 64U
#define DEFAULT_MAX_REQUESTS_PER_SECOND 50.0
#define MAX_REQUESTS_PER_SECOND_MAX 100000.0
#define DEFAULT_MIN_INTERVAL (5 * USEC_PER_SEC)
#define DEFAULT_MAX_INTERVAL (2 * USEC_PER_MINUTE)
#define REGION_MAX 63 /* it becomes a DNS label */

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* The state of one config_parse_text() call. */
typedef struct ParseContext {
        Config *config;
        ConfigDiagnostics *diag;
        bool failed;
        size_t tasks_alloc; /* entries allocated in config->tasks and ->task_origins */
        /* Open-addressing index of config->tasks (slot = index + 1, 0 = free), so that a
         * file with many ids is not deduplicated in quadratic time. */
        size_t *slots;
        size_t n_slots;
} ParseContext;

/* The helpers below are static inline, not library functions, so that every setter file
 * (config.c's endpoint setters among them) calls them under their short names without
 * exporting symbols as generic as set_string() (watch/task-report.c has one). */

/* "FILE:LINE: Key=Value: why", the value quoted safely. Returns 0 or -ENOMEM. */
_printf_(6, 7)
static inline int bad_value(ParseContext *ctx, const char *filename, unsigned line,
                            const char *key, const char *value, const char *why_fmt, ...) {
        _cleanup_(freep) char *q = ini_quote(value), *why = NULL;
        va_list ap;
        int r;

        if (!q)
                return -ENOMEM;
        va_start(ap, why_fmt);
        r = vasprintf(&why, why_fmt, ap);
        va_end(ap);
        if (r < 0) {
                why = NULL;
                return -ENOMEM;
        }
        ctx->failed = true;
        return config_diagnostics_add(ctx->diag, "%s:%u: %s=%s: %s", filename, line, key, q, why);
}

/* Replaces *field with a copy of s (NULL allowed). */
static inline int set_string(char **field, const char *s) {
        char *copy = NULL;
        if (s) {
                copy = strdup(s);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}

static inline int set_origin(char **field, const char *filename, unsigned line) {
        char *o;
        if (asprintf(&o, "%s:%u", filename, line) < 0)
                return -ENOMEM;
        free(*field);
        *field = o;
        return 0;
}

/* The setters of config.c's key table: each checks one value and stores it in
 * ctx->config, or reports it through bad_value(). 0 (also when reported) or -ENOMEM. */
typedef int (*Setter)(ParseContext *ctx, const char *key, const char *value,
                      const char *filename, unsigned line);

/* config-values.c: [API] (but Endpoint=), [Poll], [Hooks] */
int config_set_region(ParseContext *ctx, const char *key, const char *value,
                      const char *filename, unsigned line);
int config_set_network(ParseContext *ctx, const char *key, const char *value,
                       const char *filename, unsigned line);
int config_set_ca_file(ParseContext *ctx, const char *key, const char *value,
                       const char *filename, unsigned line);
int config_set_request_timeout(ParseContext *ctx, const char *key, const char *value,
                               const char *filename, unsigned line);
int config_set_max_connections(ParseContext *ctx, const char *key, const char *value,
                               const char *filename, unsigned line);
int config_set_max_requests_per_second(ParseContext *ctx, const char *key, const char *value,
                                       const char *filename, unsigned line);
int config_set_task_timeout(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line);
int config_set_min_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line);
int config_set_max_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line);
int config_set_hook(ParseContext *ctx, const char *key, const char *value, const char *filename,
                    unsigned line);

/* config-credentials.c: [Credentials] (but MetadataURL= and STSEndpoint=) */
int config_set_credentials_source(ParseContext *ctx, const char *key, const char *value,
                                  const char *filename, unsigned line);
int config_set_access_key_id(ParseContext *ctx, const char *key, const char *value,
                             const char *filename, unsigned line);
int config_set_secret_file(ParseContext *ctx, const char *key, const char *value,
                           const char *filename, unsigned line);
int config_set_token_file(ParseContext *ctx, const char *key, const char *value,
                          const char *filename, unsigned line);
int config_set_role_name(ParseContext *ctx, const char *key, const char *value,
                         const char *filename, unsigned line);

/* config-metrics.c: [Metrics] */
int config_set_metrics_listen(ParseContext *ctx, const char *key, const char *value,
                              const char *filename, unsigned line);

/* config-tasks.c: [Tasks] */
int config_set_removed_retention(ParseContext *ctx, const char *key, const char *value,
                                 const char *filename, unsigned line);
int config_set_task(ParseContext *ctx, const char *key, const char *value,
                    const char *filename, unsigned line);
