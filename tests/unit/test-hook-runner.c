/* The hook runner against real child processes on a real sd-event loop: environment and
 * stdin, exit statuses, timeouts that leave the loop running, the concurrency bound, and
 * hooks that write or ignore a lot without blocking anything. Every wait is bounded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event-recorder.h"
#include "hooks/hook-runner.h"
#include "test.h"
#include "util/strutil.h"

#define MAX_DONE 16

typedef struct DoneRecord {
        char *key;
        void *submission;
        size_t n_runs, n_failed;
        HookRunResult runs[8];
        char *names[8];
} DoneRecord;

typedef struct Fixture {
        sd_event *event;
        EventRecorder rec;
        HookConfig config;
        HookRunner *runner;
        char dir[64];
        DoneRecord done[MAX_DONE];
        size_t n_done;
        StrBuf out, err; /* every output line, "\n"-terminated */
        size_t n_out_lines;
        size_t max_running;
} Fixture;

static Fixture F;

static void on_done(HookRunner *r, const char *key, const HookOutcome *o, void *submission,
                    void *userdata) {
        DoneRecord *d;

        if (F.n_done >= MAX_DONE)
                abort();
        d = &F.done[F.n_done++];
        d->key = strdup(key);
        d->submission = submission;
        d->n_runs = o->n_runs;
        d->n_failed = o->n_failed;
        for (size_t i = 0; i < o->n_runs && i < ELEMENTSOF(d->runs); i++) {
                d->runs[i] = o->runs[i];
                d->names[i] = strdup(o->runs[i].name);
                d->runs[i].name = d->names[i];
                d->runs[i].command = NULL; /* not kept */
        }
}

static void on_output(HookRunner *r, const char *key, const char *command, const char *stream,
                      const char *line, void *userdata) {
        StrBuf *b = strcmp(stream, "stdout") == 0 ? &F.out : &F.err;

        if (b == &F.out)
                F.n_out_lines++;
        if (strbuf_append(b, line, strlen(line)) < 0 || strbuf_append(b, "\n", 1) < 0)
                abort();
}

static void fixture_setup(void) {
        memset(&F, 0, sizeof(F));
        if (sd_event_new(&F.event) < 0)
                abort();
        recorder_init(&F.rec);
        hook_config_init(&F.config);
        strcpy(F.dir, "/tmp/test-hook-runner.XXXXXX");
        if (!mkdtemp(F.dir))
                abort();
}

static int fixture_start(void) {
        int r = hook_runner_new(&F.runner, F.event, F.rec.sink, &F.config);
        if (r < 0)
                return r;
        hook_runner_set_journal(F.runner, false);
        hook_runner_set_on_done(F.runner, on_done, NULL);
        hook_runner_set_on_output(F.runner, on_output, NULL);
        return 0;
}

static void fixture_teardown(void) {
        char cmd[128];

        F.runner = hook_runner_free(F.runner);
        hook_config_done(&F.config);
        recorder_done(&F.rec);
        F.event = sd_event_unref(F.event);
        for (size_t i = 0; i < F.n_done; i++) {
                free(F.done[i].key);
                for (size_t k = 0; k < F.done[i].n_runs && k < ELEMENTSOF(F.done[i].names); k++)
                        free(F.done[i].names[k]);
        }
        strbuf_clear(&F.out);
        strbuf_clear(&F.err);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
        if (system(cmd) != 0)
                fprintf(stderr, "# could not remove %s\n", F.dir);
}

static void add(HookTrigger t, const char *fmt, ...) _printf_(2, 3);
static void add(HookTrigger t, const char *fmt, ...) {
        char *line = NULL, *error = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (hook_config_add(&F.config, t, line, &error) < 0) {
                fprintf(stderr, "# %s: %s\n", line, error);
                abort();
        }
        free(line);
}

