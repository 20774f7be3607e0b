/* The guarded parse of JSON text into a yajl tree, and the frees of such trees. */
#include "json/json-parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json/json-reason.h"

int json_parse(const char *text, size_t len, const JsonLimits *limits, yajl_val *ret,
               char **reason) {
        char err[256] = "";
        char *copy;
        yajl_val v;
        int r;

        if (!ret || !reason || !limits || (!text && len > 0))
                return -EINVAL;
        r = json_guard_prescan(text, len, limits, reason);
        if (r < 0)
                return r;

        /* yajl_tree_parse() takes a NUL-terminated string only. */
        copy = malloc(len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, text, len);
        copy[len] = '\0';
        v = yajl_tree_parse(copy, err, sizeof err);
        if (limits->secret)
                explicit_bzero(copy, len);
        free(copy);
        if (v) {
                *ret = v;
                return 0;
        }
        if (!limits->secret)
                return json_fail_from_yajl(err, reason);
        /* yajl's message pictures the text around the error: it may show a secret. */
        r = strstr(err, "client cancelled parse") ? -ENOMEM : json_fail(reason, "not valid JSON");
        explicit_bzero(err, sizeof err);
        return r;
}

void json_free(yajl_val v) {
        if (v)
                yajl_tree_free(v);
}

/* Recursion is bounded by the depth json_parse() let through. */
static void wipe(yajl_val v) {
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

void json_free_secret(yajl_val v) {
        if (!v)
                return;
        wipe(v);
        yajl_tree_free(v);
}
