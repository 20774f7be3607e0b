/* Event kinds: names, MESSAGE_IDs and priorities are complete and distinct; stderr lines. */
#include <syslog.h>

#include "event-recorder.h"
#include "test.h"

static void test_every_kind_has_name_id_and_priority(void) {
        for (int k = 0; k < _EVENT_KIND_MAX; k++) {
                const char *id = event_kind_message_id((EventKind) k);
                ASSERT_NOT_NULL(event_kind_name((EventKind) k));
                ASSERT_NOT_NULL(id);
                ASSERT_INT_EQ(strlen(id), 32);
                ASSERT_INT_EQ(strspn(id, "0123456789abcdef"), 32);
        }
}

static void test_names_and_ids_are_distinct(void) {
        for (int a = 0; a < _EVENT_KIND_MAX; a++)
                for (int b = a + 1; b < _EVENT_KIND_MAX; b++) {
                        ASSERT_TRUE(strcmp(event_kind_name((EventKind) a), event_kind_name((EventKind) b)) != 0);
                        ASSERT_TRUE(strcmp(event_kind_message_id((EventKind) a),
                                           event_kind_message_id((EventKind) b)) != 0);
                }
}

static void test_failures_are_errors(void) {
        ASSERT_INT_EQ(event_kind_priority(EVENT_TASK_FAILED), LOG_ERR);
        ASSERT_INT_EQ(event_kind_priority(EVENT_INSTANCE_FAILED), LOG_ERR);
        ASSERT_INT_EQ(event_kind_priority(EVENT_API_AUTH_ERROR), LOG_ERR);
        ASSERT_INT_EQ(event_kind_priority(EVENT_TASK_BASELINE), LOG_INFO);
}

static void test_line_goes_to_the_stream(void) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        EventSink *s = NULL;
        Event e = EVENT_INIT(EVENT_TASK_FAILED);

        unsetenv("JOURNAL_STREAM");
        ASSERT_OK(event_sink_new(&s, f));
        event_sink_set_journal(s, false);
        e.task_id = "T-1";
        event_emitf(s, &e, "%s: task failed: %s", "T-1", "boom");
        fclose(f);
        ASSERT_TRUE(strstr(out, " error   T-1: task failed: boom\n") != NULL);
        event_sink_free(s);
        free(out);
}

static void test_control_characters_are_escaped_on_the_stream(void) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        EventSink *s = NULL;
        Event e = EVENT_INIT(EVENT_API_SERVER_ERROR);

        unsetenv("JOURNAL_STREAM");
        ASSERT_OK(event_sink_new(&s, f));
        event_sink_set_journal(s, false);
        event_emitf(s, &e, "T-1: %s", "bad\x1b[2Jgateway\nsecond line");
        fclose(f);
        ASSERT_TRUE(strstr(out, "T-1: bad\\x1b[2Jgateway\\x0asecond line\n") != NULL);
        ASSERT_TRUE(strchr(out, '\x1b') == NULL);
        event_sink_free(s);
        free(out);
}

static void test_capture_sees_fields(void) {
        EventRecorder rec;
        Event e = EVENT_INIT(EVENT_INSTANCE_FAILED);

        recorder_init(&rec);
        e.task_id = "T-9";
        e.instance_id = "i-9";
        event_emitf(rec.sink, &e, "instance %s failed", "i-9");
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_STR_EQ(rec.events[0].instance_id, "i-9");
        ASSERT_STR_EQ(rec.events[0].message, "instance i-9 failed");
        recorder_done(&rec);
}

/* A 200 KB error.message quoted in a message: the line and the captured event are cut at
 * EVENT_MESSAGE_MAX with a marker; ERROR_MESSAGE keeps the whole text. */
