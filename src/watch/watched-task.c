/* A watched task's life (timer, done-ness) and its poll cycle: sign, send, classify the
 * response, apply it, schedule the next poll. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ack/request.h"
#include "watcher-internal.h"

WatchedTask *task_free(WatchedTask *t) {
        if (!t)
                return NULL;
        if (t->done)
                t->watcher->n_done--;
        queue_remove(t->watcher, t);
        /* Its hooks run on, but must not find it when they finish. */
        hook_runner_forget_userdata(t->watcher->hooks, t);
        http_request_cancel(t->request);
        task_unschedule(t);
        task_tracker_done(&t->tracker);
        free(t->error_key);
        free(t->last_error);
        ack_request_free(t->ack);
        task_record_free(t->hooks);
        free(t);
        return NULL;
}

/* ---- the planned polls: a min-heap on next_poll (watcher-internal.h) ---------------- */

static void timers_set(Watcher *w, size_t i, WatchedTask *t) {
        w->timers[i] = t;
        t->timer_index = (uint32_t) (i + 1);
}

static void timers_up(Watcher *w, size_t i) {
        WatchedTask *t = w->timers[i];

        while (i > 0) {
                size_t parent = (i - 1) / 2;
                if (w->timers[parent]->next_poll <= t->next_poll)
                        break;
                timers_set(w, i, w->timers[parent]);
                i = parent;
        }
        timers_set(w, i, t);
}

static void timers_down(Watcher *w, size_t i) {
        WatchedTask *t = w->timers[i];

        for (;;) {
                size_t c = 2 * i + 1;
                if (c >= w->n_timers)
                        break;
                if (c + 1 < w->n_timers && w->timers[c + 1]->next_poll < w->timers[c]->next_poll)
                        c++;
                if (t->next_poll <= w->timers[c]->next_poll)
                        break;
                timers_set(w, i, w->timers[c]);
                i = c;
        }
        timers_set(w, i, t);
}

static void timers_remove(Watcher *w, WatchedTask *t) {
        size_t i = t->timer_index - 1;
        WatchedTask *last = w->timers[--w->n_timers];

        t->timer_index = 0;
        if (i == w->n_timers)
                return;
        timers_set(w, i, last);
        timers_up(w, i);
        timers_down(w, last->timer_index - 1);
}

static int watcher_on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* The timer goes off for the earliest poll, within that poll's accuracy, so that sd-event can
 * merge it with other wake-ups; every poll due by then goes with it. */
static int timers_arm(Watcher *w) {
        WatchedTask *head;
        int r;

        if (w->n_timers == 0)
                return w->poll_timer ? sd_event_source_set_enabled(w->poll_timer, SD_EVENT_OFF) : 0;
        head = w->timers[0];
        if (!w->poll_timer) {
                r = sd_event_add_time(w->event, &w->poll_timer, CLOCK_MONOTONIC, head->next_poll,
                                      head->timer_accuracy, watcher_on_poll_timer, w);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_description(w->poll_timer, "task-poll");
                return 0;
        }
        r = sd_event_source_set_time(w->poll_timer, head->next_poll);
        if (r >= 0)
                r = sd_event_source_set_time_accuracy(w->poll_timer, head->timer_accuracy);
        if (r >= 0)
                r = sd_event_source_set_enabled(w->poll_timer, SD_EVENT_ONESHOT);
        return r;
}

static int watcher_on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Watcher *w = userdata;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        while (w->n_timers > 0 && w->timers[0]->next_poll <= now) {
                WatchedTask *t = w->timers[0];

                timers_remove(w, t);
                queue_push(w, t);
        }
        if (timers_arm(w) < 0)
                /* Without the timer no poll would start again: try once more from the loop. */
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        watcher_pump(w);
        return 0;
}

int task_schedule(WatchedTask *t, usec_t delay) {
        Watcher *w = t->watcher;
        /* Let sd-event coalesce wake-ups of many tasks; a tenth of the delay is noise. */
        usec_t accuracy = delay / 10;
        bool was_head = t->timer_index == 1;

        if (accuracy > 250 * USEC_PER_MSEC)
                accuracy = 250 * USEC_PER_MSEC;
        if (accuracy < USEC_PER_MSEC)
                accuracy = USEC_PER_MSEC;

        if (t->timer_index == 0) {
                if (w->n_timers >= UINT32_MAX - 1)
                        return -E2BIG;
                if (w->n_timers == w->cap_timers) {
                        size_t n = w->cap_timers > 0 ? w->cap_timers * 2 : 64;
                        WatchedTask **a = reallocarray(w->timers, n, sizeof(*a));
                        if (!a)
                                return -ENOMEM;
                        w->timers = a;
                        w->cap_timers = n;
                }
                timers_set(w, w->n_timers++, t);
        }
        t->next_poll = now_usec(CLOCK_MONOTONIC) + delay;
        t->timer_accuracy = (uint32_t) accuracy;
        timers_up(w, t->timer_index - 1);
        timers_down(w, t->timer_index - 1);
        if (was_head || t->timer_index == 1)
                return timers_arm(w);
        return 0;
}

