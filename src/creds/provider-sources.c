/* Each source of the chain: the static ones read here, the others start an exchange. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds/cli-profile.h"
#include "creds/secret-file.h"
#include "provider-internal.h"
#include "util/reason.h"

const char *provider_nothing_configured(void) {
        return "no credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
               "ALIBABA_CLOUD_ACCESS_KEY_SECRET, pass access-key-id and access-key-secret with "
               "LoadCredential=, set [Credentials] AccessKeyId= and AccessKeySecretFile=, set up "
               "RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, "
               "ALIBABA_CLOUD_OIDC_TOKEN_FILE), an aliyun CLI profile, or an ECS RAM role";
}

static int set_detail(CredentialsProvider *p, const char *fmt, ...) _printf_(2, 3);
static int set_detail(CredentialsProvider *p, const char *fmt, ...) {
        va_list ap;
        char *d;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&d, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(p->detail);
        p->detail = d;
        return 0;
}

static const char *env_nonempty(const char *name) {
        const char *v = secure_getenv(name);
        return v && *v ? v : NULL;
}

static bool is_key_id(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 127)
                        return false;
        return true;
}

static int source_config(CredentialsProvider *p, Credentials **ret, char **error) {
        _cleanup_(free_secretp) char *secret = NULL, *token = NULL;
        int r;

        if (!p->access_key_id)
                return -ENOKEY;
        r = set_detail(p, "config (AccessKeySecretFile=%s)", p->secret_file);
        if (r < 0)
                return r;
        r = secret_file_read(p->secret_file, SECRET_FILE_PRIVATE | SECRET_FILE_TRIM, &secret, NULL,
                             error);
        if (r < 0)
                return r;
        if (p->token_file) {
                r = secret_file_read(p->token_file, SECRET_FILE_PRIVATE | SECRET_FILE_TRIM, &token,
                                     NULL, error);
                if (r < 0)
                        return r;
        }
        return credentials_new(ret, p->access_key_id, secret, token, USEC_INFINITY, "config");
}

/* LoadCredential= puts each credential in a file of $CREDENTIALS_DIRECTORY, readable by the
 * service only: no mode check, systemd made it. */
