/* The poller: one DescribeTaskInfo call per poll on a pool of connections, its response
 * classified (or recognised as the reply applied last) into a PollReply. */
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack/request.h"
#include "http/http-pool.h"
#include "util/strutil.h"

struct Poller {
        HttpPool *pool;
        HttpPoolOptions options;
        char *ca_file; /* options.ca_file points here */
        char *endpoint;
};

struct PollCall {
        Poller *poller;
        HttpRequest *request;
        AckRequest *ack; /* kept for its canonical request hash (signature reports) */
        const char *task_id;
        PollMemo *memo;
        PollReplyCallback cb;
        void *userdata;
};

static void pool_options_from_config(HttpPoolOptions *o, const Config *c) {
        *o = (HttpPoolOptions) {
                .max_connections = c->max_connections,
                .timeout = c->request_timeout,
                .ca_file = c->ca_file,
                .max_body = TASK_INFO_MAX_BODY,
                .allow_plain_http = strncmp(c->endpoint, "http://", 7) == 0,
        };
}

bool poller_fits(const Poller *p, const Config *c) {
        HttpPoolOptions o;

        pool_options_from_config(&o, c);
        return p->options.max_connections == o.max_connections && p->options.timeout == o.timeout &&
               p->options.max_body == o.max_body && p->options.allow_plain_http == o.allow_plain_http &&
               streq_ptr(p->options.ca_file, o.ca_file);
}

int poller_new(Poller **ret, sd_event *event, const Config *c) {
        _cleanup_(poller_freep) Poller *p = NULL;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        pool_options_from_config(&p->options, c);
        p->ca_file = strdup_or_null(c->ca_file);
        p->endpoint = strdup(c->endpoint);
        if ((c->ca_file && !p->ca_file) || !p->endpoint)
                return -ENOMEM;
        p->options.ca_file = p->ca_file;
        r = http_pool_new(&p->pool, event, &p->options);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

Poller *poller_free(Poller *p) {
        if (!p)
                return NULL;
        http_pool_free(p->pool);
        free(p->ca_file);
        free(p->endpoint);
        free(p);
        return NULL;
}

void poller_set_endpoint(Poller *p, char *endpoint) {
        free_and_replace(&p->endpoint, endpoint);
}

const char *poller_endpoint(const Poller *p) {
        return p->endpoint;
}

void poller_set_on_capacity(Poller *p, void (*cb)(void *userdata), void *userdata) {
        http_pool_set_on_capacity(p->pool, cb, userdata);
}

bool poller_has_capacity(const Poller *p) {
        return http_pool_has_capacity(p->pool);
}

/* A 64-bit hash of the reply's bytes, a word at a time, each mixed with splitmix64's
 * finaliser (good avalanche, no dependency, ~0.5 µs for a 1.2 KB reply). Not cryptographic:
 * it only has to tell an unchanged reply from a changed one coming from the API. */
static uint64_t mix64(uint64_t h) {
        h ^= h >> 30;
        h *= UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 27;
        h *= UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
        return h;
}

static uint64_t reply_hash(const char *body, size_t len) {
        uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len, w;
        size_t i = 0;

        for (; i + 8 <= len; i += 8) {
                memcpy(&w, body + i, 8);
                h = mix64(h ^ w) + UINT64_C(0x9e3779b97f4a7c15);
        }
        w = 0;
        memcpy(&w, body + i, len - i);
        return mix64(h ^ w ^ ((uint64_t) (len - i) << 56));
}

/* True when a 2xx reply has the same length and hash as the last reply applied to the
 * tracker: decoding it again would change nothing, so it is not decoded. Only a changed reply
 * of the same length whose 64-bit hash collides with the old one would be missed, about one
 * in 2^64 per change; and the next change, which moves "updated", is seen. A reply after a
 * failed poll (the memo is cleared then) always goes the whole way. */
static bool poll_reply_is_known(const PollMemo *memo, const HttpResponse *resp, uint64_t *ret_hash) {
        if (resp->failure != HTTP_OK || resp->status < 200 || resp->status >= 300 ||
            resp->body_len == 0 || resp->body_len > UINT32_MAX) {
                *ret_hash = 0;
                return false;
        }
        *ret_hash = reply_hash(resp->body, resp->body_len);
        return memo->len == resp->body_len && memo->hash == *ret_hash;
}

/* What poll_outcome_classify() would say of the known reply, without decoding it. */
static int known_reply_outcome(const HttpResponse *resp, PollOutcome *ret) {
        PollOutcome o = { .result = POLL_OK, .http_status = resp->status };

        if (resp->request_id) {
                o.request_id = strdup(resp->request_id);
                if (!o.request_id)
                        return -ENOMEM;
        }
        if (resp->retry_after_ms > 0)
                o.retry_after = (usec_t) resp->retry_after_ms * USEC_PER_MSEC;
        *ret = o;
        return 0;
}

static void poll_call_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        PollCall *c = userdata;
        PollOutcome o = {};
        uint64_t hash;
        bool known;
        int r;

        c->request = NULL; /* the pool frees it after this */
        known = poll_reply_is_known(c->memo, resp, &hash);
        r = known ? known_reply_outcome(resp, &o) : poll_outcome_classify(c->task_id, resp, &o);
        /* Forget the last reply unless this one is handed on as applied: after a failure, the
         * next good reply goes the whole way. */
        *c->memo = (PollMemo) {};
        if (r >= 0 && o.result == POLL_OK && resp->body_len <= UINT32_MAX)
                *c->memo = (PollMemo) { .hash = hash, .len = (uint32_t) resp->body_len };

        if (r < 0) {
                c->cb(NULL, c->userdata);
                goto finish;
        }
        PollReply reply = {
                .kind = o.result,
                .info = o.info,
                .http_status = o.http_status,
                .code = o.code,
                .message = o.message,
                .request_id = o.request_id,
                .retry_after = o.retry_after,
                .canonical_request_hash = c->ack ? c->ack->canonical_request_hash : NULL,
                .body = resp->body,
                .body_len = resp->body_len,
        };
        c->cb(&reply, c->userdata);
finish:
        poll_outcome_done(&o);
        ack_request_free(c->ack);
        free(c);
}

int poller_describe_task(Poller *p, const char *task_id, const Credentials *creds, PollMemo *memo,
                         PollReplyCallback cb, void *userdata, PollCall **ret) {
        _cleanup_(freep) PollCall *c = NULL;
        _cleanup_(ack_request_freep) AckRequest *req = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (PollCall) { .poller = p, .task_id = task_id, .memo = memo, .cb = cb, .userdata = userdata };
        r = ack_request_describe_task(&req, p->endpoint, task_id, creds, time(NULL), NULL);
        if (r < 0)
                return r;
        r = http_pool_get(p->pool, req->url, req->headers, poll_call_on_response, c, &c->request);
        if (r < 0)
                return r;
        c->ack = TAKE_PTR(req);
        *ret = TAKE_PTR(c);
        return 0;
}

PollCall *poll_call_cancel(PollCall *c) {
        if (!c)
                return NULL;
        http_request_cancel(c->request);
        ack_request_free(c->ack);
        free(c);
        return NULL;
}
