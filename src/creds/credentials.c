/* Access keys: construction, copying, wiping, and the environment source. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creds/credentials.h"
#include "util/cleanup.h"
#include "util/strutil.h"


static bool isempty(const char *s) {
        return !s || s[0] == '\0';
}

int credentials_new(Credentials **ret, const char *id, const char *secret, const char *token,
                    usec_t expiration, const char *source) {
        _cleanup_(credentials_freep) Credentials *c = NULL;

        if (!ret || isempty(id) || isempty(secret) || isempty(source))
                return -EINVAL;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;

        c->access_key_id = strdup(id);
        c->access_key_secret = strdup(secret);
        /* An empty token would only produce a header the server rejects. */
        c->security_token = isempty(token) ? NULL : strdup(token);
        c->source = strdup(source);
        if (!c->access_key_id || !c->access_key_secret || !c->source ||
            (!isempty(token) && !c->security_token))
                return -ENOMEM;
        c->expiration = expiration;

        *ret = TAKE_PTR(c);
        return 0;
}

int credentials_copy(const Credentials *c, Credentials **ret) {
        if (!c)
                return -EINVAL;
        return credentials_new(ret, c->access_key_id, c->access_key_secret, c->security_token,
                               c->expiration, c->source);
}

int credentials_from_environment(Credentials **ret) {
        const char *id = secure_getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
        const char *secret = secure_getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
        const char *token = secure_getenv("ALIBABA_CLOUD_SECURITY_TOKEN");

        if (isempty(id) || isempty(secret))
                return -ENOKEY;
        return credentials_new(ret, id, secret, token, USEC_INFINITY, "environment");
}

Credentials *credentials_free(Credentials *c) {
        if (!c)
                return NULL;

        free(c->access_key_id);
        free_secret(c->access_key_secret);
        free_secret(c->security_token);
        free(c->source);
        explicit_bzero(c, sizeof(*c));
        free(c);
        return NULL;
}
