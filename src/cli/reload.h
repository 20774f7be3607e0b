/* Asking a running taskwatchd to re-read its configuration: systemd first, else its PID file. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "instance.h"

/* Those of the instance taskwatch addresses (--instance, src/cli/instance.c): the main
 * daemon's are taskwatchd.service, /run/taskwatchd and /var/lib/taskwatchd. */
#define TASKWATCHD_UNIT (cli_instance()->unit)
/* The daemon writes its PID (decimal, newline) to $RUNTIME_DIRECTORY/taskwatchd.pid, else to
 * this directory's; status.json beside it says when it polls each task next. */
#define TASKWATCHD_RUNTIME_DIR (cli_instance()->runtime_dir)
#define TASKWATCHD_PID_FILE (cli_instance()->pid_file)
/* StateDirectory= of the unit. */
#define TASKWATCHD_STATE_DIR (cli_instance()->state_dir)

/* A running taskwatchd, found the way it chose where to write its PID file. */
typedef struct DaemonInfo {
        pid_t pid;            /* 0: none found */
        char *runtime_dir;    /* where its taskwatchd.pid and status.json are */
        const char *found_by; /* "$RUNTIME_DIRECTORY/taskwatchd.pid", "/run/taskwatchd/taskwatchd.pid",
                               * "the process list" */
        char *state_dir;      /* its --state-dir or $STATE_DIRECTORY; NULL: none, or unreadable */
        const char *state_dir_from; /* "its --state-dir", "its $STATE_DIRECTORY" */
} DaemonInfo;

/* The PID files taskwatchd may have written ($RUNTIME_DIRECTORY's, then the default's), then
 * the process list for a daemon reading config_path (NULL: the default): one started with a
 * $RUNTIME_DIRECTORY this shell does not have is still found. One-shot --exit-when-done runs
 * are not daemons to reload and are skipped. A PID file's daemon may read another
 * configuration (the caller compares). 1 found, 0 none, -ENOMEM. */
int taskwatchd_find(const char *config_path, DaemonInfo *ret);
void daemon_info_done(DaemonInfo *d);

typedef enum ReloadResult {
        RELOAD_BY_SYSTEMD,   /* ReloadUnit(taskwatchd.service) was queued */
        RELOAD_BY_SIGNAL,    /* SIGHUP sent to the PID of the PID file */
        RELOAD_NO_DAEMON,    /* no running taskwatchd (for this configuration) was found */
} ReloadResult;

typedef struct ReloadReport {
        ReloadResult result;
        pid_t pid;             /* RELOAD_BY_SIGNAL; and the other daemon's, see below */
        char *other_config;    /* RELOAD_NO_DAEMON: a taskwatchd runs, but with this config */
        const char *found_by;  /* RELOAD_BY_SIGNAL: how it was found (DaemonInfo.found_by) */
} ReloadReport;

/* config_path: the configuration taskwatch edited (NULL: the default). systemd is asked only
 * for the default configuration (the unit's); a PID-file daemon only when its --config is
 * the same file. -errno when asking failed (permission, D-Bus error). */
int daemon_reload(const char *config_path, ReloadReport *ret);
void reload_report_done(ReloadReport *r);

/* From a /proc/PID/cmdline image (NUL-separated, len bytes): the --config/-c argument of a
 * taskwatchd command line, or NULL for the default. Pure, for tests. */
int cmdline_config_path(const char *cmdline, size_t len, char **ret);
/* The same for any option: --NAME VALUE, --NAME=VALUE, and -S VALUE / -SVALUE when short is
 * not 0. Options after "--" are not options. */
int cmdline_option(const char *cmdline, size_t len, const char *name, char short_name, char **ret);
/* Whether a cmdline image holds the flag --NAME (before any "--"). */
bool cmdline_has_flag(const char *cmdline, size_t len, const char *name);
/* From a /proc/PID/environ image: NAME's value up to its first ':' (systemd lists several
 * directories so), or NULL when unset or empty. Pure, for tests. 0 or -ENOMEM. */
int environ_first_dir(const char *env, size_t len, const char *name, char **ret);

/* Read at most max bytes of path into a NUL-terminated *ret. 0 or -errno. */
int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
