/* A generic reader of systemd-style INI text: [Section] headers, Key=Value, comment lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "util/cleanup.h"

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trims in place: returns the first non-space character, NUL-terminates after the last. */
static char *trim(char *s) {
        while (is_space(*s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && is_space(s[n - 1]))
                n--;
        s[n] = '\0';
        return s;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), its code point in *ret;
 * 0 for a byte that starts none: stray continuation bytes, overlong forms, surrogates,
 * beyond U+10FFFF, or cut short. */
static size_t utf8_sequence(const unsigned char *s, size_t n, uint32_t *ret) {
        size_t len;
        uint32_t cp, min;

        if (s[0] < 0xc2 || s[0] > 0xf4)
                return 0;
        if (s[0] < 0xe0)
                len = 2, cp = s[0] & 0x1f, min = 0x80;
        else if (s[0] < 0xf0)
                len = 3, cp = s[0] & 0x0f, min = 0x800;
        else
                len = 4, cp = s[0] & 0x07, min = 0x10000;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret = cp;
        return len;
}

/* Characters a terminal acts on rather than shows: C1 controls, and the bidirectional
 * overrides and isolates that make a line read differently than it is. */
static bool is_invisible_control(uint32_t cp) {
        return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069);
}

char *ini_quote(const char *s) {
        size_t n = strlen(s);
        bool truncated = n > INI_QUOTE_MAX;
        if (truncated) {
                n = INI_QUOTE_MAX;
                /* Do not cut a UTF-8 sequence in two. */
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        }

        /* Worst case every byte becomes "\xNN". */
        char *buf = malloc(n * 4 + sizeof("..."));
        if (!buf)
                return NULL;

        char *p = buf;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                uint32_t cp;
                size_t len;

                if (c == '\\')
                        p = stpcpy(p, "\\\\");
                else if (c < 0x20 || c == 0x7f)
                        p += sprintf(p, "\\x%02x", c);
                else if (c < 0x80)
                        *p++ = (char) c;
                else if ((len = utf8_sequence((const unsigned char *) s + i, n - i, &cp)) == 0)
                        /* Not text: a raw byte would garble the terminal or the journal. */
                        p += sprintf(p, "\\x%02x", c);
                else if (is_invisible_control(cp)) {
                        p += sprintf(p, "\\u%04" PRIx32, cp);
                        i += len - 1;
                } else {
                        memcpy(p, s + i, len);
                        p += len;
                        i += len - 1;
                }
        }
        if (truncated)
                p = stpcpy(p, "...");
        *p = '\0';
        return buf;
}

/* Reports "<subject>: what", with the offending text quoted safely. */
static int report(IniErrorCallback on_error, const char *filename, unsigned line,
                  void *userdata, const char *subject, const char *what) {
        if (!on_error)
                return 0;

        _cleanup_(freep) char *quoted = NULL, *msg = NULL;
        if (subject) {
                quoted = ini_quote(subject);
                if (!quoted)
                        return -ENOMEM;
        }
        if (asprintf(&msg, "%s%s%s", quoted ?: "", quoted ? ": " : "", what) < 0)
                return -ENOMEM;
        return on_error(filename, line, msg, userdata);
}

int ini_parse(const char *text, size_t len, const char *filename, IniCallback on_assignment,
              IniErrorCallback on_error, void *userdata) {
        if (!filename)
                filename = "(string)";

        /* One private, NUL-terminated copy, cut into lines in place. */
        _cleanup_(freep) char *buf = malloc(len + 1);
        if (!buf)
                return -ENOMEM;
        if (len > 0) /* text may be NULL then */
                memcpy(buf, text, len);
        buf[len] = '\0';

        _cleanup_(freep) char *section = NULL;
        bool failed = false;
        unsigned line = 0;
        size_t pos = 0;
        int r;

        if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                pos = 3;

        while (pos < len) {
                char *start = buf + pos;
                char *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;
                const char *problem = NULL;

                pos += n + 1;
                start[n] = '\0';
                line++;

                if (memchr(start, '\0', n)) {
                        failed = true;
                        r = report(on_error, filename, line, userdata, NULL,
                                   "line contains a NUL byte");
                        if (r < 0)
                                return r;
                        continue;
                }

                char *l = trim(start);
                if (*l == '\0' || *l == '#' || *l == ';')
                        continue;

                if (*l == '[') {
                        char *end = strchr(l, ']');
                        if (!end)
                                problem = "unterminated section header, expected [Section]";
                        else if (end[1] != '\0')
                                problem = "unexpected text after the section header";
                        else if (end == l + 1)
                                problem = "empty section name";
                        else if (memchr(l + 1, '[', (size_t) (end - l - 1)))
                                problem = "'[' inside a section name";
                        if (problem) {
                                failed = true;
                                r = report(on_error, filename, line, userdata, l, problem);
                                if (r < 0)
                                        return r;
                                /* The keys that follow belong to no section we know: skip
                                 * them rather than file them under the previous one. */
                                free(section);
                                section = strdup("");
                                if (!section)
                                        return -ENOMEM;
                                continue;
                        }

                        *end = '\0';
                        free(section);
                        section = strdup(l + 1);
                        if (!section)
                                return -ENOMEM;
                        if (on_assignment) {
                                r = on_assignment(section, NULL, NULL, filename, line, userdata);
                                if (r < 0)
                                        return r;
                        }
                        continue;
                }

                char *eq = strchr(l, '=');
                if (!eq)
                        problem = "expected a [Section] header, Key=Value or a comment";
                else if (eq == l)
                        problem = "assignment without a key name";
                else if (!section)
                        problem = "assignment before any [Section] header";
                if (problem) {
                        failed = true;
                        r = report(on_error, filename, line, userdata, l, problem);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (section[0] == '\0') /* under a malformed header, already reported */
                        continue;

                *eq = '\0';
                char *key = trim(l), *value = trim(eq + 1);
                if (on_assignment) {
                        r = on_assignment(section, key, value, filename, line, userdata);
                        if (r < 0)
                                return r;
                }
        }

        return failed ? -EINVAL : 0;
}
