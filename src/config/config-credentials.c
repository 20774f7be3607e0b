/* [Credentials]: the source names and the setters of its keys (the URLs are in config.c). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "util/strutil.h"
#include "config-internal.h"

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

int config_set_credentials_source(ParseContext *ctx, const char *key, const char *value,
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

/* An id, a role name and a path all go into headers, URLs or messages. */
static bool is_token(const char *s, size_t max) {
        return string_is_visible_ascii(s, strlen(s), max);
}

int config_set_access_key_id(ParseContext *ctx, const char *key, const char *value,
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

int config_set_secret_file(ParseContext *ctx, const char *key, const char *value,
                           const char *filename, unsigned line) {
        return set_secret_path(ctx, key, value, filename, line,
                               &ctx->config->access_key_secret_file);
}

int config_set_token_file(ParseContext *ctx, const char *key, const char *value,
                          const char *filename, unsigned line) {
        return set_secret_path(ctx, key, value, filename, line, &ctx->config->security_token_file);
}

int config_set_role_name(ParseContext *ctx, const char *key, const char *value,
                         const char *filename, unsigned line) {
        size_t n = strlen(value);

        /* It becomes a path segment of the metadata URL. */
        if (n > 64 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._-") != n)
                return bad_value(ctx, filename, line, key, value,
                                 "not a RAM role name (up to 64 letters, digits, '.', '_', '-')");
        return set_string(&ctx->config->role_name, n ? value : NULL);
}
