/* The metrics server: libmicrohttpd in its external epoll mode, its epoll fd an sd-event io
 * source and MHD_get_timeout() a one-shot timer, so that requests are served from the
 * daemon's one loop. Only what a scraper and a health check need is answered. */
#include "metrics/metrics-server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "metrics/metrics-exposition.h"
#include "util/log.h"

struct MetricsServer {
        sd_event *event;
        struct MHD_Daemon *mhd;
        sd_event_source *io, *timer;
        MetricsRegistry *registry;
        MetricsLastPoll last_poll;
        void *last_poll_userdata;
        usec_t max_age;
        usec_t started; /* CLOCK_REALTIME */
        usec_t last_log; /* CLOCK_MONOTONIC of the last message from MHD let through */
        unsigned n_suppressed;
};

/* MHD reports every refused request (too big, timed out) here: anyone who can connect could
 * fill the journal, so at most one message a minute gets through, with a count of the rest. */
_printf_(2, 0)
static void server_on_mhd_log(void *cls, const char *fmt, va_list ap) {
        MetricsServer *s = cls;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        char buf[256];

        if (s->last_log > 0 && now - s->last_log < USEC_PER_MINUTE) {
                s->n_suppressed++;
                return;
        }
        vsnprintf(buf, sizeof(buf), fmt, ap);
        buf[strcspn(buf, "\n")] = '\0';
        if (s->n_suppressed > 0)
                log_warning("metrics server: %s (and %u more messages in the last minute)", buf,
                            s->n_suppressed);
        else
                log_warning("metrics server: %s", buf);
        s->last_log = now;
        s->n_suppressed = 0;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
                               char *body, size_t len, enum MHD_ResponseMemoryMode mode,
                               const char *allow) {
        struct MHD_Response *resp;
        enum MHD_Result ret;

        resp = MHD_create_response_from_buffer(len, body, mode);
        if (!resp) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO; /* closes the connection */
        }
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (allow)
                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
        ret = MHD_queue_response(c, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *c, unsigned status, const char *text,
                                    const char *allow) {
        return respond(c, status, "text/plain; charset=utf-8", (char *) text, strlen(text),
                       MHD_RESPMEM_PERSISTENT, allow);
}

static enum MHD_Result serve_metrics(MetricsServer *s, struct MHD_Connection *c) {
        const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        MetricsFormat format = metrics_format_from_accept(accept);
        char *body;
        size_t len;

        if (metrics_expose(s->registry, format, &body, &len) < 0)
                return respond_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
        return respond(c, MHD_HTTP_OK, metrics_format_content_type(format), body, len,
                       MHD_RESPMEM_MUST_FREE, NULL);
}

static enum MHD_Result serve_health(MetricsServer *s, struct MHD_Connection *c) {
        usec_t now = now_usec(CLOCK_REALTIME), last, age;
        char span[FORMAT_TIMESPAN_MAX], *body;
        int n;

        if (!s->last_poll)
                return respond_text(c, MHD_HTTP_OK, "ok\n", NULL);
        last = s->last_poll(s->last_poll_userdata);
        if (last == 0)
                last = s->started;
        age = now > last ? now - last : 0;
        if (age <= s->max_age)
                return respond_text(c, MHD_HTTP_OK, "ok\n", NULL);
        format_timespan(span, sizeof(span), age / USEC_PER_SEC * USEC_PER_SEC);
        n = asprintf(&body, "stale: no successful poll for %s\n", span);
        if (n < 0)
                return respond_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stale\n", NULL);
        return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", body,
                       (size_t) n, MHD_RESPMEM_MUST_FREE, NULL);
}

/* Answered on the first call, before any body is read: no request here has one. */
static enum MHD_Result server_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **con_cls) {
        MetricsServer *s = cls;
        bool metrics = strcmp(url, "/metrics") == 0, health = strcmp(url, "/healthz") == 0;

        if (!metrics && !health)
                return respond_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", NULL);
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
                return respond_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
                                    "GET, HEAD");
        return metrics ? serve_metrics(s, c) : serve_health(s, c);
}

/* After every MHD_run(): the timer MHD wants next, or none. */
static int server_arm_timer(MetricsServer *s) {
        MHD_UNSIGNED_LONG_LONG ms;

        if (MHD_get_timeout(s->mhd, &ms) != MHD_YES)
                return sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        /* Rounded up: woken a little late, MHD has work; woken early, it has none yet. */
        (void) sd_event_source_set_time_relative(s->timer, (usec_t) ms * USEC_PER_MSEC + 1);
        return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void server_run(MetricsServer *s) {
        if (MHD_run(s->mhd) != MHD_YES)
                log_warning("metrics server: processing connections failed");
        (void) server_arm_timer(s);
}

static int server_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        server_run(userdata);
        return 0;
}

static int server_on_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        server_run(userdata);
        return 0;
}

int metrics_server_new(MetricsServer **ret, sd_event *event, int listen_fd,
                       MetricsRegistry *registry, const MetricsServerLimits *limits) {
        _cleanup_(metrics_server_freep) MetricsServer *s = NULL;
        const union MHD_DaemonInfo *info;
        MetricsServerLimits l = limits ? *limits : (MetricsServerLimits) {};
        int r;

        if (!ret || !event || listen_fd < 0 || !registry) {
                if (listen_fd >= 0)
                        (void) close(listen_fd);
                return -EINVAL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                (void) close(listen_fd);
                return -ENOMEM;
        }
        s->event = sd_event_ref(event);
        s->registry = registry;
        s->started = now_usec(CLOCK_REALTIME);

        s->mhd = MHD_start_daemon(
                MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, server_on_request, s,
                /* First, or MHD says so through its own logger. */
                MHD_OPTION_EXTERNAL_LOGGER, server_on_mhd_log, s,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) listen_fd,
                MHD_OPTION_CONNECTION_LIMIT, (unsigned) (l.max_connections ?: 16),
                MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) (l.connection_timeout ?: 10),
                MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (l.memory_limit ?: 16 * 1024),
                MHD_OPTION_END);
        if (!s->mhd) {
                (void) close(listen_fd);
                return -EIO;
        }
        info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info)
                return -EIO;
        r = sd_event_add_io(event, &s->io, info->epoll_fd, EPOLLIN, server_on_io, s);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &s->timer, CLOCK_MONOTONIC, 0, 0,
                                               server_on_timer, s);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(s->io, "metrics-server-io");
        (void) sd_event_source_set_description(s->timer, "metrics-server-timer");
        r = server_arm_timer(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

MetricsServer *metrics_server_free(MetricsServer *s) {
        if (!s)
                return NULL;
        s->io = sd_event_source_disable_unref(s->io);
        s->timer = sd_event_source_disable_unref(s->timer);
        if (s->mhd)
                MHD_stop_daemon(s->mhd); /* closes the listening socket too */
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

void metrics_server_set_health(MetricsServer *s, MetricsLastPoll last_poll, void *userdata,
                               usec_t max_age) {
        s->last_poll = last_poll;
        s->last_poll_userdata = userdata;
        s->max_age = max_age;
}
