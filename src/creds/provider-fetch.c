/* The exchanges behind temporary credentials, on the event loop: the ECS metadata server's
 * token-protected three steps, and STS AssumeRoleWithOIDC. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds/creds-json.h"
#include "creds/secret-file.h"
#include "provider-internal.h"
#include "util/reason.h"

enum {
        MD_STEP_TOKEN,       /* PUT /latest/api/token */
        MD_STEP_ROLE,        /* GET .../security-credentials/ : which role */
        MD_STEP_CREDENTIALS, /* GET .../security-credentials/<role> */
};

#define ROLE_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define MD_CREDENTIALS_PATH "/latest/meta-data/ram/security-credentials/"

_printf_(2, 3) static void fetch_fail(CredentialsProvider *p, const char *fmt, ...) {
        _cleanup_(freep) char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        fetch_cancel(p);
        p->on_exchange_done(p, NULL, m ? : "out of memory");
}

void fetch_cancel(CredentialsProvider *p) {
        http_request_cancel(p->request);
        p->request = NULL;
        free_secret(p->md_token);
        p->md_token = NULL;
        free(p->md_role);
        p->md_role = NULL;
}

static const char *metadata_base(const CredentialsProvider *p) {
        return p->metadata_url ? : METADATA_URL_DEFAULT;
}

static void metadata_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata);

static int metadata_send(CredentialsProvider *p) {
        _cleanup_(free_secretp) char *header = NULL;
        _cleanup_(freep) char *url = NULL;
        HttpRequestOptions o = {
                .timeout = METADATA_TIMEOUT,
                .allow_plain_http = true,
        };
        char *headers[2] = {};
        int r;

        switch (p->step) {
        case MD_STEP_TOKEN:
                o.method = "PUT";
                r = asprintf(&url, "%s/latest/api/token", metadata_base(p));
                if (r >= 0)
                        r = asprintf(&header, "X-aliyun-ecs-metadata-token-ttl-seconds: %s",
                                     METADATA_TOKEN_TTL);
                break;
        default:
                r = asprintf(&url, "%s" MD_CREDENTIALS_PATH "%s", metadata_base(p),
                             p->step == MD_STEP_ROLE ? "" : p->md_role);
                if (r >= 0)
                        r = asprintf(&header, "X-aliyun-ecs-metadata-token: %s", p->md_token);
        }
        if (r < 0) {
                url = header = NULL;
                return -ENOMEM;
        }
        headers[0] = header;
        return http_pool_request(p->pool, url, headers, &o, metadata_on_response, p, &p->request);
}

static const char *step_name(unsigned step) {
        switch (step) {
        case MD_STEP_TOKEN:
                return "PUT /latest/api/token";
        case MD_STEP_ROLE:
                return "GET " MD_CREDENTIALS_PATH;
        default:
                return "GET " MD_CREDENTIALS_PATH "<role>";
        }
}

/* The first line of a body, trimmed, copied; NULL when it is not plain. */
static char *first_line(const HttpResponse *resp, size_t max) {
        size_t n = strcspn(resp->body, "\r\n");

        if (n != resp->body_len && resp->body[n] == '\0')
                return NULL; /* an embedded NUL */
        while (n > 0 && (resp->body[n - 1] == ' ' || resp->body[n - 1] == '\t'))
                n--;
        if (!string_is_visible_ascii(resp->body, n, max))
                return NULL;
        return strndup(resp->body, n);
}

