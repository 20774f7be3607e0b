/* The daemon's settings: parsed and validated completely, without side effects. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hooks/hook-config.h"
#include "metrics/metrics-listen.h"
#include "util/cleanup.h"
#include "util/time-util.h"

#define CONFIG_DEFAULT_PATH "/etc/taskwatchd/taskwatchd.conf"

/* Where the access key comes from: one source, or "auto", the chain in this order. */
typedef enum CredentialsSource {
        CREDENTIALS_SOURCE_AUTO,
        CREDENTIALS_SOURCE_CONFIG,       /* AccessKeyId= + AccessKeySecretFile= */
        CREDENTIALS_SOURCE_SYSTEMD,      /* $CREDENTIALS_DIRECTORY (LoadCredential=) */
        CREDENTIALS_SOURCE_ENVIRONMENT,  /* ALIBABA_CLOUD_ACCESS_KEY_ID, ... */
        CREDENTIALS_SOURCE_OIDC,         /* RRSA: AssumeRoleWithOIDC */
        CREDENTIALS_SOURCE_CLI_PROFILE,  /* ~/.aliyun/config.json */
        CREDENTIALS_SOURCE_ECS_RAM_ROLE, /* the ECS metadata server */
        _CREDENTIALS_SOURCE_MAX,
} CredentialsSource;

/* "auto", "config", "systemd", "environment", "oidc", "cli-profile", "ecs-ram-role". */
const char *credentials_source_to_string(CredentialsSource s);
/* The source, or -EINVAL. */
int credentials_source_from_string(const char *s);

/* [API] Network=: which of the region's endpoints the derived one is. */
typedef enum ConfigNetwork {
        CONFIG_NETWORK_PUBLIC, /* cs.<region>.aliyuncs.com */
        CONFIG_NETWORK_VPC,    /* cs-vpc.<region>.aliyuncs.com, reachable from inside a VPC */
        _CONFIG_NETWORK_MAX,
} ConfigNetwork;

/* "public", "vpc". */
const char *config_network_to_string(ConfigNetwork n);
/* The network, or -EINVAL. */
int config_network_from_string(const char *s);

/* The ACK endpoint of region as the official SDK derives it: "https://cs.aliyuncs.com" for
 * the regions its endpoint map sends there (whatever the network, as the SDK does), else
 * "https://cs.<region>.aliyuncs.com", or "https://cs-vpc.<region>.aliyuncs.com" for
 * CONFIG_NETWORK_VPC. For the daemon's config and for a CLI given --region alike. -EINVAL,
 * -ENOMEM. */
int config_endpoint_for_region(const char *region, ConfigNetwork network, char **ret);
/* Whether the SDK's endpoint map sends region to cs.aliyuncs.com. */
bool config_region_is_central(const char *region);

/* Where a task id was configured: origin_files[file], line. */
typedef struct ConfigOrigin {
        uint32_t file;
        uint32_t line;
} ConfigOrigin;

typedef struct Config {
        /* [API] */
        char *region;          /* default "cn-hangzhou" */
        char *endpoint;        /* effective "https://host[:port]": Endpoint= or derived from Region= */
        bool endpoint_explicit;
        ConfigNetwork network; /* [API] Network=, default public: for the derived endpoint */
        /* Not a setting: set before parsing by whoever may talk plain http (the test suite,
         * through the program's options); http:// in Endpoint= and STSEndpoint= needs it. */
        bool allow_plain_http;
        char *ca_file;         /* NULL: system store only */
        usec_t request_timeout; /* default 10s */
        unsigned max_connections; /* [API] MaxConnections=, default 4: the pooled HTTPS connections */
        double max_requests_per_second; /* [API] MaxRequestsPerSecond=, default 50: the account-wide budget */

        /* [Poll] */
        usec_t min_interval; /* default 5s */
        usec_t max_interval; /* default 2min */
        usec_t task_timeout; /* [Poll] TaskTimeout=, default infinity: report a task still not
                              * terminal this long after watching began, once */

        /* [Tasks] */
#define CONFIG_REMOVED_RETENTION_DEFAULT (7 * 24 * 3600 * USEC_PER_SEC)
        char **tasks; /* NULL-terminated, duplicates removed, first-seen order */
        size_t n_tasks;
        usec_t removed_retention; /* [Tasks] RemovedRetention=, default 7d: how long the record
                                   * of a task no longer configured is kept, so that a task
                                   * re-added reports nothing it reported already */

        /* [Credentials] */
        CredentialsSource credentials_source; /* default auto */
        char *access_key_id;          /* AccessKeyId=: not a secret */
        char *access_key_secret_file; /* absolute paths; the files are read by the creds layer */
        char *security_token_file;
        char *role_name;              /* RoleName=: ECS RAM role, NULL: discover it */
        char *metadata_url;           /* MetadataURL=: "http://host[:port]", NULL: the default */
        char *sts_endpoint;           /* STSEndpoint=: "https://host[:port]", NULL: derived */
        char *credentials_origin;     /* "file:line" of AccessKeyId= or a file key, for errors */

        /* [Hooks]: the commands, HookTimeout= and MaxConcurrentHooks= */
        HookConfig hooks;

        /* [Metrics] */
        char *metrics_listen; /* Listen= as written; NULL: off (unless systemd passes a socket) */
        MetricsAddress metrics_address; /* parsed from it */

        /* Where each task id was configured, parallel to tasks, for errors: 8 bytes a task
         * rather than a "file:line" string each (a daemon may hold 10 000);
         * config_task_origin() formats one. */
        ConfigOrigin *task_origins;
        char **origin_files; /* the files named there, each once; NULL-terminated */
        size_t n_origin_files;

        /* Where these were last assigned ("file:line", NULL: default), for config_finish(). */
        char *ca_file_origin;
        char *min_interval_origin;
        char *max_interval_origin;
} Config;

