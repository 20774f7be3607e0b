/* When temporary credentials are refreshed, when they count as expired, and how long to wait
 * after a failed attempt: arithmetic only. Times are CLOCK_REALTIME microseconds. */
#pragma once

#include <stdbool.h>

#include "creds/credentials.h"
#include "util/time-util.h"

/* Refresh this long before Expiration, or earlier for short-lived credentials. */
#define CREDENTIALS_REFRESH_AHEAD (15 * USEC_PER_MINUTE)
/* Credentials this close to Expiration are not used: a request signed now must still be
 * valid when the server reads it. */
#define CREDENTIALS_EXPIRY_MARGIN (2 * USEC_PER_SEC)
/* Failed attempts back off from about 1 s up to this. */
#define CREDENTIALS_RETRY_MAX (2 * USEC_PER_MINUTE)

/* When credentials obtained at `obtained` and expiring at `expiration` are refreshed:
 * expiration - min(15 min, 2/3 of the lifetime), so short-lived ones are refreshed after a
 * third of their life and keep two thirds for retries; never before obtained + 1 s (or the
 * whole lifetime when shorter). USEC_INFINITY for credentials that do not expire. */
usec_t credentials_refresh_time(usec_t obtained, usec_t expiration);

/* True when c is non-NULL and not within CREDENTIALS_EXPIRY_MARGIN of its expiration. */
bool credentials_usable(const Credentials *c, usec_t now);

/* The wait after the failures-th failed attempt in a row (1 for the first): "equal jitter",
 * d/2 + uniform(0, d/2) with d = min(CREDENTIALS_RETRY_MAX, 1 s * 2^(failures-1)), so waits
 * grow (each range starts where the previous ended) and never fall into lockstep. */
usec_t credentials_retry_delay(unsigned failures);
