/* The watcher's private types, shared by the files that implement it. */
#pragma once

#include "ack/request.h"
#include "http/http-pool.h"
#include "util/strutil.h"
#include "track/backoff.h"
#include "watch/poll-outcome.h"
#include "state/task-store.h"
#include "track/task-tracker.h"
#include "watch/scheduler.h"
#include "watch/watcher.h"

/* A task the API says does not exist is believed after this many answers in a row. */
#define NOT_FOUND_CONFIRMATIONS 3U
/* STATUS= is rebuilt at most this often: it walks every task. */
#define STATUS_INTERVAL (500 * USEC_PER_MSEC)

typedef struct WatchedTask WatchedTask;

/* ~10 000 of these in a big setup: hot fields first, packed; what few tasks need (the hook
 * bookkeeping) and what only a poll in flight needs (its signed request) sit behind pointers. */
struct WatchedTask {
        Watcher *watcher;
        TaskTracker tracker;
        HttpRequest *request;        /* in flight, or NULL */
        AckRequest *ack;             /* its signed request (for the canonical request hash in
                                      * signature reports), or NULL */
        SchedulerEntry sched; /* its planned or due poll */
        char *error_key;    /* the last error reported, to report each fault once */
        char *last_error;   /* the same, for STATUS= */
        /* The last reply applied to the tracker, as hash and length (0: none), so that the
         * same bytes again are not decoded: see task_reply_is_known() for the risk. */
        uint64_t reply_hash;
        uint32_t reply_len;
        unsigned unchanged; /* good polls in a row without a change */
        unsigned failures;  /* failed polls in a row */
        unsigned not_found; /* "not found" answers in a row */
        bool lost;          /* not found, confirmed and reported */
        bool done;          /* terminal or lost: counts toward --exit-when-done */
        bool restored;      /* its saved state was read (task_start()): it may be polled */

        /* Kept in the store (task-persist.c) with the tracker's snapshot. */
        bool timeout_reported;  /* task-timed-out was emitted */
        bool dirty;             /* something kept in the store changed since the last save */
        bool save_failed;       /* the last save failed (reported once) */
        usec_t first_seen;      /* CLOCK_REALTIME when watching began (TaskTimeout=) */
        usec_t state_since;     /* CLOCK_REALTIME when the state last changed */
        usec_t last_poll;       /* CLOCK_REALTIME of the last reply */
        TaskRecord *hooks;      /* only its hook fields: hooks_done, hooks_pending and
                                 * hook_inputs (task-hooks.c); NULL until a hook ran or is
                                 * pending (task_hooks_record()) */
};

struct Watcher {
        sd_event *event;
        EventSink *sink;
        CredentialsGetter get_credentials;
        void *credentials_userdata;

        HttpPool *pool;
        HttpPoolOptions pool_options;
        char *ca_file;
        char *endpoint;
        BackoffPolicy backoff;

        WatchedTask **tasks; /* sorted by id */
        size_t n_tasks;
        size_t n_done;
        Scheduler *scheduler;
        const Credentials *ready_credentials; /* what watcher_on_ready() found, for the poll */
        bool awaiting_credentials; /* due polls wait until watcher_credentials_changed() */

        bool exit_when_done;
        bool exiting;
        sd_event_source *status_timer;
        usec_t status_sent;
        char *status_text; /* the STATUS= last sent */
        char *last_error; /* the newest error of any task, for STATUS= */
        char *credentials_problem; /* why there are no credentials, NULL when there are */

        TaskStore *store;          /* NULL: nothing persists (one-shot runs) */
        sd_event_source *sync_timer; /* task-persist.c: syncs the store soon after saves */
        sd_event_source *restore_timer; /* task-persist.c: starts the tasks not yet restored */
        size_t restore_cursor;     /* w->tasks before it are restored, or failed to be */
        bool restore_failed;       /* one of them failed: the pass starts over later */
        bool sync_failed;
        usec_t task_timeout;       /* [Poll] TaskTimeout=, USEC_INFINITY: off */
        char *runtime_file;        /* runtime-status.c: next polls, for taskwatch status */
        usec_t runtime_written;    /* CLOCK_MONOTONIC */
        sd_event_source *runtime_timer; /* writes what changed within the interval, later */

        HookRunner *hooks;          /* not owned; NULL: no hooks run */
        size_t n_hooks_running;     /* submitted events whose hooks have not all finished */
        WatchedTask *applying;      /* the task whose reply is being applied, and that */
        const char *applying_body;  /* reply's body: the hooks' stdin */
};


/* watched-task.c: a task's life and its poll cycle. */
void task_set_done(WatchedTask *t, bool done);
int watched_task_new(WatchedTask **ret, Watcher *w, const char *id);
int task_start(WatchedTask *t);
WatchedTask *watched_task_free(WatchedTask *t);
void watched_task_on_due(SchedulerEntry *e, void *userdata);
WatchedTask *watcher_find(const Watcher *w, const char *id);
int watched_task_compare_id(const void *key, const void *elem);

/* task-report.c: error, recovery and not-found events, each fault once. */
void task_report_error(WatchedTask *t, const PollOutcome *o, usec_t delay);
void task_report_recovered(WatchedTask *t, const PollOutcome *o, unsigned failures);
void task_report_not_found(WatchedTask *t, const PollOutcome *o, usec_t delay);
void set_string(char **dst, char *value);

/* watcher-status.c */
void watcher_status_changed(Watcher *w);
int watcher_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* task-persist.c: the task's record in the store. */
int task_persist_restore(WatchedTask *t); /* 1 restored, 0 nothing to restore, -errno */
void task_persist_save(WatchedTask *t);   /* when dirty; a failure is reported, not returned */
void task_persist_forget(WatchedTask *t);
void watcher_persist_prune(Watcher *w);
void watcher_restore_pending(Watcher *w); /* after tasks were added: restore them soon */

/* task-hooks.c: hooks run once per event key of a task, pending runs kept in its record. */
void watcher_on_event(const Event *e, void *userdata);
void watcher_on_hooks_done(HookRunner *r, const char *event_key, const HookOutcome *o,
                           void *submission, void *userdata);
void task_hooks_resume(WatchedTask *t); /* submits the runs a restart cut off */
TaskRecord *task_hooks_record(WatchedTask *t); /* allocates t->hooks; NULL: out of memory */

/* runtime-status.c */
void watcher_write_runtime_status(Watcher *w, bool force);
int watcher_on_runtime_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* watcher.c */
void watcher_check_done(Watcher *w);
