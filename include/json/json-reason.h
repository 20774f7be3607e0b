/* Reasons for refusing JSON, shared by every decoder built on yajl's tree: one short line
 * that names what is wrong and never quotes more than a few bytes of the input. */
#pragma once

#include <yajl/yajl_tree.h>

#include "util/cleanup.h"

/* Sets *reason to one formatted line (unless a reason is there already: later ones would
 * describe knock-on effects) and returns -EBADMSG; -ENOMEM when it cannot be allocated.
 * For every decoder that refuses input with a reason. */
int json_fail(char **reason, const char *fmt, ...) _printf_(2, 3);

/* "a string", "a number", "an object", "an array", "a boolean", "null". */
const char *json_type_name(yajl_val v);

/* Turn yajl's error message into a reason: its first line only, cut short ("truncated
 * JSON", "invalid JSON: lexical error: invalid char in json text"). -ENOMEM when yajl
 * cancelled the parse, which its tree callbacks do only when an allocation failed. */
int json_fail_from_yajl(const char *msg, char **reason);
