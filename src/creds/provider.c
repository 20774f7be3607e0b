/* The provider's life: one attempt at a time along the chain, the refresh and retry timer,
 * the expiry timer, and an event for each outcome. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds/refresh-timing.h"
#include "provider-internal.h"

#define PROVIDER_REQUEST_TIMEOUT (10 * USEC_PER_SEC)
#define PROVIDER_MAX_BODY (64U * 1024U)

static void attempt_begin(CredentialsProvider *p);

static const char *name_of(CredentialsSource s) {
        return credentials_source_to_string(s);
}

static char *format_utc(char *buf, size_t size, usec_t t) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (t == USEC_INFINITY || !gmtime_r(&s, &tm) ||
            strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "never");
        return buf;
}

/* A span rounded as a person reads it ("1.8s", "42s"). */
static char *format_delay(char *buf, size_t size, usec_t d) {
        return format_timespan_human(buf, size, d);
}

static void changed(CredentialsProvider *p) {
        if (p->on_change)
                p->on_change(p, p->userdata);
}

static void arm(sd_event_source *s, usec_t delay) {
        (void) sd_event_source_set_time(s, now_usec(CLOCK_MONOTONIC) + delay);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* Realtime deadline to a monotonic delay: timers must not jump with the wall clock, and a
 * few seconds of drift over an hour do not matter here. */
static usec_t until(usec_t realtime) {
        usec_t now = now_usec(CLOCK_REALTIME);
        return realtime > now ? realtime - now : 0;
}

static void errors_add(CredentialsProvider *p, CredentialsSource s, const char *why) {
        (void) strbuf_appendf(&p->errors, "%s%s: %s", p->errors.len ? "; " : "", name_of(s), why);
}

static void attempt_succeeded(CredentialsProvider *p, CredentialsSource s, Credentials *c) {
        usec_t now = now_usec(CLOCK_REALTIME), refresh;
        bool same = credentials_usable(p->current, now) && p->current_source == s;
        Event e = EVENT_INIT(same ? EVENT_CREDENTIALS_REFRESHED : EVENT_CREDENTIALS_LOADED);
        char until_s[64], next[FORMAT_TIMESPAN_MAX];

        p->busy = false;
        credentials_free(p->current);
        p->current = c;
        p->current_source = s;
        free(p->current_detail);
        p->current_detail = p->detail;
        p->detail = NULL;
        p->failures = 0;
        free(p->problem);
        p->problem = NULL;
        strbuf_clear(&p->errors);

        refresh = credentials_refresh_time(now, c->expiration);
        if (refresh == USEC_INFINITY) {
                (void) sd_event_source_set_enabled(p->attempt_timer, SD_EVENT_OFF);
                (void) sd_event_source_set_enabled(p->expiry_timer, SD_EVENT_OFF);
        } else {
                arm(p->attempt_timer, until(refresh));
                arm(p->expiry_timer, until(c->expiration > CREDENTIALS_EXPIRY_MARGIN
                                                   ? c->expiration - CREDENTIALS_EXPIRY_MARGIN : 0));
        }

        e.credentials_source = name_of(s);
        if (refresh == USEC_INFINITY)
                event_emitf(p->sink, &e, "credentials from %s: AccessKeyId %s%s",
                            p->current_detail ? : name_of(s), c->access_key_id,
                            c->security_token ? " with an STS token" : "");
        else
                event_emitf(p->sink, &e,
                            "credentials %s %s: AccessKeyId %s, valid until %s; next refresh in %s",
                            same ? "refreshed from" : "from", p->current_detail ? : name_of(s),
                            c->access_key_id, format_utc(until_s, sizeof until_s, c->expiration),
                            format_delay(next, sizeof next, until(refresh)));
        changed(p);
}

static void attempt_failed(CredentialsProvider *p) {
        usec_t now = now_usec(CLOCK_REALTIME), delay;
        bool usable = credentials_usable(p->current, now);
        Event e = EVENT_INIT(usable ? EVENT_CREDENTIALS_REFRESH_FAILED : EVENT_CREDENTIALS_ERROR);
        char retry[FORMAT_TIMESPAN_MAX], until_s[64];
        const char *why = p->errors.data ? p->errors.data : provider_nothing_configured();

        p->busy = false;
        if (p->failures < 64)
                p->failures++;
        delay = credentials_retry_delay(p->failures);
        format_delay(retry, sizeof retry, delay);
        e.retry_in = retry;
        e.error_message = why;
        e.credentials_source = name_of(usable ? p->current_source : p->trying);

        if (usable)
                event_emitf(p->sink, &e, "refreshing credentials from %s failed: %s; the current "
                            "ones stay valid until %s; retrying in %s",
                            p->current_detail ? : name_of(p->current_source), why,
                            format_utc(until_s, sizeof until_s, p->current->expiration), retry);
        else {
                int k;

                event_emitf(p->sink, &e, "no credentials: %s; polling is paused, retrying in %s",
                            why, retry);
                free(p->problem);
                /* Credentials we had and that ran out stay the headline of STATUS=: a retry
                 * failing right after the expiry must not replace what on_expiry_timer()
                 * said with only the latest error. */
                if (p->current)
                        k = asprintf(&p->problem, "credentials from %s expired at %s; %s (attempt "
                                     "%u failed, retrying in %s)", name_of(p->current_source),
                                     format_utc(until_s, sizeof until_s, p->current->expiration),
                                     why, p->failures, retry);
                else
                        k = asprintf(&p->problem, "%s (attempt %u failed, retrying in %s)", why,
                                     p->failures, retry);
                if (k < 0)
                        p->problem = NULL;
        }
        strbuf_clear(&p->errors);
        free(p->detail);
        p->detail = NULL;
        arm(p->attempt_timer, delay);
        changed(p);
}

/* Tries sources from p->next on; returns once one is in flight or the attempt is over. */
static void attempt_continue(CredentialsProvider *p) {
        while (p->next < p->n_chain) {
                CredentialsSource s = p->chain[p->next++];
                _cleanup_(freep) char *error = NULL;
                Credentials *c = NULL;
                int r;

                p->trying = s;
                r = provider_source_begin(p, s, false, &c, &error);
                if (r == 0)
                        return attempt_succeeded(p, s, c);
                if (r == 1)
                        return;
                if (r != -ENOKEY)
                        errors_add(p, s, error ? : strerror(-r));
                else if (p->source != CREDENTIALS_SOURCE_AUTO)
                        errors_add(p, s, "not configured here");
                if (!p->walking)
                        break;
        }
        attempt_failed(p);
}

static void provider_on_exchange_done(CredentialsProvider *p, Credentials *c, const char *error) {
        if (c)
                return attempt_succeeded(p, p->trying, c);
        errors_add(p, p->trying, error ? : "failed");
        if (p->walking)
                attempt_continue(p);
        else
                attempt_failed(p);
}

/* A refresh asks the source that gave the current credentials; without usable ones the
 * whole chain is walked again, so a source that appeared since is found. */
static void attempt_begin(CredentialsProvider *p) {
        if (p->busy)
                return;
        p->busy = true;
        strbuf_clear(&p->errors);
        p->walking = !credentials_usable(p->current, now_usec(CLOCK_REALTIME));
        p->next = 0;
        if (!p->walking)
                for (size_t i = 0; i < p->n_chain; i++)
                        if (p->chain[i] == p->current_source)
                                p->next = i;
        if (p->walking && !p->current)
                changed(p); /* "obtaining credentials" */
        attempt_continue(p);
}

static int on_attempt_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        attempt_begin(userdata);
        return 0;
}

