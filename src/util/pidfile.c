/* PID files, written atomically so that a reader never sees a half-written one. */
#include "util/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int pidfile_write(const char *path, pid_t pid) {
        _cleanup_(freep) char *dir_copy = strdup(path), *tmp = NULL;
        _cleanup_(closep) int fd = -1;
        char line[32];
        int n;

        if (!dir_copy || asprintf(&tmp, "%s.%d.tmp", path, (int) pid) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        if (mkdir(dirname(dir_copy), 0755) < 0 && errno != EEXIST)
                return -errno;

        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        n = snprintf(line, sizeof(line), "%d\n", (int) pid);
        if (write(fd, line, (size_t) n) != n || rename(tmp, path) < 0) {
                int r = errno ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

void pidfile_remove(const char *path, pid_t pid) {
        char line[32] = {};
        FILE *f = fopen(path, "re");

        if (!f)
                return;
        if (fgets(line, sizeof(line), f) && atoi(line) == (int) pid)
                (void) unlink(path);
        fclose(f);
}
