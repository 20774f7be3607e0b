/* An API-wide outage as one account-level event: counted per failure class over the tasks'
 * latest polls, declared once the account's last polls all failed alike (what "most polls
 * fail" looks like as it happens: a share of all tasks would be reached only after half of
 * them had said it one by one), its recovery said once when the count falls back (with
 * hysteresis, so that it does not flap). */
#include "api-outage.h"

#include "util/strutil.h"
#include "watched-task.h"

static OutageClass outage_class_of(const AckReply *o) {
        switch (o->kind) {
        case ACK_REPLY_NETWORK_ERROR:
                /* Not the endpoint's: our own memory, or one request libcurl re-sent. */
                if (o->error < 0 || streq_ptr(o->code, "SignatureNonceUsed"))
                        return OUTAGE_NONE;
                return OUTAGE_NETWORK;
        case ACK_REPLY_SERVER_ERROR:
                return OUTAGE_SERVER;
        case ACK_REPLY_AUTH_ERROR:
                return OUTAGE_AUTH;
        default:
                return OUTAGE_NONE;
        }
}

static const char *outage_class_name(OutageClass c) {
        static const char *const names[_OUTAGE_CLASS_MAX] = {
                [OUTAGE_NETWORK] = "network error",
                [OUTAGE_SERVER] = "server error",
                [OUTAGE_AUTH] = "authentication failed",
        };
        return names[c];
}

static size_t tasks_not_done(const WatchContext *w) {
        return w->n_tasks > w->n_done ? w->n_tasks - w->n_done : 0;
}

/* Over when fewer than a quarter of the most tasks it affected still fail with it: far
 * enough below that one task more or less does not end it and start it again. */
static void outage_check_over(WatchContext *w, OutageClass c) {
        ApiOutage *a = &w->outages[c];
        char span[FORMAT_TIMESPAN_MAX];
        Event e = EVENT_INIT(EVENT_API_OUTAGE_RECOVERED);

        if (!a->active || (a->n_failing > 0 && a->n_failing * 4 >= a->peak))
                return;
        a->active = false;
        e.tasks_affected = a->peak;
        e.failure_kind = outage_class_name(c);
        event_emitf(w->sink, &e, "API outage over: %s ended after %s (up to %zu tasks affected); %zu task%s still failing with it %s reported per task",
                    e.failure_kind,
                    format_timespan_human(span, sizeof(span), now_usec(CLOCK_MONOTONIC) - a->since),
                    a->peak, a->n_failing, a->n_failing == 1 ? "" : "s", a->n_failing == 1 ? "is" : "are");
        free_and_replace(&a->summary, NULL);
        a->peak = 0;
}

static void outage_declare(WatchContext *w, OutageClass c, const AckReply *o) {
        ApiOutage *a = &w->outages[c];
        _cleanup_(freep) char *summary = NULL;
        Event e = EVENT_INIT(EVENT_API_OUTAGE);

        if (o->http_status > 0)
                (void) asprintf(&summary, "HTTP %ld %s%s%s", o->http_status, o->code ?: "",
                                o->code && o->message ? ": " : "", o->message ?: "");
        else
                (void) asprintf(&summary, "%s%s%s", o->code ?: "", o->code && o->message ? ": " : "",
                                o->message ?: "");
        a->active = true;
        a->since = now_usec(CLOCK_MONOTONIC);
        a->peak = a->n_failing;
        e.tasks_affected = a->n_failing;
        e.failure_kind = outage_class_name(c);
        e.error_code = o->code;
        e.error_message = o->message;
        e.request_id = o->request_id;
        e.http_status = (int) o->http_status;
        event_emitf(w->sink, &e,
                    "API outage: %s for %zu of %zu tasks (%s); each task keeps its last known state and is retried with backoff, its own lines of this fault are not written until the outage is over",
                    e.failure_kind, a->n_failing, tasks_not_done(w), summary ?: "");
        free_and_replace(&a->summary, TAKE_PTR(summary));
}

static void outage_move(WatchedTask *t, OutageClass to) {
        WatchContext *w = t->ctx;
        OutageClass from = t->outage_class;

        if (from == to)
                return;
        t->outage_class = to;
        if (to != OUTAGE_NONE) {
                w->outages[to].n_failing++;
                if (w->outages[to].n_failing > w->outages[to].peak && w->outages[to].active)
                        w->outages[to].peak = w->outages[to].n_failing;
        }
        if (from != OUTAGE_NONE) {
                w->outages[from].n_failing--;
                outage_check_over(w, from);
        }
}

/* A task's per-task line of this fault, written before the outage was declared, is
 * superseded by it: forgotten quietly, so that its recovery is not written per task. */
static void outage_absorb(WatchedTask *t) {
        if (!t->error_key)
                return;
        free_and_replace(&t->error_key, NULL);
        free_and_replace(&t->last_error, NULL);
        t->dirty = true;
}

bool api_outage_on_failure(WatchedTask *t, const AckReply *o) {
        WatchContext *w = t->ctx;
        OutageClass c = outage_class_of(o);

        outage_move(t, c);
        if (c == OUTAGE_NONE) {
                w->outage_streak = 0;
                return false;
        }
        if (w->outage_streak_class != c) {
                w->outage_streak_class = c;
                w->outage_streak = 0;
        }
        if (w->outage_streak < API_OUTAGE_MIN_TASKS)
                w->outage_streak++;

        ApiOutage *a = &w->outages[c];
        if (!a->active && a->n_failing >= API_OUTAGE_MIN_TASKS &&
            w->outage_streak >= API_OUTAGE_MIN_TASKS)
                outage_declare(w, c, o);
        if (!a->active)
                return false;
        outage_absorb(t);
        return true;
}

bool api_outage_on_success(WatchedTask *t) {
        WatchContext *w = t->ctx;
        bool absorbed = t->outage_class != OUTAGE_NONE && w->outages[t->outage_class].active;

        w->outage_streak = 0;
        outage_move(t, OUTAGE_NONE);
        if (absorbed)
                outage_absorb(t);
        return absorbed;
}

void api_outage_forget(WatchedTask *t) {
        if (t->outage_class == OUTAGE_NONE)
                return;
        t->ctx->outages[t->outage_class].n_failing--;
        t->outage_class = OUTAGE_NONE;
}

void api_outage_done(WatchContext *w) {
        for (size_t c = 0; c < _OUTAGE_CLASS_MAX; c++)
                free_and_replace(&w->outages[c].summary, NULL);
}

void api_outage_append_status(const WatchContext *w, StrBuf *b) {
        for (size_t c = 0; c < _OUTAGE_CLASS_MAX; c++)
                if (w->outages[c].active)
                        (void) strbuf_appendf(b, "API unavailable for %zu task%s: %s (%s); ",
                                              w->outages[c].n_failing, w->outages[c].n_failing == 1 ? "" : "s",
                                              outage_class_name(c), w->outages[c].summary ?: "");
}
