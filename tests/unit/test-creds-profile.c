/* Tests for the aliyun CLI profile file: which profile, each mode's fields, clear errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creds/cli-profile.h"
#include "test.h"
#include "util/cleanup.h"

#define DOC                                                                                    \
        "{\"current\":\"work\",\"meta_path\":\"\",\"profiles\":["                              \
        "{\"name\":\"default\",\"mode\":\"AK\",\"access_key_id\":\"d-id\",\"access_key_secret\":\"d-s\"}," \
        "{\"name\":\"work\",\"mode\":\"StsToken\",\"access_key_id\":\"w-id\","                 \
        "\"access_key_secret\":\"w-s\",\"sts_token\":\"w-t\",\"region_id\":\"cn-hangzhou\"},"   \
        "{\"name\":\"ecs\",\"mode\":\"EcsRamRole\",\"ram_role_name\":\"R\"},"                   \
        "{\"name\":\"ecs-any\",\"mode\":\"EcsRamRole\"},"                                        \
        "{\"name\":\"rrsa\",\"mode\":\"OIDC\",\"oidc_token_file\":\"/var/run/token\","          \
        "\"oidc_provider_arn\":\"acs:ram::1:oidc-provider/p\",\"ram_role_arn\":\"acs:ram::1:role/r\"," \
        "\"ram_session_name\":\"s\",\"sts_region\":\"cn-beijing\"},"                            \
        "{\"name\":\"arn\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"a\"},"                   \
        "{\"name\":\"broken\",\"mode\":\"AK\",\"access_key_id\":\"b-id\"}]}"

static int parse(const char *doc, const char *name, CliProfile **p, char **error) {
        return cli_profile_parse(doc, strlen(doc), name, p, error);
}

static void test_current_profile_by_default(void) {
        _cleanup_(cli_profile_freep) CliProfile *p = NULL;

        ASSERT_OK(parse(DOC, NULL, &p, NULL));
        ASSERT_STR_EQ(p->name, "work");
        ASSERT_INT_EQ(p->mode, CLI_PROFILE_STS_TOKEN);
        ASSERT_STR_EQ(p->access_key_id, "w-id");
        ASSERT_STR_EQ(p->access_key_secret, "w-s");
        ASSERT_STR_EQ(p->sts_token, "w-t");
}

static void test_named_profiles_of_each_mode(void) {
        _cleanup_(cli_profile_freep) CliProfile *ak = NULL, *ecs = NULL, *any = NULL, *oidc = NULL;

        ASSERT_OK(parse(DOC, "default", &ak, NULL));
        ASSERT_INT_EQ(ak->mode, CLI_PROFILE_AK);
        ASSERT_STR_EQ(ak->access_key_secret, "d-s");
        ASSERT_NULL(ak->sts_token);

        ASSERT_OK(parse(DOC, "ecs", &ecs, NULL));
        ASSERT_INT_EQ(ecs->mode, CLI_PROFILE_ECS_RAM_ROLE);
        ASSERT_STR_EQ(ecs->ram_role_name, "R");
        ASSERT_OK(parse(DOC, "ecs-any", &any, NULL));
        ASSERT_NULL(any->ram_role_name); /* discovered from the metadata server */

        ASSERT_OK(parse(DOC, "rrsa", &oidc, NULL));
        ASSERT_INT_EQ(oidc->mode, CLI_PROFILE_OIDC);
        ASSERT_STR_EQ(oidc->oidc_token_file, "/var/run/token");
        ASSERT_STR_EQ(oidc->oidc_provider_arn, "acs:ram::1:oidc-provider/p");
        ASSERT_STR_EQ(oidc->ram_role_arn, "acs:ram::1:role/r");
        ASSERT_STR_EQ(oidc->ram_session_name, "s");
        ASSERT_STR_EQ(oidc->sts_region, "cn-beijing");
        ASSERT_STR_EQ(cli_profile_mode_to_string(oidc->mode), "OIDC");
}

static void test_no_current_means_default(void) {
        _cleanup_(cli_profile_freep) CliProfile *p = NULL;
        const char *doc = "{\"profiles\":[{\"name\":\"default\",\"access_key_id\":\"i\","
                          "\"access_key_secret\":\"s\"}]}";

        ASSERT_OK(parse(doc, NULL, &p, NULL));
        ASSERT_STR_EQ(p->name, "default");
        ASSERT_INT_EQ(p->mode, CLI_PROFILE_AK); /* the CLI's default mode */
}

static void test_errors_say_what_is_wrong(void) {
        static const struct {
                const char *doc, *name, *error;
        } cases[] = {
                { DOC, "arn", "profile arn: unsupported profile mode RamRoleArn (supported: AK, StsToken, EcsRamRole, OIDC)" },
                { DOC, "broken", "profile broken: access_key_secret is missing or empty" },
                { DOC, "nope", "no profile named nope" },
                { "{\"profiles\":{}}", "x", "no profile named x" },
                { "[1]", NULL, "not a JSON object" },
                { "{\"current\":", NULL, "not valid JSON" },
                { "{\"current\":\"a\\u0001b\",\"profiles\":[]}", NULL, "the profile name is not printable" },
                { "{\"profiles\":[{\"name\":\"default\",\"mode\":\"OIDC\",\"oidc_token_file\":\"/t\"}]}", NULL,
                  "profile default: oidc_provider_arn is missing or empty" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(cli_profile_freep) CliProfile *p = NULL;
                _cleanup_(freep) char *error = NULL;

                ASSERT_INT_EQ(parse(cases[i].doc, cases[i].name, &p, &error), -EBADMSG);
                ASSERT_NULL(p);
                ASSERT_STR_EQ(error, cases[i].error);
        }
}

static void test_path_follows_home(void) {
        _cleanup_(freep) char *path = NULL;

        setenv("HOME", "/home/operator", 1);
        ASSERT_OK(cli_profile_path(&path));
        ASSERT_STR_EQ(path, "/home/operator/.aliyun/config.json");
}

TEST_MAIN(TEST_CASE(test_current_profile_by_default),
          TEST_CASE(test_named_profiles_of_each_mode),
          TEST_CASE(test_no_current_means_default),
          TEST_CASE(test_errors_say_what_is_wrong),
          TEST_CASE(test_path_follows_home));
