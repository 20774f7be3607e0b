/* taskwatchd as a whole: the configuration, the event loop and everything on it, and the
 * reload that swaps a new configuration in all at once or not at all. */
#pragma once

#include <stdbool.h>

#include "config/config.h"
#include "util/cleanup.h"
#include "util/time-util.h"

typedef struct DaemonOptions {
        const char *config_path; /* NULL: the default */
        bool check_config;       /* validate, print the effective settings, watch nothing */
        bool offline;            /* with check_config: no signed call to check the credentials */
        bool exit_when_done;
        usec_t timeout;          /* with exit_when_done; USEC_INFINITY: none */
        const char *instance;    /* --instance: TASKWATCH_INSTANCE= of every event; NULL: none */
        const char *state_dir;   /* --state-dir, else $STATE_DIRECTORY, else nothing persists */
        ConfigLoadOptions load;  /* how the configuration is read, at start and on reload */
} DaemonOptions;

#define DAEMON_OPTIONS_INIT ((DaemonOptions) { .timeout = USEC_INFINITY })

typedef struct Daemon Daemon;

/* Loads and validates the configuration and the credentials, then (unless check_config)
 * creates the loop's residents: the hook runner, the state directory's store, the watcher
 * with every task. Nothing is sent and no signal is handled yet. o is copied, its strings
 * are borrowed. Says why on stderr when it fails, and sets *ret_exit_code (optional) to the
 * exit code that failure calls for: EXIT_CONFIG for a configuration, credentials or state
 * directory the user must fix, EXIT_FATAL for a runtime failure (out of memory, the event
 * loop, the watcher). */
int daemon_new(Daemon **ret, const DaemonOptions *o, int *ret_exit_code);
/* Stops the hooks still running (they run again at the next start), removes the PID file. */
Daemon *daemon_free(Daemon *d);
DEFINE_POINTER_CLEANUP(Daemon, daemon_free)

/* Signals (SIGTERM/SIGINT stop, SIGHUP reloads), the watchdog, --timeout, the credentials'
 * first attempt, the daemon-started event, the PID file, READY=1. 0 or -errno. */
int daemon_start(Daemon *d);

/* SIGHUP: RELOADING=1, then a new configuration replaces the old only when every part of the
 * change could be prepared (config, credentials, hook settings, the watcher's plan); else
 * nothing changes and config-reload-failed says so. READY=1 either way. 0, or the -errno
 * the reload was refused for. */
int daemon_reload(Daemon *d);

/* --check-config: print the settings, obtain the credentials once, and (unless offline)
 * make one signed DescribeTaskInfo of the first task and print the API's verdict. Otherwise daemon_start()
 * (unless called already) and the loop. Returns taskwatchd's exit code (EXIT_* in
 * watch/watcher.h). */
int daemon_run(Daemon *d);
