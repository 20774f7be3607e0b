/* A watched task given scripted replies (no network: the watcher has no credentials, so it
 * never polls by itself): one outcome is applied in one place and order (events, hooks
 * recorded pending, saved, next poll), the finished hooks are recorded, and a task removed
 * while its hooks run is not touched when they finish. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "event-recorder.h"
#include "src/watch/task-report.h"
#include "src/hooks/hook-internal.h"
#include "src/watch/task-hooks.h"
#include "src/watch/watcher-private.h"
#include "test.h"
#include "watch-fixture.h"

typedef struct Fixture {
        sd_event *event;
        EventRecorder rec;
        HookConfig hooks;
        HookRunner *runner;
        Watcher *w;
        char dir[64];
} Fixture;

static Fixture F;

static void setup(bool with_store) {
        char *error = NULL;

        memset(&F, 0, sizeof(F));
        recorder_init(&F.rec);
        hook_config_init(&F.hooks);
        if (hook_config_add(&F.hooks, HOOK_ON_TASK_FAILED, "/bin/true", &error) < 0)
                abort();
        if (sd_event_new(&F.event) < 0 ||
            hook_runner_new(&F.runner, F.event, F.rec.sink, &F.hooks) < 0 ||
            watcher_new(&F.w, F.event, F.rec.sink, test_no_credentials, NULL) < 0)
                abort();
        hook_runner_set_journal(F.runner, false);
        if (with_store) {
                TaskStore *store = NULL;

                strcpy(F.dir, "/tmp/test-watched-task.XXXXXX");
                if (!mkdtemp(F.dir) || task_store_open(&store, F.dir, NULL) < 0)
                        abort();
                watcher_set_store(F.w, store);
        }
        if (watcher_set_hook_runner(F.w, F.runner) < 0)
                abort();
}

static void teardown(void) {
        char cmd[128];

        F.w = watcher_free(F.w);
        F.runner = hook_runner_free(F.runner);
        hook_config_done(&F.hooks);
        F.event = sd_event_unref(F.event);
        recorder_done(&F.rec);
        if (F.dir[0]) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
                (void) system(cmd);
        }
}

/* Runs the loop until *flag, for at most 10 s. */
static bool run_until(const bool *flag) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;

        while (!*flag && now_usec(CLOCK_MONOTONIC) < end)
                if (sd_event_run(F.event, 100 * USEC_PER_MSEC) < 0)
                        return false;
        return *flag;
}

static bool hooks_idle;

static bool run_until_hooks_idle(void) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;

        for (;;) {
                hooks_idle = F.w->ctx.n_hooks_running == 0 && hook_runner_n_running(F.runner) == 0 &&
                             hook_runner_n_queued(F.runner) == 0;
                if (hooks_idle || now_usec(CLOCK_MONOTONIC) >= end)
                        return hooks_idle;
                if (sd_event_run(F.event, 100 * USEC_PER_MSEC) < 0)
                        return false;
        }
}

#define FAILED_REPLY "{\"task_id\":\"T-1\",\"cluster_id\":\"c-1\",\"task_type\":\"nodepool_scaleout\"," \
        "\"state\":\"failed\",\"current_stage\":\"CreateInstances\",\"task_result\":[]}"

/* Hands the task FAILED_REPLY as the poller would. */
static void reply_failed(WatchedTask *t) {
        TaskInfo *info = NULL;

        if (task_info_parse(FAILED_REPLY, strlen(FAILED_REPLY), &info, NULL) < 0)
                abort();
        AckReply r = {
                .kind = ACK_REPLY_OK, .info = info, .http_status = 200, .request_id = "req-1",
                .body = FAILED_REPLY, .body_len = strlen(FAILED_REPLY),
        };
        watched_task_on_reply(&r, t);
        task_info_free(info);
}

