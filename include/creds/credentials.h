/* An access key (possibly temporary) and where it came from; wiped when freed. */
#pragma once

#include "util/cleanup.h"
#include "util/time-util.h"

typedef struct Credentials {
        char *access_key_id;
        char *access_key_secret; /* secret: never logged */
        char *security_token;    /* secret, NULL for a long-lived key */
        usec_t expiration;       /* CLOCK_REALTIME; USEC_INFINITY for a long-lived key */
        char *source;            /* "environment", ... : for logs */
} Credentials;

/* Read ALIBABA_CLOUD_ACCESS_KEY_ID / _ACCESS_KEY_SECRET / optional _SECURITY_TOKEN.
 * -ENOKEY when the id or secret is unset or empty. */
int credentials_from_environment(Credentials **ret);

int credentials_new(Credentials **ret, const char *id, const char *secret, const char *token,
                    usec_t expiration, const char *source);
int credentials_copy(const Credentials *c, Credentials **ret);
/* Zeroes every secret byte before freeing. Accepts NULL, returns NULL. */
Credentials *credentials_free(Credentials *c);
DEFINE_POINTER_CLEANUP(Credentials, credentials_free)
