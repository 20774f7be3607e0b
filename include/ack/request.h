/* A signed ACK request (DescribeTaskInfo, DescribeClusterTasks), ready for the HTTP layer. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "creds/credentials.h"
#include "util/url.h"

typedef struct AckRequest {
        char *url;      /* endpoint + "/tasks/" + percent-encoded id (or the cluster's list) */
        char **headers; /* NULL-terminated "Name: value" lines, Authorization included */
        size_t n_headers;
        /* The hex SHA-256 of the canonical request, as in the string to sign: not a secret.
         * On SignatureDoesNotMatch the server quotes its own; comparing the two tells a
         * canonicalisation bug from a wrong secret. */
        char canonical_request_hash[65];
} AckRequest;

/* endpoint is parsed once (url_parse_origin()), not on every request: its origin starts
 * the URL and its host is the signed host header. now is the request time in seconds since the epoch; nonce NULL draws a fresh
 * random one. Headers: host, accept, user-agent, x-acs-action, x-acs-version, x-acs-date,
 * x-acs-signature-nonce, x-acs-content-sha256, and with a token x-acs-accesskey-id and
 * x-acs-security-token, plus Authorization (ACS3-HMAC-SHA256). */
int ack_request_describe_task(AckRequest **ret, const UrlOrigin *endpoint, const char *task_id,
                              const Credentials *creds, time_t now, const char *nonce);
/* The same into storage of the caller's (the ACK client embeds it in its call: one
 * allocation fewer per poll); *ret is set only on success, release with ack_request_done(). */
int ack_request_build(AckRequest *ret, const UrlOrigin *endpoint, const char *task_id,
                      const Credentials *creds, time_t now, const char *nonce);
/* DescribeClusterTasks: GET endpoint + "/clusters/" + percent-encoded id + "/tasks?page_number=
 * N&page_size=M", signed the same way with x-acs-action: DescribeClusterTasks and the query
 * in the canonical request. page_number and page_size must be at least 1 (-EINVAL). */
int ack_request_build_cluster_tasks(AckRequest *ret, const UrlOrigin *endpoint,
                                    const char *cluster_id, uint32_t page_number,
                                    uint32_t page_size, const Credentials *creds, time_t now,
                                    const char *nonce);
/* Wipes the header lines (they carry the token) before freeing; leaves *r empty. */
void ack_request_done(AckRequest *r);
/* Wipes the header lines (they carry the token) before freeing. */
AckRequest *ack_request_free(AckRequest *r);
DEFINE_POINTER_CLEANUP(AckRequest, ack_request_free)
