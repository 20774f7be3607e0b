/* The watcher's own state, shared by the files that implement it (watcher.c, the config
 * plan/commit, STATUS= and status.json); the tasks see only its WatchContext. */
#pragma once

#include <stddef.h>

#include "watched-task.h"
#include "watch/watcher.h"

/* STATUS= is rebuilt at most this often: it walks every task. */
#define STATUS_INTERVAL (500 * USEC_PER_MSEC)

struct Watcher {
        WatchContext ctx;
        sd_event *event;
        CredentialsGetter get_credentials;
        void *credentials_userdata;
        bool awaiting_credentials; /* due polls wait until watcher_credentials_changed() */

        WatchedTask **tasks; /* sorted by id */
        size_t n_tasks;

        bool exit_when_done;
        bool exiting;
        sd_event_source *status_timer;
        usec_t status_sent;
        char *status_text; /* the STATUS= last sent */
        char *credentials_problem; /* why there are no credentials, NULL when there are */

        sd_event_source *restore_timer; /* starts the tasks not yet restored */
        size_t restore_cursor;     /* w->tasks before it are restored, or failed to be */
        bool restore_failed;       /* one of them failed: the pass starts over later */

        char *runtime_file;        /* runtime-status.c: next polls, for taskwatch status */
        usec_t runtime_written;    /* CLOCK_MONOTONIC */
        sd_event_source *runtime_timer; /* writes what changed within the interval, later */
};

/* watcher.c */
WatchedTask *watcher_find(const Watcher *w, const char *id);
void watcher_check_done(Watcher *w);
void watcher_restore_pending(Watcher *w); /* after tasks were added: restore them soon */
void watcher_persist_prune(Watcher *w);
void watcher_on_capacity(void *userdata);

/* watcher-status.c */
void watcher_status_changed(Watcher *w);
int watcher_on_status_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* runtime-status.c */
void watcher_write_runtime_status(Watcher *w, bool force);
int watcher_on_runtime_timer(sd_event_source *s, uint64_t usec, void *userdata);
