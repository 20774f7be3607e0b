/* A shared buffer: a NUL-terminated copy, kept while any reference is. */
#include <string.h>

#include "test.h"
#include "util/shared-buf.h"

static void test_a_copy_lives_as_long_as_its_references(void) {
        char src[] = "{\"a\":1}";
        SharedBuf *b = NULL, *c;

        ASSERT_OK(shared_buf_new(&b, src, 4));
        src[0] = 'x'; /* a copy, not the caller's bytes */
        ASSERT_INT_EQ(b->len, 4);
        ASSERT_STR_EQ(b->data, "{\"a\"");
        c = shared_buf_ref(b);
        ASSERT_TRUE(c == b);
        ASSERT_INT_EQ(b->n_ref, 2);
        ASSERT_NULL(shared_buf_unref(c));
        ASSERT_INT_EQ(b->n_ref, 1);
        ASSERT_NULL(shared_buf_unref(b)); /* freed: valgrind-clean */
        ASSERT_NULL(shared_buf_unref(NULL));
        ASSERT_NULL(shared_buf_ref(NULL));
}

static void test_an_empty_buffer(void) {
        SharedBuf *b = NULL;

        ASSERT_OK(shared_buf_new(&b, NULL, 0));
        ASSERT_INT_EQ(b->len, 0);
        ASSERT_STR_EQ(b->data, "");
        shared_buf_unref(b);
}

TEST_MAIN(TEST_CASE(test_a_copy_lives_as_long_as_its_references),
          TEST_CASE(test_an_empty_buffer))
