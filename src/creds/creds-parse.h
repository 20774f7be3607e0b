/* What the credential parsers share: JSON parsed with their limits into a tree that is wiped
 * when freed, and error texts where the last one set is the one shown. Private to src/creds/. */
#pragma once

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "util/cleanup.h"

/* Nesting, size and value caps: these documents are small and flat. */
#define CREDS_JSON_MAX_BODY (1024U * 1024U)
#define CREDS_JSON_MAX_DEPTH 16U
#define CREDS_JSON_MAX_VALUES 20000U

/* Parses body (not NUL-terminated) into *ret; free it with json_free_secret(). On -EBADMSG
 * *reason says why, in words that never quote the input (it may be a secret). */
int creds_json_parse(const char *body, size_t len, yajl_val *ret, char **reason);

/* Replaces *error (when error is not NULL) with a formatted message and returns -EBADMSG;
 * -ENOMEM when it cannot be allocated. For parsers whose last error is the one to show. */
int creds_error(char **error, const char *fmt, ...) _printf_(2, 3);
