/* RRSA: what AssumeRoleWithOIDC needs, from the environment or a CLI profile, and the
 * unsigned STS request built from it. */
#pragma once

#include <stdbool.h>
#include <time.h>

#define OIDC_DURATION_DEFAULT 3600U
#define OIDC_DURATION_MIN 900U
#define OIDC_SESSION_NAME_DEFAULT "taskwatchd"

typedef struct OidcSettings {
        char *role_arn;
        char *provider_arn;
        char *token_file;   /* re-read for every request: the kubelet rotates it */
        char *session_name; /* NULL: OIDC_SESSION_NAME_DEFAULT */
        char *sts_region;   /* NULL: the global endpoint */
        bool vpc;
        unsigned duration;  /* seconds, at least OIDC_DURATION_MIN */
} OidcSettings;

/* From ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE (all three, or -ENOKEY),
 * ALIBABA_CLOUD_ROLE_SESSION_NAME, ALIBABA_CLOUD_STS_REGION and
 * ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true. */
int oidc_settings_from_environment(OidcSettings *ret);
void oidc_settings_done(OidcSettings *s);

/* Requested seconds to what is sent: 0 means the default; less than the minimum is raised. */
unsigned oidc_duration_clamp(unsigned seconds);

/* "https://sts.aliyuncs.com", "https://sts.<region>.aliyuncs.com" or, with vpc,
 * "https://sts-vpc.<region>.aliyuncs.com". NULL on OOM or a region that is not a DNS label. */
char *sts_endpoint_for(const char *region, bool vpc);

/* The AssumeRoleWithOIDC POST: endpoint (no trailing slash) + "/?Version=2015-04-01&
 * Action=AssumeRoleWithOIDC&Format=JSON&Timestamp=...", and the form body carrying token
 * (the token file's content). *ret_body is a secret: free it with free_secret(). */
int sts_oidc_request(const OidcSettings *s, const char *endpoint, const char *token, time_t now,
                     char **ret_url, char **ret_body);
