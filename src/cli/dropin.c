/* The drop-in taskwatch add/remove manage: a line-preserving edit, written atomically. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "dropin.h"
#include "util/strutil.h"

#define DROPIN_HEADER                                                                          \
        "# Tasks added with \"taskwatch add\"; \"taskwatch remove\" takes them out again.\n"   \
        "# Other lines of this file are kept as they are.\n"

/* One line of INI text, classified by the rules of config/ini.h. */
typedef struct IniLine {
        const char *start; /* the raw line, without its '\n' */
        size_t len;
        bool has_newline;
        bool is_section; /* [Name]: name/name_len */
        bool is_task;    /* Task= in a [Tasks] section: value/value_len */
        bool is_assignment;
        const char *name, *value;
        size_t name_len, value_len;
} IniLine;

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *n) {
        while (*n > 0 && is_blank(**s))
                (*s)++, (*n)--;
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
}

static bool mem_eq(const char *s, size_t n, const char *lit) {
        return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* Walks text line by line; *pos is the offset of the next line, *in_tasks whether the
 * current section is [Tasks]. Returns false at the end. */
static bool next_line(const char *text, size_t len, size_t *pos, bool *in_tasks, IniLine *l) {
        const char *s, *nl, *eq;
        size_t n;

        if (*pos >= len)
                return false;
        *l = (IniLine) { .start = text + *pos };
        nl = memchr(l->start, '\n', len - *pos);
        l->len = nl ? (size_t) (nl - l->start) : len - *pos;
        l->has_newline = nl;
        s = l->start;
        n = l->len;
        if (*pos == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3, n -= 3;
        *pos += l->len + (nl ? 1 : 0);

        trim(&s, &n);
        if (n == 0 || s[0] == '#' || s[0] == ';')
                return true;
        if (s[0] == '[' && s[n - 1] == ']' && n >= 2) {
                l->is_section = true;
                l->name = s + 1;
                l->name_len = n - 2;
                trim(&l->name, &l->name_len);
                *in_tasks = mem_eq(l->name, l->name_len, "Tasks");
                return true;
        }
        eq = memchr(s, '=', n);
        if (!eq)
                return true;
        l->is_assignment = true;
        l->name = s;
        l->name_len = (size_t) (eq - s);
        trim(&l->name, &l->name_len);
        l->value = eq + 1;
        l->value_len = n - (size_t) (eq + 1 - s);
        trim(&l->value, &l->value_len);
        l->is_task = *in_tasks && mem_eq(l->name, l->name_len, "Task");
        return true;
}

/* The next whitespace-separated id of a Task= value, advancing *v and *n. */
static bool next_id(const char **v, size_t *n, const char **id, size_t *id_len) {
        while (*n > 0 && is_blank(**v))
                (*v)++, (*n)--;
        if (*n == 0)
                return false;
        *id = *v;
        while (*n > 0 && !is_blank(**v))
                (*v)++, (*n)--;
        *id_len = (size_t) (*v - *id);
        return true;
}

static ssize_t find_id(char *const *ids, size_t n, const char *id, size_t id_len) {
        for (size_t i = 0; i < n; i++)
                if (mem_eq(id, id_len, ids[i]))
                        return (ssize_t) i;
        return -1;
}

int dropin_list_tasks(const char *text, size_t len, char ***ret) {
        _cleanup_(strv_freep) char **l = NULL;
        size_t pos = 0, n = 0;
        bool in_tasks = false;
        IniLine line;

        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        while (next_line(text, len, &pos, &in_tasks, &line)) {
                const char *v = line.value, *id;
                size_t vn = line.value_len, id_len;

                if (!line.is_task)
                        continue;
                if (vn == 0) { /* "Task=" resets the list */
                        for (size_t i = 0; i < n; i++)
                                free(l[i]);
                        l[n = 0] = NULL;
                        continue;
                }
                while (next_id(&v, &vn, &id, &id_len)) {
                        if (find_id(l, n, id, id_len) >= 0)
                                continue;
                        char **t = reallocarray(l, n + 2, sizeof(char *));
                        if (!t)
                                return -ENOMEM;
                        l = t;
                        l[n] = strndup(id, id_len);
                        if (!l[n])
                                return -ENOMEM;
                        l[++n] = NULL;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int edit_add(const char *text, size_t len, char *const *ids, size_t n, bool *changed,
                    char **ret) {
        _cleanup_(strv_freep) char **present = NULL;
        _cleanup_(strbuf_clear) StrBuf b = {};
        size_t pos = 0, insert_at = 0;
        bool in_tasks = false, have_tasks = false, any = false, need_newline = false;
        IniLine line;
        int r;

        r = dropin_list_tasks(text, len, &present);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t n_present = 0;
                while (present[n_present])
                        n_present++;
                changed[i] = find_id(present, n_present, ids[i], strlen(ids[i])) < 0 &&
                             find_id(ids, i, ids[i], strlen(ids[i])) < 0;
                any = any || changed[i];
        }
        if (!any) {
                *ret = NULL;
                return 0;
        }

        /* After the last header or assignment of the last [Tasks] section: comments and
         * blank lines that follow it belong to whatever comes next. */
        while (next_line(text, len, &pos, &in_tasks, &line))
                if (in_tasks && (line.is_section || line.is_assignment)) {
                        have_tasks = true;
                        insert_at = pos;
                        need_newline = !line.has_newline;
                }

        if (!have_tasks) {
                insert_at = len;
                need_newline = len > 0 && text[len - 1] != '\n';
        }
        if (strbuf_append(&b, text, insert_at) < 0 || (need_newline && strbuf_append(&b, "\n", 1) < 0))
                return -ENOMEM;
        if (!have_tasks) {
                r = len == 0 ? strbuf_appendf(&b, "%s[Tasks]\n", DROPIN_HEADER)
                             : strbuf_appendf(&b, "\n[Tasks]\n");
                if (r < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                if (changed[i] && strbuf_appendf(&b, "Task=%s\n", ids[i]) < 0)
                        return -ENOMEM;
        if (strbuf_append(&b, text + insert_at, len - insert_at) < 0)
                return -ENOMEM;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

static int edit_remove(const char *text, size_t len, char *const *ids, size_t n, bool *changed,
                       char **ret) {
        _cleanup_(strbuf_clear) StrBuf b = {};
        size_t pos = 0;
        bool in_tasks = false, any = false;
        IniLine line;

        for (size_t i = 0; i < n; i++)
                changed[i] = false;

        while (next_line(text, len, &pos, &in_tasks, &line)) {
                const char *v = line.value, *id;
                size_t vn = line.value_len, id_len, kept = 0, dropped = 0;
                StrBuf rest = {};

                if (line.is_task)
                        while (next_id(&v, &vn, &id, &id_len)) {
                                ssize_t k = find_id(ids, n, id, id_len);
                                if (k >= 0) {
                                        changed[k] = true;
                                        dropped++;
                                } else if (strbuf_appendf(&rest, "%s%.*s", kept++ ? " " : "",
                                                          (int) id_len, id) < 0) {
                                        strbuf_clear(&rest);
                                        return -ENOMEM;
                                }
                        }
                if (dropped == 0) {
                        if (strbuf_append(&b, line.start, line.len + (line.has_newline ? 1 : 0)) < 0)
                                return -ENOMEM;
                } else if (kept > 0) {
                        int r = strbuf_appendf(&b, "Task=%s%s", rest.data, line.has_newline ? "\n" : "");
                        if (r < 0) {
                                strbuf_clear(&rest);
                                return -ENOMEM;
                        }
                }
                any = any || dropped > 0;
                strbuf_clear(&rest);
        }
        if (!any) {
                *ret = NULL;
                return 0;
        }
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

int dropin_edit_text(const char *text, size_t len, DropinOp op, char *const *ids, size_t n,
                     bool *changed, char **ret) {
        return op == DROPIN_ADD ? edit_add(text, len, ids, n, changed, ret)
                                : edit_remove(text, len, ids, n, changed, ret);
}

int dropin_dir(const char *config_path, char **ret) {
        char *d;

        if (asprintf(&d, "%s.d", config_path ? config_path : CONFIG_DEFAULT_PATH) < 0)
                return -ENOMEM;
        *ret = d;
        return 0;
}

/* A directory we create is 0755 whatever the umask: under umask 077 (hardened hosts, and
 * sudo keeps it) it would be 0700, and the unit's DynamicUser= could not read its own
 * configuration. One that exists keeps the mode its owner gave it. */
static int mkdir_0755(const char *dir) {
        if (mkdir(dir, 0755) < 0)
                return errno == EEXIST ? 0 : -errno;
        return chmod(dir, 0755) < 0 ? -errno : 0;
}

/* mkdir that also creates the parent (/etc/taskwatchd) when it is missing. */
static int mkdir_with_parent(const char *dir) {
        _cleanup_(freep) char *copy = NULL;
        int r;

        r = mkdir_0755(dir);
        if (r != -ENOENT)
                return r;
        copy = strdup(dir);
        if (!copy)
                return -ENOMEM;
        r = mkdir_0755(dirname(copy));
        return r < 0 ? r : mkdir_0755(dir);
}

static int read_all(int fd, char **ret, size_t *ret_len) {
        _cleanup_(strbuf_clear) StrBuf b = { .limit = CONFIG_FILE_SIZE_MAX };
        char buf[16384];

        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                int r = strbuf_append(&b, buf, (size_t) k);
                if (r < 0)
                        return r;
        }
        *ret_len = b.len;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Write text to a temporary file in dir, then rename it over name: readers (the daemon
 * reloading at this moment) see the old file or the new one, never half of one. */
static int replace_file(int dfd, const char *dir, const char *name, const char *text, mode_t mode) {
        _cleanup_(freep) char *tmp = NULL;
        _cleanup_(closep) int fd = -1;
        int r = 0;

        /* Not ending in .conf, so that a crash leaves nothing the daemon would read. */
        if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, name) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, mode) < 0 || (r = write_all(fd, text, strlen(text))) < 0 || fsync(fd) < 0 ||
            close(TAKE_FD(fd)) < 0) {
                r = r < 0 ? r : -errno;
                (void) unlink(tmp);
                return r;
        }
        if (renameat(AT_FDCWD, tmp, dfd, name) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        /* The rename itself must reach the disk too. */
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

int dropin_update(const char *dir, DropinOp op, char *const *ids, size_t n, bool *changed,
                  char **ret_path) {
        _cleanup_(freep) char *path = NULL, *old = NULL, *new = NULL;
        _cleanup_(closep) int dfd = -1, fd = -1;
        mode_t mode = 0644; /* set with fchmod(), so not narrowed by the umask: see mkdir_0755() */
        size_t len = 0;
        int r;

        if (asprintf(&path, "%s/%s", dir, DROPIN_NAME) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        if (op == DROPIN_ADD) {
                r = mkdir_with_parent(dir);
                if (r < 0)
                        return r;
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && !(errno == ENOENT && op == DROPIN_REMOVE))
                return -errno;
        if (dfd >= 0) {
                /* Two taskwatch add at once must not lose one of the edits. */
                if (flock(dfd, LOCK_EX) < 0)
                        return -errno;
                fd = openat(dfd, DROPIN_NAME, O_RDONLY | O_CLOEXEC);
                if (fd < 0 && errno != ENOENT)
                        return -errno;
        }
        if (fd >= 0) {
                struct stat st;

                if (fstat(fd, &st) < 0)
                        return -errno;
                if (!S_ISREG(st.st_mode))
                        return -EISDIR;
                mode = st.st_mode & 07777;
                r = read_all(fd, &old, &len);
                if (r < 0)
                        return r;
        }

        r = dropin_edit_text(old ? old : "", len, op, ids, n, changed, &new);
        if (r < 0)
                return r;
        if (new) {
                r = replace_file(dfd, dir, DROPIN_NAME, new, mode);
                if (r < 0)
                        return r;
        }
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}
