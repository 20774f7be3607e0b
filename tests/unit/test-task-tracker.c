/* The task tracker: which events each reply implies, given what came before. */
#include "event-recorder.h"
#include "test.h"
#include "track/task-tracker.h"
#include "util/strutil.h"

static EventRecorder rec;
static TaskTracker tracker;

static void setup(void) {
        recorder_init(&rec);
        if (task_tracker_init(&tracker, "T-1") < 0)
                abort();
}

static void teardown(void) {
        task_tracker_done(&tracker);
        recorder_done(&rec);
}

/* Decode a reply and apply it; returns what task_tracker_apply returned. */
static int apply(const char *json) {
        TaskInfo *info = NULL;
        int r = task_info_parse(json, strlen(json), &info, NULL);

        if (r < 0) {
                fprintf(stderr, "# test reply does not parse: %s\n", json);
                abort();
        }
        TransitionList list = {};
        r = task_tracker_apply(&tracker, info, "req-1", &list);
        task_info_free(info);
        /* The returned values, recorded for the assertions below. */
        for (size_t i = 0; i < list.n; i++) {
                if (!streq_ptr(list.items[i].event.message, list.items[i].message))
                        abort();
                recorder_on_event(&list.items[i].event, &rec);
        }
        if (r <= 0 && list.n > 0)
                abort(); /* nothing changed, so nothing to report */
        transition_list_done(&list);
        return r;
}

#define RUNNING_2 "{\"task_id\":\"T-1\",\"cluster_id\":\"c-1\",\"task_type\":\"nodepool_scaleout\"," \
        "\"state\":\"running\",\"current_stage\":\"CreateInstances\",\"task_result\":["             \
        "{\"data\":\"i-1\",\"status\":\"initial\"},{\"data\":\"i-2\",\"status\":\"initial\"}]}"

static void test_first_reply_is_the_baseline(void) {
        setup();
        ASSERT_INT_EQ(apply(RUNNING_2), 1);
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_BASELINE);
        ASSERT_STR_EQ(rec.events[0].task_id, "T-1");
        ASSERT_STR_EQ(rec.events[0].task_state, "running");
        ASSERT_STR_EQ(rec.events[0].task_stage, "CreateInstances");
        ASSERT_INT_EQ(rec.events[0].pending, 2);
        ASSERT_INT_EQ(rec.events[0].succeeded, 0);
        ASSERT_TRUE(tracker.have_baseline);
        ASSERT_TRUE(!task_tracker_is_terminal(&tracker));
        teardown();
}

static void test_same_reply_again_changes_nothing(void) {
        setup();
        apply(RUNNING_2);
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply(RUNNING_2), 0);
        ASSERT_INT_EQ(rec.n, 0);
        teardown();
}

static void test_running_to_success(void) {
        setup();
        apply(RUNNING_2);
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply("{\"state\":\"success\",\"current_stage\":\"CreateInstances\",\"task_result\":["
                            "{\"data\":\"i-1\",\"status\":\"success\"},{\"data\":\"i-2\",\"status\":\"success\"}]}"),
                      1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_INSTANCE_SUCCEEDED), 2);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_PROGRESS), 1);
        const RecordedEvent *e = recorder_find(&rec, EVENT_TASK_SUCCEEDED);
        ASSERT_NOT_NULL(e);
        ASSERT_STR_EQ(e->task_previous_state, "running");
        ASSERT_STR_EQ(e->task_state, "success");
        ASSERT_INT_EQ(e->succeeded, 2);
        /* The task's verdict comes after the instance events that led to it. */
        ASSERT_INT_EQ(rec.events[rec.n - 1].kind, EVENT_TASK_SUCCEEDED);
        ASSERT_TRUE(task_tracker_is_terminal(&tracker));
        teardown();
}

static void test_failure_carries_the_reason(void) {
        setup();
        apply(RUNNING_2);
        recorder_clear(&rec);
        apply("{\"state\":\"failed\",\"current_stage\":\"CreateInstances\",\"error\":{\"code\":\"QuotaExceeded\","
              "\"message\":\"ecs quota\"},\"task_result\":[{\"data\":\"i-1\",\"status\":\"initial\"},"
              "{\"data\":\"i-2\",\"status\":\"initial\"}]}");
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_FAILED);
        ASSERT_STR_EQ(rec.events[0].error_code, "QuotaExceeded");
        ASSERT_STR_EQ(rec.events[0].error_message, "ecs quota");
        ASSERT_TRUE(strstr(rec.events[0].message, "QuotaExceeded: ecs quota") != NULL);
        ASSERT_TRUE(task_tracker_is_terminal(&tracker));
        teardown();
}

