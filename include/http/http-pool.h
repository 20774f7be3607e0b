/* HTTPS requests over a bounded pool of reused connections, driven by sd-event. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

#include "util/cleanup.h"
#include "util/time-util.h"

typedef struct HttpPool HttpPool;
typedef struct HttpRequest HttpRequest;

typedef enum HttpFailure {
        HTTP_OK,              /* a complete response arrived (any status) */
        HTTP_FAILURE_CONNECT, /* resolve / connect / reset before a response */
        HTTP_FAILURE_TLS,     /* handshake or certificate verification */
        HTTP_FAILURE_TIMEOUT, /* the request took longer than its timeout */
        HTTP_FAILURE_TOO_BIG, /* the body passed the cap, or a header libcurl's 100 KiB */
        HTTP_FAILURE_OTHER,   /* anything else libcurl reports (truncated reply, no memory
                               * for the body, ...) */
} HttpFailure;

typedef struct HttpResponse {
        HttpFailure failure;
        const char *error;    /* libcurl's explanation when failure != HTTP_OK */
        long status;          /* HTTP status, 0 without a response */
        const char *body;     /* NUL-terminated, body_len bytes (may itself contain NULs) */
        size_t body_len;
        /* The values of HttpRequestOptions.response_headers, in the same order, NULL for one
         * absent (or for all when failure != HTTP_OK); n_headers of them. */
        const char *const *headers;
        size_t n_headers;
        usec_t duration;
} HttpResponse;

/* The most response headers one request may ask for. */
#define HTTP_RESPONSE_HEADERS_MAX 8

/* Called once per request, from the event loop (never from inside libcurl). The response
 * and everything it points to are valid for the call only. */
typedef void (*HttpCallback)(HttpRequest *req, const HttpResponse *resp, void *userdata);

typedef struct HttpPoolOptions {
        unsigned max_connections; /* also the most requests in flight at once */
        usec_t timeout;           /* per request, connect included */
        const char *ca_file;      /* extra trust anchor on top of the system store, or NULL */
        size_t max_body;          /* bytes; a longer body fails with HTTP_FAILURE_TOO_BIG */
        bool allow_plain_http;    /* tests only */
} HttpPoolOptions;

int http_pool_new(HttpPool **ret, sd_event *event, const HttpPoolOptions *o);
/* Cancels whatever is in flight without calling callbacks. */
HttpPool *http_pool_free(HttpPool *p);
DEFINE_POINTER_CLEANUP(HttpPool, http_pool_free)

/* True while fewer than max_connections requests are in flight. */
bool http_pool_has_capacity(const HttpPool *p);
size_t http_pool_in_flight(const HttpPool *p);

/* Called (from a defer source) whenever a request finished and capacity is free again. */
void http_pool_set_on_capacity(HttpPool *p, void (*cb)(void *userdata), void *userdata);

/* Start a GET. headers is a NULL-terminated list of "Name: value" lines. *ret (optional)
 * is a handle valid until the callback runs or http_request_cancel() is called.
 * -EBUSY when the pool is full. */
int http_pool_get(HttpPool *p, const char *url, char *const *headers, HttpCallback cb,
                  void *userdata, HttpRequest **ret);
/* What a request may change from the pool's defaults. Zero-initialize. */
typedef struct HttpRequestOptions {
        const char *method;    /* NULL: GET; "PUT" or "POST" send body */
        const char *body;      /* copied, and wiped once the request is over (tokens travel
                                * in bodies); NULL: empty */
        size_t body_len;
        usec_t timeout;        /* connect and total; 0: the pool's */
        bool allow_plain_http; /* http:// for this request (the ECS metadata server) */
        /* NULL-terminated names of the response headers the caller wants (case does not
         * matter), at most HTTP_RESPONSE_HEADERS_MAX; NULL: none. Not copied: the list must
         * live until the request ends (a static array). Costs nothing per request beyond
         * the look-ups once the response is complete. */
        const char *const *response_headers;
} HttpRequestOptions;

/* Like http_pool_get(), with o (NULL: a GET with the pool's settings). -EINVAL for a method
 * other than GET, PUT, POST, or too many response headers. */
int http_pool_request(HttpPool *p, const char *url, char *const *headers,
                      const HttpRequestOptions *o, HttpCallback cb, void *userdata,
                      HttpRequest **ret);

/* Abort a request in flight; its callback is not called. */
void http_request_cancel(HttpRequest *req);

/* Connections opened so far (each one handshake): for STATUS and tests. */
unsigned long http_pool_connections_opened(const HttpPool *p);
