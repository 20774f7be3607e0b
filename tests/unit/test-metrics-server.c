/* The metrics server on a real loopback socket, driven by a real sd-event loop: what it
 * answers for each path and method, the health check, and oversized requests. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics/metrics-listen.h"
#include "metrics/metrics-server.h"
#include "util/strutil.h"
#include "test.h"

static const MetricFamilyInfo up_info = { .name = "tw_up", .help = "Up.", .type = METRIC_GAUGE };

typedef struct Fixture {
        sd_event *event;
        MetricsRegistry *registry;
        MetricsServer *server;
        struct sockaddr_in addr;
} Fixture;

static int fixture_init(Fixture *f) {
        MetricsAddress a;
        const char *why;
        MetricFamily *up;
        socklen_t len = sizeof(f->addr);
        int fd, r;

        *f = (Fixture) {};
        if ((r = sd_event_new(&f->event)) < 0 || (r = metrics_registry_new(&f->registry, NULL)) < 0 ||
            (r = metrics_registry_add(f->registry, &up_info, &up)) < 0 ||
            (r = metric_family_set(up, NULL, 1)) < 0 ||
            (r = metrics_address_parse("127.0.0.1:1", &a, &why)) < 0)
                return r;
        a.addr.in.sin_port = 0; /* any free port */
        if ((r = metrics_listen(&a, &fd)) < 0)
                return r;
        if (getsockname(fd, (struct sockaddr *) &f->addr, &len) < 0)
                return -errno;
        return metrics_server_new(&f->server, f->event, fd, f->registry, NULL);
}

static void fixture_done(Fixture *f) {
        metrics_server_free(f->server);
        metrics_registry_free(f->registry);
        sd_event_unref(f->event);
}

/* Sends request, runs the loop until the server closes the connection (bounded: 200 turns
 * of at most 50 ms), returns what came back. */
static char *exchange(Fixture *f, const char *request, size_t len) {
        StrBuf b = {};
        char buf[4096];
        size_t sent = 0;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return NULL;
        if (connect(fd, (struct sockaddr *) &f->addr, sizeof(f->addr)) < 0 && errno != EINPROGRESS) {
                close(fd);
                return NULL;
        }
        for (int turn = 0; turn < 200; turn++) {
                ssize_t n;

                (void) sd_event_run(f->event, 50 * USEC_PER_MSEC);
                if (sent < len) {
                        n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
                        if (n > 0)
                                sent += (size_t) n;
                }
                n = recv(fd, buf, sizeof(buf), 0);
                if (n > 0)
                        (void) strbuf_append(&b, buf, (size_t) n);
                else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                        break;
        }
        close(fd);
        return strbuf_steal(&b);
}

static char *get(Fixture *f, const char *method, const char *path, const char *extra) {
        char req[1024];
        int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n",
                         method, path, extra ?: "");
        return exchange(f, req, (size_t) n);
}

static int status_of(const char *resp) {
        int code = 0;
        return resp && sscanf(resp, "HTTP/1.%*d %d", &code) == 1 ? code : 0;
}

static const char *body_of(const char *resp) {
        const char *b = resp ? strstr(resp, "\r\n\r\n") : NULL;
        return b ? b + 4 : "";
}

static void test_get_metrics(void) {
        _cleanup_(freep) char *text = NULL, *om = NULL;
        Fixture f;

        ASSERT_OK(fixture_init(&f));
        text = get(&f, "GET", "/metrics", NULL);
        ASSERT_INT_EQ(status_of(text), 200);
        ASSERT_TRUE(strcasestr(text, "Content-Type: text/plain; version=0.0.4") != NULL);
        ASSERT_STR_EQ(body_of(text), "# HELP tw_up Up.\n# TYPE tw_up gauge\ntw_up 1\n");
        om = get(&f, "GET", "/metrics?x=1", "Accept: application/openmetrics-text;version=1.0.0\r\n");
        ASSERT_INT_EQ(status_of(om), 200);
        ASSERT_TRUE(strcasestr(om, "Content-Type: application/openmetrics-text") != NULL);
        ASSERT_TRUE(strstr(body_of(om), "# EOF\n") != NULL);
        fixture_done(&f);
}

