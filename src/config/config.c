/* The Config object: defaults, the meaning of each key, cross checks and printing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/ini.h"
#include "util/url.h"

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
#define TASK_ID_MAX 128
#define TASK_EXAMPLE "T-5faa48fb31b6b8078d000006"

static bool streq(const char *a, const char *b) {
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

int config_diagnostics_add(ConfigDiagnostics *d, const char *fmt, ...) {
        if (!d)
                return 0;

        char **l = reallocarray(d->messages, d->n_messages + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        d->messages = l;

        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&l[d->n_messages], fmt, ap);
        va_end(ap);
        if (r < 0) {
                l[d->n_messages] = NULL;
                return -ENOMEM;
        }
        l[++d->n_messages] = NULL;
        return 0;
}

void config_diagnostics_clear(ConfigDiagnostics *d) {
        if (!d)
                return;
        d->messages = strv_free(d->messages);
        d->n_messages = 0;
}

bool task_id_is_valid(const char *id) {
        size_t n = strlen(id);

        if (n == 0 || n > TASK_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
                        return false;
        }
        return true;
}

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
        hook_config_done(&c->hooks);
        free(c);
        return NULL;
}

/* "FILE:LINE: Key=Value: why", the value quoted safely. Returns 0 or -ENOMEM. */
_printf_(6, 7)
static int bad_value(ParseContext *ctx, const char *filename, unsigned line, const char *key,
                     const char *value, const char *why_fmt, ...) {
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
static int set_string(char **field, const char *s) {
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

static int set_origin(char **field, const char *filename, unsigned line) {
        char *o;
        if (asprintf(&o, "%s:%u", filename, line) < 0)
                return -ENOMEM;
        free(*field);
        *field = o;
        return 0;
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

static int set_region(ParseContext *ctx, const char *key, const char *value,
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

static int set_ca_file(ParseContext *ctx, const char *key, const char *value,
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

static int set_request_timeout(ParseContext *ctx, const char *key, const char *value,
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

static int set_max_connections(ParseContext *ctx, const char *key, const char *value,
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

static int set_max_requests_per_second(ParseContext *ctx, const char *key, const char *value,
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

static int set_task_timeout(ParseContext *ctx, const char *key, const char *value,
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

static int set_min_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_interval(ctx, key, value, filename, line, DEFAULT_MIN_INTERVAL,
                            &ctx->config->min_interval, &ctx->config->min_interval_origin);
}

static int set_max_interval(ParseContext *ctx, const char *key, const char *value,
                            const char *filename, unsigned line) {
        return set_interval(ctx, key, value, filename, line, DEFAULT_MAX_INTERVAL,
                            &ctx->config->max_interval, &ctx->config->max_interval_origin);
}

/* ---- [Credentials] ---------------------------------------------------------------------- */

static const char *const credentials_source_names[_CREDENTIALS_SOURCE_MAX] = {
        [CREDENTIALS_SOURCE_AUTO] = "auto",
        [CREDENTIALS_SOURCE_CONFIG] = "config",
        [CREDENTIALS_SOURCE_SYSTEMD] = "systemd",
        [CREDENTIALS_SOURCE_ENVIRONMENT] = "environment",
        [CREDENTIALS_SOURCE_OIDC] = "oidc",
        [CREDENTIALS_SOURCE_CLI_PROFILE] = "cli-profile",
        [CREDENTIALS_SOURCE_ECS_RAM_ROLE] = "ecs-ram-role",
};

const char *credentials_source_to_string(CredentialsSource s) {
        return s < _CREDENTIALS_SOURCE_MAX ? credentials_source_names[s] : NULL;
}

int credentials_source_from_string(const char *s) {
        for (size_t i = 0; i < _CREDENTIALS_SOURCE_MAX; i++)
                if (streq(credentials_source_names[i], s))
                        return (int) i;
        return -EINVAL;
}

static int set_credentials_source(ParseContext *ctx, const char *key, const char *value,
                                  const char *filename, unsigned line) {
        int s;

        if (value[0] == '\0') {
                ctx->config->credentials_source = CREDENTIALS_SOURCE_AUTO;
                return 0;
        }
        s = credentials_source_from_string(value);
        if (s < 0)
                return bad_value(ctx, filename, line, key, value,
                                 "unknown source (expected auto, config, systemd, environment, "
                                 "oidc, cli-profile or ecs-ram-role)");
        ctx->config->credentials_source = (CredentialsSource) s;
        return 0;
}

/* Printable ASCII without blanks: an id, a role name and a path all go into headers, URLs
 * or messages. */
static bool is_token(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 127)
                        return false;
        return true;
}

static int set_access_key_id(ParseContext *ctx, const char *key, const char *value,
                             const char *filename, unsigned line) {
        int r;

        if (value[0] != '\0' && !is_token(value, 128))
                return bad_value(ctx, filename, line, key, value,
                                 "not an AccessKeyId (printable characters without blanks)");
        r = set_string(&ctx->config->access_key_id, value[0] ? value : NULL);
        if (r < 0)
                return r;
        return set_origin(&ctx->config->credentials_origin, filename, line);
}

static int set_secret_path(ParseContext *ctx, const char *key, const char *value,
                           const char *filename, unsigned line, char **field) {
        int r;

        if (value[0] != '\0' && (value[0] != '/' || !is_token(value, PATH_MAX)))
                return bad_value(ctx, filename, line, key, value, "not an absolute path");
        r = set_string(field, value[0] ? value : NULL);
        if (r < 0)
                return r;
        return set_origin(&ctx->config->credentials_origin, filename, line);
}

static int set_secret_file(ParseContext *ctx, const char *key, const char *value,
                           const char *filename, unsigned line) {
        return set_secret_path(ctx, key, value, filename, line,
                               &ctx->config->access_key_secret_file);
}

static int set_token_file(ParseContext *ctx, const char *key, const char *value,
                          const char *filename, unsigned line) {
        return set_secret_path(ctx, key, value, filename, line, &ctx->config->security_token_file);
}

static int set_role_name(ParseContext *ctx, const char *key, const char *value,
                         const char *filename, unsigned line) {
        size_t n = strlen(value);

        /* It becomes a path segment of the metadata URL. */
        if (n > 64 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._-") != n)
                return bad_value(ctx, filename, line, key, value,
                                 "not a RAM role name (up to 64 letters, digits, '.', '_', '-')");
        return set_string(&ctx->config->role_name, n ? value : NULL);
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

/* ---- [Hooks] ---------------------------------------------------------------------------- */

/* Every key of the section; the hooks layer knows what they mean. */
static int set_hook(ParseContext *ctx, const char *key, const char *value, const char *filename,
                    unsigned line) {
        _cleanup_(freep) char *why = NULL;
        int r;

        r = hook_config_assign(&ctx->config->hooks, key, value, &why);
        if (r == -EINVAL)
                return bad_value(ctx, filename, line, key, value, "%s", why ?: "invalid value");
        return r < 0 ? r : 0;
}

static uint64_t hash_string(const char *s) { /* FNV-1a */
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return h;
}

/* The slot holding id, or the free slot where it belongs. */
static size_t *task_slot(ParseContext *ctx, const char *id) {
        size_t mask = ctx->n_slots - 1;
        for (size_t i = hash_string(id) & mask;; i = (i + 1) & mask)
                if (ctx->slots[i] == 0 || strcmp(ctx->config->tasks[ctx->slots[i] - 1], id) == 0)
                        return &ctx->slots[i];
}

/* Keeps the index at most half full, with room for one more id. */
static int task_index_reserve(ParseContext *ctx) {
        size_t need = (ctx->config->n_tasks + 1) * 2, n = ctx->n_slots;

        if (ctx->slots && n >= need)
                return 0;
        if (n == 0)
                n = 16;
        while (n < need)
                n *= 2;

        free(ctx->slots);
        ctx->slots = calloc(n, sizeof(size_t));
        ctx->n_slots = ctx->slots ? n : 0;
        if (!ctx->slots)
                return -ENOMEM;
        for (size_t i = 0; i < ctx->config->n_tasks; i++)
                *task_slot(ctx, ctx->config->tasks[i]) = i + 1;
        return 0;
}

static void tasks_reset(ParseContext *ctx) {
        Config *c = ctx->config;

        for (size_t i = 0; i < c->n_tasks; i++)
                free(c->tasks[i]);
        c->n_tasks = 0;
        c->tasks[0] = NULL;
        if (ctx->slots)
                memset(ctx->slots, 0, ctx->n_slots * sizeof(size_t));
}

/* The index of filename in c->origin_files, added when new (files come one after the other,
 * so the last is the likely one). */
static int origin_file(Config *c, const char *filename, uint32_t *ret) {
        for (size_t i = c->n_origin_files; i > 0; i--)
                if (streq(c->origin_files[i - 1], filename)) {
                        *ret = (uint32_t) (i - 1);
                        return 0;
                }
        if (c->n_origin_files >= UINT32_MAX)
                return -E2BIG;
        char **l = reallocarray(c->origin_files, c->n_origin_files + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        c->origin_files = l;
        l[c->n_origin_files] = strdup(filename);
        if (!l[c->n_origin_files])
                return -ENOMEM;
        l[c->n_origin_files + 1] = NULL;
        *ret = (uint32_t) c->n_origin_files++;
        return 0;
}

const char *config_task_origin(const Config *c, size_t i, char *buf, size_t size) {
        if (!c || i >= c->n_tasks || size == 0)
                return NULL;
        (void) snprintf(buf, size, "%s:%u", c->origin_files[c->task_origins[i].file],
                        (unsigned) c->task_origins[i].line);
        return buf;
}

static int task_add(ParseContext *ctx, const char *id, const char *filename, unsigned line) {
        Config *c = ctx->config;
        uint32_t file;
        size_t *slot;
        int r;

        r = task_index_reserve(ctx);
        if (r < 0)
                return r;
        slot = task_slot(ctx, id);
        if (*slot != 0)
                return 0; /* a duplicate: the first mention wins */

        if (c->n_tasks + 2 > ctx->tasks_alloc) {
                size_t n = ctx->tasks_alloc * 2 > c->n_tasks + 2 ? ctx->tasks_alloc * 2
                                                                 : c->n_tasks + 2;
                char **t = reallocarray(c->tasks, n, sizeof(char *));
                if (!t)
                        return -ENOMEM;
                c->tasks = t;
                ConfigOrigin *o = reallocarray(c->task_origins, n, sizeof(ConfigOrigin));
                if (!o)
                        return -ENOMEM;
                c->task_origins = o;
                ctx->tasks_alloc = n;
        }

        r = origin_file(c, filename, &file);
        if (r < 0)
                return r;
        char *copy = strdup(id);
        if (!copy)
                return -ENOMEM;
        c->tasks[c->n_tasks] = copy;
        c->task_origins[c->n_tasks] = (ConfigOrigin) { file, line };
        c->n_tasks++;
        c->tasks[c->n_tasks] = NULL;
        *slot = c->n_tasks;
        return 0;
}

static int set_task(ParseContext *ctx, const char *key, const char *value,
                    const char *filename, unsigned line) {
        static const char ws[] = " \t\r\n\v\f";
        int r;

        if (value[0] == '\0') {
                tasks_reset(ctx);
                return 0;
        }

        for (const char *p = value + strspn(value, ws); *p; p += strspn(p, ws)) {
                size_t n = strcspn(p, ws);
                _cleanup_(freep) char *id = strndup(p, n);
                if (!id)
                        return -ENOMEM;
                p += n;

                if (!task_id_is_valid(id)) {
                        _cleanup_(freep) char *q = ini_quote(id);
                        if (!q)
                                return -ENOMEM;
                        /* Name the culprit when the line has several ids. */
                        if (streq(id, value))
                                r = bad_value(ctx, filename, line, key, value,
                                              "not a task id (expected e.g. %s)", TASK_EXAMPLE);
                        else
                                r = bad_value(ctx, filename, line, key, value,
                                              "\"%s\" is not a task id (expected e.g. %s)", q,
                                              TASK_EXAMPLE);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = task_add(ctx, id, filename, line);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int config_on_syntax_error(const char *filename, unsigned line, const char *message,
                                  void *userdata) {
        ParseContext *ctx = userdata;
        ctx->failed = true;
        return config_diagnostics_add(ctx->diag, "%s:%u: %s", filename, line, message);
}

typedef int (*Setter)(ParseContext *ctx, const char *key, const char *value,
                      const char *filename, unsigned line);

static const struct {
        const char *section, *key;
        Setter set;
} keys[] = {
        { "API", "Region", set_region },
        { "API", "Endpoint", set_endpoint },
        { "API", "CAFile", set_ca_file },
        { "API", "RequestTimeout", set_request_timeout },
        { "API", "MaxConnections", set_max_connections },
        { "API", "MaxRequestsPerSecond", set_max_requests_per_second },
        { "Poll", "MinInterval", set_min_interval },
        { "Poll", "MaxInterval", set_max_interval },
        { "Poll", "TaskTimeout", set_task_timeout },
        { "Tasks", "Task", set_task },
        { "Credentials", "Source", set_credentials_source },
        { "Credentials", "AccessKeyId", set_access_key_id },
        { "Credentials", "AccessKeySecretFile", set_secret_file },
        { "Credentials", "SecurityTokenFile", set_token_file },
        { "Credentials", "RoleName", set_role_name },
        { "Credentials", "MetadataURL", set_metadata_url },
        { "Credentials", "STSEndpoint", set_sts_endpoint },
        { "Hooks", "OnTaskSucceeded", set_hook },
        { "Hooks", "OnTaskFailed", set_hook },
        { "Hooks", "OnInstanceFailed", set_hook },
        { "Hooks", "OnTransition", set_hook },
        { "Hooks", "HookTimeout", set_hook },
        { "Hooks", "MaxConcurrentHooks", set_hook },
};

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
                if (!q)
                        return -ENOMEM;
                ctx->failed = true;
                return config_diagnostics_add(ctx->diag,
                                              "%s:%u: [%s]: unknown section (expected [API], "
                                              "[Poll], [Tasks], [Credentials] or [Hooks])",
                                              filename,
                                              line, q);
        }
        if (!key)
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
                        return keys[i].set(ctx, key, value, filename, line);

        _cleanup_(freep) char *q = ini_quote(key);
        if (!q)
                return -ENOMEM;
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

/* The explicit key is all or nothing: an id without its secret is a typo, not a choice. */
static int credentials_finish(const Config *c, ConfigDiagnostics *diag) {
        const char *where = c->credentials_origin ? : "[Credentials]";
        const char *why = NULL;
        int r;

        if (c->access_key_id && !c->access_key_secret_file)
                why = "AccessKeyId= is set but AccessKeySecretFile= is not";
        else if (!c->access_key_id && c->access_key_secret_file)
                why = "AccessKeySecretFile= is set but AccessKeyId= is not";
        else if (!c->access_key_id && c->security_token_file)
                why = "SecurityTokenFile= needs AccessKeyId= and AccessKeySecretFile=";
        else if (c->credentials_source == CREDENTIALS_SOURCE_CONFIG && !c->access_key_id)
                why = "Source=config needs AccessKeyId= and AccessKeySecretFile=";
        if (!why)
                return 0;
        r = config_diagnostics_add(diag, "%s: %s", where, why);
        return r < 0 ? r : -EINVAL;
}

int config_finish(Config *c, ConfigDiagnostics *diag) {
        char a[FORMAT_TIMESPAN_MAX], b[FORMAT_TIMESPAN_MAX];
        bool failed = false;
        int r;

        if (!c->endpoint_explicit) {
                free(c->endpoint);
                c->endpoint = NULL;
                if (asprintf(&c->endpoint, "https://cs.%s.aliyuncs.com", c->region) < 0) {
                        c->endpoint = NULL;
                        return -ENOMEM;
                }
        }

        if (c->min_interval > c->max_interval) {
                failed = true;
                format_timespan(a, sizeof a, c->min_interval);
                format_timespan(b, sizeof b, c->max_interval);
                if (c->max_interval_origin && c->min_interval_origin)
                        r = config_diagnostics_add(diag, "%s: MaxInterval=%s is shorter than "
                                                   "MinInterval=%s (set at %s)",
                                                   c->max_interval_origin, b, a,
                                                   c->min_interval_origin);
                else if (c->max_interval_origin)
                        r = config_diagnostics_add(diag, "%s: MaxInterval=%s is shorter than "
                                                   "MinInterval=%s (the default)",
                                                   c->max_interval_origin, b, a);
                else
                        r = config_diagnostics_add(diag, "%s: MinInterval=%s is longer than "
                                                   "MaxInterval=%s (the default)",
                                                   c->min_interval_origin ? : "MinInterval",
                                                   a, b);
                if (r < 0)
                        return r;
        }

        if (c->ca_file) {
                _cleanup_(closep) int fd = -1;
                struct stat st;
                const char *why = NULL;

                /* Only a regular file is opened: opening a device node can have effects (a
                 * watchdog starts ticking), and a FIFO would hang --check-config. */
                if (stat(c->ca_file, &st) < 0)
                        why = strerror(errno);
                else if (!S_ISREG(st.st_mode))
                        why = "not a regular file";
                else if ((fd = open(c->ca_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
                        why = strerror(errno);
                if (why) {
                        _cleanup_(freep) char *q = ini_quote(c->ca_file);
                        if (!q)
                                return -ENOMEM;
                        failed = true;
                        r = config_diagnostics_add(diag, "%s: CAFile=%s: %s",
                                                   c->ca_file_origin ? : "CAFile", q, why);
                        if (r < 0)
                                return r;
                }
        }

        r = credentials_finish(c, diag);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                failed = true;

        return failed ? -EINVAL : 0;
}

/* format_timespan() drops the smallest components; a printed config must parse back exactly. */
static void print_span(FILE *f, const char *key, usec_t t) {
        char buf[FORMAT_TIMESPAN_MAX];
        usec_t back;

        format_timespan(buf, sizeof buf, t);
        if (parse_timespan(buf, &back) < 0 || back != t)
                snprintf(buf, sizeof buf, "%lluus", (unsigned long long) t);
        fprintf(f, "%s=%s\n", key, buf);
}

/* A program path as hook_command_split() reads it back: bytes it could take for a blank, a
 * quote or an escape are written \xHH. */
static void print_program(FILE *f, const char *path) {
        for (const unsigned char *p = (const unsigned char *) path; *p; p++)
                if (*p > ' ' && *p < 0x7f && !strchr("\"'\\", *p))
                        fputc(*p, f);
                else
                        fprintf(f, "\\x%02x", *p);
}

static void print_hooks(const HookConfig *h, FILE *f) {
        fputs("\n[Hooks]\n", f);
        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++)
                for (size_t i = 0; i < h->n_commands[t]; i++) {
                        fprintf(f, "%s=", hook_trigger_to_string((HookTrigger) t));
                        print_program(f, h->commands[t][i].argv[0]);
                        for (char **a = h->commands[t][i].argv + 1; *a; a++)
                                fputs(" <hidden>", f);
                        fputc('\n', f);
                }
        print_span(f, "HookTimeout", h->timeout);
        fprintf(f, "MaxConcurrentHooks=%u\n", h->max_concurrent);
}

void config_print(const Config *c, FILE *f) {
        fprintf(f, "[API]\nRegion=%s\nEndpoint=%s\nCAFile=%s\n", c->region,
                c->endpoint ? : "", c->ca_file ? : "");
        print_span(f, "RequestTimeout", c->request_timeout);
        fprintf(f, "MaxConnections=%u\n", c->max_connections);
        fprintf(f, "MaxRequestsPerSecond=%g\n", c->max_requests_per_second);

        fputs("\n[Poll]\n", f);
        print_span(f, "MinInterval", c->min_interval);
        print_span(f, "MaxInterval", c->max_interval);
        print_span(f, "TaskTimeout", c->task_timeout);

        fputs("\n[Tasks]\n", f);
        for (size_t i = 0; i < c->n_tasks; i++)
                fprintf(f, "Task=%s\n", c->tasks[i]);

        /* File names only: the secret itself is never read here. */
        fprintf(f, "\n[Credentials]\nSource=%s\nAccessKeyId=%s\nAccessKeySecretFile=%s\n"
                "SecurityTokenFile=%s\nRoleName=%s\nMetadataURL=%s\nSTSEndpoint=%s\n",
                credentials_source_to_string(c->credentials_source), c->access_key_id ? : "",
                c->access_key_secret_file ? : "", c->security_token_file ? : "",
                c->role_name ? : "", c->metadata_url ? : "", c->sts_endpoint ? : "");

        print_hooks(&c->hooks, f);
}
