/* Bounded JSON parsing for credential documents, with the tree wiped before it is freed. */
#include "json-util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

_printf_(2, 3) static int fail(char **reason, const char *fmt, ...) {
        char buf[160];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (reason) {
                free(*reason);
                *reason = strdup(buf);
                if (!*reason)
                        return -ENOMEM;
        }
        return -EBADMSG;
}

/* yajl has no depth limit and frees recursively; it decodes "\u0000" into a NUL that cuts a
 * string short. Both are refused on the raw text, seen as yajl's lexer sees it (strings and
 * comments cannot hide brackets). */
static int prescan(const char *s, size_t len, char **reason) {
        unsigned depth = 0;
        size_t values = 0;

        if (memchr(s, '\0', len))
                return fail(reason, "contains a NUL byte");
        for (size_t i = 0; i < len; i++)
                switch (s[i]) {
                case '"':
                        for (i++; i < len && s[i] != '"'; i++)
                                if (s[i] == '\\') {
                                        if (len - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0)
                                                return fail(reason, "contains an escaped NUL");
                                        i++;
                                }
                        break;
                case '/':
                        if (i + 1 < len && s[i + 1] == '/') {
                                const char *nl = memchr(s + i + 2, '\n', len - i - 2);
                                i = nl ? (size_t) (nl - s) : len;
                        } else if (i + 1 < len && s[i + 1] == '*') {
                                i += 2;
                                while (i < len && !(s[i] == '*' && i + 1 < len && s[i + 1] == '/'))
                                        i++;
                                if (i >= len)
                                        return fail(reason, "unterminated comment");
                                i++;
                        }
                        break;
                case '[':
                case '{':
                        if (++depth > CREDS_JSON_MAX_DEPTH)
                                return fail(reason, "nested deeper than %u levels", CREDS_JSON_MAX_DEPTH);
                        break;
                case ']':
                case '}':
                        if (depth > 0)
                                depth--;
                        break;
                case ',':
                        if (++values >= CREDS_JSON_MAX_VALUES)
                                return fail(reason, "has more than %u values", CREDS_JSON_MAX_VALUES);
                        break;
                }
        return 0;
}

int creds_json_parse(const char *body, size_t len, yajl_val *ret, char **reason) {
        char err[256];
        char *copy;
        yajl_val v;
        int r;

        if (len == 0)
                return fail(reason, "empty reply");
        if (len > CREDS_JSON_MAX_BODY)
                return fail(reason, "larger than %u bytes", CREDS_JSON_MAX_BODY);
        r = prescan(body, len, reason);
        if (r < 0)
                return r;

        copy = malloc(len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, body, len);
        copy[len] = '\0';
        v = yajl_tree_parse(copy, err, sizeof err);
        explicit_bzero(copy, len);
        free(copy);
        /* yajl's message pictures the input around the error: it may show a secret. */
        explicit_bzero(err, sizeof err);
        if (!v)
                return fail(reason, "not valid JSON");
        *ret = v;
        return 0;
}

static void wipe(yajl_val v) {
        if (!v)
                return;
        switch (v->type) {
        case yajl_t_string:
                explicit_bzero(v->u.string, strlen(v->u.string));
                break;
        case yajl_t_number:
                if (v->u.number.r)
                        explicit_bzero(v->u.number.r, strlen(v->u.number.r));
                break;
        case yajl_t_object:
                for (size_t i = 0; i < v->u.object.len; i++) {
                        explicit_bzero((char *) v->u.object.keys[i], strlen(v->u.object.keys[i]));
                        wipe(v->u.object.values[i]);
                }
                break;
        case yajl_t_array:
                for (size_t i = 0; i < v->u.array.len; i++)
                        wipe(v->u.array.values[i]);
                break;
        default:
                break;
        }
}

void creds_json_free(yajl_val v) {
        if (!v)
                return;
        wipe(v); /* recursion is bounded by CREDS_JSON_MAX_DEPTH */
        yajl_tree_free(v);
}

yajl_val creds_json_member(yajl_val v, const char *key) {
        if (!v || v->type != yajl_t_object)
                return NULL;
        for (size_t i = 0; i < v->u.object.len; i++)
                if (strcmp(v->u.object.keys[i], key) == 0)
                        return v->u.object.values[i];
        return NULL;
}

const char *creds_json_string(yajl_val v, const char *key) {
        yajl_val m = creds_json_member(v, key);
        return m && m->type == yajl_t_string ? m->u.string : NULL;
}

int creds_error(char **error, const char *fmt, ...) {
        va_list ap;

        if (!error)
                return -EBADMSG;
        free(*error);
        va_start(ap, fmt);
        if (vasprintf(error, fmt, ap) < 0) {
                *error = NULL;
                va_end(ap);
                return -ENOMEM;
        }
        va_end(ap);
        return -EBADMSG;
}
