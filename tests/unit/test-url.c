/* Tests for the endpoint URL parser. */
#include <errno.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/url.h"

static void test_normalizes_origin_and_host(void) {
        static const struct {
                const char *value, *origin, *host;
        } good[] = {
                { "https://cs.example.test", "https://cs.example.test", "cs.example.test" },
                { "https://cs.example.test/", "https://cs.example.test", "cs.example.test" },
                { "https://127.0.0.1:8443/", "https://127.0.0.1:8443", "127.0.0.1:8443" },
                { "HTTPS://Host.Example", "https://Host.Example", "Host.Example" },
                { "https://[::1]:443", "https://[::1]:443", "[::1]:443" },
                { "https://h:65535", "https://h:65535", "h:65535" },
                { "https://[2001:db8::1]", "https://[2001:db8::1]", "[2001:db8::1]" },
                { "https://[::ffff:1.2.3.4]:8443", "https://[::ffff:1.2.3.4]:8443", "[::ffff:1.2.3.4]:8443" },
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                UrlOrigin u;

                ASSERT_OK(url_parse_origin(good[i].value, false, &u, NULL));
                ASSERT_STR_EQ(u.origin, good[i].origin);
                ASSERT_STR_EQ(u.host, good[i].host);
                ASSERT_TRUE(!u.plain_http);
                url_origin_done(&u);
                ASSERT_NULL(u.origin);
        }
}

static void test_plain_http_only_when_allowed(void) {
        const char *why = NULL;
        UrlOrigin u;

        ASSERT_INT_EQ(url_parse_origin("http://127.0.0.1:8080/", false, &u, &why), -EINVAL);
        ASSERT_STR_EQ(why, "plain http is not allowed, use https://");
        ASSERT_OK(url_parse_origin("HTTP://127.0.0.1:8080/", true, &u, NULL));
        ASSERT_STR_EQ(u.origin, "http://127.0.0.1:8080");
        ASSERT_STR_EQ(u.host, "127.0.0.1:8080");
        ASSERT_TRUE(u.plain_http);
        url_origin_done(&u);
}

static void test_rejects_with_reason(void) {
        static const struct {
                const char *value, *why;
        } bad[] = {
                { "https://h/path", "a path is not allowed, give only https://host[:port]" },
                { "https://h//", "a path is not allowed, give only https://host[:port]" },
                { "https://h?x=1", "a query is not allowed, give only https://host[:port]" },
                { "https://h#f", "a fragment is not allowed, give only https://host[:port]" },
                { "https://user@h", "user credentials are not allowed in the URL" },
                { "ftp://h", "not a URL of the form https://host[:port]" },
                { "", "not a URL of the form https://host[:port]" },
                { "https://", "no host name (expected https://host[:port])" },
                { "https://-h", "no host name (expected https://host[:port])" },
                { "https://:443", "no host name (expected https://host[:port])" },
                { "https://h:0", "invalid port (expected 1..65535)" },
                { "https://h:65536", "invalid port (expected 1..65535)" },
                { "https://h:123456", "invalid port (expected 1..65535)" },
                { "https://h:", "invalid port (expected 1..65535)" },
                { "https://h:12x", "invalid character in the host name or port" },
                { "https://h x", "invalid character in the host name or port" },
                { "https://[::1", "invalid IPv6 address" },
                { "https://[]", "invalid IPv6 address" },
                { "https://[::g]", "invalid IPv6 address" },
                /* the right characters in the wrong order: not IPv6 */
                { "https://[1.2.3.4]", "invalid IPv6 address" },
                { "https://[1.2.3.4]:443", "invalid IPv6 address" },
                { "https://[:::1]", "invalid IPv6 address" },
                { "https://[1:2:3:4:5:6:7:8:9]", "invalid IPv6 address" },
                { "https://[....]", "invalid IPv6 address" },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                UrlOrigin u = {};

                ASSERT_INT_EQ(url_parse_origin(bad[i].value, true, &u, &why), -EINVAL);
                ASSERT_STR_EQ(why, bad[i].why);
                ASSERT_NULL(u.origin); /* untouched */
        }
        ASSERT_INT_EQ(url_parse_origin("https://h/x", false, &(UrlOrigin) {}, NULL), -EINVAL);
}

TEST_MAIN(TEST_CASE(test_normalizes_origin_and_host),
          TEST_CASE(test_plain_http_only_when_allowed),
          TEST_CASE(test_rejects_with_reason))
