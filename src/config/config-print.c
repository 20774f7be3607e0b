/* The effective settings as a config file (--check-config), without any secret. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"

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
        fprintf(f, "[API]\nRegion=%s\nNetwork=%s\nEndpoint=%s\nCAFile=%s\n", c->region,
                config_network_to_string(c->network), c->endpoint ? : "", c->ca_file ? : "");
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
        /* Only when set: the output of configurations written before the key stays as it was. */
        if (c->removed_retention != CONFIG_REMOVED_RETENTION_DEFAULT)
                print_span(f, "RemovedRetention", c->removed_retention);

        /* File names only: the secret itself is never read here. */
        fprintf(f, "\n[Credentials]\nSource=%s\nAccessKeyId=%s\nAccessKeySecretFile=%s\n"
                "SecurityTokenFile=%s\nRoleName=%s\nMetadataURL=%s\nSTSEndpoint=%s\n",
                credentials_source_to_string(c->credentials_source), c->access_key_id ? : "",
                c->access_key_secret_file ? : "", c->security_token_file ? : "",
                c->role_name ? : "", c->metadata_url ? : "", c->sts_endpoint ? : "");

        fprintf(f, "\n[Metrics]\nListen=%s\n", c->metrics_listen ? : "");
        print_hooks(&c->hooks, f);
}
