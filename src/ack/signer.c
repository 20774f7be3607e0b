/* The V3 ACS3-HMAC-SHA256 signature, built exactly as the official SDKs build it. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ack/signer.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#define SIGN_ALGORITHM "ACS3-HMAC-SHA256"

typedef struct CanonHeader {
        char *name; /* lowercase */
        const char *value;
        size_t value_len; /* value trimmed: points into the caller's string */
} CanonHeader;

/* OpenSSL's one-shot digests fail only when they cannot allocate. */
static int sha256_raw(const void *data, size_t len, unsigned char md[32]) {
        unsigned int n = 0;

        if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
                return -ENOMEM;
        return 0;
}

void sha256_hex(const void *data, size_t len, char out[65]) {
        unsigned char md[32];

        if (sha256_raw(data, len, md) < 0) {
                /* An empty digest matches nothing, so a signature built on it fails loudly. */
                out[0] = '\0';
                return;
        }
        hex_encode(md, sizeof(md), out);
}

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

/* Header names are tokens (RFC 9110); a ':' or a line break would make the canonical request
 * ambiguous and let one header forge another. */
static bool header_name_valid(const char *s) {
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s >= 127 || *s == ':')
                        return false;
        return true;
}

static bool header_value_valid(const char *s) {
        return s && !strpbrk(s, "\r\n");
}

static int canon_header_compare(const void *a, const void *b) {
        return strcmp(((const CanonHeader *) a)->name, ((const CanonHeader *) b)->name);
}

static void canon_headers_free(CanonHeader *h, size_t n) {
        if (!h)
                return;
        for (size_t i = 0; i < n; i++)
                free(h[i].name);
        free(h);
}

/* Lowercased, trimmed and sorted copies of the headers; duplicates are refused since the
 * server would see only one of them. */
static int canon_headers_build(const SignHeader *in, size_t n, CanonHeader **ret) {
        CanonHeader *h;

        h = calloc(n > 0 ? n : 1, sizeof(*h));
        if (!h)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                const char *v = in[i].value, *e;

                if (!header_name_valid(in[i].name) || !header_value_valid(v)) {
                        canon_headers_free(h, n);
                        return -EINVAL;
                }
                h[i].name = strdup(in[i].name);
                if (!h[i].name) {
                        canon_headers_free(h, n);
                        return -ENOMEM;
                }
                for (char *c = h[i].name; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char) (*c - 'A' + 'a');

                while (is_space(*v))
                        v++;
                e = v + strlen(v);
                while (e > v && is_space(e[-1]))
                        e--;
                h[i].value = v;
                h[i].value_len = (size_t) (e - v);
        }

        qsort(h, n, sizeof(*h), canon_header_compare);
        for (size_t i = 1; i < n; i++)
                if (strcmp(h[i - 1].name, h[i].name) == 0) {
                        canon_headers_free(h, n);
                        return -EINVAL;
                }

        *ret = h;
        return 0;
}

static int build_canonical_request(const SignInput *in, const CanonHeader *h, char **ret_request,
                                   char **ret_signed) {
        StrBuf req = {}, names = {};
        int r = 0;

        for (size_t i = 0; i < in->n_headers && r >= 0; i++)
                r = strbuf_appendf(&names, "%s%s", i > 0 ? ";" : "", h[i].name);

        if (r >= 0)
                r = strbuf_appendf(&req, "%s\n%s\n%s\n", in->method, in->canonical_uri,
                                   in->canonical_query ? in->canonical_query : "");
        for (size_t i = 0; i < in->n_headers && r >= 0; i++)
                r = strbuf_appendf(&req, "%s:%.*s\n", h[i].name, (int) h[i].value_len,
                                   h[i].value);
        if (r >= 0)
                r = strbuf_appendf(&req, "\n%s\n%s", names.data ? names.data : "",
                                   in->hashed_payload);

        if (r >= 0) {
                char *s = strbuf_steal(&names), *q = strbuf_steal(&req);

                if (s && q) {
                        *ret_signed = s;
                        *ret_request = q;
                } else {
                        free(s);
                        free_secret(q);
                        r = -ENOMEM;
                }
        }
        strbuf_clear(&names);
        strbuf_wipe(&req); /* carries the security token */
        return r;
}

int signer_sign(const SignInput *in, const char *access_key_id, const char *access_key_secret,
                SignOutput *ret) {
        _cleanup_(free_secretp) char *canonical_request = NULL, *string_to_sign = NULL,
                                     *authorization = NULL;
        _cleanup_(freep) char *signed_headers = NULL;
        unsigned char md[32], mac[32];
        unsigned int mac_len = 0;
        char hex[65];
        CanonHeader *h = NULL;
        int r;

        if (!in || !ret || !in->method || !in->canonical_uri || !in->hashed_payload ||
            (in->n_headers > 0 && !in->headers) || !access_key_id || !access_key_secret ||
            !*access_key_id || !*access_key_secret)
                return -EINVAL;
        /* A comma or a break in the id would rewrite the Authorization header's fields. */
        if (strpbrk(access_key_id, ",; \t\r\n") || strpbrk(in->method, " \r\n") ||
            strpbrk(in->canonical_uri, "\r\n") ||
            (in->canonical_query && strpbrk(in->canonical_query, "\r\n")))
                return -EINVAL;

        r = canon_headers_build(in->headers, in->n_headers, &h);
        if (r < 0)
                return r;
        r = build_canonical_request(in, h, &canonical_request, &signed_headers);
        canon_headers_free(h, in->n_headers);
        if (r < 0)
                return r;

        r = sha256_raw(canonical_request, strlen(canonical_request), md);
        if (r < 0)
                return r;
        hex_encode(md, sizeof(md), hex);
        if (asprintf(&string_to_sign, SIGN_ALGORITHM "\n%s", hex) < 0) {
                string_to_sign = NULL;
                return -ENOMEM;
        }

        if (!HMAC(EVP_sha256(), access_key_secret, (int) strlen(access_key_secret),
                  (const unsigned char *) string_to_sign, strlen(string_to_sign), mac, &mac_len) ||
            mac_len != sizeof(mac)) {
                explicit_bzero(mac, sizeof(mac));
                return -ENOMEM;
        }
        hex_encode(mac, sizeof(mac), hex);
        explicit_bzero(mac, sizeof(mac));

        r = asprintf(&authorization, SIGN_ALGORITHM " Credential=%s,SignedHeaders=%s,Signature=%s",
                     access_key_id, signed_headers, hex);
        explicit_bzero(hex, sizeof(hex));
        if (r < 0) {
                authorization = NULL;
                return -ENOMEM;
        }

        *ret = (SignOutput) {
                .canonical_request = TAKE_PTR(canonical_request),
                .string_to_sign = TAKE_PTR(string_to_sign),
                .signed_headers = TAKE_PTR(signed_headers),
                .authorization = TAKE_PTR(authorization),
        };
        return 0;
}

void sign_output_clear(SignOutput *o) {
        if (!o)
                return;
        free_secret(o->canonical_request);
        free_secret(o->string_to_sign);
        free(o->signed_headers);
        free_secret(o->authorization);
        *o = (SignOutput) {};
}
