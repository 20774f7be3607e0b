/* The provider's private state, shared by provider.c (scheduling, events), provider-sources.c
 * (each source) and provider-fetch.c (the HTTP exchanges). Calls go one way, down:
 * provider.c -> provider-sources.c -> provider-fetch.c; an exchange reports its end back up
 * through on_exchange_done, which provider.c registers at construction. */
#pragma once

#include "creds/oidc.h"
#include "creds/provider.h"
#include "http/http-pool.h"
#include "util/strutil.h"

#define METADATA_URL_DEFAULT "http://100.100.100.200"
#define METADATA_TIMEOUT USEC_PER_SEC
#define METADATA_TOKEN_TTL "21600"

/* An exchange ended: c on success (taken), else error (borrowed). */
typedef void (*ProviderExchangeDone)(CredentialsProvider *p, Credentials *c, const char *error);

struct CredentialsProvider {
        sd_event *event;
        EventSink *sink;
        HttpPool *pool;

        /* settings */
        CredentialsSource source; /* as configured: auto or one */
        CredentialsSource chain[_CREDENTIALS_SOURCE_MAX];
        size_t n_chain;
        char *access_key_id, *secret_file, *token_file;
        char *role_name, *metadata_url, *sts_endpoint, *ca_file;

        /* what we have */
        Credentials *current;      /* the newest obtained; may have expired */
        CredentialsSource current_source;
        char *current_detail;      /* "ecs-ram-role (role R)": for messages */
        unsigned failures;
        char *problem;             /* the last failure, for STATUS= */
        char *status;              /* what credentials_provider_problem() returned last */
        sd_event_source *attempt_timer; /* the next refresh or retry */
        sd_event_source *expiry_timer;

        /* the attempt in flight */
        bool busy;
        bool walking;              /* on failure of one source, try the next */
        size_t next;               /* index into chain */
        CredentialsSource trying;
        StrBuf errors;             /* "source: why; ..." of this attempt */
        char *detail;              /* of the source being tried */
        HttpRequest *request;
        unsigned step;             /* of the metadata exchange */
        char *md_token;            /* secret */
        char *md_role;
        ProviderExchangeDone on_exchange_done; /* set by credentials_provider_new() */

        CredentialsChanged on_change;
        void *userdata;
};

/* provider-sources.c. Begins obtaining credentials from s: 0 with *ret (a static source,
 * done), 1 when an exchange was started (it ends in p->on_exchange_done()), -ENOKEY when
 * s is not configured here, another -errno with *error. check_only: start nothing, return 1
 * for a source that would need the network. p->detail describes the source. */
int provider_source_begin(CredentialsProvider *p, CredentialsSource s, bool check_only,
                          Credentials **ret, char **error);
/* The message for a chain where nothing is configured. */
const char *provider_nothing_configured(void);

/* provider-fetch.c: the exchanges, each ending in p->on_exchange_done(). role NULL: discover
 * it. */
int fetch_metadata_start(CredentialsProvider *p, const char *role, char **error);
int fetch_oidc_start(CredentialsProvider *p, const OidcSettings *s, char **error);
void fetch_cancel(CredentialsProvider *p);
