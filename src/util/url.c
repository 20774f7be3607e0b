/* The one parser of endpoint URLs: config, the ACK client and the CLI share it. */
#include "util/url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_host_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.';
}

static int fail(const char **ret_why, const char *why) {
        if (ret_why)
                *ret_why = why;
        return -EINVAL;
}

/* The length of the host (name or [literal]) and port at the start of rest, which has n
 * bytes before an optional trailing slash; -EINVAL for anything else. */
static int authority_check(const char *rest, size_t n, const char **ret_why) {
        size_t i = 0;

        if (memchr(rest, '@', n))
                return fail(ret_why, "user credentials are not allowed in the URL");

        if (n > 0 && rest[0] == '[') { /* IPv6 literal */
                const char *end = memchr(rest, ']', n);
                char literal[INET6_ADDRSTRLEN];
                struct in6_addr a;
                size_t len = end ? (size_t) (end - rest - 1) : 0;

                /* inet_pton(), not a character class: "[1.2.3.4]" is no IPv6 address. */
                if (!end || len == 0 || len >= sizeof(literal))
                        return fail(ret_why, "invalid IPv6 address");
                memcpy(literal, rest + 1, len);
                literal[len] = '\0';
                if (inet_pton(AF_INET6, literal, &a) != 1)
                        return fail(ret_why, "invalid IPv6 address");
                i = (size_t) (end - rest) + 1;
        } else
                while (i < n && is_host_char(rest[i]))
                        i++;
        if (i == 0 || rest[0] == '.' || rest[0] == '-')
                return fail(ret_why, "no host name (expected https://host[:port])");

        if (i < n && rest[i] == ':') {
                size_t digits = strspn(rest + i + 1, "0123456789");
                unsigned long port = 0;
                if (digits > 0 && digits <= 5 && i + 1 + digits <= n)
                        port = strtoul(rest + i + 1, NULL, 10);
                if (port < 1 || port > 65535)
                        return fail(ret_why, "invalid port (expected 1..65535)");
                i += 1 + digits;
        }

        if (i < n)
                switch (rest[i]) {
                case '/':
                        return fail(ret_why, "a path is not allowed, give only https://host[:port]");
                case '?':
                        return fail(ret_why, "a query is not allowed, give only https://host[:port]");
                case '#':
                        return fail(ret_why, "a fragment is not allowed, give only https://host[:port]");
                default:
                        return fail(ret_why, "invalid character in the host name or port");
                }
        return 0;
}

int url_parse_origin(const char *s, bool allow_plain_http, UrlOrigin *ret, const char **ret_why) {
        const char *rest, *scheme;
        bool plain = false;
        size_t n;
        char *origin;
        int r;

        if (!s || !ret)
                return -EINVAL;
        if (strncasecmp(s, "https://", 8) == 0) {
                rest = s + 8;
                scheme = "https://";
        } else if (strncasecmp(s, "http://", 7) == 0) {
                rest = s + 7;
                scheme = "http://";
                plain = true;
        } else
                return fail(ret_why, "not a URL of the form https://host[:port]");
        if (plain && !allow_plain_http)
                return fail(ret_why, "plain http is not allowed, use https://");

        n = strlen(rest);
        if (n > 0 && rest[n - 1] == '/')
                n--;
        r = authority_check(rest, n, ret_why);
        if (r < 0)
                return r;

        if (asprintf(&origin, "%s%.*s", scheme, (int) n, rest) < 0)
                return -ENOMEM;
        *ret = (UrlOrigin) {
                .origin = origin,
                .host = origin + strlen(scheme),
                .plain_http = plain,
        };
        return 0;
}

void url_origin_done(UrlOrigin *o) {
        free(o->origin);
        *o = (UrlOrigin) {};
}
