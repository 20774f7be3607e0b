/* The one parser of endpoint URLs: scheme://host[:port][/], nothing more. */
#pragma once

#include <stdbool.h>

typedef struct UrlOrigin {
        char *origin;     /* "https://host[:port]": scheme in lower case, no trailing slash */
        const char *host; /* "host[:port]" inside origin: what a Host header carries */
        bool plain_http;  /* the scheme is http:// */
} UrlOrigin;

/* Accepts "https://host[:port]" with an optional trailing slash; host is a name of
 * [A-Za-z0-9.-] or a bracketed IPv6 literal, port 1..65535. User info, a path, a query or a
 * fragment are refused: they would change what is signed. http:// only when
 * allow_plain_http. -EINVAL with *ret_why (optional) saying what is wrong, -ENOMEM; *ret is
 * set only on success. */
int url_parse_origin(const char *s, bool allow_plain_http, UrlOrigin *ret, const char **ret_why);
void url_origin_done(UrlOrigin *o);
