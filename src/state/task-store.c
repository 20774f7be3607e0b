/* The task store's files: atomic, durable writes; loads that move a bad file aside. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/random-util.h"
#include "util/strutil.h"
#include "state/task-store.h"

#define TASKS_DIR "tasks"
#define SUFFIX ".json"
/* uri_encode() never writes a '#', so no task's file name starts like a temp file's, and
 * the clean-up at open cannot delete a record. Nor does a temp file end in SUFFIX, so no load
 * or listing takes one for a task. */
#define TEMP_PREFIX "#tmp-"
#define CORRUPT_INFIX ".corrupt-"

struct TaskStore {
        int dir_fd; /* <state_dir>/tasks */
        char *path;
        bool readonly;
        bool unsynced; /* saved or removed since the last task_store_sync() */
};

_printf_(2, 3) static int set_reason(char **reason, const char *fmt, ...) {
        va_list ap;
        int r;

        if (!reason)
                return 0;
        va_start(ap, fmt);
        r = vasprintf(reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *reason = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* An errno for the caller, with the reason; -ENOMEM wins when the reason cannot be made. */
_printf_(3, 4) static int fail_errno(int error, char **reason, const char *fmt, ...) {
        va_list ap;
        int r;

        if (!reason)
                return -error;
        va_start(ap, fmt);
        r = vasprintf(reason, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *reason = NULL;
                return -ENOMEM;
        }
        return -error;
}

static int file_name(const char *task_id, char **ret) {
        _cleanup_(freep) char *enc = NULL;
        char *name;

        if (!task_id || !*task_id)
                return -EINVAL;
        enc = uri_encode(task_id);
        if (!enc)
                return -ENOMEM;
        if (strlen(enc) > TASK_STORE_MAX_NAME)
                return -ENAMETOOLONG;
        if (asprintf(&name, "%s" SUFFIX, enc) < 0)
                return -ENOMEM;
        *ret = name;
        return 0;
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* The task id a file name stands for; 0 when the name is not one file_name() makes (a temp
 * or moved-aside file, a non-canonical spelling, anything else), so a listing offers only
 * ids that task_store_load() finds under that very name. */
static int task_id_of(const char *name, char **ret) {
        _cleanup_(freep) char *id = NULL, *again = NULL;
        size_t n = strlen(name), stem;
        char *p;

        if (n <= strlen(SUFFIX) || strcmp(name + n - strlen(SUFFIX), SUFFIX) != 0)
                return 0;
        stem = n - strlen(SUFFIX);
        if (stem > TASK_STORE_MAX_NAME)
                return 0;

        id = malloc(stem + 1);
        if (!id)
                return -ENOMEM;
        p = id;
        for (size_t i = 0; i < stem; i++) {
                if (name[i] != '%') {
                        *p++ = name[i];
                        continue;
                }
                if (i + 2 >= stem || hexval(name[i + 1]) < 0 || hexval(name[i + 2]) < 0)
                        return 0;
                *p = (char) (hexval(name[i + 1]) << 4 | hexval(name[i + 2]));
                if (*p == '\0')
                        return 0;
                p++;
                i += 2;
        }
        *p = '\0';

        again = uri_encode(id);
        if (!again)
                return -ENOMEM;
        if (strlen(again) != stem || strncmp(again, name, stem) != 0)
                return 0;
        *ret = TAKE_PTR(id);
        return 1;
}

/* Deletes what a crash between creating and renaming a temp file left. */
static void remove_stale_temp_files(int dir_fd) {
        DIR *d;
        int fd;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        for (struct dirent *de; (de = readdir(d));)
                if (strncmp(de->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0 &&
                    de->d_type != DT_DIR)
                        (void) unlinkat(dir_fd, de->d_name, 0);
        closedir(d);
}

static int store_new(TaskStore **ret, int dir_fd, const char *path, bool readonly) {
        TaskStore *s;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->path = strdup(path);
        if (!s->path) {
                free(s);
                return -ENOMEM;
        }
        s->dir_fd = dir_fd;
        s->readonly = readonly;
        *ret = s;
        return 0;
}

int task_store_open(TaskStore **ret, const char *state_dir, char **ret_reason) {
        _cleanup_(closep) int state_fd = -1, dir_fd = -1;
        _cleanup_(freep) char *path = NULL;
        bool created = false;
        int r;

        if (ret_reason)
                *ret_reason = NULL;
        if (!ret || !state_dir || !*state_dir)
                return -EINVAL;
        if (asprintf(&path, "%s/" TASKS_DIR, state_dir) < 0)
                return -ENOMEM;

        /* One level only: a missing parent means a wrong path, better reported than made. */
        if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
                return fail_errno(errno, ret_reason, "cannot create state directory %s: %s",
                                  state_dir, strerror(errno));
        state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_fd < 0)
                return fail_errno(errno, ret_reason, "cannot open state directory %s: %s",
                                  state_dir, strerror(errno));

        if (mkdirat(state_fd, TASKS_DIR, 0700) >= 0)
                created = true;
        else if (errno != EEXIST)
                return fail_errno(errno, ret_reason, "cannot create %s: %s", path,
                                  strerror(errno));
        dir_fd = openat(state_fd, TASKS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dir_fd < 0)
                return fail_errno(errno, ret_reason, "cannot open %s: %s", path,
                                  strerror(errno));
        /* Two daemons on one directory would undo each other's records, and the clean-up
         * below would delete the other's temp files. The lock goes with the process, also
         * on SIGKILL, so a restart never finds it stale. */
        if (flock(dir_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK
                               ? fail_errno(EBUSY, ret_reason,
                                            "state directory %s is in use by another process",
                                            path)
                               : fail_errno(errno, ret_reason, "cannot lock %s: %s", path,
                                            strerror(errno));
        /* Better now, with the path, than at the first save, with a task id. */
        if (faccessat(dir_fd, ".", R_OK | W_OK | X_OK, AT_EACCESS) < 0)
                return fail_errno(errno, ret_reason, "state directory %s is not writable: %s",
                                  path, strerror(errno));
        if (created && fsync(state_fd) < 0)
                return fail_errno(errno, ret_reason, "cannot sync %s: %s", state_dir,
                                  strerror(errno));

        remove_stale_temp_files(dir_fd);

        r = store_new(ret, dir_fd, path, false);
        if (r < 0)
                return r;
        TAKE_FD(dir_fd);
        return 0;
}

int task_store_open_readonly(TaskStore **ret, const char *state_dir, char **ret_reason) {
        _cleanup_(closep) int dir_fd = -1;
        _cleanup_(freep) char *path = NULL;
        int r;

        if (ret_reason)
                *ret_reason = NULL;
        if (!ret || !state_dir || !*state_dir)
                return -EINVAL;
        if (asprintf(&path, "%s/" TASKS_DIR, state_dir) < 0)
                return -ENOMEM;

        dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 && errno == ENOENT)
                return fail_errno(ENOENT, ret_reason, "no saved state: %s does not exist",
                                  path);
        if (dir_fd < 0)
                return fail_errno(errno, ret_reason, "cannot open %s: %s", path,
                                  strerror(errno));

        r = store_new(ret, dir_fd, path, true);
        if (r < 0)
                return r;
        TAKE_FD(dir_fd);
        return 0;
}

TaskStore *task_store_free(TaskStore *s) {
        if (!s)
                return NULL;
        (void) task_store_sync(s);
        if (s->dir_fd >= 0)
                (void) close(s->dir_fd);
        free(s->path);
        free(s);
        return NULL;
}

const char *task_store_path(const TaskStore *s) {
        return s->path;
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* A new temp file's name into name (of TEMP_NAME_MAX bytes) and its fd. */
#define TEMP_NAME_MAX 32
static int create_temp(int dir_fd, char name[static TEMP_NAME_MAX]) {
        for (unsigned attempt = 0;; attempt++) {
                int fd;

                (void) snprintf(name, TEMP_NAME_MAX, TEMP_PREFIX "%016" PRIx64, random_u64());
                fd = openat(dir_fd, name,
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST || attempt >= 16)
                        return -errno;
        }
}

int task_store_save(TaskStore *s, const TaskRecord *rec) {
        _cleanup_(freep) char *name = NULL, *buf = NULL;
        _cleanup_(closep) int fd = -1;
        char temp[TEMP_NAME_MAX];
        size_t len;
        int r;

        if (!s || !rec)
                return -EINVAL;
        if (s->readonly)
                return -EROFS;
        r = file_name(rec->task_id, &name);
        if (r < 0)
                return r;
        r = task_record_to_json(rec, &buf, &len);
        if (r < 0)
                return r;

        fd = create_temp(s->dir_fd, temp);
        if (fd < 0)
                return fd;
        r = write_all(fd, buf, len);
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        /* From here on a crash of the daemon finds the new record. Surviving a crash of the
         * machine takes task_store_sync(), for many saves at once. */
        if (r >= 0 && renameat(s->dir_fd, temp, s->dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(s->dir_fd, temp, 0);
                return r;
        }
        s->unsynced = true;
        return 0;
}

int task_store_sync(TaskStore *s) {
        if (!s || !s->unsynced)
                return 0;
        /* One syncfs() writes back every file saved since the last sync and the directory
         * entries of their renames, where an fsync() of each file and of the directory per
         * save cost two journal commits each (a burst of 10 000 changes stalled the loop for
         * about 12 s). */
        if (syncfs(s->dir_fd) < 0)
                return -errno;
        s->unsynced = false;
        return 0;
}

/* Errors that say nothing about the file: it may be fine, so it stays where it is. */
static bool is_transient(int error) {
        return error == ENOMEM || error == EMFILE || error == ENFILE || error == EINTR ||
               error == EAGAIN || error == ENOBUFS;
}

/* Renames name to name.corrupt-<usec>, never over an earlier one. Returns the new name. */
static int move_aside(int dir_fd, const char *name, char **ret) {
        usec_t now = now_usec(CLOCK_REALTIME);

        for (unsigned attempt = 0;; attempt++) {
                _cleanup_(freep) char *aside = NULL;

                if (asprintf(&aside, "%s" CORRUPT_INFIX "%" PRIu64, name, now + attempt) < 0)
                        return -ENOMEM;
                if (renameat2(dir_fd, name, dir_fd, aside, RENAME_NOREPLACE) >= 0) {
                        (void) fsync(dir_fd);
                        *ret = TAKE_PTR(aside);
                        return 0;
                }
                if (errno == EINVAL) {
                        /* A file system without RENAME_NOREPLACE: usec make a clash unlikely. */
                        if (renameat(dir_fd, name, dir_fd, aside) < 0)
                                return -errno;
                        (void) fsync(dir_fd);
                        *ret = TAKE_PTR(aside);
                        return 0;
                }
                if (errno != EEXIST || attempt >= 16)
                        return -errno;
        }
}

/* The reason for a file that cannot be used: which file, what is wrong, where it went. */
static int refuse(TaskStore *s, const char *name, const char *what, char **ret_reason) {
        _cleanup_(freep) char *aside = NULL;
        int r;

        if (s->readonly)
                r = set_reason(ret_reason, "state file %s/%s: %s; left in place", s->path, name,
                               what);
        else {
                r = move_aside(s->dir_fd, name, &aside);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        r = set_reason(ret_reason,
                                       "state file %s/%s: %s; could not move it aside: %s",
                                       s->path, name, what, strerror(-r));
                else
                        r = set_reason(ret_reason, "state file %s/%s: %s; moved aside to %s/%s",
                                       s->path, name, what, s->path, aside);
        }
        return r < 0 ? r : -EBADMSG;
}

int task_store_load(TaskStore *s, const char *task_id, TaskRecord **ret, char **ret_reason) {
        _cleanup_(freep) char *name = NULL, *buf = NULL, *what = NULL;
        _cleanup_(task_record_freep) TaskRecord *rec = NULL;
        size_t len = 0;
        int r;

        if (ret_reason)
                *ret_reason = NULL;
        if (!s || !ret)
                return -EINVAL;
        r = file_name(task_id, &name);
        if (r < 0)
                return r;

        /* The reader opens with O_NONBLOCK: a FIFO planted here must not hang the daemon;
         * O_NOFOLLOW: nor may a symlink lead it to another file. */
        r = read_regular_file_at(s->dir_fd, name, TASK_STORE_MAX_FILE, READ_FILE_NOFOLLOW, &buf,
                                 &len, &what);
        if (r == -ENOENT || r == -ENOMEM || is_transient(-r))
                return r;
        if (r < 0)
                return refuse(s, name, what, ret_reason);

        r = task_record_from_json(buf, len, &rec, &what);
        if (r == -EBADMSG)
                return refuse(s, name, what, ret_reason);
        if (r < 0)
                return r;
        if (strcmp(rec->task_id, task_id) != 0)
                return refuse(s, name, "holds the record of another task", ret_reason);

        *ret = TAKE_PTR(rec);
        return 0;
}

int task_store_remove(TaskStore *s, const char *task_id) {
        _cleanup_(freep) char *name = NULL;
        int r;

        if (!s)
                return -EINVAL;
        if (s->readonly)
                return -EROFS;
        r = file_name(task_id, &name);
        if (r < 0)
                return r;
        if (unlinkat(s->dir_fd, name, 0) < 0)
                return errno == ENOENT ? 0 : -errno;
        s->unsynced = true;
        return 1;
}

int task_store_written(TaskStore *s, const char *task_id, usec_t *ret) {
        _cleanup_(freep) char *name = NULL;
        struct stat st;
        int r;

        if (!s)
                return -EINVAL;
        r = file_name(task_id, &name);
        if (r < 0)
                return r;
        if (fstatat(s->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        *ret = (usec_t) st.st_mtim.tv_sec * USEC_PER_SEC + (usec_t) st.st_mtim.tv_nsec / 1000;
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int task_store_list(TaskStore *s, char ***ret_ids) {
        _cleanup_(strv_freep) char **ids = NULL;
        size_t n = 0, cap = 0;
        DIR *d;
        int fd, r = 0;

        if (!s || !ret_ids)
                return -EINVAL;
        /* A descriptor of its own: a dup() would share (and move) the store's offset. */
        fd = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }

        for (;;) {
                struct dirent *de;
                char *id = NULL;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno > 0 ? -errno : 0;
                        break;
                }
                if (de->d_type == DT_DIR)
                        continue;
                r = task_id_of(de->d_name, &id);
                if (r < 0)
                        break;
                if (r == 0)
                        continue;
                if (n + 2 > cap) {
                        size_t c = cap ? cap * 2 : 16;
                        char **v = reallocarray(ids, c, sizeof(*v));

                        if (!v) {
                                free(id);
                                r = -ENOMEM;
                                break;
                        }
                        ids = v;
                        cap = c;
                }
                ids[n++] = id;
                ids[n] = NULL;
        }
        closedir(d);
        if (r < 0)
                return r;

        if (!ids) {
                ids = calloc(1, sizeof(*ids));
                if (!ids)
                        return -ENOMEM;
        }
        qsort(ids, n, sizeof(*ids), compare_strings);
        *ret_ids = TAKE_PTR(ids);
        return n > INT32_MAX ? INT32_MAX : (int) n;
}
