/* The [Hooks] settings: command lists per trigger, the timeout and the concurrency bound. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks/hook-config.h"
#include "util/strutil.h"

static const char *const trigger_names[_HOOK_TRIGGER_MAX] = {
        [HOOK_ON_TASK_SUCCEEDED] = "OnTaskSucceeded",
        [HOOK_ON_TASK_FAILED] = "OnTaskFailed",
        [HOOK_ON_INSTANCE_FAILED] = "OnInstanceFailed",
        [HOOK_ON_TRANSITION] = "OnTransition",
};

const char *hook_trigger_to_string(HookTrigger t) {
        return t < _HOOK_TRIGGER_MAX ? trigger_names[t] : NULL;
}

int hook_trigger_from_string(const char *key) {
        for (size_t i = 0; i < _HOOK_TRIGGER_MAX; i++)
                if (strcmp(trigger_names[i], key) == 0)
                        return (int) i;
        return -EINVAL;
}

void hook_config_init(HookConfig *c) {
        *c = (HookConfig) {
                .timeout = HOOK_TIMEOUT_DEFAULT,
                .kill_grace = HOOK_KILL_GRACE_DEFAULT,
                .max_concurrent = HOOK_MAX_CONCURRENT_DEFAULT,
        };
}

static void commands_free(HookCommand *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].line);
                strv_free(v[i].argv);
        }
        free(v);
}

void hook_config_done(HookConfig *c) {
        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++)
                commands_free(c->commands[t], c->n_commands[t]);
        hook_config_init(c);
}

size_t hook_config_n_commands(const HookConfig *c) {
        size_t n = 0;

        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++)
                n += c->n_commands[t];
        return n;
}

int hook_config_copy(HookConfig *dst, const HookConfig *src) {
        HookConfig c;

        hook_config_init(&c);
        c.timeout = src->timeout;
        c.kill_grace = src->kill_grace;
        c.max_concurrent = src->max_concurrent;
        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++) {
                size_t n = src->n_commands[t];

                if (n == 0)
                        continue;
                c.commands[t] = calloc(n, sizeof(HookCommand));
                if (!c.commands[t])
                        goto oom;
                c.n_commands[t] = n;
                for (size_t i = 0; i < n; i++) {
                        HookCommand *d = &c.commands[t][i];
                        d->line = strdup(src->commands[t][i].line);
                        d->argv = strv_copy(src->commands[t][i].argv);
                        if (!d->line || !d->argv)
                                goto oom;
                }
        }
        *dst = c;
        return 0;
oom:
        hook_config_done(&c);
        return -ENOMEM;
}

int hook_config_add(HookConfig *c, HookTrigger trigger, const char *command_line,
                    char **ret_error) {
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_(freep) char *line = NULL;
        HookCommand *v;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (trigger >= _HOOK_TRIGGER_MAX)
                return -EINVAL;
        if (command_line[strspn(command_line, " \t\n\r")] == '\0') {
                commands_free(c->commands[trigger], c->n_commands[trigger]);
                c->commands[trigger] = NULL;
                c->n_commands[trigger] = 0;
                return 0;
        }

        r = hook_command_split(command_line, &argv, ret_error);
        if (r < 0)
                return r;
        line = strdup(command_line);
        if (!line)
                return -ENOMEM;
        strip(line);

        v = reallocarray(c->commands[trigger], c->n_commands[trigger] + 1, sizeof(HookCommand));
        if (!v)
                return -ENOMEM;
        c->commands[trigger] = v;
        v[c->n_commands[trigger]++] = (HookCommand) { TAKE_PTR(line), TAKE_PTR(argv) };
        return 0;
}

static int bad(char **ret_error, const char *why) {
        if (ret_error && !(*ret_error = strdup(why)))
                return -ENOMEM;
        return -EINVAL;
}

static int assign_timeout(HookConfig *c, const char *value, char **ret_error) {
        usec_t t;
        int r;

        if (value[0] == '\0') {
                c->timeout = HOOK_TIMEOUT_DEFAULT;
                return 0;
        }
        r = parse_timespan(value, &t);
        if (r == -ERANGE)
                return bad(ret_error, "time span too large");
        if (r < 0)
                return bad(ret_error, "not a time span (use e.g. 30s, 5min, or infinity)");
        if (t == 0)
                return bad(ret_error, "must be greater than 0");
        c->timeout = t;
        return 0;
}

static int assign_max_concurrent(HookConfig *c, const char *value, char **ret_error) {
        size_t n = strlen(value);
        unsigned long v;

        if (n == 0) {
                c->max_concurrent = HOOK_MAX_CONCURRENT_DEFAULT;
                return 0;
        }
        /* strtoul() would take signs, blanks and hex: plain digits only. */
        if (strspn(value, "0123456789") != n)
                return bad(ret_error, "not a number (1..64)");
        v = n > 3 ? ULONG_MAX : strtoul(value, NULL, 10);
        if (v < 1 || v > HOOK_MAX_CONCURRENT_MAX)
                return bad(ret_error, "out of range (1..64)");
        c->max_concurrent = (unsigned) v;
        return 0;
}

int hook_config_assign(HookConfig *c, const char *key, const char *value, char **ret_error) {
        int t;

        if (ret_error)
                *ret_error = NULL;
        if (strcmp(key, "HookTimeout") == 0)
                return assign_timeout(c, value, ret_error);
        if (strcmp(key, "MaxConcurrentHooks") == 0)
                return assign_max_concurrent(c, value, ret_error);
        t = hook_trigger_from_string(key);
        if (t < 0)
                return -ENOENT;
        return hook_config_add(c, (HookTrigger) t, value, ret_error);
}
