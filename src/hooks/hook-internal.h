/* What the files of the hook runner share: its objects, and the job and output helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hooks/hook-runner.h"
#include "util/shared-buf.h"

/* One submitted event and every command it runs; shared by those runs. */
typedef struct HookJob {
        unsigned n_ref;
        char *key;
        void *userdata; /* the submitter's, handed to on_done; NULL once forgotten */
        EventKind kind;
        char *task_id, *cluster_id, *task_type, *instance_id;
        char **env;
        SharedBuf *input;      /* the reply, on every run's stdin; shared with the other jobs of
                                * that reply, never copied per job; NULL: none */
        HookCommand *commands; /* n_runs, copies */
        char **names;          /* n_runs, "OnTaskFailed#2" */
        HookRunResult *results;
        size_t n_runs, n_left, n_failed;
} HookJob;

typedef struct HookRun HookRun;

typedef struct HookStream {
        HookRun *run;
        const char *name; /* "stdout", "stderr" */
        int fd;
        sd_event_source *io;
        char line[HOOK_OUTPUT_LINE_MAX + 1];
        size_t len, total;
        bool eof, dropping;
} HookStream;

struct HookRun {
        HookRunner *runner;
        HookJob *job;
        size_t index; /* into job->commands and ->results */
        usec_t timeout, kill_grace, started;
        pid_t pid;
        sd_event_source *child, *timer;
        HookStream out, err;
        bool timed_out;
        HookRun *prev, *next;
};

typedef struct RunList {
        HookRun *head, *tail;
        size_t n;
} RunList;

struct HookRunner {
        sd_event *event;
        EventSink *sink;
        HookConfig config;
        RunList queued, running, finished;
        sd_event_source *pump; /* defer: starts runs and frees finished ones, from the loop */
        pid_t *leftovers; /* killed hooks' leftovers, parents first, for the pump to reap */
        size_t n_leftovers;
        unsigned n_holds;      /* hook_runner_hold()s not yet released: no run starts */
        bool journal;
        HookDoneCallback on_done;
        void *on_done_userdata;
        HookOutputCallback on_output;
        void *on_output_userdata;
};

/* A job for the commands e fires under triggers, holding copies of everything a run needs
 * but input, of which it takes a reference (may be NULL). Returns the number of commands
 * (0: *ret untouched), or -ENOMEM. One reference. */
int hook_job_new(HookJob **ret, const Event *e, const char *event_key, SharedBuf *input,
                 const HookConfig *config, unsigned triggers);
HookJob *hook_job_unref(HookJob *j);

/* Watches fd (non-blocking) for a run's output stream "stdout" or "stderr"; takes fd. */
int hook_stream_start(HookRun *run, HookStream *s, const char *name, int fd);
/* Reads what is there, at most max_reads times; false at end of file (or error). */
bool hook_stream_read(HookStream *s, unsigned max_reads);
/* Emits a last partial line. */
void hook_stream_flush(HookStream *s);
/* Stops watching and closes. */
void hook_stream_done(HookStream *s);
