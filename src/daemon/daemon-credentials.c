/* The daemon's credentials provider: created checked, started, its changes passed on to the
 * watcher, and --check-config's one attempt to obtain credentials. */
#include <stdio.h>

#include "daemon-internal.h"

int daemon_credentials_new(Daemon *d, const Config *c, CredentialsProvider **ret,
                           const char **ret_source, char **error) {
        _cleanup_(credentials_provider_freep) CredentialsProvider *p = NULL;
        int r;

        r = credentials_provider_new(&p, d->event, d->sink, c);
        if (r < 0)
                return r;
        r = credentials_provider_check(p, ret_source, error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

const Credentials *daemon_get_credentials(void *userdata) {
        Daemon *d = userdata;
        return credentials_provider_get(d->credentials);
}

static void daemon_on_credentials(CredentialsProvider *p, void *userdata) {
        Daemon *d = userdata;

        if (d->watcher)
                watcher_credentials_changed(d->watcher, credentials_provider_problem(p));
}

void daemon_credentials_start(Daemon *d) {
        credentials_provider_set_on_change(d->credentials, daemon_on_credentials, d);
        /* Static credentials are loaded right here; temporary ones arrive on the loop, and
         * polls wait for them. A failed attempt is the provider's to report and retry. */
        (void) credentials_provider_start(d->credentials);
        daemon_on_credentials(d->credentials, d);
}

/* --check-config waits for the first attempt to end, however it ends. */
static void check_on_credentials(CredentialsProvider *p, void *userdata) {
        Daemon *d = userdata;

        if (credentials_provider_get(p) || credentials_provider_failures(p) > 0)
                (void) sd_event_exit(d->event, 0);
}

static int check_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        return sd_event_exit(d->event, 0);
}

int daemon_check_credentials(Daemon *d) {
        _cleanup_(sd_event_source_disable_unrefp) sd_event_source *timeout = NULL;
        const Credentials *c;
        int r;

        credentials_provider_set_on_change(d->credentials, check_on_credentials, d);
        r = sd_event_add_time_relative(d->event, &timeout, CLOCK_MONOTONIC, 30 * USEC_PER_SEC, 0,
                                       check_on_timeout, d);
        if (r < 0)
                return r;
        (void) credentials_provider_start(d->credentials);
        if (!credentials_provider_get(d->credentials) && credentials_provider_failures(d->credentials) == 0) {
                r = sd_event_loop(d->event);
                if (r < 0)
                        return r;
        }

        c = credentials_provider_get(d->credentials);
        if (!c) {
                printf("\n# Credentials: source %s: none obtained: %s\n", d->credentials_source,
                       credentials_provider_problem(d->credentials));
                return -ENOKEY;
        }
        printf("\n# Credentials: source %s, AccessKeyId %s%s\n", c->source, c->access_key_id,
               c->security_token ? " (with STS token)" : "");
        return 0;
}
