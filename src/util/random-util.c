/* xoshiro256** for jitter, seeded lazily from the kernel; getrandom() for nonces. */
#include <errno.h>
#include <stdbool.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/random-util.h"

/* One generator for the process: the daemon is single-threaded. */
static uint64_t state[4];
static bool seeded;

/* splitmix64, the expander xoshiro's authors recommend: never yields an all-zero state. */
static uint64_t splitmix64(uint64_t *x) {
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

void random_seed(uint64_t seed) {
        for (size_t i = 0; i < 4; i++)
                state[i] = splitmix64(&seed);
        seeded = true;
}

static void random_seed_lazily(void) {
        uint64_t seed;

        if (seeded)
                return;
        /* Jitter only needs to differ between processes; a clock-based seed will do if the
         * kernel cannot provide one. */
        if (random_bytes(&seed, sizeof(seed)) < 0) {
                struct timespec ts;

                (void) clock_gettime(CLOCK_MONOTONIC, &ts);
                seed = ((uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec) ^
                       ((uint64_t) getpid() << 32);
        }
        random_seed(seed);
}

static uint64_t rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

uint64_t random_u64(void) {
        uint64_t result, t;

        random_seed_lazily();

        result = rotl(state[1] * 5, 7) * 9;
        t = state[1] << 17;
        state[2] ^= state[0];
        state[3] ^= state[1];
        state[1] ^= state[2];
        state[0] ^= state[3];
        state[2] ^= t;
        state[3] = rotl(state[3], 45);
        return result;
}

uint64_t random_range(uint64_t lo, uint64_t hi) {
        uint64_t span, threshold, x;

        if (hi <= lo)
                return lo;

        span = hi - lo + 1;
        if (span == 0) /* the whole 64-bit range */
                return random_u64();

        /* Reject the first 2^64 mod span values so every residue is equally likely. */
        threshold = -span % span;
        do
                x = random_u64();
        while (x < threshold);
        return lo + x % span;
}

int random_bytes(void *buf, size_t n) {
        unsigned char *p = buf;

        while (n > 0) {
                ssize_t k = getrandom(p, n, 0);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0) /* cannot happen for n > 0; do not spin if it does */
                        return -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}
