/* Finding a running taskwatchd, and asking it to reload: systemd's ReloadUnit when the unit is
 * active, else SIGHUP to the PID in its PID file (or found among the processes), after making
 * sure that PID is taskwatchd and reads the configuration that was edited. */
#include <dirent.h>
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

static inline void closedirp_(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

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

int cmdline_option(const char *cmdline, size_t len, const char *name, char short_name, char **ret) {
        const char *p = cmdline, *end = cmdline + len, *found = NULL;
        size_t name_len = strlen(name);
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
                if (strncmp(arg, "--", 2) == 0 && strncmp(arg + 2, name, name_len) == 0) {
                        if (arg[2 + name_len] == '\0') {
                                if (p < end)
                                        found = p;
                                continue;
                        }
                        if (arg[2 + name_len] == '=')
                                found = arg + 3 + name_len;
                        continue;
                }
                if (short_name && arg[0] == '-' && arg[1] == short_name) {
                        if (arg[2] != '\0')
                                found = arg + 2;
                        else if (p < end)
                                found = p;
                }
        }
        if (!found) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(found, strnlen(found, (size_t) (end - found)));
        return *ret ? 0 : -ENOMEM;
}

int cmdline_config_path(const char *cmdline, size_t len, char **ret) {
        return cmdline_option(cmdline, len, "config", 'c', ret);
}

bool cmdline_has_flag(const char *cmdline, size_t len, const char *name) {
        const char *p = cmdline, *end = cmdline + len;

        p += strnlen(p, len) + 1; /* argv[0] */
        while (p < end) {
                const char *arg = p;
                p += strnlen(p, (size_t) (end - p)) + 1;
                if (strcmp(arg, "--") == 0)
                        break;
                if (strncmp(arg, "--", 2) == 0 && strcmp(arg + 2, name) == 0)
                        return true;
        }
        return false;
}

