/* The one way into a yajl tree: the text checked against limits first, a reason for every
 * refusal, and a free that wipes trees that held secrets. */
#pragma once

#include <stddef.h>

#include <yajl/yajl_tree.h>

#include "json/json-guard.h"

/* Checks len bytes of text (not NUL-terminated) with json_guard_prescan() against limits,
 * then builds the tree into *ret. -EBADMSG with *reason set as json_fail() sets it: the
 * scan's reasons, or yajl's as json_fail_from_yajl() words them; with limits->secret
 * yajl's message (it pictures the text around the error) is wiped unread and the reason is
 * "not valid JSON", and the copy handed to yajl is wiped too. -ENOMEM, -EINVAL. */
int json_parse(const char *text, size_t len, const JsonLimits *limits, yajl_val *ret,
               char **reason);

/* Frees a tree; accepts NULL. */
void json_free(yajl_val v);
static inline void json_freep(yajl_val *v) {
        json_free(*v);
}

/* Wipes every string, number text and key in a tree from json_parse(), then frees it: for
 * trees that held secrets. Accepts NULL. */
void json_free_secret(yajl_val v);
static inline void json_free_secretp(yajl_val *v) {
        json_free_secret(*v);
}
