/* A pre-scan of JSON text that bounds what a tree parser may be handed: NUL, depth, size. */
#include "json/json-guard.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "json/json-reason.h"

/* Depth is counted on the raw text because yajl has no limit and frees its tree
 * recursively (also when a parse fails half-way); so are the entries of each array or object.
 * The scan must see the text as yajl's lexer does, or a string or comment could hide brackets
 * from it: yajl_tree_parse() always allows comments, so they are skipped here exactly as yajl
 * skips them ("//" to the end of the line, "/" "*" to the next "*" "/"). Comments are thus
 * accepted. A "\u0000" escape is refused because yajl would decode it into a NUL and silently
 * cut the string short, the same trap as a raw NUL byte. */
int json_guard_prescan(const char *s, size_t len, const JsonLimits *limits, char **reason) {
        /* Commas seen directly in each open container, and whether it is an array. */
        uint32_t commas[JSON_GUARD_DEPTH_MAX];
        bool is_array[JSON_GUARD_DEPTH_MAX];
        unsigned depth = 0;
        size_t values = 0;
        bool seen_value = false;

        if (!reason || !limits || limits->max_depth > JSON_GUARD_DEPTH_MAX || (!s && len > 0))
                return -EINVAL;

        if (limits->max_bytes > 0 && len > limits->max_bytes)
                return json_fail(reason, "larger than the limit of %zu bytes", limits->max_bytes);
        if (len > 0 && memchr(s, '\0', len))
                return json_fail(reason, "contains a NUL byte");

        for (size_t i = 0; i < len; i++)
                switch (s[i]) {
                case '"':
                        seen_value = true;
                        for (i++; i < len && s[i] != '"'; i++)
                                if (s[i] == '\\') {
                                        if (len - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0)
                                                return json_fail(reason, "contains an escaped NUL%s",
                                                            limits->secret ? "" : " (\\u0000)");
                                        i++;
                                }
                        break;
                case '/':
                        if (i + 1 < len && s[i + 1] == '/') {
                                const char *nl = memchr(s + i + 2, '\n', len - i - 2);
                                i = nl ? (size_t) (nl - s) : len;
                        } else if (i + 1 < len && s[i + 1] == '*') {
                                for (i += 2; i < len && !(s[i] == '*' && i + 1 < len &&
                                                          s[i + 1] == '/');
                                     i++)
                                        ;
                                /* yajl lets a complete value be followed by an open one. */
                                if (i >= len)
                                        return json_fail(reason, "unterminated comment");
                                i++; /* onto the closing slash */
                        }
                        break;
                case '[':
                case '{':
                        if (depth >= limits->max_depth)
                                return json_fail(reason, "nested deeper than %u levels",
                                            limits->max_depth);
                        commas[depth] = 0;
                        is_array[depth] = s[i] == '[';
                        depth++;
                        seen_value = true;
                        break;
                case ']':
                case '}':
                        if (depth > 0)
                                depth--;
                        break;
                case ',':
                        /* yajl grows arrays and objects one element at a time; under ASan or
                         * an allocator without mremap that is quadratic. Refusing here also
                         * spares building a tree only to refuse it. */
                        if (depth > 0 && ++commas[depth - 1] >= limits->max_entries)
                                return json_fail(reason, "%s has more than %" PRIu32 " entries",
                                            is_array[depth - 1] ? "an array" : "an object",
                                            limits->max_entries);
                        /* yajl's tree costs ~45 bytes per value: 8 MiB of "0," would take
                         * ~380 MB. Bounding the values bounds the tree, whatever the size. */
                        if (++values >= limits->max_values)
                                return json_fail(reason, "has more than %zu values",
                                            limits->max_values);
                        break;
                case ' ':
                case '\t':
                case '\n':
                case '\r':
                        break;
                default:
                        seen_value = true;
                }

        if (!seen_value)
                return json_fail(reason, "empty body");
        return 0;
}
