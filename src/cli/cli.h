/* taskwatch's shared pieces: global options, loading the configuration and credentials,
 * exit codes, and the commands' entry points. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "creds/credentials.h"
#include "util/time-util.h"
#include "watch/watcher.h"

/* The exit codes are the daemon's (watch/watcher.h), so that scripts handle both alike. */
#define EXIT_API_FAILURE EXIT_FATAL /* get: an API call failed for another reason */

typedef struct CliContext {
        const char *config_path; /* --config, NULL: the default */
        bool color;              /* colour the state words on stdout */
        bool color_stderr;       /* colour the priority of progress lines on stderr (wait) */
        ConfigLoadOptions load;  /* from the environment, read once at start */
} CliContext;

/* The configuration, with every problem printed as "file:line: message". -EINVAL (or
 * another -errno) after printing. */
int cli_load_config(const CliContext *ctx, Config **ret);

/* The one place taskwatch gets credentials from, with a message printed on failure. */
int cli_acquire_credentials(const Config *config, Credentials **ret);

/* Print "taskwatch: 'x' is not a task id ..." for every malformed id; -EINVAL if any. */
int cli_check_task_ids(char *const *ids, size_t n);


int cmd_get(const CliContext *ctx, int argc, char **argv);
int cmd_wait(const CliContext *ctx, int argc, char **argv);
int cmd_add(const CliContext *ctx, int argc, char **argv);
int cmd_remove(const CliContext *ctx, int argc, char **argv);
int cmd_status(const CliContext *ctx, int argc, char **argv);
