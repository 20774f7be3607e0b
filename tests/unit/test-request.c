/* Tests for the signed DescribeTaskInfo and DescribeClusterTasks requests: URL, headers,
 * vectors, validation, wiping. */
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include "ack/request.h"
#include "test.h"
#include "util/cleanup.h"

#define VECTOR_ENDPOINT "https://cs.cn-hangzhou.aliyuncs.com"
#define VECTOR_TASK "T-5faa48fb31b6b8078d000006"
#define VECTOR_NOW ((time_t) 1767323045) /* 2026-01-02T03:04:05Z */
#define VECTOR_NONCE "0123456789abcdef"

/* The official SDK's test vectors (see test-signer.c). */

/* The endpoint as the client parses it once; up to eight live at a time. */
static const UrlOrigin *at(const char *endpoint) {
        static UrlOrigin ring[8];
        static size_t next;
        UrlOrigin *u = &ring[next++ % ELEMENTSOF(ring)];

        url_origin_done(u);
        if (url_parse_origin(endpoint, true, u, NULL) < 0)
                abort();
        return u;
}

static const char vector1_authorization[] =
        "Authorization: ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
        "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
        "Signature=2ebb8a98b4cfbef425a77c5144a9d15682a1b506eaa924da260dfb23038bea5b";
static const char vector2_authorization[] =
        "Authorization: ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-accesskey-id;"
        "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;"
        "x-acs-version,"
        "Signature=59126b4ac42fad9140e6543507fd5abbb4bbde5e4b4f5c4b96c71c0ebeab1041";


/* To see that ack_request_free() wipes what it frees, this binary replaces free(): it checks
 * the watched buffers are all zero just before handing them to the real allocator (ASan's
 * when built with it, else glibc's). A watched buffer may be a part of the block freed (the
 * header lines share one allocation). */
#if defined(__SANITIZE_ADDRESS__)
void __interceptor_free(void *p);
#define real_free __interceptor_free
#else
void __libc_free(void *p);
#define real_free __libc_free
#endif

static struct {
        const char *ptr;
        size_t len;
} watched[16];
static size_t n_watched, n_watched_freed, n_watched_dirty;

void free(void *p) {
        size_t size = p && n_watched > 0 ? malloc_usable_size(p) : 0;

        for (size_t i = 0; p && i < n_watched; i++)
                if (watched[i].ptr && watched[i].ptr >= (const char *) p &&
                    watched[i].ptr < (const char *) p + size) {
                        for (size_t j = 0; j < watched[i].len; j++)
                                if (watched[i].ptr[j] != 0) {
                                        n_watched_dirty++;
                                        break;
                                }
                        watched[i].ptr = NULL;
                        n_watched_freed++;
                }
        real_free(p);
}

