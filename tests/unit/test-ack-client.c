/* Tests for the ACK client against a local TLS server: one call signs, sends and classifies;
 * the endpoint is checked once; a known body is not decoded; cancel; a full pool; a
 * cluster's list, one page at a time, classified the same way. */
#include <errno.h>

#include "ack/client.h"
#include "test.h"
#include "tls-server.h"
#include "util/cleanup.h"

#define TASK_BODY "{\"task_id\":\"T-1\",\"state\":\"running\"}"
#define PAGE_BODY                                                                              \
        "{\"tasks\":[{\"task_id\":\"T-1\",\"state\":\"running\",\"updated\":1704074403482},"   \
        "{\"task_id\":\"T-2\",\"state\":\"success\"}],\"page_info\":{\"page_number\":2,"       \
        "\"page_size\":2,\"total_count\":4},\"requestId\":\"BODY-REQ\"}"

/* The answers of the cluster list, by path and query. */
static bool respond_cluster(char *r, size_t size, const char *path) {
        static const struct {
                const char *path, *status, *body;
        } answers[] = {
                { "/clusters/c-1/tasks?page_number=2&page_size=2", "200 OK", PAGE_BODY },
                { "/clusters/c-bad/tasks?page_number=1&page_size=2", "200 OK",
                  "{\"tasks\":[{\"state\":\"running\"}]}" },
                { "/clusters/c-404/tasks?page_number=1&page_size=2", "404 Not Found",
                  "{\"code\":\"ErrorClusterNotFound\",\"message\":\"cluster not found\"}" },
                { "/clusters/c-403/tasks?page_number=1&page_size=2", "403 Forbidden",
                  "{\"Code\":\"Forbidden.RAM\",\"Message\":\"not allowed\"}" },
                { "/clusters/c-busy/tasks?page_number=1&page_size=2", "400 Bad Request",
                  "{\"Code\":\"Throttling.User\",\"Message\":\"slow down\"}" },
        };

        for (size_t i = 0; i < ELEMENTSOF(answers); i++)
                if (strcmp(path, answers[i].path) == 0) {
                        snprintf(r, size, "HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s",
                                 answers[i].status, strlen(answers[i].body), answers[i].body);
                        return true;
                }
        return false;
}

static void tls_server_respond(SSL *ssl, const char *path) {
        char r[512];

        if (strcmp(path, "/tasks/T-slow") == 0)
                tls_server_wait_for_close(ssl);
        if (respond_cluster(r, sizeof(r), path))
                ;
        else if (strcmp(path, "/tasks/T-1") == 0)
                snprintf(r, sizeof(r), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                         "x-acs-request-id: REQ-1\r\n\r\n%s", strlen(TASK_BODY), TASK_BODY);
        else if (strcmp(path, "/tasks/T-busy") == 0)
                snprintf(r, sizeof(r), "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n"
                         "x-acs-request-id: REQ-2\r\nx-acs-retry-after: 1500\r\n\r\n");
        else {
                static const char body[] = "{\"code\":\"ErrorTaskNotFound\",\"message\":\"no task\"}";
                snprintf(r, sizeof(r), "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\n\r\n%s",
                         strlen(body), body);
        }
        tls_server_write_all(ssl, r, strlen(r));
}

typedef struct Seen {
        bool done;
        AckReplyKind kind;
        bool unchanged, had_info;
        char state[32], request_id[32], code[64], hash[65];
        long http_status;
        usec_t retry_after;
        size_t body_len;
        uint64_t body_hash;
} Seen;

