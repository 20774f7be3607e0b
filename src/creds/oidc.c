/* RRSA settings and the AssumeRoleWithOIDC request: pure functions, no I/O. */
#include "creds/oidc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strutil.h"

static const char *env_nonempty(const char *name) {
        const char *v = secure_getenv(name);
        return v && *v ? v : NULL;
}

void oidc_settings_done(OidcSettings *s) {
        free(s->role_arn);
        free(s->provider_arn);
        free(s->token_file);
        free(s->session_name);
        free(s->sts_region);
        *s = (OidcSettings) {};
}

int oidc_settings_from_environment(OidcSettings *ret) {
        const char *role = env_nonempty("ALIBABA_CLOUD_ROLE_ARN");
        const char *provider = env_nonempty("ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
        const char *file = env_nonempty("ALIBABA_CLOUD_OIDC_TOKEN_FILE");
        const char *vpc = env_nonempty("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
        OidcSettings s = {};

        if (!role || !provider || !file)
                return -ENOKEY;
        s.role_arn = strdup(role);
        s.provider_arn = strdup(provider);
        s.token_file = strdup(file);
        s.session_name = strdup_or_null(env_nonempty("ALIBABA_CLOUD_ROLE_SESSION_NAME"));
        s.sts_region = strdup_or_null(env_nonempty("ALIBABA_CLOUD_STS_REGION"));
        s.vpc = vpc && strcmp(vpc, "true") == 0;
        s.duration = OIDC_DURATION_DEFAULT;
        if (!s.role_arn || !s.provider_arn || !s.token_file ||
            (env_nonempty("ALIBABA_CLOUD_ROLE_SESSION_NAME") && !s.session_name) ||
            (env_nonempty("ALIBABA_CLOUD_STS_REGION") && !s.sts_region)) {
                oidc_settings_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

unsigned oidc_duration_clamp(unsigned seconds) {
        if (seconds == 0)
                return OIDC_DURATION_DEFAULT;
        return seconds < OIDC_DURATION_MIN ? OIDC_DURATION_MIN : seconds;
}

char *sts_endpoint_for(const char *region, bool vpc) {
        char *e;

        if (!region || !*region)
                return strdup("https://sts.aliyuncs.com");
        if (strlen(region) > 63 ||
            strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
                return NULL;
        if (asprintf(&e, "https://sts%s.%s.aliyuncs.com", vpc ? "-vpc" : "", region) < 0)
                return NULL;
        return e;
}

/* Appends "&key=value" (without "&" first), percent-encoded; the buffer is wiped on error
 * by the caller. */
static int form_add(StrBuf *b, const char *key, const char *value) {
        _cleanup_(free_secretp) char *v = uri_encode(value);

        if (!v)
                return -ENOMEM;
        return strbuf_appendf(b, "%s%s=%s", b->len ? "&" : "", key, v);
}

int sts_oidc_request(const OidcSettings *s, const char *endpoint, const char *token, time_t now,
                     char **ret_url, char **ret_body) {
        _cleanup_(strbuf_wipe) StrBuf body = {};
        char stamp[32], duration[16];
        _cleanup_(freep) char *ts = NULL, *url = NULL;
        struct tm tm;
        int r;

        if (!s->role_arn || !s->provider_arn || !token || !*token || !endpoint)
                return -EINVAL;
        if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;
        ts = uri_encode(stamp);
        if (!ts)
                return -ENOMEM;
        if (asprintf(&url, "%s/?Version=2015-04-01&Action=AssumeRoleWithOIDC&Format=JSON&Timestamp=%s",
                     endpoint, ts) < 0) {
                url = NULL;
                return -ENOMEM;
        }

        snprintf(duration, sizeof duration, "%u", oidc_duration_clamp(s->duration));
        if ((r = form_add(&body, "OIDCProviderArn", s->provider_arn)) < 0 ||
            (r = form_add(&body, "OIDCToken", token)) < 0 ||
            (r = form_add(&body, "RoleArn", s->role_arn)) < 0 ||
            (r = form_add(&body, "RoleSessionName",
                          s->session_name ? : OIDC_SESSION_NAME_DEFAULT)) < 0 ||
            (r = form_add(&body, "DurationSeconds", duration)) < 0)
                return r;

        *ret_body = strbuf_steal(&body);
        *ret_url = TAKE_PTR(url);
        return 0;
}
