/* Setting the text that says why something failed, for functions that return -errno and
 * explain it in a string the caller owns. */
#pragma once

#include <stdarg.h>

#include "util/cleanup.h"

/* Replaces *reason (when reason is not NULL) with the formatted text and returns r, or
 * -ENOMEM when the text cannot be allocated (then *reason is NULL). */
int reason_set(char **reason, int r, const char *fmt, ...) _printf_(3, 4);
int reason_setv(char **reason, int r, const char *fmt, va_list ap) _printf_(3, 0);
