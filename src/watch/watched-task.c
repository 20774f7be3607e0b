/* A watched task's life (timer, done-ness) and its poll cycle: sign, send, classify the
 * response, apply it, schedule the next poll. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ack/request.h"
#include "watcher-internal.h"

WatchedTask *watched_task_free(WatchedTask *t) {
        if (!t)
                return NULL;
        if (t->done)
                t->watcher->n_done--;
        scheduler_forget(t->watcher->scheduler, &t->sched);
        /* Its hooks run on, but must not find it when they finish. */
        hook_runner_forget_userdata(t->watcher->hooks, t);
        http_request_cancel(t->request);
        task_tracker_done(&t->tracker);
        free(t->error_key);
        free(t->last_error);
        ack_request_free(t->ack);
        task_record_free(t->hooks);
        free(t);
        return NULL;
}

void task_set_done(WatchedTask *t, bool done) {
        if (t->done == done)
                return;
        t->done = done;
        if (done)
                t->watcher->n_done++;
        else
                t->watcher->n_done--;
}

int watched_task_compare_id(const void *key, const void *elem) {
        return strcmp(key, (*(WatchedTask *const *) elem)->tracker.task_id);
}

WatchedTask *watcher_find(const Watcher *w, const char *id) {
        if (w->n_tasks == 0)
                return NULL; /* tasks may be NULL, which bsearch must not see */
        WatchedTask **t = bsearch(id, w->tasks, w->n_tasks, sizeof(*w->tasks), watched_task_compare_id);
        return t ? *t : NULL;
}

/* A 64-bit hash of the reply's bytes, a word at a time, each mixed with splitmix64's
 * finaliser (good avalanche, no dependency, ~0.5 µs for a 1.2 KB reply). Not cryptographic:
 * it only has to tell an unchanged reply from a changed one coming from the API. */
static uint64_t mix64(uint64_t h) {
        h ^= h >> 30;
        h *= UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 27;
        h *= UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
        return h;
}

static uint64_t reply_hash(const char *body, size_t len) {
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len, w;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                memcpy(&w, body + i, 8);
                h = mix64(h ^ w) + UINT64_C(0x9e3779b97f4a7c15);
        }
        w = 0;
        memcpy(&w, body + i, len - i);
        return mix64(h ^ w ^ ((uint64_t) (len - i) << 56));
}

/* True when a 2xx reply has the same length and hash as the last reply applied to the
 * tracker: decoding it again would change nothing, so it is not decoded. Only a changed reply
 * of the same length whose 64-bit hash collides with the old one would be missed, about one
 * in 2^64 per change; and the next change, which moves "updated", is seen. A reply after a
 * failed poll (t->reply_len is reset then) always goes the whole way. */
static bool task_reply_is_known(const WatchedTask *t, const HttpResponse *resp, uint64_t *ret_hash) {
        if (resp->failure != HTTP_OK || resp->status < 200 || resp->status >= 300 ||
            resp->body_len == 0 || resp->body_len > UINT32_MAX) {
                *ret_hash = 0;
                return false;
        }
        *ret_hash = reply_hash(resp->body, resp->body_len);
        return t->reply_len == resp->body_len && t->reply_hash == *ret_hash;
}

/* What poll_outcome_classify() would say of the known reply, without decoding it. */
static int known_reply_outcome(const HttpResponse *resp, PollOutcome *ret) {
        PollOutcome o = { .result = POLL_OK, .http_status = resp->status };

        if (resp->request_id) {
                o.request_id = strdup(resp->request_id);
                if (!o.request_id)
                        return -ENOMEM;
        }
        if (resp->retry_after_ms > 0)
                o.retry_after = (usec_t) resp->retry_after_ms * USEC_PER_MSEC;
        *ret = o;
        return 0;
}

