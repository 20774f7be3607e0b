/* Tests for the string helpers: StrBuf limits and growth, encodings, trimming. */
#include <errno.h>
#include <string.h>

#include "test.h"
#include "util/strutil.h"

static void test_string_distance_for_did_you_mean(void) {
        ASSERT_INT_EQ(string_distance("Region", "Region"), 0);
        ASSERT_INT_EQ(string_distance("Regoin", "Region"), 1); /* a swap */
        ASSERT_INT_EQ(string_distance("OnInstanceFaild", "OnInstanceFailed"), 1);
        ASSERT_INT_EQ(string_distance("region", "Region"), 0); /* case is ignored */
        ASSERT_INT_EQ(string_distance("", "Task"), 4);
        ASSERT_INT_EQ(string_distance("kitten", "sitting"), 3);
}

static void test_strbuf_append_grows_and_terminates(void) {
        StrBuf b = {};
        char chunk[100];

        memset(chunk, 'x', sizeof(chunk));
        for (int i = 0; i < 50; i++)
                ASSERT_OK(strbuf_append(&b, chunk, sizeof(chunk)));
        ASSERT_INT_EQ(b.len, 5000);
        ASSERT_TRUE(b.alloc > b.len);
        ASSERT_INT_EQ(strlen(b.data), 5000);
        /* Geometric growth: the allocation is at most about twice what is used. */
        ASSERT_TRUE(b.alloc <= 2 * (b.len + 1));
        strbuf_clear(&b);
        ASSERT_NULL(b.data);
        ASSERT_INT_EQ(b.len, 0);
}

static void test_strbuf_appendf_formats(void) {
        StrBuf b = {};

        ASSERT_OK(strbuf_appendf(&b, "%s=%d", "a", 1));
        ASSERT_OK(strbuf_appendf(&b, ";%s", "bcd"));
        ASSERT_STR_EQ(b.data, "a=1;bcd");
        ASSERT_INT_EQ(b.len, 7);
        strbuf_clear(&b);
}

static void test_strbuf_limit_refuses_without_growing(void) {
        StrBuf b = { .limit = 10 };

        ASSERT_OK(strbuf_append(&b, "12345678", 8));
        ASSERT_INT_EQ(strbuf_append(&b, "abc", 3), -EFBIG);
        ASSERT_INT_EQ(strbuf_appendf(&b, "%s", "abc"), -EFBIG);
        ASSERT_STR_EQ(b.data, "12345678");
        ASSERT_INT_EQ(b.len, 8);
        ASSERT_TRUE(b.alloc <= b.limit + 1);
        ASSERT_OK(strbuf_append(&b, "9", 1));
        ASSERT_OK(strbuf_appendf(&b, "%c", '0'));
        ASSERT_STR_EQ(b.data, "1234567890");
        ASSERT_INT_EQ(strbuf_append(&b, "x", 1), -EFBIG);
        ASSERT_OK(strbuf_append(&b, "", 0));
        ASSERT_INT_EQ(b.len, 10);
        strbuf_wipe(&b);
        ASSERT_NULL(b.data);
}

static void test_strbuf_steal_leaves_empty(void) {
        StrBuf b = {};
        char *s;

        s = strbuf_steal(&b);
        ASSERT_STR_EQ(s, "");
        free(s);

        ASSERT_OK(strbuf_append(&b, "abc", 3));
        s = strbuf_steal(&b);
        ASSERT_STR_EQ(s, "abc");
        free(s);
        ASSERT_NULL(b.data);
        ASSERT_INT_EQ(b.len, 0);
        ASSERT_INT_EQ(b.alloc, 0);
        ASSERT_OK(strbuf_append(&b, "d", 1));
        ASSERT_STR_EQ(b.data, "d");
        strbuf_clear(&b);
}

static void test_uri_encode_keeps_unreserved_only(void) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL;

        a = uri_encode("T-5faa48fb31b6b8078d000006");
        ASSERT_STR_EQ(a, "T-5faa48fb31b6b8078d000006");
        b = uri_encode("AZaz09-_.~");
        ASSERT_STR_EQ(b, "AZaz09-_.~");
        c = uri_encode("a b/c?d=e&f%+\xc3\xa9*");
        ASSERT_STR_EQ(c, "a%20b%2Fc%3Fd%3De%26f%25%2B%C3%A9%2A");
}

static void test_hex_encode_lowercase(void) {
        static const unsigned char in[] = { 0x00, 0x01, 0xab, 0xff, 0x7f };
        char out[2 * sizeof(in) + 1];

        hex_encode(in, sizeof(in), out);
        ASSERT_STR_EQ(out, "0001abff7f");
        hex_encode(in, 0, out);
        ASSERT_STR_EQ(out, "");
}

static void test_strip_trims_both_ends(void) {
        char a[] = " \t hello world \r\n", b[] = "   ", c[] = "x", d[] = "";

        ASSERT_TRUE(strip(a) == a);
        ASSERT_STR_EQ(a, "hello world");
        ASSERT_STR_EQ(strip(b), "");
        ASSERT_STR_EQ(strip(c), "x");
        ASSERT_STR_EQ(strip(d), "");
        ASSERT_NULL(strip(NULL));
}

static void test_streq_ptr_null_safe(void) {
        ASSERT_TRUE(streq_ptr(NULL, NULL));
        ASSERT_TRUE(!streq_ptr("a", NULL));
        ASSERT_TRUE(!streq_ptr(NULL, "a"));
        ASSERT_TRUE(streq_ptr("abc", "abc"));
        ASSERT_TRUE(!streq_ptr("abc", "abd"));
}

static void test_strdup_or_null(void) {
        _cleanup_(freep) char *s = NULL;
        const char *orig = "value";

        ASSERT_NULL(strdup_or_null(NULL));
        s = strdup_or_null(orig);
        ASSERT_STR_EQ(s, "value");
        ASSERT_TRUE(s != orig);
}

static void test_free_secret_accepts_null(void) {
        _cleanup_(free_secretp) char *s = strdup("secret");

        ASSERT_NOT_NULL(s);
        free_secret(NULL);
}

TEST_MAIN(TEST_CASE(test_string_distance_for_did_you_mean),
          TEST_CASE(test_strbuf_append_grows_and_terminates),
          TEST_CASE(test_strbuf_appendf_formats),
          TEST_CASE(test_strbuf_limit_refuses_without_growing),
          TEST_CASE(test_strbuf_steal_leaves_empty),
          TEST_CASE(test_uri_encode_keeps_unreserved_only),
          TEST_CASE(test_hex_encode_lowercase),
          TEST_CASE(test_strip_trims_both_ends),
          TEST_CASE(test_streq_ptr_null_safe),
          TEST_CASE(test_strdup_or_null),
          TEST_CASE(test_free_secret_accepts_null))