static void test_head_has_no_body(void) {
        _cleanup_(freep) char *resp = NULL;
        Fixture f;

        ASSERT_OK(fixture_init(&f));
        resp = get(&f, "HEAD", "/metrics", NULL);
        ASSERT_INT_EQ(status_of(resp), 200);
        ASSERT_STR_EQ(body_of(resp), "");
        fixture_done(&f);
}

static void test_other_paths_and_methods(void) {
        _cleanup_(freep) char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
        Fixture f;

        ASSERT_OK(fixture_init(&f));
        a = get(&f, "GET", "/", NULL);
        ASSERT_INT_EQ(status_of(a), 404);
        b = get(&f, "POST", "/metrics", "Content-Length: 0\r\n");
        ASSERT_INT_EQ(status_of(b), 405);
        ASSERT_TRUE(strcasestr(b, "Allow: GET, HEAD") != NULL);
        c = get(&f, "DELETE", "/healthz", NULL);
        ASSERT_INT_EQ(status_of(c), 405);
        d = get(&f, "GET", "/metrics/extra", NULL);
        ASSERT_INT_EQ(status_of(d), 404);
        fixture_done(&f);
}

static usec_t last_poll_value;
static usec_t last_poll(void *userdata) {
        return last_poll_value;
}

static void test_healthz_follows_the_last_poll(void) {
        _cleanup_(freep) char *fresh = NULL, *stale = NULL, *none = NULL;
        Fixture f;

        ASSERT_OK(fixture_init(&f));
        metrics_server_set_health(f.server, last_poll, NULL, 60 * USEC_PER_SEC);
        last_poll_value = 0; /* none yet: the server just started */
        none = get(&f, "GET", "/healthz", NULL);
        ASSERT_INT_EQ(status_of(none), 200);
        last_poll_value = now_usec(CLOCK_REALTIME) - 5 * USEC_PER_SEC;
        fresh = get(&f, "GET", "/healthz", NULL);
        ASSERT_INT_EQ(status_of(fresh), 200);
        ASSERT_STR_EQ(body_of(fresh), "ok\n");
        last_poll_value = now_usec(CLOCK_REALTIME) - 300 * USEC_PER_SEC;
        stale = get(&f, "GET", "/healthz", NULL);
        ASSERT_INT_EQ(status_of(stale), 503);
        ASSERT_TRUE(strstr(body_of(stale), "no successful poll for 5min") != NULL);
        fixture_done(&f);
}

static void test_oversized_request_is_refused(void) {
        _cleanup_(freep) char *resp = NULL, *req = NULL, *after = NULL;
        size_t big = 64 * 1024;
        Fixture f;
        int n;

        ASSERT_OK(fixture_init(&f));
        req = malloc(big + 200);
        ASSERT_NOT_NULL(req);
        n = snprintf(req, 200, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Big: ");
        memset(req + n, 'a', big);
        memcpy(req + n + big, "\r\n\r\n", 5);
        resp = exchange(&f, req, n + big + 4);
        ASSERT_TRUE(status_of(resp) == 413 || status_of(resp) == 431 || status_of(resp) == 0);
        ASSERT_TRUE(strstr(body_of(resp), "tw_up") == NULL);
        /* and the server still serves the next one */
        after = get(&f, "GET", "/metrics", NULL);
        ASSERT_INT_EQ(status_of(after), 200);
        fixture_done(&f);
}

TEST_MAIN(TEST_CASE(test_get_metrics),
          TEST_CASE(test_head_has_no_body),
          TEST_CASE(test_other_paths_and_methods),
          TEST_CASE(test_healthz_follows_the_last_poll),
          TEST_CASE(test_oversized_request_is_refused))
