/* The value setters of [API] (Network= among them), [Poll] and [Hooks]: spans, counts, a rate, a path. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config-internal.h"

/* Parses a span for key into *ret: 1 when set, 0 when bad (and reported), -ENOMEM. */
static int parse_span(ParseContext *ctx, const char *filename, unsigned line, const char *key,
                      const char *value, usec_t max, const char *max_why, usec_t *ret) {
        usec_t t;
        int r = parse_timespan(value, &t);

        if (r == -ERANGE)
                return bad_value(ctx, filename, line, key, value, "time span too large");
        if (r < 0)
                return bad_value(ctx, filename, line, key, value,
                                 "not a time span (use e.g. 500ms, 10s, 2min)");
        if (t == 0)
                return bad_value(ctx, filename, line, key, value, "must be greater than 0");
        if (t > max)
                return bad_value(ctx, filename, line, key, value, "%s", max_why);
        *ret = t;
        return 1;
}

int config_set_region(ParseContext *ctx, const char *key, const char *value,
                      const char *filename, unsigned line) {
        if (value[0] == '\0')
                return set_string(&ctx->config->region, DEFAULT_REGION);
        if (strlen(value) > REGION_MAX ||
            strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(value))
                return bad_value(ctx, filename, line, key, value,
                                 "not a region id (lowercase letters, digits and '-', "
                                 "e.g. cn-hangzhou)");
        return set_string(&ctx->config->region, value);
}

/* Only the derived endpoint depends on it: an explicit Endpoint= is used as written. */
int config_set_network(ParseContext *ctx, const char *key, const char *value,
                       const char *filename, unsigned line) {
        int n;

        if (value[0] == '\0') {
                ctx->config->network = CONFIG_NETWORK_PUBLIC;
                return 0;
        }
        n = config_network_from_string(value);
        if (n < 0)
                return bad_value(ctx, filename, line, key, value,
                                 "unknown network (expected public or vpc)");
        ctx->config->network = (ConfigNetwork) n;
        return 0;
}

int config_set_ca_file(ParseContext *ctx, const char *key, const char *value,
                       const char *filename, unsigned line) {
        Config *c = ctx->config;
        int r;

        if (value[0] == '\0') {
                free(c->ca_file_origin);
                c->ca_file_origin = NULL;
                return set_string(&c->ca_file, NULL);
        }
        /* The daemon's working directory is "/": a relative path would mean something else
         * to --check-config run from a shell. */
        if (value[0] != '/')
                return bad_value(ctx, filename, line, key, value, "not an absolute path");
        r = set_string(&c->ca_file, value);
        if (r < 0)
                return r;
        return set_origin(&c->ca_file_origin, filename, line);
}

int config_set_request_timeout(ParseContext *ctx, const char *key, const char *value,
                               const char *filename, unsigned line) {
        int r;

        if (value[0] == '\0') {
                ctx->config->request_timeout = DEFAULT_REQUEST_TIMEOUT;
                return 0;
        }
        r = parse_span(ctx, filename, line, key, value, REQUEST_TIMEOUT_MAX,
                       "must be at most 5min", &ctx->config->request_timeout);
        return r < 0 ? r : 0;
}

int config_set_max_connections(ParseContext *ctx, const char *key, const char *value,
                               const char *filename, unsigned line) {
        size_t n = strlen(value);

        if (n == 0) {
                ctx->config->max_connections = DEFAULT_MAX_CONNECTIONS;
                return 0;
        }
        /* strtoul() would accept signs, blanks and hex: insist on plain digits. */
        if (strspn(value, "0123456789") != n)
                return bad_value(ctx, filename, line, key, value, "not a number (1..64)");
        unsigned long v = n > 3 ? ULONG_MAX : strtoul(value, NULL, 10);
        if (v < 1 || v > MAX_CONNECTIONS_MAX)
                return bad_value(ctx, filename, line, key, value, "out of range (1..64)");
        ctx->config->max_connections = (unsigned) v;
        return 0;
}

int config_set_max_requests_per_second(ParseContext *ctx, const char *key, const char *value,
                                       const char *filename, unsigned line) {
        size_t n = strlen(value), digits = strspn(value, "0123456789");
        char *end;
        double v;

        if (n == 0) {
                ctx->config->max_requests_per_second = DEFAULT_MAX_REQUESTS_PER_SECOND;
                return 0;
        }
        /* Plain decimals only ("0.5", "20"): strtod() would also take "inf", "1e3", " 5". */
        if (digits == 0 || (digits < n && (value[digits] != '.' || digits + 1 == n ||
                                           strspn(value + digits + 1, "0123456789") != n - digits - 1)))
                return bad_value(ctx, filename, line, key, value,
                                 "not a number of requests per second (e.g. 20 or 0.5)");
        v = strtod(value, &end);
        if (!(v > 0) || v > MAX_REQUESTS_PER_SECOND_MAX)
                return bad_value(ctx, filename, line, key, value, "out of range (more than 0, at most 100000)");
        ctx->config->max_requests_per_second = v;
        return 0;
}

int config_set_task_timeout(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        int r;

        if (value[0] == '\0') {
                ctx->config->task_timeout = USEC_INFINITY;
                return 0;
        }
        /* "infinity" (the default) switches the check off. */
        r = parse_span(ctx, filename, line, key, value, USEC_INFINITY, "", &ctx->config->task_timeout);
        return r < 0 ? r : 0;
}

int config_set_removed_retention(ParseContext *ctx, const char *key, const char *value,
                                 const char *filename, unsigned line) {
        int r;

        if (value[0] == '\0') {
                ctx->config->removed_retention = CONFIG_REMOVED_RETENTION_DEFAULT;
                return 0;
        }
        /* "0": deleted at once, as before there was a retention; "infinity": never. */
        if (strcmp(value, "0") == 0) {
                ctx->config->removed_retention = 0;
                return 0;
        }
        r = parse_span(ctx, filename, line, key, value, USEC_INFINITY, "", &ctx->config->removed_retention);
        return r < 0 ? r : 0;
}

static int set_interval(ParseContext *ctx, const char *key, const char *value,
                        const char *filename, unsigned line, usec_t def, usec_t *field,
                        char **origin) {
        int r;

        if (value[0] == '\0') {
                *field = def;
                free(*origin);
                *origin = NULL;
                return 0;
        }
        r = parse_span(ctx, filename, line, key, value, USEC_INFINITY - 1, "must be finite",
                       field);
        if (r <= 0)
                return r;
        return set_origin(origin, filename, line);
}

int config_set_min_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_interval(ctx, key, value, filename, line, DEFAULT_MIN_INTERVAL,
                            &ctx->config->min_interval, &ctx->config->min_interval_origin);
}

int config_set_max_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_interval(ctx, key, value, filename, line, DEFAULT_MAX_INTERVAL,
                            &ctx->config->max_interval, &ctx->config->max_interval_origin);
}

/* ---- [Hooks] ---------------------------------------------------------------------------- */

/* Every key of the section; the hooks layer knows what they mean. */
int config_set_hook(ParseContext *ctx, const char *key, const char *value, const char *filename,
                    unsigned line) {
        _cleanup_(freep) char *why = NULL;
        int r;

        r = hook_config_assign(&ctx->config->hooks, key, value, &why);
        if (r == -EINVAL)
                return bad_value(ctx, filename, line, key, value, "%s", why ?: "invalid value");
        return r < 0 ? r : 0;
}
