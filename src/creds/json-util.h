/* Bounded JSON for the credential replies and profile file: a yajl tree whose strings are
 * wiped before it is freed, because they hold secrets. Private to src/creds/. */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"

#include <yajl/yajl_tree.h>

/* Nesting, size and value caps: these documents are small and flat. */
#define CREDS_JSON_MAX_BODY (1024U * 1024U)
#define CREDS_JSON_MAX_DEPTH 16U
#define CREDS_JSON_MAX_VALUES 20000U

/* Parses body (not NUL-terminated) into *ret. On -EBADMSG *reason says why, in words that
 * never quote the input (it may be a secret). */
int creds_json_parse(const char *body, size_t len, yajl_val *ret, char **reason);
/* Wipes every string and key in the tree, then frees it. Accepts NULL. */
void creds_json_free(yajl_val v);
static inline void creds_json_freep(yajl_val *v) {
        creds_json_free(*v);
}

/* The string member key of object v, or NULL (absent, or not a string). */
const char *creds_json_string(yajl_val v, const char *key);
/* The member key of object v whatever its type, or NULL. */
yajl_val creds_json_member(yajl_val v, const char *key);

/* Replaces *error (when error is not NULL) with a formatted message and returns -EBADMSG;
 * -ENOMEM when it cannot be allocated. For parsers whose last error is the one to show. */
int creds_error(char **error, const char *fmt, ...) _printf_(2, 3);
