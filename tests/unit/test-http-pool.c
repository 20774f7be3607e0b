/* Tests for the HTTP pool against a real TLS server on 127.0.0.1: headers asked for by name,
 * the body cap, a failed allocation, timeouts, connection reuse, capacity, cancel. */
#include <errno.h>

#include "http/http-pool.h"
#include "test.h"
#include "tls-server.h"
#include "util/cleanup.h"

#define HUGE_BODY (512 * 1024)

static void tls_server_respond(SSL *ssl, const char *path) {
        static char big[HUGE_BODY];
        char head[256];
        size_t body_len;

        if (strcmp(path, "/slow") == 0)
                tls_server_wait_for_close(ssl);
        if (strcmp(path, "/bigheader") == 0) {
                /* One 300 KB header line: beyond libcurl's 100 KiB limit for a header. */
                static char line[300 * 1024];
                static const char start[] = "HTTP/1.1 200 OK\r\nX-Big: ";
                tls_server_write_all(ssl, start, strlen(start));
                memset(line, 'h', sizeof(line));
                tls_server_write_all(ssl, line, sizeof(line));
                tls_server_write_all(ssl, "\r\nContent-Length: 0\r\n\r\n", 23);
                return;
        }
        if (strcmp(path, "/hello") == 0) {
                static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-One: first\r\n"
                                        "X-Two: second\r\n\r\nhello";
                tls_server_write_all(ssl, r, strlen(r));
                return;
        }
        body_len = strcmp(path, "/big") == 0 ? 4096 : strcmp(path, "/huge") == 0 ? HUGE_BODY : 0;
        memset(big, 'x', body_len);
        snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n",
                 body_len > 0 ? "200 OK" : "404 Not Found", body_len);
        tls_server_write_all(ssl, head, strlen(head));
        tls_server_write_all(ssl, big, body_len);
}

/* ---- the client side ------------------------------------------------------------------ */

typedef struct Result {
        bool done;
        HttpFailure failure;
        long status;
        char body[64];
        size_t body_len;
        char *headers[HTTP_RESPONSE_HEADERS_MAX];
        size_t n_headers;
        char error[128];
} Result;

static void result_clear(Result *r) {
        for (size_t i = 0; i < r->n_headers; i++)
                free(r->headers[i]);
        *r = (Result) {};
}

static void on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        Result *r = userdata;

        r->done = true;
        r->failure = resp->failure;
        r->status = resp->status;
        r->body_len = resp->body_len;
        snprintf(r->body, sizeof(r->body), "%s", resp->body ? resp->body : "");
        snprintf(r->error, sizeof(r->error), "%s", resp->error ? resp->error : "");
        r->n_headers = resp->n_headers;
        for (size_t i = 0; i < resp->n_headers; i++)
                r->headers[i] = resp->headers[i] ? strdup(resp->headers[i]) : NULL;
}

static int pool_new(sd_event **ret_event, HttpPool **ret, unsigned max_connections,
                    usec_t timeout, size_t max_body) {
        HttpPoolOptions o = {
                .max_connections = max_connections,
                .timeout = timeout,
                .ca_file = server.cert,
                .max_body = max_body,
        };
        int r;

        if (!tls_server_start())
                return -EIO;
        r = sd_event_new(ret_event);
        if (r < 0)
                return r;
        return http_pool_new(ret, *ret_event, &o);
}

static char *url(const char *path) {
        static char buf[128];
        snprintf(buf, sizeof(buf), "%s%s", server.base, path);
        return buf;
}

static void test_get_returns_the_headers_asked_for(void) {
        static const char *const names[] = { "x-two", "X-ONE", "x-missing", NULL };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {}, plain = {};

        ASSERT_OK(pool_new(&e, &p, 2, 5 * USEC_PER_SEC, 1024));
        ASSERT_OK(http_pool_request(p, url("/hello"), NULL,
                                    &(HttpRequestOptions) { .response_headers = names },
                                    on_response, &r, NULL));
        ASSERT_TRUE(test_run_until(e, &r.done));
        ASSERT_INT_EQ(r.failure, HTTP_OK);
        ASSERT_INT_EQ(r.status, 200);
        ASSERT_STR_EQ(r.body, "hello");
        ASSERT_INT_EQ(r.body_len, 5);
        ASSERT_INT_EQ(r.n_headers, 3);
        ASSERT_STR_EQ(r.headers[0], "second");
        ASSERT_STR_EQ(r.headers[1], "first");
        ASSERT_NULL(r.headers[2]);

        /* Asking for none gives none. */
        ASSERT_OK(http_pool_get(p, url("/hello"), NULL, on_response, &plain, NULL));
        ASSERT_TRUE(test_run_until(e, &plain.done));
        ASSERT_INT_EQ(plain.failure, HTTP_OK);
        ASSERT_INT_EQ(plain.n_headers, 0);
        result_clear(&r);
        result_clear(&plain);
        p = http_pool_free(p);
}