static void test_a_reply_is_applied_in_one_place(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n");
        _cleanup_(task_record_freep) TaskRecord *saved = NULL;
        WatchedTask *t;

        setup(true);
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored)); /* restored from the (empty) store */
        ASSERT_TRUE(t->sched.heap_index > 0); /* its first poll planned */

        reply_failed(t);
        /* The transition went out, and its hooks were submitted and recorded pending ... */
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_TASK_FAILED), 1);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 1);
        ASSERT_INT_EQ(F.w->ctx.n_hooks_running, 1);
        ASSERT_NOT_NULL(t->hooks);
        ASSERT_NOT_NULL(hook_ledger_pending(t->hooks, "T-1/task-failed"));
        /* ... saved with them, before any hook ran ... */
        ASSERT_OK(task_store_load(F.w->ctx.store, "T-1", &saved, NULL));
        ASSERT_NOT_NULL(hook_ledger_pending(saved->hooks, "T-1/task-failed"));
        saved = task_record_free(saved);
        /* ... and a final task has no next poll. */
        ASSERT_TRUE(t->done);
        ASSERT_INT_EQ(t->sched.heap_index, 0);
        ASSERT_INT_EQ(watcher_n_done(F.w), 1);

        /* Once the hook finished, it is done, and saved so. */
        ASSERT_TRUE(run_until_hooks_idle());
        ASSERT_TRUE(hook_ledger_has_done(t->hooks, "T-1/task-failed"));
        ASSERT_NULL(hook_ledger_pending(t->hooks, "T-1/task-failed"));
        ASSERT_OK(task_store_load(F.w->ctx.store, "T-1", &saved, NULL));
        ASSERT_TRUE(hook_ledger_has_done(saved->hooks, "T-1/task-failed"));
        ASSERT_INT_EQ(saved->hooks->n_pending, 0);

        /* The same transition again (another reply) runs nothing again. */
        recorder_clear(&F.rec);
        t->tracker.have_baseline = false;
        reply_failed(t);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_TASK_FAILED), 1);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 0);
        teardown();
}

/* The runner hands the finished hooks back without a task to find: nothing touches the
 * freed task (valgrind-clean), and the count of running hooks still drops. */
static void test_a_task_removed_while_its_hooks_run_is_not_touched(void) {
        _cleanup_(config_freep) Config *a = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n"),
                                       *b = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-2\n");

        setup(false);
        ASSERT_OK(watcher_apply_config(F.w, a, false));
        reply_failed(F.w->tasks[0]);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 1);

        ASSERT_OK(watcher_apply_config(F.w, b, true)); /* T-1 goes while its hook waits */
        ASSERT_STR_EQ(F.w->tasks[0]->tracker.task_id, "T-2");
        ASSERT_TRUE(run_until_hooks_idle());
        ASSERT_INT_EQ(F.w->ctx.n_hooks_running, 0);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_HOOK_FINISHED), 1);
        teardown();
}

/* A retry delay is said as a person reads it (#16 item 11): "1.8s", not "1s 812ms". */
static void test_an_error_says_its_retry_rounded(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n");
        const RecordedEvent *e;
        WatchedTask *t;

        setup(false);
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        AckReply r = {
                .kind = ACK_REPLY_SERVER_ERROR, .http_status = 503, .code = "ServiceUnavailable",
                .message = "busy", .request_id = "req-1", .retry_after = 1555 * USEC_PER_MSEC,
        };
        task_report_error(t, &r, 1812 * USEC_PER_MSEC);
        e = recorder_find(&F.rec, EVENT_API_SERVER_ERROR);
        ASSERT_NOT_NULL(e);
        ASSERT_NOT_NULL(strstr(e->message, "retrying in 1.8s"));

        r.kind = ACK_REPLY_THROTTLED;
        r.http_status = 429;
        r.code = "Throttling";
        task_report_error(t, &r, 12400 * USEC_PER_MSEC);
        e = recorder_find(&F.rec, EVENT_API_THROTTLED);
        ASSERT_NOT_NULL(e);
        ASSERT_NOT_NULL(strstr(e->message, "server asks to wait 1.6s; retrying in 12s"));
        teardown();
}

