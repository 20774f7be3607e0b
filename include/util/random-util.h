/* Non-cryptographic randomness for jitter, and cryptographic bytes for nonces. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Fast PRNG (xoshiro256**) seeded once from getrandom(); random_seed() makes runs
 * reproducible in tests. */
void random_seed(uint64_t seed);
uint64_t random_u64(void);
/* Uniform in [lo, hi] inclusive; lo when hi <= lo. */
uint64_t random_range(uint64_t lo, uint64_t hi);

/* n bytes from getrandom(). Returns 0 or -errno. */
int random_bytes(void *buf, size_t n);
