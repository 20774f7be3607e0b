/* What one poll's HTTP response means: a task reply, or which kind of failure. */
#include "watch/poll-outcome.h"

#include <errno.h>
#include <string.h>

#include "util/strutil.h"

/* API messages can be long (SignatureDoesNotMatch quotes the string to sign): keep logs
 * and STATUS= readable. */
#define MESSAGE_MAX 300

static char *shorten(const char *s) {
        if (!s)
                return NULL;
        if (strlen(s) <= MESSAGE_MAX)
                return strdup(s);
        char *r = strndup(s, MESSAGE_MAX);
        if (r)
                memcpy(r + MESSAGE_MAX - 3, "...", 3);
        return r;
}

static bool contains(const char *haystack, const char *needle) {
        return haystack && strcasestr(haystack, needle);
}

static bool code_is_auth(const char *code) {
        static const char *const prefixes[] = {
                "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId",
                "InvalidSecurityToken", "InvalidTimeStamp", "Forbidden",
                "NoPermission", "InvalidAuthorization", "MissingSecurityToken",
        };

        if (!code)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                if (strncasecmp(code, prefixes[i], strlen(prefixes[i])) == 0)
                        return true;
        return false;
}

static PollResult classify_error(long status, const char *code, long retry_after_ms) {
        /* Throttling first: any positive retry-after means "wait", whatever the status. */
        if (status == 429 || contains(code, "Throttling") || retry_after_ms > 0)
                return POLL_THROTTLED;
        /* We sign every poll with a fresh nonce, so a "used" nonce is our own request sent
         * twice: libcurl re-sends by itself when a reused connection dies before the reply.
         * A network fault, not a credentials problem; the next poll is signed afresh. */
        if (code && strncasecmp(code, "SignatureNonceUsed", 18) == 0)
                return POLL_NETWORK_ERROR;
        /* InvalidAccessKeyId.NotFound is a 404 too, and no statement about the task. */
        if (code_is_auth(code) || status == 401 || status == 403)
                return POLL_AUTH_ERROR;
        if (status == 404 || contains(code, "NotFound"))
                return POLL_NOT_FOUND;
        if (status >= 500)
                return POLL_SERVER_ERROR;
        return POLL_CLIENT_ERROR;
}

static const char *failure_code(HttpFailure f) {
        switch (f) {
        case HTTP_FAILURE_CONNECT:
                return "ConnectionFailed";
        case HTTP_FAILURE_TLS:
                return "TLSFailed";
        case HTTP_FAILURE_TIMEOUT:
                return "Timeout";
        case HTTP_FAILURE_TOO_BIG:
                return "ReplyTooLarge";
        default:
                return "TransferFailed";
        }
}

static int set_strings(PollOutcome *o, const char *code, const char *message, const char *request_id) {
        o->code = strdup_or_null(code);
        o->message = shorten(message);
        o->request_id = strdup_or_null(request_id);
        if ((code && !o->code) || (message && !o->message) || (request_id && !o->request_id))
                return -ENOMEM;
        return 0;
}

static int classify_success(const char *task_id, const HttpResponse *resp, PollOutcome *o) {
        _cleanup_(freep) char *reason = NULL;
        TaskInfo *info = NULL;
        int r;

        r = task_info_parse(resp->body, resp->body_len, &info, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                o->result = POLL_BAD_REPLY;
                return set_strings(o, "MalformedReply", reason ? reason : "malformed reply",
                                   resp->request_id);
        }
        /* A reply about another task must not move this one's state. */
        if (info->task_id && strcmp(info->task_id, task_id) != 0) {
                _cleanup_(freep) char *m = NULL;
                o->result = POLL_BAD_REPLY;
                if (asprintf(&m, "reply is about task %.64s, not %s", info->task_id, task_id) < 0)
                        m = NULL;
                task_info_free(info);
                return m ? set_strings(o, "WrongTask", m, resp->request_id) : -ENOMEM;
        }
        o->result = POLL_OK;
        o->info = info;
        return set_strings(o, NULL, NULL, resp->request_id);
}

int poll_outcome_classify(const char *task_id, const HttpResponse *resp, PollOutcome *ret) {
        PollOutcome o = { .http_status = resp->status };
        int r;

        if (resp->failure != HTTP_OK) {
                o.result = resp->failure == HTTP_FAILURE_TOO_BIG ? POLL_BAD_REPLY : POLL_NETWORK_ERROR;
                r = set_strings(&o, failure_code(resp->failure), resp->error, NULL);
        } else if (resp->status >= 200 && resp->status < 300) {
                r = classify_success(task_id, resp, &o);
        } else {
                ApiError *e = NULL;

                /* An unreadable error body (HTML from a proxy) still has its status. */
                (void) api_error_parse(resp->body, resp->body_len, &e);
                o.result = classify_error(resp->status, e ? e->code : NULL, resp->retry_after_ms);
                r = set_strings(&o, e ? e->code : NULL, e ? e->message : NULL,
                                resp->request_id ? resp->request_id : e ? e->request_id : NULL);
                api_error_free(e);
        }
        if (resp->retry_after_ms > 0)
                o.retry_after = (usec_t) resp->retry_after_ms * USEC_PER_MSEC;

        if (r < 0) {
                poll_outcome_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

void poll_outcome_done(PollOutcome *o) {
        task_info_free(o->info);
        free(o->code);
        free(o->message);
        free(o->request_id);
        *o = (PollOutcome) {};
}

EventKind poll_result_event_kind(PollResult r) {
        static const EventKind map[_POLL_RESULT_MAX] = {
                [POLL_OK] = EVENT_API_RECOVERED,
                [POLL_THROTTLED] = EVENT_API_THROTTLED,
                [POLL_NOT_FOUND] = EVENT_TASK_NOT_FOUND,
                [POLL_AUTH_ERROR] = EVENT_API_AUTH_ERROR,
                [POLL_SERVER_ERROR] = EVENT_API_SERVER_ERROR,
                [POLL_CLIENT_ERROR] = EVENT_API_CLIENT_ERROR,
                [POLL_NETWORK_ERROR] = EVENT_API_NETWORK_ERROR,
                [POLL_BAD_REPLY] = EVENT_API_BAD_REPLY,
        };
        return map[r];
}

const char *poll_result_to_string(PollResult r) {
        static const char *const names[_POLL_RESULT_MAX] = {
                [POLL_OK] = "ok",
                [POLL_THROTTLED] = "throttled",
                [POLL_NOT_FOUND] = "not found",
                [POLL_AUTH_ERROR] = "authentication failed",
                [POLL_SERVER_ERROR] = "server error",
                [POLL_CLIENT_ERROR] = "request refused",
                [POLL_NETWORK_ERROR] = "network error",
                [POLL_BAD_REPLY] = "bad reply",
        };
        return names[r];
}
