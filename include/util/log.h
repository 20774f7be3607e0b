/* Messages for a person on stderr that are not journal events: usage errors, start-up
 * failures, CLI results. One prefix ("taskwatch: ", the program's short name), one newline,
 * printf-checked. Journal events go through report/event.h instead. */
#pragma once

#include <stdarg.h>

#include "util/cleanup.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR,   /* something failed; the program says what it does next */
        LOG_LEVEL_WARNING, /* it goes on, but the user should know */
        LOG_LEVEL_NOTICE,  /* plain information on stderr (what was done, where) */
} LogLevel;

/* "<program>: <message>\n" on stderr, or "<program> <context>: <message>\n" while a context
 * (a subcommand name, say) is set. A message already ending in a newline gets no second one.
 * Returns -errno_value when errno_value > 0 (so `return log_error_errno(...)` reads well),
 * else 0. */
_printf_(3, 4) int log_full(LogLevel level, int errno_value, const char *format, ...);
int log_fullv(LogLevel level, int errno_value, const char *format, va_list ap) _printf_(3, 0);

#define log_error(...) log_full(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...) log_full(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_full(LOG_LEVEL_NOTICE, 0, __VA_ARGS__)
/* errno_value positive; "%m" in the message prints strerror(errno_value). */
#define log_error_errno(e, ...) log_full(LOG_LEVEL_ERROR, (e) < 0 ? -(e) : (e), __VA_ARGS__)

/* "<message>\n" on stderr, without the program name or context: a usage hint ("Try
 * 'taskwatch --help'."), or a configuration diagnostic that begins with its own "file:line:".
 * The same stream and newline rule as log_full(). */
_printf_(1, 2) void log_plain(const char *format, ...);

/* A word put between the program name and the message, e.g. "get" for "taskwatch get: …".
 * Not copied: a string literal or one that outlives its use. NULL: none. */
void log_set_context(const char *context);

/* Where the messages go (tests): the default is stderr. */
void log_set_stream(FILE *f);
