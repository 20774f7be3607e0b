/* The aliyun CLI's ~/.aliyun/config.json: the one profile the daemon would use. */
#pragma once

#include <stddef.h>

#include "util/cleanup.h"

typedef enum CliProfileMode {
        CLI_PROFILE_AK,           /* access_key_id, access_key_secret */
        CLI_PROFILE_STS_TOKEN,    /* + sts_token */
        CLI_PROFILE_ECS_RAM_ROLE, /* ram_role_name (empty: ask the metadata server) */
        CLI_PROFILE_OIDC,         /* oidc_token_file, oidc_provider_arn, ram_role_arn, ... */
} CliProfileMode;

typedef struct CliProfile {
        char *name;
        CliProfileMode mode;
        char *access_key_id;
        char *access_key_secret; /* secret */
        char *sts_token;         /* secret */
        char *ram_role_name;
        char *oidc_token_file, *oidc_provider_arn, *ram_role_arn, *ram_session_name, *sts_region;
} CliProfile;

const char *cli_profile_mode_to_string(CliProfileMode m);

/* Picks the profile named name (NULL: the file's "current", else "default") from the JSON
 * text of config.json and checks that its mode has what it needs. -EBADMSG with *error:
 * malformed, no such profile, missing fields, or "unsupported profile mode X". */
int cli_profile_parse(const char *json, size_t len, const char *name, CliProfile **ret,
                      char **error);
/* Wipes the secrets. Accepts NULL, returns NULL. */
CliProfile *cli_profile_free(CliProfile *p);
DEFINE_POINTER_CLEANUP(CliProfile, cli_profile_free)

/* $HOME/.aliyun/config.json (the password database's home when HOME is unset). */
int cli_profile_path(char **ret);
