/* Tests for the json layer: hostile text is refused with a reason before yajl builds a tree,
 * and the typed reads refuse wrong types and integers out of range. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "json/json-get.h"
#include "json/json-parse.h"
#include "json/json-reason.h"
#include "test.h"
#include "util/cleanup.h"

static const JsonLimits limits = {
        .max_bytes = 4096, .max_depth = 8, .max_entries = 100, .max_values = 1000,
};
static const JsonLimits secret_limits = {
        .max_depth = 8, .max_entries = 100, .max_values = 1000, .secret = true,
};

/* The reason json_parse() gives for text into *reason, NULL when it parses. */
static void refusal(const char *text, size_t len, const JsonLimits *l, char **reason) {
        _cleanup_(json_freep) yajl_val v = NULL;
        int r = json_parse(text, len, l, &v, reason);

        ASSERT_TRUE(r == 0 || r == -EBADMSG);
        ASSERT_TRUE((r == 0) == (*reason == NULL));
        ASSERT_TRUE((r == 0) == (v != NULL));
}

static void test_refusals_name_what_is_wrong(void) {
        static const struct {
                const char *text, *reason;
        } cases[] = {
                { "", "empty body" },
                { " \r\n\t ", "empty body" },
                { "{\"a\":\"x\\u0000y\"}", "contains an escaped NUL (\\u0000)" },
                { "[[[[[[[[[1]]]]]]]]]", "nested deeper than 8 levels" },
                { "/* open", "unterminated comment" },
                { "{\"a\":", "truncated JSON" },
                { "[1] 2", "trailing garbage after the JSON value" },
                { "{'a':1}", "invalid JSON: invalid char in json text" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *reason = NULL;
                refusal(cases[i].text, strlen(cases[i].text), &limits, &reason);
                ASSERT_STR_EQ(reason, cases[i].reason);
        }
}

static void test_nul_byte_is_refused(void) {
        const char text[] = "{\"a\":\"x\0y\"}";
        _cleanup_(freep) char *reason = NULL;

        refusal(text, sizeof text - 1, &limits, &reason);
        /* yajl would stop at the NUL and see a shorter, valid-looking document. */
        ASSERT_STR_EQ(reason, "contains a NUL byte");
}

static void test_depth_bomb_is_refused_before_yajl(void) {
        size_t n = 1000000;
        _cleanup_(freep) char *deep = malloc(n);
        _cleanup_(freep) char *reason = NULL;

        ASSERT_NOT_NULL(deep);
        memset(deep, '[', n);
        /* yajl would recurse a million levels deep freeing its half-built tree. */
        refusal(deep, n, &secret_limits, &reason);
        ASSERT_STR_EQ(reason, "nested deeper than 8 levels");
}

static void test_caps_on_size_and_values(void) {
        _cleanup_(freep) char *big = malloc(5000), *reason = NULL, *reason2 = NULL;

        ASSERT_NOT_NULL(big);
        memset(big, ' ', 5000);
        big[0] = '1';
        refusal(big, 5000, &limits, &reason);
        ASSERT_STR_EQ(reason, "larger than the limit of 4096 bytes");

        /* 101 entries in one array: refused at the hundredth comma. */
        memset(big, 0, 5000);
        big[0] = '[';
        for (size_t i = 0; i < 101; i++)
                strcat(big, i ? ",0" : "0");
        strcat(big, "]");
        refusal(big, strlen(big), &limits, &reason2);
        ASSERT_STR_EQ(reason2, "an array has more than 100 entries");
}

static void test_secret_text_is_never_quoted(void) {
        const char *cases[] = { "{\"AccessKeySecret\":\"SECRETX\"", "{\"k\":SECRETX}", "SECRETX" };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *reason = NULL;
                refusal(cases[i], strlen(cases[i]), &secret_limits, &reason);
                ASSERT_STR_EQ(reason, "not valid JSON");
        }

        const char *escaped = "{\"k\":\"S\\u0000\"}";
        _cleanup_(freep) char *reason = NULL;

        refusal(escaped, strlen(escaped), &secret_limits, &reason);
        ASSERT_STR_EQ(reason, "contains an escaped NUL");
}

static void test_comments_are_accepted(void) {
        const char *text = "// a\n{/* b */\"a\": 1}";
        _cleanup_(freep) char *reason = NULL;

        refusal(text, strlen(text), &limits, &reason);
        ASSERT_NULL(reason);
}

static void test_bad_arguments(void) {
        yajl_val v = NULL;
        char *reason = NULL;

        ASSERT_INT_EQ(json_parse(NULL, 1, &limits, &v, &reason), -EINVAL);
        ASSERT_INT_EQ(json_parse("1", 1, NULL, &v, &reason), -EINVAL);
        ASSERT_NULL(reason);
        json_free(NULL);
        json_free_secret(NULL);
}

static void parse(const char *text, yajl_val *v) {
        _cleanup_(freep) char *reason = NULL;

        ASSERT_OK(json_parse(text, strlen(text), &limits, v, &reason));
}

