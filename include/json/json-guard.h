/* A pre-scan of JSON text that bounds what a tree parser may be handed: NUL, depth, size. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The deepest limit json_guard_prescan() can enforce (its stack lives on the C stack). */
#define JSON_GUARD_DEPTH_MAX 256U

typedef struct JsonLimits {
        size_t max_bytes;     /* the length of the text; 0: no limit */
        unsigned max_depth;   /* open arrays/objects at once; at most JSON_GUARD_DEPTH_MAX */
        uint32_t max_entries; /* separators directly inside any one array or object */
        size_t max_values;    /* separators in the whole text: bounds the size of the tree */
        bool secret;          /* the text may hold a secret: reasons quote none of it, not
                               * even an escape sequence */
} JsonLimits;

/* Scan len bytes of JSON text the way yajl's lexer sees it (strings, and comments, which
 * yajl_tree_parse() always accepts) and refuse, before any tree is built: text longer than
 * max_bytes ("larger than the limit of 1048576 bytes"), NUL bytes and
 * "\u0000" escapes (yajl would cut a string short at them), unterminated block comments,
 * nesting deeper than max_depth, more than max_entries entries in one container, more than
 * max_values values in all, and text with no value at all. It does not check the syntax.
 *
 * Returns 0, or -EBADMSG with *reason set to a one-line reason ("contains a NUL byte",
 * "nested deeper than 64 levels", "an array has more than 100000 entries", "has more than
 * 250000 values", "empty body", ...) unless *reason was already set, which is kept.
 * -ENOMEM when the reason cannot be allocated; -EINVAL for limits it cannot enforce. */
int json_guard_prescan(const char *s, size_t len, const JsonLimits *limits, char **reason);
