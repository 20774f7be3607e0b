/* The daemon layer: built from a configuration file, and a reload that either applies as a
 * whole or leaves the configuration, the hook settings, the credentials and the watcher as
 * they were. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "event-recorder.h"
#include "src/daemon/daemon-internal.h"
#include "test.h"
#include "util/log.h"

#define BASE "[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-old-1 T-old-2\n"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static char dir[] = "/tmp/test-daemon-XXXXXX";
static char config_path[sizeof(dir) + 16];
static EventRecorder rec;

static int write_file(const char *path, const char *text) {
        _cleanup_(fclosep) FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return ferror(f) ? -EIO : 0;
}

static int write_config(const char *text) {
        return write_file(config_path, text);
}

static void fixture_setup(void) {
        if (!mkdtemp(dir))
                abort();
        snprintf(config_path, sizeof(config_path), "%s/tw.conf", dir);
        /* Static credentials: no network at start-up; no state or runtime directory. */
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test-key", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-secret", 1);
        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        unsetenv("NOTIFY_SOCKET");
        memset(&rec, 0, sizeof(rec));
}

static void fixture_teardown(void) {
        recorder_clear(&rec);
        (void) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        strcpy(dir, "/tmp/test-daemon-XXXXXX");
}

/* A daemon on the configuration written, its events recorded and kept off the journal. */
static int daemon_for_test(Daemon **ret, bool check_config) {
        DaemonOptions o = DAEMON_OPTIONS_INIT;
        int r;

        o.config_path = config_path;
        o.check_config = check_config;
        r = daemon_new(ret, &o, NULL);
        if (r < 0)
                return r;
        event_sink_set_journal((*ret)->sink, false);
        event_sink_set_capture((*ret)->sink, recorder_on_event, &rec);
        return 0;
}

static void test_check_config_loads_everything_but_watches_nothing(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;

        fixture_setup();
        ASSERT_OK(write_config(BASE));
        ASSERT_OK(daemon_for_test(&d, true));
        ASSERT_INT_EQ(d->config->n_tasks, 2);
        ASSERT_NOT_NULL(d->credentials);
        ASSERT_STR_EQ(d->credentials_source, "environment");
        ASSERT_NULL(d->watcher);
        ASSERT_NULL(d->hooks);
        ASSERT_INT_EQ(daemon_start(d), -EINVAL); /* nothing to start */
        ASSERT_INT_EQ(daemon_reload(d), -EINVAL); /* nor to reload */
        ASSERT_INT_EQ(rec.n, 0);
        fixture_teardown();
}

static void test_new_refuses_a_bad_config_and_sets_nothing(void) {
        Daemon *d = NULL;

        fixture_setup();
        ASSERT_OK(write_config(BASE "[Poll]\nMinInterval=5x\n"));
        ASSERT_TRUE(daemon_for_test(&d, false) < 0);
        ASSERT_NULL(d);
        fixture_teardown();
}

static void test_exit_when_done_needs_a_task(void) {
        DaemonOptions o = DAEMON_OPTIONS_INIT;
        Daemon *d = NULL;
        int exit_code = -1;

        fixture_setup();
        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n"));
        o.config_path = config_path;
        o.exit_when_done = true;
        ASSERT_INT_EQ(daemon_new(&d, &o, &exit_code), -EINVAL);
        ASSERT_NULL(d);
        ASSERT_INT_EQ(exit_code, EXIT_CONFIG);
        fixture_teardown();
}

/* A state directory that cannot be used is the user's to fix: exit 4, not 5. */
static void test_unusable_state_dir_is_a_configuration_error(void) {
        DaemonOptions o = DAEMON_OPTIONS_INIT;
        Daemon *d = NULL;
        char state[PATH_MAX];
        int exit_code = -1;

        fixture_setup();
        ASSERT_OK(write_config(BASE));
        snprintf(state, sizeof(state), "%s/not-a-directory", dir);
        ASSERT_OK(write_file(state, "x"));
        o.config_path = config_path;
        o.state_dir = state;
        ASSERT_TRUE(daemon_new(&d, &o, &exit_code) < 0);
        ASSERT_NULL(d);
        ASSERT_INT_EQ(exit_code, EXIT_CONFIG);
        fixture_teardown();
}

