/* Instance names and their configuration files: the rules the daemon and taskwatch share. */
#include "config/instance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool instance_name_is_valid(const char *name) {
        static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        size_t n;

        if (!name || !name[0] || !strchr(alnum, name[0]))
                return false;
        n = strlen(name);
        if (n > INSTANCE_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_") != n)
                return false;
        return strcmp(name, "taskwatchd") != 0;
}

int instance_config_path(const char *name, char **ret) {
        if (!instance_name_is_valid(name))
                return -EINVAL;
        return asprintf(ret, "%s/%s.conf", CONFIG_DIR, name) < 0 ? -ENOMEM : 0;
}
