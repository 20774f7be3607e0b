/* Decodes the metadata server's and STS's credential replies into Credentials. */
#include "creds/creds-json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds-parse.h"
#include "json/json-get.h"
#include "json/json-parse.h"
#include "util/cleanup.h"
#include "util/iso8601.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

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
        if (iso8601_parse(expiration, ISO8601_RFC3339, &until) < 0)
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
