/* Poll-delay arithmetic: growth while nothing changes, full-jitter backoff on errors. */
#pragma once

#include "util/time-util.h"

typedef struct BackoffPolicy {
        usec_t min_interval; /* first delay, and the delay right after a change */
        usec_t max_interval; /* the cap for growth and for error backoff */
} BackoffPolicy;

/* The first poll of a task added to a running set: uniform in [0, min_interval], so that
 * thousands of tasks configured together are spread over the first interval. */
usec_t backoff_initial_delay(const BackoffPolicy *p);

/* The delay after a poll that was the `unchanged`-th in a row without a change (0 right
 * after a change). Target min·2^unchanged capped at max, jittered ±25% within
 * [min, max], so tasks never poll in lockstep, not even at the cap. */
usec_t backoff_poll_delay(const BackoffPolicy *p, unsigned unchanged);

/* The delay after the `failures`-th consecutive failed poll (1 for the first): full jitter,
 * uniform in [min/2, min(max, min·2^failures)]. */
usec_t backoff_error_delay(const BackoffPolicy *p, unsigned failures);

/* After throttling: at least the server's retry-after (0 if none), plus up to a quarter of
 * it as jitter, and never less than the error backoff; never more than max_interval, however
 * long the server asks to wait. */
usec_t backoff_throttle_delay(const BackoffPolicy *p, unsigned failures, usec_t retry_after);
