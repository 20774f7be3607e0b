/* Classifying a poll's response: replies, throttling, auth, not found, faults. */
#include "test.h"
#include "watch/poll-outcome.h"

static PollOutcome classify(long status, const char *body, long retry_after_ms) {
        HttpResponse resp = {
                .failure = HTTP_OK,
                .status = status,
                .body = body,
                .body_len = strlen(body),
                .request_id = "REQ-1",
                .retry_after_ms = retry_after_ms,
        };
        PollOutcome o;

        if (poll_outcome_classify("T-1", &resp, &o) < 0)
                abort();
        return o;
}

static void test_good_reply(void) {
        PollOutcome o = classify(200, "{\"task_id\":\"T-1\",\"state\":\"running\"}", -1);

        ASSERT_INT_EQ(o.result, POLL_OK);
        ASSERT_NOT_NULL(o.info);
        ASSERT_STR_EQ(o.info->state, "running");
        ASSERT_STR_EQ(o.request_id, "REQ-1");
        poll_outcome_done(&o);
}

static void test_malformed_reply_is_bad_reply_with_reason(void) {
        PollOutcome o = classify(200, "{\"state\":\"running\"", -1);

        ASSERT_INT_EQ(o.result, POLL_BAD_REPLY);
        ASSERT_NULL(o.info);
        ASSERT_STR_EQ(o.code, "MalformedReply");
        ASSERT_NOT_NULL(o.message);
        poll_outcome_done(&o);
}

static void test_reply_for_another_task_is_refused(void) {
        PollOutcome o = classify(200, "{\"task_id\":\"T-2\",\"state\":\"success\"}", -1);

        ASSERT_INT_EQ(o.result, POLL_BAD_REPLY);
        ASSERT_STR_EQ(o.code, "WrongTask");
        ASSERT_TRUE(strstr(o.message, "T-2") != NULL);
        ASSERT_NULL(o.info);
        poll_outcome_done(&o);
}

static void test_throttling_code_with_retry_after(void) {
        PollOutcome o = classify(400, "{\"Code\":\"Throttling.User\",\"Message\":\"slow down\"}", 1500);

        ASSERT_INT_EQ(o.result, POLL_THROTTLED);
        ASSERT_STR_EQ(o.code, "Throttling.User");
        ASSERT_U64_EQ(o.retry_after, 1500 * USEC_PER_MSEC);
        poll_outcome_done(&o);
}

static void test_any_retry_after_means_throttled(void) {
        PollOutcome o = classify(503, "{\"Code\":\"ServiceUnavailable\"}", 200);

        ASSERT_INT_EQ(o.result, POLL_THROTTLED);
        poll_outcome_done(&o);
}

static void test_429_without_body_is_throttled(void) {
        PollOutcome o = classify(429, "", -1);

        ASSERT_INT_EQ(o.result, POLL_THROTTLED);
        ASSERT_U64_EQ(o.retry_after, 0);
        poll_outcome_done(&o);
}

static void test_unknown_key_404_is_auth_not_not_found(void) {
        PollOutcome o = classify(404, "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"no such key\"}", -1);

        ASSERT_INT_EQ(o.result, POLL_AUTH_ERROR);
        poll_outcome_done(&o);
}

static void test_task_not_found(void) {
        PollOutcome o = classify(404, "{\"code\":\"ErrorTaskNotFound\",\"message\":\"no task\"}", -1);
        ASSERT_INT_EQ(o.result, POLL_NOT_FOUND);
        ASSERT_STR_EQ(o.code, "ErrorTaskNotFound");
        poll_outcome_done(&o);

        o = classify(400, "{\"Code\":\"TaskNotFound\"}", -1);
        ASSERT_INT_EQ(o.result, POLL_NOT_FOUND);
        poll_outcome_done(&o);
}

static void test_signature_mismatch_is_auth_and_message_is_shortened(void) {
        char body[2048];
        char filler[1500];

        memset(filler, 'x', sizeof(filler) - 1);
        filler[sizeof(filler) - 1] = 0;
        snprintf(body, sizeof(body), "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"%s\"}", filler);
        PollOutcome o = classify(400, body, -1);
        ASSERT_INT_EQ(o.result, POLL_AUTH_ERROR);
        ASSERT_TRUE(strlen(o.message) <= 300);
        poll_outcome_done(&o);

        o = classify(403, "{\"Code\":\"Forbidden.RAM\"}", -1);
        ASSERT_INT_EQ(o.result, POLL_AUTH_ERROR);
        poll_outcome_done(&o);
}

