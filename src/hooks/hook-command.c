/* Splitting a hook's command line into argv, with the quoting and escapes of ExecStart=. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hook-config.h"
#include "util/strutil.h"

#define BLANKS " \t\n\r"

_printf_(2, 3)
static int set_error(char **ret_error, const char *fmt, ...) {
        va_list ap;
        int r;

        if (!ret_error)
                return -EINVAL;
        va_start(ap, fmt);
        r = vasprintf(ret_error, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *ret_error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes the escape after a backslash at *p into *ret and advances *p past it. */
static int unescape(const char **p, char *ret, char **ret_error) {
        const char *s = *p;
        char bad[8];

        switch (*s) {
        case '\\': case '"': case '\'': case ' ':
                *ret = *s;
                break;
        case 's':
                *ret = ' ';
                break;
        case 't':
                *ret = '\t';
                break;
        case 'n':
                *ret = '\n';
                break;
        case 'r':
                *ret = '\r';
                break;
        case 'a':
                *ret = '\a';
                break;
        case 'b':
                *ret = '\b';
                break;
        case 'f':
                *ret = '\f';
                break;
        case 'v':
                *ret = '\v';
                break;
        case 'x': {
                int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);
                if (lo < 0)
                        return set_error(ret_error, "invalid \\x escape (expected \\xHH)");
                *ret = (char) (hi * 16 + lo);
                s += 2;
                break;
        }
        case '0': case '1': case '2': case '3':
                if (s[1] < '0' || s[1] > '7' || s[2] < '0' || s[2] > '7')
                        return set_error(ret_error, "invalid octal escape (expected \\NNN)");
                *ret = (char) ((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
                s += 2;
                break;
        case '\0':
                return set_error(ret_error, "trailing backslash in hook command");
        default:
                snprintf(bad, sizeof(bad), "\\%c", *s);
                return set_error(ret_error,
                                 "invalid escape sequence %s in hook command (write \\\\ for a "
                                 "backslash)", bad);
        }
        if (*ret == '\0')
                return set_error(ret_error, "a NUL byte is not allowed in a hook command");
        *p = s + 1;
        return 0;
}

static int argv_push(char ***argv, size_t *n, StrBuf *word) {
        char **v = reallocarray(*argv, *n + 2, sizeof(char *));

        if (!v)
                return -ENOMEM;
        *argv = v;
        v[*n] = strbuf_steal(word);
        if (!v[*n])
                return -ENOMEM;
        v[++*n] = NULL;
        return 0;
}

int hook_command_split(const char *line, char ***ret_argv, char **ret_error) {
        _cleanup_(strv_freep) char **argv = NULL;
        StrBuf word = {};
        size_t n = 0;
        int r = 0;

        if (ret_error)
                *ret_error = NULL;

        for (const char *p = line + strspn(line, BLANKS); *p; p += strspn(p, BLANKS)) {
                char quote = 0;

                /* One word: runs until a blank outside quotes. */
                while (*p && (quote || !strchr(BLANKS, *p))) {
                        char c;

                        if (!quote && (*p == '"' || *p == '\'')) {
                                quote = *p++; /* even "" makes a word: an empty one */
                        } else if (quote && *p == quote) {
                                quote = 0;
                                p++;
                        } else if (*p == '\\') {
                                p++;
                                r = unescape(&p, &c, ret_error);
                                if (r >= 0)
                                        r = strbuf_append(&word, &c, 1);
                        } else
                                r = strbuf_append(&word, p++, 1);
                        if (r < 0)
                                goto fail;
                }
                if (quote) {
                        r = set_error(ret_error, "unterminated quote in hook command");
                        goto fail;
                }
                r = argv_push(&argv, &n, &word);
                if (r < 0)
                        goto fail;
        }

        if (n == 0)
                return set_error(ret_error, "empty hook command");
        if (argv[0][0] != '/')
                return set_error(ret_error, "hook command must be an absolute path: %s", argv[0]);
        *ret_argv = TAKE_PTR(argv);
        return 0;

fail:
        strbuf_clear(&word);
        return r;
}