static const char *find_header(const AckRequest *r, const char *name) {
        size_t n = strlen(name);

        for (size_t i = 0; i < r->n_headers; i++)
                if (strncmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
                        return r->headers[i] + n + 2;
        return NULL;
}

static void test_vector1_headers(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *r = NULL;
        static const char *const expected[] = {
                "host: cs.cn-hangzhou.aliyuncs.com",
                "accept: application/json",
                NULL, /* user-agent: checked below, it carries the version */
                "x-acs-action: DescribeTaskInfo",
                "x-acs-version: 2015-12-15",
                "x-acs-date: 2026-01-02T03:04:05Z",
                "x-acs-signature-nonce: 0123456789abcdef",
                "x-acs-content-sha256: "
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                vector1_authorization,
        };

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_STR_EQ(r->url, VECTOR_ENDPOINT "/tasks/" VECTOR_TASK);
        ASSERT_INT_EQ(r->n_headers, ELEMENTSOF(expected));
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                if (expected[i])
                        ASSERT_STR_EQ(r->headers[i], expected[i]);
        ASSERT_TRUE(strncmp(r->headers[2], "user-agent: taskwatchd/", 23) == 0);
        ASSERT_NULL(r->headers[r->n_headers]);
        ASSERT_NULL(find_header(r, "x-acs-security-token"));
        ASSERT_NULL(find_header(r, "x-acs-accesskey-id"));
        /* The hash in vector 1's string to sign, kept for SignatureDoesNotMatch reports. */
        ASSERT_STR_EQ(r->canonical_request_hash,
                      "1d693ff0b1aad30ed07bebbfeea6d2aa0a50e0774692e1c293731c90351c1780");
}

static void test_vector2_with_token(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *r = NULL;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", "tok", USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_STR_EQ(find_header(r, "x-acs-accesskey-id"), "testid");
        ASSERT_STR_EQ(find_header(r, "x-acs-security-token"), "tok");
        ASSERT_STR_EQ(r->headers[r->n_headers - 1], vector2_authorization);
}

static void test_port_appears_in_host(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *a = NULL, *b = NULL;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&a, at("https://127.0.0.1:8443"), "T-1", c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_STR_EQ(a->url, "https://127.0.0.1:8443/tasks/T-1");
        ASSERT_STR_EQ(find_header(a, "host"), "127.0.0.1:8443");

        ASSERT_OK(ack_request_describe_task(&b, at("http://[::1]:80"), "T-1", c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_STR_EQ(b->url, "http://[::1]:80/tasks/T-1");
        ASSERT_STR_EQ(find_header(b, "host"), "[::1]:80");
        /* A different Host is a different signature. */
        ASSERT_TRUE(strcmp(find_header(a, "Authorization"), find_header(b, "Authorization")) != 0);
}

static void test_task_id_is_percent_encoded(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *r = NULL;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), "a/b c?d#%~", c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_STR_EQ(r->url, VECTOR_ENDPOINT "/tasks/a%2Fb%20c%3Fd%23%25~");
}

static void test_fresh_nonce_each_call(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *a = NULL, *b = NULL;
        const char *na, *nb;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&a, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW, NULL));
        ASSERT_OK(ack_request_describe_task(&b, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW, NULL));
        na = find_header(a, "x-acs-signature-nonce");
        nb = find_header(b, "x-acs-signature-nonce");
        ASSERT_NOT_NULL(na);
        ASSERT_NOT_NULL(nb);
        ASSERT_INT_EQ(strlen(na), 32);
        ASSERT_INT_EQ(strspn(na, "0123456789abcdef"), 32);
        ASSERT_TRUE(strcmp(na, nb) != 0);
        ASSERT_TRUE(strcmp(find_header(a, "Authorization"), find_header(b, "Authorization")) != 0);
}

/* Bad endpoints are refused once, by ack_client_new() (test-ack-client.c). */
static void test_rejects_bad_endpoint_and_id(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        AckRequest *r = NULL;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_INT_EQ(ack_request_describe_task(&r, NULL, "T-1", c, VECTOR_NOW, NULL), -EINVAL);
        ASSERT_INT_EQ(ack_request_describe_task(&r, &(UrlOrigin) {}, "T-1", c, VECTOR_NOW, NULL),
                      -EINVAL);
        ASSERT_INT_EQ(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), "", c, VECTOR_NOW, NULL),
                      -EINVAL);
        ASSERT_INT_EQ(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), NULL, c, VECTOR_NOW, NULL),
                      -EINVAL);
        ASSERT_INT_EQ(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), "T-1", NULL, VECTOR_NOW,
                                                NULL),
                      -EINVAL);
        ASSERT_INT_EQ(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), "T-1", c, VECTOR_NOW,
                                                "bad\r\nnonce"),
                      -EINVAL);
        ASSERT_NULL(r);
}

static void test_free_wipes_header_lines(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        AckRequest *r = NULL;

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", "tok", USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&r, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW, NULL));
        ASSERT_TRUE(r->n_headers <= ELEMENTSOF(watched));
        for (size_t i = 0; i < r->n_headers; i++)
                watched[i] = (__typeof__(watched[0])) { r->headers[i], strlen(r->headers[i]) };
        n_watched = r->n_headers;
        n_watched_freed = n_watched_dirty = 0;

        ASSERT_NULL(ack_request_free(r));
        n_watched = 0;
        /* Every line went through the spy, so the check below cannot pass vacuously. */
        ASSERT_INT_EQ(n_watched_freed, 11); /* 8 base lines, 2 for the token, Authorization */
        ASSERT_INT_EQ(n_watched_dirty, 0);
        ASSERT_NULL(ack_request_free(NULL));
}

