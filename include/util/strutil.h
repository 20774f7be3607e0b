/* Small string helpers with no knowledge of the product. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "util/cleanup.h"

/* Growable byte buffer, always NUL-terminated; `limit` (0 = none) caps its length. */
typedef struct StrBuf {
        char *data;
        size_t len, alloc, limit;
} StrBuf;

int strbuf_append(StrBuf *b, const void *data, size_t len); /* -EFBIG past limit, -ENOMEM */
int strbuf_appendf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
char *strbuf_steal(StrBuf *b);   /* returns data ("" if empty), leaves b empty */
void strbuf_clear(StrBuf *b);    /* frees */
void strbuf_wipe(StrBuf *b);     /* zeroes, then frees: for buffers that held secrets */

/* RFC 3986 percent-encoding keeping A-Za-z0-9-_.~ ; NULL on OOM. */
char *uri_encode(const char *s);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);

char *strdup_or_null(const char *s); /* strdup that passes NULL through; sets errno on OOM */
bool streq_ptr(const char *a, const char *b); /* NULL-safe equality */
/* 1..max bytes of printable ASCII without blanks: fit for a header, a URL or a message as
 * they are (ids, role names, paths, tokens). */
bool string_is_visible_ascii(const char *s, size_t n, size_t max);
char *strip(char *s); /* trims ASCII whitespace in place, returns s */
/* Frees *p and stores value (taken; may be NULL) in its place. */
static inline void free_and_replace(char **p, char *value) {
        free(*p);
        *p = value;
}

/* explicit_bzero(s, strlen(s)) then free; accepts NULL. */
void free_secret(char *s);
static inline void free_secretp(char **s) {
        free_secret(*s);
}

/* Edit distance ignoring ASCII case: insertions, deletions, substitutions and swaps of two
 * neighbours each count 1 ("Regoin" is 1 from "Region"). Strings longer than 63 bytes are
 * as far as their length: it is for "did you mean" among short names. */
size_t string_distance(const char *a, const char *b);

/* A deep copy of a NULL-terminated list of strings (strv_free() it); NULL on OOM. */
char **strv_copy(char *const *l);