static void test_too_many_headers_is_refused(void) {
        static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {};

        ASSERT_OK(pool_new(&e, &p, 1, 5 * USEC_PER_SEC, 1024));
        ASSERT_INT_EQ(http_pool_request(p, url("/hello"), NULL,
                                        &(HttpRequestOptions) { .response_headers = names },
                                        on_response, &r, NULL),
                      -EINVAL);
        ASSERT_INT_EQ(http_pool_in_flight(p), 0);
        p = http_pool_free(p);
}

/* A header beyond libcurl's limit makes it fail with CURLE_OUT_OF_MEMORY; we must not say
 * "Out of memory" for what is a hostile or broken server. */
static void test_huge_response_header_is_not_out_of_memory(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {};

        ASSERT_OK(pool_new(&e, &p, 1, 5 * USEC_PER_SEC, 1024));
        ASSERT_OK(http_pool_get(p, url("/bigheader"), NULL, on_response, &r, NULL));
        ASSERT_TRUE(test_run_until(e, &r.done));
        ASSERT_INT_EQ(r.failure, HTTP_FAILURE_TOO_BIG);
        if (strcasestr(r.error, "out of memory") || !strstr(r.error, "header"))
                TEST_FAIL_("error \"%s\" does not say the header is too large", r.error);
        result_clear(&r);
        p = http_pool_free(p);
}

static void test_body_over_the_cap_is_too_big(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {};

        ASSERT_OK(pool_new(&e, &p, 1, 5 * USEC_PER_SEC, 1024));
        ASSERT_OK(http_pool_get(p, url("/big"), NULL, on_response, &r, NULL));
        ASSERT_TRUE(test_run_until(e, &r.done));
        ASSERT_INT_EQ(r.failure, HTTP_FAILURE_TOO_BIG);
        ASSERT_STR_EQ(r.error, "reply body larger than the limit");
        result_clear(&r);
        p = http_pool_free(p);
}

/* The body buffer grows by malloc() and copy: alloc-fail.h makes the big allocations fail,
 * to see how the failure is reported. */
#include "alloc-fail.h"

/* Without a cap, a failed allocation was taken for a body over the cap ("ReplyTooLarge"):
 * it is decided from why the write callback stopped now. */
static void test_failed_allocation_is_not_too_big(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {};
        bool ran;

        ALLOC_FAIL_REQUIRE();
        ASSERT_OK(pool_new(&e, &p, 1, 5 * USEC_PER_SEC, 0));
        ASSERT_OK(http_pool_get(p, url("/huge"), NULL, on_response, &r, NULL));
        alloc_fail_min_size = HUGE_BODY / 4;
        alloc_fail_after = 0;
        ran = test_run_until(e, &r.done);
        alloc_fail_reset();
        ASSERT_TRUE(ran);
        ASSERT_INT_EQ(r.failure, HTTP_FAILURE_OTHER);
        ASSERT_STR_EQ(r.error, "out of memory for the reply body");

        /* And with room again the same reply arrives whole. */
        result_clear(&r);
        ASSERT_OK(http_pool_get(p, url("/huge"), NULL, on_response, &r, NULL));
        ASSERT_TRUE(test_run_until(e, &r.done));
        ASSERT_INT_EQ(r.failure, HTTP_OK);
        ASSERT_INT_EQ(r.body_len, HUGE_BODY);
        result_clear(&r);
        p = http_pool_free(p);
}

