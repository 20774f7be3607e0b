/* The V3 ACS3-HMAC-SHA256 signature, built exactly as the official SDKs build it. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ack/signer.h"
#include "util/cleanup.h"
#include "util/strutil.h"

#define SIGN_ALGORITHM "ACS3-HMAC-SHA256"

typedef struct CanonHeader {
        char *name; /* lowercase */
        const char *value;
        size_t value_len; /* value trimmed: points into the caller's string */
} CanonHeader;

#define SHA256_BLOCK 64

/* OpenSSL 3 looks the algorithm up by name on every use of EVP_sha256() and of HMAC(): fetch
 * it once (the daemon signs from one thread). Kept until exit. */
static const EVP_MD *sha256_md(void) {
        static EVP_MD *md = NULL;

        if (!md)
                md = EVP_MD_fetch(NULL, "SHA256", NULL);
        return md;
}

/* OpenSSL's digests fail only when they cannot allocate. parts are hashed in order. */
static int sha256_parts(EVP_MD_CTX *ctx, const void *const *parts, const size_t *lens, size_t n,
                        unsigned char md[32]) {
        const EVP_MD *alg = sha256_md();
        unsigned int len = 0;

        if (!alg || EVP_DigestInit_ex(ctx, alg, NULL) != 1)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1)
                        return -ENOMEM;
        if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
                return -ENOMEM;
        return 0;
}

static int sha256_raw(const void *data, size_t len, unsigned char md[32]) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r;

        if (!ctx)
                return -ENOMEM;
        r = sha256_parts(ctx, &data, &len, 1, md);
        EVP_MD_CTX_free(ctx);
        return r;
}

/* HMAC-SHA256 (RFC 2104) on the fetched digest, since HMAC() fetches "HMAC" and "SHA256" by
 * name on every call. The test vectors of ack-api.md check it. */
static int hmac_sha256(const char *key, size_t key_len, const void *data, size_t len,
                       unsigned char mac[32]) {
        unsigned char k[SHA256_BLOCK] = {}, pad[SHA256_BLOCK], inner[32];
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int r = 0;

        if (!ctx)
                return -ENOMEM;
        if (key_len > SHA256_BLOCK)
                r = sha256_parts(ctx, (const void *[]) { key }, &key_len, 1, k);
        else
                memcpy(k, key, key_len);
        if (r >= 0) {
                for (size_t i = 0; i < SHA256_BLOCK; i++)
                        pad[i] = k[i] ^ 0x36;
                r = sha256_parts(ctx, (const void *[]) { pad, data },
                                 (const size_t[]) { SHA256_BLOCK, len }, 2, inner);
        }
        if (r >= 0) {
                for (size_t i = 0; i < SHA256_BLOCK; i++)
                        pad[i] = k[i] ^ 0x5c;
                r = sha256_parts(ctx, (const void *[]) { pad, inner },
                                 (const size_t[]) { SHA256_BLOCK, sizeof(inner) }, 2, mac);
        }
        EVP_MD_CTX_free(ctx); /* cleanses */
        explicit_bzero(k, sizeof(k));
        explicit_bzero(pad, sizeof(pad));
        explicit_bzero(inner, sizeof(inner));
        return r;
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

/* An empty buffer with room for size - 1 bytes (strutil.c keeps its own growth private). */
static int strbuf_presize(StrBuf *b, size_t size) {
        b->data = malloc(size);
        if (!b->data)
                return -ENOMEM;
        b->data[0] = '\0';
        b->alloc = size;
        return 0;
}

static int append_str(StrBuf *b, const char *s) {
        return strbuf_append(b, s, strlen(s));
}

/* Plain appends: this runs on every poll, and the printf family showed in the profile. */
static int build_canonical_request(const SignInput *in, const CanonHeader *h, char **ret_request,
                                   char **ret_signed) {
        StrBuf req = {}, names = {};
        int r = 0;

        /* Sized up front rather than doubled from 64 bytes (a poll's is ~600). */
        r = strbuf_presize(&req, 1024);
        if (r >= 0)
                r = strbuf_presize(&names, 256);
        for (size_t i = 0; i < in->n_headers && r >= 0; i++) {
                if (i > 0)
                        r = strbuf_append(&names, ";", 1);
                if (r >= 0)
                        r = append_str(&names, h[i].name);
        }

        const char *head[] = { in->method, "\n", in->canonical_uri, "\n",
                               in->canonical_query ? in->canonical_query : "", "\n" };
        for (size_t i = 0; i < ELEMENTSOF(head) && r >= 0; i++)
                r = append_str(&req, head[i]);
        for (size_t i = 0; i < in->n_headers && r >= 0; i++) {
                r = append_str(&req, h[i].name);
                if (r >= 0)
                        r = strbuf_append(&req, ":", 1);
                if (r >= 0)
                        r = strbuf_append(&req, h[i].value, h[i].value_len);
                if (r >= 0)
                        r = strbuf_append(&req, "\n", 1);
        }
        const char *tail[] = { "\n", names.data ? names.data : "", "\n", in->hashed_payload };
        for (size_t i = 0; i < ELEMENTSOF(tail) && r >= 0; i++)
                r = append_str(&req, tail[i]);

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
        string_to_sign = malloc((sizeof(SIGN_ALGORITHM "\n") - 1) + sizeof(hex));
        if (!string_to_sign)
                return -ENOMEM;
        memcpy(string_to_sign, SIGN_ALGORITHM "\n", (sizeof(SIGN_ALGORITHM "\n") - 1));
        memcpy(string_to_sign + (sizeof(SIGN_ALGORITHM "\n") - 1), hex, sizeof(hex));

        r = hmac_sha256(access_key_secret, strlen(access_key_secret), string_to_sign,
                        strlen(string_to_sign), mac);
        if (r < 0) {
                explicit_bzero(mac, sizeof(mac));
                return r;
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
