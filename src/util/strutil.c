/* Small string helpers: a bounded growable buffer, percent and hex encoding, trimming. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* Grows b so it can hold need bytes plus the NUL. The old block is wiped rather than handed
 * to realloc(), which could leave a copy of a secret behind in freed memory. */
static int strbuf_reserve(StrBuf *b, size_t need) {
        size_t alloc;
        char *n;

        if (need == SIZE_MAX)
                return -ENOMEM;
        if (need + 1 <= b->alloc)
                return 0;

        alloc = b->alloc > 0 ? b->alloc : 64;
        while (alloc < need + 1) {
                if (alloc > SIZE_MAX / 2) {
                        alloc = need + 1;
                        break;
                }
                alloc *= 2;
        }
        /* Never allocate far beyond what the limit lets the buffer hold. */
        if (b->limit > 0 && alloc > b->limit + 1)
                alloc = b->limit + 1;

        n = malloc(alloc);
        if (!n)
                return -ENOMEM;
        if (b->data) {
                memcpy(n, b->data, b->len + 1);
                explicit_bzero(b->data, b->alloc);
                free(b->data);
        } else
                n[0] = '\0';
        b->data = n;
        b->alloc = alloc;
        return 0;
}

int strbuf_append(StrBuf *b, const void *data, size_t len) {
        int r;

        if (len > SIZE_MAX - b->len)
                return -EFBIG;
        if (b->limit > 0 && b->len + len > b->limit)
                return -EFBIG;

        r = strbuf_reserve(b, b->len + len);
        if (r < 0)
                return r;
        if (len > 0)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int strbuf_appendf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        int n, r;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if (b->limit > 0 && ((size_t) n > b->limit || b->len > b->limit - (size_t) n))
                return -EFBIG;

        r = strbuf_reserve(b, b->len + (size_t) n);
        if (r < 0)
                return r;

        va_start(ap, fmt);
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
        return 0;
}

char *strbuf_steal(StrBuf *b) {
        char *s;

        if (!b->data)
                return strdup("");
        s = b->data;
        b->data = NULL;
        b->len = b->alloc = 0;
        return s;
}

void strbuf_clear(StrBuf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->alloc = 0;
}

void strbuf_wipe(StrBuf *b) {
        if (b->data)
                explicit_bzero(b->data, b->alloc);
        strbuf_clear(b);
}

static bool is_unreserved(unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '~';
}

char *uri_encode(const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = strlen(s);
        char *out, *p;

        if (n > (SIZE_MAX - 1) / 3)
                return NULL;
        out = malloc(n * 3 + 1);
        if (!out)
                return NULL;

        p = out;
        for (const unsigned char *i = (const unsigned char *) s; *i; i++) {
                if (is_unreserved(*i))
                        *p++ = (char) *i;
                else {
                        *p++ = '%';
                        *p++ = hex[*i >> 4];
                        *p++ = hex[*i & 15];
                }
        }
        *p = '\0';
        return out;
}

void hex_encode(const unsigned char *in, size_t n, char *out) {
        static const char hex[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = hex[in[i] >> 4];
                out[2 * i + 1] = hex[in[i] & 15];
        }
        out[2 * n] = '\0';
}

char *strdup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *strip(char *s) {
        size_t start = 0, end;

        if (!s)
                return NULL;

        end = strlen(s);
        while (start < end && is_space(s[start]))
                start++;
        while (end > start && is_space(s[end - 1]))
                end--;

        memmove(s, s + start, end - start);
        s[end - start] = '\0';
        return s;
}

void free_secret(char *s) {
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

char **strv_copy(char *const *l) {
        size_t n = 0;
        char **v;

        while (l[n])
                n++;
        v = calloc(n + 1, sizeof(char *));
        if (!v)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (!(v[i] = strdup(l[i])))
                        return strv_free(v);
        return v;
}

bool string_is_visible_ascii(const char *s, size_t n, size_t max) {
        if (n == 0 || n > max)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] <= ' ' || s[i] >= 127)
                        return false;
        return true;
}

static char lower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

size_t string_distance(const char *a, const char *b) {
        enum { MAX = 63 };
        size_t n = strlen(a), m = strlen(b);
        size_t d[MAX + 1][MAX + 1];

        if (n > MAX || m > MAX)
                return n > m ? n : m;
        /* Optimal string alignment: Levenshtein plus adjacent transpositions. */
        for (size_t i = 0; i <= n; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= m; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= n; i++)
                for (size_t j = 1; j <= m; j++) {
                        size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
                        size_t v = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        if (d[i - 1][j - 1] + cost < v)
                                v = d[i - 1][j - 1] + cost;
                        if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                            lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[n][m];
}
