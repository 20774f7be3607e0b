/* The environment a hook runs with: built from nothing, so no credential can leak into it. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hook-runner.h"

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A locale name, nothing that could smuggle anything else in. */
static bool lang_is_sane(const char *s) {
        size_t n = strlen(s);

        return n > 0 && n < 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") == n;
}

/* The length of the first at most max bytes of s, not splitting a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t max) {
        size_t n = max;

        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        return n;
}

/* FNV-1a: cheap, and enough to tell two long keys with one prefix apart. */
static uint64_t fnv1a(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * UINT64_C(0x100000001b3);
        return h;
}

/* A value from the server (or a key built of them) can be longer than the kernel takes for
 * one environment string (128 KiB: execve() fails with E2BIG and the hook never starts):
 * cut to HOOK_ENV_VALUE_MAX with HOOK_ENV_CUT_MARKER. A cut key ends in a hash of the whole,
 * so that it stays unique. The whole reply is on stdin. */
static int env_add(char **env, size_t *n, const char *name, const char *value, bool is_key) {
        int k;

        if (!value)
                return 0;
        if (strlen(value) > HOOK_ENV_VALUE_MAX) {
                int keep = (int) utf8_prefix(value, HOOK_ENV_VALUE_MAX - 32);

                k = is_key ? asprintf(&env[*n], "%s=%.*s%s#%016" PRIx64, name, keep, value,
                                      HOOK_ENV_CUT_MARKER, fnv1a(value))
                           : asprintf(&env[*n], "%s=%.*s%s", name, keep, value, HOOK_ENV_CUT_MARKER);
        } else
                k = asprintf(&env[*n], "%s=%s", name, value);
        if (k < 0) {
                env[*n] = NULL;
                return -ENOMEM;
        }
        env[++*n] = NULL;
        return 0;
}

int hook_env_build(const Event *e, const char *event_key, char ***ret) {
        const char *lang = getenv("LANG");
        const struct {
                const char *name, *value;
        } vars[] = {
                { "PATH", HOOK_PATH },
                { "LANG", lang && lang_is_sane(lang) ? lang : "C.UTF-8" },
                { "TASKWATCH_EVENT", event_kind_name(e->kind) },
                { "TASKWATCH_EVENT_KEY", event_key },
                { "TASK_ID", e->task_id },
                { "CLUSTER_ID", e->cluster_id },
                { "TASK_TYPE", e->task_type },
                { "TASK_STATE", e->task_state },
                { "TASK_PREVIOUS_STATE", e->task_previous_state },
                { "INSTANCE_ID", e->instance_id },
                { "INSTANCE_STATUS", e->instance_status },
                { "ERROR_CODE", e->error_code },
                { "ERROR_MESSAGE", e->error_message },
        };
        char **env = calloc(ELEMENTSOF(vars) + 1, sizeof(char *));
        size_t n = 0;

        if (!env)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                if (env_add(env, &n, vars[i].name, vars[i].value, i == 3) < 0) {
                        strv_free(env);
                        return -ENOMEM;
                }
        *ret = env;
        return 0;
}
