/* What one DescribeTaskInfo response means: a task reply, or which kind of failure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ack/task-info.h"
#include "http/http-pool.h"
#include "report/event.h"

typedef enum AckReplyKind {
        ACK_REPLY_OK,
        ACK_REPLY_THROTTLED,     /* 429, a *Throttling* code, or any positive x-acs-retry-after */
        ACK_REPLY_NOT_FOUND,     /* the task does not exist (404 or a *NotFound* code) */
        ACK_REPLY_AUTH_ERROR,    /* signature, key, token, time stamp, permission */
        ACK_REPLY_SERVER_ERROR,  /* 5xx */
        ACK_REPLY_CLIENT_ERROR,  /* any other non-2xx */
        ACK_REPLY_NETWORK_ERROR, /* no complete response: connect, TLS, reset, timeout */
        ACK_REPLY_BAD_REPLY,     /* a 2xx we refuse: malformed, too big, another task's */
        _ACK_REPLY_KIND_MAX,
} AckReplyKind;

typedef struct AckReply {
        AckReplyKind kind;
        TaskInfo *info;   /* ACK_REPLY_OK only, and NULL when unchanged */
        /* ACK_REPLY_OK with the very body the caller said it knows (ack_call_skip_known()):
         * not decoded, info NULL. */
        bool unchanged;
        long http_status; /* 0 without a response */
        char *code;       /* API error code, or a short name for transport failures */
        char *message;    /* API error message, transport error, or why the reply was refused */
        char *request_id;
        usec_t retry_after; /* the server's x-acs-retry-after, 0 if none, USEC_INFINITY if beyond it */
        /* Borrowed, valid while the reply is delivered: */
        const char *canonical_request_hash; /* the signed request's (SignatureDoesNotMatch) */
        const char *body; /* as received, NUL-terminated; "" without a response */
        size_t body_len;
        uint64_t body_hash; /* ack_reply_hash() of a non-empty 2xx body, 0 otherwise */
        usec_t duration;
        /* -ENOMEM: the response could not be classified (kind says ACK_REPLY_NETWORK_ERROR,
         * nothing else is set); 0 otherwise. */
        int error;
} AckReply;

/* The response headers classification reads, in the order of HttpResponse.headers: pass
 * this as HttpRequestOptions.response_headers. */
enum { ACK_HEADER_REQUEST_ID, ACK_HEADER_RETRY_AFTER, _ACK_HEADER_MAX };
extern const char *const ack_response_headers[_ACK_HEADER_MAX + 1];

/* Never fails for bad input: hostile replies become ACK_REPLY_BAD_REPLY. -ENOMEM only.
 * resp->headers are those of ack_response_headers. The borrowed fields are set from resp
 * (body, duration; canonical_request_hash is the caller's). */
int ack_reply_classify(const char *task_id, const HttpResponse *resp, AckReply *ret);
/* What ack_reply_classify() says of a 2xx whose body the caller knows already (hash is its
 * ack_reply_hash()): ACK_REPLY_OK, unchanged, no decoding. -ENOMEM only. */
int ack_reply_known(const HttpResponse *resp, uint64_t hash, AckReply *ret);
void ack_reply_done(AckReply *r);

/* A 64-bit hash of a body to tell an unchanged reply from a changed one; not cryptographic. */
uint64_t ack_reply_hash(const char *body, size_t len);

EventKind ack_reply_event_kind(AckReplyKind k);
const char *ack_reply_kind_to_string(AckReplyKind k);
