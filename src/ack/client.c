/* The ACK API client: one DescribeTaskInfo or DescribeClusterTasks call is sign, send,
 * classify; the endpoint is parsed once, when the client is made. */
#include "ack/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack/request.h"
#include "util/url.h"

struct AckClient {
        HttpPool *pool;
        UrlOrigin endpoint;
        AckObserver observer;
        void *observer_userdata;
};

/* A call needs nothing of its client once sent: a client may be replaced (a new endpoint)
 * while calls on the old one are in flight. */
struct AckCall {
        HttpRequest *http;
        AckRequest request; /* kept while in flight: a reply quotes its canonical hash */
        AckReplyCallback cb;
        AckClusterReplyCallback cluster_cb; /* a DescribeClusterTasks call; cb is NULL */
        void *userdata;
        AckObserver observer; /* copied from the client when sent */
        void *observer_userdata;
        bool skip_known;
        size_t known_len;
        uint64_t known_hash;
        char task_id[]; /* one allocation per call; the cluster id for a list call */
};


int ack_client_new(AckClient **ret, HttpPool *pool, const char *endpoint) {
        _cleanup_(ack_client_freep) AckClient *c = NULL;
        int r;

        if (!ret || !pool || !endpoint)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->pool = pool;
        r = url_parse_origin(endpoint, true, &c->endpoint, NULL);
        if (r < 0)
                return r;
        /* Normalized only: what is signed must be exactly what the config shows. */
        if (strcmp(c->endpoint.origin, endpoint) != 0)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

AckClient *ack_client_free(AckClient *c) {
        if (!c)
                return NULL;
        url_origin_done(&c->endpoint);
        free(c);
        return NULL;
}

void ack_client_set_observer(AckClient *c, AckObserver f, void *userdata) {
        c->observer = f;
        c->observer_userdata = userdata;
}

const char *ack_client_endpoint(const AckClient *c) {
        return c->endpoint.origin;
}

bool ack_client_has_capacity(const AckClient *c) {
        return http_pool_has_capacity(c->pool);
}

static void ack_call_free(AckCall *call) {
        ack_request_done(&call->request);
        free(call);
}

/* A 2xx with the body the caller applied last (ack_call_skip_known()). */
static bool ack_call_reply_is_known(const AckCall *call, const HttpResponse *resp,
                                    uint64_t *ret_hash) {
        if (!call->skip_known || resp->failure != HTTP_OK || resp->status < 200 ||
            resp->status >= 300 || resp->body_len == 0 || resp->body_len != call->known_len)
                return false;
        *ret_hash = ack_reply_hash(resp->body, resp->body_len);
        return *ret_hash == call->known_hash;
}

static void ack_call_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        AckCall *call = userdata;
        AckReply reply;
        uint64_t hash;
        int r;

        call->http = NULL;
        if (ack_call_reply_is_known(call, resp, &hash))
                r = ack_reply_known(resp, hash, &reply);
        else
                r = ack_reply_classify(call->task_id, resp, &reply);
        if (r < 0)
                reply = (AckReply) {
                        .kind = ACK_REPLY_NETWORK_ERROR,
                        .http_status = resp->status,
                        .body = "",
                        .duration = resp->duration,
                        .error = r,
                };
        reply.canonical_request_hash = call->request.canonical_request_hash;
        if (call->observer)
                call->observer("DescribeTaskInfo", &reply, call->observer_userdata);
        call->cb(call, &reply, call->userdata);
        ack_reply_done(&reply);
        ack_call_free(call);
}

int ack_client_describe_task(AckClient *c, const char *task_id, const Credentials *creds,
                             AckReplyCallback cb, void *userdata, AckCall **ret) {
        static const HttpRequestOptions options = { .response_headers = ack_response_headers };
        AckCall *call;
        size_t len;
        int r;

        if (!c || !task_id || !cb)
                return -EINVAL;
        if (!http_pool_has_capacity(c->pool))
                return -EBUSY;
        len = strlen(task_id);
        call = calloc(1, sizeof(*call) + len + 1);
        if (!call)
                return -ENOMEM;
        memcpy(call->task_id, task_id, len + 1);
        call->cb = cb;
        call->userdata = userdata;
        call->observer = c->observer;
        call->observer_userdata = c->observer_userdata;

        r = ack_request_build(&call->request, &c->endpoint, task_id, creds, time(NULL), NULL);
        if (r >= 0)
                r = http_pool_request(c->pool, call->request.url, call->request.headers, &options,
                                      ack_call_on_response, call, &call->http);
        if (r < 0) {
                ack_call_free(call);
                return r;
        }
        if (ret)
                *ret = call;
        return 0;
}

