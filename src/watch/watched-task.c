/* A watched task's life (start, done-ness) and what one poll's outcome does to it, in this
 * order and in one place: emit each transition, submit its hooks (recorded pending in the
 * ledger), persist, plan the next poll. */
#include "watched-task.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "api-outage.h"
#include "task-hooks.h"
#include "task-persist.h"
#include "task-report.h"
#include "util/log.h"
#include "util/strutil.h"

/* A reply with more transitions than this emits them this many per turn of the event loop,
 * so that the loop, and the watchdog, never wait long for one reply: 100 000 instances
 * failing at once took 6 s to emit, journald taking each entry in turn. The reply's
 * outcome is saved, and its hooks start, once the last batch is out. */
#define EMIT_BATCH 2000

typedef struct TaskEmission {
        TransitionList list;
        size_t next;          /* the first not yet emitted */
        char *request_id;     /* the events borrowed the reply's */
        TaskHookInput input;  /* its own copy: the reply goes when its callback returns */
        usec_t delay;         /* the next poll, planned once the last batch is out */
        sd_event_source *source;
} TaskEmission;

static TaskEmission *task_emission_free(WatchedTask *t, TaskEmission *em) {
        if (!em)
                return NULL;
        em->source = sd_event_source_disable_unref(em->source);
        transition_list_done(&em->list);
        free(em->request_id);
        task_hook_input_done(&em->input);
        free(em);
        hook_runner_release(t->ctx->hooks);
        return NULL;
}

static void task_reply_finish(WatchedTask *t, usec_t delay);

static void task_set_done(WatchedTask *t, bool done) {
        if (t->done == done)
                return;
        t->done = done;
        if (done)
                t->ctx->n_done++;
        else
                t->ctx->n_done--;
}

int watched_task_compare_id(const void *key, const void *elem) {
        return strcmp(key, (*(WatchedTask *const *) elem)->tracker.task_id);
}

int watched_task_new(WatchedTask **ret, WatchContext *ctx, const char *id) {
        WatchedTask *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->ctx = ctx;
        t->sched.next_poll = USEC_INFINITY;
        r = task_tracker_init(&t->tracker, id);
        if (r < 0) {
                free(t);
                return r;
        }
        ctx->n_tasks++;
        *ret = t;
        return 0;
}

WatchedTask *watched_task_free(WatchedTask *t) {
        if (!t)
                return NULL;
        if (t->done)
                t->ctx->n_done--;
        t->ctx->n_tasks--;
        api_outage_forget(t);
        scheduler_forget(t->ctx->scheduler, &t->sched);
        /* Its hooks run on, but must not find it when they finish. */
        hook_runner_forget_userdata(t->ctx->hooks, t);
        task_hooks_forget_retries(t);
        poll_call_cancel(t->call);
        t->emitting = task_emission_free(t, t->emitting); /* the rest is emitted again at start */
        task_tracker_done(&t->tracker);
        free(t->error_key);
        free(t->last_error);
        hook_ledger_free(t->hooks);
        free(t);
        return NULL;
}

