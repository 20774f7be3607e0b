/* Asking a running taskwatchd to reload: systemd's ReloadUnit when the unit is active, else
 * SIGHUP to the PID in its PID file, after making sure that PID is taskwatchd and reads the
 * configuration that was edited. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "config/config.h"
#include "reload.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strutil.h"

static inline void sd_bus_flush_close_unrefp_(sd_bus **b) {
        if (*b)
                (void) sd_bus_flush_close_unref(*b);
}

/* 1: reload queued; 0: no active unit (or no systemd); -errno: systemd refused. */
static int reload_by_systemd(void) {
        _cleanup_(sd_bus_flush_close_unrefp_) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(freep) char *state = NULL;
        const char *unit_path;
        int r;

        /* Without systemd as init there is no one to ask. */
        if (access("/run/systemd/system", F_OK) < 0)
                return 0;
        if (sd_bus_open_system(&bus) < 0)
                return 0;

        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "GetUnit", &error, &reply, "s",
                               TASKWATCHD_UNIT);
        if (r < 0)
                return 0; /* NoSuchUnit: not loaded, so not running */
        r = sd_bus_message_read(reply, "o", &unit_path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", unit_path,
                                       "org.freedesktop.systemd1.Unit", "ActiveState", &error, &state);
        if (r < 0)
                return 0;
        if (strcmp(state, "active") != 0 && strcmp(state, "reloading") != 0)
                return 0;

        (void) sd_bus_set_allow_interactive_authorization(bus, true);
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "ReloadUnit", &error, &reply, "ss",
                               TASKWATCHD_UNIT, "replace");
        if (r < 0) {
                log_error("systemd refused to reload %s: %s", TASKWATCHD_UNIT,
                          error.message ? error.message : strerror(-r));
                return r;
        }
        return 1;
}

int cmdline_config_path(const char *cmdline, size_t len, char **ret) {
        const char *p = cmdline, *end = cmdline + len, *found = NULL;
        bool first = true;

        while (p < end) {
                const char *arg = p;
                size_t n = strnlen(p, (size_t) (end - p));
                p += n + 1;
                if (first) { /* argv[0] */
                        first = false;
                        continue;
                }
                if (strcmp(arg, "--") == 0)
                        break;
                if (strcmp(arg, "--config") == 0 || strcmp(arg, "-c") == 0) {
                        if (p < end)
                                found = p;
                        continue;
                }
                if (strncmp(arg, "--config=", 9) == 0)
                        found = arg + 9;
                else if (strncmp(arg, "-c", 2) == 0 && arg[2] != '\0' && arg[1] != '-')
                        found = arg + 2;
        }
        if (!found) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(found, strnlen(found, (size_t) (end - found)));
        return *ret ? 0 : -ENOMEM;
}

int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *buf = NULL;
        size_t len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, max - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0 || (len += (size_t) k) == max)
                        break;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

pid_t taskwatchd_pid(void) {
        _cleanup_(freep) char *text = NULL, *comm = NULL;
        char path[64], *end;
        long pid;

        if (cli_read_file(TASKWATCHD_PID_FILE, 32, &text, NULL) < 0)
                return 0;
        errno = 0;
        pid = strtol(text, &end, 10);
        if (errno != 0 || end == text || (*end != '\n' && *end != '\0') || pid <= 1 || pid > INT_MAX)
                return 0;
        /* A stale file may name a PID reused by another program: never signal that. */
        snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
        if (cli_read_file(path, 64, &comm, NULL) < 0 || strcmp(strip(comm), "taskwatchd") != 0)
                return 0;
        return (pid_t) pid;
}

/* The daemon's configuration file, resolved the way it resolves it: relative to its cwd. */
static int daemon_config_path(pid_t pid, char **ret) {
        _cleanup_(freep) char *cmdline = NULL, *arg = NULL;
        char path[64];
        size_t len;
        int r;

        snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long) pid);
        r = cli_read_file(path, 65536, &cmdline, &len);
        if (r < 0)
                return r;
        r = cmdline_config_path(cmdline, len, &arg);
        if (r < 0)
                return r;
        if (!arg)
                return (*ret = strdup(cli_instance()->config_path)) ? 0 : -ENOMEM;
        if (arg[0] == '/') {
                *ret = TAKE_PTR(arg);
                return 0;
        }
        return asprintf(ret, "/proc/%ld/cwd/%s", (long) pid, arg) < 0 ? -ENOMEM : 0;
}

static bool same_file(const char *a, const char *b) {
        _cleanup_(freep) char *ra = realpath(a, NULL), *rb = realpath(b, NULL);

        if (ra && rb)
                return strcmp(ra, rb) == 0;
        return strcmp(a, b) == 0;
}

int daemon_reload(const char *config_path, ReloadReport *ret) {
        _cleanup_(freep) char *theirs = NULL;
        const char *ours = config_path ? config_path : cli_instance()->config_path;
        pid_t pid;
        int r;

        *ret = (ReloadReport) { .result = RELOAD_NO_DAEMON };

        if (same_file(ours, cli_instance()->config_path)) {
                r = reload_by_systemd();
                if (r < 0)
                        return r;
                if (r > 0) {
                        ret->result = RELOAD_BY_SYSTEMD;
                        return 0;
                }
        }

        pid = taskwatchd_pid();
        if (pid == 0)
                return 0;
        r = daemon_config_path(pid, &theirs);
        if (r < 0)
                return 0; /* it exited meanwhile, or is not ours to read */
        if (!same_file(ours, theirs)) {
                ret->pid = pid;
                ret->other_config = TAKE_PTR(theirs);
                return 0;
        }
        if (kill(pid, SIGHUP) < 0)
                return errno == ESRCH ? 0 : -errno;
        ret->result = RELOAD_BY_SIGNAL;
        ret->pid = pid;
        return 0;
}

void reload_report_done(ReloadReport *r) {
        free(r->other_config);
        r->other_config = NULL;
}
