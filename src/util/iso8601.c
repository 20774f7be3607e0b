/* The one parser of ISO-8601 / RFC 3339 times (the API's created/updated, and the
 * Expiration of temporary credentials), and the one formatter of the times we print. */
#include "util/iso8601.h"

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static int parse_digits(const char **p, int n, int *ret) {
        int v = 0;

        for (int i = 0; i < n; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

static int expect(const char **p, const char *set) {
        if (**p == '\0' || !strchr(set, **p))
                return -EINVAL;
        (*p)++;
        return 0;
}

/* "Z", "+hh:mm", and unless rfc3339 "+hh", "+hhmm" or nothing, into seconds east of UTC. */
static int parse_offset(const char **p, bool rfc3339, int *ret) {
        int sign, oh, om = 0;

        if (**p == 'Z' || **p == 'z') {
                (*p)++;
                *ret = 0;
                return 0;
        }
        if (**p != '+' && **p != '-') {
                *ret = 0;
                return rfc3339 ? -EINVAL : 0;
        }
        sign = *(*p)++ == '-' ? -1 : 1;
        if (parse_digits(p, 2, &oh) < 0)
                return -EINVAL;
        if (**p == ':')
                (*p)++;
        else if (rfc3339)
                return -EINVAL;
        if ((rfc3339 || **p != '\0') && parse_digits(p, 2, &om) < 0)
                return -EINVAL;
        if (oh > 23 || om > 59)
                return -EINVAL;
        *ret = sign * (oh * 3600 + om * 60);
        return 0;
}

int iso8601_parse(const char *s, Iso8601Flags flags, usec_t *ret) {
        bool rfc3339 = flags & ISO8601_RFC3339;
        int year, mon, day, hour, min, sec, offset;
        usec_t frac = 0, scale = USEC_PER_SEC;
        struct tm tm = {};
        const char *p = s;
        time_t t;

        if (!s || !ret || parse_digits(&p, 4, &year) < 0 || expect(&p, "-") < 0 ||
            parse_digits(&p, 2, &mon) < 0 || expect(&p, "-") < 0 || parse_digits(&p, 2, &day) < 0 ||
            expect(&p, "Tt ") < 0 || parse_digits(&p, 2, &hour) < 0 || expect(&p, ":") < 0 ||
            parse_digits(&p, 2, &min) < 0 || expect(&p, ":") < 0 || parse_digits(&p, 2, &sec) < 0)
                return -EINVAL;
        if (*p == '.' || (*p == ',' && !rfc3339)) {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++)
                        if (scale >= 10) {
                                scale /= 10;
                                frac += (usec_t) (*p - '0') * scale;
                        }
        }
        if (parse_offset(&p, rfc3339, &offset) < 0 || *p != '\0')
                return -EINVAL;
        /* 60: a leap second, which timegm() carries into the next minute. */
        if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
            sec > 60)
                return -EINVAL;

        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        /* No error to tell from (time_t) -1, 1969-12-31T23:59:59: four digits of years
         * cannot overflow it. */
        t = timegm(&tm) - offset;
        if (t < 0)
                return -EINVAL;
        *ret = (usec_t) t * USEC_PER_SEC + frac;
        return 0;
}

char *iso8601_format(char *buf, size_t size, usec_t t, int flags) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        size_t n;

        if (size == 0)
                return buf;
        if (!gmtime_r(&sec, &tm) || (n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
                buf[0] = '\0';
                return buf;
        }
        if (flags & ISO8601_USEC)
                snprintf(buf + n, size - n, ".%06lluZ", (unsigned long long) (t % USEC_PER_SEC));
        else
                snprintf(buf + n, size - n, "Z");
        return buf;
}
