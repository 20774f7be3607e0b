/* Tests for credentials: the environment source, construction, copying. */
#include <errno.h>
#include <stdlib.h>

#include "creds/credentials.h"
#include "test.h"
#include "util/cleanup.h"

#define ENV_ID "ALIBABA_CLOUD_ACCESS_KEY_ID"
#define ENV_SECRET "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
#define ENV_TOKEN "ALIBABA_CLOUD_SECURITY_TOKEN"


static void env_set(const char *id, const char *secret, const char *token) {
        const char *names[] = { ENV_ID, ENV_SECRET, ENV_TOKEN };
        const char *values[] = { id, secret, token };

        for (size_t i = 0; i < 3; i++) {
                if (values[i])
                        setenv(names[i], values[i], 1);
                else
                        unsetenv(names[i]);
        }
}

static void test_environment_long_lived_key(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;

        env_set("AKID", "s3cret", NULL);
        ASSERT_OK(credentials_from_environment(&c));
        ASSERT_NOT_NULL(c);
        ASSERT_STR_EQ(c->access_key_id, "AKID");
        ASSERT_STR_EQ(c->access_key_secret, "s3cret");
        ASSERT_NULL(c->security_token);
        ASSERT_U64_EQ(c->expiration, USEC_INFINITY);
        ASSERT_STR_EQ(c->source, "environment");
}

static void test_environment_with_token(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;

        env_set("STS.id", "sec", "tok");
        ASSERT_OK(credentials_from_environment(&c));
        ASSERT_STR_EQ(c->access_key_id, "STS.id");
        ASSERT_STR_EQ(c->security_token, "tok");
}

static void test_environment_empty_token_is_unset(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;

        env_set("id", "sec", "");
        ASSERT_OK(credentials_from_environment(&c));
        ASSERT_NULL(c->security_token);
}

static void test_environment_missing_key_is_enokey(void) {
        Credentials *c = (Credentials *) 0x1; /* must stay untouched */

        env_set(NULL, "sec", NULL);
        ASSERT_INT_EQ(credentials_from_environment(&c), -ENOKEY);
        env_set("id", NULL, NULL);
        ASSERT_INT_EQ(credentials_from_environment(&c), -ENOKEY);
        env_set("", "sec", "tok");
        ASSERT_INT_EQ(credentials_from_environment(&c), -ENOKEY);
        env_set("id", "", "tok");
        ASSERT_INT_EQ(credentials_from_environment(&c), -ENOKEY);
        env_set(NULL, NULL, "tok");
        ASSERT_INT_EQ(credentials_from_environment(&c), -ENOKEY);
        ASSERT_TRUE(c == (Credentials *) 0x1);
        env_set(NULL, NULL, NULL);
}

static void test_new_validates(void) {
        Credentials *c = NULL;

        ASSERT_INT_EQ(credentials_new(&c, NULL, "s", NULL, 0, "x"), -EINVAL);
        ASSERT_INT_EQ(credentials_new(&c, "", "s", NULL, 0, "x"), -EINVAL);
        ASSERT_INT_EQ(credentials_new(&c, "i", NULL, NULL, 0, "x"), -EINVAL);
        ASSERT_INT_EQ(credentials_new(&c, "i", "", NULL, 0, "x"), -EINVAL);
        ASSERT_INT_EQ(credentials_new(&c, "i", "s", NULL, 0, NULL), -EINVAL);
        ASSERT_INT_EQ(credentials_new(NULL, "i", "s", NULL, 0, "x"), -EINVAL);
        ASSERT_NULL(c);
}

static void test_copy_is_deep(void) {
        _cleanup_(credentials_freep) Credentials *a = NULL, *b = NULL;

        ASSERT_OK(credentials_new(&a, "id", "secret", "token", 1234, "test"));
        ASSERT_OK(credentials_copy(a, &b));
        ASSERT_TRUE(a != b);
        ASSERT_TRUE(a->access_key_secret != b->access_key_secret);
        ASSERT_TRUE(a->security_token != b->security_token);
        ASSERT_STR_EQ(b->access_key_id, "id");
        ASSERT_STR_EQ(b->access_key_secret, "secret");
        ASSERT_STR_EQ(b->security_token, "token");
        ASSERT_STR_EQ(b->source, "test");
        ASSERT_U64_EQ(b->expiration, 1234);
        ASSERT_INT_EQ(credentials_copy(NULL, &b), -EINVAL);
}

static void test_free_accepts_null(void) {
        Credentials *c = NULL;

        ASSERT_NULL(credentials_free(NULL));
        ASSERT_OK(credentials_new(&c, "id", "secret", NULL, USEC_INFINITY, "test"));
        ASSERT_NULL(credentials_free(c));
}

TEST_MAIN(TEST_CASE(test_environment_long_lived_key),
          TEST_CASE(test_environment_with_token),
          TEST_CASE(test_environment_empty_token_is_unset),
          TEST_CASE(test_environment_missing_key_is_enokey),
          TEST_CASE(test_new_validates),
          TEST_CASE(test_copy_is_deep),
          TEST_CASE(test_free_accepts_null))
