/* The Config object: its defaults and lifetime, the key table and the parse driver, and the
 * URL keys (Endpoint=, MetadataURL=, STSEndpoint=); the other setters are in config-*.c. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/ini.h"
#include "config-internal.h"
#include "util/strutil.h"
#include "util/url.h"

int config_new(Config **ret) {
        _cleanup_(config_freep) Config *c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;

        c->region = strdup(DEFAULT_REGION);
        c->tasks = calloc(1, sizeof(char *));
        if (!c->region || !c->tasks)
                return -ENOMEM;
        c->request_timeout = DEFAULT_REQUEST_TIMEOUT;
        c->max_connections = DEFAULT_MAX_CONNECTIONS;
        c->max_requests_per_second = DEFAULT_MAX_REQUESTS_PER_SECOND;
        c->task_timeout = USEC_INFINITY;
        c->removed_retention = CONFIG_REMOVED_RETENTION_DEFAULT;
        c->min_interval = DEFAULT_MIN_INTERVAL;
        c->max_interval = DEFAULT_MAX_INTERVAL;
        hook_config_init(&c->hooks);

        *ret = TAKE_PTR(c);
        return 0;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        free(c->region);
        free(c->endpoint);
        free(c->ca_file);
        strv_free(c->tasks);
        free(c->task_origins);
        strv_free(c->origin_files);
        free(c->ca_file_origin);
        free(c->min_interval_origin);
        free(c->max_interval_origin);
        free(c->access_key_id);
        free(c->access_key_secret_file);
        free(c->security_token_file);
        free(c->role_name);
        free(c->metadata_url);
        free(c->sts_endpoint);
        free(c->credentials_origin);
        free(c->metrics_listen);
        hook_config_done(&c->hooks);
        free(c);
        return NULL;
}

bool config_allow_plain_http_from_env(void) {
        const char *e = secure_getenv("TASKWATCHD_ALLOW_PLAIN_HTTP");
        return e && strcmp(e, "1") == 0;
}

/* "https://host[:port][/]" to "https://host[:port]"; *why says what is wrong otherwise.
 * Plain http where plain_ok, or where the program allows it (the test suite's simulator). */
static int endpoint_normalize(const Config *c, const char *value, bool plain_ok, char **ret,
                              const char **why) {
        UrlOrigin u;
        int r;

        r = url_parse_origin(value, plain_ok || c->allow_plain_http, &u, why);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(u.origin);
        return 0;
}

static int set_endpoint(ParseContext *ctx, const char *key, const char *value,
                        const char *filename, unsigned line) {
        Config *c = ctx->config;
        const char *why = NULL;
        char *e = NULL;
        int r;

        if (value[0] == '\0') { /* back to deriving it from Region= */
                free(c->endpoint);
                c->endpoint = NULL;
                c->endpoint_explicit = false;
                return 0;
        }
        r = endpoint_normalize(c, value, false, &e, &why);
        if (r == -EINVAL)
                return bad_value(ctx, filename, line, key, value, "%s", why);
        if (r < 0)
                return r;
        free(c->endpoint);
        c->endpoint = e;
        c->endpoint_explicit = true;
        return 0;
}

static int set_url(ParseContext *ctx, const char *key, const char *value, const char *filename,
                   unsigned line, bool plain_ok, char **field) {
        const char *why = NULL;
        char *e = NULL;
        int r;

        if (value[0] == '\0')
                return set_string(field, NULL);
        r = endpoint_normalize(ctx->config, value, plain_ok, &e, &why);
        if (r == -EINVAL)
                return bad_value(ctx, filename, line, key, value, "%s", why);
        if (r < 0)
                return r;
        free(*field);
        *field = e;
        return 0;
}

/* The metadata server speaks plain http only: that is how ECS provides it. */
static int set_metadata_url(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_url(ctx, key, value, filename, line, true, &ctx->config->metadata_url);
}

static int set_sts_endpoint(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_url(ctx, key, value, filename, line, false, &ctx->config->sts_endpoint);
}

static int config_on_syntax_error(const char *filename, unsigned line, const char *message,
                                  void *userdata) {
        ParseContext *ctx = userdata;
        ctx->failed = true;
        return config_diagnostics_add(ctx->diag, "%s:%u: %s", filename, line, message);
}

