/* What one DescribeTaskInfo response means: a task reply, or which kind of failure. The
 * ACK headers (request id, retry-after) are read here, not in the HTTP layer. */
#include "ack/reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

const char *const ack_response_headers[_ACK_HEADER_MAX + 1] = {
        [ACK_HEADER_REQUEST_ID] = "x-acs-request-id",
        [ACK_HEADER_RETRY_AFTER] = "x-acs-retry-after",
        NULL,
};

static const char *response_header(const HttpResponse *resp, size_t i) {
        return resp->headers && i < resp->n_headers ? resp->headers[i] : NULL;
}

/* x-acs-retry-after (milliseconds) as a span, 0 if absent or not a plain decimal number.
 * Digits only, not strtol(): that takes signs, and a value times 1000 can wrap (18446744073709552
 * ms wrapped to 384 us). A value too large for usec_t saturates at USEC_INFINITY: the server asks
 * for a very long wait, which the backoff clamps to MaxInterval=. */
static usec_t parse_retry_after(const char *v) {
        const usec_t max_ms = USEC_INFINITY / USEC_PER_MSEC;
        bool overflow = false;
        usec_t ms = 0;
        const char *p;

        if (!v)
                return 0;
        v += strspn(v, " \t");
        for (p = v; *p >= '0' && *p <= '9'; p++) {
                unsigned digit = (unsigned) (*p - '0');

                if (overflow || ms > (max_ms - digit) / 10)
                        overflow = true; /* keep reading: trailing junk still voids it */
                else
                        ms = ms * 10 + digit;
        }
        if (p == v || p[strspn(p, " \t")] != '\0')
                return 0;
        return overflow ? USEC_INFINITY : ms * USEC_PER_MSEC;
}

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