static void test_fail_spelling_is_failure_and_respelling_is_no_transition(void) {
        setup();
        apply("{\"state\":\"running\"}");
        recorder_clear(&rec);
        apply("{\"state\":\"fail\"}");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_FAILED), 1);
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply("{\"state\":\"failed\"}"), 0);
        ASSERT_INT_EQ(rec.n, 0);
        teardown();
}

static void test_canceled_both_spellings(void) {
        static const char *const replies[] = { "{\"state\":\"canceled\"}", "{\"state\":\"cancelled\"}" };

        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                setup();
                apply("{\"state\":\"running\"}");
                recorder_clear(&rec);
                apply(replies[i]);
                ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_CANCELED), 1);
                ASSERT_TRUE(task_tracker_is_terminal(&tracker));
                teardown();
        }
}

static void test_unknown_state_reported_once_and_not_terminal(void) {
        setup();
        apply("{\"state\":\"running\"}");
        recorder_clear(&rec);
        apply("{\"state\":\"rolling_back\"}");
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_UNKNOWN_STATE);
        ASSERT_STR_EQ(rec.events[0].task_state, "rolling_back");
        ASSERT_TRUE(!task_tracker_is_terminal(&tracker));
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply("{\"state\":\"rolling_back\"}"), 0);
        ASSERT_INT_EQ(rec.n, 0);
        /* Another unknown state is another transition. */
        apply("{\"state\":\"reticulating\"}");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_UNKNOWN_STATE), 1);
        recorder_clear(&rec);
        apply("{\"state\":\"running\"}");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_STATE_CHANGED), 1);
        teardown();
}

static void test_pause_is_a_state_change(void) {
        setup();
        apply("{\"state\":\"running\"}");
        recorder_clear(&rec);
        apply("{\"state\":\"paused\"}");
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_STATE_CHANGED);
        ASSERT_STR_EQ(rec.events[0].task_previous_state, "running");
        ASSERT_TRUE(!task_tracker_is_terminal(&tracker));
        teardown();
}

static void test_instances_added_succeeded_failed(void) {
        setup();
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"initial\"}]}");
        recorder_clear(&rec);
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"failed\"},"
              "{\"data\":\"i-2\",\"status\":\"initial\"},{\"data\":\"i-3\",\"status\":\"success\"}]}");
        const RecordedEvent *failed = recorder_find(&rec, EVENT_INSTANCE_FAILED);
        ASSERT_NOT_NULL(failed);
        ASSERT_STR_EQ(failed->instance_id, "i-1");
        ASSERT_STR_EQ(failed->instance_status, "failed");
        ASSERT_STR_EQ(failed->instance_previous_status, "initial");
        const RecordedEvent *added = recorder_find(&rec, EVENT_INSTANCE_ADDED);
        ASSERT_NOT_NULL(added);
        ASSERT_STR_EQ(added->instance_id, "i-2");
        ASSERT_NULL(added->instance_previous_status);
        const RecordedEvent *ok = recorder_find(&rec, EVENT_INSTANCE_SUCCEEDED);
        ASSERT_NOT_NULL(ok);
        ASSERT_STR_EQ(ok->instance_id, "i-3");
        const RecordedEvent *progress = recorder_find(&rec, EVENT_TASK_PROGRESS);
        ASSERT_NOT_NULL(progress);
        ASSERT_INT_EQ(progress->succeeded, 1);
        ASSERT_INT_EQ(progress->failed, 1);
        ASSERT_INT_EQ(progress->pending, 1);
        ASSERT_INT_EQ(rec.n, 4);
        teardown();
}

static void test_stage_change_is_reported(void) {
        setup();
        apply("{\"state\":\"running\",\"current_stage\":\"CreateInstances\"}");
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply("{\"state\":\"running\",\"current_stage\":\"JoinNodes\"}"), 1);
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_STAGE_CHANGED);
        ASSERT_STR_EQ(rec.events[0].task_stage, "JoinNodes");
        teardown();
}

static void test_baseline_of_a_failed_task_still_alerts(void) {
        setup();
        apply("{\"state\":\"failed\",\"error\":{\"code\":\"E\",\"message\":\"m\"},"
              "\"task_result\":[{\"data\":\"i-1\",\"status\":\"failed\"},{\"data\":\"i-2\",\"status\":\"success\"}]}");
        ASSERT_INT_EQ(rec.events[0].kind, EVENT_TASK_BASELINE);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_INSTANCE_FAILED), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_INSTANCE_SUCCEEDED), 0);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_FAILED), 1);
        ASSERT_INT_EQ(rec.events[rec.n - 1].kind, EVENT_TASK_FAILED);
        teardown();
}

