/* The poller: one ACK client call per poll on a pool of connections, and the memo of the
 * reply applied last, so that the same body again is not decoded. */
#include "poller.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/http-pool.h"
#include "util/strutil.h"

struct Poller {
        HttpPool *pool;
        HttpPoolOptions options;
        char *ca_file; /* options.ca_file points here */
        AckClient *client;
        AckObserver observer;
        void *observer_userdata;
};

struct PollCall {
        AckCall *call;
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
                .allow_plain_http = c->allow_plain_http,
        };
}

bool poller_fits(const Poller *p, const Config *c) {
        HttpPoolOptions o;

        pool_options_from_config(&o, c);
        return p->options.max_connections == o.max_connections && p->options.timeout == o.timeout &&
               p->options.max_body == o.max_body && p->options.allow_plain_http == o.allow_plain_http &&
               streq_ptr(p->options.ca_file, o.ca_file);
}

int poller_new(Poller **ret, sd_event *event, const Config *c, AckObserver observer,
               void *observer_userdata) {
        _cleanup_(poller_freep) Poller *p = NULL;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        pool_options_from_config(&p->options, c);
        p->ca_file = strdup_or_null(c->ca_file);
        if (c->ca_file && !p->ca_file)
                return -ENOMEM;
        p->options.ca_file = p->ca_file;
        p->observer = observer;
        p->observer_userdata = observer_userdata;
        r = http_pool_new(&p->pool, event, &p->options);
        if (r < 0)
                return r;
        r = poller_new_client(p, c->endpoint, &p->client);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

Poller *poller_free(Poller *p) {
        if (!p)
                return NULL;
        ack_client_free(p->client);
        http_pool_free(p->pool);
        free(p->ca_file);
        free(p);
        return NULL;
}

int poller_new_client(const Poller *p, const char *endpoint, AckClient **ret) {
        int r;

        r = ack_client_new(ret, p->pool, endpoint);
        if (r >= 0)
                ack_client_set_observer(*ret, p->observer, p->observer_userdata);
        return r;
}

void poller_set_client(Poller *p, AckClient *client) {
        ack_client_free(p->client);
        p->client = client;
}

const char *poller_endpoint(const Poller *p) {
        return ack_client_endpoint(p->client);
}

void poller_set_on_capacity(Poller *p, void (*cb)(void *userdata), void *userdata) {
        http_pool_set_on_capacity(p->pool, cb, userdata);
}

bool poller_has_capacity(const Poller *p) {
        return ack_client_has_capacity(p->client);
}

static void poll_call_on_reply(AckCall *call, AckReply *reply, void *userdata) {
        PollCall *c = userdata;

        /* Forget the last reply unless this one is handed on as applied: after a failure, the
         * next good reply goes the whole way. */
        *c->memo = (PollMemo) {};
        if (reply->error >= 0 && reply->kind == ACK_REPLY_OK && reply->body_len <= UINT32_MAX)
                *c->memo = (PollMemo) { .hash = reply->body_hash, .len = (uint32_t) reply->body_len };

        c->cb(reply->error < 0 ? NULL : reply, c->userdata);
        free(c);
}

int poller_describe_task(Poller *p, const char *task_id, const Credentials *creds, PollMemo *memo,
                         PollReplyCallback cb, void *userdata, PollCall **ret) {
        _cleanup_(freep) PollCall *c = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (PollCall) { .memo = memo, .cb = cb, .userdata = userdata };
        r = ack_client_describe_task(p->client, task_id, creds, poll_call_on_reply, c, &c->call);
        if (r < 0)
                return r;
        if (memo->len > 0)
                ack_call_skip_known(c->call, memo->len, memo->hash);
        *ret = TAKE_PTR(c);
        return 0;
}

PollCall *poll_call_cancel(PollCall *c) {
        if (!c)
                return NULL;
        ack_call_cancel(c->call);
        free(c);
        return NULL;
}