/* Turns the loop until n_done reaches n or timeout passes; tracks the most hooks running. */
static bool run_until_done(size_t n, usec_t timeout) {
        usec_t end = now_usec(CLOCK_MONOTONIC) + timeout;

        while (F.n_done < n) {
                usec_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= end || sd_event_run(F.event, end - now) < 0)
                        return false;
                if (F.runner && hook_runner_n_running(F.runner) > F.max_running)
                        F.max_running = hook_runner_n_running(F.runner);
        }
        return true;
}

static Event failed_event(void) {
        Event e = EVENT_INIT(EVENT_TASK_FAILED);
        e.task_id = "T-1";
        e.cluster_id = "c-9";
        e.task_type = "nodepool_scaleout";
        e.task_state = "failed";
        e.task_previous_state = "running";
        e.error_code = "ScaleFailed";
        e.error_message = "quota exceeded";
        return e;
}

static int submit_with(const Event *e, const char *json, void *userdata) {
        char *key = NULL;
        int r = hook_event_key(e, &key);
        if (r >= 0)
                r = hook_runner_submit(F.runner, e, key, json, json ? strlen(json) : 0, userdata);
        free(key);
        return r;
}

static int submit(const Event *e, const char *json) {
        return submit_with(e, json, NULL);
}

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        StrBuf b = {};
        char buf[4096];
        size_t n;

        if (!f)
                return NULL;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                if (strbuf_append(&b, buf, n) < 0)
                        abort();
        fclose(f);
        return strbuf_steal(&b);
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

static size_t count_lines(const char *text) {
        size_t n = 0;
        for (; text && *text; text++)
                n += *text == '\n';
        return n;
}

static void test_hook_gets_environment_and_stdin(void) {
        const char *json = "{\"task_id\":\"T-1\",\"state\":\"failed\",\"task_result\":[]}";
        char path[128], *stdin_copy = NULL;
        Event e = failed_event();

        fixture_setup();
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "must-not-leak", 1);
        setenv("TASKWATCHD_SECRET_THING", "must-not-leak", 1);
        unsetenv("LANG");
        add(HOOK_ON_TASK_FAILED, "/usr/bin/env");
        add(HOOK_ON_TRANSITION, "/bin/sh -c 'exec cat > \"$0\"' %s/stdin", F.dir);
        ASSERT_OK(fixture_start());

        ASSERT_INT_EQ(submit(&e, json), 2);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 2); /* nothing runs before the loop */
        ASSERT_INT_EQ(F.n_done, 0);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));

        ASSERT_STR_EQ(F.done[0].key, "T-1/task-failed");
        ASSERT_INT_EQ(F.done[0].n_runs, 2);
        ASSERT_INT_EQ(F.done[0].n_failed, 0);
        ASSERT_STR_EQ(F.done[0].runs[0].name, "OnTaskFailed#1");
        ASSERT_STR_EQ(F.done[0].runs[1].name, "OnTransition#1");
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, 0);
        ASSERT_INT_EQ(F.done[0].runs[1].exit_status, 0);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_HOOK_FINISHED), 2);
        ASSERT_INT_EQ(F.rec.n, 2);
        ASSERT_STR_EQ(F.rec.events[0].task_id, "T-1");

        /* Exactly this environment. */
        static const char *const want[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "TASKWATCH_EVENT=task-failed",
                "TASKWATCH_EVENT_KEY=T-1/task-failed",
                "TASK_ID=T-1",
                "CLUSTER_ID=c-9",
                "TASK_TYPE=nodepool_scaleout",
                "TASK_STATE=failed",
                "TASK_PREVIOUS_STATE=running",
                "ERROR_CODE=ScaleFailed",
                "ERROR_MESSAGE=quota exceeded",
        };
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                if (!has_line(F.out.data, want[i]))
                        TEST_FAIL_("missing %s in:\n%s", want[i], F.out.data);
        ASSERT_INT_EQ(count_lines(F.out.data), ELEMENTSOF(want));
        ASSERT_NULL(strstr(F.out.data, "must-not-leak"));

        snprintf(path, sizeof(path), "%s/stdin", F.dir);
        stdin_copy = read_file(path);
        ASSERT_STR_EQ(stdin_copy, json);
        free(stdin_copy);

        unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
        unsetenv("TASKWATCHD_SECRET_THING");
        fixture_teardown();
}