static void test_integers(void) {
        _cleanup_(json_freep) yajl_val v = NULL;
        long long n = 42;

        parse("{\"max\":9223372036854775807,\"huge\":99999999999999999999,"
                      "\"min\":-9223372036854775807,\"under\":-9223372036854775809,"
                      "\"frac\":1.5,\"exp\":1e3,\"neg\":-1,\"five\":5,\"text\":\"5\"}", &v);

        ASSERT_OK(json_get_integer(json_member(v, "max"), 0, LLONG_MAX, &n));
        ASSERT_TRUE(n == LLONG_MAX);
        ASSERT_OK(json_get_integer(json_member(v, "min"), LLONG_MIN, 0, &n));
        ASSERT_TRUE(n == -LLONG_MAX);
        /* yajl flags no integer it could not hold: never a clamped or wrapped value. */
        n = 42;
        ASSERT_INT_EQ(json_get_integer(json_member(v, "huge"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "under"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "frac"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "exp"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "text"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "absent"), LLONG_MIN, LLONG_MAX, &n), -EDOM);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "neg"), 0, LLONG_MAX, &n), -ERANGE);
        ASSERT_INT_EQ(json_get_integer(json_member(v, "five"), 0, 4, &n), -ERANGE);
        ASSERT_TRUE(n == 42);
        ASSERT_OK(json_get_integer(json_member(v, "five"), 5, 5, &n));
        ASSERT_TRUE(n == 5);
}

static void test_wrong_types(void) {
        _cleanup_(json_freep) yajl_val v = NULL;
        bool b = false;

        parse("{\"s\":\"x\",\"n\":1,\"t\":true,\"f\":false,\"z\":null,\"o\":{},\"a\":[],"
                      "\"s\":\"second\"}", &v);

        ASSERT_STR_EQ(json_member_string(v, "s"), "x"); /* the first of a repeated key */
        ASSERT_NULL(json_member_string(v, "n"));
        ASSERT_NULL(json_member_string(v, "absent"));
        ASSERT_NOT_NULL(json_member_object(v, "o"));
        ASSERT_NULL(json_member_object(v, "a"));
        ASSERT_NOT_NULL(json_member_array(v, "a"));
        ASSERT_NULL(json_member_array(v, "o"));
        ASSERT_NULL(json_member(json_member(v, "a"), "s")); /* not an object */
        ASSERT_NULL(json_member(NULL, "s"));

        ASSERT_OK(json_get_bool(json_member(v, "t"), &b));
        ASSERT_TRUE(b);
        ASSERT_OK(json_get_bool(json_member(v, "f"), &b));
        ASSERT_TRUE(!b);
        ASSERT_INT_EQ(json_get_bool(json_member(v, "n"), &b), -EDOM);
        ASSERT_INT_EQ(json_get_bool(json_member(v, "z"), &b), -EDOM);
        ASSERT_INT_EQ(json_get_bool(NULL, &b), -EDOM);

        ASSERT_STR_EQ(json_type_name(json_member(v, "s")), "a string");
        ASSERT_STR_EQ(json_type_name(json_member(v, "n")), "a number");
        ASSERT_STR_EQ(json_type_name(json_member(v, "t")), "a boolean");
        ASSERT_STR_EQ(json_type_name(json_member(v, "z")), "null");
        ASSERT_STR_EQ(json_type_name(json_member(v, "o")), "an object");
        ASSERT_STR_EQ(json_type_name(json_member(v, "a")), "an array");
}

static void test_first_reason_is_kept(void) {
        _cleanup_(freep) char *reason = NULL;

        ASSERT_INT_EQ(json_fail(&reason, "first %d", 1), -EBADMSG);
        ASSERT_INT_EQ(json_fail(&reason, "second"), -EBADMSG);
        ASSERT_STR_EQ(reason, "first 1");
}

static void test_yajl_messages_are_cut_short(void) {
        _cleanup_(freep) char *a = NULL, *b = NULL;

        ASSERT_INT_EQ(json_fail_from_yajl("lexical error: invalid char in json text.\n  {'a'}\n", &a),
                      -EBADMSG);
        ASSERT_STR_EQ(a, "invalid JSON: invalid char in json text");
        ASSERT_INT_EQ(json_fail_from_yajl("client cancelled parse via callback return value", &b),
                      -ENOMEM);
        ASSERT_NULL(b);
}

static void test_secret_tree_is_freed(void) {
        _cleanup_(freep) char *reason = NULL;
        const char *text = "{\"AccessKeySecret\":\"SECRETX\",\"n\":[1.5,{\"k\":\"v\"}]}";
        yajl_val v = NULL;

        /* Under ASan this also proves the wipe touches nothing it must not. */
        ASSERT_OK(json_parse(text, strlen(text), &secret_limits, &v, &reason));
        ASSERT_STR_EQ(json_member_string(v, "AccessKeySecret"), "SECRETX");
        json_free_secret(v);
}

TEST_MAIN(TEST_CASE(test_refusals_name_what_is_wrong),
          TEST_CASE(test_nul_byte_is_refused),
          TEST_CASE(test_depth_bomb_is_refused_before_yajl),
          TEST_CASE(test_caps_on_size_and_values),
          TEST_CASE(test_secret_text_is_never_quoted),
          TEST_CASE(test_comments_are_accepted),
          TEST_CASE(test_bad_arguments),
          TEST_CASE(test_integers),
          TEST_CASE(test_wrong_types),
          TEST_CASE(test_first_reason_is_kept),
          TEST_CASE(test_yajl_messages_are_cut_short),
          TEST_CASE(test_secret_tree_is_freed));
