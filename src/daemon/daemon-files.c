/* What the daemon keeps on disk: the state directory's task store, and the PID file with
 * the runtime status beside it that `taskwatch` reads. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon-internal.h"
#include "util/log.h"
#include "util/pidfile.h"

/* The state directory: --state-dir, else the first of $STATE_DIRECTORY (StateDirectory=).
 * Without one nothing persists, as suits a one-shot --exit-when-done run. */
int daemon_open_store(Daemon *d) {
        _cleanup_(freep) char *from_env = NULL, *reason = NULL;
        const char *dir = d->options.state_dir;
        TaskStore *store = NULL;
        int r;

        if (!dir) {
                const char *e = getenv("STATE_DIRECTORY");
                if (!e || !*e)
                        return 0;
                from_env = strndup(e, strcspn(e, ":"));
                if (!from_env)
                        return -ENOMEM;
                dir = from_env;
        }
        r = task_store_open(&store, dir, &reason);
        if (r < 0) {
                if (reason)
                        return log_error_errno(r, "cannot use the state directory: %s", reason);
                return log_error_errno(r, "cannot use the state directory: %m");
        }
        watcher_set_store(d->watcher, store);
        return 0;
}

/* `taskwatch add/remove` find the service through its PID file. A one-shot run writes none:
 * it must not take the service's place. */
void daemon_write_pidfile(Daemon *d) {
        const char *rt = getenv("RUNTIME_DIRECTORY");
        int r;

        if (d->options.exit_when_done)
                return;
        const char *dir = rt && *rt ? rt : "/run/taskwatchd";
        /* $RUNTIME_DIRECTORY may list several directories: the first is ours. */
        if (asprintf(&d->pidfile, "%.*s/taskwatchd.pid", (int) strcspn(dir, ":"), dir) < 0) {
                d->pidfile = NULL;
                return;
        }
        r = pidfile_write(d->pidfile, getpid());
        if (r < 0) {
                /* Not fatal: only `taskwatch add/remove` need it, and they say so. */
                log_error_errno(r, "cannot write %s: %m; taskwatch add/remove will not find this daemon",
                                d->pidfile);
                free(d->pidfile);
                d->pidfile = NULL;
                return;
        }

        /* Beside it: when each task is polled next, for `taskwatch status`. */
        _cleanup_(freep) char *status = NULL;
        size_t dir_len = strlen(d->pidfile) - strlen("taskwatchd.pid");
        if (asprintf(&status, "%.*sstatus.json", (int) dir_len, d->pidfile) >= 0) {
                watcher_set_runtime_file(d->watcher, status);
                watcher_write_runtime_status_now(d->watcher);
        }
}

void daemon_remove_pidfile(Daemon *d) {
        if (!d->pidfile)
                return;
        pidfile_remove(d->pidfile, getpid());
        free(d->pidfile);
        d->pidfile = NULL;
}