/* o->info NULL: the reply is the one applied last (task_reply_is_known()), nothing changed. */
static usec_t task_handle_ok(WatchedTask *t, const PollOutcome *o) {
        Watcher *w = t->watcher;
        unsigned failures = t->failures;
        int r;

        TaskPhase phase_before = t->tracker.now.phase;
        bool had_baseline = t->tracker.have_baseline;
        _cleanup_(freep) char *state_before = strdup_or_null(t->tracker.now.state);

        t->failures = 0;
        t->not_found = 0;
        if (t->lost) {
                t->lost = false;
                t->dirty = true;
                task_set_done(t, false);
        }
        if (t->error_key)
                t->dirty = true; /* last_error goes */
        task_report_recovered(t, o, failures);

        r = o->info ? task_tracker_apply(&t->tracker, o->info, o->request_id, w->sink) : 0;
        if (r < 0) {
                /* Out of memory: nothing was recorded, so the next reply reports it all. */
                t->reply_len = 0;
                return backoff_error_delay(&w->backoff, 1);
        }
        if (r > 0) {
                t->unchanged = 0;
                t->dirty = true;
                if (!had_baseline || phase_before != t->tracker.now.phase ||
                    !streq_ptr(state_before, t->tracker.now.state))
                        t->state_since = now_usec(CLOCK_REALTIME);
        } else if (t->unchanged < 64)
                t->unchanged++;

        if (task_tracker_is_terminal(&t->tracker)) {
                task_set_done(t, true);
                return USEC_INFINITY;
        }
        return backoff_poll_delay(&w->backoff, t->unchanged);
}

static usec_t task_handle_failure(WatchedTask *t, const PollOutcome *o) {
        Watcher *w = t->watcher;
        usec_t delay;

        if (t->failures < 64)
                t->failures++;

        if (o->result == POLL_NOT_FOUND) {
                if (t->not_found < UINT16_MAX)
                        t->not_found++;
                if (t->not_found < NOT_FOUND_CONFIRMATIONS)
                        /* Quietly: a task id just returned by a create call can lag. */
                        return backoff_error_delay(&w->backoff, t->failures);
                /* Confirmed: tell once, then look again rarely in case it appears. */
                delay = backoff_poll_delay(&w->backoff, 64);
                if (!t->lost) {
                        t->lost = true;
                        t->dirty = true;
                        task_set_done(t, true);
                        task_report_not_found(t, o, delay);
                }
                return delay;
        }

        if (o->result == POLL_THROTTLED) {
                rate_limiter_on_throttled(scheduler_budget(w->scheduler), now_usec(CLOCK_MONOTONIC));
                delay = backoff_throttle_delay(&w->backoff, t->failures, o->retry_after);
        } else
                delay = backoff_error_delay(&w->backoff, t->failures);

        /* A retry sooner than the task's normal schedule is an extra request: only from the
         * retry budget, so a storm of errors cannot multiply the request rate. */
        usec_t normal = backoff_poll_delay(&w->backoff, t->unchanged);
        if (delay < normal && !rate_limiter_take_retry(scheduler_budget(w->scheduler)))
                delay = normal;

        task_report_error(t, o, delay);
        return delay;
}


/* TaskTimeout=: said once, and the task is still watched. Measured from when watching
 * began (kept across restarts), which the daemon knows for sure; the API's "created" may be
 * missing or in another clock's format. */
static void task_check_timeout(WatchedTask *t) {
        Watcher *w = t->watcher;
        char span[FORMAT_TIMESPAN_MAX];
        usec_t now = now_usec(CLOCK_REALTIME);
        Event e = EVENT_INIT(EVENT_TASK_TIMED_OUT);

        if (t->timeout_reported || w->task_timeout == USEC_INFINITY || t->done ||
            now < t->first_seen || now - t->first_seen < w->task_timeout)
                return;
        t->timeout_reported = true;
        t->dirty = true;
        e.task_id = t->tracker.task_id;
        e.cluster_id = t->tracker.now.cluster_id;
        e.task_type = t->tracker.now.task_type;
        e.task_state = t->tracker.now.state;
        e.task_stage = t->tracker.now.stage;
        event_emitf(w->sink, &e, "%s: still %s after %s of watching (TaskTimeout=), stage %s; still watching",
                    e.task_id, e.task_state ?: "without a reply",
                    format_timespan(span, sizeof(span), w->task_timeout), e.task_stage ?: "-");
}