/* Hands the task a reply (running) in which instances i-1 .. i-n have failed. */
static void reply_instances_failed(WatchedTask *t, size_t n) {
        _cleanup_(freep) char *body = NULL;
        size_t size = 256 + n * 48, len;
        TaskInfo *info = NULL;

        body = malloc(size);
        if (!body)
                abort();
        len = (size_t) snprintf(body, size, "{\"task_id\":\"T-1\",\"state\":\"running\",\"task_result\":[");
        for (size_t i = 1; i <= n; i++)
                len += (size_t) snprintf(body + len, size - len, "%s{\"data\":\"i-%zu\",\"status\":\"failed\"}",
                                         i > 1 ? "," : "", i);
        len += (size_t) snprintf(body + len, size - len, "]}");
        if (task_info_parse(body, len, &info, NULL) < 0)
                abort();
        AckReply r = {
                .kind = ACK_REPLY_OK, .info = info, .http_status = 200, .request_id = "req-2",
                .body = body, .body_len = len,
        };
        watched_task_on_reply(&r, t);
        task_info_free(info);
}

/* Issue 11, item 2: the hooks of one reply read one copy of it (each job used to copy the
 * whole body: 20 000 failing instances in a 6 MB reply passed 6 GB), and so does the
 * ledger that keeps it for a restart. */
static void test_the_hooks_of_one_reply_share_one_copy(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n");
        char *error = NULL;
        WatchedTask *t;
        SharedBuf *shared = NULL;
        size_t n = 0;

        setup(true);
        ASSERT_OK(hook_config_add(&F.hooks, HOOK_ON_INSTANCE_FAILED, "/bin/true", &error));
        ASSERT_OK(hook_runner_set_config(F.runner, &F.hooks));
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored));

        reply_instances_failed(t, 50);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_INSTANCE_FAILED), 50);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 50);
        for (HookRun *run = F.runner->queued.head; run; run = run->next, n++) {
                ASSERT_NOT_NULL(run->job->input);
                if (!shared)
                        shared = run->job->input;
                ASSERT_TRUE(run->job->input == shared);
        }
        ASSERT_INT_EQ(n, 50);
        ASSERT_INT_EQ(shared->n_ref, 51); /* 50 jobs and the ledger: the reply's own is gone */
        ASSERT_INT_EQ(t->hooks->n_inputs, 1);
        ASSERT_TRUE(t->hooks->inputs[0] == shared);
        ASSERT_TRUE(run_until_hooks_idle());
        ASSERT_INT_EQ(t->hooks->n_pending, 0);
        ASSERT_INT_EQ(t->hooks->n_inputs, 0);
        teardown();
}

/* A new watcher on the same store, as after a restart. */
static void restart_watcher(void) {
        TaskStore *store = NULL;

        F.w = watcher_free(F.w);
        if (watcher_new(&F.w, F.event, F.rec.sink, test_no_credentials, NULL) < 0 ||
            task_store_open(&store, F.dir, NULL) < 0)
                abort();
        watcher_set_store(F.w, store);
        if (watcher_set_hook_runner(F.w, F.runner) < 0)
                abort();
}

/* Issue 11, item 11: the last poll's time survives a restart (it used to be saved as 0). */
static void test_the_last_poll_is_restored(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n");
        WatchedTask *t;
        usec_t polled;

        setup(true);
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored));
        reply_failed(t);
        polled = t->last_poll;
        ASSERT_TRUE(polled > 0);
        ASSERT_TRUE(run_until_hooks_idle());

        restart_watcher();
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored));
        ASSERT_INT_EQ(t->last_poll, polled);
        teardown();
}

/* Issue 11, item 4: a task removed and added back (a drop-in emptied, then restored) finds
 * what it reported: the same failure fires nothing again. After RemovedRetention= of not
 * being watched, its record goes. */