void ack_call_skip_known(AckCall *call, size_t body_len, uint64_t body_hash) {
        call->skip_known = true;
        call->known_len = body_len;
        call->known_hash = body_hash;
}

void ack_call_cancel(AckCall *call) {
        if (!call)
                return;
        http_request_cancel(call->http);
        ack_call_free(call);
}

/* ---- DescribeClusterTasks ------------------------------------------------------------- */

/* A 2xx is read as ack_reply_known() reads one (request id, retry-after, body, no task
 * decoding), then decoded as a page; anything else is classified as for a task. */
static int ack_cluster_reply_classify(const char *cluster_id, const HttpResponse *resp,
                                      AckClusterReply *ret) {
        _cleanup_(freep) char *reason = NULL;
        AckClusterReply o = {};
        int r;

        if (resp->failure != HTTP_OK || resp->status < 200 || resp->status >= 300) {
                r = ack_reply_classify(cluster_id, resp, &o.base);
                if (r < 0)
                        return r;
                *ret = o;
                return 0;
        }
        r = ack_reply_known(resp, resp->body_len > 0 ? ack_reply_hash(resp->body, resp->body_len) : 0,
                            &o.base);
        if (r < 0)
                return r;
        o.base.unchanged = false;
        if (!o.base.body)
                o.base.body = "";
        r = cluster_tasks_parse(resp->body, resp->body_len, &o.page, &reason);
        if (r == -ENOMEM) {
                ack_reply_done(&o.base);
                return r;
        }
        if (r < 0) {
                o.base.kind = ACK_REPLY_BAD_REPLY;
                o.base.code = strdup("MalformedReply");
                o.base.message = strdup(reason ? reason : "malformed reply");
        } else if (!o.base.request_id && o.page->request_id)
                o.base.request_id = strdup(o.page->request_id);
        if ((r < 0 && (!o.base.code || !o.base.message)) ||
            (r >= 0 && o.page->request_id && !o.base.request_id)) {
                ack_reply_done(&o.base);
                cluster_tasks_page_free(o.page);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

static void ack_call_on_cluster_response(HttpRequest *req, const HttpResponse *resp,
                                         void *userdata) {
        AckCall *call = userdata;
        AckClusterReply reply;
        int r;

        call->http = NULL;
        r = ack_cluster_reply_classify(call->task_id, resp, &reply);
        if (r < 0)
                reply = (AckClusterReply) {
                        .base = {
                                .kind = ACK_REPLY_NETWORK_ERROR,
                                .http_status = resp->status,
                                .body = "",
                                .duration = resp->duration,
                                .error = r,
                        },
                };
        reply.base.canonical_request_hash = call->request.canonical_request_hash;
        call->cluster_cb(call, &reply, call->userdata);
        cluster_tasks_page_free(reply.page);
        ack_reply_done(&reply.base);
        ack_call_free(call);
}

int ack_client_describe_cluster_tasks(AckClient *c, const char *cluster_id, uint32_t page_number,
                                      uint32_t page_size, const Credentials *creds,
                                      AckClusterReplyCallback cb, void *userdata, AckCall **ret) {
        static const HttpRequestOptions options = { .response_headers = ack_response_headers };
        AckCall *call;
        size_t len;
        int r;

        if (!c || !cluster_id || !cb)
                return -EINVAL;
        if (!http_pool_has_capacity(c->pool))
                return -EBUSY;
        len = strlen(cluster_id);
        call = calloc(1, sizeof(*call) + len + 1);
        if (!call)
                return -ENOMEM;
        memcpy(call->task_id, cluster_id, len + 1);
        call->cluster_cb = cb;
        call->userdata = userdata;

        r = ack_request_build_cluster_tasks(&call->request, &c->endpoint, cluster_id, page_number,
                                            page_size, creds, time(NULL), NULL);
        if (r >= 0)
                r = http_pool_request(c->pool, call->request.url, call->request.headers, &options,
                                      ack_call_on_cluster_response, call, &call->http);
        if (r < 0) {
                ack_call_free(call);
                return r;
        }
        if (ret)
                *ret = call;
        return 0;
}
