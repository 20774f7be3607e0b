/* Microsecond time spans and clocks, in systemd's units and syntax. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)
#define USEC_PER_MINUTE ((usec_t) (60ULL * USEC_PER_SEC))
#define USEC_PER_HOUR ((usec_t) (60ULL * USEC_PER_MINUTE))
#define USEC_PER_DAY ((usec_t) (24ULL * USEC_PER_HOUR))

/* Current time of clock_id in microseconds. */
usec_t now_usec(clockid_t clock_id);

/* Parse a systemd time span: "500ms", "10s", "2min", "1h 30min", "1.5s", a bare number is
 * seconds. Returns 0, or -EINVAL (syntax) / -ERANGE (overflow). Whitespace between
 * components is allowed; "infinity" gives USEC_INFINITY. */
int parse_timespan(const char *s, usec_t *ret);

/* Format a span compactly ("2min 30s", "500ms", "0", "infinity") into buf; returns buf. */
char *format_timespan(char *buf, size_t size, usec_t t);
/* The same, rounded for a person where precision does not matter (a hook's run time, a
 * retry delay): about two significant digits, "6.6ms", "660ms", "1.8s", "42s", "2min 30s",
 * "3h 5min", "2d 4h". Not for values that must parse back exactly. Returns buf. */
char *format_timespan_human(char *buf, size_t size, usec_t t);
#define FORMAT_TIMESPAN_MAX 64
