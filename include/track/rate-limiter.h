/* The account-wide request budget: a token bucket whose rate halves when the API throttles
 * and creeps back while it does not, and a retry budget so failing polls cannot multiply
 * requests. Pure arithmetic on a caller-supplied clock, so tests need no timers. */
#pragma once

#include <stdbool.h>

#include "util/time-util.h"

typedef struct RateLimiter {
        double max_rate;  /* requests per second configured (MaxRequestsPerSecond=) */
        double rate;      /* the rate in force: max_rate, or less after throttling */
        double min_rate;  /* the floor multiplicative decrease stops at */
        double tokens;    /* requests that may start now */
        double burst;     /* the most tokens that can pile up */
        usec_t refilled;  /* when tokens were last topped up */
        usec_t decreased; /* when the rate was last cut: one cut per round trip of throttling */

        /* Retry budget in tenths of a retry (integers: ten successes earn exactly one). */
        unsigned retry_tenths;
        unsigned retry_max_tenths;
} RateLimiter;

/* max_rate > 0 requests per second; burst is max(1, max_rate) so a second's worth can start
 * together. The retry budget holds 10% of a minute's requests (at least 5). */
void rate_limiter_init(RateLimiter *l, double max_rate, usec_t now);

/* Change the configured rate (reload) without forgetting a throttling cut in force. */
void rate_limiter_set_max_rate(RateLimiter *l, double max_rate, usec_t now);

/* Take a token for one request: true when it may start now. Otherwise false, and *ret_wait
 * says how long until a token will be there. */
bool rate_limiter_take(RateLimiter *l, usec_t now, usec_t *ret_wait);

/* The API throttled us: halve the rate (at most once per `cooldown`, so the replies to one
 * burst count once), never below min_rate. */
void rate_limiter_on_throttled(RateLimiter *l, usec_t now);

/* A request succeeded: additive increase back toward the configured rate, 1/50th of it per
 * second of successes (each adds 1/rate of that), and a tenth of a retry token earned back. */
void rate_limiter_on_success(RateLimiter *l);

/* May a failed poll be retried sooner than its normal schedule? Takes a retry token if so.
 * When the budget is spent, failures wait for their normal poll: errors never add requests. */
bool rate_limiter_take_retry(RateLimiter *l);
