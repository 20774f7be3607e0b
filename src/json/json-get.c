/* Typed reads of a yajl tree, so that no decoder tests yajl's types by hand. */
#include "json/json-get.h"

#include <errno.h>
#include <string.h>

yajl_val json_member(yajl_val obj, const char *key) {
        if (!obj || !YAJL_IS_OBJECT(obj))
                return NULL;
        for (size_t i = 0; i < obj->u.object.len; i++)
                if (strcmp(obj->u.object.keys[i], key) == 0)
                        return obj->u.object.values[i];
        return NULL;
}

const char *json_member_string(yajl_val obj, const char *key) {
        yajl_val v = json_member(obj, key);
        return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

yajl_val json_member_object(yajl_val obj, const char *key) {
        yajl_val v = json_member(obj, key);
        return v && YAJL_IS_OBJECT(v) ? v : NULL;
}

yajl_val json_member_array(yajl_val obj, const char *key) {
        yajl_val v = json_member(obj, key);
        return v && YAJL_IS_ARRAY(v) ? v : NULL;
}

/* YAJL_IS_NUMBER would accept 1.5 and 1e999: only the integer flag means u.number.i holds
 * the value, and yajl leaves it off when the digits overflow a long long. */
int json_get_integer(yajl_val v, long long min, long long max, long long *ret) {
        if (!v || !YAJL_IS_INTEGER(v))
                return -EDOM;
        if (YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
                return -ERANGE;
        *ret = YAJL_GET_INTEGER(v);
        return 0;
}

bool json_is_huge_integer(yajl_val v) {
        const char *r;

        if (!v || !YAJL_IS_NUMBER(v) || YAJL_IS_INTEGER(v) || !v->u.number.r)
                return false;
        r = v->u.number.r + (v->u.number.r[0] == '-');
        return *r != '\0' && strspn(r, "0123456789") == strlen(r);
}

int json_get_bool(yajl_val v, bool *ret) {
        if (!v || (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v)))
                return -EDOM;
        *ret = YAJL_IS_TRUE(v);
        return 0;
}