/* The client's form: the same request into its storage, wiped by ack_request_done(). */
static void test_build_in_place_matches_and_done_wipes(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *heap = NULL;
        AckRequest r = {};

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", "tok", USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_describe_task(&heap, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW,
                                            VECTOR_NONCE));
        ASSERT_OK(ack_request_build(&r, at(VECTOR_ENDPOINT), VECTOR_TASK, c, VECTOR_NOW, VECTOR_NONCE));
        ASSERT_STR_EQ(r.url, heap->url);
        ASSERT_INT_EQ(r.n_headers, heap->n_headers);
        for (size_t i = 0; i < r.n_headers; i++)
                ASSERT_STR_EQ(r.headers[i], heap->headers[i]);
        ASSERT_STR_EQ(r.canonical_request_hash, heap->canonical_request_hash);

        for (size_t i = 0; i < r.n_headers; i++)
                watched[i] = (__typeof__(watched[0])) { r.headers[i], strlen(r.headers[i]) };
        n_watched = r.n_headers;
        n_watched_freed = n_watched_dirty = 0;
        ack_request_done(&r);
        n_watched = 0;
        ASSERT_INT_EQ(n_watched_freed, 11);
        ASSERT_INT_EQ(n_watched_dirty, 0);
        ASSERT_NULL(r.url);
        ASSERT_NULL(r.headers);

        /* A failed build leaves the storage as it was. */
        ASSERT_INT_EQ(ack_request_build(&r, at(VECTOR_ENDPOINT), "", c, VECTOR_NOW, NULL), -EINVAL);
        ASSERT_NULL(r.url);
}

/* DescribeClusterTasks: the cluster's list path, the query in the URL and in the canonical
 * request, its own action. The expected hash and signature were computed apart from this
 * code, from the canonical request as ack-api.md spells it (Python's hashlib and hmac). */
static void test_cluster_tasks_request(void) {
        _cleanup_(credentials_freep) Credentials *c = NULL;
        _cleanup_(ack_request_done) AckRequest r = {};
        AckRequest untouched = {};

        ASSERT_OK(credentials_new(&c, "testid", "testsecret", NULL, USEC_INFINITY, "test"));
        ASSERT_OK(ack_request_build_cluster_tasks(&r, at(VECTOR_ENDPOINT),
                                                  "c82e6987e2961451182edacd74faf7f5e", 2, 50, c,
                                                  VECTOR_NOW, VECTOR_NONCE));
        ASSERT_STR_EQ(r.url, VECTOR_ENDPOINT
                      "/clusters/c82e6987e2961451182edacd74faf7f5e/tasks?page_number=2&page_size=50");
        ASSERT_STR_EQ(find_header(&r, "x-acs-action"), "DescribeClusterTasks");
        ASSERT_STR_EQ(r.canonical_request_hash,
                      "29fdeebf13d622363dffabb54268f3c394758bfcc6cdcc566385148ed0cd8ab1");
        ASSERT_STR_EQ(find_header(&r, "Authorization"),
                      "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;"
                      "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
                      "Signature=323818b528eb34da68124a9ad483dcf127bdfb8bfef8dc748f74362891f10842");

        ASSERT_INT_EQ(ack_request_build_cluster_tasks(&untouched, at(VECTOR_ENDPOINT), "c-1", 0,
                                                      50, c, VECTOR_NOW, NULL), -EINVAL);
        ASSERT_INT_EQ(ack_request_build_cluster_tasks(&untouched, at(VECTOR_ENDPOINT), "", 1, 50,
                                                      c, VECTOR_NOW, NULL), -EINVAL);
        ASSERT_NULL(untouched.url);
}

TEST_MAIN(TEST_CASE(test_vector1_headers),
          TEST_CASE(test_vector2_with_token),
          TEST_CASE(test_port_appears_in_host),
          TEST_CASE(test_task_id_is_percent_encoded),
          TEST_CASE(test_fresh_nonce_each_call),
          TEST_CASE(test_rejects_bad_endpoint_and_id),
          TEST_CASE(test_free_wipes_header_lines),
          TEST_CASE(test_build_in_place_matches_and_done_wipes),
          TEST_CASE(test_cluster_tasks_request))