static void test_signals_are_unblocked_and_default_in_the_hook(void) {
        sigset_t mask;

        fixture_setup();
        /* As the daemon does for its signalfds; and an ignored SIGPIPE, as many programs do. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        add(HOOK_ON_TASK_FAILED, "/bin/grep -E ^Sig(Blk|Ign): /proc/self/status");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, 0);
        ASSERT_TRUE(has_line(F.out.data, "SigBlk:\t0000000000000000"));
        /* glibc's posix_spawn leaves its two internal signals (32, 33: SIGCANCEL and
         * SIGSETXID, which it reserves in every program) ignored; nothing else may be. */
        const char *ign = strstr(F.out.data, "SigIgn:\t");
        ASSERT_NOT_NULL(ign);
        ASSERT_INT_EQ(strtoull(ign + 8, NULL, 16) & ~0x180000000ULL, 0);
        sigprocmask(SIG_UNBLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_DFL);
        fixture_teardown();
}

static void test_exit_status_is_reported(void) {
        fixture_setup();
        /* It runs for over 10ms, so that its run time has parts a person need not read. */
        add(HOOK_ON_INSTANCE_FAILED, "/bin/sh -c 'echo oops >&2; sleep 0.02; exit 3'");
        ASSERT_OK(fixture_start());

        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);
        e.task_id = "T-2";
        e.instance_id = "i-3";
        e.instance_status = "failed";
        ASSERT_INT_EQ(submit(&e, "{}"), 1);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));

        ASSERT_STR_EQ(F.done[0].key, "T-2/instance-failed/i-3");
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, 3);
        ASSERT_INT_EQ(F.done[0].runs[0].signal, 0);
        ASSERT_TRUE(!F.done[0].runs[0].timed_out);
        ASSERT_INT_EQ(F.done[0].n_failed, 1);
        const RecordedEvent *r = recorder_find(&F.rec, EVENT_HOOK_FAILED);
        ASSERT_NOT_NULL(r);
        ASSERT_STR_EQ(r->task_id, "T-2");
        ASSERT_STR_EQ(r->instance_id, "i-3");
        ASSERT_NOT_NULL(strstr(r->message, "exited with status 3"));
        ASSERT_NOT_NULL(strstr(r->message, "OnInstanceFailed#1 (/bin/sh) for instance-failed"));
        /* Its run time rounded for a person ("after 6.6ms", not "after 6ms 601us"). */
        char span[FORMAT_TIMESPAN_MAX], tail[FORMAT_TIMESPAN_MAX + 8];
        snprintf(tail, sizeof(tail), " after %s",
                 format_timespan_human(span, sizeof(span), F.done[0].runs[0].duration));
        ASSERT_TRUE(strlen(r->message) > strlen(tail));
        ASSERT_STR_EQ(r->message + strlen(r->message) - strlen(tail), tail);
        ASSERT_TRUE(F.done[0].runs[0].duration >= 20 * USEC_PER_MSEC);
        ASSERT_NULL(strchr(span, ' '));
        /* The arguments could hold a webhook token: logs name the hook, not its arguments. */
        ASSERT_NULL(strstr(r->message, "oops"));
        ASSERT_STR_EQ(F.err.data, "oops\n");
        fixture_teardown();
}

static void test_a_hook_that_cannot_start_is_reported(void) {
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/nonexistent/page-someone");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].runs[0].spawn_error, -ENOENT);
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, -1);
        ASSERT_INT_EQ(F.done[0].n_failed, 1);
        const RecordedEvent *r = recorder_find(&F.rec, EVENT_HOOK_FAILED);
        ASSERT_NOT_NULL(r);
        ASSERT_NOT_NULL(strstr(r->message, "could not be started"));
        fixture_teardown();
}

