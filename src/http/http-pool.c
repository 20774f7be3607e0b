/* HTTPS requests over a bounded pool of reused connections: libcurl's multi-socket interface
 * glued to sd-event, after systemd's curl-util.c, with its known gaps closed. */
#include "http/http-pool.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "util/strutil.h"

/* A DescribeTaskInfo reply is ~1.2 KB: the body buffer starts this big. */
#define BODY_PRESIZE 2048

struct HttpRequest {
        HttpPool *pool;
        CURL *easy;
        struct curl_slist *headers; /* one block (headers_new()), headers_size bytes */
        size_t headers_size;
        bool plain_get;   /* a GET with the pool's settings: its handle stays configured */
        StrBuf body;
        char *send;       /* the request body, wiped when done */
        size_t send_len;
        const char *const *response_headers; /* the caller's, see HttpRequestOptions */
        int write_error; /* why request_on_data() aborted the transfer: -EFBIG, -ENOMEM */
        bool headers_done; /* the blank line after the response headers was received */
        HttpCallback cb;
        void *userdata;
        usec_t started;
        char errbuf[CURL_ERROR_SIZE];
        HttpRequest *prev, *next; /* in pool->active */
};

/* A kept easy handle. configured: it still holds every option of a plain GET (see
 * request_configure()), so the next plain GET sets only what differs per request. */
typedef struct IdleHandle {
        CURL *easy;
        bool configured;
} IdleHandle;

struct HttpPool {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer;
        sd_event_source *kick;  /* defer: libcurl's "time out now", without the timerfd */
        sd_event_source *drain; /* defer: reads finished transfers outside libcurl */
        HttpPoolOptions options;
        char *ca_file;
        HttpRequest *active;
        size_t in_flight;
        IdleHandle *idle; /* easy handles kept for reuse, at most max_connections */
        size_t n_idle;
        unsigned long connections_opened;
        sd_event_source **ios; /* every io source we gave libcurl, to free what it forgets */
        size_t n_ios, cap_ios;
        bool closing;
        void (*on_capacity)(void *userdata);
        void *on_capacity_userdata;
};

/* Finished transfers are read from the drain source, outside libcurl. Most actions only
 * send or read part of a reply: fewer transfers running than we have in flight is the sign
 * that one ended, and only then is a loop iteration spent on the drain. On an error, drain
 * anyway. */
static void pool_drain_if_done(HttpPool *p, int running) {
        if (running < 0 || (size_t) running < p->in_flight)
                (void) sd_event_source_set_enabled(p->drain, SD_EVENT_ONESHOT);
}

static int pool_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        HttpPool *p = userdata;
        int action = 0, running;

        if (revents & EPOLLIN)
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        /* systemd's glue drops these; libcurl wants to know so it can fail the transfer. */
        if (revents & (EPOLLERR | EPOLLHUP))
                action |= CURL_CSELECT_ERR;

        if (curl_multi_socket_action(p->multi, fd, action, &running) != CURLM_OK)
                running = -1;
        pool_drain_if_done(p, running);
        return 0;
}

static int pool_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HttpPool *p = userdata;
        int running;

        if (curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                running = -1;
        pool_drain_if_done(p, running);
        return 0;
}

static int pool_on_kick(sd_event_source *s, void *userdata) {
        return pool_on_timer(s, 0, userdata);
}

static void pool_forget_io(HttpPool *p, sd_event_source *io) {
        for (size_t i = 0; i < p->n_ios; i++)
                if (p->ios[i] == io) {
                        p->ios[i] = p->ios[--p->n_ios];
                        return;
                }
}

/* libcurl tells us which socket to watch for what; the io source rides on the socket. */
static int curl_on_socket(CURL *easy, curl_socket_t fd, int what, void *userdata, void *socketp) {
        HttpPool *p = userdata;
        sd_event_source *io = socketp;
        uint32_t events = 0;

        if (what == CURL_POLL_REMOVE) {
                if (io) {
                        pool_forget_io(p, io);
                        (void) sd_event_source_disable_unref(io);
                        /* No calls into a multi handle that is being torn down. */
                        if (!p->closing)
                                (void) curl_multi_assign(p->multi, fd, NULL);
                }
                return 0;
        }

        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;

        if (io) {
                if (sd_event_source_set_io_events(io, events) < 0 ||
                    sd_event_source_set_enabled(io, SD_EVENT_ON) < 0)
                        return -1;
                return 0;
        }
        if (p->n_ios == p->cap_ios) {
                size_t cap = p->cap_ios ? p->cap_ios * 2 : 8;
                sd_event_source **v = reallocarray(p->ios, cap, sizeof(*v));
                if (!v)
                        return -1;
                p->ios = v;
                p->cap_ios = cap;
        }
        if (sd_event_add_io(p->event, &io, fd, events, pool_on_io, p) < 0)
                return -1;
        (void) sd_event_source_set_description(io, "curl-io");
        if (curl_multi_assign(p->multi, fd, io) != CURLM_OK) {
                sd_event_source_disable_unref(io);
                return -1;
        }
        p->ios[p->n_ios++] = io;
        return 0;
}

