/* Instance names (taskwatchd@NAME.service) and the configuration file each one reads. */
#pragma once

#include <stdbool.h>

/* Every instance's files are under here: NAME.conf, NAME.conf.d/, NAME/credentials/. */
#define CONFIG_DIR "/etc/taskwatchd"
#define INSTANCE_NAME_MAX 64

/* A name goes into paths (/etc/taskwatchd/NAME.conf, /var/lib/taskwatchd-NAME,
 * /run/taskwatchd-NAME) and journal matches: letters, digits, '-' and '_', starting with a
 * letter or digit, at most INSTANCE_NAME_MAX characters. "taskwatchd" is taken: its
 * NAME.conf is the main configuration. */
bool instance_name_is_valid(const char *name);

/* "/etc/taskwatchd/NAME.conf" in *ret (malloc'd). -EINVAL for an invalid name, -ENOMEM. */
int instance_config_path(const char *name, char **ret);
