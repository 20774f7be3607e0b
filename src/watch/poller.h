/* One poll of one task through the ACK client, on a pool of connections made from the
 * configuration. The only file of the watch layer that knows the HTTP pool; what it hands on
 * is the client's AckReply. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "ack/client.h"
#include "config/config.h"
#include "creds/credentials.h"
#include "util/cleanup.h"

/* The last 2xx reply a task applied, as hash and length (len 0: none), so that the same bytes
 * again are not decoded (ack_call_skip_known() says what that risks). Kept in the task; the
 * poller sets it for every ACK_REPLY_OK it hands on, and clears it otherwise. */
typedef struct PollMemo {
        uint64_t hash;
        uint32_t len;
} PollMemo;

typedef struct Poller Poller;
typedef struct PollCall PollCall;

/* The reply, valid during the call only; the call is over (its handle freed) when this
 * returns. NULL: a response came that could not be classified for want of memory (a failed
 * poll, not worth an event of its own). */
typedef void (*PollReplyCallback)(const AckReply *reply, void *userdata);

/* A pool of connections with c's TLS and connection settings, and a client for c's
 * endpoint on it. Every call is reported to observer (NULL: none), as every call of the
 * clients poller_new_client() makes. */
int poller_new(Poller **ret, sd_event *event, const Config *c, AckObserver observer,
               void *observer_userdata);
/* Cancels nothing: every call must be cancelled first. */
Poller *poller_free(Poller *p);
DEFINE_POINTER_CLEANUP(Poller, poller_free)
/* Whether p's pool serves c as it is (the endpoint aside: poller_new_client()). */
bool poller_fits(const Poller *p, const Config *c);
/* A client for another endpoint on p's pool, for poller_set_client() (a reload's plan). */
int poller_new_client(const Poller *p, const char *endpoint, AckClient **ret);
/* Later polls go through client (taken); calls in flight finish on the old one. */
void poller_set_client(Poller *p, AckClient *client);
const char *poller_endpoint(const Poller *p);
void poller_set_on_capacity(Poller *p, void (*cb)(void *userdata), void *userdata);
bool poller_has_capacity(const Poller *p);

/* Sign and send DescribeTaskInfo for task_id (read during this call only; memo is borrowed
 * until the callback or the cancel). 0 and *ret, or -errno (nothing sent, no callback). */
int poller_describe_task(Poller *p, const char *task_id, const Credentials *creds, PollMemo *memo,
                         PollReplyCallback cb, void *userdata, PollCall **ret);
/* No callback will come. NULL-safe; returns NULL. */
PollCall *poll_call_cancel(PollCall *c);