/* libcurl asks for one timer. Never call back into libcurl from here: arm the sd-event
 * timer, even for "now", and let the loop call curl_multi_socket_action. */
static int curl_on_timer(CURLM *multi, long timeout_ms, void *userdata) {
        HttpPool *p = userdata;
        usec_t when;

        if (timeout_ms < 0)
                return sd_event_source_set_enabled(p->timer, SD_EVENT_OFF) < 0 ? -1 : 0;

        /* "Now" comes with every new transfer. Arming the timer for it moved the timerfd
         * twice per poll (to now, then back to the next poll); a defer source costs no
         * syscall. The timer keeps its old deadline: should that pass first, libcurl just
         * finds nothing expired and asks again. */
        if (timeout_ms == 0)
                return sd_event_source_set_enabled(p->kick, SD_EVENT_ONESHOT) < 0 ? -1 : 0;

        /* Round up: firing early makes libcurl ask again for the rest, a busy loop. */
        when = now_usec(CLOCK_MONOTONIC) + (usec_t) timeout_ms * USEC_PER_MSEC + USEC_PER_MSEC - 1;
        if (sd_event_source_set_time(p->timer, when) < 0 ||
            sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT) < 0)
                return -1;
        return 0;
}

static size_t request_on_data(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *req = userdata;
        size_t len = size * n;

        int r = strbuf_append(&req->body, data, len);
        if (r < 0) {
                /* Kept, so that the failure says what happened: a short malloc is no reply
                 * too large. */
                req->write_error = r;
                return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
        }
        return len;
}

