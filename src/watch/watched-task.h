/* One watched task: its poll cycle and what an outcome does to it, and the context the
 * watcher shares with all its tasks. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api-outage.h"
#include "hooks/hook-runner.h"
#include "poller.h"
#include "report/event.h"
#include "state/task-store.h"
#include "track/backoff.h"
#include "track/task-tracker.h"
#include "watch/scheduler.h"

/* A task the API says does not exist is believed after this many answers in a row. */
#define NOT_FOUND_CONFIRMATIONS 3U

typedef struct WatchContext WatchContext;

/* What the watcher shares with its tasks: owned by the watcher, which outlives them. */
struct WatchContext {
        EventSink *sink;
        Scheduler *scheduler;
        Poller *poller;
        AckObserver ack_observer;  /* told of every ACK call (the daemon's metrics), or NULL */
        void *ack_observer_userdata;
        const Credentials *ready_credentials; /* for the poll the scheduler calls due */
        BackoffPolicy backoff;
        usec_t task_timeout;       /* [Poll] TaskTimeout=, USEC_INFINITY: off */
        usec_t removed_retention;  /* [Tasks] RemovedRetention= */
        TaskStore *store;          /* NULL: nothing persists (one-shot runs) */
        HookRunner *hooks;         /* not owned; NULL: no hooks run */
        size_t n_hooks_running;    /* submitted events whose hooks have not all finished */
        usec_t hook_retry_delay;   /* before the first retry of hooks that could not start;
                                    * each next waits 4 times longer (tests shorten it) */
        size_t n_tasks;            /* tasks that exist (watched_task_new() to _free()) */
        size_t n_done;             /* tasks done */
        ApiOutage outages[_OUTAGE_CLASS_MAX]; /* api-outage.c, by OutageClass */
        unsigned outage_streak;    /* the account's last answered polls that failed alike */
        OutageClass outage_streak_class;
        char *last_error;          /* the newest error of any task, for STATUS= */
        sd_event *event;
        sd_event_source *sync_timer; /* task-persist.c: syncs the store soon after saves */
        bool sync_failed;
        /* Called back up when a task changed in a way STATUS= or --exit-when-done care
         * about; set at construction by the watcher. */
        void (*on_task_changed)(WatchContext *ctx);
};

/* ~10 000 of these in a big setup: hot fields first, packed; what few tasks need (the hook
 * bookkeeping) and what only a poll in flight needs sit behind pointers. */
typedef struct WatchedTask {
        WatchContext *ctx;
        TaskTracker tracker;
        PollCall *call;       /* in flight, or NULL */
        SchedulerEntry sched; /* its planned or due poll */
        PollMemo memo;        /* the last reply applied, not decoded again */
        char *error_key;      /* the last error reported, to report each fault once */
        char *last_error;     /* the same, for STATUS= */
        unsigned unchanged;   /* good polls in a row without a change */
        unsigned failures;    /* failed polls in a row */
        unsigned not_found;   /* "not found" answers in a row */
        bool lost;            /* not found, confirmed and reported */
        bool done;            /* terminal or lost: counts toward --exit-when-done */
        bool restored;        /* its saved state was read (watched_task_start()): it may be polled */
        bool cap_reported;    /* instances were dropped past TASK_TRACKER_MAX_INSTANCES: said once */
        uint8_t outage_class; /* OutageClass of its latest poll's failure (api-outage.c) */

        /* Kept in the store (task-persist.c) with the tracker's snapshot. */
        bool timeout_reported;  /* task-timed-out was emitted */
        bool dirty;             /* something kept in the store changed since the last save */
        bool save_failed;       /* the last save failed (reported once) */
        usec_t first_seen;      /* CLOCK_REALTIME when watching began (TaskTimeout=) */
        usec_t state_since;     /* CLOCK_REALTIME when the state last changed */
        usec_t last_poll;       /* CLOCK_REALTIME of the last reply */
        HookLedger *hooks;      /* NULL until a hook ran or is pending (task-hooks.c) */

        struct TaskEmission *emitting; /* a big reply's transitions going out in batches */
        struct HookRetry *hook_retries; /* events whose hooks could not start, to submit again */
} WatchedTask;

/* Not started: no events, no poll planned, nothing read. */
int watched_task_new(WatchedTask **ret, WatchContext *ctx, const char *id);
WatchedTask *watched_task_free(WatchedTask *t);
/* Watching begins once its saved state is known: it ends up done, or with its first poll
 * planned within the first interval, and its cut-off hook runs submitted again. 0, or the
 * -errno of the restore, which left nothing behind, so it can be tried again. */
int watched_task_start(WatchedTask *t);
/* The scheduler's due callback (a token is taken, credentials are in ctx). */
void watched_task_on_due(SchedulerEntry *e, void *userdata);
/* The poller's reply callback (userdata: the task): one outcome applied, in this order,
 * here only: each transition emitted and its hooks submitted and recorded pending, the
 * task saved, its next poll planned. Unit tests script replies through it. */
void watched_task_on_reply(const AckReply *o, void *userdata);
/* The poll in flight goes (a new pool): the task is due again at once. */
void watched_task_abandon_poll(WatchedTask *t);
int watched_task_compare_id(const void *key, const void *elem);