static void test_reload_applies_a_valid_config_as_a_whole(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;

        fixture_setup();
        ASSERT_OK(write_config(BASE));
        ASSERT_OK(daemon_for_test(&d, false));
        ASSERT_INT_EQ(watcher_n_tasks(d->watcher), 2);
        ASSERT_INT_EQ(hook_config_n_commands(hook_runner_get_config(d->hooks)), 0);

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n"
                               "[Tasks]\nTask=T-old-1 T-new\n"
                               "[Hooks]\nOnTaskFailed=/bin/true\n"));
        ASSERT_OK(daemon_reload(d));
        ASSERT_INT_EQ(d->config->n_tasks, 2);
        ASSERT_STR_EQ(d->config->tasks[1], "T-new");
        ASSERT_INT_EQ(watcher_n_tasks(d->watcher), 2);
        ASSERT_INT_EQ(hook_config_n_commands(hook_runner_get_config(d->hooks)), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_ADDED), 1);
        ASSERT_STR_EQ(recorder_find(&rec, EVENT_TASK_ADDED)->task_id, "T-new");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_REMOVED), 1);
        ASSERT_STR_EQ(recorder_find(&rec, EVENT_TASK_REMOVED)->task_id, "T-old-2");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_CONFIG_RELOADED), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_CONFIG_RELOAD_FAILED), 0);
        fixture_teardown();
}

/* A config that parses, with new tasks, hooks and intervals, whose credentials cannot be
 * loaded: the prepare step fails after the config was built, and nothing may change. */
static void test_reload_failing_at_prepare_changes_nothing(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        const CredentialsProvider *creds;
        const Config *before;
        usec_t min_interval;

        fixture_setup();
        ASSERT_OK(write_config(BASE "[Hooks]\nOnTaskSucceeded=/bin/true\n"));
        ASSERT_OK(daemon_for_test(&d, false));
        before = d->config;
        creds = d->credentials;
        min_interval = d->config->min_interval;

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n"
                               "[Poll]\nMinInterval=7min\nMaxInterval=9min\n"
                               "[Tasks]\nTask=T-old-1 T-new-1 T-new-2\n"
                               "[Hooks]\nOnTaskFailed=/bin/false\nOnTransition=/bin/false\n"
                               "[Credentials]\nAccessKeyId=LTAI-other\n"
                               "AccessKeySecretFile=/nonexistent/taskwatchd-secret\n"));
        ASSERT_TRUE(daemon_reload(d) < 0);

        ASSERT_TRUE(d->config == before);
        ASSERT_INT_EQ(d->config->n_tasks, 2);
        ASSERT_U64_EQ(d->config->min_interval, min_interval);
        ASSERT_TRUE(d->credentials == creds);
        ASSERT_STR_EQ(d->credentials_source, "environment");
        ASSERT_INT_EQ(hook_config_n_commands(hook_runner_get_config(d->hooks)), 1);
        ASSERT_INT_EQ(hook_runner_get_config(d->hooks)->n_commands[HOOK_ON_TASK_SUCCEEDED], 1);
        ASSERT_INT_EQ(watcher_n_tasks(d->watcher), 2);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_ADDED), 0);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_REMOVED), 0);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_CONFIG_RELOADED), 0);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_CONFIG_RELOAD_FAILED), 1);
        ASSERT_NOT_NULL(recorder_find(&rec, EVENT_CONFIG_RELOAD_FAILED)->error_message);

        /* Fixed, the next reload applies. */
        ASSERT_OK(write_config(BASE "Task=T-new-1\n"));
        ASSERT_OK(daemon_reload(d));
        ASSERT_INT_EQ(watcher_n_tasks(d->watcher), 3);
        ASSERT_INT_EQ(hook_config_n_commands(hook_runner_get_config(d->hooks)), 0);
        fixture_teardown();
}

static void test_reload_of_an_unparsable_config_changes_nothing(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        const Config *before;

        fixture_setup();
        ASSERT_OK(write_config(BASE));
        ASSERT_OK(daemon_for_test(&d, false));
        before = d->config;

        ASSERT_OK(write_config(BASE "Task=T-new\n[Poll]\nMinInterval=5x\n"));
        ASSERT_INT_EQ(daemon_reload(d), -EINVAL);
        ASSERT_TRUE(d->config == before);
        ASSERT_INT_EQ(watcher_n_tasks(d->watcher), 2);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_ADDED), 0);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_CONFIG_RELOAD_FAILED), 1);
        /* The event names the file and line, as --check-config does. */
        ASSERT_NOT_NULL(strstr(recorder_find(&rec, EVENT_CONFIG_RELOAD_FAILED)->message, config_path));
        fixture_teardown();
}

TEST_MAIN(TEST_CASE(test_check_config_loads_everything_but_watches_nothing),
          TEST_CASE(test_new_refuses_a_bad_config_and_sets_nothing),
          TEST_CASE(test_exit_when_done_needs_a_task),
          TEST_CASE(test_unusable_state_dir_is_a_configuration_error),
          TEST_CASE(test_reload_applies_a_valid_config_as_a_whole),
          TEST_CASE(test_reload_failing_at_prepare_changes_nothing),
          TEST_CASE(test_reload_of_an_unparsable_config_changes_nothing))
