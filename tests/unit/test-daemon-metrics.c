/* The daemon's metrics glue: what the event stream counts, the families every scrape shows,
 * and a Listen= that cannot be bound failing the start as a configuration error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "build-config.h"
#include "metrics/metrics-exposition.h"
#include "src/daemon/daemon-internal.h"
#include "test.h"

static char dir[] = "/tmp/test-daemon-metrics-XXXXXX";
static char config_path[sizeof(dir) + 16];

static int write_config(const char *text) {
        _cleanup_(fclosep) FILE *f = fopen(config_path, "we");
        if (!f)
                return -errno;
        fputs(text, f);
        return ferror(f) ? -EIO : 0;
}

static int daemon_for_test(Daemon **ret, int *exit_code) {
        DaemonOptions o = DAEMON_OPTIONS_INIT;
        int r;

        o.config_path = config_path;
        r = daemon_new(ret, &o, exit_code);
        if (r >= 0)
                event_sink_set_journal((*ret)->sink, false);
        return r;
}

static char *scrape(Daemon *d) {
        char *text = NULL;
        size_t len;

        if (metrics_expose(daemon_metrics_registry(d), METRICS_FORMAT_PROMETHEUS, &text, &len) < 0)
                return NULL;
        return text;
}

static void emit(Daemon *d, EventKind k, const char *message) {
        Event e = EVENT_INIT(k);

        e.task_id = "T-1";
        e.message = message;
        event_emit(d->sink, &e);
}

static void test_events_are_counted_by_name(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_(freep) char *text = NULL;

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n"));
        ASSERT_OK(daemon_for_test(&d, NULL));
        emit(d, EVENT_TASK_FAILED, "T-1: failed");
        emit(d, EVENT_INSTANCE_FAILED, "T-1: i-1 failed");
        emit(d, EVENT_INSTANCE_FAILED, "T-1: i-2 failed");
        emit(d, EVENT_HOOK_OUTPUT, "T-1: hook OnTaskFailed#1: a line");
        emit(d, EVENT_HOOK_FINISHED, "T-1: hook OnTaskFailed#1 (/bin/true) for task-failed "
                                     "succeeded after 3ms");
        emit(d, EVENT_HOOK_TIMED_OUT, "T-1: hook OnInstanceFailed#2 (/bin/sleep) for "
                                      "instance-failed timed out after 5s and was stopped");
        emit(d, EVENT_HOOK_FAILED, "no hook name in here");
        text = scrape(d);
        ASSERT_NOT_NULL(text);
        ASSERT_TRUE(strstr(text, "taskwatch_transitions_total{event=\"task-failed\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_transitions_total{event=\"instance-failed\"} 2\n") != NULL);
        ASSERT_TRUE(strstr(text, "event=\"hook-output\"") == NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_hooks_total{hook=\"OnTaskFailed\",result=\"succeeded\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_hooks_total{hook=\"OnInstanceFailed\",result=\"timed-out\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_hooks_total{hook=\"other\",result=\"failed\"} 1\n") != NULL);
}

static void test_every_family_is_shown(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_(freep) char *text = NULL;

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n"));
        ASSERT_OK(daemon_for_test(&d, NULL));
        text = scrape(d);
        ASSERT_NOT_NULL(text);
        ASSERT_TRUE(strstr(text, "taskwatch_build_info{version=\"" PACKAGE_VERSION "\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_transitions_total counter\n") != NULL);
        /* what the alerts key on is there at 0 before it happens, so increase() sees it rise */
        ASSERT_TRUE(strstr(text, "taskwatch_transitions_total{event=\"task-failed\"} 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_transitions_total{event=\"instance-failed\"} 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_transitions_total{event=\"task-succeeded\"}") == NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_api_requests_total counter\n") != NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_api_request_duration_seconds histogram\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_last_successful_poll_timestamp_seconds 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_hooks_total counter\n") != NULL);
        /* daemon_new() checked the source but obtained nothing yet: no expiry to show */
        ASSERT_TRUE(strstr(text, "taskwatch_credentials_expiry_timestamp_seconds{") == NULL);
        ASSERT_TRUE(strstr(text, "test-secret") == NULL);
}

static void emit_typed(Daemon *d, EventKind k, const char *task_id, const char *task_type) {
        Event e = EVENT_INIT(k);

        e.task_id = task_id;
        e.task_type = task_type;
        e.message = "a test event";
        event_emit(d->sink, &e);
}