static void copy(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

static void on_reply(AckCall *call, AckReply *reply, void *userdata) {
        Seen *s = userdata;

        s->done = true;
        s->kind = reply->kind;
        s->unchanged = reply->unchanged;
        s->had_info = reply->info != NULL;
        copy(s->state, sizeof(s->state), reply->info ? reply->info->state : NULL);
        copy(s->request_id, sizeof(s->request_id), reply->request_id);
        copy(s->code, sizeof(s->code), reply->code);
        copy(s->hash, sizeof(s->hash), reply->canonical_request_hash);
        s->http_status = reply->http_status;
        s->retry_after = reply->retry_after;
        s->body_len = reply->body_len;
        s->body_hash = reply->body_hash;
}

typedef struct Fixture {
        sd_event *event;
        HttpPool *pool;
        AckClient *client;
        Credentials *creds;
} Fixture;

static void fixture_done(Fixture *f) {
        f->client = ack_client_free(f->client);
        f->pool = http_pool_free(f->pool);
        f->event = sd_event_unref(f->event);
        f->creds = credentials_free(f->creds);
}

static int fixture_init(Fixture *f, unsigned max_connections) {
        HttpPoolOptions o = {
                .max_connections = max_connections,
                .timeout = 5 * USEC_PER_SEC,
                .ca_file = server.cert,
                .max_body = TASK_INFO_MAX_BODY,
        };
        int r;

        *f = (Fixture) {};
        if (!tls_server_start())
                return -EIO;
        r = credentials_new(&f->creds, "testid", "testsecret", NULL, USEC_INFINITY, "test");
        if (r >= 0)
                r = sd_event_new(&f->event);
        if (r >= 0)
                r = http_pool_new(&f->pool, f->event, &o);
        if (r >= 0)
                r = ack_client_new(&f->client, f->pool, server.base);
        return r;
}

/* Moved from test-request.c: the endpoint is checked once, here, not on every request. */
static void test_new_rejects_bad_endpoint(void) {
        static const char *const bad[] = {
                "cs.cn-hangzhou.aliyuncs.com", "ftp://cs.aliyuncs.com", "https://",
                "https://cs.aliyuncs.com/", "https://cs.aliyuncs.com/v1",
                "https://user@cs.aliyuncs.com", "https://cs.aliyuncs.com?x=1",
                "https://cs.aliyuncs.com:", "https://cs.aliyuncs.com:0",
                "https://cs.aliyuncs.com:65536", "https://cs.aliyuncs.com:443x",
                "https://cs.aliyuncs.com:123456", "https://[]:443", "https://[::1",
                "https://cs aliyuncs.com", "", "HTTPS://cs.aliyuncs.com",
        };
        _cleanup_(sd_event_unrefp) sd_event *e = NULL;
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        _cleanup_(ack_client_freep) AckClient *c = NULL;
        AckClient *never = NULL;

        ASSERT_OK(sd_event_new(&e));
        ASSERT_OK(http_pool_new(&p, e, &(HttpPoolOptions) { .max_connections = 1 }));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ASSERT_INT_EQ(ack_client_new(&never, p, bad[i]), -EINVAL);
        ASSERT_NULL(never);
        ASSERT_OK(ack_client_new(&c, p, "http://[::1]:80"));
        ASSERT_STR_EQ(ack_client_endpoint(c), "http://[::1]:80");
        c = ack_client_free(c);
        p = http_pool_free(p);
}

static void test_describe_task_classifies_the_reply(void) {
        Fixture f;
        Seen s = {};

        ASSERT_OK(fixture_init(&f, 2));
        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &s, NULL));
        ASSERT_TRUE(test_run_until(f.event, &s.done));
        ASSERT_INT_EQ(s.kind, ACK_REPLY_OK);
        ASSERT_TRUE(s.had_info);
        ASSERT_TRUE(!s.unchanged);
        ASSERT_STR_EQ(s.state, "running");
        ASSERT_STR_EQ(s.request_id, "REQ-1");
        ASSERT_INT_EQ(s.http_status, 200);
        ASSERT_INT_EQ(s.body_len, strlen(TASK_BODY));
        ASSERT_U64_EQ(s.body_hash, ack_reply_hash(TASK_BODY, strlen(TASK_BODY)));
        ASSERT_INT_EQ(strlen(s.hash), 64);
        ASSERT_INT_EQ(strspn(s.hash, "0123456789abcdef"), 64);
        fixture_done(&f);
}

static void test_known_body_is_not_decoded(void) {
        Fixture f;
        Seen first = {}, again = {}, other = {};
        AckCall *call = NULL;

        ASSERT_OK(fixture_init(&f, 2));
        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &first, NULL));
        ASSERT_TRUE(test_run_until(f.event, &first.done));
        ASSERT_TRUE(first.had_info);

        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &again, &call));
        ack_call_skip_known(call, first.body_len, first.body_hash);
        ASSERT_TRUE(test_run_until(f.event, &again.done));
        ASSERT_INT_EQ(again.kind, ACK_REPLY_OK);
        ASSERT_TRUE(again.unchanged);
        ASSERT_TRUE(!again.had_info);
        ASSERT_STR_EQ(again.request_id, "REQ-1");
        ASSERT_U64_EQ(again.body_hash, first.body_hash);

        /* Another hash: decoded as usual. */
        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &other, &call));
        ack_call_skip_known(call, first.body_len, first.body_hash + 1);
        ASSERT_TRUE(test_run_until(f.event, &other.done));
        ASSERT_TRUE(!other.unchanged);
        ASSERT_TRUE(other.had_info);
        fixture_done(&f);
}

