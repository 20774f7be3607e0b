/* Classifying a DescribeTaskInfo response: replies, throttling, auth, not found, faults. */
#include "test.h"
#include "ack/reply.h"

static AckReply classify(long status, const char *body, long retry_after_ms) {
        char retry_after[32];
        const char *headers[_ACK_HEADER_MAX] = {
                [ACK_HEADER_REQUEST_ID] = "REQ-1",
                [ACK_HEADER_RETRY_AFTER] = retry_after_ms >= 0 ? retry_after : NULL,
        };
        HttpResponse resp = {
                .failure = HTTP_OK,
                .status = status,
                .body = body,
                .body_len = strlen(body),
                .headers = headers,
                .n_headers = _ACK_HEADER_MAX,
        };
        AckReply o;

        (void) snprintf(retry_after, sizeof(retry_after), "%ld", retry_after_ms);

        if (ack_reply_classify("T-1", &resp, &o) < 0)
                abort();
        return o;
}

static AckReply classify_retry_after(long status, const char *body, const char *retry_after) {
        const char *headers[_ACK_HEADER_MAX] = { [ACK_HEADER_RETRY_AFTER] = retry_after };
        HttpResponse resp = { .failure = HTTP_OK, .status = status, .body = body,
                              .body_len = strlen(body), .headers = headers,
                              .n_headers = _ACK_HEADER_MAX };
        AckReply o;

        if (ack_reply_classify("T-1", &resp, &o) < 0)
                abort();
        return o;
}

static void test_good_reply(void) {
        AckReply o = classify(200, "{\"task_id\":\"T-1\",\"state\":\"running\"}", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_OK);
        ASSERT_NOT_NULL(o.info);
        ASSERT_STR_EQ(o.info->state, "running");
        ASSERT_STR_EQ(o.request_id, "REQ-1");
        ack_reply_done(&o);
}

static void test_malformed_reply_is_bad_reply_with_reason(void) {
        AckReply o = classify(200, "{\"state\":\"running\"", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_BAD_REPLY);
        ASSERT_NULL(o.info);
        ASSERT_STR_EQ(o.code, "MalformedReply");
        ASSERT_NOT_NULL(o.message);
        ack_reply_done(&o);
}

static void test_reply_for_another_task_is_refused(void) {
        AckReply o = classify(200, "{\"task_id\":\"T-2\",\"state\":\"success\"}", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_BAD_REPLY);
        ASSERT_STR_EQ(o.code, "WrongTask");
        ASSERT_TRUE(strstr(o.message, "T-2") != NULL);
        ASSERT_NULL(o.info);
        ack_reply_done(&o);
}

static void test_throttling_code_with_retry_after(void) {
        AckReply o = classify(400, "{\"Code\":\"Throttling.User\",\"Message\":\"slow down\"}", 1500);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_THROTTLED);
        ASSERT_STR_EQ(o.code, "Throttling.User");
        ASSERT_U64_EQ(o.retry_after, 1500 * USEC_PER_MSEC);
        ack_reply_done(&o);
}

static void test_any_retry_after_means_throttled(void) {
        AckReply o = classify(503, "{\"Code\":\"ServiceUnavailable\"}", 200);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_THROTTLED);
        ack_reply_done(&o);
}

/* Parsed with overflow checks: the value times 1000 must not wrap (18446744073709552 ms
 * once became 384 us), and whatever is not a plain decimal number is no retry-after. */
