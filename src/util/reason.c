/* The one way to set a failure's reason text: replace what was there, or say out of memory. */
#include "util/reason.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int reason_setv(char **reason, int r, const char *fmt, va_list ap) {
        if (!reason)
                return r;
        free(*reason);
        if (vasprintf(reason, fmt, ap) < 0) {
                *reason = NULL;
                return -ENOMEM;
        }
        return r;
}

int reason_set(char **reason, int r, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        r = reason_setv(reason, r, fmt, ap);
        va_end(ap);
        return r;
}