static void task_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        WatchedTask *t = userdata;
        Watcher *w = t->watcher;
        PollOutcome o;
        usec_t delay;
        uint64_t hash;
        bool known;
        int r;

        t->request = NULL;
        if (resp->failure == HTTP_OK)
                t->last_poll = now_usec(CLOCK_REALTIME);
        known = task_reply_is_known(t, resp, &hash);
        r = known ? known_reply_outcome(resp, &o) : poll_outcome_classify(t->tracker.task_id, resp, &o);
        /* Forget the last reply unless this one is applied below: after a failure, the next
         * good reply goes the whole way. */
        t->reply_len = 0;
        if (r < 0)
                delay = backoff_error_delay(&w->backoff, ++t->failures);
        else {
                if (o.result == POLL_OK && resp->body_len <= UINT32_MAX) {
                        /* task_handle_ok() resets it when the tracker did not take the reply. */
                        t->reply_hash = hash;
                        t->reply_len = (uint32_t) resp->body_len;
                }
                if (o.result == POLL_OK)
                        rate_limiter_on_success(scheduler_budget(w->scheduler));
                /* The hooks of the events this reply causes read it on stdin. */
                w->applying = t;
                w->applying_body = resp->body;
                delay = o.result == POLL_OK ? task_handle_ok(t, &o) : task_handle_failure(t, &o);
                w->applying = NULL;
                w->applying_body = NULL;
                poll_outcome_done(&o);
        }
        t->ack = ack_request_free(t->ack); /* its reports are out */
        task_check_timeout(t);
        task_persist_save(t);

        if (delay == USEC_INFINITY)
                scheduler_unplan(w->scheduler, &t->sched); /* terminal: no more polls */
        else
                scheduler_plan(w->scheduler, &t->sched, delay);

        watcher_status_changed(w);
        watcher_check_done(w);
}

#define container_of(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))

/* Sign and send one poll: the scheduler took a token for it, and watcher_on_ready() found
 * credentials. Failures to even start are treated like a failed poll. */
void watched_task_on_due(SchedulerEntry *e, void *userdata) {
        WatchedTask *t = container_of(e, WatchedTask, sched);
        Watcher *w = t->watcher;
        const Credentials *creds = w->ready_credentials;
        _cleanup_(ack_request_freep) AckRequest *req = NULL;
        int r;

        if (t->request)
                return; /* in flight already: its reply plans the next poll */

        r = ack_request_describe_task(&req, w->endpoint, t->tracker.task_id, creds, time(NULL), NULL);
        if (r >= 0)
                r = http_pool_get(w->pool, req->url, req->headers, task_on_response, t, &t->request);
        if (r >= 0) {
                /* Kept while in flight: a signature report quotes its canonical request hash. */
                ack_request_free(t->ack);
                t->ack = TAKE_PTR(req);
        } else {
                t->request = NULL;
                /* The room was reserved with the task: this cannot fail, so the task is
                 * never left without a next poll. */
                scheduler_plan(w->scheduler, &t->sched, backoff_error_delay(&w->backoff, ++t->failures));
        }
}


/* A task begins once its saved state is known: it ends up done, or with its first poll
 * planned within the first interval. 0, or the -errno of the restore, which left nothing
 * behind, so it can be tried again. */
int task_start(WatchedTask *t) {
        Watcher *w = t->watcher;
        int r;

        r = task_persist_restore(t);
        if (r < 0)
                return r;
        t->restored = true;
        if (t->lost)
                task_set_done(t, true);
        /* A task that ended while we watched it before stays ended: no more polls. */
        if (task_tracker_is_terminal(&t->tracker)) {
                task_set_done(t, true);
                scheduler_unplan(w->scheduler, &t->sched);
        } else
                scheduler_plan(w->scheduler, &t->sched, backoff_initial_delay(&w->backoff));
        task_hooks_resume(t);
        task_persist_save(t); /* when a bad file was discarded or a pending hook was dropped:
                               * new tasks wait for news */
        return 0;
}

int watched_task_new(WatchedTask **ret, Watcher *w, const char *id) {
        WatchedTask *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->watcher = w;
        t->sched.next_poll = USEC_INFINITY;
        r = task_tracker_init(&t->tracker, id);
        if (r < 0) {
                free(t);
                return r;
        }
        /* Not started: watcher_commit_config() starts it (task_start()), or has it restored. */
        *ret = t;
        return 0;
}
