/* The ACK API client: DescribeTaskInfo and DescribeClusterTasks signed, sent over an
 * HttpPool, and classified. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ack/cluster-tasks.h"
#include "ack/reply.h"
#include "creds/credentials.h"
#include "http/http-pool.h"
#include "util/cleanup.h"

typedef struct AckClient AckClient;
typedef struct AckCall AckCall;

/* Called once per call, from the event loop, unless the call was cancelled. The reply and
 * everything it points to are valid for the call only; the callback may take info, code,
 * message and request_id (TAKE_PTR), the rest is freed after it returns. */
typedef void (*AckReplyCallback)(AckCall *call, AckReply *reply, void *userdata);

/* Told of every call that finished (not of cancelled ones), just before its callback, with
 * the reply the callback gets: for counting, so it must not keep the reply or call the
 * client. api is the action's name ("DescribeTaskInfo"). */
typedef void (*AckObserver)(const char *api, const AckReply *reply, void *userdata);

/* endpoint is a normalized "https://host[:port]" (Config.endpoint; http:// is accepted, the
 * config decided whether it may be): parsed here once, not on every call. -EINVAL for
 * anything else. The pool is borrowed and must outlive the client. */
int ack_client_new(AckClient **ret, HttpPool *pool, const char *endpoint);
AckClient *ack_client_free(AckClient *c);
DEFINE_POINTER_CLEANUP(AckClient, ack_client_free)

/* One observer per client (NULL: none); calls sent from now on tell it, also after the
 * client is freed, so userdata must outlive them. */
void ack_client_set_observer(AckClient *c, AckObserver f, void *userdata);


const char *ack_client_endpoint(const AckClient *c);
bool ack_client_has_capacity(const AckClient *c);

/* Sign DescribeTaskInfo for task_id with creds (both only read during the call to this
 * function) and send it. *ret (optional) is valid until the callback runs or
 * ack_call_cancel(). -EBUSY when the pool is full; -EINVAL for a bad id or credentials. */
int ack_client_describe_task(AckClient *c, const char *task_id, const Credentials *creds,
                             AckReplyCallback cb, void *userdata, AckCall **ret);

/* The watcher's fast path: most polls return the very body the last one did. Tell the call
 * the length and ack_reply_hash() of the body the caller already applied; a 2xx with the
 * same length and hash is then delivered as ACK_REPLY_OK with unchanged set and info NULL,
 * without decoding (the hash is computed anyway, for body_hash, so the check costs a
 * compare). Set it right after ack_client_describe_task(), before the loop runs. */
void ack_call_skip_known(AckCall *call, size_t body_len, uint64_t body_hash);

/* One DescribeClusterTasks page: base is classified exactly as a task's reply (throttled,
 * auth, server, bad reply, ...; ACK_REPLY_NOT_FOUND here means the cluster does not exist)
 * with base.info always NULL, and page is the decoded page (ACK_REPLY_OK only). A 2xx whose
 * body does not decode is ACK_REPLY_BAD_REPLY, code "MalformedReply", message the reason.
 * base.request_id is the x-acs-request-id header, else the body's requestId. The callback
 * may take page and base's strings (TAKE_PTR); the rest is freed after it returns. */
typedef struct AckClusterReply {
        AckReply base;
        ClusterTasksPage *page;
} AckClusterReply;

typedef void (*AckClusterReplyCallback)(AckCall *call, AckClusterReply *reply, void *userdata);

/* Sign DescribeClusterTasks for one page (page_number from 1, page_size at least 1; the
 * pager in ack/cluster-tasks.h says which) and send it, as ack_client_describe_task() does.
 * -EBUSY when the pool is full; -EINVAL for a bad id, page or credentials. */
int ack_client_describe_cluster_tasks(AckClient *c, const char *cluster_id, uint32_t page_number,
                                      uint32_t page_size, const Credentials *creds,
                                      AckClusterReplyCallback cb, void *userdata, AckCall **ret);

/* Abort a call in flight; its callback is not called. NULL is fine. */
void ack_call_cancel(AckCall *call);