static size_t request_on_header(char *data, size_t size, size_t n, void *userdata) {
        HttpRequest *req = userdata;
        size_t len = size * n;

        if ((len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n'))
                req->headers_done = true;
        return len;
}

/* libcurl refuses a header line over CURL_MAX_HTTP_HEADER (100 KiB) with CURLE_OUT_OF_MEMORY,
 * which is a broken or hostile server, not our memory: told apart by the headers not being
 * complete and our own write callback not having failed. */
static bool header_too_big(const HttpRequest *req, CURLcode c) {
        return c == CURLE_OUT_OF_MEMORY && req->write_error == 0 && !req->headers_done;
}

static HttpFailure failure_from_curl(CURLcode c, int write_error) {
        switch (c) {
        case CURLE_OK:
                return HTTP_OK;
        case CURLE_OPERATION_TIMEDOUT:
                return HTTP_FAILURE_TIMEOUT;
        case CURLE_WRITE_ERROR:
                return write_error == -EFBIG ? HTTP_FAILURE_TOO_BIG : HTTP_FAILURE_OTHER;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
                return HTTP_FAILURE_TLS;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
                return HTTP_FAILURE_CONNECT;
        default:
                return HTTP_FAILURE_OTHER;
        }
}

static const char *response_header(CURL *easy, const char *name) {
        struct curl_header *h;

        if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
                return NULL;
        return h->value;
}

/* The list libcurl wants, nodes and lines in one allocation rather than two per line
 * (curl_slist_append()); libcurl only reads it. NULL for no headers. */
static int headers_new(char *const *headers, struct curl_slist **ret, size_t *ret_size) {
        size_t n = 0, size = 0;
        struct curl_slist *l;
        char *text;

        for (char *const *h = headers; h && *h; h++) {
                n++;
                size += strlen(*h) + 1;
        }
        if (n == 0) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        size += n * sizeof(struct curl_slist);
        l = malloc(size);
        if (!l)
                return -ENOMEM;
        text = (char *) (l + n);
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(headers[i]) + 1;

                memcpy(text, headers[i], len);
                l[i] = (struct curl_slist) { .data = text, .next = i + 1 < n ? &l[i + 1] : NULL };
                text += len;
        }
        *ret = l;
        *ret_size = size;
        return 0;
}

/* Header lines carry the security token: wipe them before they go back to malloc. */
static void headers_wipe_free(struct curl_slist *l, size_t size) {
        if (!l)
                return;
        explicit_bzero(l, size);
        free(l);
}

static void request_unlink(HttpRequest *req) {
        HttpPool *p = req->pool;

        if (req->prev)
                req->prev->next = req->next;
        else
                p->active = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->prev = req->next = NULL;
        p->in_flight--;
}

/* Detach the easy handle from the multi handle and keep it for the next request. */
static void request_release(HttpRequest *req) {
        HttpPool *p = req->pool;

        if (req->easy) {
                (void) curl_multi_remove_handle(p->multi, req->easy);
                if (p->n_idle < p->options.max_connections) {
                        if (req->plain_get) {
                                /* Nothing may point into the request once it is freed. */
                                (void) curl_easy_setopt(req->easy, CURLOPT_HTTPHEADER, NULL);
                                (void) curl_easy_setopt(req->easy, CURLOPT_ERRORBUFFER, NULL);
                                (void) curl_easy_setopt(req->easy, CURLOPT_WRITEDATA, NULL);
                                (void) curl_easy_setopt(req->easy, CURLOPT_PRIVATE, NULL);
                        } else
                                curl_easy_reset(req->easy);
                        p->idle[p->n_idle++] = (IdleHandle) { req->easy, req->plain_get };
                } else
                        curl_easy_cleanup(req->easy);
                req->easy = NULL;
        }
        headers_wipe_free(req->headers, req->headers_size);
        /* Replies from STS and the metadata server carry secrets. */
        strbuf_wipe(&req->body);
        if (req->send) {
                explicit_bzero(req->send, req->send_len);
                free(req->send);
        }
        free(req);
}

static void request_finish(HttpRequest *req, CURLcode code) {
        HttpPool *p = req->pool;
        const char *values[HTTP_RESPONSE_HEADERS_MAX] = {};
        HttpResponse resp = {
                .failure = header_too_big(req, code) ? HTTP_FAILURE_TOO_BIG
                                                     : failure_from_curl(code, req->write_error),
                .headers = values,
                .duration = now_usec(CLOCK_MONOTONIC) - req->started,
        };
        long connects = 0;

        for (const char *const *h = req->response_headers; h && *h; h++)
                resp.n_headers++;

        if (curl_easy_getinfo(req->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
                p->connections_opened += (unsigned long) connects;

        if (resp.failure == HTTP_OK) {
                (void) curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &resp.status);
                resp.body = req->body.data ? req->body.data : "";
                resp.body_len = req->body.len;
                for (size_t i = 0; i < resp.n_headers; i++)
                        values[i] = response_header(req->easy, req->response_headers[i]);
        } else if (header_too_big(req, code)) {
                resp.error = "a response header is larger than the limit (100 KiB)";
        } else if (resp.failure == HTTP_FAILURE_TOO_BIG) {
                resp.error = "reply body larger than the limit";
        } else if (code == CURLE_WRITE_ERROR && req->write_error == -ENOMEM) {
                resp.error = "out of memory for the reply body";
        } else {
                resp.error = req->errbuf[0] ? req->errbuf : curl_easy_strerror(code);
        }

        request_unlink(req);
        req->cb(req, &resp, req->userdata);
        request_release(req);
}

static int pool_on_drain(sd_event_source *s, void *userdata) {
        HttpPool *p = userdata;
        bool finished = false;
        CURLMsg *msg;
        int left;

        while ((msg = curl_multi_info_read(p->multi, &left))) {
                HttpRequest *req = NULL;
                /* The message lives in libcurl's memory until the handle is removed. */
                CURL *easy = msg->easy_handle;
                CURLcode code = msg->data.result;

                if (msg->msg != CURLMSG_DONE)
                        continue;
                if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &req) != CURLE_OK || !req)
                        continue;
                request_finish(req, code);
                finished = true;
        }

        if (finished && p->on_capacity && http_pool_has_capacity(p))
                p->on_capacity(p->on_capacity_userdata);
        return 0;
}

