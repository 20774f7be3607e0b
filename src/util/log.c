/* The one writer of non-event messages on stderr (util/log.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static const char *log_context;
static FILE *log_stream;

void log_set_context(const char *context) {
        log_context = context;
}

void log_set_stream(FILE *f) {
        log_stream = f;
}

/* The one place that writes: with prefix "<program>[ <context>]: " or without. */
_printf_(2, 0) static void log_write(bool prefixed, const char *format, va_list ap) {
        FILE *f = log_stream ?: stderr;
        size_t n = strlen(format);

        flockfile(f);
        if (prefixed && log_context)
                fprintf(f, "%s %s: ", program_invocation_short_name, log_context);
        else if (prefixed)
                fprintf(f, "%s: ", program_invocation_short_name);
        vfprintf(f, format, ap);
        if (n == 0 || format[n - 1] != '\n')
                fputc('\n', f);
        funlockfile(f);
        fflush(f);
}

int log_fullv(LogLevel level, int errno_value, const char *format, va_list ap) {
        (void) level; /* one stream for all levels; kept so callers say what they mean */
        /* %m in format reads errno: make it the value the caller passed. */
        if (errno_value > 0)
                errno = errno_value;
        log_write(true, format, ap);
        return errno_value > 0 ? -errno_value : 0;
}

int log_full(LogLevel level, int errno_value, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_fullv(level, errno_value, format, ap);
        va_end(ap);
        return r;
}

void log_plain(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_write(false, format, ap);
        va_end(ap);
}