int environ_first_dir(const char *env, size_t len, const char *name, char **ret) {
        const char *p = env, *end = env + len;
        size_t name_len = strlen(name);

        *ret = NULL;
        while (p < end) {
                const char *var = p;
                size_t n = strnlen(p, (size_t) (end - p));
                p += n + 1;
                if (n > name_len && strncmp(var, name, name_len) == 0 && var[name_len] == '=') {
                        const char *v = var + name_len + 1;
                        size_t l = strcspn(v, ":");
                        if (l == 0)
                                return 0;
                        *ret = strndup(v, l);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return 0;
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

/* Whether PID is a live taskwatchd: a stale PID file may name a PID reused by another
 * program, never signal that. */
static bool pid_is_taskwatchd(long pid) {
        _cleanup_(freep) char *comm = NULL;
        char path[64];

        snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
        return cli_read_file(path, 64, &comm, NULL) >= 0 && strcmp(strip(comm), "taskwatchd") == 0;
}

/* The PID in dir/taskwatchd.pid when that process is a live taskwatchd; 0 otherwise. */
static pid_t pid_file_daemon(const char *dir) {
        _cleanup_(freep) char *text = NULL, *path = NULL;
        char *end;
        long pid;

        if (asprintf(&path, "%s/taskwatchd.pid", dir) < 0) {
                path = NULL;
                return 0;
        }
        if (cli_read_file(path, 32, &text, NULL) < 0)
                return 0;
        errno = 0;
        pid = strtol(text, &end, 10);
        if (errno != 0 || end == text || (*end != '\n' && *end != '\0') || pid <= 1 || pid > INT_MAX)
                return 0;
        return pid_is_taskwatchd(pid) ? (pid_t) pid : 0;
}

static int proc_file(pid_t pid, const char *what, char **ret, size_t *ret_len) {
        char path[64];

        snprintf(path, sizeof(path), "/proc/%ld/%s", (long) pid, what);
        return cli_read_file(path, 65536, ret, ret_len);
}

/* Where this daemon keeps its state, as it chose it: --state-dir, else $STATE_DIRECTORY. A
 * relative --state-dir is resolved against its working directory. */
static int daemon_state_dir(DaemonInfo *d) {
        _cleanup_(freep) char *cmdline = NULL, *env = NULL, *arg = NULL;
        size_t len;
        int r;

        if (proc_file(d->pid, "cmdline", &cmdline, &len) < 0)
                return 0;
        r = cmdline_option(cmdline, len, "state-dir", 0, &arg);
        if (r < 0)
                return r;
        if (arg) {
                d->state_dir_from = "its --state-dir";
                if (arg[0] == '/')
                        d->state_dir = TAKE_PTR(arg);
                else if (asprintf(&d->state_dir, "/proc/%ld/cwd/%s", (long) d->pid, arg) < 0) {
                        d->state_dir = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        if (proc_file(d->pid, "environ", &env, &len) < 0)
                return 0; /* not ours to read: the caller falls back to the default */
        r = environ_first_dir(env, len, "STATE_DIRECTORY", &d->state_dir);
        if (r >= 0 && d->state_dir)
                d->state_dir_from = "its $STATE_DIRECTORY";
        return r;
}

static int daemon_config_path(pid_t pid, char **ret);
static bool same_file(const char *a, const char *b);

/* A taskwatchd process that is a daemon (not a one-shot --exit-when-done run) reading
 * config_path; its PID file's directory from its environment. Daemons of other
 * configurations are not considered: on a shared host they are someone else's. */
static int scan_processes(const char *config_path, DaemonInfo *ret) {
        _cleanup_(closedirp_) DIR *proc = opendir("/proc");
        const char *ours = config_path ? config_path : cli_instance()->config_path;
        pid_t any = 0;
        struct dirent *de;

        if (!proc)
                return 0;
        while ((de = readdir(proc))) {
                _cleanup_(freep) char *cmdline = NULL, *theirs = NULL;
                char *end;
                size_t len;
                long pid;

                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno != 0 || *end != '\0' || pid <= 1 || pid > INT_MAX || pid == (long) getpid() ||
                    !pid_is_taskwatchd(pid))
                        continue;
                if (proc_file((pid_t) pid, "cmdline", &cmdline, &len) < 0 ||
                    cmdline_has_flag(cmdline, len, "exit-when-done") ||
                    cmdline_has_flag(cmdline, len, "check-config"))
                        continue;
                if (daemon_config_path((pid_t) pid, &theirs) >= 0 && same_file(ours, theirs)) {
                        any = (pid_t) pid;
                        break;
                }
        }
        if (any == 0)
                return 0;

        _cleanup_(freep) char *env = NULL;
        size_t len;
        int r;

        ret->pid = any;
        ret->found_by = "the process list";
        if (proc_file(any, "environ", &env, &len) >= 0) {
                r = environ_first_dir(env, len, "RUNTIME_DIRECTORY", &ret->runtime_dir);
                if (r < 0)
                        return r;
        }
        if (!ret->runtime_dir && !(ret->runtime_dir = strdup(TASKWATCHD_RUNTIME_DIR)))
                return -ENOMEM;
        return 1;
}

int taskwatchd_find(const char *config_path, DaemonInfo *ret) {
        const char *env = getenv("RUNTIME_DIRECTORY");
        _cleanup_(freep) char *dir = env && *env ? strndup(env, strcspn(env, ":")) : NULL;
        DaemonInfo d = {};
        int r = 0;

        if (env && *env && !dir)
                return -ENOMEM;
        /* The daemon writes to the first of these it has: so does the search. */
        if (dir && (d.pid = pid_file_daemon(dir)) > 0) {
                d.runtime_dir = TAKE_PTR(dir);
                d.found_by = "$RUNTIME_DIRECTORY/taskwatchd.pid";
        } else if ((d.pid = pid_file_daemon(TASKWATCHD_RUNTIME_DIR)) > 0) {
                d.found_by = TASKWATCHD_PID_FILE;
                if (!(d.runtime_dir = strdup(TASKWATCHD_RUNTIME_DIR)))
                        r = -ENOMEM;
        } else
                r = scan_processes(config_path, &d);
        if (r >= 0 && d.pid > 0)
                r = daemon_state_dir(&d);
        if (r < 0) {
                daemon_info_done(&d);
                return r;
        }
        *ret = d;
        return d.pid > 0;
}

void daemon_info_done(DaemonInfo *d) {
        free(d->runtime_dir);
        free(d->state_dir);
        *d = (DaemonInfo) {};
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
        _cleanup_(daemon_info_done) DaemonInfo d = {};
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

        r = taskwatchd_find(config_path, &d);
        if (r <= 0)
                return r;
        pid = d.pid;
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
        ret->found_by = d.found_by;
        return 0;
}

void reload_report_done(ReloadReport *r) {
        free(r->other_config);
        r->other_config = NULL;
}
