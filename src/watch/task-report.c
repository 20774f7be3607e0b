/* Error, recovery and not-found events for a task: each fault is reported once, says what
 * failed and when the next attempt is, and its end is reported once. */
#include <string.h>

#include "task-report.h"
#include "util/strutil.h"

static void format_delay(char *buf, size_t size, usec_t delay) {
        /* Rounded to what a person reads: "1.8s", "42s", not "1s 812ms". */
        format_timespan_human(buf, size, delay);
}

/* One event per fault: the same error again (same kind, status and code) stays quiet until
 * a good poll ends it or a different error replaces it. */
void task_report_error(WatchedTask *t, const AckReply *o, usec_t delay) {
        WatchContext *w = t->ctx;
        char retry[FORMAT_TIMESPAN_MAX], server_wait[FORMAT_TIMESPAN_MAX];
        _cleanup_(freep) char *key = NULL, *summary = NULL;
        Event e = EVENT_INIT(ack_reply_event_kind(o->kind));
        const char *what = ack_reply_kind_to_string(o->kind);

        if (asprintf(&key, "%d/%ld/%s", (int) o->kind, o->http_status, o->code ?: "") < 0)
                return;
        if (streq_ptr(key, t->error_key))
                return;

        format_delay(retry, sizeof(retry), delay);
        if (o->http_status > 0)
                (void) asprintf(&summary, "HTTP %ld %s%s%s", o->http_status, o->code ?: "",
                                o->code && o->message ? ": " : "", o->message ?: "");
        else
                (void) asprintf(&summary, "%s%s%s", o->code ?: "", o->code && o->message ? ": " : "",
                                o->message ?: "");

        e.task_id = t->tracker.task_id;
        e.cluster_id = t->tracker.now.cluster_id;
        e.task_type = t->tracker.now.task_type;
        e.task_state = t->tracker.now.state;
        e.error_code = o->code;
        e.error_message = o->message;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        e.retry_in = retry;

        switch (o->kind) {
        case ACK_REPLY_THROTTLED:
                if (o->retry_after > 0) {
                        format_timespan_human(server_wait, sizeof(server_wait), o->retry_after);
                        event_emitf(w->sink, &e, "%s: throttled by the API (%s), server asks to wait %s; retrying in %s",
                                    e.task_id, summary ?: what, server_wait, retry);
                } else
                        event_emitf(w->sink, &e, "%s: throttled by the API (%s); retrying in %s",
                                    e.task_id, summary ?: what, retry);
                break;
        case ACK_REPLY_AUTH_ERROR:
                if (streq_ptr(o->code, "SignatureDoesNotMatch"))
                        /* The server quotes its string to sign: the same hash means a wrong
                         * secret, another hash a request changed on the way or a signer bug. */
                        event_emitf(w->sink, &e,
                                    "%s: authentication failed (%s); our string to sign hashed the canonical request to %s; check the access key secret; retrying in %s",
                                    e.task_id, summary ?: what, o->canonical_request_hash ?: "", retry);
                else
                        event_emitf(w->sink, &e,
                                    "%s: authentication failed (%s); check the access key id, secret and token, and the clock; retrying in %s",
                                    e.task_id, summary ?: what, retry);
                break;
        case ACK_REPLY_NETWORK_ERROR:
                if (streq_ptr(o->code, "SignatureNonceUsed")) {
                        event_emitf(w->sink, &e,
                                    "%s: poll failed, the connection was reset and libcurl re-sent the request, which the API refused as a replay (%s); retrying with a fresh signature in %s",
                                    e.task_id, summary ?: what, retry);
                        break;
                }
                /* A connection, TLS or timeout failure is about the endpoint, not the task:
                 * name it, it is what to check (a certificate that does not verify against
                 * the system store and CAFile=, a firewall, a wrong Region=). */
                event_emitf(w->sink, &e, "%s: poll failed, %s talking to %s (%s); keeping the last known state, retrying in %s",
                            e.task_id, what, poller_endpoint(w->poller), summary ?: "", retry);
                break;
        default:
                event_emitf(w->sink, &e, "%s: poll failed, %s (%s)%s%s; keeping the last known state, retrying in %s",
                            e.task_id, what, summary ?: "", o->request_id ? ", request " : "",
                            o->request_id ?: "", retry);
        }

        free_and_replace(&t->error_key, TAKE_PTR(key));
        free_and_replace(&t->last_error, summary ? strdup(summary) : NULL);
        t->dirty = true;
        if (summary) {
                char *status_error = NULL;
                if (asprintf(&status_error, "%s: %s", t->tracker.task_id, summary) >= 0)
                        free_and_replace(&w->last_error, status_error);
        }
}

void task_report_recovered(WatchedTask *t, const AckReply *o, unsigned failures) {
        Event e = EVENT_INIT(EVENT_API_RECOVERED);

        if (!t->error_key)
                return;
        e.task_id = t->tracker.task_id;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        event_emitf(t->ctx->sink, &e, "%s: polling recovered after %u failed attempt%s",
                    e.task_id, failures, failures == 1 ? "" : "s");
        free_and_replace(&t->error_key, NULL);
        free_and_replace(&t->last_error, NULL);
}

void task_report_not_found(WatchedTask *t, const AckReply *o, usec_t delay) {
        char retry[FORMAT_TIMESPAN_MAX];
        Event e = EVENT_INIT(EVENT_TASK_NOT_FOUND);

        format_delay(retry, sizeof(retry), delay);
        e.task_id = t->tracker.task_id;
        e.error_code = o->code;
        e.error_message = o->message;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        e.retry_in = retry;
        event_emitf(t->ctx->sink, &e,
                    "%s: task not found (%u answers in a row: HTTP %ld %s); check the task id and region; checking again every %s",
                    e.task_id, t->not_found, o->http_status, o->code ?: "", retry);
        free_and_replace(&t->last_error, strdup("task not found"));
}