static void test_retry_after_is_parsed_without_overflow(void) {
        static const struct {
                const char *header;
                usec_t want;
        } cases[] = {
                { "1500", 1500 * USEC_PER_MSEC },
                { " 1500\t", 1500 * USEC_PER_MSEC },
                { "3600000000", 3600000000ULL * USEC_PER_MSEC },
                { "18446744073709551", 18446744073709551ULL * USEC_PER_MSEC },
                { "18446744073709552", USEC_INFINITY },
                { "18446744073709551616", USEC_INFINITY },
                { "99999999999999999999999999999999", USEC_INFINITY },
                { "0", 0 },
                { "-5", 0 },
                { "+5", 0 },
                { "12abc", 0 },
                { "1.5", 0 },
                { "", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                AckReply o = classify_retry_after(400, "{\"Code\":\"Throttling.User\"}", cases[i].header);

                if (o.retry_after != cases[i].want)
                        TEST_FAIL_("x-acs-retry-after \"%s\" gave %" PRIu64 " us, expected %" PRIu64,
                                   cases[i].header, o.retry_after, cases[i].want);
                ASSERT_INT_EQ(o.kind, ACK_REPLY_THROTTLED);
                ack_reply_done(&o);
        }

        /* A negative value is no request to wait: a 503 with it stays a server error. */
        AckReply o = classify_retry_after(503, "{\"Code\":\"ServiceUnavailable\"}", "-1500");
        ASSERT_INT_EQ(o.kind, ACK_REPLY_SERVER_ERROR);
        ASSERT_U64_EQ(o.retry_after, 0);
        ack_reply_done(&o);
}

/* Only a 4xx says the task does not exist: a failing service's 5xx never ends a wait with
 * "check the task id". */
static void test_5xx_is_never_not_found(void) {
        static const long statuses[] = { 500, 502, 503, 504 };

        for (size_t i = 0; i < ELEMENTSOF(statuses); i++) {
                AckReply o = classify(statuses[i], "{\"Code\":\"ServiceNotFound\",\"Message\":\"no backend\"}", -1);
                ASSERT_INT_EQ(o.kind, ACK_REPLY_SERVER_ERROR);
                ASSERT_STR_EQ(o.code, "ServiceNotFound");
                ack_reply_done(&o);
        }
        AckReply o = classify(400, "{\"Code\":\"ErrorTaskNotFound\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_NOT_FOUND);
        ack_reply_done(&o);
}

static void test_429_without_body_is_throttled(void) {
        AckReply o = classify(429, "", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_THROTTLED);
        ASSERT_U64_EQ(o.retry_after, 0);
        ack_reply_done(&o);
}

static void test_unknown_key_404_is_auth_not_not_found(void) {
        AckReply o = classify(404, "{\"Code\":\"InvalidAccessKeyId.NotFound\",\"Message\":\"no such key\"}", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_AUTH_ERROR);
        ack_reply_done(&o);
}

static void test_task_not_found(void) {
        AckReply o = classify(404, "{\"code\":\"ErrorTaskNotFound\",\"message\":\"no task\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_NOT_FOUND);
        ASSERT_STR_EQ(o.code, "ErrorTaskNotFound");
        ack_reply_done(&o);

        o = classify(400, "{\"Code\":\"TaskNotFound\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_NOT_FOUND);
        ack_reply_done(&o);
}

static void test_signature_mismatch_is_auth_and_message_is_shortened(void) {
        char body[2048];
        char filler[1500];

        memset(filler, 'x', sizeof(filler) - 1);
        filler[sizeof(filler) - 1] = 0;
        snprintf(body, sizeof(body), "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"%s\"}", filler);
        AckReply o = classify(400, body, -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_AUTH_ERROR);
        ASSERT_TRUE(strlen(o.message) <= 300);
        ack_reply_done(&o);

        o = classify(403, "{\"Code\":\"Forbidden.RAM\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_AUTH_ERROR);
        ack_reply_done(&o);
}

static void test_server_errors_in_both_casings(void) {
        AckReply o = classify(503, "{\"code\":\"ServiceUnavailable\",\"message\":\"busy\",\"requestId\":\"R\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_SERVER_ERROR);
        ASSERT_STR_EQ(o.code, "ServiceUnavailable");
        ASSERT_STR_EQ(o.message, "busy");
        ack_reply_done(&o);

        o = classify(500, "{\"RequestId\":\"R\",\"Code\":\"InternalError\",\"Message\":\"oops\"}", -1);
        ASSERT_INT_EQ(o.kind, ACK_REPLY_SERVER_ERROR);
        ASSERT_STR_EQ(o.code, "InternalError");
        ack_reply_done(&o);
}

static void test_html_error_page_keeps_its_status(void) {
        AckReply o = classify(502, "<html><body>Bad Gateway</body></html>", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_SERVER_ERROR);
        ASSERT_INT_EQ(o.http_status, 502);
        ASSERT_NULL(o.code);
        ack_reply_done(&o);
}

static void test_replayed_nonce_is_a_network_fault(void) {
        AckReply o = classify(400, "{\"Code\":\"SignatureNonceUsed\",\"Message\":\"used\"}", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_NETWORK_ERROR);
        ASSERT_STR_EQ(o.code, "SignatureNonceUsed");
        ack_reply_done(&o);
}

static void test_other_client_error(void) {
        AckReply o = classify(400, "{\"Code\":\"InvalidParameter\"}", -1);

        ASSERT_INT_EQ(o.kind, ACK_REPLY_CLIENT_ERROR);
        ack_reply_done(&o);
}

static void test_transport_failures(void) {
        HttpResponse resp = { .failure = HTTP_FAILURE_TIMEOUT, .error = "Operation timed out" };
        AckReply o;

        ASSERT_OK(ack_reply_classify("T-1", &resp, &o));
        ASSERT_INT_EQ(o.kind, ACK_REPLY_NETWORK_ERROR);
        ASSERT_STR_EQ(o.code, "Timeout");
        ASSERT_STR_EQ(o.message, "Operation timed out");
        ack_reply_done(&o);

        resp = (HttpResponse) { .failure = HTTP_FAILURE_TOO_BIG, .error = "too big" };
        ASSERT_OK(ack_reply_classify("T-1", &resp, &o));
        ASSERT_INT_EQ(o.kind, ACK_REPLY_BAD_REPLY);
        ASSERT_STR_EQ(o.code, "ReplyTooLarge");
        ack_reply_done(&o);
}

static void test_headers_absent_or_not_asked_for(void) {
        static const char body[] = "{\"task_id\":\"T-1\",\"state\":\"running\"}";
        HttpResponse resp = { .failure = HTTP_OK, .status = 200, .body = body, .body_len = strlen(body) };
        AckReply o;

        ASSERT_OK(ack_reply_classify("T-1", &resp, &o));
        ASSERT_INT_EQ(o.kind, ACK_REPLY_OK);
        ASSERT_NULL(o.request_id);
        ASSERT_INT_EQ(o.retry_after, 0);
        ASSERT_TRUE(o.body == body);
        ASSERT_INT_EQ(o.body_len, strlen(body));
        ASSERT_U64_EQ(o.body_hash, ack_reply_hash(body, strlen(body)));
        ack_reply_done(&o);
}

static void test_known_reply_is_not_decoded(void) {
        static const char body[] = "not even JSON: never decoded";
        const char *headers[_ACK_HEADER_MAX] = { "REQ-9", "1500" };
        HttpResponse resp = { .failure = HTTP_OK, .status = 200, .body = body, .body_len = strlen(body),
                              .headers = headers, .n_headers = _ACK_HEADER_MAX };
        AckReply o;

        ASSERT_OK(ack_reply_known(&resp, 42, &o));
        ASSERT_INT_EQ(o.kind, ACK_REPLY_OK);
        ASSERT_TRUE(o.unchanged);
        ASSERT_NULL(o.info);
        ASSERT_STR_EQ(o.request_id, "REQ-9");
        ASSERT_INT_EQ(o.retry_after, 1500 * USEC_PER_MSEC);
        ASSERT_U64_EQ(o.body_hash, 42);
        ack_reply_done(&o);
}

static void test_hash_tells_bodies_apart(void) {
        ASSERT_TRUE(ack_reply_hash("abcdefgh1", 9) != ack_reply_hash("abcdefgh2", 9));
        ASSERT_TRUE(ack_reply_hash("abc", 3) != ack_reply_hash("abc\0", 4));
        ASSERT_U64_EQ(ack_reply_hash("same", 4), ack_reply_hash("same", 4));
}

static void test_every_result_has_an_event_and_a_name(void) {
        for (int r = 0; r < _ACK_REPLY_KIND_MAX; r++) {
                ASSERT_NOT_NULL(ack_reply_kind_to_string((AckReplyKind) r));
                ASSERT_NOT_NULL(event_kind_name(ack_reply_event_kind((AckReplyKind) r)));
        }
}

TEST_MAIN(TEST_CASE(test_good_reply),
          TEST_CASE(test_malformed_reply_is_bad_reply_with_reason),
          TEST_CASE(test_reply_for_another_task_is_refused),
          TEST_CASE(test_throttling_code_with_retry_after),
          TEST_CASE(test_any_retry_after_means_throttled),
          TEST_CASE(test_429_without_body_is_throttled),
          TEST_CASE(test_retry_after_is_parsed_without_overflow),
          TEST_CASE(test_5xx_is_never_not_found),
          TEST_CASE(test_unknown_key_404_is_auth_not_not_found),
          TEST_CASE(test_task_not_found),
          TEST_CASE(test_signature_mismatch_is_auth_and_message_is_shortened),
          TEST_CASE(test_server_errors_in_both_casings),
          TEST_CASE(test_html_error_page_keeps_its_status),
          TEST_CASE(test_replayed_nonce_is_a_network_fault),
          TEST_CASE(test_other_client_error),
          TEST_CASE(test_transport_failures),
          TEST_CASE(test_headers_absent_or_not_asked_for),
          TEST_CASE(test_known_reply_is_not_decoded),
          TEST_CASE(test_hash_tells_bodies_apart),
          TEST_CASE(test_every_result_has_an_event_and_a_name))