static int on_expiry_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        CredentialsProvider *p = userdata;
        Event e = EVENT_INIT(EVENT_CREDENTIALS_EXPIRED);
        char when[64];
        char *problem;

        if (!p->current || credentials_usable(p->current, now_usec(CLOCK_REALTIME)))
                return 0;
        format_utc(when, sizeof when, p->current->expiration);
        e.credentials_source = name_of(p->current_source);
        e.error_message = p->problem;
        event_emitf(p->sink, &e, "credentials from %s (AccessKeyId %s) expire at %s and were not "
                    "refreshed%s%s: polling is paused until new ones arrive",
                    p->current_detail ? : name_of(p->current_source), p->current->access_key_id,
                    when, p->problem ? ": " : "", p->problem ? : "");
        if (asprintf(&problem, "credentials from %s expired at %s%s%s", name_of(p->current_source),
                     when, p->problem ? "; " : "", p->problem ? : "") >= 0) {
                free(p->problem);
                p->problem = problem;
        }
        changed(p);
        if (!p->busy) {
                int enabled = SD_EVENT_OFF;
                (void) sd_event_source_get_enabled(p->attempt_timer, &enabled);
                if (enabled == SD_EVENT_OFF)
                        attempt_begin(p);
        }
        return 0;
}

static int copy_setting(char **dst, const char *src) {
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

int credentials_provider_new(CredentialsProvider **ret, sd_event *event, EventSink *sink,
                             const Config *c) {
        _cleanup_(credentials_provider_freep) CredentialsProvider *p = NULL;
        HttpPoolOptions o = {
                .max_connections = 1,
                .timeout = PROVIDER_REQUEST_TIMEOUT,
                .ca_file = c->ca_file,
                .max_body = PROVIDER_MAX_BODY,
        };
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->sink = sink;
        p->on_exchange_done = provider_on_exchange_done;
        p->source = c->credentials_source;
        if (p->source == CREDENTIALS_SOURCE_AUTO)
                for (int s = CREDENTIALS_SOURCE_CONFIG; s < _CREDENTIALS_SOURCE_MAX; s++)
                        p->chain[p->n_chain++] = (CredentialsSource) s;
        else
                p->chain[p->n_chain++] = p->source;

        if ((r = copy_setting(&p->access_key_id, c->access_key_id)) < 0 ||
            (r = copy_setting(&p->secret_file, c->access_key_secret_file)) < 0 ||
            (r = copy_setting(&p->token_file, c->security_token_file)) < 0 ||
            (r = copy_setting(&p->role_name, c->role_name)) < 0 ||
            (r = copy_setting(&p->metadata_url, c->metadata_url)) < 0 ||
            (r = copy_setting(&p->sts_endpoint, c->sts_endpoint)) < 0 ||
            (r = copy_setting(&p->ca_file, c->ca_file)) < 0)
                return r;

        r = http_pool_new(&p->pool, event, &o);
        if (r < 0)
                return r;
        r = sd_event_add_time(event, &p->attempt_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_MSEC,
                              on_attempt_timer, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(p->attempt_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(p->attempt_timer, "credentials-attempt");
        r = sd_event_add_time(event, &p->expiry_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_MSEC,
                              on_expiry_timer, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(p->expiry_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(p->expiry_timer, "credentials-expiry");

        *ret = TAKE_PTR(p);
        return 0;
}

CredentialsProvider *credentials_provider_free(CredentialsProvider *p) {
        if (!p)
                return NULL;
        fetch_cancel(p);
        http_pool_free(p->pool);
        sd_event_source_disable_unref(p->attempt_timer);
        sd_event_source_disable_unref(p->expiry_timer);
        sd_event_unref(p->event);
        credentials_free(p->current);
        free(p->current_detail);
        free(p->problem);
        free(p->status);
        free(p->detail);
        strbuf_clear(&p->errors);
        free(p->access_key_id);
        free(p->secret_file);
        free(p->token_file);
        free(p->role_name);
        free(p->metadata_url);
        free(p->sts_endpoint);
        free(p->ca_file);
        free(p);
        return NULL;
}

int credentials_provider_check(CredentialsProvider *p, const char **ret_source, char **error) {
        _cleanup_(strbuf_clear) StrBuf skipped = {};

        for (size_t i = 0; i < p->n_chain; i++) {
                CredentialsSource s = p->chain[i];
                _cleanup_(freep) char *why = NULL;
                Credentials *c = NULL;
                int r;

                r = provider_source_begin(p, s, true, &c, &why);
                credentials_free(c);
                if (r >= 0) {
                        if (ret_source)
                                *ret_source = name_of(s);
                        return 0;
                }
                if (r == -ENOMEM)
                        return r;
                if (r == -ENOKEY && p->source == CREDENTIALS_SOURCE_AUTO)
                        continue;
                if (r == -ENOKEY) {
                        if (asprintf(error, "Source=%s: not configured here (%s)", name_of(s),
                                     provider_nothing_configured()) < 0)
                                *error = NULL;
                        return r;
                }
                /* An explicit choice that is broken is an error; in the chain, only the keys
                 * written in the configuration are. */
                if (p->source != CREDENTIALS_SOURCE_AUTO || s == CREDENTIALS_SOURCE_CONFIG) {
                        *error = TAKE_PTR(why);
                        if (!*error && asprintf(error, "%s: %s", name_of(s), strerror(-r)) < 0)
                                *error = NULL;
                        return r;
                }
                (void) strbuf_appendf(&skipped, "; skipped %s: %s", name_of(s), why ? : strerror(-r));
        }
        if (asprintf(error, "%s%s", provider_nothing_configured(), skipped.data ? : "") < 0)
                *error = NULL;
        return -ENOKEY;
}

void credentials_provider_set_on_change(CredentialsProvider *p, CredentialsChanged cb,
                                        void *userdata) {
        p->on_change = cb;
        p->userdata = userdata;
}

int credentials_provider_start(CredentialsProvider *p) {
        attempt_begin(p);
        return 0;
}

const Credentials *credentials_provider_get(CredentialsProvider *p) {
        return credentials_usable(p->current, now_usec(CLOCK_REALTIME)) ? p->current : NULL;
}

usec_t credentials_provider_expiration(const CredentialsProvider *p, const char **ret_source) {
        if (!p->current)
                return 0;
        if (ret_source)
                *ret_source = credentials_source_to_string(p->current_source);
        return p->current->expiration;
}

const char *credentials_provider_problem(CredentialsProvider *p) {
        char *s = NULL;

        if (credentials_provider_get(p))
                return NULL;
        if (p->problem)
                return p->problem;
        if (p->busy &&
            asprintf(&s, "obtaining credentials from %s", p->detail ? : name_of(p->trying)) < 0)
                s = NULL;
        free(p->status);
        p->status = s;
        return s ? : "no credentials yet";
}

unsigned credentials_provider_failures(const CredentialsProvider *p) {
        return p->failures;
}

bool credentials_provider_matches(const CredentialsProvider *p, const Config *c) {
        return p->source == c->credentials_source && streq_ptr(p->access_key_id, c->access_key_id) &&
               streq_ptr(p->secret_file, c->access_key_secret_file) &&
               streq_ptr(p->token_file, c->security_token_file) &&
               streq_ptr(p->role_name, c->role_name) && streq_ptr(p->metadata_url, c->metadata_url) &&
               streq_ptr(p->sts_endpoint, c->sts_endpoint) && streq_ptr(p->ca_file, c->ca_file);
}