static void test_watcher_state_is_shown(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_(freep) char *text = NULL;

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\nMaxRequestsPerSecond=7\n"
                               "[Tasks]\nTask=T-1\nTask=T-2\n"));
        ASSERT_OK(daemon_for_test(&d, NULL));
        text = scrape(d);
        ASSERT_NOT_NULL(text);
        /* no reply yet: both wait, of a type not known yet */
        ASSERT_TRUE(strstr(text, "taskwatch_tasks{state=\"waiting\",task_type=\"unknown\","
                                 "source=\"config\"} 2\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_task_info{task_id=\"T-1\",task_type=\"\","
                                 "cluster_id=\"\",state=\"waiting\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_task_info{task_id=\"T-2\",") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_instances{phase=\"pending\"} 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_instances{phase=\"failed\"} 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_api_budget_requests_per_second 7\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_api_throttled_total 0\n") != NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_task_duration_seconds histogram\n") != NULL);
        ASSERT_TRUE(strstr(text, "# TYPE taskwatch_instance_failures_total counter\n") != NULL);
}

static void test_failures_and_durations_are_counted(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        _cleanup_(freep) char *text = NULL;

        ASSERT_OK(write_config("[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\nTask=T-2\n"));
        ASSERT_OK(daemon_for_test(&d, NULL));
        emit_typed(d, EVENT_INSTANCE_FAILED, "T-1", "nodepool_scaleout");
        emit_typed(d, EVENT_INSTANCE_FAILED, "T-1", "nodepool_scaleout");
        emit_typed(d, EVENT_INSTANCE_FAILED, "T-2", NULL);
        /* T-1 ended while watched: timed from when watching began */
        emit_typed(d, EVENT_TASK_FAILED, "T-1", "nodepool_scaleout");
        /* T-2 had ended before watching began (its baseline says so): its end was not seen */
        emit_typed(d, EVENT_TASK_BASELINE, "T-2", "nodepool_scaleout");
        emit_typed(d, EVENT_TASK_SUCCEEDED, "T-2", "nodepool_scaleout");
        /* a task not watched: nothing to time it from */
        emit_typed(d, EVENT_TASK_CANCELED, "T-9", "nodepool_scaleout");
        text = scrape(d);
        ASSERT_NOT_NULL(text);
        ASSERT_TRUE(strstr(text, "taskwatch_instance_failures_total{task_type=\"nodepool_scaleout\"} 2\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_instance_failures_total{task_type=\"unknown\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_task_duration_seconds_count{task_type=\"nodepool_scaleout\","
                                 "outcome=\"failed\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "taskwatch_task_duration_seconds_bucket{task_type=\"nodepool_scaleout\","
                                 "outcome=\"failed\",le=\"30\"} 1\n") != NULL);
        ASSERT_TRUE(strstr(text, "outcome=\"succeeded\"") == NULL);
        ASSERT_TRUE(strstr(text, "outcome=\"canceled\"") == NULL);
}

static void test_listen_that_cannot_bind_is_a_config_error(void) {
        _cleanup_(daemon_freep) Daemon *d = NULL;
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        char text[256];
        int fd, exit_code = 0;

        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(bind(fd, (struct sockaddr *) &a, sizeof(a)));
        ASSERT_OK(listen(fd, 1));
        ASSERT_OK(getsockname(fd, (struct sockaddr *) &a, &len));
        snprintf(text, sizeof(text), "[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\nTask=T-1\n"
                 "[Metrics]\nListen=127.0.0.1:%u\n", ntohs(a.sin_port));
        ASSERT_OK(write_config(text));
        ASSERT_INT_EQ(daemon_for_test(&d, &exit_code), -EADDRINUSE);
        ASSERT_NULL(d);
        ASSERT_INT_EQ(exit_code, EXIT_CONFIG);
        close(fd);
}

static void test_setup(void) {
        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(config_path, sizeof(config_path), "%s/tw.conf", dir);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-test-key", 1);
        setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "test-secret", 1);
        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        unsetenv("NOTIFY_SOCKET");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_PID");
}

static void test_cleanup(void) {
        ASSERT_OK(unlink(config_path));
        ASSERT_OK(rmdir(dir));
}

TEST_MAIN(TEST_CASE(test_setup),
          TEST_CASE(test_events_are_counted_by_name),
          TEST_CASE(test_every_family_is_shown),
          TEST_CASE(test_watcher_state_is_shown),
          TEST_CASE(test_failures_and_durations_are_counted),
          TEST_CASE(test_listen_that_cannot_bind_is_a_config_error),
          TEST_CASE(test_cleanup))
