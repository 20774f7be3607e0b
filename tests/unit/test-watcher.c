/* The watcher on a real sd_event, without credentials (so nothing is sent): a configuration
 * is planned without touching the running watcher, a failed plan changes nothing and says
 * nothing, a commit swaps it in; status.json does not go stale. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event-recorder.h"
#include "src/watch/watcher-private.h"
#include "test.h"
#include "watch-fixture.h"

#include "alloc-fail.h"

typedef struct Fixture {
        sd_event *event;
        EventRecorder rec;
        Watcher *w;
} Fixture;

static Fixture F;

/* Nothing can be signed with these: every poll fails to start. */
static const Credentials *unusable_credentials(void *userdata) {
        static const Credentials c = { .source = "test" };
        return &c;
}

static void setup_with(CredentialsGetter get) {
        memset(&F, 0, sizeof(F));
        recorder_init(&F.rec);
        if (sd_event_new(&F.event) < 0 || watcher_new(&F.w, F.event, F.rec.sink, get, NULL) < 0)
                abort();
}

static void setup(void) {
        setup_with(test_no_credentials);
}

static void teardown(void) {
        F.w = watcher_free(F.w);
        F.event = sd_event_unref(F.event);
        recorder_done(&F.rec);
}

#define CONFIG_A "[API]\nEndpoint=https://127.0.0.1:9\nMaxConnections=2\nMaxRequestsPerSecond=5\n" \
        "[Poll]\nMinInterval=5s\nMaxInterval=1min\n[Tasks]\nTask=T-1\nTask=T-2\n"
/* Another pool, backoff, budget; T-1 kept, T-2 removed, T-3 and T-4 added. */
#define CONFIG_B "[API]\nEndpoint=https://127.0.0.1:9\nMaxConnections=3\nMaxRequestsPerSecond=7\n" \
        "[Poll]\nMinInterval=7s\nMaxInterval=2min\n[Tasks]\nTask=T-1\nTask=T-3\nTask=T-4\n"

static size_t n_events(EventKind kind) {
        size_t n = 0;

        for (size_t i = 0; i < F.rec.n; i++)
                n += F.rec.events[i].kind == kind;
        return n;
}

/* Nothing that the failed reload could have touched differs from A. */
static void assert_still_config_a(Poller *pool, WatchedTask *t1, WatchedTask *t2) {
        ASSERT_TRUE(F.w->ctx.poller == pool);
        ASSERT_U64_EQ(F.w->ctx.backoff.min_interval, 5 * USEC_PER_SEC);
        ASSERT_U64_EQ(F.w->ctx.backoff.max_interval, 60 * USEC_PER_SEC);
        ASSERT_TRUE(scheduler_budget(F.w->ctx.scheduler)->max_rate == 5);
        ASSERT_INT_EQ(F.w->n_tasks, 2);
        ASSERT_TRUE(F.w->tasks[0] == t1);
        ASSERT_TRUE(F.w->tasks[1] == t2);
        ASSERT_INT_EQ(F.rec.n, 0);
}

/* Every allocation the reload's plan makes fails in turn: each failure leaves the watcher as
 * it was and emits nothing; once none fails, the commit makes the reload whole. */
static void test_a_failed_reload_changes_nothing(void) {
        _cleanup_(config_freep) Config *a = test_config_from_text(CONFIG_A), *b = test_config_from_text(CONFIG_B);
        Poller *pool;
        WatchedTask *t1, *t2;
        int r = -ENOMEM;
        long k;

        ALLOC_FAIL_REQUIRE();
        setup();
        ASSERT_OK(watcher_apply_config(F.w, a, false));
        pool = F.w->ctx.poller;
        t1 = F.w->tasks[0];
        t2 = F.w->tasks[1];
        recorder_clear(&F.rec);

        for (k = 0; k < 10000 && r < 0; k++) {
                WatcherPlan *p = NULL;

                alloc_fail_after = k;
                r = watcher_plan_config(F.w, b, &p);
                alloc_fail_reset();
                if (r < 0) {
                        ASSERT_INT_EQ(r, -ENOMEM);
                        assert_still_config_a(pool, t1, t2);
                } else
                        watcher_commit_config(F.w, p, true);
        }
        ASSERT_OK(r);
        ASSERT_TRUE(k > 1); /* the injection reached the plan at all */
        ASSERT_TRUE(F.w->ctx.poller != pool);
        ASSERT_U64_EQ(F.w->ctx.backoff.min_interval, 7 * USEC_PER_SEC);
        ASSERT_TRUE(scheduler_budget(F.w->ctx.scheduler)->max_rate == 7);
        ASSERT_INT_EQ(F.w->n_tasks, 3);
        ASSERT_TRUE(F.w->tasks[0] == t1);
        ASSERT_INT_EQ(n_events(EVENT_TASK_ADDED), 2);
        ASSERT_INT_EQ(n_events(EVENT_TASK_REMOVED), 1);
        teardown();
}

