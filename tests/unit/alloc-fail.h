/* Allocation failure on demand, for the tests of out-of-memory paths: malloc, calloc and
 * realloc are glibc's own until a test asks for NULL. Include it in one file of a test
 * program. Under AddressSanitizer (its own allocator, which a second one in the process
 * breaks) the functions are not replaced and ALLOC_FAIL_AVAILABLE is 0: a case that needs
 * failures calls ALLOC_FAIL_REQUIRE() first and is reported as skipped there; the plain build
 * (and valgrind) run it. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_FAIL_AVAILABLE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define ALLOC_FAIL_AVAILABLE 0
#endif
#endif
#ifndef ALLOC_FAIL_AVAILABLE
#define ALLOC_FAIL_AVAILABLE 1
#endif

/* -1: no allocation fails. n >= 0: n more succeed, then every one fails (of at least
 * alloc_fail_min_size bytes; smaller ones always succeed). */
static long alloc_fail_after = -1;
static size_t alloc_fail_min_size;

static inline void alloc_fail_reset(void) {
        alloc_fail_after = -1;
        alloc_fail_min_size = 0;
}

#define ALLOC_FAIL_REQUIRE()                                                                   \
        do {                                                                                   \
                if (!ALLOC_FAIL_AVAILABLE)                                                     \
                        TEST_SKIP("allocation failures cannot be injected under a sanitizer"); \
        } while (0)

#if ALLOC_FAIL_AVAILABLE
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static bool alloc_fails(size_t n) {
        if (alloc_fail_after < 0 || n < alloc_fail_min_size)
                return false;
        if (alloc_fail_after == 0) {
                errno = ENOMEM;
                return true;
        }
        alloc_fail_after--;
        return false;
}

void *malloc(size_t n) {
        return alloc_fails(n) ? NULL : __libc_malloc(n);
}
void *calloc(size_t n, size_t size) {
        return alloc_fails(n * size) ? NULL : __libc_calloc(n, size);
}
void *realloc(void *p, size_t n) {
        return alloc_fails(n) ? NULL : __libc_realloc(p, n);
}
#endif
