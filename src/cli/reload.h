/* Asking a running taskwatchd to re-read its configuration: systemd first, else its PID file. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "instance.h"

/* Those of the instance taskwatch addresses (--instance, src/cli/instance.c). */
#define TASKWATCHD_UNIT (cli_instance()->unit)
/* Written by the daemon: its PID in decimal and a newline, while it runs. */
#define TASKWATCHD_PID_FILE (cli_instance()->pid_file)
/* Beside it: when the daemon polls each task next (src/watch/runtime-status.c). */
#define TASKWATCHD_RUNTIME_STATUS (cli_instance()->runtime_status)

typedef enum ReloadResult {
        RELOAD_BY_SYSTEMD,   /* ReloadUnit(taskwatchd.service) was queued */
        RELOAD_BY_SIGNAL,    /* SIGHUP sent to the PID of the PID file */
        RELOAD_NO_DAEMON,    /* no running taskwatchd (for this configuration) was found */
} ReloadResult;

typedef struct ReloadReport {
        ReloadResult result;
        pid_t pid;             /* RELOAD_BY_SIGNAL; and the other daemon's, see below */
        char *other_config;    /* RELOAD_NO_DAEMON: a taskwatchd runs, but with this config */
} ReloadReport;

/* config_path: the configuration taskwatch edited (NULL: the default). systemd is asked only
 * for the default configuration (the unit's); a PID-file daemon only when its --config is
 * the same file. -errno when asking failed (permission, D-Bus error). */
int daemon_reload(const char *config_path, ReloadReport *ret);
void reload_report_done(ReloadReport *r);

/* The PID of TASKWATCHD_PID_FILE when that process is a live taskwatchd; 0 otherwise. */
pid_t taskwatchd_pid(void);

/* From a /proc/PID/cmdline image (NUL-separated, len bytes): the --config/-c argument of a
 * taskwatchd command line, or NULL for the default. Pure, for tests. */
int cmdline_config_path(const char *cmdline, size_t len, char **ret);

/* Read at most max bytes of path into a NUL-terminated *ret. 0 or -errno. */
int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
