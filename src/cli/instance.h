/* Which taskwatchd taskwatch addresses: the main daemon, or instance NAME of taskwatchd@.service. */
#pragma once

#include "config/instance.h"

/* Every path is short: an instance name has at most INSTANCE_NAME_MAX characters. */
#define CLI_INSTANCE_PATH_MAX (INSTANCE_NAME_MAX + 64)

typedef struct CliInstance {
        char name[INSTANCE_NAME_MAX + 1];          /* "": the main daemon */
        char config_path[CLI_INSTANCE_PATH_MAX];   /* /etc/taskwatchd/NAME.conf */
        char unit[CLI_INSTANCE_PATH_MAX];          /* taskwatchd@NAME.service */
        char runtime_dir[CLI_INSTANCE_PATH_MAX];   /* /run/taskwatchd-NAME */
        char pid_file[CLI_INSTANCE_PATH_MAX];      /* /run/taskwatchd-NAME/taskwatchd.pid */
        char runtime_status[CLI_INSTANCE_PATH_MAX]; /* /run/taskwatchd-NAME/status.json */
        char state_dir[CLI_INSTANCE_PATH_MAX];     /* /var/lib/taskwatchd-NAME */
} CliInstance;

/* The files of instance name as taskwatchd@.service lays them out, or of the main daemon
 * (taskwatchd.service) for NULL or "". -EINVAL for a name that cannot be an instance. Pure. */
int cli_instance_paths(const char *name, CliInstance *ret);

/* Chosen once, by main(): name (--instance), else $TASKWATCH_INSTANCE, else the main daemon.
 * -EINVAL after printing why for an invalid name. */
int cli_instance_select(const char *name);
/* The one chosen; the main daemon's until cli_instance_select() chose another. */
const CliInstance *cli_instance(void);