static void test_duplicated_instance_keeps_last_entry(void) {
        setup();
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"initial\"},"
              "{\"data\":\"i-1\",\"status\":\"success\"}]}");
        ASSERT_INT_EQ(tracker.now.n_instances, 1);
        ASSERT_STR_EQ(tracker.now.instances[0].status, "success");
        ASSERT_INT_EQ(tracker.now.n_succeeded, 1);
        teardown();
}

static void test_instance_missing_from_a_reply_keeps_its_status(void) {
        setup();
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"success\"},"
              "{\"data\":\"i-2\",\"status\":\"initial\"}]}");
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-2\",\"status\":\"initial\"}]}"), 0);
        ASSERT_INT_EQ(rec.n, 0);
        ASSERT_INT_EQ(tracker.now.n_instances, 2);
        /* ... and its return is no "added". */
        ASSERT_INT_EQ(apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"success\"},"
                            "{\"data\":\"i-2\",\"status\":\"initial\"}]}"), 0);
        teardown();
}

static void test_misspelt_pending_status_is_no_transition(void) {
        setup();
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"initial\"}]}");
        recorder_clear(&rec);
        /* Both are "pending"; a changed pending status is still reported as a status change. */
        apply("{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"initail\"}]}");
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_INSTANCE_STATUS_CHANGED), 1);
        ASSERT_INT_EQ(recorder_count(&rec, EVENT_TASK_PROGRESS), 0);
        teardown();
}

static void test_many_instances_are_tracked(void) {
        char *json = NULL;
        size_t len = 0;
        FILE *f;

        setup();
        f = open_memstream(&json, &len);
        fputs("{\"state\":\"running\",\"task_result\":[", f);
        for (int i = 0; i < 2000; i++)
                fprintf(f, "%s{\"data\":\"i-%04d\",\"status\":\"%s\"}", i ? "," : "", 1999 - i,
                        i % 3 == 0 ? "success" : "initial");
        fputs("]}", f);
        fclose(f);
        apply(json);
        free(json);
        ASSERT_INT_EQ(tracker.now.n_instances, 2000);
        ASSERT_INT_EQ(tracker.now.n_succeeded, 667);
        ASSERT_INT_EQ(tracker.now.n_pending, 1333);
        ASSERT_NOT_NULL(tracker.now.block); /* one allocation, however many instances */
        ASSERT_TRUE((void *) tracker.now.instances == tracker.now.block);
        teardown();
}

/* The transitions come back as values, in order, with their fields and message; and the
 * previous state they name stays readable while the list lives. */
static void test_transitions_are_returned_as_values(void) {
        TransitionList list = {};
        TaskInfo *info = NULL;
        const char *done = "{\"state\":\"success\",\"current_stage\":\"CreateInstances\",\"task_result\":["
                           "{\"data\":\"i-1\",\"status\":\"success\"},{\"data\":\"i-2\",\"status\":\"initial\"}]}";

        setup();
        apply(RUNNING_2);
        ASSERT_OK(task_info_parse(done, strlen(done), &info, NULL));
        ASSERT_INT_EQ(task_tracker_apply(&tracker, info, "req-2", &list), 1);
        task_info_free(info);

        ASSERT_INT_EQ(list.n, 3);
        ASSERT_INT_EQ(list.items[0].event.kind, EVENT_INSTANCE_SUCCEEDED);
        ASSERT_STR_EQ(list.items[0].event.instance_id, "i-1");
        ASSERT_STR_EQ(list.items[0].event.instance_previous_status, "initial");
        ASSERT_STR_EQ(list.items[0].event.request_id, "req-2");
        ASSERT_STR_EQ(list.items[0].message, "T-1: instance i-1 succeeded (was initial)");
        ASSERT_TRUE(list.items[0].event.message == list.items[0].message);
        ASSERT_INT_EQ(list.items[1].event.kind, EVENT_TASK_PROGRESS);
        ASSERT_INT_EQ(list.items[2].event.kind, EVENT_TASK_SUCCEEDED);
        ASSERT_STR_EQ(list.items[2].event.task_previous_state, "running"); /* from list.before */
        ASSERT_STR_EQ(list.items[2].event.task_state, "success");
        transition_list_done(&list);
        ASSERT_INT_EQ(list.n, 0);
        ASSERT_INT_EQ(rec.n, 1); /* the baseline only: nothing was emitted anywhere */
        teardown();
}

/* Applies json and returns the instance_failure of its one instance-failed event; 0 when
 * it has none, -1 when it has several. */