static void test_errors_are_kinds_not_codes(void) {
        Fixture f;
        Seen missing = {}, throttled = {};

        ASSERT_OK(fixture_init(&f, 2));
        ASSERT_OK(ack_client_describe_task(f.client, "T-404", f.creds, on_reply, &missing, NULL));
        ASSERT_OK(ack_client_describe_task(f.client, "T-busy", f.creds, on_reply, &throttled, NULL));
        ASSERT_TRUE(test_run_until(f.event, &missing.done));
        ASSERT_TRUE(test_run_until(f.event, &throttled.done));
        ASSERT_INT_EQ(missing.kind, ACK_REPLY_NOT_FOUND);
        ASSERT_STR_EQ(missing.code, "ErrorTaskNotFound");
        ASSERT_INT_EQ(missing.http_status, 404);
        ASSERT_INT_EQ(throttled.kind, ACK_REPLY_THROTTLED);
        ASSERT_STR_EQ(throttled.request_id, "REQ-2");
        ASSERT_INT_EQ(throttled.retry_after, 1500 * USEC_PER_MSEC);
        fixture_done(&f);
}

static void test_full_pool_and_cancel(void) {
        Fixture f;
        Seen slow = {}, refused = {}, after = {};
        AckCall *call = NULL;

        ASSERT_OK(fixture_init(&f, 1));
        ASSERT_OK(ack_client_describe_task(f.client, "T-slow", f.creds, on_reply, &slow, &call));
        ASSERT_TRUE(!ack_client_has_capacity(f.client));
        ASSERT_INT_EQ(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &refused, NULL),
                      -EBUSY);
        ASSERT_TRUE(sd_event_run(f.event, 50 * USEC_PER_MSEC) >= 0);
        ack_call_cancel(call);
        ASSERT_TRUE(ack_client_has_capacity(f.client));
        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &after, NULL));
        ASSERT_TRUE(test_run_until(f.event, &after.done));
        ASSERT_INT_EQ(after.kind, ACK_REPLY_OK);
        ASSERT_TRUE(!slow.done);
        ASSERT_TRUE(!refused.done);
        ack_call_cancel(NULL);
        fixture_done(&f);
}

typedef struct Observed {
        unsigned n;
        char api[32];
        AckReplyKind kinds[4];
        bool before_callback; /* the callback had not run when the observer was told */
        const Seen *seen;
} Observed;

static void on_observe(const char *api, const AckReply *reply, void *userdata) {
        Observed *o = userdata;

        copy(o->api, sizeof(o->api), api);
        if (o->n < ELEMENTSOF(o->kinds))
                o->kinds[o->n] = reply->kind;
        o->before_callback = !o->seen->done;
        o->n++;
}

static void test_observer_sees_every_finished_call(void) {
        Fixture f;
        Seen ok = {}, missing = {}, cancelled = {};
        Observed o = { .seen = &ok };
        AckCall *call = NULL;

        ASSERT_OK(fixture_init(&f, 2));
        ack_client_set_observer(f.client, on_observe, &o);
        ASSERT_OK(ack_client_describe_task(f.client, "T-1", f.creds, on_reply, &ok, NULL));
        ASSERT_TRUE(test_run_until(f.event, &ok.done));
        ASSERT_INT_EQ(o.n, 1);
        ASSERT_TRUE(o.before_callback);
        ASSERT_STR_EQ(o.api, "DescribeTaskInfo");
        ASSERT_INT_EQ(o.kinds[0], ACK_REPLY_OK);
        o.seen = &missing;
        ASSERT_OK(ack_client_describe_task(f.client, "T-slow", f.creds, on_reply, &cancelled, &call));
        ack_call_cancel(call);
        ASSERT_OK(ack_client_describe_task(f.client, "T-404", f.creds, on_reply, &missing, NULL));
        ASSERT_TRUE(test_run_until(f.event, &missing.done));
        ASSERT_INT_EQ(o.n, 2); /* not the cancelled one */
        ASSERT_INT_EQ(o.kinds[1], ACK_REPLY_NOT_FOUND);
        fixture_done(&f);
}

typedef struct SeenPage {
        bool done;
        AckReplyKind kind;
        long http_status;
        char request_id[32], code[64], message[128], hash[65];
        size_t n_tasks;
        char first[16];
        usec_t first_updated;
        uint64_t total_count;
        ClusterTasksPage *kept; /* taken from the reply */
} SeenPage;

static void on_page(AckCall *call, AckClusterReply *reply, void *userdata) {
        SeenPage *s = userdata;

        s->done = true;
        s->kind = reply->base.kind;
        s->http_status = reply->base.http_status;
        copy(s->request_id, sizeof(s->request_id), reply->base.request_id);
        copy(s->code, sizeof(s->code), reply->base.code);
        copy(s->message, sizeof(s->message), reply->base.message);
        copy(s->hash, sizeof(s->hash), reply->base.canonical_request_hash);
        if (reply->page) {
                s->n_tasks = reply->page->n_tasks;
                copy(s->first, sizeof(s->first), s->n_tasks ? reply->page->tasks[0].task_id : NULL);
                s->first_updated = s->n_tasks ? reply->page->tasks[0].updated_usec : 0;
                s->total_count = reply->page->total_count;
        }
        s->kept = TAKE_PTR(reply->page);
}

