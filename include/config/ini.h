/* A generic reader of systemd-style INI text: [Section] headers, Key=Value, comment lines. */
#pragma once

#include <stddef.h>

/* Called for every assignment, and once per [Section] header with key == value == NULL, so
 * that a caller can judge a section once rather than on each of its keys. Key and value are
 * trimmed of ASCII whitespace; value may be "" (an empty assignment). A negative return
 * stops the parse and is returned by ini_parse(). */
typedef int (*IniCallback)(const char *section, const char *key, const char *value,
                           const char *filename, unsigned line, void *userdata);

/* Called for every syntax error; message has no "file:line: " prefix. A negative return
 * stops the parse and is returned by ini_parse(). */
typedef int (*IniErrorCallback)(const char *filename, unsigned line, const char *message,
                                void *userdata);

/* Parses len bytes of text (need not be NUL-terminated; a NUL byte inside a line is a syntax
 * error). Lines are separated by '\n'; a trailing '\r' is whitespace; a leading UTF-8 BOM is
 * skipped. Comment lines start with '#' or ';' (after whitespace); there are no trailing
 * comments and no line continuations: everything after the first '=' is the value.
 *
 * Every syntax error is reported through on_error (which may be NULL) and parsing goes on,
 * so that a single pass finds them all. Returns 0 when there were none, -EINVAL when there
 * were some, -ENOMEM, or the first negative value returned by a callback. filename is used
 * for the callbacks only (NULL: "(string)"). */
int ini_parse(const char *text, size_t len, const char *filename, IniCallback on_assignment,
              IniErrorCallback on_error, void *userdata);

/* A copy of s fit to quote in a diagnostic: control characters and bytes that are not valid
 * UTF-8 as \xNN, C1 controls and bidirectional overrides as \uNNNN, truncated with "..."
 * past INI_QUOTE_MAX bytes. NULL on OOM. */
#define INI_QUOTE_MAX 128
char *ini_quote(const char *s);