static AckReplyKind classify_error(long status, const char *code, usec_t retry_after) {
        /* Throttling first: any positive retry-after means "wait", whatever the status. */
        if (status == 429 || contains(code, "Throttling") || retry_after > 0)
                return ACK_REPLY_THROTTLED;
        /* We sign every poll with a fresh nonce, so a "used" nonce is our own request sent
         * twice: libcurl re-sends by itself when a reused connection dies before the reply.
         * A network fault, not a credentials problem; the next poll is signed afresh. */
        if (code && strncasecmp(code, "SignatureNonceUsed", 18) == 0)
                return ACK_REPLY_NETWORK_ERROR;
        /* InvalidAccessKeyId.NotFound is a 404 too, and no statement about the task. */
        if (code_is_auth(code) || status == 401 || status == 403)
                return ACK_REPLY_AUTH_ERROR;
        /* Only a 4xx is a statement about the task: a 5xx with a *NotFound* code (503
         * ServiceNotFound) is the service failing, and must not end a wait as "not found". */
        if (status >= 400 && status < 500 && (status == 404 || contains(code, "NotFound")))
                return ACK_REPLY_NOT_FOUND;
        if (status >= 500)
                return ACK_REPLY_SERVER_ERROR;
        return ACK_REPLY_CLIENT_ERROR;
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

static int set_strings(AckReply *o, const char *code, const char *message, const char *request_id) {
        o->code = strdup_or_null(code);
        o->message = shorten(message);
        o->request_id = strdup_or_null(request_id);
        if ((code && !o->code) || (message && !o->message) || (request_id && !o->request_id))
                return -ENOMEM;
        return 0;
}

static int classify_success(const char *task_id, const HttpResponse *resp, const char *request_id,
                            AckReply *o) {
        _cleanup_(freep) char *reason = NULL;
        TaskInfo *info = NULL;
        int r;

        r = task_info_parse(resp->body, resp->body_len, &info, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                o->kind = ACK_REPLY_BAD_REPLY;
                return set_strings(o, "MalformedReply", reason ? reason : "malformed reply",
                                   request_id);
        }
        /* A reply about another task must not move this one's state. */
        if (info->task_id && strcmp(info->task_id, task_id) != 0) {
                _cleanup_(freep) char *m = NULL;
                o->kind = ACK_REPLY_BAD_REPLY;
                if (asprintf(&m, "reply is about task %.64s, not %s", info->task_id, task_id) < 0)
                        m = NULL;
                task_info_free(info);
                return m ? set_strings(o, "WrongTask", m, request_id) : -ENOMEM;
        }
        o->kind = ACK_REPLY_OK;
        o->info = info;
        return set_strings(o, NULL, NULL, request_id);
}

int ack_reply_classify(const char *task_id, const HttpResponse *resp, AckReply *ret) {
        const char *request_id = response_header(resp, ACK_HEADER_REQUEST_ID);
        usec_t retry_after = parse_retry_after(response_header(resp, ACK_HEADER_RETRY_AFTER));
        AckReply o = {
                .http_status = resp->status,
                .retry_after = retry_after,
                .body = resp->body ? resp->body : "",
                .body_len = resp->body ? resp->body_len : 0,
                .duration = resp->duration,
        };
        int r;

        if (resp->failure != HTTP_OK) {
                o.kind = resp->failure == HTTP_FAILURE_TOO_BIG ? ACK_REPLY_BAD_REPLY : ACK_REPLY_NETWORK_ERROR;
                r = set_strings(&o, failure_code(resp->failure), resp->error, NULL);
        } else if (resp->status >= 200 && resp->status < 300) {
                o.body_hash = resp->body_len > 0 ? ack_reply_hash(resp->body, resp->body_len) : 0;
                r = classify_success(task_id, resp, request_id, &o);
        } else {
                ApiError *e = NULL;

                /* An unreadable error body (HTML from a proxy) still has its status. */
                (void) api_error_parse(resp->body, resp->body_len, &e);
                o.kind = classify_error(resp->status, e ? e->code : NULL, retry_after);
                r = set_strings(&o, e ? e->code : NULL, e ? e->message : NULL,
                                request_id ? request_id : e ? e->request_id : NULL);
                api_error_free(e);
        }
        if (r < 0) {
                ack_reply_done(&o);
                return r;
        }
        *ret = o;
        return 0;
}

int ack_reply_known(const HttpResponse *resp, uint64_t hash, AckReply *ret) {
        const char *request_id = response_header(resp, ACK_HEADER_REQUEST_ID);
        AckReply o = {
                .kind = ACK_REPLY_OK,
                .retry_after = parse_retry_after(response_header(resp, ACK_HEADER_RETRY_AFTER)),
                .unchanged = true,
                .http_status = resp->status,
                .body = resp->body,
                .body_len = resp->body_len,
                .body_hash = hash,
                .duration = resp->duration,
        };

        if (request_id) {
                o.request_id = strdup(request_id);
                if (!o.request_id)
                        return -ENOMEM;
        }
        *ret = o;
        return 0;
}

void ack_reply_done(AckReply *o) {
        task_info_free(o->info);
        free(o->code);
        free(o->message);
        free(o->request_id);
        *o = (AckReply) {};
}

/* A word at a time, each mixed with splitmix64's finaliser (good avalanche, no dependency,
 * ~0.5 us for a 1.2 KB reply). It only has to tell an unchanged reply from a changed one
 * coming from the API. */
static uint64_t mix64(uint64_t h) {
        h ^= h >> 30;
        h *= UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 27;
        h *= UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
        return h;
}

uint64_t ack_reply_hash(const char *body, size_t len) {
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

EventKind ack_reply_event_kind(AckReplyKind r) {
        static const EventKind map[_ACK_REPLY_KIND_MAX] = {
                [ACK_REPLY_OK] = EVENT_API_RECOVERED,
                [ACK_REPLY_THROTTLED] = EVENT_API_THROTTLED,
                [ACK_REPLY_NOT_FOUND] = EVENT_TASK_NOT_FOUND,
                [ACK_REPLY_AUTH_ERROR] = EVENT_API_AUTH_ERROR,
                [ACK_REPLY_SERVER_ERROR] = EVENT_API_SERVER_ERROR,
                [ACK_REPLY_CLIENT_ERROR] = EVENT_API_CLIENT_ERROR,
                [ACK_REPLY_NETWORK_ERROR] = EVENT_API_NETWORK_ERROR,
                [ACK_REPLY_BAD_REPLY] = EVENT_API_BAD_REPLY,
        };
        return map[r];
}

const char *ack_reply_kind_to_string(AckReplyKind r) {
        static const char *const names[_ACK_REPLY_KIND_MAX] = {
                [ACK_REPLY_OK] = "ok",
                [ACK_REPLY_THROTTLED] = "throttled",
                [ACK_REPLY_NOT_FOUND] = "not found",
                [ACK_REPLY_AUTH_ERROR] = "authentication failed",
                [ACK_REPLY_SERVER_ERROR] = "server error",
                [ACK_REPLY_CLIENT_ERROR] = "request refused",
                [ACK_REPLY_NETWORK_ERROR] = "network error",
                [ACK_REPLY_BAD_REPLY] = "bad reply",
        };
        return names[r];
}
