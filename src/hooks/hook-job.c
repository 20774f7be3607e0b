/* A submitted event as the runner keeps it: its commands, environment, input and results. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hook-internal.h"
#include "util/strutil.h"

HookJob *hook_job_unref(HookJob *j) {
        if (!j || --j->n_ref > 0)
                return NULL;
        free(j->key);
        free(j->task_id);
        free(j->cluster_id);
        free(j->task_type);
        free(j->instance_id);
        strv_free(j->env);
        shared_buf_unref(j->input);
        for (size_t i = 0; i < j->n_runs; i++) {
                free(j->commands[i].line);
                strv_free(j->commands[i].argv);
                free(j->names[i]);
        }
        free(j->commands);
        free(j->names);
        free(j->results);
        free(j);
        return NULL;
}

static bool strv_equal(char *const *a, char *const *b) {
        for (; *a && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return false;
        return !*a && !*b;
}

/* The commands e fires, each once, in trigger then configuration order. */
static int job_add_commands(HookJob *j, const HookConfig *c, unsigned triggers) {
        size_t max = hook_config_n_commands(c);

        j->commands = calloc(max ?: 1, sizeof(HookCommand));
        j->names = calloc(max ?: 1, sizeof(char *));
        j->results = calloc(max ?: 1, sizeof(HookRunResult));
        if (!j->commands || !j->names || !j->results)
                return -ENOMEM;

        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++) {
                if (!(triggers & HOOK_TRIGGER_BIT(t)))
                        continue;
                for (size_t i = 0; i < c->n_commands[t]; i++) {
                        const HookCommand *cmd = &c->commands[t][i];
                        bool dup = false;

                        for (size_t k = 0; k < j->n_runs && !dup; k++)
                                dup = strv_equal(j->commands[k].argv, cmd->argv);
                        if (dup)
                                continue;

                        HookCommand *d = &j->commands[j->n_runs];
                        d->line = strdup(cmd->line);
                        d->argv = strv_copy(cmd->argv);
                        if (asprintf(&j->names[j->n_runs], "%s#%zu",
                                     hook_trigger_to_string((HookTrigger) t), i + 1) < 0)
                                j->names[j->n_runs] = NULL;
                        j->n_runs++; /* counted before checking, so job_unref frees it */
                        if (!d->line || !d->argv || !j->names[j->n_runs - 1])
                                return -ENOMEM;
                        j->results[j->n_runs - 1] = (HookRunResult) {
                                .name = j->names[j->n_runs - 1],
                                .command = d->line,
                                .exit_status = -1,
                        };
                }
        }
        return 0;
}

int hook_job_new(HookJob **ret, const Event *e, const char *event_key, SharedBuf *input,
                 const HookConfig *config, unsigned triggers) {
        HookJob *j = calloc(1, sizeof(*j));
        int k;

        if (!j)
                return -ENOMEM;
        j->n_ref = 1;
        k = job_add_commands(j, config, triggers);
        if (k < 0 || j->n_runs == 0)
                goto finish;

        k = -ENOMEM;
        j->kind = e->kind;
        j->key = strdup(event_key);
        j->task_id = strdup_or_null(e->task_id);
        j->cluster_id = strdup_or_null(e->cluster_id);
        j->task_type = strdup_or_null(e->task_type);
        j->instance_id = strdup_or_null(e->instance_id);
        if (!j->key || (e->task_id && !j->task_id) || (e->cluster_id && !j->cluster_id) ||
            (e->task_type && !j->task_type) || (e->instance_id && !j->instance_id))
                goto finish;
        j->input = shared_buf_ref(input);
        k = hook_env_build(e, event_key, &j->env);
        if (k < 0)
                goto finish;

        j->n_left = j->n_runs;
        *ret = TAKE_PTR(j);
        return (int) (*ret)->n_runs;
finish:
        hook_job_unref(j);
        return k;
}
