/* The signed ACK requests (DescribeTaskInfo, DescribeClusterTasks): URL and header lines for
 * the HTTP layer. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ack/request.h"
#include "ack/signer.h"
#include "util/cleanup.h"
#include "util/random-util.h"
#include "util/strutil.h"

#if __has_include("build-config.h")
#include "build-config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif

#define ACK_ACTION "DescribeTaskInfo"
#define ACK_ACTION_CLUSTER_TASKS "DescribeClusterTasks"
#define ACK_VERSION "2015-12-15"
/* SHA-256 of the empty body: DescribeTaskInfo is a GET. */
#define EMPTY_PAYLOAD_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define NONCE_BYTES 16


typedef struct HeaderField {
        const char *name;
        const char *value;
        bool sign;
} HeaderField;

/* One signed GET: action, the path (already percent-encoded) and the canonical query (sorted,
 * encoded; "" for none), which is also the URL's. */
static int build_get(AckRequest *ret, const UrlOrigin *endpoint, const char *action,
                     const char *prefix, const char *id, const char *suffix, const char *query,
                     const Credentials *creds, time_t now, const char *nonce) {
        _cleanup_(ack_request_done) AckRequest req_storage = {};
        AckRequest *req = &req_storage;
        _cleanup_(freep) char *encoded = NULL, *path_storage = NULL;
        _cleanup_(sign_output_clear) SignOutput sig = {};
        char date[sizeof("YYYY-MM-DDTHH:MM:SSZ")], fresh_nonce[NONCE_BYTES * 2 + 1];
        SignHeader signed_headers[8];
        HeaderField fields[11];
        size_t n_fields = 0, n_signed = 0;
        const char *host, *path;
        size_t endpoint_len, size;
        char *p;
        struct tm tm;
        int r;

        if (!ret || !endpoint || !endpoint->origin || !endpoint->host || !id || !*id ||
            !creds || !creds->access_key_id || !creds->access_key_secret || (nonce && !*nonce))
                return -EINVAL;
        host = endpoint->host;

        if (!gmtime_r(&now, &tm) ||
            strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm) != sizeof(date) - 1)
                return -EINVAL;

        if (!nonce) {
                unsigned char b[NONCE_BYTES];

                r = random_bytes(b, sizeof(b));
                if (r < 0)
                        return r;
                hex_encode(b, sizeof(b), fresh_nonce);
                nonce = fresh_nonce;
        }

        /* The URL is endpoint + path: the path signed is its tail. */
        encoded = uri_encode(id);
        if (!encoded)
                return -ENOMEM;
        endpoint_len = strlen(endpoint->origin);
        size = endpoint_len + strlen(prefix) + strlen(encoded) + strlen(suffix) + 1 +
               strlen(query) + 1;
        req->url = malloc(size);
        if (!req->url)
                return -ENOMEM;
        p = mempcpy(req->url, endpoint->origin, endpoint_len);
        p = stpcpy(p, prefix);
        p = stpcpy(p, encoded);
        p = stpcpy(p, suffix);
        /* The signer takes the path alone: cut the URL there while signing. */
        path_storage = strndup(req->url + endpoint_len, (size_t) (p - req->url) - endpoint_len);
        if (!path_storage)
                return -ENOMEM;
        path = path_storage;
        if (*query) {
                p = stpcpy(p, "?");
                (void) stpcpy(p, query);
        }

        /* In the order they are sent; the signer sorts its own copy. */
        fields[n_fields++] = (HeaderField) { "host", host, true };
        fields[n_fields++] = (HeaderField) { "accept", "application/json", false };
        fields[n_fields++] = (HeaderField) { "user-agent", "taskwatchd/" PACKAGE_VERSION, false };
        fields[n_fields++] = (HeaderField) { "x-acs-action", action, true };
        fields[n_fields++] = (HeaderField) { "x-acs-version", ACK_VERSION, true };
        fields[n_fields++] = (HeaderField) { "x-acs-date", date, true };
        fields[n_fields++] = (HeaderField) { "x-acs-signature-nonce", nonce, true };
        fields[n_fields++] = (HeaderField) { "x-acs-content-sha256", EMPTY_PAYLOAD_SHA256, true };
        if (creds->security_token) {
                fields[n_fields++] = (HeaderField) { "x-acs-accesskey-id", creds->access_key_id,
                                                     true };
                fields[n_fields++] = (HeaderField) { "x-acs-security-token",
                                                     creds->security_token, true };
        }
        for (size_t i = 0; i < n_fields; i++)
                if (fields[i].sign)
                        signed_headers[n_signed++] = (SignHeader) { fields[i].name,
                                                                    fields[i].value };

        r = signer_sign(&(SignInput) {
                                .method = "GET",
                                .canonical_uri = path,
                                .canonical_query = query,
                                .headers = signed_headers,
                                .n_headers = n_signed,
                                .hashed_payload = EMPTY_PAYLOAD_SHA256,
                        },
                        creds->access_key_id, creds->access_key_secret, &sig);
        if (r < 0)
                return r;
        fields[n_fields++] = (HeaderField) { "Authorization", sig.authorization, false };

        /* The pointers and the lines in one block (ack_request_free() knows), not one
         * asprintf() each: this runs on every poll. */
        size = (n_fields + 1) * sizeof(char *);
        for (size_t i = 0; i < n_fields; i++)
                size += strlen(fields[i].name) + strlen(": ") + strlen(fields[i].value) + 1;
        req->headers = calloc(1, size);
        if (!req->headers)
                return -ENOMEM;
        p = (char *) (req->headers + n_fields + 1);
        for (size_t i = 0; i < n_fields; i++) {
                req->headers[i] = p;
                p = stpcpy(p, fields[i].name);
                p = stpcpy(p, ": ");
                p = stpcpy(p, fields[i].value) + 1;
        }
        req->n_headers = n_fields;
        /* The string to sign is "ACS3-HMAC-SHA256\n" followed by the hash. */
        const char *hash = strchr(sig.string_to_sign, '\n');
        if (hash && strlen(hash + 1) == sizeof(req->canonical_request_hash) - 1)
                memcpy(req->canonical_request_hash, hash + 1, sizeof(req->canonical_request_hash));

        *ret = req_storage;
        req_storage = (AckRequest) {};
        return 0;
}