static void test_server_errors_in_both_casings(void) {
        PollOutcome o = classify(503, "{\"code\":\"ServiceUnavailable\",\"message\":\"busy\",\"requestId\":\"R\"}", -1);
        ASSERT_INT_EQ(o.result, POLL_SERVER_ERROR);
        ASSERT_STR_EQ(o.code, "ServiceUnavailable");
        ASSERT_STR_EQ(o.message, "busy");
        poll_outcome_done(&o);

        o = classify(500, "{\"RequestId\":\"R\",\"Code\":\"InternalError\",\"Message\":\"oops\"}", -1);
        ASSERT_INT_EQ(o.result, POLL_SERVER_ERROR);
        ASSERT_STR_EQ(o.code, "InternalError");
        poll_outcome_done(&o);
}

static void test_html_error_page_keeps_its_status(void) {
        PollOutcome o = classify(502, "<html><body>Bad Gateway</body></html>", -1);

        ASSERT_INT_EQ(o.result, POLL_SERVER_ERROR);
        ASSERT_INT_EQ(o.http_status, 502);
        ASSERT_NULL(o.code);
        poll_outcome_done(&o);
}

static void test_replayed_nonce_is_a_network_fault(void) {
        PollOutcome o = classify(400, "{\"Code\":\"SignatureNonceUsed\",\"Message\":\"used\"}", -1);

        ASSERT_INT_EQ(o.result, POLL_NETWORK_ERROR);
        ASSERT_STR_EQ(o.code, "SignatureNonceUsed");
        poll_outcome_done(&o);
}

static void test_other_client_error(void) {
        PollOutcome o = classify(400, "{\"Code\":\"InvalidParameter\"}", -1);

        ASSERT_INT_EQ(o.result, POLL_CLIENT_ERROR);
        poll_outcome_done(&o);
}

static void test_transport_failures(void) {
        HttpResponse resp = { .failure = HTTP_FAILURE_TIMEOUT, .error = "Operation timed out", .retry_after_ms = -1 };
        PollOutcome o;

        ASSERT_OK(poll_outcome_classify("T-1", &resp, &o));
        ASSERT_INT_EQ(o.result, POLL_NETWORK_ERROR);
        ASSERT_STR_EQ(o.code, "Timeout");
        ASSERT_STR_EQ(o.message, "Operation timed out");
        poll_outcome_done(&o);

        resp = (HttpResponse) { .failure = HTTP_FAILURE_TOO_BIG, .error = "too big", .retry_after_ms = -1 };
        ASSERT_OK(poll_outcome_classify("T-1", &resp, &o));
        ASSERT_INT_EQ(o.result, POLL_BAD_REPLY);
        ASSERT_STR_EQ(o.code, "ReplyTooLarge");
        poll_outcome_done(&o);
}

static void test_every_result_has_an_event_and_a_name(void) {
        for (int r = 0; r < _POLL_RESULT_MAX; r++) {
                ASSERT_NOT_NULL(poll_result_to_string((PollResult) r));
                ASSERT_NOT_NULL(event_kind_name(poll_result_event_kind((PollResult) r)));
        }
}

TEST_MAIN(TEST_CASE(test_good_reply),
          TEST_CASE(test_malformed_reply_is_bad_reply_with_reason),
          TEST_CASE(test_reply_for_another_task_is_refused),
          TEST_CASE(test_throttling_code_with_retry_after),
          TEST_CASE(test_any_retry_after_means_throttled),
          TEST_CASE(test_429_without_body_is_throttled),
          TEST_CASE(test_unknown_key_404_is_auth_not_not_found),
          TEST_CASE(test_task_not_found),
          TEST_CASE(test_signature_mismatch_is_auth_and_message_is_shortened),
          TEST_CASE(test_server_errors_in_both_casings),
          TEST_CASE(test_html_error_page_keeps_its_status),
          TEST_CASE(test_replayed_nonce_is_a_network_fault),
          TEST_CASE(test_other_client_error),
          TEST_CASE(test_transport_failures),
          TEST_CASE(test_every_result_has_an_event_and_a_name))
