/* Microsecond clocks, and time spans parsed and formatted in systemd's syntax. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time-util.h"

#define USEC_PER_WEEK ((usec_t) (7ULL * USEC_PER_DAY))

usec_t now_usec(clockid_t clock_id) {
        struct timespec ts;

        /* Fails only for a clock the kernel does not know: a programming error. */
        if (clock_gettime(clock_id, &ts) < 0)
                abort();
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

typedef struct TimeUnit {
        const char *name;
        usec_t usec;
} TimeUnit;

static const TimeUnit parse_units[] = {
        { "us", 1 },
        { "usec", 1 },
        { "ms", USEC_PER_MSEC },
        { "msec", USEC_PER_MSEC },
        { "s", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "seconds", USEC_PER_SEC },
        { "m", USEC_PER_MINUTE },
        { "min", USEC_PER_MINUTE },
        { "minute", USEC_PER_MINUTE },
        { "minutes", USEC_PER_MINUTE },
        { "h", USEC_PER_HOUR },
        { "hr", USEC_PER_HOUR },
        { "hour", USEC_PER_HOUR },
        { "hours", USEC_PER_HOUR },
        { "d", USEC_PER_DAY },
        { "day", USEC_PER_DAY },
        { "days", USEC_PER_DAY },
        { "w", USEC_PER_WEEK },
        { "week", USEC_PER_WEEK },
        { "weeks", USEC_PER_WEEK },
};

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *skip_space(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* The unit at *p (a run of letters, possibly empty: seconds), advancing *p past it. */
static int parse_unit(const char **p, usec_t *ret) {
        const char *s = *p;
        size_t n = 0;

        while (is_alpha(s[n]))
                n++;
        if (n == 0) {
                *ret = USEC_PER_SEC;
                return 0;
        }
        for (size_t i = 0; i < sizeof(parse_units) / sizeof(parse_units[0]); i++)
                if (strlen(parse_units[i].name) == n && strncmp(parse_units[i].name, s, n) == 0) {
                        *ret = parse_units[i].usec;
                        *p = s + n;
                        return 0;
                }
        return -EINVAL;
}

/* One "<number>[.<fraction>] [unit]" component at *p, advancing *p past it. */
static int parse_component(const char **p, usec_t *ret) {
        const char *s = *p, *frac = NULL;
        usec_t whole = 0, unit, v, k;
        size_t n_frac = 0;
        bool digits = false;
        int r;

        for (; is_digit(*s); s++) {
                usec_t d = (usec_t) (*s - '0');

                if (whole > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                whole = whole * 10 + d;
                digits = true;
        }
        if (*s == '.') {
                frac = ++s;
                while (is_digit(*s))
                        s++;
                n_frac = (size_t) (s - frac);
                if (n_frac == 0)
                        return -EINVAL;
                digits = true;
        }
        if (!digits)
                return -EINVAL;

        const char *number_end = s;
        s = skip_space(s);
        const char *unit_start = s;
        r = parse_unit(&s, &unit);
        if (r < 0)
                return r;
        /* A number without a unit ends only at a blank or the end: "1.5.5s" is an error,
         * not 1.5 s plus .5 s. */
        if (s == unit_start && *number_end != '\0' && skip_space(number_end) == number_end)
                return -EINVAL;

        if (whole > UINT64_MAX / unit)
                return -ERANGE;
        v = whole * unit;

        /* Digits finer than a microsecond of this unit are dropped, as systemd does. */
        k = unit;
        for (size_t i = 0; i < n_frac && k > 1; i++) {
                k /= 10;
                v += (usec_t) (frac[i] - '0') * k; /* cannot overflow: adds less than unit */
        }
        if (v < whole * unit)
                return -ERANGE;

        *p = s;
        *ret = v;
        return 0;
}

int parse_timespan(const char *s, usec_t *ret) {
        const char *p;
        usec_t total = 0;
        int r;

        if (!s)
                return -EINVAL;

        p = skip_space(s);
        if (strncmp(p, "infinity", 8) == 0 && *skip_space(p + 8) == '\0') {
                *ret = USEC_INFINITY;
                return 0;
        }
        if (*p == '\0')
                return -EINVAL;

        while (*p != '\0') {
                usec_t v;

                r = parse_component(&p, &v);
                if (r < 0)
                        return r;
                /* USEC_INFINITY itself is reserved for "infinity". */
                if (v >= USEC_INFINITY - total)
                        return -ERANGE;
                total += v;
                p = skip_space(p);
        }

        *ret = total;
        return 0;
}

static const TimeUnit format_units[] = {
        { "w", USEC_PER_WEEK },
        { "d", USEC_PER_DAY },
        { "h", USEC_PER_HOUR },
        { "min", USEC_PER_MINUTE },
        { "s", USEC_PER_SEC },
        { "ms", USEC_PER_MSEC },
        { "us", 1 },
};

/* Three components are plenty for a log line; smaller remainders are dropped. */
#define FORMAT_COMPONENTS_MAX 3

char *format_timespan(char *buf, size_t size, usec_t t) {
        size_t pos = 0;
        unsigned n = 0;

        if (size == 0)
                return buf;
        if (t == USEC_INFINITY) {
                snprintf(buf, size, "infinity");
                return buf;
        }
        if (t == 0) {
                snprintf(buf, size, "0");
                return buf;
        }

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof(format_units) / sizeof(format_units[0]); i++) {
                usec_t v = t / format_units[i].usec;
                int k;

                if (v == 0)
                        continue;
                t -= v * format_units[i].usec;

                k = snprintf(buf + pos, size - pos, "%s%llu%s", n > 0 ? " " : "",
                             (unsigned long long) v, format_units[i].name);
                if (k < 0 || (size_t) k >= size - pos) {
                        buf[pos] = '\0'; /* keep only whole components */
                        break;
                }
                pos += (size_t) k;
                if (++n >= FORMAT_COMPONENTS_MAX || t == 0)
                        break;
        }
        return buf;
}

/* t rounded half up to a multiple of unit. */
static usec_t round_to(usec_t t, usec_t unit) {
        return t / unit * unit + (t % unit >= unit / 2 + unit % 2 ? unit : 0);
}

/* "6.6" of 6601us at unit 1000us: one decimal, ".0" left out. */
static void put_tenths(char *buf, size_t size, usec_t t, usec_t unit, const char *name) {
        usec_t tenths = round_to(t, unit / 10) / (unit / 10);

        if (tenths % 10 == 0)
                snprintf(buf, size, "%llu%s", (unsigned long long) (tenths / 10), name);
        else
                snprintf(buf, size, "%llu.%llu%s", (unsigned long long) (tenths / 10),
                         (unsigned long long) (tenths % 10), name);
}

char *format_timespan_human(char *buf, size_t size, usec_t t) {
        if (size == 0)
                return buf;
        if (t == USEC_INFINITY || t == 0)
                return format_timespan(buf, size, t);
        /* Each branch rounds, so a value just under a threshold that rounds up to it is
         * written in the larger unit (9.96ms is "10ms", not "10.0ms"). */
        if (t < USEC_PER_MSEC)
                snprintf(buf, size, "%lluus", (unsigned long long) t);
        else if (round_to(t, USEC_PER_MSEC / 10) < 10 * USEC_PER_MSEC)
                put_tenths(buf, size, t, USEC_PER_MSEC, "ms");
        else if (round_to(t, USEC_PER_MSEC) < USEC_PER_SEC)
                snprintf(buf, size, "%llums", (unsigned long long) (round_to(t, USEC_PER_MSEC) / USEC_PER_MSEC));
        else if (round_to(t, USEC_PER_SEC / 10) < 10 * USEC_PER_SEC)
                put_tenths(buf, size, t, USEC_PER_SEC, "s");
        else if (round_to(t, USEC_PER_SEC) < USEC_PER_HOUR)
                format_timespan(buf, size, round_to(t, USEC_PER_SEC));
        else if (round_to(t, USEC_PER_MINUTE) < USEC_PER_DAY)
                format_timespan(buf, size, round_to(t, USEC_PER_MINUTE));
        else
                format_timespan(buf, size, round_to(t, USEC_PER_HOUR));
        return buf;
}
