/* Decodes the aliyun CLI's profile file and picks the profile the daemon would use. */
#include "creds/cli-profile.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "creds-parse.h"
#include "json/json-get.h"
#include "json/json-parse.h"
#include "util/strutil.h"

static const char *const mode_names[] = {
        [CLI_PROFILE_AK] = "AK",
        [CLI_PROFILE_STS_TOKEN] = "StsToken",
        [CLI_PROFILE_ECS_RAM_ROLE] = "EcsRamRole",
        [CLI_PROFILE_OIDC] = "OIDC",
};

const char *cli_profile_mode_to_string(CliProfileMode m) {
        return m < ELEMENTSOF(mode_names) ? mode_names[m] : NULL;
}

CliProfile *cli_profile_free(CliProfile *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->access_key_id);
        free_secret(p->access_key_secret);
        free_secret(p->sts_token);
        free(p->ram_role_name);
        free(p->oidc_token_file);
        free(p->oidc_provider_arn);
        free(p->ram_role_arn);
        free(p->ram_session_name);
        free(p->sts_region);
        free(p);
        return NULL;
}

/* Names are quoted in errors: keep them printable and short. */
static bool is_printable(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < ' ' || (unsigned char) s[i] >= 127)
                        return false;
        return true;
}

static yajl_val find_profile(yajl_val root, const char *name) {
        yajl_val list = json_member(root, "profiles");

        if (!list || list->type != yajl_t_array)
                return NULL;
        for (size_t i = 0; i < list->u.array.len; i++) {
                const char *n = json_member_string(list->u.array.values[i], "name");
                if (n && strcmp(n, name) == 0)
                        return list->u.array.values[i];
        }
        return NULL;
}

/* Copies string member key into *field; required: missing or empty is an error. */
static int take(yajl_val v, const char *key, bool required, const char *profile, char **field,
                char **error) {
        const char *s = json_member_string(v, key);

        if (!s || !*s) {
                if (required)
                        return creds_error(error, "profile %s: %s is missing or empty", profile, key);
                return 0;
        }
        *field = strdup(s);
        return *field ? 0 : -ENOMEM;
}

int cli_profile_parse(const char *json, size_t len, const char *name, CliProfile **ret,
                      char **error) {
        _cleanup_(json_free_secretp) yajl_val root = NULL;
        _cleanup_(cli_profile_freep) CliProfile *p = NULL;
        _cleanup_(freep) char *reason = NULL;
        const char *mode;
        yajl_val v;
        int r;

        r = creds_json_parse(json, len, &root, &reason);
        if (r == -EBADMSG)
                return creds_error(error, "%s", reason);
        if (r < 0)
                return r;
        if (root->type != yajl_t_object)
                return creds_error(error, "not a JSON object");

        if (!name || !*name)
                name = json_member_string(root, "current");
        if (!name || !*name)
                name = "default";
        if (!is_printable(name))
                return creds_error(error, "the profile name is not printable");
        v = find_profile(root, name);
        if (!v)
                return creds_error(error, "no profile named %s", name);

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->name = strdup(name);
        if (!p->name)
                return -ENOMEM;

        mode = json_member_string(v, "mode");
        if (!mode || !*mode)
                mode = "AK"; /* the CLI's own default */
        if (strcmp(mode, "AK") == 0)
                p->mode = CLI_PROFILE_AK;
        else if (strcmp(mode, "StsToken") == 0)
                p->mode = CLI_PROFILE_STS_TOKEN;
        else if (strcmp(mode, "EcsRamRole") == 0)
                p->mode = CLI_PROFILE_ECS_RAM_ROLE;
        else if (strcmp(mode, "OIDC") == 0)
                p->mode = CLI_PROFILE_OIDC;
        else
                return creds_error(error, "profile %s: unsupported profile mode %s (supported: AK, "
                            "StsToken, EcsRamRole, OIDC)", name,
                            is_printable(mode) ? mode : "(unprintable)");

        switch (p->mode) {
        case CLI_PROFILE_STS_TOKEN:
                if ((r = take(v, "sts_token", true, name, &p->sts_token, error)) < 0)
                        return r;
                __attribute__((fallthrough));
        case CLI_PROFILE_AK:
                if ((r = take(v, "access_key_id", true, name, &p->access_key_id, error)) < 0 ||
                    (r = take(v, "access_key_secret", true, name, &p->access_key_secret, error)) < 0)
                        return r;
                break;
        case CLI_PROFILE_ECS_RAM_ROLE:
                if ((r = take(v, "ram_role_name", false, name, &p->ram_role_name, error)) < 0)
                        return r;
                break;
        case CLI_PROFILE_OIDC:
                if ((r = take(v, "oidc_token_file", true, name, &p->oidc_token_file, error)) < 0 ||
                    (r = take(v, "oidc_provider_arn", true, name, &p->oidc_provider_arn, error)) < 0 ||
                    (r = take(v, "ram_role_arn", true, name, &p->ram_role_arn, error)) < 0 ||
                    (r = take(v, "ram_session_name", false, name, &p->ram_session_name, error)) < 0 ||
                    (r = take(v, "sts_region", false, name, &p->sts_region, error)) < 0)
                        return r;
                break;
        }

        *ret = TAKE_PTR(p);
        return 0;
}

int cli_profile_path(char **ret) {
        const char *home = secure_getenv("HOME");

        if (!home || home[0] != '/') {
                struct passwd *pw = getpwuid(getuid());
                home = pw ? pw->pw_dir : NULL;
        }
        if (!home || home[0] != '/')
                return -ENOKEY;
        if (asprintf(ret, "%s/.aliyun/config.json", home) < 0)
                return -ENOMEM;
        return 0;
}