static void metadata_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        CredentialsProvider *p = userdata;
        _cleanup_(freep) char *error = NULL;
        Credentials *c = NULL;
        int r;

        p->request = NULL;
        if (resp->failure != HTTP_OK)
                return fetch_fail(p, "metadata server %s: %s: %s", metadata_base(p),
                                  step_name(p->step), resp->error ? : "failed");

        switch (p->step) {
        case MD_STEP_TOKEN:
                if (resp->status != 200)
                        return fetch_fail(p, "metadata server %s: %s: HTTP %ld", metadata_base(p),
                                          step_name(p->step), resp->status);
                p->md_token = first_line(resp, 1024);
                if (!p->md_token)
                        return fetch_fail(p, "metadata server %s: %s: not a token",
                                          metadata_base(p), step_name(p->step));
                p->step = p->md_role ? MD_STEP_CREDENTIALS : MD_STEP_ROLE;
                break;
        case MD_STEP_ROLE:
                if (resp->status == 404 || (resp->status == 200 && resp->body_len == 0))
                        return fetch_fail(p, "metadata server %s: this instance has no RAM role "
                                          "attached", metadata_base(p));
                if (resp->status != 200)
                        return fetch_fail(p, "metadata server %s: %s: HTTP %ld", metadata_base(p),
                                          step_name(p->step), resp->status);
                p->md_role = first_line(resp, 64);
                if (!p->md_role || strspn(p->md_role, ROLE_CHARS) != strlen(p->md_role))
                        return fetch_fail(p, "metadata server %s: %s: not a role name",
                                          metadata_base(p), step_name(p->step));
                free(p->detail);
                if (asprintf(&p->detail, "%s (role %s)", credentials_source_to_string(p->trying),
                             p->md_role) < 0)
                        p->detail = NULL;
                p->step = MD_STEP_CREDENTIALS;
                break;
        default:
                if (resp->status == 404)
                        return fetch_fail(p, "metadata server %s: no RAM role %s on this instance",
                                          metadata_base(p), p->md_role);
                if (resp->status != 200)
                        return fetch_fail(p, "metadata server %s: GET %s%s: HTTP %ld",
                                          metadata_base(p), MD_CREDENTIALS_PATH, p->md_role,
                                          resp->status);
                r = creds_parse_metadata_reply(resp->body, resp->body_len,
                                               credentials_source_to_string(p->trying), &c, &error);
                if (r < 0)
                        return fetch_fail(p, "metadata server %s: %s", metadata_base(p),
                                          error ? : strerror(-r));
                fetch_cancel(p);
                return p->on_exchange_done(p, c, NULL);
        }

        r = metadata_send(p);
        if (r < 0)
                fetch_fail(p, "metadata server %s: cannot send a request: %s", metadata_base(p),
                           strerror(-r));
}

int fetch_metadata_start(CredentialsProvider *p, const char *role, char **error) {
        int r;

        fetch_cancel(p);
        if (role) {
                p->md_role = strdup(role);
                if (!p->md_role)
                        return -ENOMEM;
        }
        p->step = MD_STEP_TOKEN;
        r = metadata_send(p);
        if (r < 0) {
                fetch_cancel(p);
                return reason_set(error, r, "metadata server %s: cannot send a request: %s",
                            metadata_base(p), strerror(-r));
        }
        return 0;
}

static void oidc_on_response(HttpRequest *req, const HttpResponse *resp, void *userdata) {
        CredentialsProvider *p = userdata;
        _cleanup_(freep) char *error = NULL;
        Credentials *c = NULL;
        int r;

        p->request = NULL;
        if (resp->failure != HTTP_OK)
                return fetch_fail(p, "STS AssumeRoleWithOIDC: %s", resp->error ? : "failed");
        r = creds_parse_sts_reply(resp->status, resp->body, resp->body_len,
                                  credentials_source_to_string(p->trying), &c, &error);
        if (r < 0)
                return fetch_fail(p, "STS AssumeRoleWithOIDC: %s", error ? : strerror(-r));
        p->on_exchange_done(p, c, NULL);
}

int fetch_oidc_start(CredentialsProvider *p, const OidcSettings *s, char **error) {
        _cleanup_(free_secretp) char *token = NULL, *body = NULL;
        _cleanup_(freep) char *endpoint = NULL, *url = NULL;
        char *headers[] = { (char *) "Content-Type: application/x-www-form-urlencoded",
                            (char *) "Accept: application/json", NULL };
        HttpRequestOptions o = { .method = "POST" };
        int r;

        fetch_cancel(p);
        /* Re-read every time: the kubelet rotates the projected token. */
        r = secret_file_read(s->token_file, SECRET_FILE_TRIM, &token, NULL, error);
        if (r < 0)
                return r;

        endpoint = p->sts_endpoint ? strdup(p->sts_endpoint) : sts_endpoint_for(s->sts_region, s->vpc);
        if (!endpoint)
                return reason_set(error, -EINVAL, "STS region %s is not a region id",
                            s->sts_region ? : "(none)");
        r = sts_oidc_request(s, endpoint, token, time(NULL), &url, &body);
        if (r < 0)
                return reason_set(error, r, "cannot build the AssumeRoleWithOIDC request: %s", strerror(-r));

        o.body = body;
        o.body_len = strlen(body);
        o.allow_plain_http = strncmp(endpoint, "http://", 7) == 0;
        r = http_pool_request(p->pool, url, headers, &o, oidc_on_response, p, &p->request);
        if (r < 0)
                return reason_set(error, r, "STS %s: cannot send the request: %s", endpoint, strerror(-r));
        return 0;
}