/* A plan is only a plan: no event, no change, until it is committed. */
static void test_a_plan_changes_nothing_until_committed(void) {
        _cleanup_(config_freep) Config *a = test_config_from_text(CONFIG_A), *b = test_config_from_text(CONFIG_B);
        _cleanup_(watcher_plan_freep) WatcherPlan *p = NULL;
        Poller *pool;
        WatchedTask *t1, *t2;

        setup();
        ASSERT_OK(watcher_apply_config(F.w, a, false));
        ASSERT_INT_EQ(F.rec.n, 0); /* not a reload: no task-added */
        pool = F.w->ctx.poller;
        t1 = F.w->tasks[0];
        t2 = F.w->tasks[1];

        ASSERT_OK(watcher_plan_config(F.w, b, &p));
        assert_still_config_a(pool, t1, t2);
        p = watcher_plan_free(p);
        assert_still_config_a(pool, t1, t2);

        ASSERT_OK(watcher_plan_config(F.w, b, &p));
        watcher_commit_config(F.w, TAKE_PTR(p), true);
        ASSERT_INT_EQ(F.w->n_tasks, 3);
        ASSERT_STR_EQ(F.w->tasks[1]->tracker.task_id, "T-3");
        ASSERT_INT_EQ(n_events(EVENT_TASK_ADDED), 2);
        ASSERT_INT_EQ(n_events(EVENT_TASK_REMOVED), 1);
        /* Every task has its first poll planned: none is forgotten. */
        for (size_t i = 0; i < F.w->n_tasks; i++)
                ASSERT_TRUE(F.w->tasks[i]->sched.heap_index > 0);
        teardown();
}

static bool file_contains(const char *path, const char *needle) {
        char buf[4096];
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                return false;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        return strstr(buf, needle) != NULL;
}

/* A change within 2 s of the last write is written once the 2 s are over, not left stale
 * until some later change. */
static void test_status_json_catches_up_after_a_quick_change(void) {
        _cleanup_(config_freep) Config *a = test_config_from_text(CONFIG_A), *b = test_config_from_text(CONFIG_B);
        char path[] = "/tmp/test-watcher-status.XXXXXX";
        int fd = mkstemp(path);
        usec_t end;

        ASSERT_TRUE(fd >= 0);
        close(fd);
        setup();
        watcher_set_runtime_file(F.w, path);
        ASSERT_OK(watcher_apply_config(F.w, a, false));
        watcher_write_runtime_status_now(F.w);
        ASSERT_TRUE(file_contains(path, "\"T-2\""));

        ASSERT_OK(watcher_apply_config(F.w, b, true)); /* within 2 s of that write */
        end = now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
        while (!file_contains(path, "\"T-4\"") && now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_TRUE(sd_event_run(F.event, 100 * USEC_PER_MSEC) >= 0);
        ASSERT_TRUE(file_contains(path, "\"T-4\""));
        ASSERT_TRUE(!file_contains(path, "\"T-2\""));
        teardown();
        unlink(path);
}

/* A poll that cannot even be started counts as a failed one and is planned again, never
 * dropped: the task keeps being polled. */
static void test_a_poll_that_cannot_start_is_planned_again(void) {
        _cleanup_(config_freep) Config *c = test_config_from_text("[API]\nEndpoint=https://127.0.0.1:9\n"
                                                   "[Poll]\nMinInterval=100ms\nMaxInterval=200ms\n"
                                                   "[Tasks]\nTask=T-1\n");
        usec_t end;

        setup_with(unusable_credentials);
        ASSERT_OK(watcher_apply_config(F.w, c, false));
        end = now_usec(CLOCK_MONOTONIC) + 5 * USEC_PER_SEC;
        while (F.w->tasks[0]->failures < 3 && now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_TRUE(sd_event_run(F.event, 100 * USEC_PER_MSEC) >= 0);
        ASSERT_TRUE(F.w->tasks[0]->failures >= 3); /* tried again and again */
        ASSERT_NULL(F.w->tasks[0]->call);
        ASSERT_TRUE(F.w->tasks[0]->sched.heap_index > 0 || F.w->tasks[0]->sched.queued);
        teardown();
}

TEST_MAIN(TEST_CASE(test_a_failed_reload_changes_nothing),
          TEST_CASE(test_a_poll_that_cannot_start_is_planned_again),
          TEST_CASE(test_a_plan_changes_nothing_until_committed),
          TEST_CASE(test_status_json_catches_up_after_a_quick_change))
