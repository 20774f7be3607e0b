/* Tests for decoding DescribeTaskInfo replies and error bodies, and for the phase mappings. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ack/task-info.h"
#include "test.h"
#include "util/cleanup.h"

DEFINE_POINTER_CLEANUP(TaskInfo, task_info_free)
DEFINE_POINTER_CLEANUP(ApiError, api_error_free)

/* The sample reply from the API page, completed the way the real API answers: with target,
 * error, stages, events and the free-form parameters/outputs the decoder must skip. */
static const char seed_reply[] =
        "{\n"
        "  \"cluster_id\": \"c78592bfe92244365b3c3ad47f1de****\",\n"
        "  \"created\": \"2020-11-10T16:02:04+08:00\",\n"
        "  \"state\": \"running\",\n"
        "  \"task_id\": \"T-5faa48fb31b6b8078d000006\",\n"
        "  \"task_result\": [\n"
        "    { \"data\": \"i-xxxxxx\", \"status\": \"success\" },\n"
        "    { \"data\": \"i-yyyyyy\", \"status\": \"failed\" },\n"
        "    { \"data\": \"i-zzzzzz\", \"status\": \"initail\" }\n"
        "  ],\n"
        "  \"task_type\": \"cluster_scaleout\",\n"
        "  \"updated\": \"2020-11-10T16:03:06.123+08:00\",\n"
        "  \"current_stage\": \"DrainNodes\",\n"
        "  \"target\": { \"id\": \"np-0123456789\", \"type\": \"nodepool\" },\n"
        "  \"parameters\": { \"count\": 3, \"nested\": { \"list\": [1, [2, {\"x\": null}]] } },\n"
        "  \"outputs\": { \"instances\": [\"i-xxxxxx\"] },\n"
        "  \"error\": { \"code\": \"ScaleOutFailed\", \"message\": \"quota exceeded\" },\n"
        "  \"stages\": [\n"
        "    { \"state\": \"success\", \"start_time\": \"2022-12-15 23:00:00\",\n"
        "      \"end_time\": \"2022-12-15 23:01:00\", \"message\": \"created\",\n"
        "      \"outputs\": { \"a\": [1, 2] } },\n"
        "    { \"state\": \"running\", \"start_time\": \"2022-12-15 23:01:00\" }\n"
        "  ],\n"
        "  \"events\": [\n"
        "    { \"action\": \"ScaleOut\", \"level\": \"Normal\", \"message\": \"started\",\n"
        "      \"reason\": \"Started\", \"source\": \"ack\", \"timestamp\": \"1668092524000\" }\n"
        "  ]\n"
        "}\n";

static int parse(const char *json, TaskInfo **ret, char **reason) {
        return task_info_parse(json, strlen(json), ret, reason);
}

static void test_seed_sample(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        _cleanup_(freep) char *reason = NULL;

        ASSERT_OK(parse(seed_reply, &t, &reason));
        ASSERT_NULL(reason);
        ASSERT_STR_EQ(t->task_id, "T-5faa48fb31b6b8078d000006");
        ASSERT_STR_EQ(t->cluster_id, "c78592bfe92244365b3c3ad47f1de****");
        ASSERT_STR_EQ(t->created, "2020-11-10T16:02:04+08:00");
        ASSERT_STR_EQ(t->updated, "2020-11-10T16:03:06.123+08:00");
        ASSERT_STR_EQ(t->state, "running");
        ASSERT_STR_EQ(t->task_type, "cluster_scaleout");
        ASSERT_STR_EQ(t->current_stage, "DrainNodes");
        ASSERT_STR_EQ(t->target_id, "np-0123456789");
        ASSERT_STR_EQ(t->target_type, "nodepool");
        ASSERT_STR_EQ(t->error_code, "ScaleOutFailed");
        ASSERT_STR_EQ(t->error_message, "quota exceeded");

        ASSERT_INT_EQ(t->n_instances, 3);
        ASSERT_STR_EQ(t->instances[0].id, "i-xxxxxx");
        ASSERT_STR_EQ(t->instances[0].status, "success");
        ASSERT_STR_EQ(t->instances[1].id, "i-yyyyyy");
        ASSERT_STR_EQ(t->instances[1].status, "failed");
        ASSERT_STR_EQ(t->instances[2].status, "initail");
        ASSERT_INT_EQ(instance_phase_from_status(t->instances[0].status), INSTANCE_PHASE_SUCCEEDED);
        ASSERT_INT_EQ(instance_phase_from_status(t->instances[1].status), INSTANCE_PHASE_FAILED);
        ASSERT_INT_EQ(instance_phase_from_status(t->instances[2].status), INSTANCE_PHASE_PENDING);

        ASSERT_INT_EQ(t->n_stages, 2);
        ASSERT_STR_EQ(t->stages[0].state, "success");
        ASSERT_STR_EQ(t->stages[0].start_time, "2022-12-15 23:00:00");
        ASSERT_STR_EQ(t->stages[0].end_time, "2022-12-15 23:01:00");
        ASSERT_STR_EQ(t->stages[0].message, "created");
        ASSERT_STR_EQ(t->stages[1].state, "running");
        ASSERT_NULL(t->stages[1].end_time);
        ASSERT_NULL(t->stages[1].message);

        ASSERT_INT_EQ(t->n_events, 1);
        ASSERT_STR_EQ(t->events[0].action, "ScaleOut");
        ASSERT_STR_EQ(t->events[0].level, "Normal");
        ASSERT_STR_EQ(t->events[0].message, "started");
        ASSERT_STR_EQ(t->events[0].reason, "Started");
        ASSERT_STR_EQ(t->events[0].source, "ack");
        ASSERT_STR_EQ(t->events[0].timestamp, "1668092524000");
        ASSERT_INT_EQ(task_phase_from_state(t->state), TASK_PHASE_RUNNING);
}