typedef struct Tick {
        usec_t fired;
        size_t running;
} Tick;

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        Tick *t = userdata;
        t->fired = now_usec(CLOCK_MONOTONIC);
        t->running = hook_runner_n_running(F.runner);
        return 0;
}

static void test_a_hanging_hook_is_killed_and_the_loop_goes_on(void) {
        Tick tick = {};
        usec_t start;

        fixture_setup();
        F.config.timeout = 300 * USEC_PER_MSEC;
        add(HOOK_ON_TASK_FAILED, "/bin/sleep 1000");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);

        start = now_usec(CLOCK_MONOTONIC);
        ASSERT_OK(sd_event_add_time_relative(F.event, NULL, CLOCK_MONOTONIC, 100 * USEC_PER_MSEC,
                                             1, on_tick, &tick));
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));

        /* The timer fired on time, while the hook was still hanging. */
        ASSERT_TRUE(tick.fired > 0);
        ASSERT_TRUE(tick.fired - start >= 100 * USEC_PER_MSEC);
        ASSERT_TRUE(tick.fired - start < 250 * USEC_PER_MSEC);
        ASSERT_INT_EQ(tick.running, 1);

        ASSERT_TRUE(F.done[0].runs[0].timed_out);
        ASSERT_INT_EQ(F.done[0].runs[0].signal, SIGTERM);
        ASSERT_TRUE(F.done[0].runs[0].duration >= 300 * USEC_PER_MSEC);
        ASSERT_TRUE(F.done[0].runs[0].duration < 5 * USEC_PER_SEC);
        const RecordedEvent *r = recorder_find(&F.rec, EVENT_HOOK_TIMED_OUT);
        ASSERT_NOT_NULL(r);
        ASSERT_NOT_NULL(strstr(r->message, "timed out after 300ms and was stopped (SIGTERM)"));
        fixture_teardown();
}

static void test_a_hook_ignoring_sigterm_gets_sigkill(void) {
        fixture_setup();
        F.config.timeout = 200 * USEC_PER_MSEC;
        F.config.kill_grace = 200 * USEC_PER_MSEC;
        /* An ignored signal stays ignored across exec. */
        add(HOOK_ON_TASK_FAILED, "/bin/sh -c 'trap \"\" TERM; exec /bin/sleep 1000'");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));
        ASSERT_TRUE(F.done[0].runs[0].timed_out);
        ASSERT_INT_EQ(F.done[0].runs[0].signal, SIGKILL);
        ASSERT_TRUE(F.done[0].runs[0].duration >= 400 * USEC_PER_MSEC);
        ASSERT_INT_EQ(recorder_count(&F.rec, EVENT_HOOK_TIMED_OUT), 1);
        fixture_teardown();
}

static void test_at_most_max_concurrent_hooks_run_at_once(void) {
        long long start[5] = {}, end[5] = {};

        fixture_setup();
        F.config.max_concurrent = 2;
        /* Each hook notes when it starts and ends (CLOCK_MONOTONIC via /proc/uptime is too
         * coarse; date's nanoseconds are fine for a 150ms workload). */
        for (int i = 0; i < 5; i++)
                add(HOOK_ON_TRANSITION,
                    "/bin/sh -c 'echo start %d $(date +%%s%%N); /bin/sleep 0.15; echo end %d $(date +%%s%%N)'",
                    i, i);
        ASSERT_OK(fixture_start());
        Event e = EVENT_INIT(EVENT_TASK_STATE_CHANGED);
        e.task_id = "T-3";
        e.task_previous_state = "running";
        e.task_state = "paused";
        ASSERT_INT_EQ(submit(&e, NULL), 5);
        ASSERT_TRUE(run_until_done(1, 20 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].n_runs, 5);
        ASSERT_INT_EQ(F.done[0].n_failed, 0);
        ASSERT_INT_EQ(F.max_running, 2);

        for (const char *p = F.out.data; p && *p; p = strchr(p, '\n') + 1) {
                int i;
                long long t;
                if (sscanf(p, "start %d %lld", &i, &t) == 2 && i >= 0 && i < 5)
                        start[i] = t;
                else if (sscanf(p, "end %d %lld", &i, &t) == 2 && i >= 0 && i < 5)
                        end[i] = t;
        }
        for (int i = 0; i < 5; i++) {
                int overlapping = 0;
                ASSERT_TRUE(start[i] > 0 && end[i] > start[i]);
                for (int k = 0; k < 5; k++)
                        overlapping += start[k] <= start[i] && start[i] < end[k];
                ASSERT_TRUE(overlapping <= 2);
        }
        /* Queued in order: the last starts after the first two ended. */
        ASSERT_TRUE(start[4] >= end[0] || start[4] >= end[1]);
        fixture_teardown();
}

