/* The credentials provider: walks the chain of sources, fetches temporary credentials on the
 * event loop, refreshes them ahead of expiry, and says why there are none when there are
 * none. The watcher asks it for the current credentials before every poll. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "config/config.h"
#include "creds/credentials.h"
#include "report/event.h"
#include "util/cleanup.h"

typedef struct CredentialsProvider CredentialsProvider;

/* Called from the event loop whenever credentials became usable, were replaced, or stopped
 * being usable (an attempt failed, they expired). */
typedef void (*CredentialsChanged)(CredentialsProvider *p, void *userdata);

/* Copies what it needs from c ([Credentials], [API] CAFile=). Nothing is read or sent yet. */
int credentials_provider_new(CredentialsProvider **ret, sd_event *event, EventSink *sink,
                             const Config *c);
/* Cancels whatever is in flight, wipes the credentials. Accepts NULL, returns NULL. */
CredentialsProvider *credentials_provider_free(CredentialsProvider *p);
DEFINE_POINTER_CLEANUP(CredentialsProvider, credentials_provider_free)

/* Without touching the network: which source would be used (the first of the chain that is
 * configured here), loading the static ones so that a bad secret file is found now. 0, or
 * -ENOKEY when no source is configured at all, or another -errno for a source that is
 * configured but broken (an explicit Source=, or [Credentials] AccessKeyId=); *error says what
 * to do. *ret_source (optional) is the source's name. */
int credentials_provider_check(CredentialsProvider *p, const char **ret_source, char **error);

void credentials_provider_set_on_change(CredentialsProvider *p, CredentialsChanged cb,
                                        void *userdata);

/* The first attempt: static sources complete before this returns, others on the loop. */
int credentials_provider_start(CredentialsProvider *p);

/* The current credentials if they are usable now, else NULL. Valid until the loop runs. */
const Credentials *credentials_provider_get(CredentialsProvider *p);

/* When the newest credentials obtained expire (CLOCK_REALTIME; in the past once they have,
 * USEC_INFINITY for a long-lived key), 0 when none were obtained. *ret_source (optional):
 * their source's name, as credentials_source_to_string() spells it. Reads no secret. */
usec_t credentials_provider_expiration(const CredentialsProvider *p, const char **ret_source);

/* Why there are no usable credentials ("obtaining credentials from ecs-ram-role", "...:
 * connection refused; retrying in 4s"), NULL when there are. Never a secret. */
const char *credentials_provider_problem(CredentialsProvider *p);

/* Failed attempts since credentials were last obtained. */
unsigned credentials_provider_failures(const CredentialsProvider *p);

/* True when c would configure a provider exactly like p (a reload can keep p). */
bool credentials_provider_matches(const CredentialsProvider *p, const Config *c);
