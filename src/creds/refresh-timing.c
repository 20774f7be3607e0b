/* Refresh and retry timing for temporary credentials. */
#include "creds/refresh-timing.h"

#include "util/random-util.h"

usec_t credentials_refresh_time(usec_t obtained, usec_t expiration) {
        usec_t lifetime, ahead, at, earliest;

        if (expiration == USEC_INFINITY)
                return USEC_INFINITY;
        lifetime = expiration > obtained ? expiration - obtained : 0;
        ahead = lifetime / 3 * 2;
        if (ahead > CREDENTIALS_REFRESH_AHEAD)
                ahead = CREDENTIALS_REFRESH_AHEAD;
        at = expiration - ahead;
        earliest = obtained + (lifetime < USEC_PER_SEC ? lifetime : USEC_PER_SEC);
        return at < earliest ? earliest : at;
}

bool credentials_usable(const Credentials *c, usec_t now) {
        if (!c)
                return false;
        if (c->expiration == USEC_INFINITY)
                return true;
        return c->expiration > CREDENTIALS_EXPIRY_MARGIN &&
               now < c->expiration - CREDENTIALS_EXPIRY_MARGIN;
}

usec_t credentials_retry_delay(unsigned failures) {
        usec_t d = USEC_PER_SEC;

        for (unsigned i = 1; i < failures && d < CREDENTIALS_RETRY_MAX; i++)
                d *= 2;
        if (d > CREDENTIALS_RETRY_MAX)
                d = CREDENTIALS_RETRY_MAX;
        return d / 2 + random_range(0, d / 2);
}