static void test_lots_of_output_does_not_block(void) {
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/usr/bin/seq 1 100000");
        /* One 5000-byte line comes in pieces of at most HOOK_OUTPUT_LINE_MAX. */
        add(HOOK_ON_TASK_FAILED, "/bin/sh -c '/usr/bin/head -c 5000 /dev/zero | /usr/bin/tr \"\\\\0\" x >&2'");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 2);
        ASSERT_TRUE(run_until_done(1, 20 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].n_failed, 0);
        ASSERT_INT_EQ(F.n_out_lines, 100000);
        ASSERT_TRUE(has_line(F.out.data, "1"));
        ASSERT_TRUE(has_line(F.out.data, "100000"));
        ASSERT_INT_EQ(count_lines(F.err.data), 3);
        ASSERT_INT_EQ(strcspn(F.err.data, "\n"), HOOK_OUTPUT_LINE_MAX);
        ASSERT_INT_EQ(F.err.len, 5000 + 3);
        fixture_teardown();
}

static void test_output_past_the_cap_is_read_and_dropped(void) {
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/usr/bin/seq 1 400000"); /* about 2.6 MB */
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(1, 20 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, 0); /* it was never blocked, nor killed */
        ASSERT_TRUE(F.out.len <= HOOK_OUTPUT_MAX + 100);
        ASSERT_TRUE(has_line(F.out.data, "(more output dropped: over 1 MiB)"));
        ASSERT_TRUE(!has_line(F.out.data, "400000"));
        fixture_teardown();
}

static void test_large_input_never_blocks(void) {
        size_t len = 8 * 1024 * 1024;
        char *json = malloc(len + 1);
        char want[32];

        ASSERT_NOT_NULL(json);
        memset(json, ' ', len);
        json[0] = '{';
        json[len - 1] = '}';
        json[len] = '\0';

        fixture_setup();
        F.config.timeout = 5 * USEC_PER_SEC; /* a block would show as a timeout */
        add(HOOK_ON_TASK_FAILED, "/bin/true");          /* never reads stdin */
        add(HOOK_ON_TASK_FAILED, "/usr/bin/wc -c");     /* reads all of it */
        add(HOOK_ON_TASK_FAILED, "/usr/bin/head -c 10"); /* reads a little */
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, json), 3);
        free(json);
        ASSERT_TRUE(run_until_done(1, 20 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].n_failed, 0);
        snprintf(want, sizeof(want), "%zu", len);
        ASSERT_TRUE(has_line(F.out.data, want));
        ASSERT_TRUE(has_line(F.out.data, "{         "));
        fixture_teardown();
}

static void test_a_command_under_two_triggers_runs_once(void) {
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/bin/echo once");
        add(HOOK_ON_TRANSITION, "/bin/echo   once");
        add(HOOK_ON_TASK_SUCCEEDED, "/bin/echo never");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        /* Not a transition: nothing queued, no on_done. */
        Event b = EVENT_INIT(EVENT_TASK_BASELINE);
        b.task_id = "T-1";
        ASSERT_INT_EQ(submit(&b, NULL), 0);
        ASSERT_INT_EQ(hook_runner_submit(F.runner, &e, NULL, NULL, 0, NULL), -EINVAL);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));
        ASSERT_STR_EQ(F.out.data, "once\n");
        ASSERT_INT_EQ(F.n_done, 1);
        fixture_teardown();
}