int watched_task_start(WatchedTask *t) {
        WatchContext *w = t->ctx;
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

/* The transitions, each emitted and then handed to the hooks with the reply on stdin: the
 * reply's length is known, and its one copy shared by all its hooks, so the work is
 * O(reply + events), never O(events × reply) (100 000 instances failing in one 8 MiB reply
 * must not hold the loop past the watchdog). */
static void task_emit_range(WatchedTask *t, const TransitionList *l, size_t from, size_t to,
                            TaskHookInput *in) {
        for (size_t i = from; i < to; i++) {
                const Event *e = &l->items[i].event;

                event_emit(t->ctx->sink, e);
                task_hooks_submit(t, e, in);
        }
}

static int task_emission_on_turn(sd_event_source *s, void *userdata) {
        WatchedTask *t = userdata;
        TaskEmission *em = t->emitting;
        size_t to = em->next + EMIT_BATCH < em->list.n ? em->next + EMIT_BATCH : em->list.n;
        usec_t delay = em->delay;

        task_emit_range(t, &em->list, em->next, to, &em->input);
        em->next = to;
        if (to < em->list.n)
                return 0;
        /* Saved before the hold on the hooks goes: none starts before its pending record. */
        task_persist_save(t);
        t->emitting = task_emission_free(t, em);
        if (delay == USEC_INFINITY && task_tracker_is_terminal(&t->tracker))
                task_set_done(t, true);
        task_reply_finish(t, delay);
        return 0;
}

/* Takes *l over and emits it in batches; false (out of memory: *l untouched) to emit now. */
static bool task_emission_start(WatchedTask *t, TransitionList *l, const AckReply *o) {
        WatchContext *w = t->ctx;
        TaskEmission *em = calloc(1, sizeof(*em));

        if (!em)
                return false;
        if ((o->request_id && !(em->request_id = strdup(o->request_id))) ||
            (o->body && o->body_len > 0 && shared_buf_new(&em->input.buf, o->body, o->body_len) < 0) ||
            sd_event_add_defer(w->event, &em->source, task_emission_on_turn, t) < 0 ||
            sd_event_source_set_enabled(em->source, SD_EVENT_ON) < 0) {
                em->source = sd_event_source_disable_unref(em->source);
                task_hook_input_done(&em->input);
                free(em->request_id);
                free(em);
                return false;
        }
        (void) sd_event_source_set_description(em->source, "task-emission");
        em->list = *l;
        *l = (TransitionList) {};
        for (size_t i = 0; i < em->list.n; i++)
                em->list.items[i].event.request_id = em->request_id;
        hook_runner_hold(w->hooks);
        t->emitting = em;
        return true;
}

static void task_emit_transitions(WatchedTask *t, TransitionList *l, const AckReply *o) {
        _cleanup_(task_hook_input_done) TaskHookInput in = { .body = o->body, .len = o->body_len };

        if (l->n > EMIT_BATCH && task_emission_start(t, l, o))
                return;
        task_emit_range(t, l, 0, l->n, &in);
}

/* o->info NULL: the reply is the one applied last (PollMemo), nothing changed. */
static usec_t task_handle_ok(WatchedTask *t, const AckReply *o) {
        WatchContext *w = t->ctx;
        _cleanup_(transition_list_done) TransitionList transitions = {};
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
        if (!api_outage_on_success(t)) /* else its recovery is the outage's */
                task_report_recovered(t, o, failures);

        r = o->info ? task_tracker_apply(&t->tracker, o->info, o->request_id, &transitions) : 0;
        if (r < 0) {
                /* Out of memory: nothing was recorded, so the next reply reports it all. */
                t->memo.len = 0;
                return backoff_error_delay(&w->backoff, 1);
        }
        if (t->tracker.n_dropped > 0 && !t->cap_reported) {
                /* Once per run of the daemon: a server listing new ids in every reply would
                 * say it every poll. */
                t->cap_reported = true;
                log_warning("%s: more than %u instances listed over time; %zu no longer listed "
                            "were forgotten (their next change is reported as new); watching goes on",
                            t->tracker.task_id, TASK_TRACKER_MAX_INSTANCES, t->tracker.n_dropped);
        }
        task_emit_transitions(t, &transitions, o);
        if (r > 0) {
                t->unchanged = 0;
                t->dirty = true;
                if (!had_baseline || phase_before != t->tracker.now.phase ||
                    !streq_ptr(state_before, t->tracker.now.state))
                        t->state_since = now_usec(CLOCK_REALTIME);
        } else if (t->unchanged < 64)
                t->unchanged++;

        if (task_tracker_is_terminal(&t->tracker)) {
                /* Done once its transitions are out: --exit-when-done must not exit while a
                 * big reply's batches are still going out. */
                if (!t->emitting)
                        task_set_done(t, true);
                return USEC_INFINITY;
        }
        return backoff_poll_delay(&w->backoff, t->unchanged);
}

static usec_t task_handle_failure(WatchedTask *t, const AckReply *o) {
        WatchContext *w = t->ctx;
        usec_t delay;

        if (t->failures < 64)
                t->failures++;

        if (o->kind == ACK_REPLY_NOT_FOUND) {
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

        if (o->kind == ACK_REPLY_THROTTLED) {
                rate_limiter_on_throttled(scheduler_budget(w->scheduler), now_usec(CLOCK_MONOTONIC));
                delay = backoff_throttle_delay(&w->backoff, t->failures, o->retry_after);
        } else
                delay = backoff_error_delay(&w->backoff, t->failures);

        /* A retry sooner than the task's normal schedule is an extra request: only from the
         * retry budget, so a storm of errors cannot multiply the request rate. */
        usec_t normal = backoff_poll_delay(&w->backoff, t->unchanged);
        if (delay < normal && !rate_limiter_take_retry(scheduler_budget(w->scheduler)))
                delay = normal;

        if (!api_outage_on_failure(t, o)) /* else the account-level event said it */
                task_report_error(t, o, delay);
        return delay;
}

/* TaskTimeout=: said once, and the task is still watched. Measured from when watching
 * began (kept across restarts), which the daemon knows for sure; the API's "created" may be
 * missing or in another clock's format. */
static void task_check_timeout(WatchedTask *t) {
        WatchContext *w = t->ctx;
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
                    format_timespan_human(span, sizeof(span), w->task_timeout), e.task_stage ?: "-");
}

void watched_task_on_reply(const AckReply *o, void *userdata) {
        WatchedTask *t = userdata;
        WatchContext *w = t->ctx;
        usec_t delay;

        t->call = NULL; /* the poller frees it after this */
        if (!o) /* out of memory classifying the response */
                delay = backoff_error_delay(&w->backoff, ++t->failures);
        else {
                if (o->http_status > 0)
                        t->last_poll = now_usec(CLOCK_REALTIME);
                if (o->kind == ACK_REPLY_OK)
                        rate_limiter_on_success(scheduler_budget(w->scheduler));
                delay = o->kind == ACK_REPLY_OK ? task_handle_ok(t, o) : task_handle_failure(t, o);
        }
        if (t->emitting) {
                t->emitting->delay = delay; /* the rest once its last batch is out */
                return;
        }
        task_reply_finish(t, delay);
}

static void task_reply_finish(WatchedTask *t, usec_t delay) {
        WatchContext *w = t->ctx;

        task_check_timeout(t);
        task_persist_save(t);

        if (delay == USEC_INFINITY)
                scheduler_unplan(w->scheduler, &t->sched); /* terminal: no more polls */
        else
                scheduler_plan(w->scheduler, &t->sched, delay);
        w->on_task_changed(w);
}

void watched_task_on_due(SchedulerEntry *e, void *userdata) {
        WatchedTask *t = container_of(e, WatchedTask, sched);
        WatchContext *w = t->ctx;
        int r;

        if (t->call || t->emitting)
                return; /* in flight already, or its reply still going out: that plans the next poll */
        r = poller_describe_task(w->poller, t->tracker.task_id, w->ready_credentials, &t->memo,
                                 watched_task_on_reply, t, &t->call);
        if (r < 0) {
                /* Failing to even start is a failed poll. The room in the heap was reserved
                 * with the task: this cannot fail, so the task always has a next poll. */
                t->call = NULL;
                scheduler_plan(w->scheduler, &t->sched, backoff_error_delay(&w->backoff, ++t->failures));
        }
}

void watched_task_abandon_poll(WatchedTask *t) {
        if (!t->call)
                return;
        t->call = poll_call_cancel(t->call);
        scheduler_enqueue(t->ctx->scheduler, &t->sched);
}
