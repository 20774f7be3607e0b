/* Many watched tasks given scripted replies: most of them failing alike is one api-outage
 * event (their per-task lines of that fault not written), STATUS= says it, and its end is
 * one api-outage-recovered without per-task recoveries; a few tasks failing alike, and
 * faults of another kind, stay per task. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event-recorder.h"
#include "src/watch/watcher-private.h"
#include "test.h"
#include "watch-fixture.h"

#define N 20

static sd_event *event;
static EventRecorder rec;
static Watcher *w;

static void setup(void) {
        char text[2048] = "[API]\nEndpoint=https://127.0.0.1:9\n[Tasks]\n";
        Config *c = NULL;
        usec_t end;

        for (int i = 0; i < N; i++)
                snprintf(text + strlen(text), sizeof(text) - strlen(text), "Task=T-%02d\n", i);
        recorder_init(&rec);
        c = test_config_from_text(text);
        if (sd_event_new(&event) < 0 || watcher_new(&w, event, rec.sink, test_no_credentials, NULL) < 0 ||
            watcher_apply_config(w, c, false) < 0)
                abort();
        config_free(c);
        /* Replies apply to started tasks only: wait, bounded, for all of them to be restored. */
        end = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (!w->tasks[N - 1]->restored && now_usec(CLOCK_MONOTONIC) < end)
                if (sd_event_run(event, 100 * USEC_PER_MSEC) < 0)
                        abort();
        for (int i = 0; i < N; i++)
                if (!w->tasks[i]->restored)
                        abort();
}

static void teardown(void) {
        w = watcher_free(w);
        event = sd_event_unref(event);
        recorder_done(&rec);
}

static void reply_error(int i, AckReplyKind kind, long status, const char *code) {
        AckReply r = {
                .kind = kind, .http_status = status, .code = (char *) code, .message = (char *) "busy",
                .request_id = (char *) "req-e", .body = "",
        };
        watched_task_on_reply(&r, w->tasks[i]);
}

static void reply_running(int i) {
        char body[128];
        TaskInfo *info = NULL;
        size_t len = (size_t) snprintf(body, sizeof(body), "{\"task_id\":\"%s\",\"state\":\"running\"}",
                                       w->tasks[i]->tracker.task_id);

        if (task_info_parse(body, len, &info, NULL) < 0)
                abort();
        AckReply r = {
                .kind = ACK_REPLY_OK, .info = info, .http_status = 200, .request_id = "req-ok",
                .body = body, .body_len = len,
        };
        watched_task_on_reply(&r, w->tasks[i]);
        task_info_free(info);
}

static void test_most_tasks_failing_alike_is_one_outage(void) {
        const RecordedEvent *e;

        setup();
        for (int i = 0; i < N; i++)
                reply_running(i);
        for (int i = 0; i < N; i++) {
                reply_error(i, ACK_REPLY_SERVER_ERROR, 503, "ServiceUnavailable");
                /* Said per task until the 10th task in a row, then once for the account. */
                ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE), i + 1 >= (int) API_OUTAGE_MIN_TASKS ? 1 : 0);
        }
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_SERVER_ERROR), API_OUTAGE_MIN_TASKS - 1);
        e = recorder_find(&rec, EVENT_API_OUTAGE);
        ASSERT_NOT_NULL(e);
        ASSERT_STR_EQ(e->error_code, "ServiceUnavailable");
        ASSERT_INT_EQ(e->http_status, 503);
        ASSERT_NOT_NULL(strstr(e->message, "server error for 10 of 20 tasks (HTTP 503 ServiceUnavailable: busy)"));

        /* The same fault again, polled again: still nothing per task. */
        for (int i = 0; i < N; i++)
                reply_error(i, ACK_REPLY_SERVER_ERROR, 503, "ServiceUnavailable");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_SERVER_ERROR), API_OUTAGE_MIN_TASKS - 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE), 1);

        watcher_update_status(w);
        ASSERT_NOT_NULL(w->status_text);
        ASSERT_NOT_NULL(strstr(w->status_text, "API unavailable for 20 tasks: server error (HTTP 503"));

        /* Recovering: over once fewer than a quarter (5 of 20) still fail, said once. */
        for (int i = 0; i < 15; i++)
                reply_running(i);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE_RECOVERED), 0);
        reply_running(15);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE_RECOVERED), 1);
        e = recorder_find(&rec, EVENT_API_OUTAGE_RECOVERED);
        ASSERT_NOT_NULL(strstr(e->message, "up to 20 tasks affected"));
        for (int i = 16; i < N; i++)
                reply_running(i);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE_RECOVERED), 1);
        /* Not one per-task recovery: the outage's recovery said it for all. */
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_RECOVERED), 0);
        watcher_update_status(w);
        ASSERT_NULL(strstr(w->status_text, "API unavailable"));

        /* Over means over: the same fault for one task later is that task's again. */
        reply_error(0, ACK_REPLY_SERVER_ERROR, 503, "ServiceUnavailable");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_SERVER_ERROR), API_OUTAGE_MIN_TASKS);
        teardown();
}

static void test_a_few_tasks_failing_alike_stay_per_task(void) {
        setup();
        for (int i = 0; i < N; i++)
                reply_running(i);
        /* 9 tasks: fewer than API_OUTAGE_MIN_TASKS. */
        for (int i = 0; i < 9; i++)
                reply_error(i, ACK_REPLY_NETWORK_ERROR, 0, "TLSFailed");
        /* 10 failing alike, but not the account's last 10 polls: a good poll came between. */
        reply_running(15);
        reply_error(9, ACK_REPLY_NETWORK_ERROR, 0, "TLSFailed");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_NETWORK_ERROR), 10);
        /* Another class does not add up with it: 19 tasks failing, 9 of them alike. */
        for (int i = 10; i < 19; i++)
                reply_error(i, ACK_REPLY_AUTH_ERROR, 403, "InvalidAccessKeyId.NotFound");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_AUTH_ERROR), 9);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE), 0);
        for (int i = 0; i < 10; i++)
                reply_running(i);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_RECOVERED), 10);
        teardown();
}

/* A request libcurl re-sent after a reset, refused as a replay, is one request's fault. */
static void test_replays_refused_are_not_an_outage(void) {
        setup();
        for (int i = 0; i < N; i++)
                reply_error(i, ACK_REPLY_NETWORK_ERROR, 400, "SignatureNonceUsed");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_NETWORK_ERROR), N);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE), 0);
        teardown();
}

static void test_other_faults_stay_per_task_during_an_outage(void) {
        setup();
        for (int i = 0; i < N; i++)
                reply_error(i, ACK_REPLY_AUTH_ERROR, 403, "InvalidAccessKeyId.NotFound");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE), 1);
        reply_error(3, ACK_REPLY_CLIENT_ERROR, 400, "InvalidParameter");
        reply_error(4, ACK_REPLY_THROTTLED, 429, "Throttling");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_CLIENT_ERROR), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_THROTTLED), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_API_OUTAGE_RECOVERED), 0);
        watcher_update_status(w);
        ASSERT_NOT_NULL(strstr(w->status_text, "API unavailable for 18 tasks: authentication failed"));
        teardown();
}

TEST_MAIN(TEST_CASE(test_most_tasks_failing_alike_is_one_outage),
          TEST_CASE(test_a_few_tasks_failing_alike_stay_per_task),
          TEST_CASE(test_replays_refused_are_not_an_outage),
          TEST_CASE(test_other_faults_stay_per_task_during_an_outage))
