/* Instance NAME's files, where taskwatchd@.service puts them, for every command to find. */
#include "instance.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/log.h"

static CliInstance selected;

int cli_instance_paths(const char *name, CliInstance *ret) {
        CliInstance i = {};

        if (!name || !name[0]) {
                /* The main unit's: systemd/taskwatchd.service.in with its own names. */
                snprintf(i.config_path, sizeof(i.config_path), "%s", CONFIG_DEFAULT_PATH);
                snprintf(i.unit, sizeof(i.unit), "taskwatchd.service");
                snprintf(i.runtime_dir, sizeof(i.runtime_dir), "/run/taskwatchd");
                snprintf(i.pid_file, sizeof(i.pid_file), "/run/taskwatchd/taskwatchd.pid");
                snprintf(i.runtime_status, sizeof(i.runtime_status), "/run/taskwatchd/status.json");
                snprintf(i.state_dir, sizeof(i.state_dir), "/var/lib/taskwatchd");
        } else {
                if (!instance_name_is_valid(name))
                        return -EINVAL;
                snprintf(i.name, sizeof(i.name), "%s", name);
                snprintf(i.config_path, sizeof(i.config_path), "%s/%s.conf", CONFIG_DIR, name);
                snprintf(i.unit, sizeof(i.unit), "taskwatchd@%s.service", name);
                /* RuntimeDirectory=taskwatchd-%i, StateDirectory=taskwatchd-%i. */
                snprintf(i.runtime_dir, sizeof(i.runtime_dir), "/run/taskwatchd-%s", name);
                snprintf(i.pid_file, sizeof(i.pid_file), "/run/taskwatchd-%s/taskwatchd.pid", name);
                snprintf(i.runtime_status, sizeof(i.runtime_status), "/run/taskwatchd-%s/status.json", name);
                snprintf(i.state_dir, sizeof(i.state_dir), "/var/lib/taskwatchd-%s", name);
        }
        *ret = i;
        return 0;
}

int cli_instance_select(const char *name) {
        const char *source = "--instance";

        if (!name) {
                name = getenv("TASKWATCH_INSTANCE");
                source = "TASKWATCH_INSTANCE";
        }
        if (cli_instance_paths(name, &selected) < 0) {
                log_error("%s=%s: not an instance name (letters, digits, '-' and '_'; "
                          "not \"taskwatchd\")", source, name);
                return -EINVAL;
        }
        return 0;
}

const CliInstance *cli_instance(void) {
        if (!selected.unit[0])
                (void) cli_instance_paths(NULL, &selected);
        return &selected;
}