int http_pool_new(HttpPool **ret, sd_event *event, const HttpPoolOptions *o) {
        _cleanup_(http_pool_freep) HttpPool *p = NULL;
        int r;

        if (o->max_connections == 0)
                return -EINVAL;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->options = *o;
        if (o->ca_file) {
                p->ca_file = strdup(o->ca_file);
                if (!p->ca_file)
                        return -ENOMEM;
                p->options.ca_file = p->ca_file;
        }
        p->idle = calloc(o->max_connections, sizeof(*p->idle));
        if (!p->idle)
                return -ENOMEM;

        p->multi = curl_multi_init();
        if (!p->multi)
                return -ENOMEM;

        /* Accuracy 1 us: 0 would mean sd-event's default of 250 ms, which put every poll on a
         * shared 250 ms grid (late, and in step with other tasks). */
        r = sd_event_add_time(event, &p->timer, CLOCK_MONOTONIC, USEC_INFINITY, 1, pool_on_timer, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(p->timer, "curl-timer");
        r = sd_event_add_defer(event, &p->kick, pool_on_kick, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(p->kick, SD_EVENT_OFF);
        (void) sd_event_source_set_description(p->kick, "curl-kick");
        r = sd_event_add_defer(event, &p->drain, pool_on_drain, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(p->drain, SD_EVENT_OFF);
        (void) sd_event_source_set_description(p->drain, "curl-drain");

        /* One connection per request in flight, all kept for reuse: one handshake each. */
        if (curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, curl_on_socket) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, curl_on_timer) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long) o->max_connections) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) o->max_connections) != CURLM_OK ||
            curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long) o->max_connections) != CURLM_OK)
                return -EINVAL;

        *ret = TAKE_PTR(p);
        return 0;
}

HttpPool *http_pool_free(HttpPool *p) {
        if (!p)
                return NULL;

        while (p->active) {
                HttpRequest *req = p->active;
                request_unlink(req);
                request_release(req);
        }
        for (size_t i = 0; i < p->n_idle; i++)
                curl_easy_cleanup(p->idle[i].easy);
        free(p->idle);
        /* Closes the cached connections, which may call curl_on_socket(REMOVE). */
        p->closing = true;
        if (p->multi)
                curl_multi_cleanup(p->multi);
        for (size_t i = 0; i < p->n_ios; i++)
                sd_event_source_disable_unref(p->ios[i]);
        free(p->ios);
        sd_event_source_disable_unref(p->timer);
        sd_event_source_disable_unref(p->kick);
        sd_event_source_disable_unref(p->drain);
        sd_event_unref(p->event);
        free(p->ca_file);
        free(p);
        return NULL;
}

bool http_pool_has_capacity(const HttpPool *p) {
        return p->in_flight < p->options.max_connections;
}

size_t http_pool_in_flight(const HttpPool *p) {
        return p->in_flight;
}

unsigned long http_pool_connections_opened(const HttpPool *p) {
        return p->connections_opened;
}

void http_pool_set_on_capacity(HttpPool *p, void (*cb)(void *userdata), void *userdata) {
        p->on_capacity = cb;
        p->on_capacity_userdata = userdata;
}

/* configured: the handle holds a plain GET's options already, only the request's own are
 * set. */
static int request_configure(HttpRequest *req, const char *url, const HttpRequestOptions *ro,
                             bool configured) {
        const HttpPoolOptions *o = &req->pool->options;
        usec_t timeout = ro->timeout > 0 ? ro->timeout : o->timeout;
        long timeout_ms = (long) (timeout / USEC_PER_MSEC);
        long low_speed_s = (long) (timeout / USEC_PER_SEC);
        CURL *c = req->easy;

        if (timeout_ms < 1)
                timeout_ms = 1;
        if (low_speed_s < 1)
                low_speed_s = 1;

#define SET(opt, val)                                                                          \
        do {                                                                                   \
                if (curl_easy_setopt(c, opt, val) != CURLE_OK)                                 \
                        return -EINVAL;                                                        \
        } while (0)
        SET(CURLOPT_URL, url);
        SET(CURLOPT_PRIVATE, (char *) req);
        SET(CURLOPT_HTTPHEADER, req->headers);
        SET(CURLOPT_WRITEDATA, req);
        SET(CURLOPT_HEADERDATA, req);
        SET(CURLOPT_ERRORBUFFER, req->errbuf);
        if (configured)
                return 0;
        SET(CURLOPT_WRITEFUNCTION, request_on_data);
        SET(CURLOPT_HEADERFUNCTION, request_on_header);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_PROTOCOLS_STR,
            o->allow_plain_http || ro->allow_plain_http ? "http,https" : "https");
        if (ro->method && strcmp(ro->method, "GET") != 0) {
                /* POSTFIELDS is not copied: req->send lives as long as the transfer. */
                SET(CURLOPT_POSTFIELDS, req->send ? req->send : "");
                SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->send_len);
                SET(CURLOPT_CUSTOMREQUEST, ro->method);
        }
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_TIMEOUT_MS, timeout_ms);
        SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        /* A server that trickles bytes is as stuck as one that sends none. */
        SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SET(CURLOPT_LOW_SPEED_TIME, low_speed_s);
        SET(CURLOPT_TCP_KEEPALIVE, 1L);
        SET(CURLOPT_SSL_VERIFYPEER, 1L);
        SET(CURLOPT_SSL_VERIFYHOST, 2L);
        if (o->ca_file) {
                /* The extra anchor plus the system store: OpenSSL loads both locations. */
                SET(CURLOPT_CAINFO, o->ca_file);
                SET(CURLOPT_CAPATH, "/etc/ssl/certs");
        }
