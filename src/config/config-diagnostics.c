/* The list of problems a parse collects, each "file:line: message", and their order. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct DiagKey {
        size_t file, line, index;
        char *message;
} DiagKey;

static int diag_key_compare(const void *a, const void *b) {
        const DiagKey *x = a, *y = b;

        if (x->file != y->file)
                return x->file < y->file ? -1 : 1;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index; /* stable */
}

/* Which of files the message is about (the longest name it starts with, then ':'), and
 * its line (0 for "file: message"). */
static DiagKey diag_key(const char *m, char *const *files, size_t n_files) {
        DiagKey k = { .file = n_files };
        size_t best = 0;

        for (size_t i = 0; i < n_files; i++) {
                size_t l = strlen(files[i]);
                if (l > best && strncmp(m, files[i], l) == 0 && m[l] == ':') {
                        best = l;
                        k.file = i;
                }
        }
        if (k.file < n_files && m[best + 1] >= '0' && m[best + 1] <= '9')
                k.line = strtoul(m + best + 1, NULL, 10);
        return k;
}

int config_diagnostics_sort(ConfigDiagnostics *d, size_t from, char *const *files, size_t n_files) {
        DiagKey *keys;
        size_t n;

        if (!d || d->n_messages <= from + 1)
                return 0;
        n = d->n_messages - from;
        keys = calloc(n, sizeof(DiagKey));
        if (!keys)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                keys[i] = diag_key(d->messages[from + i], files, n_files);
                keys[i].index = i;
                keys[i].message = d->messages[from + i];
        }
        qsort(keys, n, sizeof(DiagKey), diag_key_compare);
        for (size_t i = 0; i < n; i++)
                d->messages[from + i] = keys[i].message;
        free(keys);
        return 0;
}