static void test_minimal_reply_leaves_everything_else_absent(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        ASSERT_OK(parse("{\"state\":\"success\"}", &t, NULL));
        ASSERT_STR_EQ(t->state, "success");
        ASSERT_NULL(t->task_id);
        ASSERT_NULL(t->target_id);
        ASSERT_NULL(t->error_code);
        ASSERT_NULL(t->instances);
        ASSERT_INT_EQ(t->n_instances + t->n_stages + t->n_events, 0);
}

static void test_unknown_keys_ignored(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        _cleanup_(freep) char *reason = NULL;

        ASSERT_OK(parse("{\"future\":{\"a\":[{\"b\":[[],{}]}],\"state\":7},"
                        "\"list\":[1,\"x\",null,true],"
                        "\"state\":\"paused\",\"n\":1.5e300,\"big\":123456789012345678901234567890,"
                        "\"target\":{\"id\":\"c-1\",\"region\":{\"x\":1},\"tags\":[1]},"
                        "\"task_result\":[{\"data\":\"i-1\",\"extra\":{\"status\":5},\"w\":[]}],"
                        "\"events\":[{\"timestamp\":\"1\",\"meta\":{\"k\":\"v\"}}],"
                        "\"stages\":[{\"outputs\":[{\"x\":[1]}],\"state\":\"running\"}]}",
                        &t, &reason));
        ASSERT_NULL(reason);
        ASSERT_STR_EQ(t->state, "paused");
        ASSERT_STR_EQ(t->target_id, "c-1");
        ASSERT_NULL(t->target_type);
        ASSERT_INT_EQ(t->n_instances, 1);
        ASSERT_STR_EQ(t->instances[0].id, "i-1");
        ASSERT_NULL(t->instances[0].status);
        ASSERT_INT_EQ(t->n_events, 1);
        ASSERT_STR_EQ(t->events[0].timestamp, "1");
        ASSERT_INT_EQ(t->n_stages, 1);
        ASSERT_STR_EQ(t->stages[0].state, "running");
}

static void test_null_values_mean_absent(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        _cleanup_(freep) char *reason = NULL;

        ASSERT_OK(parse("{\"state\":\"running\",\"task_id\":null,\"created\":null,\"target\":null,"
                        "\"error\":{\"code\":null,\"message\":\"m\"},\"task_result\":null,"
                        "\"stages\":[null,{\"state\":null,\"message\":\"s\"},null],"
                        "\"events\":[null],\"current_stage\":null}",
                        &t, &reason));
        ASSERT_NULL(reason);
        ASSERT_NULL(t->task_id);
        ASSERT_NULL(t->created);
        ASSERT_NULL(t->target_id);
        ASSERT_NULL(t->error_code);
        ASSERT_STR_EQ(t->error_message, "m");
        ASSERT_INT_EQ(t->n_instances, 0);
        ASSERT_INT_EQ(t->n_stages, 1);
        ASSERT_NULL(t->stages[0].state);
        ASSERT_STR_EQ(t->stages[0].message, "s");
        ASSERT_INT_EQ(t->n_events, 0);
        ASSERT_NULL(t->current_stage);

        /* A null instance data is as good as none: it cannot be tracked. */
        t = task_info_free(t);
        ASSERT_INT_EQ(parse("{\"state\":\"running\",\"task_result\":[{\"data\":null}]}", &t,
                            &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "at task_result[0]: entry has no \"data\"");
}

static void test_both_failed_spellings(void) {
        static const char *const replies[] = {
                "{\"state\":\"fail\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"fail\"}]}",
                "{\"state\":\"failed\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"failed\"}]}",
        };

        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                _cleanup_(task_info_freep) TaskInfo *t = NULL;

                ASSERT_OK(parse(replies[i], &t, NULL));
                ASSERT_INT_EQ(task_phase_from_state(t->state), TASK_PHASE_FAILED);
                ASSERT_TRUE(task_phase_is_terminal(task_phase_from_state(t->state)));
                ASSERT_INT_EQ(instance_phase_from_status(t->instances[0].status),
                              INSTANCE_PHASE_FAILED);
        }
}