static const struct {
        const char *section, *key;
        Setter set;
} keys[] = {
        { "API", "Region", config_set_region },
        { "API", "Endpoint", set_endpoint },
        { "API", "Network", config_set_network },
        { "API", "CAFile", config_set_ca_file },
        { "API", "RequestTimeout", config_set_request_timeout },
        { "API", "MaxConnections", config_set_max_connections },
        { "API", "MaxRequestsPerSecond", config_set_max_requests_per_second },
        { "Poll", "MinInterval", config_set_min_interval },
        { "Poll", "MaxInterval", config_set_max_interval },
        { "Poll", "TaskTimeout", config_set_task_timeout },
        { "Tasks", "Task", config_set_task },
        { "Tasks", "RemovedRetention", config_set_removed_retention },
        { "Credentials", "Source", config_set_credentials_source },
        { "Credentials", "AccessKeyId", config_set_access_key_id },
        { "Credentials", "AccessKeySecretFile", config_set_secret_file },
        { "Credentials", "SecurityTokenFile", config_set_token_file },
        { "Credentials", "RoleName", config_set_role_name },
        { "Credentials", "MetadataURL", set_metadata_url },
        { "Credentials", "STSEndpoint", set_sts_endpoint },
        { "Hooks", "OnTaskSucceeded", config_set_hook },
        { "Hooks", "OnTaskFailed", config_set_hook },
        { "Hooks", "OnInstanceFailed", config_set_hook },
        { "Hooks", "OnTransition", config_set_hook },
        { "Hooks", "HookTimeout", config_set_hook },
        { "Hooks", "MaxConcurrentHooks", config_set_hook },
        { "Metrics", "Listen", config_set_metrics_listen },
};

/* A key close enough to be what was meant: at most a third of its length away (one slip in a
 * short name, "Regoin"), nearest first; NULL when none is. Keys of section come first, then
 * the others: "Region=" under [Tasks] is an existing key in the wrong place. */
static const char *key_suggestion(const char *section, const char *key, const char **ret_section) {
        size_t best = SIZE_MAX, limit = strlen(key) / 3 > 1 ? strlen(key) / 3 : 1;
        const char *found = NULL;

        for (int pass = 0; pass < 2 && !found; pass++)
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        if ((strcmp(keys[i].section, section) == 0) != (pass == 0))
                                continue;
                        size_t d = string_distance(key, keys[i].key);
                        if (d <= limit && d < best) {
                                best = d;
                                found = keys[i].key;
                                *ret_section = keys[i].section;
                        }
                }
        return found;
}

static const char *section_suggestion(const char *section) {
        size_t limit = strlen(section) / 3 > 1 ? strlen(section) / 3 : 1;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (string_distance(section, keys[i].section) <= limit)
                        return keys[i].section;
        return NULL;
}

static bool section_is_known(const char *section) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, section) == 0)
                        return true;
        return false;
}

static int config_on_assignment(const char *section, const char *key, const char *value,
                                const char *filename, unsigned line, void *userdata) {
        ParseContext *ctx = userdata;

        if (!section_is_known(section)) {
                if (key) /* the header was reported already */
                        return 0;
                _cleanup_(freep) char *q = ini_quote(section);
                const char *like = section_suggestion(section);
                if (!q)
                        return -ENOMEM;
                ctx->failed = true;
                if (like)
                        return config_diagnostics_add(ctx->diag, "%s:%u: [%s]: unknown section; "
                                                      "did you mean [%s]?", filename, line, q, like);
                return config_diagnostics_add(ctx->diag,
                                              "%s:%u: [%s]: unknown section (expected [API], "
                                              "[Poll], [Tasks], [Credentials], [Hooks] or [Metrics])",
                                              filename,
                                              line, q);
        }
        if (!key)
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
                        return keys[i].set(ctx, key, value, filename, line);

        _cleanup_(freep) char *q = ini_quote(key);
        const char *like_section = NULL, *like = key_suggestion(section, key, &like_section);
        if (!q)
                return -ENOMEM;
        if (like && strcmp(like_section, section) == 0)
                return bad_value(ctx, filename, line, q, value, "unknown key in section [%s]; "
                                 "did you mean %s=?", section, like);
        if (like)
                return bad_value(ctx, filename, line, q, value, "unknown key in section [%s]; "
                                 "did you mean %s= of [%s]?", section, like, like_section);
        return bad_value(ctx, filename, line, q, value, "unknown key in section [%s]", section);
}

int config_parse_text(Config *c, const char *text, size_t len, const char *filename,
                      ConfigDiagnostics *diag) {
        ParseContext ctx = {
                .config = c,
                .diag = diag,
                .tasks_alloc = c->n_tasks + 1,
        };
        int r;

        if (!filename)
                filename = "(string)";
        r = ini_parse(text, len, filename, config_on_assignment, config_on_syntax_error, &ctx);
        free(ctx.slots);
        if (r < 0 && r != -EINVAL)
                return r;
        return r < 0 || ctx.failed ? -EINVAL : 0;
}
