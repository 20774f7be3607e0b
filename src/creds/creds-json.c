/* Decodes the metadata server's and STS's credential replies into Credentials. */
#include "creds/creds-json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds-parse.h"
#include "json/json-get.h"
#include "json/json-parse.h"
#include "util/cleanup.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

static int digits(const char **p, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if ((*p)[i] < '0' || (*p)[i] > '9')
                        return -EINVAL;
                v = v * 10 + ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return 0;
}

int parse_iso8601_utc(const char *s, usec_t *ret) {
        int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
        usec_t frac = 0, scale = USEC_PER_SEC;
        struct tm tm = {};
        time_t t;

        if (!s || digits(&s, 4, &y) < 0 || *s++ != '-' || digits(&s, 2, &mo) < 0 ||
            *s++ != '-' || digits(&s, 2, &d) < 0 || (*s != 'T' && *s != 't' && *s != ' '))
                return -EINVAL;
        s++;
        if (digits(&s, 2, &h) < 0 || *s++ != ':' || digits(&s, 2, &mi) < 0 || *s++ != ':' ||
            digits(&s, 2, &sec) < 0)
                return -EINVAL;
        if (*s == '.') {
                s++;
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                for (; *s >= '0' && *s <= '9'; s++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (usec_t) (*s - '0') * scale;
                        }
        }
        if (*s == 'Z' || *s == 'z')
                s++;
        else if (*s == '+' || *s == '-') {
                sign = *s++ == '+' ? 1 : -1;
                if (digits(&s, 2, &oh) < 0 || *s++ != ':' || digits(&s, 2, &om) < 0)
                        return -EINVAL;
        } else
                return -EINVAL;
        if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
            oh > 23 || om > 59 || y < 1970)
                return -EINVAL;

        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        t -= sign * (oh * 3600 + om * 60);
        if (t < 0)
                return -EINVAL;
        *ret = (usec_t) t * USEC_PER_SEC + frac;
        return 0;
}

/* The four fields every credential reply has, whatever wraps them. */
static int decode_credentials(yajl_val v, const char *what, const char *source,
                              Credentials **ret, char **error) {
        const char *id = json_member_string(v, "AccessKeyId");
        const char *secret = json_member_string(v, "AccessKeySecret");
        const char *token = json_member_string(v, "SecurityToken");
        const char *expiration = json_member_string(v, "Expiration");
        usec_t until;

        if (!id || !*id)
                return creds_error(error, "%s has no AccessKeyId", what);
        if (!secret || !*secret)
                return creds_error(error, "%s has no AccessKeySecret", what);
        if (!token || !*token)
                return creds_error(error, "%s has no SecurityToken", what);
        if (!expiration)
                return creds_error(error, "%s has no Expiration", what);
        if (parse_iso8601_utc(expiration, &until) < 0)
                return creds_error(error, "%s has an Expiration that is not an ISO-8601 time", what);
        /* An id goes into a header and the journal: printable, no blanks, bounded. */
        if (strlen(id) > 256 || strspn(id, NAME_CHARS) != strlen(id))
                return creds_error(error, "%s has an AccessKeyId with unexpected characters", what);
        return credentials_new(ret, id, secret, token, until, source);
}

int creds_parse_metadata_reply(const char *body, size_t len, const char *source,
                               Credentials **ret, char **error) {
        _cleanup_(json_free_secretp) yajl_val v = NULL;
        _cleanup_(freep) char *reason = NULL;
        const char *code;
        int r;

        r = creds_json_parse(body, len, &v, &reason);
        if (r == -EBADMSG)
                return creds_error(error, "metadata reply %s", reason);
        if (r < 0)
                return r;
        if (v->type != yajl_t_object)
                return creds_error(error, "metadata reply is not a JSON object");
        code = json_member_string(v, "Code");
        if (!code)
                return creds_error(error, "metadata reply has no Code");
        if (strcmp(code, "Success") != 0) {
                /* Codes are short words; anything else is not worth quoting. */
                if (strlen(code) > 64 || strspn(code, NAME_CHARS) != strlen(code))
                        code = "(unprintable)";
                return creds_error(error, "metadata reply has Code %s, not Success", code);
        }
        return decode_credentials(v, "metadata reply", source, ret, error);
}

/* Error texts from STS are shown to the operator: printable ASCII, cut short. */
static void sanitize(char *s, size_t max) {
        size_t i;

        for (i = 0; s[i] && i < max; i++)
                if ((unsigned char) s[i] < ' ' || (unsigned char) s[i] >= 127)
                        s[i] = '?';
        s[i] = '\0';
}

int creds_parse_sts_reply(long http_status, const char *body, size_t len, const char *source,
                          Credentials **ret, char **error) {
        _cleanup_(json_free_secretp) yajl_val v = NULL;
        _cleanup_(freep) char *reason = NULL;
        char code[65] = "", message[257] = "", rid[65] = "";
        int r;

        r = creds_json_parse(body, len, &v, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || v->type != yajl_t_object) {
                if (http_status != 200)
                        return creds_error(error, "STS answered HTTP %ld", http_status);
                return creds_error(error, "STS reply %s", reason ? : "is not a JSON object");
        }
        if (http_status == 200) {
                yajl_val c = json_member(v, "Credentials");
                if (!c || c->type != yajl_t_object)
                        return creds_error(error, "STS reply has no Credentials object");
                return decode_credentials(c, "STS reply", source, ret, error);
        }

        snprintf(code, sizeof code, "%s", json_member_string(v, "Code") ? : "");
        snprintf(message, sizeof message, "%s", json_member_string(v, "Message") ? : "");
        snprintf(rid, sizeof rid, "%s", json_member_string(v, "RequestId") ? : "");
        sanitize(code, sizeof code - 1);
        sanitize(message, sizeof message - 1);
        sanitize(rid, sizeof rid - 1);
        return creds_error(error, "STS answered HTTP %ld%s%s%s%s%s%s", http_status, *code ? " " : "", code,
                    *message ? ": " : "", message, *rid ? ", request id " : "", rid);
}