static void test_long_message_is_cut_with_a_marker(void) {
        const size_t big = 200 * 1024;
        _cleanup_(freep) char *text = malloc(big + 1);
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        EventRecorder rec;
        Event e = EVENT_INIT(EVENT_TASK_FAILED);

        ASSERT_NOT_NULL(text);
        memset(text, 'm', big);
        text[big] = '\0';
        /* A three-byte character across the cut (the message starts with 5 bytes "T-1: "). */
        memcpy(text + EVENT_MESSAGE_MAX - 6, "\xe2\x82\xac", 3);

        recorder_init(&rec);
        unsetenv("JOURNAL_STREAM");
        event_sink_free(rec.sink);
        ASSERT_OK(event_sink_new(&rec.sink, f));
        event_sink_set_journal(rec.sink, false);
        event_sink_set_capture(rec.sink, recorder_on_event, &rec);
        e.task_id = "T-1";
        e.error_message = text;
        event_emitf(rec.sink, &e, "T-1: %s", text);
        fclose(f);

        ASSERT_INT_EQ(rec.n, 1);
        const char *m = rec.events[0].message;
        ASSERT_TRUE(strlen(m) < EVENT_MESSAGE_MAX + 100);
        ASSERT_TRUE(strstr(m, "... [") != NULL);
        ASSERT_TRUE(strstr(m, " more bytes cut; ERROR_MESSAGE= has the whole error]") != NULL);
        ASSERT_TRUE(strncmp(m, "T-1: mmm", 8) == 0);
        /* the cut is on a character boundary: before the euro sign, not inside it */
        const char *marker = strstr(m, "... [");
        ASSERT_INT_EQ(marker - m, EVENT_MESSAGE_MAX - 1);
        ASSERT_TRUE(strstr(m, "\xe2") == NULL);
        ASSERT_INT_EQ(strlen(rec.events[0].error_message), big);
        ASSERT_TRUE(len < EVENT_MESSAGE_MAX + 200);
        ASSERT_TRUE(strstr(out, "more bytes cut") != NULL);
        recorder_done(&rec);
        free(out);
}

static void test_message_at_the_limit_is_whole(void) {
        char text[EVENT_MESSAGE_MAX + 1];
        EventRecorder rec;
        Event e = EVENT_INIT(EVENT_API_SERVER_ERROR);

        memset(text, 'x', EVENT_MESSAGE_MAX);
        text[EVENT_MESSAGE_MAX] = '\0';
        recorder_init(&rec);
        event_emitf(rec.sink, &e, "%s", text);
        ASSERT_INT_EQ(rec.n, 1);
        ASSERT_STR_EQ(rec.events[0].message, text);
        recorder_done(&rec);
}

/* The instance name is the sink's, copied: the caller's string may go away. */
static void test_instance_name_is_kept_and_replaced(void) {
        EventSink *s = NULL;
        char name[] = "hangzhou";

        ASSERT_INT_EQ(event_sink_new(&s, NULL), 0);
        ASSERT_NULL(event_sink_instance(s));
        ASSERT_INT_EQ(event_sink_set_instance(s, name), 0);
        name[0] = 'X';
        ASSERT_STR_EQ(event_sink_instance(s), "hangzhou");
        ASSERT_INT_EQ(event_sink_set_instance(s, "beijing"), 0);
        ASSERT_STR_EQ(event_sink_instance(s), "beijing");
        ASSERT_INT_EQ(event_sink_set_instance(s, NULL), 0);
        ASSERT_NULL(event_sink_instance(s));
        event_sink_free(s);
}

TEST_MAIN(TEST_CASE(test_every_kind_has_name_id_and_priority),
          TEST_CASE(test_names_and_ids_are_distinct),
          TEST_CASE(test_failures_are_errors),
          TEST_CASE(test_line_goes_to_the_stream),
          TEST_CASE(test_control_characters_are_escaped_on_the_stream),
          TEST_CASE(test_capture_sees_fields),
          TEST_CASE(test_long_message_is_cut_with_a_marker),
          TEST_CASE(test_message_at_the_limit_is_whole),
          TEST_CASE(test_instance_name_is_kept_and_replaced))