static void test_cluster_tasks_page(void) {
        Fixture f;
        SeenPage s = {};

        ASSERT_OK(fixture_init(&f, 2));
        ASSERT_OK(ack_client_describe_cluster_tasks(f.client, "c-1", 2, 2, f.creds, on_page, &s,
                                                    NULL));
        ASSERT_TRUE(test_run_until(f.event, &s.done));
        ASSERT_INT_EQ(s.kind, ACK_REPLY_OK);
        ASSERT_INT_EQ(s.http_status, 200);
        ASSERT_INT_EQ(s.n_tasks, 2);
        ASSERT_STR_EQ(s.first, "T-1");
        ASSERT_U64_EQ(s.first_updated, UINT64_C(1704074403482000));
        ASSERT_U64_EQ(s.total_count, 4);
        /* No x-acs-request-id header: the body's camelCase requestId. */
        ASSERT_STR_EQ(s.request_id, "BODY-REQ");
        ASSERT_INT_EQ(strlen(s.hash), 64);
        /* The callback took the page: it outlives the call. */
        ASSERT_NOT_NULL(s.kept);
        ASSERT_STR_EQ(s.kept->tasks[1].task_id, "T-2");
        cluster_tasks_page_free(s.kept);
        fixture_done(&f);
}

static void test_cluster_tasks_errors(void) {
        Fixture f;
        SeenPage bad = {}, missing = {}, forbidden = {}, busy = {};
        AckCall *call = NULL;

        ASSERT_OK(fixture_init(&f, 4));
        ASSERT_OK(ack_client_describe_cluster_tasks(f.client, "c-bad", 1, 2, f.creds, on_page,
                                                    &bad, NULL));
        ASSERT_OK(ack_client_describe_cluster_tasks(f.client, "c-404", 1, 2, f.creds, on_page,
                                                    &missing, NULL));
        ASSERT_OK(ack_client_describe_cluster_tasks(f.client, "c-403", 1, 2, f.creds, on_page,
                                                    &forbidden, NULL));
        ASSERT_OK(ack_client_describe_cluster_tasks(f.client, "c-busy", 1, 2, f.creds, on_page,
                                                    &busy, NULL));
        ASSERT_TRUE(test_run_until(f.event, &bad.done));
        ASSERT_TRUE(test_run_until(f.event, &missing.done));
        ASSERT_TRUE(test_run_until(f.event, &forbidden.done));
        ASSERT_TRUE(test_run_until(f.event, &busy.done));
        ASSERT_INT_EQ(bad.kind, ACK_REPLY_BAD_REPLY);
        ASSERT_STR_EQ(bad.code, "MalformedReply");
        ASSERT_STR_EQ(bad.message, "at tasks[0]: no task_id");
        ASSERT_NULL(bad.kept);
        ASSERT_INT_EQ(missing.kind, ACK_REPLY_NOT_FOUND);
        ASSERT_STR_EQ(missing.code, "ErrorClusterNotFound");
        ASSERT_STR_EQ(missing.message, "cluster not found");
        ASSERT_INT_EQ(forbidden.kind, ACK_REPLY_AUTH_ERROR);
        ASSERT_STR_EQ(forbidden.code, "Forbidden.RAM");
        ASSERT_INT_EQ(busy.kind, ACK_REPLY_THROTTLED);
        ASSERT_NULL(missing.kept);

        ASSERT_INT_EQ(ack_client_describe_cluster_tasks(f.client, "c-1", 0, 2, f.creds, on_page,
                                                        &bad, &call), -EINVAL);
        ASSERT_INT_EQ(ack_client_describe_cluster_tasks(f.client, "", 1, 2, f.creds, on_page,
                                                        &bad, &call), -EINVAL);
        ASSERT_INT_EQ(ack_client_describe_cluster_tasks(f.client, "c-1", 1, 2, f.creds, NULL,
                                                        &bad, &call), -EINVAL);
        ASSERT_NULL(call);
        fixture_done(&f);
}

TEST_MAIN(TEST_CASE(test_new_rejects_bad_endpoint),
          TEST_CASE(test_describe_task_classifies_the_reply),
          TEST_CASE(test_known_body_is_not_decoded),
          TEST_CASE(test_errors_are_kinds_not_codes),
          TEST_CASE(test_full_pool_and_cancel),
          TEST_CASE(test_observer_sees_every_finished_call),
          TEST_CASE(test_cluster_tasks_page),
          TEST_CASE(test_cluster_tasks_errors))
