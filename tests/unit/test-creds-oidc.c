/* Tests for RRSA: settings from the environment, the STS endpoint, the request's URL and body. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creds/oidc.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static void env_clear(void) {
        const char *names[] = { "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
                                "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_ROLE_SESSION_NAME",
                                "ALIBABA_CLOUD_STS_REGION", "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                unsetenv(names[i]);
}

static void test_all_three_variables_are_needed(void) {
        OidcSettings s = {};

        env_clear();
        setenv("ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/r", 1);
        setenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "acs:ram::1:oidc-provider/p", 1);
        ASSERT_INT_EQ(oidc_settings_from_environment(&s), -ENOKEY);
        setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "", 1);
        ASSERT_INT_EQ(oidc_settings_from_environment(&s), -ENOKEY);
        setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "/var/run/secrets/token", 1);
        ASSERT_OK(oidc_settings_from_environment(&s));
        ASSERT_STR_EQ(s.role_arn, "acs:ram::1:role/r");
        ASSERT_STR_EQ(s.token_file, "/var/run/secrets/token");
        ASSERT_NULL(s.session_name);
        ASSERT_NULL(s.sts_region);
        ASSERT_TRUE(!s.vpc);
        ASSERT_INT_EQ(s.duration, 3600);
        oidc_settings_done(&s);

        setenv("ALIBABA_CLOUD_ROLE_SESSION_NAME", "sess", 1);
        setenv("ALIBABA_CLOUD_STS_REGION", "cn-shanghai", 1);
        setenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true", 1);
        ASSERT_OK(oidc_settings_from_environment(&s));
        ASSERT_STR_EQ(s.session_name, "sess");
        ASSERT_STR_EQ(s.sts_region, "cn-shanghai");
        ASSERT_TRUE(s.vpc);
        oidc_settings_done(&s);
        env_clear();
}

static void test_endpoints(void) {
        _cleanup_(freep) char *global = sts_endpoint_for(NULL, true);
        _cleanup_(freep) char *regional = sts_endpoint_for("cn-hangzhou", false);
        _cleanup_(freep) char *vpc = sts_endpoint_for("cn-hangzhou", true);

        ASSERT_STR_EQ(global, "https://sts.aliyuncs.com");
        ASSERT_STR_EQ(regional, "https://sts.cn-hangzhou.aliyuncs.com");
        ASSERT_STR_EQ(vpc, "https://sts-vpc.cn-hangzhou.aliyuncs.com");
        ASSERT_NULL(sts_endpoint_for("evil.com/x", false));
}

static void test_duration_clamp(void) {
        ASSERT_INT_EQ(oidc_duration_clamp(0), 3600);
        ASSERT_INT_EQ(oidc_duration_clamp(60), 900);
        ASSERT_INT_EQ(oidc_duration_clamp(900), 900);
        ASSERT_INT_EQ(oidc_duration_clamp(43200), 43200);
}

static void test_request_url_and_form_body(void) {
        OidcSettings s = { .role_arn = (char *) "acs:ram::1:role/r",
                           .provider_arn = (char *) "acs:ram::1:oidc-provider/p",
                           .duration = 60 };
        _cleanup_(freep) char *url = NULL;
        _cleanup_(free_secretp) char *body = NULL;

        ASSERT_OK(sts_oidc_request(&s, "https://sts.aliyuncs.com", "a.b+c/d=", 1767225600, &url, &body));
        ASSERT_STR_EQ(url, "https://sts.aliyuncs.com/?Version=2015-04-01&Action=AssumeRoleWithOIDC"
                           "&Format=JSON&Timestamp=2026-01-01T00%3A00%3A00Z");
        ASSERT_STR_EQ(body, "OIDCProviderArn=acs%3Aram%3A%3A1%3Aoidc-provider%2Fp&OIDCToken=a.b%2Bc%2Fd%3D"
                            "&RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr&RoleSessionName=taskwatchd"
                            "&DurationSeconds=900");
        ASSERT_INT_EQ(sts_oidc_request(&s, "https://sts.aliyuncs.com", "", 0, &url, &body), -EINVAL);
}

TEST_MAIN(TEST_CASE(test_all_three_variables_are_needed),
          TEST_CASE(test_endpoints),
          TEST_CASE(test_duration_clamp),
          TEST_CASE(test_request_url_and_form_body));
