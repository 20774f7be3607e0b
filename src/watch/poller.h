/* One poll of one task: sign, send, classify. The only file of the watch layer that knows
 * HTTP, the pool, the signed request and PollOutcome; what it hands on is a PollReply. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "ack/task-info.h"
#include "config/config.h"
#include "creds/credentials.h"
#include "util/cleanup.h"
#include "watch/poll-outcome.h"

/* What one poll brought: field-compatible with the ACK client's AckReply, so that the client
 * can replace the inside of the poller without the rest of the layer changing. */
typedef struct PollReply {
        PollResult kind;
        TaskInfo *info;          /* POLL_OK: the decoded reply; NULL when it is the reply
                                  * applied last (PollMemo), which needs no decoding */
        long http_status;        /* 0 without a response */
        const char *code, *message, *request_id;
        usec_t retry_after;      /* the server's x-acs-retry-after, 0 if none */
        const char *canonical_request_hash; /* of our signed request: signature reports */
        const char *body;        /* the raw reply (the hooks' stdin), NUL-terminated */
        size_t body_len;
} PollReply;

/* The last 2xx reply a task applied, as hash and length (len 0: none), so that the same bytes
 * again are not decoded: see poll_reply_is_known() for the risk. Kept in the task; the poller
 * sets it for every POLL_OK it hands on, and clears it otherwise. */
typedef struct PollMemo {
        uint64_t hash;
        uint32_t len;
} PollMemo;

typedef struct Poller Poller;
typedef struct PollCall PollCall;

/* The reply, valid during the call only; the call is over (its handle freed) when this
 * returns. NULL: a response came that could not be classified for want of memory (a failed
 * poll, not worth an event of its own). */
typedef void (*PollReplyCallback)(const PollReply *reply, void *userdata);

/* A pool of connections to c's endpoint with c's TLS and connection settings. */
int poller_new(Poller **ret, sd_event *event, const Config *c);
/* Cancels nothing: every call must be cancelled first. */
Poller *poller_free(Poller *p);
DEFINE_POINTER_CLEANUP(Poller, poller_free)
/* Whether p's pool serves c as it is (the endpoint aside, poller_set_endpoint()). */
bool poller_fits(const Poller *p, const Config *c);
/* The endpoint for later polls (taken). */
void poller_set_endpoint(Poller *p, char *endpoint);
const char *poller_endpoint(const Poller *p);
void poller_set_on_capacity(Poller *p, void (*cb)(void *userdata), void *userdata);
bool poller_has_capacity(const Poller *p);

/* Sign and send DescribeTaskInfo for task_id (borrowed, as memo is, until the callback or
 * the cancel). 0 and *ret, or -errno (nothing sent, no callback). */
int poller_describe_task(Poller *p, const char *task_id, const Credentials *creds, PollMemo *memo,
                         PollReplyCallback cb, void *userdata, PollCall **ret);
/* No callback will come. NULL-safe; returns NULL. */
PollCall *poll_call_cancel(PollCall *c);