#undef SET
        return 0;
}

int http_pool_get(HttpPool *p, const char *url, char *const *headers, HttpCallback cb,
                  void *userdata, HttpRequest **ret) {
        return http_pool_request(p, url, headers, NULL, cb, userdata, ret);
}

static bool method_is_known(const char *m) {
        return !m || strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0;
}

static bool response_headers_fit(const char *const *names) {
        size_t n = 0;

        for (const char *const *h = names; h && *h; h++)
                if (++n > HTTP_RESPONSE_HEADERS_MAX)
                        return false;
        return true;
}

int http_pool_request(HttpPool *p, const char *url, char *const *headers,
                      const HttpRequestOptions *o, HttpCallback cb, void *userdata,
                      HttpRequest **ret) {
        static const HttpRequestOptions defaults = {};
        HttpRequest *req;
        bool configured = false;
        int r;

        if (!o)
                o = &defaults;
        if (!method_is_known(o->method) || (o->body_len > 0 && !o->body) ||
            !response_headers_fit(o->response_headers))
                return -EINVAL;
        if (!http_pool_has_capacity(p))
                return -EBUSY;

        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        req->pool = p;
        req->cb = cb;
        req->userdata = userdata;
        req->response_headers = o->response_headers;
        req->body.limit = p->options.max_body;
        req->started = now_usec(CLOCK_MONOTONIC);
        if (o->body_len > 0) {
                req->send = malloc(o->body_len);
                if (!req->send) {
                        r = -ENOMEM;
                        goto fail;
                }
                memcpy(req->send, o->body, o->body_len);
                req->send_len = o->body_len;
        }

        /* Room for a typical reply up front, instead of doubling from 64 bytes. */
        size_t presize = p->options.max_body > 0 && p->options.max_body < BODY_PRESIZE
                ? p->options.max_body + 1 : BODY_PRESIZE;
        req->body.data = malloc(presize);
        if (!req->body.data) {
                r = -ENOMEM;
                goto fail;
        }
        req->body.data[0] = '\0';
        req->body.alloc = presize;

        r = headers_new(headers, &req->headers, &req->headers_size);
        if (r < 0)
                goto fail;

        req->plain_get = !o->method && o->timeout == 0 && !o->allow_plain_http;
        if (p->n_idle > 0) {
                /* A plain GET prefers a handle that is configured for one already. */
                size_t i = p->n_idle - 1;
                while (req->plain_get && i > 0 && !p->idle[i].configured)
                        i--;
                configured = p->idle[i].configured;
                req->easy = p->idle[i].easy;
                p->idle[i] = p->idle[--p->n_idle];
                if (configured && !req->plain_get) {
                        curl_easy_reset(req->easy);
                        configured = false;
                }
        } else
                req->easy = curl_easy_init();
        if (!req->easy) {
                r = -ENOMEM;
                goto fail;
        }
        r = request_configure(req, url, o, configured);
        if (r < 0)
                goto fail;
        if (curl_multi_add_handle(p->multi, req->easy) != CURLM_OK) {
                r = -EIO;
                goto fail;
        }

        req->next = p->active;
        if (p->active)
                p->active->prev = req;
        p->active = req;
        p->in_flight++;
        if (ret)
                *ret = req;
        return 0;

fail:
        if (req->easy)
                curl_easy_cleanup(req->easy);
        req->easy = NULL;
        headers_wipe_free(req->headers, req->headers_size);
        free(req->body.data);
        if (req->send) {
                explicit_bzero(req->send, req->send_len);
                free(req->send);
        }
        free(req);
        return r;
}

void http_request_cancel(HttpRequest *req) {
        if (!req)
                return;
        request_unlink(req);
        request_release(req);
}
