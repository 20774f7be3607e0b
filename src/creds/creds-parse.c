/* What the credential parsers share: their JSON limits and their error texts. */
#include "creds-parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

#include "json/json-parse.h"
#include "json/json-reason.h"
#include "util/reason.h"

/* They hold secrets: no reason quotes them, and the copy yajl parses is wiped. */
static const JsonLimits creds_limits = {
        .max_depth = CREDS_JSON_MAX_DEPTH,
        .max_entries = UINT32_MAX, /* the cap on values is the one that counts */
        .max_values = CREDS_JSON_MAX_VALUES,
        .secret = true,
};

int creds_json_parse(const char *body, size_t len, yajl_val *ret, char **reason) {
        if (len == 0)
                return json_fail(reason, "empty reply");
        if (len > CREDS_JSON_MAX_BODY)
                return json_fail(reason, "larger than %u bytes", CREDS_JSON_MAX_BODY);
        return json_parse(body, len, &creds_limits, ret, reason);
}

int creds_error(char **error, const char *fmt, ...) {
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = reason_setv(error, -EBADMSG, fmt, ap);
        va_end(ap);
        return r;
}
