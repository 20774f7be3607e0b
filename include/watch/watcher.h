/* The watcher: the set of watched tasks and the configuration they are watched with; it
 * drives their polls through one scheduler (one timer for all planned polls, a queue of due
 * ones, the request budget) and one connection pool. */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "ack/client.h"
#include "config/config.h"
#include "creds/credentials.h"
#include "hooks/hook-runner.h"
#include "report/event.h"
#include "state/task-store.h"

/* Exit codes of taskwatchd: distinct for every outcome a script may act on. */
enum {
        EXIT_ALL_SUCCEEDED = 0, /* --exit-when-done: every task succeeded, no instance failed;
                                 * otherwise: a clean stop */
        EXIT_TASK_FAILED = 1,   /* a task failed or was canceled, or an instance failed */
        EXIT_TIMEOUT = 2,       /* --timeout passed before every task was terminal */
        EXIT_TASK_NOT_FOUND = 3, /* a task does not exist (and none failed) */
        EXIT_CONFIG = 4,        /* bad configuration, options or credentials */
        EXIT_FATAL = 5,         /* a runtime failure: out of memory, event loop error */
        EXIT_INTERRUPTED = 6,   /* --exit-when-done: SIGTERM/SIGINT before every task was terminal */
};

typedef struct Watcher Watcher;

/* The one way the watcher asks for credentials: NULL when none are usable now; the poll is
 * then parked until watcher_credentials_changed() says they are back. */
typedef const Credentials *(*CredentialsGetter)(void *userdata);

int watcher_new(Watcher **ret, sd_event *event, EventSink *sink, CredentialsGetter get_credentials,
                void *userdata);
Watcher *watcher_free(Watcher *w);
DEFINE_POINTER_CLEANUP(Watcher, watcher_free)

/* Persist every task's state in store (taken over; NULL: none). Call before the first
 * watcher_apply_config(): each task is restored from the store when watching it begins. */
void watcher_set_store(Watcher *w, TaskStore *store);

/* Run the hooks of the watched tasks' transitions through r (not taken; it must outlive the
 * watcher), exactly once per event key and task: a key whose hooks ran, or are running, is
 * skipped; runs submitted but not finished are kept in the task's record (with a store) and
 * submitted again when watching the task begins after a restart. With --exit-when-done the
 * loop exits only once no hook runs. Call after watcher_set_store() and before the first
 * watcher_apply_config(). 0 or -ENOMEM. */
int watcher_set_hook_runner(Watcher *w, HookRunner *r);

/* Every ACK call the watcher makes is reported to f (the daemon's metrics; NULL: none).
 * Call before the first watcher_apply_config(): it applies to the pools made after it. */
void watcher_set_ack_observer(Watcher *w, AckObserver f, void *userdata);

typedef struct WatcherPlan WatcherPlan;
/* Everything a new configuration needs that can fail, done without changing the running
 * watcher: a new HTTP pool when endpoint/TLS/connection settings change, new WatchedTask
 * objects (not started, no events emitted), the new sorted task array. -errno, and the
 * watcher is exactly as before. The watcher keeps a reference to nothing in c. */
int watcher_plan_config(Watcher *w, const Config *c, WatcherPlan **ret);
/* Swaps the plan in; cannot fail: backoff, TaskTimeout, rate limit, pool, task set; emits
 * task-added / task-removed when is_reload; starts new tasks; frees what went. Takes plan.
 * Tasks kept keep their state and planned polls. */
void watcher_commit_config(Watcher *w, WatcherPlan *plan, bool is_reload);
/* Abandons a plan that was not committed (frees the tasks and pool it made). NULL-safe. */
WatcherPlan *watcher_plan_free(WatcherPlan *p);
DEFINE_POINTER_CLEANUP(WatcherPlan, watcher_plan_free)
/* plan + commit, for the first configuration. */
int watcher_apply_config(Watcher *w, const Config *c, bool is_reload);

/* When every task is terminal, exit the event loop with the code below. */
void watcher_set_exit_when_done(Watcher *w, bool enable);

/* The code --exit-when-done exits with, from the tasks' current state. */
int watcher_outcome(const Watcher *w);

size_t watcher_n_tasks(const Watcher *w);
size_t watcher_n_done(const Watcher *w);

/* The credentials became available (problem NULL) or unavailable (problem says why, for
 * STATUS=). Polls that came due while there were none are sent now. */
void watcher_credentials_changed(Watcher *w, const char *problem);

/* Publish when each task is polled next in path ($RUNTIME_DIRECTORY/status.json), for
 * `taskwatch status`: rewritten at most every 2 s while things change; NULL: none. */
void watcher_set_runtime_file(Watcher *w, const char *path);
void watcher_write_runtime_status_now(Watcher *w);
/* Remove it (at exit). */
void watcher_remove_runtime_status(Watcher *w);

/* Send STATUS= now (also sent by itself, at most twice a second, as things change). */
void watcher_update_status(Watcher *w);

/* ---- reading the tasks, for the daemon's metrics --------------------------------------- */

/* One watched task as a reader sees it: borrowed strings, valid until the callback returns
 * (or, for watcher_task_view(), until the loop turns). */
typedef struct WatcherTaskView {
        const char *id;
        /* "waiting" before the first reply, "not-found" once that is confirmed, else the
         * phase: "running", "paused", "succeeded", "failed", "canceled", "unknown". */
        const char *state;
        const char *task_type;  /* NULL before the first reply */
        const char *cluster_id; /* NULL before the first reply */
        const char *source;     /* where the task came from: "config" ([Tasks] Task=) */
        bool terminal;          /* done: terminal or confirmed not found */
        usec_t first_seen;      /* CLOCK_REALTIME when watching began (kept across restarts) */
        usec_t state_since;     /* CLOCK_REALTIME when its state last changed; 0: none yet */
        size_t n_pending, n_succeeded, n_failed; /* its instances by phase */
} WatcherTaskView;

typedef void (*WatcherTaskVisit)(const WatcherTaskView *v, void *userdata);

/* f sees every watched task once, in id order. f must not change the watcher. */
void watcher_foreach_task(const Watcher *w, WatcherTaskVisit f, void *userdata);
/* The task with that id in *ret: 0, or -ENOENT when it is not watched. */
int watcher_task_view(const Watcher *w, const char *id, WatcherTaskView *ret);
/* The request budget's rate in force now (requests per second): MaxRequestsPerSecond=, or
 * less while the API throttles. */
double watcher_budget_rate(const Watcher *w);