/* No poll planned (a terminal task, or one going away); next_poll is the caller's. */
void task_unschedule(WatchedTask *t) {
        Watcher *w = t->watcher;
        bool was_head = t->timer_index == 1;

        if (t->timer_index == 0)
                return;
        timers_remove(w, t);
        if (was_head)
                (void) timers_arm(w);
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

int compare_task_id(const void *key, const void *elem) {
        return strcmp(key, (*(WatchedTask *const *) elem)->tracker.task_id);
}

WatchedTask *watcher_find(const Watcher *w, const char *id) {
        if (w->n_tasks == 0)
                return NULL; /* tasks may be NULL, which bsearch must not see */
        WatchedTask **t = bsearch(id, w->tasks, w->n_tasks, sizeof(*w->tasks), compare_task_id);
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
                rate_limiter_on_throttled(&w->limiter, now_usec(CLOCK_MONOTONIC));
                delay = backoff_throttle_delay(&w->backoff, t->failures, o->retry_after);
        } else
                delay = backoff_error_delay(&w->backoff, t->failures);

        /* A retry sooner than the task's normal schedule is an extra request: only from the
         * retry budget, so a storm of errors cannot multiply the request rate. */
        usec_t normal = backoff_poll_delay(&w->backoff, t->unchanged);
        if (delay < normal && !rate_limiter_take_retry(&w->limiter))
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
                        rate_limiter_on_success(&w->limiter);
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

        if (delay == USEC_INFINITY) {
                /* Terminal: no more polls. */
                task_unschedule(t);
                t->next_poll = USEC_INFINITY;
        } else if (task_schedule(t, delay) < 0) {
                /* Without a timer the task would be silently forgotten: poll again now. */
                queue_push(w, t);
        }

        watcher_status_changed(w);
        watcher_check_done(w);
}

/* Sign and send one poll. Failures to even start are treated like a failed poll. */
void task_start_poll(WatchedTask *t) {
        Watcher *w = t->watcher;
        const Credentials *creds = w->get_credentials(w->credentials_userdata);
        _cleanup_(ack_request_freep) AckRequest *req = NULL;
        int r;

        if (!creds) {
                /* Nothing to sign with: wait for the credentials rather than send a request
                 * bound to fail. The credential layer reports why, and says when they are
                 * back (watcher_credentials_changed()). */
                t->awaiting_credentials = true;
                watcher_status_changed(w);
                return;
        }

        r = ack_request_describe_task(&req, w->endpoint, t->tracker.task_id, creds, time(NULL), NULL);
        if (r >= 0)
                r = http_pool_get(w->pool, req->url, req->headers, task_on_response, t, &t->request);
        if (r >= 0) {
                /* Kept while in flight: a signature report quotes its canonical request hash. */
                ack_request_free(t->ack);
                t->ack = TAKE_PTR(req);
        } else {
                t->request = NULL;
                (void) task_schedule(t, backoff_error_delay(&w->backoff, ++t->failures));
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
                t->next_poll = USEC_INFINITY;
        } else if (task_schedule(t, backoff_initial_delay(&w->backoff)) < 0)
                queue_push(w, t); /* no room in the timer heap: poll now instead */
        task_hooks_resume(t);
        task_persist_save(t); /* when a bad file was discarded or a pending hook was dropped:
                               * new tasks wait for news */
        return 0;
}

int task_new(WatchedTask **ret, Watcher *w, const char *id) {
        WatchedTask *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->watcher = w;
        t->next_poll = USEC_INFINITY;
        r = task_tracker_init(&t->tracker, id);
        if (r < 0) {
                free(t);
                return r;
        }
        /* With a store, the watcher restores its tasks after READY=1, in slices of the
         * loop (watcher_restore_pending()): reading 10 000 records takes ~0.3 s. */
        if (!w->store) {
                r = task_start(t);
                if (r < 0) {
                        task_free(t);
                        return r;
                }
        }
        *ret = t;
        return 0;
}
