/* Tests for the jitter PRNG (reproducible, unbiased ranges) and getrandom() bytes. */
#include <string.h>

#include "test.h"
#include "util/random-util.h"

static void test_seed_gives_reference_sequence(void) {
        /* From an independent implementation of splitmix64 + xoshiro256**. */
        random_seed(42);
        ASSERT_U64_EQ(random_u64(), 0x15780b2e0c2ec716ULL);
        ASSERT_U64_EQ(random_u64(), 0x6104d9866d113a7eULL);
        ASSERT_U64_EQ(random_u64(), 0xae17533239e499a1ULL);
}

static void test_seed_is_reproducible(void) {
        uint64_t a[8], b[8];

        random_seed(7);
        for (size_t i = 0; i < 8; i++)
                a[i] = random_u64();
        random_seed(7);
        for (size_t i = 0; i < 8; i++)
                b[i] = random_u64();
        ASSERT_TRUE(memcmp(a, b, sizeof(a)) == 0);

        random_seed(8);
        for (size_t i = 0; i < 8; i++)
                b[i] = random_u64();
        ASSERT_TRUE(memcmp(a, b, sizeof(a)) != 0);
}

static void test_range_degenerate(void) {
        ASSERT_U64_EQ(random_range(5, 5), 5);
        ASSERT_U64_EQ(random_range(9, 3), 9);
        ASSERT_U64_EQ(random_range(UINT64_MAX, UINT64_MAX), UINT64_MAX);
}

static void test_range_stays_inside_and_covers(void) {
        bool seen[3] = {};

        random_seed(1);
        for (int i = 0; i < 1000; i++) {
                uint64_t v = random_range(10, 12);

                ASSERT_TRUE(v >= 10 && v <= 12);
                seen[v - 10] = true;
        }
        ASSERT_TRUE(seen[0] && seen[1] && seen[2]);

        for (int i = 0; i < 1000; i++) {
                uint64_t v = random_range(UINT64_MAX - 1, UINT64_MAX);
                ASSERT_TRUE(v >= UINT64_MAX - 1);
        }
        /* The whole 64-bit range must not divide by zero or loop. */
        (void) random_range(0, UINT64_MAX);
}

static void test_range_is_unbiased(void) {
        /* With span 3*2^62, plain modulo would put half the draws below 2^62 instead of a
         * third: rejection sampling must remove that bias. */
        const uint64_t hi = 3 * (UINT64_C(1) << 62) - 1;
        unsigned low = 0;

        random_seed(12345);
        for (int i = 0; i < 3000; i++)
                if (random_range(0, hi) < (UINT64_C(1) << 62))
                        low++;
        ASSERT_TRUE(low > 850 && low < 1150);
}

static void test_unseeded_generator_seeds_itself(void) {
        /* The process starts unseeded only once, so this just checks draws are not stuck. */
        uint64_t a = random_u64(), b = random_u64();
        ASSERT_TRUE(a != b);
}

static void test_random_bytes_fills(void) {
        unsigned char a[32] = {}, b[32] = {}, zero[64] = {};
        static unsigned char big[1 << 20];

        ASSERT_OK(random_bytes(a, 0));
        ASSERT_OK(random_bytes(a, sizeof(a)));
        ASSERT_OK(random_bytes(b, sizeof(b)));
        ASSERT_TRUE(memcmp(a, b, sizeof(a)) != 0);

        /* Large requests may come back in pieces; the tail must be filled too. */
        ASSERT_OK(random_bytes(big, sizeof(big)));
        ASSERT_TRUE(memcmp(big + sizeof(big) - sizeof(zero), zero, sizeof(zero)) != 0);
}

TEST_MAIN(TEST_CASE(test_unseeded_generator_seeds_itself),
          TEST_CASE(test_seed_gives_reference_sequence),
          TEST_CASE(test_seed_is_reproducible),
          TEST_CASE(test_range_degenerate),
          TEST_CASE(test_range_stays_inside_and_covers),
          TEST_CASE(test_range_is_unbiased),
          TEST_CASE(test_random_bytes_fills))