static void test_silent_server_times_out(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        Result r = {};
        usec_t start = now_usec(CLOCK_MONOTONIC), took;

        ASSERT_OK(pool_new(&e, &p, 1, 300 * USEC_PER_MSEC, 1024));
        ASSERT_OK(http_pool_get(p, url("/slow"), NULL, on_response, &r, NULL));
        ASSERT_TRUE(test_run_until(e, &r.done));
        took = now_usec(CLOCK_MONOTONIC) - start;
        ASSERT_INT_EQ(r.failure, HTTP_FAILURE_TIMEOUT);
        ASSERT_INT_EQ(r.status, 0);
        ASSERT_TRUE(took >= 300 * USEC_PER_MSEC);
        ASSERT_TRUE(took < 5 * USEC_PER_SEC);
        result_clear(&r);
        p = http_pool_free(p);
}

static void test_requests_reuse_one_connection(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;

        ASSERT_OK(pool_new(&e, &p, 2, 5 * USEC_PER_SEC, 1024));
        for (int i = 0; i < 3; i++) {
                Result r = {};

                ASSERT_OK(http_pool_get(p, url("/hello"), NULL, on_response, &r, NULL));
                ASSERT_TRUE(test_run_until(e, &r.done));
                ASSERT_INT_EQ(r.failure, HTTP_OK);
                result_clear(&r);
        }
        ASSERT_INT_EQ(http_pool_connections_opened(p), 1);
        p = http_pool_free(p);
}

typedef struct CapacityProbe {
        HttpPool *pool;
        unsigned calls;
        bool had_capacity;
} CapacityProbe;

static void on_capacity(void *userdata) {
        CapacityProbe *c = userdata;

        c->calls++;
        c->had_capacity = http_pool_has_capacity(c->pool);
}

static void test_capacity_and_its_callback(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        CapacityProbe probe = {};
        Result a = {}, b = {};

        ASSERT_OK(pool_new(&e, &p, 1, 5 * USEC_PER_SEC, 1024));
        probe.pool = p;
        http_pool_set_on_capacity(p, on_capacity, &probe);
        ASSERT_TRUE(http_pool_has_capacity(p));
        ASSERT_OK(http_pool_get(p, url("/hello"), NULL, on_response, &a, NULL));
        ASSERT_TRUE(!http_pool_has_capacity(p));
        ASSERT_INT_EQ(http_pool_in_flight(p), 1);
        ASSERT_INT_EQ(http_pool_get(p, url("/hello"), NULL, on_response, &b, NULL), -EBUSY);
        ASSERT_TRUE(test_run_until(e, &a.done));
        ASSERT_INT_EQ(a.failure, HTTP_OK);
        ASSERT_INT_EQ(probe.calls, 1);
        ASSERT_TRUE(probe.had_capacity);
        ASSERT_INT_EQ(http_pool_in_flight(p), 0);
        ASSERT_TRUE(!b.done);
        result_clear(&a);
        p = http_pool_free(p);
}

static void test_cancelled_request_never_calls_back(void) {
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        HttpRequest *req = NULL;
        Result cancelled = {}, after = {};

        ASSERT_OK(pool_new(&e, &p, 2, 5 * USEC_PER_SEC, 1024));
        ASSERT_OK(http_pool_get(p, url("/slow"), NULL, on_response, &cancelled, &req));
        ASSERT_NOT_NULL(req);
        /* Let it reach the server before it is cancelled. */
        ASSERT_TRUE(sd_event_run(e, 50 * USEC_PER_MSEC) >= 0);
        http_request_cancel(req);
        ASSERT_INT_EQ(http_pool_in_flight(p), 0);
        /* A later request completes: the loop ran past anything the cancelled one left. */
        ASSERT_OK(http_pool_get(p, url("/hello"), NULL, on_response, &after, NULL));
        ASSERT_TRUE(test_run_until(e, &after.done));
        ASSERT_INT_EQ(after.failure, HTTP_OK);
        ASSERT_TRUE(!cancelled.done);
        result_clear(&after);
        p = http_pool_free(p);
}

TEST_MAIN(TEST_CASE(test_get_returns_the_headers_asked_for),
          TEST_CASE(test_too_many_headers_is_refused),
          TEST_CASE(test_body_over_the_cap_is_too_big),
          TEST_CASE(test_failed_allocation_is_not_too_big),
          TEST_CASE(test_silent_server_times_out),
          TEST_CASE(test_requests_reuse_one_connection),
          TEST_CASE(test_capacity_and_its_callback),
          TEST_CASE(test_cancelled_request_never_calls_back),
          TEST_CASE(test_huge_response_header_is_not_out_of_memory))