static long failure_of(const char *json) {
        TaskInfo *info = NULL;
        TransitionList list = {};
        long found = 0;

        if (task_info_parse(json, strlen(json), &info, NULL) < 0 ||
            task_tracker_apply(&tracker, info, "req-1", &list) < 0)
                abort();
        task_info_free(info);
        for (size_t i = 0; i < list.n; i++)
                if (list.items[i].event.kind == EVENT_INSTANCE_FAILED)
                        found = found ? -1 : (long) list.items[i].event.instance_failure;
        transition_list_done(&list);
        return found;
}

#define ONE_INSTANCE(status) "{\"task_id\":\"T-1\",\"state\":\"running\",\"task_result\":[" \
        "{\"data\":\"i-1\",\"status\":\"" status "\"}]}"

/* Issue 11, item 5: i-1 failing, retried, failing again is two failures, counted, so that
 * the second has a hook event key of its own; "fail" after "failed" is no new one. */
static void test_an_instance_that_fails_twice_counts_two_failures(void) {
        setup();
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("initial")), 0);
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("failed")), 1);
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("fail")), 0); /* the same verdict respelled */
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("initial")), 0);
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("failed")), 2);
        ASSERT_INT_EQ(tracker.now.instances[0].failures, 2);
        /* An instance a reply leaves out keeps its count. */
        ASSERT_INT_EQ(failure_of("{\"task_id\":\"T-1\",\"state\":\"running\",\"task_result\":[]}"), 0);
        ASSERT_INT_EQ(tracker.now.instances[0].failures, 2);
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("initial")), 0);
        ASSERT_INT_EQ(failure_of(ONE_INSTANCE("failed")), 3);
        teardown();
}

/* A running reply listing n instances "<prefix>N". */
static char *many_instances(const char *prefix, size_t n) {
        size_t size = 128 + n * 64, len;
        char *b = malloc(size);

        if (!b)
                abort();
        len = (size_t) snprintf(b, size, "{\"task_id\":\"T-1\",\"state\":\"running\",\"task_result\":[");
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(b + len, size - len, "%s{\"data\":\"%s%zu\",\"status\":\"initial\"}",
                                         i ? "," : "", prefix, i);
        snprintf(b + len, size - len, "]}");
        return b;
}

/* Issue 11, item 9: replies listing new ids each time grew one task without bound; the
 * instances kept stop at TASK_TRACKER_MAX_INSTANCES, the last reply's all kept. */
static void test_the_instances_kept_are_capped(void) {
        char *a = many_instances("a-", 60000), *b = many_instances("b-", 60000);

        setup();
        ASSERT_INT_EQ(apply(a), 1);
        ASSERT_INT_EQ(tracker.now.n_instances, 60000);
        ASSERT_INT_EQ(tracker.n_dropped, 0);
        recorder_clear(&rec);
        ASSERT_INT_EQ(apply(b), 1);
        ASSERT_INT_EQ(tracker.now.n_instances, TASK_TRACKER_MAX_INSTANCES);
        ASSERT_INT_EQ(tracker.n_dropped, 120000 - TASK_TRACKER_MAX_INSTANCES);
        for (size_t i = 0; i < 60000; i += 997) { /* every one of the last reply is there */
                char id[32];
                bool found = false;

                snprintf(id, sizeof id, "b-%zu", i);
                for (size_t k = 0; k < tracker.now.n_instances && !found; k++)
                        found = strcmp(tracker.now.instances[k].id, id) == 0;
                ASSERT_TRUE(found);
        }
        teardown();
        free(a);
        free(b);
}

TEST_MAIN(TEST_CASE(test_transitions_are_returned_as_values),
          TEST_CASE(test_the_instances_kept_are_capped),
          TEST_CASE(test_an_instance_that_fails_twice_counts_two_failures),
          TEST_CASE(test_first_reply_is_the_baseline),
          TEST_CASE(test_same_reply_again_changes_nothing),
          TEST_CASE(test_running_to_success),
          TEST_CASE(test_failure_carries_the_reason),
          TEST_CASE(test_fail_spelling_is_failure_and_respelling_is_no_transition),
          TEST_CASE(test_canceled_both_spellings),
          TEST_CASE(test_unknown_state_reported_once_and_not_terminal),
          TEST_CASE(test_pause_is_a_state_change),
          TEST_CASE(test_instances_added_succeeded_failed),
          TEST_CASE(test_stage_change_is_reported),
          TEST_CASE(test_baseline_of_a_failed_task_still_alerts),
          TEST_CASE(test_duplicated_instance_keeps_last_entry),
          TEST_CASE(test_instance_missing_from_a_reply_keeps_its_status),
          TEST_CASE(test_misspelt_pending_status_is_no_transition),
          TEST_CASE(test_many_instances_are_tracked))
