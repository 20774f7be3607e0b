/* Reasons for refusing JSON, shared by every decoder built on yajl's tree. */
#include "json/json-reason.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reasons end up in the journal: a quoted yajl message is cut to this many bytes. */
#define REASON_QUOTE_MAX 64

/* Keeps the first reason only: later ones would describe knock-on effects. */
int json_fail(char **reason, const char *fmt, ...) {
        char buf[256];
        va_list ap;

        if (*reason)
                return -EBADMSG;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        *reason = strdup(buf);
        return *reason ? -EBADMSG : -ENOMEM;
}

const char *json_type_name(yajl_val v) {
        switch (v->type) {
        case yajl_t_string:
                return "a string";
        case yajl_t_number:
                return "a number";
        case yajl_t_object:
                return "an object";
        case yajl_t_array:
                return "an array";
        case yajl_t_true:
        case yajl_t_false:
                return "a boolean";
        case yajl_t_null:
                return "null";
        default:
                return "an unknown value";
        }
}

int json_fail_from_yajl(const char *msg, char **reason) {
        const char *p = msg, *colon;
        size_t n;

        if (strstr(msg, "premature EOF"))
                return json_fail(reason, "truncated JSON");
        if (strstr(msg, "trailing garbage"))
                return json_fail(reason, "trailing garbage after the JSON value");
        if (strstr(msg, "client cancelled parse"))
                return -ENOMEM;

        colon = strstr(p, "error: ");
        if (colon)
                p = colon + strlen("error: ");
        n = strcspn(p, "\n");
        while (n > 0 && (p[n - 1] == '.' || p[n - 1] == ' '))
                n--;
        if (n == 0)
                return json_fail(reason, "invalid JSON");
        if (n > REASON_QUOTE_MAX)
                n = REASON_QUOTE_MAX;
        return json_fail(reason, "invalid JSON: %.*s", (int) n, p);
}