static void test_task_phase_from_state(void) {
        static const struct {
                const char *state;
                TaskPhase phase;
        } cases[] = {
                { "running", TASK_PHASE_RUNNING },      { "RUNNING", TASK_PHASE_RUNNING },
                { "success", TASK_PHASE_SUCCEEDED },    { "Success", TASK_PHASE_SUCCEEDED },
                { "fail", TASK_PHASE_FAILED },          { "failed", TASK_PHASE_FAILED },
                { "FAILED", TASK_PHASE_FAILED },        { "pausing", TASK_PHASE_PAUSED },
                { "paused", TASK_PHASE_PAUSED },        { "resuming", TASK_PHASE_PAUSED },
                { "cancelling", TASK_PHASE_PAUSED },    { "canceling", TASK_PHASE_PAUSED },
                { "canceled", TASK_PHASE_CANCELED },    { "cancelled", TASK_PHASE_CANCELED },
                { "Canceled", TASK_PHASE_CANCELED },    { NULL, TASK_PHASE_UNKNOWN },
                { "", TASK_PHASE_UNKNOWN },             { "succeeded", TASK_PHASE_UNKNOWN },
                { "running ", TASK_PHASE_UNKNOWN },     { "run", TASK_PHASE_UNKNOWN },
                { "failedx", TASK_PHASE_UNKNOWN },      { "initial", TASK_PHASE_UNKNOWN },
                /* final and not a success, as ACK's own tooling treats it */
                { "timeout", TASK_PHASE_FAILED },       { "Timeout", TASK_PHASE_FAILED },
                { "timeouts", TASK_PHASE_UNKNOWN },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (task_phase_from_state(cases[i].state) != cases[i].phase)
                        TEST_FAIL_("state \"%s\" maps to %s, expected %s",
                                   cases[i].state ? cases[i].state : "(null)",
                                   task_phase_to_string(task_phase_from_state(cases[i].state)),
                                   task_phase_to_string(cases[i].phase));
}

static void test_task_phase_terminal_and_names(void) {
        static const struct {
                TaskPhase phase;
                bool terminal;
                const char *name;
        } cases[] = {
                { TASK_PHASE_RUNNING, false, "running" },
                { TASK_PHASE_PAUSED, false, "paused" },
                { TASK_PHASE_SUCCEEDED, true, "succeeded" },
                { TASK_PHASE_FAILED, true, "failed" },
                { TASK_PHASE_CANCELED, true, "canceled" },
                { TASK_PHASE_UNKNOWN, false, "unknown" },
        };

        ASSERT_INT_EQ(ELEMENTSOF(cases), _TASK_PHASE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ASSERT_INT_EQ(task_phase_is_terminal(cases[i].phase), cases[i].terminal);
                ASSERT_STR_EQ(task_phase_to_string(cases[i].phase), cases[i].name);
        }
        ASSERT_NULL(task_phase_to_string(_TASK_PHASE_MAX));
        ASSERT_NULL(task_phase_to_string((TaskPhase) -1));
        ASSERT_TRUE(!task_phase_is_terminal(_TASK_PHASE_MAX));
}

static void test_instance_phase(void) {
        static const struct {
                const char *status;
                InstancePhase phase;
        } cases[] = {
                { "success", INSTANCE_PHASE_SUCCEEDED }, { "SUCCESS", INSTANCE_PHASE_SUCCEEDED },
                { "failed", INSTANCE_PHASE_FAILED },     { "fail", INSTANCE_PHASE_FAILED },
                { "Failed", INSTANCE_PHASE_FAILED },     { "initial", INSTANCE_PHASE_PENDING },
                { "initail", INSTANCE_PHASE_PENDING },   { "running", INSTANCE_PHASE_PENDING },
                { NULL, INSTANCE_PHASE_PENDING },        { "", INSTANCE_PHASE_PENDING },
                { "successful", INSTANCE_PHASE_PENDING },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (instance_phase_from_status(cases[i].status) != cases[i].phase)
                        TEST_FAIL_("status \"%s\" maps to %s, expected %s",
                                   cases[i].status ? cases[i].status : "(null)",
                                   instance_phase_to_string(
                                           instance_phase_from_status(cases[i].status)),
                                   instance_phase_to_string(cases[i].phase));

        ASSERT_STR_EQ(instance_phase_to_string(INSTANCE_PHASE_PENDING), "pending");
        ASSERT_STR_EQ(instance_phase_to_string(INSTANCE_PHASE_SUCCEEDED), "succeeded");
        ASSERT_STR_EQ(instance_phase_to_string(INSTANCE_PHASE_FAILED), "failed");
        ASSERT_NULL(instance_phase_to_string(_INSTANCE_PHASE_MAX));
}

/* Each refused reply with the exact reason a person will read in the journal. */
static const struct {
        const char *json, *reason;
} refused[] = {
        { "{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\",\"status\":\"success\"},"
          "{\"data\":\"i-2\"},{\"data\":\"i-3\",\"status\":4}]}",
          "at task_result[2].status: expected a string, got a number" },
        { "{\"state\":1}", "at state: expected a string, got a number" },
        { "{\"state\":[\"running\"]}", "at state: expected a string, got an array" },
        { "{\"state\":\"running\",\"task_type\":true}",
          "at task_type: expected a string, got a boolean" },
        { "{\"state\":\"running\",\"target\":[]}", "at target: expected an object, got an array" },
        { "{\"state\":\"running\",\"target\":{\"id\":false}}",
          "at target.id: expected a string or an integer, got a boolean" },
        { "{\"state\":\"running\",\"error\":{\"message\":{}}}",
          "at error.message: expected a string, got an object" },
        { "{\"state\":\"running\",\"task_result\":{}}",
          "at task_result: expected an array, got an object" },
        { "{\"state\":\"running\",\"task_result\":[\"i-1\"]}",
          "at task_result[0]: expected an object, got a string" },
        { "{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\"},{\"status\":\"success\"}]}",
          "at task_result[1]: entry has no \"data\"" },
        { "{\"state\":\"running\",\"task_result\":[null]}",
          "at task_result[0]: expected an object, got null" },
        { "{\"state\":\"running\",\"stages\":[{},{\"state\":{}}]}",
          "at stages[1].state: expected a string, got an object" },
        { "{\"state\":\"running\",\"stages\":[5]}",
          "at stages[0]: expected an object, got a number" },
        { "{\"state\":\"running\",\"events\":[{\"timestamp\":1.5}]}",
          "at events[0].timestamp: expected a string or an integer, got a non-integer number" },
        { "{\"state\":\"running\",\"events\":[{\"timestamp\":99999999999999999999}]}",
          "at events[0].timestamp: expected a string or an integer, got an integer too large for 64 bits" },
        { "{\"state\":\"running\",\"events\":[{\"timestamp\":-99999999999999999999}]}",
          "at events[0].timestamp: expected a string or an integer, got an integer too large for 64 bits" },
        { "{\"state\":\"running\",\"events\":[{\"timestamp\":1e3}]}",
          "at events[0].timestamp: expected a string or an integer, got a non-integer number" },
        { "{\"state\":\"running\",\"events\":[{\"level\":3}]}",
          "at events[0].level: expected a string, got a number" },
        { "{\"state\":\"running\",\"state\":\"success\"}", "at state: duplicate key" },
        { "{\"state\":null,\"state\":\"success\"}", "at state: duplicate key" },
        { "{\"state\":\"running\",\"target\":{\"id\":\"a\",\"id\":\"b\"}}",
          "at target.id: duplicate key" },
        { "{}", "reply has no state" },
        { "{\"State\":\"running\"}", "reply has no state" },
        { "{\"state\":null}", "reply has no state" },
        { "[]", "reply is not a JSON object but an array" },
        { "[{\"state\":\"running\"}]", "reply is not a JSON object but an array" },
        { "\"running\"", "reply is not a JSON object but a string" },
        { "42", "reply is not a JSON object but a number" },
        { "null", "reply is not a JSON object but null" },
        { "true", "reply is not a JSON object but a boolean" },
        { "", "empty body" },
        { " \r\n\t ", "empty body" },
        { "{\"state\":\"running\"", "truncated JSON" },
        { "{\"state\":\"runn", "truncated JSON" },
        { "{\"state\":\"running\",\"task_result\":[{\"data\":\"i-1\"}", "truncated JSON" },
        { "{\"state\":", "truncated JSON" },
        { "{\"state\":\"running\"} x", "trailing garbage after the JSON value" },
        { "{\"state\":\"running\"}{}", "trailing garbage after the JSON value" },
        { "{\"state\":\"running\"}]", "trailing garbage after the JSON value" },
        { "{\"state\":\"a\\u0000b\"}", "contains an escaped NUL (\\u0000)" },
        { "{\"state\":\"running\"} /* unterminated", "unterminated comment" },
        { "{\"state\":\"running\"} /* *", "unterminated comment" },
        { "{\"state\":/* x */}", "invalid JSON: unallowed token at this point in JSON text" },
        { "{\"state\":\"running\",}", "invalid JSON: invalid object key (must be a string)" },
        { "{'state':'running'}", "invalid JSON: invalid char in json text" },
        { "{\"state\":\"\xff\"}", "invalid JSON: invalid bytes in UTF8 string" },
        { "{\"state\":\"running\"}\n<html>", "trailing garbage after the JSON value" },
};

static void test_refused_with_reason(void) {
        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                TaskInfo *t = (TaskInfo *) 0x1; /* must stay untouched */
                _cleanup_(freep) char *reason = NULL;
                int r = parse(refused[i].json, &t, &reason);

                if (r != -EBADMSG || t != (TaskInfo *) 0x1 || !reason ||
                    strcmp(reason, refused[i].reason) != 0)
                        TEST_FAIL_("%s: r=%d reason \"%s\", expected \"%s\"", refused[i].json, r,
                                   reason ? reason : "(null)", refused[i].reason);
        }
}

static void test_reason_is_optional(void) {
        TaskInfo *t = NULL;

        /* No reason asked for: nothing may leak (ASan checks). */
        ASSERT_INT_EQ(parse("{\"state\":1}", &t, NULL), -EBADMSG);
        ASSERT_NULL(t);
        ASSERT_INT_EQ(task_info_parse(NULL, 0, &t, NULL), -EBADMSG);
        ASSERT_INT_EQ(task_info_parse(NULL, 1, &t, NULL), -EINVAL);
        ASSERT_INT_EQ(task_info_parse("{}", 2, NULL, NULL), -EINVAL);
}

static void test_invalid_json_reason_is_short(void) {
        _cleanup_(freep) char *body = NULL, *reason = NULL;
        TaskInfo *t = NULL;
        size_t n = 100000;

        body = malloc(n + 1);
        ASSERT_NOT_NULL(body);
        memset(body, 'A', n);
        memcpy(body, "{\"state\": ", 10);
        body[n] = '\0';
        ASSERT_INT_EQ(task_info_parse(body, n, &t, &reason), -EBADMSG);
        ASSERT_NOT_NULL(reason);
        ASSERT_TRUE(strncmp(reason, "invalid JSON", strlen("invalid JSON")) == 0);
        ASSERT_TRUE(strlen(reason) <= 100);
        ASSERT_NULL(strstr(reason, "AAAA"));
        ASSERT_NULL(strchr(reason, '\n'));
}

static void test_integers_accepted_for_ids_and_times(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        ASSERT_OK(parse("{\"state\":\"running\",\"task_id\":12,\"created\":1605000000,"
                        "\"error\":{\"code\":-400},\"target\":{\"id\":0},"
                        "\"task_result\":[{\"data\":9007199254740993}],"
                        "\"stages\":[{\"start_time\":1,\"end_time\":2}],"
                        "\"events\":[{\"timestamp\":1668092524000}]}",
                        &t, NULL));
        ASSERT_STR_EQ(t->task_id, "12");
        ASSERT_STR_EQ(t->created, "1605000000");
        ASSERT_STR_EQ(t->error_code, "-400");
        ASSERT_STR_EQ(t->target_id, "0");
        ASSERT_STR_EQ(t->instances[0].id, "9007199254740993");
        ASSERT_STR_EQ(t->stages[0].start_time, "1");
        ASSERT_STR_EQ(t->stages[0].end_time, "2");
        ASSERT_STR_EQ(t->events[0].timestamp, "1668092524000");
}

static void test_strings_kept_as_is(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        ASSERT_OK(parse("{\"state\":\" Running \",\"task_id\":\"\","
                        "\"error\":{\"message\":\"line\\none \\\"q\\\" \\u00e9 \\ud83d\\ude00\"}}",
                        &t, NULL));
        ASSERT_STR_EQ(t->state, " Running ");
        ASSERT_STR_EQ(t->task_id, "");
        ASSERT_STR_EQ(t->error_message, "line\none \"q\" \xc3\xa9 \xf0\x9f\x98\x80");
        ASSERT_INT_EQ(task_phase_from_state(t->state), TASK_PHASE_UNKNOWN);
}

static void test_nul_byte_refused(void) {
        static const char body[] = "{\"state\":\"running\"}\0{\"x\":1}";
        static const char in_string[] = "{\"state\":\"run\0ning\"}";
        _cleanup_(freep) char *reason = NULL, *reason2 = NULL;
        TaskInfo *t = NULL;

        ASSERT_INT_EQ(task_info_parse(body, sizeof body - 1, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "contains a NUL byte");
        ASSERT_INT_EQ(task_info_parse(in_string, sizeof in_string - 1, &t, &reason2), -EBADMSG);
        ASSERT_STR_EQ(reason2, "contains a NUL byte");
        ASSERT_NULL(t);
}

/* {"state":"running","x": followed by `levels - 1` arrays: `levels` deep in all. */
static char *nested(size_t levels, char open, char close) {
        static const char head[] = "{\"state\":\"running\",\"x\":", tail[] = "}";
        size_t inner = levels - 1, n = strlen(head) + 2 * inner + 1 + strlen(tail);
        char *s = malloc(n + 1), *p = s;

        if (!s)
                return NULL;
        p = stpcpy(p, head);
        for (size_t i = 0; i < inner; i++)
                *p++ = open;
        *p++ = '1';
        for (size_t i = 0; i < inner; i++)
                *p++ = close;
        p = stpcpy(p, tail);
        return s;
}

static void test_depth_limit(void) {
        _cleanup_(freep) char *ok = nested(TASK_INFO_MAX_DEPTH, '[', ']');
        _cleanup_(freep) char *deep = nested(TASK_INFO_MAX_DEPTH + 1, '[', ']');
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        _cleanup_(freep) char *reason = NULL;

        ASSERT_NOT_NULL(ok);
        ASSERT_NOT_NULL(deep);
        ASSERT_OK(parse(ok, &t, &reason));
        ASSERT_STR_EQ(t->state, "running");
        t = task_info_free(t);

        ASSERT_INT_EQ(parse(deep, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "nested deeper than 64 levels");
        ASSERT_NULL(t);
}

static void test_depth_counts_objects_and_only_structure(void) {
        _cleanup_(freep) char *objects = NULL, *reason = NULL, *in_string = NULL;
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        size_t n = TASK_INFO_MAX_DEPTH + 1;

        /* {"a":{"a":...{"state":"running"}...}}: objects count as levels too. */
        objects = malloc(n * 6 + 40);
        ASSERT_NOT_NULL(objects);
        char *p = objects;
        for (size_t i = 0; i < n - 1; i++)
                p = stpcpy(p, "{\"a\":");
        p = stpcpy(p, "{\"state\":\"running\"}");
        for (size_t i = 0; i < n - 1; i++)
                *p++ = '}';
        *p = '\0';
        ASSERT_INT_EQ(parse(objects, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "nested deeper than 64 levels");

        /* Brackets inside strings (with escaped quotes) and comments are not structure. */
        in_string = malloc(3000);
        ASSERT_NOT_NULL(in_string);
        p = stpcpy(in_string, "{\"state\":\"running\",\"m\":\"\\\"");
        for (size_t i = 0; i < 1000; i++)
                *p++ = '[';
        p = stpcpy(p, "\\\\\", /* [[[[[[[[ */ \"n\": 1 // {{{{{{{{{{\n}");
        ASSERT_OK(parse(in_string, &t, NULL));
        ASSERT_STR_EQ(t->state, "running");
}

static void test_huge_nesting_refused_fast(void) {
        static const char *const prefixes[] = {
                "",
                "{\"state\":\"running\",\"x\":",
                /* A quote in a comment must not make the scan believe a string starts. */
                "/* \" */ {\"state\":\"running\",\"x\":",
                "// \"\n{\"state\":\"running\",\"x\":",
                "{\"state\":\"running\",\"m\":\"\\\\\",\"x\":",
        };
        size_t n = 100000;

        for (size_t k = 0; k < ELEMENTSOF(prefixes); k++) {
                size_t plen = strlen(prefixes[k]);
                _cleanup_(freep) char *body = malloc(plen + n + 1), *reason = NULL;
                TaskInfo *t = NULL;

                ASSERT_NOT_NULL(body);
                memcpy(body, prefixes[k], plen);
                for (size_t i = 0; i < n; i++)
                        body[plen + i] = i % 2 ? '{' : '[';
                body[plen + n] = '\0';
                ASSERT_INT_EQ(task_info_parse(body, plen + n, &t, &reason), -EBADMSG);
                /* The scan's own reason: refused before yajl could build anything. (Speed
                 * is for benchmarks, not unit tests.) */
                ASSERT_STR_EQ(reason, "nested deeper than 64 levels");
        }
}

static void test_body_size_cap(void) {
        _cleanup_(freep) char *body = NULL, *reason = NULL;
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        size_t n = TASK_INFO_MAX_BODY;
        static const char head[] = "{\"state\":\"running\",\"pad\":\"";

        /* Exactly at the cap is fine... */
        body = malloc(n + 2);
        ASSERT_NOT_NULL(body);
        memset(body, 'x', n + 1);
        memcpy(body, head, strlen(head));
        memcpy(body + n - 2, "\"}", 2);
        body[n] = '\0';
        ASSERT_OK(task_info_parse(body, n, &t, &reason));
        ASSERT_STR_EQ(t->state, "running");

        /* ...one byte more is not, whatever it holds. */
        body[n - 1] = ' ';
        body[n] = '}';
        body[n + 1] = '\0';
        t = task_info_free(t);
        ASSERT_INT_EQ(task_info_parse(body, n + 1, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "body of 8388609 bytes is larger than the limit of 8388608 bytes");
        ASSERT_NULL(t);
}

/* {"state":"running","task_result":[{"data":"i"},...]}, or with "unit" entries in an object. */
static char *many(size_t n, const char *head, const char *unit, const char *tail) {
        char *s = malloc(strlen(head) + n * (strlen(unit) + 1) + strlen(tail) + 1), *p = s;

        if (!s)
                return NULL;
        p = stpcpy(p, head);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        *p++ = ',';
                p = stpcpy(p, unit);
        }
        stpcpy(p, tail);
        return s;
}

/* ASan turns yajl's one-element-at-a-time growth of a 100000-entry array into some forty
 * seconds; the plain build checks that the largest allowed array is accepted. */
#if defined(__SANITIZE_ADDRESS__)
#  define UNDER_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define UNDER_ASAN 1
#  endif
#endif

static void test_entry_cap(void) {
        static const char head[] = "{\"state\":\"running\",\"task_result\":[";
        static const char object[] = "{\"state\":\"running\",\"p\":{";
        _cleanup_(freep) char *over = many(TASK_INFO_MAX_ENTRIES + 1, head, "{\"data\":\"i\"}",
                                           "]}");
        _cleanup_(freep) char *keys = many(TASK_INFO_MAX_ENTRIES + 1, object, "\"k\":0", "}}");
        _cleanup_(task_info_freep) TaskInfo *t = NULL;
        _cleanup_(freep) char *reason = NULL, *reason2 = NULL;

        ASSERT_NOT_NULL(over);
        ASSERT_NOT_NULL(keys);
        ASSERT_INT_EQ(parse(over, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "an array has more than 100000 entries");
        ASSERT_INT_EQ(parse(keys, &t, &reason2), -EBADMSG);
        /* The scan's own reasons: refused before yajl builds anything. */
        ASSERT_STR_EQ(reason2, "an object has more than 100000 entries");

#ifndef UNDER_ASAN
        _cleanup_(freep) char *ok = many(TASK_INFO_MAX_ENTRIES, head, "{\"data\":\"i\"}", "]}");
        ASSERT_NOT_NULL(ok);
        ASSERT_OK(parse(ok, &t, NULL));
        ASSERT_INT_EQ(t->n_instances, TASK_INFO_MAX_ENTRIES);
        ASSERT_STR_EQ(t->instances[TASK_INFO_MAX_ENTRIES - 1].id, "i");
#endif
}

static void test_entry_cap_counts_own_level_only(void) {
        _cleanup_(freep) char *inner = NULL, *body = NULL;
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        /* 1000 arrays of 200 entries: 200000 commas, but none has too many. */
        inner = many(200, "[", "0", "]");
        ASSERT_NOT_NULL(inner);
        body = many(1000, "{\"state\":\"running\",\"x\":[", inner, "]}");
        ASSERT_NOT_NULL(body);
        ASSERT_OK(parse(body, &t, NULL));
        ASSERT_STR_EQ(t->state, "running");
}

static void test_value_cap_bounds_the_tree(void) {
        _cleanup_(freep) char *inner = NULL, *body = NULL, *reason = NULL;
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        /* 3 arrays of 90000: no array is too long, but the reply as a whole is. */
        inner = many(90000, "[", "0", "]");
        ASSERT_NOT_NULL(inner);
        body = many(3, "{\"state\":\"running\",\"x\":[", inner, "]}");
        ASSERT_NOT_NULL(body);
        ASSERT_INT_EQ(parse(body, &t, &reason), -EBADMSG);
        ASSERT_STR_EQ(reason, "has more than 250000 values");
}

static void test_comments_accepted(void) {
        _cleanup_(task_info_freep) TaskInfo *t = NULL;

        /* yajl's tree parser always allows comments; the API never sends them. */
        ASSERT_OK(parse("// reply\n{ /* a \"quoted\" } */ \"state\": \"running\" /**/ }", &t,
                        NULL));
        ASSERT_STR_EQ(t->state, "running");
}

static void test_api_error_gateway_casing(void) {
        _cleanup_(api_error_freep) ApiError *e = NULL;
        static const char body[] =
                "{\"RequestId\":\"5C3D9E4A-0C1B-4E7B-8E2D-3F1A2B3C4D5E\",\"HostId\":"
                "\"cs.cn-hangzhou.aliyuncs.com\",\"Code\":\"SignatureDoesNotMatch\",\"Message\":"
                "\"Specified signature does not match our calculation.\",\"Recommend\":"
                "\"https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch\"}";

        ASSERT_OK(api_error_parse(body, strlen(body), &e));
        ASSERT_STR_EQ(e->code, "SignatureDoesNotMatch");
        ASSERT_STR_EQ(e->message, "Specified signature does not match our calculation.");
        ASSERT_STR_EQ(e->request_id, "5C3D9E4A-0C1B-4E7B-8E2D-3F1A2B3C4D5E");
        ASSERT_STR_EQ(e->host_id, "cs.cn-hangzhou.aliyuncs.com");
        ASSERT_STR_EQ(e->recommend, "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch");
}

static void test_api_error_backend_casing(void) {
        _cleanup_(api_error_freep) ApiError *e = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        static const char body[] =
                "{\"code\":\"ErrorTaskNotFound\",\"message\":\"task not found\","
                "\"requestId\":\"r-1\",\"data\":{\"x\":[1]}}";
        static const char snake[] = "{\"message\":\"throttled\",\"request_id\":\"r-2\"}";
        static const char numeric[] = "{\"code\":429,\"Message\":[\"x\"],\"requestId\":5}";
        static const char both[] = "{\"code\":\"low\",\"Code\":\"High\",\"message\":\"m\"}";

        ASSERT_OK(api_error_parse(body, strlen(body), &e));
        ASSERT_STR_EQ(e->code, "ErrorTaskNotFound");
        ASSERT_STR_EQ(e->message, "task not found");
        ASSERT_STR_EQ(e->request_id, "r-1");
        ASSERT_NULL(e->host_id);
        ASSERT_NULL(e->recommend);

        ASSERT_OK(api_error_parse(snake, strlen(snake), &e2));
        ASSERT_NULL(e2->code);
        ASSERT_STR_EQ(e2->message, "throttled");
        ASSERT_STR_EQ(e2->request_id, "r-2");

        /* Wrong types are ignored here: the HTTP status already says it failed. */
        ASSERT_OK(api_error_parse(numeric, strlen(numeric), &e3));
        ASSERT_STR_EQ(e3->code, "429");
        ASSERT_NULL(e3->message);
        ASSERT_NULL(e3->request_id);

        ASSERT_OK(api_error_parse(both, strlen(both), &e4));
        ASSERT_STR_EQ(e4->code, "High");
}

static void test_api_error_garbage_refused(void) {
        static const char *const bodies[] = {
                "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                "Service Unavailable",
                "",
                "   ",
                "[]",
                "[{\"Code\":\"X\"}]",
                "\"Throttling\"",
                "null",
                "{}",
                "{\"RequestId\":\"r-1\",\"HostId\":\"h\"}",
                "{\"Code\":\"\",\"Message\":\"\"}",
                "{\"Code\":null,\"message\":false}",
                "{\"Code\":\"X\"",
                "{\"Code\":\"X\"} trailing",
                "{\"Code\":\"X\\u0000\"}",
                "{\"Error\":{\"Code\":\"X\",\"Message\":\"nested\"}}",
        };
        static const char nul[] = "{\"Code\":\"X\"}\0";
        ApiError *e = NULL;
        _cleanup_(freep) char *deep = nested(TASK_INFO_MAX_DEPTH + 1, '{', '}');

        for (size_t i = 0; i < ELEMENTSOF(bodies); i++)
                if (api_error_parse(bodies[i], strlen(bodies[i]), &e) != -EBADMSG || e)
                        TEST_FAIL_("error body accepted: %s", bodies[i]);
        ASSERT_INT_EQ(api_error_parse(nul, sizeof nul - 1, &e), -EBADMSG);
        ASSERT_NOT_NULL(deep);
        ASSERT_INT_EQ(api_error_parse(deep, strlen(deep), &e), -EBADMSG);
        ASSERT_INT_EQ(api_error_parse(NULL, 0, &e), -EBADMSG);
        _cleanup_(freep) char *big = many(TASK_INFO_MAX_BODY / 8, "{\"Code\":\"X\",\"p\":\"",
                                          "1234567", "\"}");
        ASSERT_NOT_NULL(big);
        ASSERT_TRUE(strlen(big) > TASK_INFO_MAX_BODY);
        ASSERT_INT_EQ(api_error_parse(big, strlen(big), &e), -EBADMSG);
        ASSERT_NULL(e);
        ASSERT_NULL(api_error_free(NULL));
        ASSERT_NULL(task_info_free(NULL));
}

TEST_MAIN(TEST_CASE(test_seed_sample),
          TEST_CASE(test_minimal_reply_leaves_everything_else_absent),
          TEST_CASE(test_unknown_keys_ignored),
          TEST_CASE(test_null_values_mean_absent),
          TEST_CASE(test_both_failed_spellings),
          TEST_CASE(test_task_phase_from_state),
          TEST_CASE(test_task_phase_terminal_and_names),
          TEST_CASE(test_instance_phase),
          TEST_CASE(test_refused_with_reason),
          TEST_CASE(test_reason_is_optional),
          TEST_CASE(test_invalid_json_reason_is_short),
          TEST_CASE(test_integers_accepted_for_ids_and_times),
          TEST_CASE(test_strings_kept_as_is),
          TEST_CASE(test_nul_byte_refused),
          TEST_CASE(test_depth_limit),
          TEST_CASE(test_depth_counts_objects_and_only_structure),
          TEST_CASE(test_huge_nesting_refused_fast),
          TEST_CASE(test_body_size_cap),
          TEST_CASE(test_entry_cap),
          TEST_CASE(test_entry_cap_counts_own_level_only),
          TEST_CASE(test_value_cap_bounds_the_tree),
          TEST_CASE(test_comments_accepted),
          TEST_CASE(test_api_error_gateway_casing),
          TEST_CASE(test_api_error_backend_casing),
          TEST_CASE(test_api_error_garbage_refused))
