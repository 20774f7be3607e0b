/* Typed reads of a yajl tree: the member of an object, and a value as a string, an integer
 * in a range, a boolean, an object or an array. Nothing here allocates. */
#pragma once

#include <stdbool.h>

#include <yajl/yajl_tree.h>

/* The first member called key of object obj; NULL when obj is NULL or not an object, or has
 * no such member. */
yajl_val json_member(yajl_val obj, const char *key);

/* The member key of obj when it is of that type, else NULL. */
const char *json_member_string(yajl_val obj, const char *key);
yajl_val json_member_object(yajl_val obj, const char *key);
yajl_val json_member_array(yajl_val obj, const char *key);

/* v as an integer within [min, max] into *ret. -EDOM when v is NULL or not an integer
 * (yajl flags no integer that overflows a long long: such a number is -EDOM too), -ERANGE
 * when outside the range. */
int json_get_integer(yajl_val v, long long min, long long max, long long *ret);

/* Whether v is a number written as an integer ("-"? digits) that yajl could not hold in a
 * long long: an integer too large for 64 bits, not a fraction, though YAJL_IS_INTEGER is
 * false for both. */
bool json_is_huge_integer(yajl_val v);

/* v as a boolean into *ret; -EDOM when it is not true or false. */
int json_get_bool(yajl_val v, bool *ret);
