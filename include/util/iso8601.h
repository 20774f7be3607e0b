/* ISO-8601 / RFC 3339 times as the ACK API, STS and the metadata server write them. */
#pragma once

#include "util/time-util.h"

typedef enum Iso8601Flags {
        /* RFC 3339 only: an offset is required, as "Z" or "+hh:mm" / "-hh:mm", and a
         * fraction follows a '.'. For times a decision hangs on (when credentials expire),
         * where a time without a zone would be a guess. */
        ISO8601_RFC3339 = 1 << 0,
} Iso8601Flags;

/* "2026-01-02T03:04:05Z" into microseconds since the epoch. The date and time are fixed
 * width; 'T', 't' or ' ' between them; optional fractional seconds ('.' or ',', at least one
 * digit, digits past microseconds dropped); then "Z"/"z", "+hh", "+hhmm", "+hh:mm" (or '-'),
 * or nothing, which means UTC. ISO8601_RFC3339 narrows that as it says. -EINVAL for anything
 * else, out-of-range fields and times before 1970. */
int iso8601_parse(const char *s, Iso8601Flags flags, usec_t *ret);

/* The one time format of taskwatch's output: RFC 3339 in UTC, "2026-01-02T03:04:05Z" for
 * people, "2026-01-02T03:04:05.123456Z" (flags ISO8601_USEC) for JSON, where two times must
 * compare as the daemon saw them. Into buf (ISO8601_FORMAT_MAX); returns buf. */
#define ISO8601_USEC (1 << 1)
#define ISO8601_FORMAT_MAX 32
char *iso8601_format(char *buf, size_t size, usec_t t, int flags);