int ack_request_build(AckRequest *ret, const UrlOrigin *endpoint, const char *task_id,
                      const Credentials *creds, time_t now, const char *nonce) {
        return build_get(ret, endpoint, ACK_ACTION, "/tasks/", task_id, "", "", creds, now, nonce);
}

int ack_request_build_cluster_tasks(AckRequest *ret, const UrlOrigin *endpoint,
                                    const char *cluster_id, uint32_t page_number,
                                    uint32_t page_size, const Credentials *creds, time_t now,
                                    const char *nonce) {
        char query[64];

        if (page_number == 0 || page_size == 0)
                return -EINVAL;
        /* Sorted by name, as the canonical query must be; digits need no encoding. */
        (void) snprintf(query, sizeof query, "page_number=%" PRIu32 "&page_size=%" PRIu32,
                        page_number, page_size);
        return build_get(ret, endpoint, ACK_ACTION_CLUSTER_TASKS, "/clusters/", cluster_id,
                         "/tasks", query, creds, now, nonce);
}

int ack_request_describe_task(AckRequest **ret, const UrlOrigin *endpoint, const char *task_id,
                              const Credentials *creds, time_t now, const char *nonce) {
        _cleanup_(freep) AckRequest *req = NULL;
        int r;

        if (!ret)
                return -EINVAL;
        req = calloc(1, sizeof(*req));
        if (!req)
                return -ENOMEM;
        r = ack_request_build(req, endpoint, task_id, creds, now, nonce);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

void ack_request_done(AckRequest *r) {
        /* One block: the lines follow the pointers (ack_request_build()). */
        if (r->headers)
                for (size_t i = 0; i < r->n_headers; i++)
                        explicit_bzero(r->headers[i], strlen(r->headers[i]));
        free(r->headers);
        free(r->url);
        *r = (AckRequest) {};
}

AckRequest *ack_request_free(AckRequest *r) {
        if (!r)
                return NULL;
        ack_request_done(r);
        free(r);
        return NULL;
}