static void test_reload_changes_later_submissions(void) {
        HookConfig c;

        fixture_setup();
        F.config.max_concurrent = 1; /* for the order of the output */
        add(HOOK_ON_TASK_FAILED, "/bin/echo old");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);

        hook_config_init(&c);
        c.max_concurrent = 1;
        ASSERT_OK(hook_config_add(&c, HOOK_ON_TASK_FAILED, "/bin/echo new", NULL));
        ASSERT_OK(hook_runner_set_config(F.runner, &c));
        hook_config_done(&c);
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(2, 10 * USEC_PER_SEC));
        ASSERT_STR_EQ(F.out.data, "old\nnew\n");
        fixture_teardown();
}

/* The two-step reload: the commit takes the prepared copy over and leaves it empty. */
static void test_commit_config_takes_the_prepared_settings(void) {
        HookConfig c, prepared;

        fixture_setup();
        F.config.max_concurrent = 1;
        add(HOOK_ON_TASK_FAILED, "/bin/echo old");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);

        hook_config_init(&c);
        c.max_concurrent = 1;
        ASSERT_OK(hook_config_add(&c, HOOK_ON_TASK_FAILED, "/bin/echo new", NULL));
        ASSERT_OK(hook_config_copy(&prepared, &c));
        hook_config_done(&c);
        hook_runner_commit_config(F.runner, &prepared);
        ASSERT_INT_EQ(hook_config_n_commands(&prepared), 0);
        ASSERT_INT_EQ(hook_config_n_commands(hook_runner_get_config(F.runner)), 1);
        ASSERT_STR_EQ(hook_runner_get_config(F.runner)->commands[HOOK_ON_TASK_FAILED][0].line,
                      "/bin/echo new");
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(2, 10 * USEC_PER_SEC));
        ASSERT_STR_EQ(F.out.data, "old\nnew\n");
        fixture_teardown();
}

/* Waits (bounded) until pid has exited: a zombie or gone. */
static bool process_exits(pid_t pid, int timeout_ms) {
        int fd = pidfd_open(pid, 0);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        bool exited;

        if (fd < 0)
                return errno == ESRCH;
        exited = poll(&p, 1, timeout_ms) == 1;
        close(fd);
        return exited;
}

static void test_what_a_hook_leaves_behind_is_killed(void) {
        char path[128], *pid_text = NULL;
        pid_t pid;
        int status;

        /* The orphaned sleep comes to us rather than to a PID 1 that may not reap it. */
        ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/bin/sh -c '/bin/sleep 1000 & echo $! > \"$0\"' %s/pid", F.dir);
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 1);
        ASSERT_TRUE(run_until_done(1, 10 * USEC_PER_SEC));
        ASSERT_INT_EQ(F.done[0].runs[0].exit_status, 0);

        snprintf(path, sizeof(path), "%s/pid", F.dir);
        pid_text = read_file(path);
        ASSERT_NOT_NULL(pid_text);
        pid = (pid_t) atoi(pid_text);
        free(pid_text);
        ASSERT_TRUE(pid > 0);
        ASSERT_TRUE(process_exits(pid, 5000));
        ASSERT_INT_EQ(waitpid(pid, &status, WNOHANG), pid);
        ASSERT_TRUE(WIFSIGNALED(status));
        ASSERT_INT_EQ(WTERMSIG(status), SIGKILL);
        ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
        fixture_teardown();
}