static void test_a_removed_task_keeps_its_record_for_the_retention(void) {
        _cleanup_(config_freep) Config *with = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n"
                                                      "RemovedRetention=1h\n"),
                                       *without = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-2\n"
                                                         "RemovedRetention=1h\n");
        _cleanup_(task_record_freep) TaskRecord *saved = NULL;
        char path[128];
        WatchedTask *t;

        setup(true);
        ASSERT_OK(watcher_apply_config(F.w, with, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored));
        reply_failed(t);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_TASK_FAILED), 1);
        ASSERT_TRUE(run_until_hooks_idle());

        ASSERT_OK(watcher_apply_config(F.w, without, true)); /* T-1 goes ... */
        ASSERT_OK(task_store_load(F.w->ctx.store, "T-1", &saved, NULL)); /* ... its record stays */
        ASSERT_TRUE(hook_ledger_has_done(saved->hooks, "T-1/task-failed"));
        saved = task_record_free(saved);

        recorder_clear(&F.rec);
        ASSERT_OK(watcher_apply_config(F.w, with, true)); /* ... and comes back */
        t = watcher_find(F.w, "T-1");
        ASSERT_NOT_NULL(t);
        ASSERT_TRUE(run_until(&t->restored));
        reply_failed(t);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_TASK_FAILED), 0);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 0);

        /* Removed again, and left longer than the retention: pruned at the next change. */
        ASSERT_OK(watcher_apply_config(F.w, without, true));
        snprintf(path, sizeof(path), "%s/tasks/T-1.json", F.dir);
        struct timespec old[2] = { { .tv_sec = time(NULL) - 7200 }, { .tv_sec = time(NULL) - 7200 } };
        ASSERT_INT_EQ(utimensat(AT_FDCWD, path, old, 0), 0);
        ASSERT_OK(watcher_apply_config(F.w, without, true));
        ASSERT_INT_EQ(task_store_load(F.w->ctx.store, "T-1", &saved, NULL), -ENOENT);
        teardown();
}

/* Issue 11, item 3: hooks that could not start (execve() failing) are not done: they stay
 * pending, are submitted again with backoff TASK_HOOK_START_RETRIES times, each failure a
 * hook-failed event, and only then recorded as run. */
static void test_hooks_that_cannot_start_are_retried(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n");
        char *error = NULL;
        WatchedTask *t;
        usec_t end;

        setup(true);
        hook_config_done(&F.hooks);
        hook_config_init(&F.hooks);
        ASSERT_OK(hook_config_add(&F.hooks, HOOK_ON_TASK_FAILED, "/nonexistent/page-someone", &error));
        ASSERT_OK(hook_runner_set_config(F.runner, &F.hooks));
        F.w->ctx.hook_retry_delay = 10 * USEC_PER_MSEC;
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        t = F.w->tasks[0];
        ASSERT_TRUE(run_until(&t->restored));
        reply_failed(t);

        /* The first attempt fails: still pending, a retry planned. */
        end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (recorder_count(&F.rec, EVENT_HOOK_FAILED) < 1 && now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_TRUE(sd_event_run(F.event, 100 * USEC_PER_MSEC) >= 0);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_HOOK_FAILED), 1);
        ASSERT_TRUE(!hook_ledger_has_done(t->hooks, "T-1/task-failed"));
        ASSERT_NOT_NULL(hook_ledger_pending(t->hooks, "T-1/task-failed"));
        ASSERT_NOT_NULL(t->hook_retries);

        /* Then 3 more attempts (10, 40, 160 ms), each reported, and it is given up. */
        end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while ((t->hook_retries || F.w->ctx.n_hooks_running > 0) && now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_TRUE(sd_event_run(F.event, 100 * USEC_PER_MSEC) >= 0);
        ASSERT_NULL(t->hook_retries);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_HOOK_FAILED), 1 + TASK_HOOK_START_RETRIES);
        ASSERT_TRUE(hook_ledger_has_done(t->hooks, "T-1/task-failed"));
        teardown();
}

TEST_MAIN(TEST_CASE(test_a_reply_is_applied_in_one_place),
          TEST_CASE(test_hooks_that_cannot_start_are_retried),
          TEST_CASE(test_a_removed_task_keeps_its_record_for_the_retention),
          TEST_CASE(test_the_last_poll_is_restored),
          TEST_CASE(test_the_hooks_of_one_reply_share_one_copy),
          TEST_CASE(test_a_task_removed_while_its_hooks_run_is_not_touched),
          TEST_CASE(test_an_error_says_its_retry_rounded))