static int source_systemd(CredentialsProvider *p, Credentials **ret, char **error) {
        const char *dir = env_nonempty("CREDENTIALS_DIRECTORY");
        _cleanup_(free_secretp) char *id = NULL, *secret = NULL, *token = NULL;
        _cleanup_(freep) char *path = NULL;
        int r;

        if (!dir)
                return -ENOKEY;
        if (asprintf(&path, "%s/access-key-id", dir) < 0)
                return -ENOMEM;
        r = secret_file_read(path, SECRET_FILE_TRIM, &id, NULL, error);
        /* The shipped unit's SetCredential= default is a blank id: no key delivered here. */
        if (r == -ENOENT || r == -ENODATA) {
                if (error) {
                        free(*error);
                        *error = NULL;
                }
                return -ENOKEY;
        }
        if (r < 0)
                return r;
        if (!is_key_id(id))
                return reason_set(error, -EINVAL, "%s: not an AccessKeyId (printable, no blanks)", path);
        free(path);
        if (asprintf(&path, "%s/access-key-secret", dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = secret_file_read(path, SECRET_FILE_TRIM, &secret, NULL, error);
        if (r < 0)
                return r;
        free(path);
        if (asprintf(&path, "%s/security-token", dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = secret_file_read(path, SECRET_FILE_TRIM, &token, NULL, error);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == -ENOENT) {
                free(*error);
                *error = NULL;
        }
        r = set_detail(p, "systemd ($CREDENTIALS_DIRECTORY=%s)", dir);
        if (r < 0)
                return r;
        return credentials_new(ret, id, secret, token, USEC_INFINITY, "systemd");
}

static int source_environment(CredentialsProvider *p, Credentials **ret) {
        int r = credentials_from_environment(ret);

        if (r >= 0)
                r = set_detail(p, "environment");
        return r;
}

static int source_oidc(CredentialsProvider *p, bool check_only, char **error) {
        OidcSettings s = {};
        int r;

        r = oidc_settings_from_environment(&s);
        if (r < 0)
                return r;
        r = set_detail(p, "oidc (role %s)", s.role_arn);
        if (r >= 0 && !check_only)
                r = fetch_oidc_start(p, &s, error);
        oidc_settings_done(&s);
        return r < 0 ? r : 1;
}

static int profile_oidc(CredentialsProvider *p, const CliProfile *prof, char **error) {
        const char *vpc = env_nonempty("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
        OidcSettings s = {
                .role_arn = prof->ram_role_arn,
                .provider_arn = prof->oidc_provider_arn,
                .token_file = prof->oidc_token_file,
                .session_name = prof->ram_session_name,
                .sts_region = prof->sts_region,
                .vpc = vpc && strcmp(vpc, "true") == 0,
                .duration = OIDC_DURATION_DEFAULT,
        };
        return fetch_oidc_start(p, &s, error); /* borrowed strings: no oidc_settings_done() */
}

static int source_cli_profile(CredentialsProvider *p, bool check_only, Credentials **ret,
                              char **error) {
        _cleanup_(cli_profile_freep) CliProfile *prof = NULL;
        _cleanup_(free_secretp) char *text = NULL;
        _cleanup_(freep) char *path = NULL, *why = NULL;
        size_t len = 0;
        int r;

        r = cli_profile_path(&path);
        if (r < 0)
                return r;
        r = secret_file_read(path, SECRET_FILE_LARGE, &text, &len, error);
        if (r == -ENOENT)
                return -ENOKEY;
        if (r < 0)
                return r;
        r = cli_profile_parse(text, len, env_nonempty("ALIBABA_CLOUD_PROFILE"), &prof, &why);
        if (r == -EBADMSG)
                return reason_set(error, -EINVAL, "%s: %s", path, why);
        if (r < 0)
                return r;
        r = set_detail(p, "cli-profile (%s, profile %s, mode %s)", path, prof->name,
                       cli_profile_mode_to_string(prof->mode));
        if (r < 0)
                return r;

        switch (prof->mode) {
        case CLI_PROFILE_AK:
        case CLI_PROFILE_STS_TOKEN:
                return credentials_new(ret, prof->access_key_id, prof->access_key_secret,
                                       prof->sts_token, USEC_INFINITY, "cli-profile");
        case CLI_PROFILE_ECS_RAM_ROLE:
                if (check_only)
                        return 1;
                r = fetch_metadata_start(p, prof->ram_role_name ? : p->role_name, error);
                return r < 0 ? r : 1;
        case CLI_PROFILE_OIDC:
                if (check_only)
                        return 1;
                r = profile_oidc(p, prof, error);
                return r < 0 ? r : 1;
        }
        return -EINVAL;
}

static int source_ecs_ram_role(CredentialsProvider *p, bool check_only, char **error) {
        const char *off = env_nonempty("ALIBABA_CLOUD_ECS_METADATA_DISABLED");
        int r;

        if (off && strcmp(off, "true") == 0) {
                if (p->source == CREDENTIALS_SOURCE_ECS_RAM_ROLE)
                        return reason_set(error, -EPERM, "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true "
                                    "turns the ECS metadata server off");
                return -ENOKEY;
        }
        r = p->role_name ? set_detail(p, "ecs-ram-role (role %s)", p->role_name)
                         : set_detail(p, "ecs-ram-role");
        if (r < 0 || check_only)
                return r < 0 ? r : 1;
        r = fetch_metadata_start(p, p->role_name, error);
        return r < 0 ? r : 1;
}

int provider_source_begin(CredentialsProvider *p, CredentialsSource s, bool check_only,
                          Credentials **ret, char **error) {
        free(p->detail);
        p->detail = strdup(credentials_source_to_string(s));
        if (!p->detail)
                return -ENOMEM;

        switch (s) {
        case CREDENTIALS_SOURCE_CONFIG:
                return source_config(p, ret, error);
        case CREDENTIALS_SOURCE_SYSTEMD:
                return source_systemd(p, ret, error);
        case CREDENTIALS_SOURCE_ENVIRONMENT:
                return source_environment(p, ret);
        case CREDENTIALS_SOURCE_OIDC:
                return source_oidc(p, check_only, error);
        case CREDENTIALS_SOURCE_CLI_PROFILE:
                return source_cli_profile(p, check_only, ret, error);
        case CREDENTIALS_SOURCE_ECS_RAM_ROLE:
                return source_ecs_ram_role(p, check_only, error);
        default:
                return -EINVAL;
        }
}
