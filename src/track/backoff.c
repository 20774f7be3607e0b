/* Poll-delay arithmetic: growth while nothing changes, full-jitter backoff on errors. */
#include "track/backoff.h"

#include "util/random-util.h"

/* min·2^n without overflow, capped at cap. */
static usec_t doubled_capped(usec_t base, unsigned n, usec_t cap) {
        usec_t v = base;

        for (unsigned i = 0; i < n && v < cap; i++)
                v = v > cap / 2 ? cap : v * 2;
        return v < cap ? v : cap;
}

usec_t backoff_initial_delay(const BackoffPolicy *p) {
        return random_range(0, p->min_interval);
}

usec_t backoff_poll_delay(const BackoffPolicy *p, unsigned unchanged) {
        usec_t target = doubled_capped(p->min_interval, unchanged, p->max_interval);
        usec_t lo = target - target / 4, hi = target + target / 4;

        /* Jitter downwards at the cap and upwards at the floor: a task never polls faster
         * than MinInterval nor slower than MaxInterval, and never in lockstep with others. */
        if (lo < p->min_interval)
                lo = p->min_interval;
        if (hi > p->max_interval)
                hi = p->max_interval;
        if (hi < lo)
                hi = lo;
        return random_range(lo, hi);
}

usec_t backoff_error_delay(const BackoffPolicy *p, unsigned failures) {
        usec_t hi = doubled_capped(p->min_interval, failures, p->max_interval);
        usec_t lo = p->min_interval / 2;

        return random_range(lo, hi > lo ? hi : lo);
}

usec_t backoff_throttle_delay(const BackoffPolicy *p, unsigned failures, usec_t retry_after) {
        usec_t backoff = backoff_error_delay(p, failures), server;

        /* Capped: a server asking for 3600000000 ms would silence a task for weeks. At the
         * cap the jitter goes downwards, so throttled tasks still do not retry in lockstep. */
        if (retry_after >= p->max_interval)
                server = random_range(p->max_interval - p->max_interval / 4, p->max_interval);
        else {
                server = retry_after + random_range(0, retry_after / 4);
                if (server > p->max_interval)
                        server = p->max_interval;
        }
        return server > backoff ? server : backoff;
}
