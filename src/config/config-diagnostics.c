/* The list of problems a parse collects, each "file:line: message". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"

int config_diagnostics_add(ConfigDiagnostics *d, const char *fmt, ...) {
        if (!d)
                return 0;

        char **l = reallocarray(d->messages, d->n_messages + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        d->messages = l;

        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&l[d->n_messages], fmt, ap);
        va_end(ap);
        if (r < 0) {
                l[d->n_messages] = NULL;
                return -ENOMEM;
        }
        l[++d->n_messages] = NULL;
        return 0;
}

void config_diagnostics_clear(ConfigDiagnostics *d) {
        if (!d)
                return;
        d->messages = strv_free(d->messages);
        d->n_messages = 0;
}
