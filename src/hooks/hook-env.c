/* The environment a hook runs with: built from nothing, so no credential can leak into it. */
#include <errno.h>
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

static int env_add(char **env, size_t *n, const char *name, const char *value) {
        if (!value)
                return 0;
        if (asprintf(&env[*n], "%s=%s", name, value) < 0) {
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
                if (env_add(env, &n, vars[i].name, vars[i].value) < 0) {
                        strv_free(env);
                        return -ENOMEM;
                }
        *ret = env;
        return 0;
}
