/* A minimal TAP test runner: each test_<behaviour>() is registered and run in order. */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*TestFunc)(void);
typedef struct TestCase {
        const char *name;
        TestFunc func;
} TestCase;

extern int test_failures_in_case;
extern const char *test_skip_reason;

/* The case cannot run in this build (say why): TAP "ok N - name # SKIP why". */
#define TEST_SKIP(why)                                                                         \
        do {                                                                                   \
                test_skip_reason = (why);                                                      \
                return;                                                                        \
        } while (0)

#define TEST_FAIL_(fmt, ...)                                                                   \
        do {                                                                                   \
                fprintf(stderr, "# %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);       \
                test_failures_in_case++;                                                       \
                return;                                                                        \
        } while (0)

#define ASSERT_TRUE(e)                                                                         \
        do {                                                                                   \
                if (!(e))                                                                      \
                        TEST_FAIL_("assertion failed: %s", #e);                                \
        } while (0)

#define ASSERT_INT_EQ(a, b)                                                                    \
        do {                                                                                   \
                long long _a = (long long) (a), _b = (long long) (b);                          \
                if (_a != _b)                                                                  \
                        TEST_FAIL_("%s == %lld, expected %s == %lld", #a, _a, #b, _b);         \
        } while (0)

#define ASSERT_U64_EQ(a, b)                                                                    \
        do {                                                                                   \
                uint64_t _a = (uint64_t) (a), _b = (uint64_t) (b);                             \
                if (_a != _b)                                                                  \
                        TEST_FAIL_("%s == %" PRIu64 ", expected %" PRIu64, #a, _a, _b);        \
        } while (0)

#define ASSERT_STR_EQ(a, b)                                                                    \
        do {                                                                                   \
                const char *_a = (a), *_b = (b);                                               \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                         \
                        TEST_FAIL_("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)",    \
                                   _b ? _b : "(null)");                                        \
        } while (0)

#define ASSERT_NULL(p) ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)
#define ASSERT_OK(r) ASSERT_INT_EQ((r) < 0 ? (r) : 0, 0)

#define TEST_CASE(f) { #f, f }

/* Runs every case, prints TAP, returns the process exit code. */
static inline int test_run(const TestCase *cases, size_t n) {
        int failed = 0;
        printf("1..%zu\n", n);
        for (size_t i = 0; i < n; i++) {
                test_failures_in_case = 0;
                test_skip_reason = NULL;
                cases[i].func();
                bool ok = test_failures_in_case == 0;
                if (ok && test_skip_reason)
                        printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name, test_skip_reason);
                else
                        printf("%s %zu - %s\n", ok ? "ok" : "not ok", i + 1, cases[i].name);
                if (!ok)
                        failed++;
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define TEST_MAIN(...)                                                                         \
        int test_failures_in_case;                                                             \
        const char *test_skip_reason;                                                          \
        int main(void) {                                                                       \
                static const TestCase cases[] = { __VA_ARGS__ };                               \
                return test_run(cases, sizeof(cases) / sizeof(cases[0]));                      \
        }
