/* The account-wide request budget: a token bucket with multiplicative decrease on
 * throttling and additive recovery, plus a retry budget. */
#include "track/rate-limiter.h"

#include <math.h>

/* One cut per this long: a throttled burst answers many requests at once. */
#define DECREASE_COOLDOWN (1 * USEC_PER_SEC)

static void refill(RateLimiter *l, usec_t now) {
        if (now > l->refilled) {
                l->tokens += l->rate * (double) (now - l->refilled) / (double) USEC_PER_SEC;
                if (l->tokens > l->burst)
                        l->tokens = l->burst;
        }
        l->refilled = now;
}

void rate_limiter_init(RateLimiter *l, double max_rate, usec_t now) {
        *l = (RateLimiter) { .refilled = now };
        rate_limiter_set_max_rate(l, max_rate, now);
        l->rate = l->max_rate;
        l->tokens = l->burst;
        l->retry_tenths = l->retry_max_tenths;
}

void rate_limiter_set_max_rate(RateLimiter *l, double max_rate, usec_t now) {
        refill(l, now);
        l->max_rate = max_rate > 0 ? max_rate : 1;
        l->min_rate = l->max_rate / 64 < 0.1 ? l->max_rate / 64 : 0.1;
        l->burst = l->max_rate > 1 ? l->max_rate : 1;
        l->retry_max_tenths = (unsigned) (10 * fmax(5, floor(l->max_rate * 60 / 10)));
        if (l->rate > l->max_rate || l->rate == 0)
                l->rate = l->max_rate;
        if (l->tokens > l->burst)
                l->tokens = l->burst;
        if (l->retry_tenths > l->retry_max_tenths)
                l->retry_tenths = l->retry_max_tenths;
}

bool rate_limiter_take(RateLimiter *l, usec_t now, usec_t *ret_wait) {
        refill(l, now);
        if (l->tokens >= 1) {
                l->tokens -= 1;
                return true;
        }
        if (ret_wait) {
                double missing = 1 - l->tokens;
                /* Round up: waking a microsecond early finds no token and spins. */
                *ret_wait = (usec_t) ceil(missing / l->rate * (double) USEC_PER_SEC);
        }
        return false;
}

void rate_limiter_on_throttled(RateLimiter *l, usec_t now) {
        if (l->decreased != 0 && now - l->decreased < DECREASE_COOLDOWN)
                return;
        refill(l, now);
        l->rate = fmax(l->min_rate, l->rate / 2);
        /* Tokens saved up at the old rate would let the next burst through unchanged. */
        if (l->tokens > 1)
                l->tokens = 1;
        l->decreased = now;
}

void rate_limiter_on_success(RateLimiter *l) {
        /* 1/50th of the configured rate per second, not per success: successes arrive at
         * about `rate` a second, so each adds step/rate (capped at step below 1/s). Per
         * success, 40 successes a second would undo a halving within the second, and the
         * rate would never settle below what the API allows. */
        double step = l->max_rate / 50;

        l->rate = fmin(l->max_rate, l->rate + step * fmin(1, 1 / l->rate));
        if (l->retry_tenths < l->retry_max_tenths)
                l->retry_tenths++;
}

bool rate_limiter_take_retry(RateLimiter *l) {
        if (l->retry_tenths < 10)
                return false;
        l->retry_tenths -= 10;
        return true;
}