/* Larger configuration files are refused. */
#define CONFIG_FILE_SIZE_MAX ((size_t) 1024 * 1024)

/* Every problem found, as "file:line: message" (or "file: message"). Zero-initialize. */
typedef struct ConfigDiagnostics {
        char **messages; /* NULL-terminated */
        size_t n_messages;
} ConfigDiagnostics;

int config_new(Config **ret); /* all defaults, no tasks */
Config *config_free(Config *c);
DEFINE_POINTER_CLEANUP(Config, config_free)

/* Apply one file's text on top of c. filename is used in diagnostics only. Returns 0 when
 * the text had no error, -EINVAL when it had some (all are appended to diag), -ENOMEM. */
int config_parse_text(Config *c, const char *text, size_t len, const char *filename,
                      ConfigDiagnostics *diag);

/* Cross-key checks (MinInterval <= MaxInterval, Endpoint syntax, CAFile readable, ...) and
 * derivation of the effective endpoint. -EINVAL with diagnostics when invalid. */
int config_finish(Config *c, ConfigDiagnostics *diag);

/* "file:line" where tasks[i] was configured, written into buf (cut to size); NULL when i is
 * out of range. */
const char *config_task_origin(const Config *c, size_t i, char *buf, size_t size);

/* path NULL means CONFIG_DEFAULT_PATH. Reads path, then path.d/ *.conf in lexical order
 * ("PATH.d" is taken as "/etc/taskwatchd/taskwatchd.conf.d" for the default), then
 * config_finish(). A missing main file is an error only when path was given explicitly.
 * Every problem of every file is collected in diag; then -EINVAL if there was any (an
 * unreadable file included), -ENOMEM; *ret is set only on success. */
typedef struct ConfigLoadOptions {
        bool allow_plain_http; /* Config.allow_plain_http */
} ConfigLoadOptions;
/* o NULL: the defaults. */
int config_load(const char *path, const ConfigLoadOptions *o, Config **ret, ConfigDiagnostics *diag);

/* TASKWATCHD_ALLOW_PLAIN_HTTP=1, which only the test suite sets: for the programs to read
 * once at start and pass down (ConfigLoadOptions), never read while parsing. */
bool config_allow_plain_http_from_env(void);

/* The effective settings, one "Key=Value" per line under [Section] headers. Never secrets:
 * a hook's arguments (a webhook URL may hold a token) are each shown as "<hidden>", so the
 * output still parses, and printing that again gives the same text. */
void config_print(const Config *c, FILE *f);

void config_diagnostics_clear(ConfigDiagnostics *d);
/* Appends one formatted message; d may be NULL (the message is dropped). 0 or -ENOMEM. */
int config_diagnostics_add(ConfigDiagnostics *d, const char *fmt, ...) _printf_(2, 3);
/* Messages from index `from` on, ordered by file (in the order of files: the order they
 * were read) and line, the rest kept in their order after them: the cross-key checks run
 * last but are about lines in the middle. 0 or -ENOMEM. */
int config_diagnostics_sort(ConfigDiagnostics *d, size_t from, char *const *files, size_t n_files);

/* Why id cannot be a task id, for Task= and for taskwatch's operands alike. ACK's task ids
 * are "T-" and then letters and digits (T-5faa48fb31b6b8078d000006); requiring the prefix
 * is what tells "not", "a" or a cluster id from a task id before the API answers 404. */
typedef enum TaskIdVerdict {
        TASK_ID_VALID,
        TASK_ID_MALFORMED,   /* empty, too long, or a character no id has ('/', '%', ' ') */
        TASK_ID_NO_PREFIX,   /* well formed, but not "T-..." */
        TASK_ID_CLUSTER_ID,  /* "c" and 32 hex digits: a cluster's id */
} TaskIdVerdict;

TaskIdVerdict task_id_check(const char *id);
/* task_id_check(id) == TASK_ID_VALID: "T-", then 1..126 of [A-Za-z0-9._-]. */
bool task_id_is_valid(const char *id);
/* What to tell the user about a verdict other than TASK_ID_VALID, after "'x' is not a task
 * id": "it looks like a cluster id; task ids start with T-, like T-5faa48fb31b6b8078d000006". */
const char *task_id_verdict_hint(TaskIdVerdict v);
