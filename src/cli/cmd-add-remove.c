/* taskwatch add / remove: edit the drop-in 50-taskwatch.conf, then have taskwatchd reload. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli-args.h"
#include "cli.h"
#include "dropin.h"
#include "reload.h"
#include "util/log.h"

static void edit_help(DropinOp op) {
        const char *name = op == DROPIN_ADD ? "add" : "remove";

        printf("Usage: taskwatch [--config PATH] %s [--no-reload] TASK...\n", name);
        if (op == DROPIN_ADD)
                printf("Watch more tasks: add them to the drop-in CONFIG.d/%s, then ask the running\n"
                       "taskwatchd to reload. Tasks already configured anywhere are left alone.\n",
                       DROPIN_NAME);
        else
                printf("Stop watching tasks: take them out of the drop-in CONFIG.d/%s, then ask the\n"
                       "running taskwatchd to reload. Tasks configured in other files are reported.\n",
                       DROPIN_NAME);
        printf("CONFIG is --config or %s. The file is replaced atomically and keeps its\n"
               "other lines. taskwatchd is reloaded through systemd (%s) when that unit is\n"
               "active, else by SIGHUP to the taskwatchd found through $RUNTIME_DIRECTORY/\n"
               "taskwatchd.pid, %s, or the process list.\n\n"
               "      --no-reload   only edit the file\n"
               "  -h, --help        show this help\n\n"
               "Exit status: 0 done (also when no taskwatchd runs: the change applies when it\n"
               "starts), 4 a malformed task id, an invalid configuration, or a task that another\n"
               "file configures, 5 the file could not be written or the reload not requested.\n",
               CONFIG_DEFAULT_PATH, TASKWATCHD_UNIT, TASKWATCHD_PID_FILE);
}

static Config *load_config_quiet(const CliContext *ctx) {
        ConfigDiagnostics diag = {};
        Config *c = NULL;

        if (config_load(ctx->config_path, &ctx->load, &c, &diag) < 0)
                c = NULL;
        config_diagnostics_clear(&diag);
        return c;
}

/* Where c configures id ("file:line"), or NULL; valid until the next call. */
static const char *config_origin(const Config *c, const char *id) {
        static char buf[PATH_MAX + 16];

        for (size_t i = 0; c && i < c->n_tasks; i++)
                if (strcmp(c->tasks[i], id) == 0)
                        return config_task_origin(c, i, buf, sizeof(buf)) ?: "?";
        return NULL;
}

static int request_reload(const CliContext *ctx) {
        ReloadReport rep;
        int r;

        r = daemon_reload(ctx->config_path, &rep);
        if (r < 0) {
                log_error_errno(r, "cannot ask taskwatchd to reload: %m");
                return EXIT_FATAL;
        }
        switch (rep.result) {
        case RELOAD_BY_SYSTEMD:
                printf("Reloading %s.\n", TASKWATCHD_UNIT);
                break;
        case RELOAD_BY_SIGNAL:
                printf("Asked taskwatchd (PID %ld) to reload. (Found through %s.)\n", (long) rep.pid,
                       rep.found_by);
                break;
        case RELOAD_NO_DAEMON:
                if (rep.other_config)
                        log_warning("the running taskwatchd (PID %ld) reads %s, not this "
                                    "configuration: it was not reloaded.", (long) rep.pid, rep.other_config);
                log_notice("no running taskwatchd found for %s; the change applies when "
                           "it next starts. (Looked for %s%s and in the process list.)",
                           ctx->config_path ? ctx->config_path : CONFIG_DEFAULT_PATH,
                           getenv("RUNTIME_DIRECTORY") ? "$RUNTIME_DIRECTORY/taskwatchd.pid, " : "",
                           TASKWATCHD_PID_FILE);
                break;
        }
        reload_report_done(&rep);
        return EXIT_SUCCESS;
}

static int cmd_edit(const CliContext *ctx, DropinOp op, int argc, char **argv) {
        _cleanup_(config_freep) Config *before = NULL, *after = NULL;
        _cleanup_(freep) char *dir = NULL, *path = NULL, *mine = NULL;
        _cleanup_(freep) char **ids = NULL;
        _cleanup_(freep) bool *changed = NULL;
        CommandOptions o;
        size_t n = 0, n_changed = 0;
        int r, status = EXIT_SUCCESS;

        if (cli_parse_command(op == DROPIN_ADD ? CLI_COMMAND_ADD : CLI_COMMAND_REMOVE, argc, argv, &o) < 0)
                return EXIT_CONFIG;
        if (o.help) {
                edit_help(op);
                return EXIT_SUCCESS;
        }
        if (cli_check_task_ids(o.args, o.n_args) < 0)
                return EXIT_CONFIG;

        ids = calloc(o.n_args + 1, sizeof(char *));
        changed = calloc(o.n_args, sizeof(bool));
        if (!ids || !changed || dropin_dir(ctx->config_path, &dir) < 0)
                return EXIT_FATAL;

        /* A task some other file configures is watched already: adding it here would only
         * leave a second place to remove it from. */
        before = op == DROPIN_ADD ? load_config_quiet(ctx) : NULL;
        if (asprintf(&mine, "%s/%s:", dir, DROPIN_NAME) < 0) {
                mine = NULL;
                return EXIT_FATAL;
        }
        for (size_t i = 0; i < o.n_args; i++) {
                const char *origin = config_origin(before, o.args[i]);
                /* Listed in our own drop-in: dropin_update() says "already in". */
                if (origin && strncmp(origin, mine, strlen(mine)) != 0)
                        printf("%s is already watched (configured at %s).\n", o.args[i], origin);
                else
                        ids[n++] = o.args[i];
        }

        r = n > 0 ? dropin_update(dir, op, ids, n, changed, &path) : 0;
        if (r < 0) {
                log_error_errno(r, "cannot update %s/%s: %m", dir, DROPIN_NAME);
                return EXIT_FATAL;
        }
        for (size_t i = 0; i < n; i++) {
                if (changed[i])
                        n_changed++;
                if (op == DROPIN_ADD)
                        printf(changed[i] ? "Added %s to %s.\n" : "%s is already in %s.\n", ids[i], path);
                else if (changed[i])
                        printf("Removed %s from %s/%s.\n", ids[i], dir, DROPIN_NAME);
        }

        /* What the daemon will read on reload: it keeps its old configuration if this fails. */
        r = cli_load_config(ctx, &after);
        if (r < 0) {
                log_error("the configuration has errors (above); a reload would keep "
                          "the previous one, so taskwatchd was not asked to.");
                return EXIT_CONFIG;
        }
        if (op == DROPIN_REMOVE)
                for (size_t i = 0; i < n; i++) {
                        const char *origin = config_origin(after, ids[i]);
                        if (origin) {
                                log_error("%s is still watched: it is configured at %s; "
                                          "remove it there.", ids[i], origin);
                                status = EXIT_CONFIG;
                        } else if (!changed[i])
                                printf("%s is not watched.\n", ids[i]);
                }

        if (n_changed == 0 || o.no_reload)
                return status;
        r = request_reload(ctx);
        return status != EXIT_SUCCESS ? status : r;
}

int cmd_add(const CliContext *ctx, int argc, char **argv) {
        return cmd_edit(ctx, DROPIN_ADD, argc, argv);
}

int cmd_remove(const CliContext *ctx, int argc, char **argv) {
        return cmd_edit(ctx, DROPIN_REMOVE, argc, argv);
}