static void test_freeing_the_runner_terminates_running_hooks(void) {
        char path[128], *pid_text = NULL;
        pid_t pid;
        int pidfd, status;
        usec_t end;

        fixture_setup();
        F.config.max_concurrent = 1;
        add(HOOK_ON_TASK_FAILED, "/bin/sh -c 'echo $$ > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"; exec /bin/sleep 1000' %s/pid", F.dir);
        add(HOOK_ON_TASK_FAILED, "/bin/echo queued, never runs");
        ASSERT_OK(fixture_start());
        Event e = failed_event();
        ASSERT_INT_EQ(submit(&e, NULL), 2);

        /* Bounded wait until the hook has written its pid. */
        snprintf(path, sizeof(path), "%s/pid", F.dir);
        end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (access(path, F_OK) < 0 && now_usec(CLOCK_MONOTONIC) < end)
                ASSERT_OK(sd_event_run(F.event, 10 * USEC_PER_MSEC));
        pid_text = read_file(path);
        ASSERT_NOT_NULL(pid_text);
        pid = (pid_t) atoi(pid_text);
        free(pid_text);
        ASSERT_TRUE(pid > 0);
        ASSERT_INT_EQ(hook_runner_n_running(F.runner), 1);
        ASSERT_INT_EQ(hook_runner_n_queued(F.runner), 1);

        pidfd = pidfd_open(pid, 0);
        ASSERT_TRUE(pidfd >= 0);
        F.runner = hook_runner_free(F.runner);

        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        ASSERT_INT_EQ(poll(&p, 1, 5000), 1); /* readable: it exited */
        close(pidfd);
        if (waitpid(pid, &status, 0) == pid) {
                ASSERT_TRUE(WIFSIGNALED(status));
                ASSERT_INT_EQ(WTERMSIG(status), SIGTERM);
        } else
                ASSERT_INT_EQ(errno, ECHILD); /* the runner reaped it already */
        ASSERT_INT_EQ(F.n_done, 0); /* interrupted: not done, so it runs again after a restart */
        ASSERT_NULL(F.out.data);
        fixture_teardown();
}

/* The done callback finds what an event belongs to by the userdata it was submitted with,
 * not by parsing its key; an owner that went away gets no pointer back. */
static void test_each_submission_gets_its_userdata_back(void) {
        Event e = failed_event(), f = failed_event();
        int first, second;

        f.task_id = "T-2";
        fixture_setup();
        add(HOOK_ON_TASK_FAILED, "/bin/true");
        ASSERT_OK(fixture_start());

        ASSERT_INT_EQ(submit_with(&e, NULL, &first), 1);
        ASSERT_INT_EQ(submit_with(&f, NULL, &second), 1);
        hook_runner_forget_userdata(F.runner, &second);
        ASSERT_TRUE(run_until_done(2, 10 * USEC_PER_SEC));
        for (size_t i = 0; i < 2; i++)
                if (strcmp(F.done[i].key, "T-1/task-failed") == 0)
                        ASSERT_TRUE(F.done[i].submission == &first);
                else {
                        ASSERT_STR_EQ(F.done[i].key, "T-2/task-failed");
                        ASSERT_NULL(F.done[i].submission);
                }
        fixture_teardown();
}

TEST_MAIN(TEST_CASE(test_hook_gets_environment_and_stdin),
          TEST_CASE(test_each_submission_gets_its_userdata_back),
          TEST_CASE(test_signals_are_unblocked_and_default_in_the_hook),
          TEST_CASE(test_exit_status_is_reported),
          TEST_CASE(test_a_hook_that_cannot_start_is_reported),
          TEST_CASE(test_a_hanging_hook_is_killed_and_the_loop_goes_on),
          TEST_CASE(test_a_hook_ignoring_sigterm_gets_sigkill),
          TEST_CASE(test_at_most_max_concurrent_hooks_run_at_once),
          TEST_CASE(test_lots_of_output_does_not_block),
          TEST_CASE(test_output_past_the_cap_is_read_and_dropped),
          TEST_CASE(test_large_input_never_blocks),
          TEST_CASE(test_a_command_under_two_triggers_runs_once),
          TEST_CASE(test_reload_changes_later_submissions),
          TEST_CASE(test_commit_config_takes_the_prepared_settings),
          TEST_CASE(test_what_a_hook_leaves_behind_is_killed),
          TEST_CASE(test_freeing_the_runner_terminates_running_hooks))
