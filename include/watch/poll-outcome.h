/* What one poll's HTTP response means: a task reply, or which kind of failure. */
#pragma once

#include "ack/task-info.h"
#include "http/http-pool.h"
#include "report/event.h"

typedef enum PollResult {
        POLL_OK,
        POLL_THROTTLED,     /* 429, a *Throttling* code, or any positive x-acs-retry-after */
        POLL_NOT_FOUND,     /* the task does not exist (404 or a *NotFound* code) */
        POLL_AUTH_ERROR,    /* signature, key, token, time stamp, permission */
        POLL_SERVER_ERROR,  /* 5xx */
        POLL_CLIENT_ERROR,  /* any other non-2xx */
        POLL_NETWORK_ERROR, /* no complete response: connect, TLS, reset, timeout */
        POLL_BAD_REPLY,     /* a 2xx we refuse: malformed, too big, another task's */
        _POLL_RESULT_MAX,
} PollResult;

typedef struct PollOutcome {
        PollResult result;
        TaskInfo *info;   /* POLL_OK only */
        long http_status; /* 0 without a response */
        char *code;       /* API error code, or a short name for transport failures */
        char *message;    /* API error message, transport error, or why the reply was refused */
        char *request_id;
        usec_t retry_after; /* the server's x-acs-retry-after, 0 if none */
} PollOutcome;

/* Never fails for bad input: hostile replies become POLL_BAD_REPLY. -ENOMEM only. */
int poll_outcome_classify(const char *task_id, const HttpResponse *resp, PollOutcome *ret);
void poll_outcome_done(PollOutcome *o);

EventKind poll_result_event_kind(PollResult r);
const char *poll_result_to_string(PollResult r);
