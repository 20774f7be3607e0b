/* Tests for the credential replies: the metadata server's JSON, STS's reply
 * and error bodies, and hostile input. Errors never quote a secret. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creds/creds-json.h"
#include "test.h"
#include "util/cleanup.h"

#define T2026 ((usec_t) 1767225600 * USEC_PER_SEC) /* 2026-01-01T00:00:00Z */

static int metadata(const char *body, Credentials **c, char **error) {
        return creds_parse_metadata_reply(body, strlen(body), "ecs-ram-role", c, error);
}

static void test_metadata_reply(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(freep) char *error = NULL;

        ASSERT_OK(metadata("{\"AccessKeyId\":\"STS.NUx\",\"AccessKeySecret\":\"sec\","
                           "\"SecurityToken\":\"tok\",\"Expiration\":\"2026-01-01T00:00:00Z\","
                           "\"LastUpdated\":\"2025-12-31T18:00:00Z\",\"Code\":\"Success\"}", &c, &error));
        ASSERT_STR_EQ(c->access_key_id, "STS.NUx");
        ASSERT_STR_EQ(c->access_key_secret, "sec");
        ASSERT_STR_EQ(c->security_token, "tok");
        ASSERT_U64_EQ(c->expiration, T2026);
        ASSERT_STR_EQ(c->source, "ecs-ram-role");
        ASSERT_NULL(error);
}

static void test_metadata_reply_refusals_do_not_quote_secrets(void) {
        static const struct {
                const char *body, *error;
        } cases[] = {
                { "{\"Code\":\"Failed\",\"AccessKeySecret\":\"SECRETX\"}", "metadata reply has Code Failed, not Success" },
                { "{\"AccessKeySecret\":\"SECRETX\"}", "metadata reply has no Code" },
                { "{\"Code\":\"Success\",\"AccessKeySecret\":\"SECRETX\",\"SecurityToken\":\"t\","
                  "\"Expiration\":\"2026-01-01T00:00:00Z\"}", "metadata reply has no AccessKeyId" },
                { "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"SecurityToken\":\"SECRETX\","
                  "\"Expiration\":\"2026-01-01T00:00:00Z\"}", "metadata reply has no AccessKeySecret" },
                { "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"SECRETX\","
                  "\"Expiration\":\"2026-01-01T00:00:00Z\"}", "metadata reply has no SecurityToken" },
                { "{\"Code\":\"Success\",\"AccessKeyId\":\"a\",\"AccessKeySecret\":\"SECRETX\","
                  "\"SecurityToken\":\"t\",\"Expiration\":\"tomorrow\"}",
                  "metadata reply has an Expiration that is not an ISO-8601 time" },
                { "{\"Code\":\"Success\",\"AccessKeyId\":\"a b\",\"AccessKeySecret\":\"SECRETX\","
                  "\"SecurityToken\":\"t\",\"Expiration\":\"2026-01-01T00:00:00Z\"}",
                  "metadata reply has an AccessKeyId with unexpected characters" },
                { "{\"Code\":\"Success\",\"AccessKeySecret\":\"SECRETX\"", "metadata reply not valid JSON" },
                { "[\"SECRETX\"]", "metadata reply is not a JSON object" },
                { "", "metadata reply empty reply" },
                { "{\"Code\":\"Su\\u0000ccess\"}", "metadata reply contains an escaped NUL" },
                { "{\"Code\":\"Bad\\nCode SECRETX\"}", "metadata reply has Code (unprintable), not Success" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(credentials_freep) Credentials *c = NULL;
                _cleanup_(freep) char *error = NULL;

                ASSERT_INT_EQ(metadata(cases[i].body, &c, &error), -EBADMSG);
                ASSERT_NULL(c);
                ASSERT_STR_EQ(error, cases[i].error);
        }
}

static void test_hostile_json_is_bounded(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(freep) char *deep = calloc(1, 4001), *error = NULL;
        char nul[] = "{\"Code\":\"Success\"}";

        ASSERT_NOT_NULL(deep);
        memset(deep, '[', 4000);
        ASSERT_INT_EQ(metadata(deep, &c, &error), -EBADMSG);
        ASSERT_STR_EQ(error, "metadata reply nested deeper than 16 levels");

        nul[3] = '\0';
        free(error);
        error = NULL;
        ASSERT_INT_EQ(creds_parse_metadata_reply(nul, sizeof nul - 1, "x", &c, &error), -EBADMSG);
        ASSERT_STR_EQ(error, "metadata reply contains a NUL byte");
}

static void test_sts_reply(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(freep) char *error = NULL;
        const char *ok = "{\"RequestId\":\"R\",\"AssumedRoleUser\":{\"Arn\":\"a\"},"
                         "\"Credentials\":{\"AccessKeyId\":\"STS.k\",\"AccessKeySecret\":\"s\","
                         "\"SecurityToken\":\"t\",\"Expiration\":\"2026-01-01T00:00:00Z\"}}";

        ASSERT_OK(creds_parse_sts_reply(200, ok, strlen(ok), "oidc", &c, &error));
        ASSERT_STR_EQ(c->access_key_id, "STS.k");
        ASSERT_STR_EQ(c->security_token, "t");
        ASSERT_U64_EQ(c->expiration, T2026);
        ASSERT_STR_EQ(c->source, "oidc");
}

static void test_sts_errors(void) {
        static const struct {
                long status;
                const char *body, *error;
        } cases[] = {
                { 400, "{\"RequestId\":\"R-1\",\"Code\":\"InvalidParameter.OIDCToken\","
                       "\"Message\":\"The OIDC token is invalid.\"}",
                  "STS answered HTTP 400 InvalidParameter.OIDCToken: The OIDC token is invalid., request id R-1" },
                { 403, "{\"Code\":\"NoPermission\",\"Message\":\"line\\nbreak\"}",
                  "STS answered HTTP 403 NoPermission: line?break" },
                { 502, "<html>bad gateway</html>", "STS answered HTTP 502" },
                { 200, "{\"RequestId\":\"R\"}", "STS reply has no Credentials object" },
                { 200, "{\"Credentials\":{\"AccessKeyId\":\"k\",\"AccessKeySecret\":\"SECRETX\"}}",
                  "STS reply has no SecurityToken" },
                { 200, "not json", "STS reply not valid JSON" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(credentials_freep) Credentials *c = NULL;
                _cleanup_(freep) char *error = NULL;

                ASSERT_INT_EQ(creds_parse_sts_reply(cases[i].status, cases[i].body,
                                                    strlen(cases[i].body), "oidc", &c, &error),
                              -EBADMSG);
                ASSERT_NULL(c);
                ASSERT_STR_EQ(error, cases[i].error);
        }
}

TEST_MAIN(TEST_CASE(test_metadata_reply),
          TEST_CASE(test_metadata_reply_refusals_do_not_quote_secrets),
          TEST_CASE(test_hostile_json_is_bounded),
          TEST_CASE(test_sts_reply),
          TEST_CASE(test_sts_errors));
