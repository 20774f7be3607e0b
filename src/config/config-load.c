/* Reading the main configuration file and its drop-ins from disk into one Config. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "util/fileio.h"

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

/* Reports "PATH: what[: strerror]" and returns -EINVAL (or -ENOMEM). */
static int file_problem(ConfigDiagnostics *diag, const char *path, const char *what, int err) {
        int r;

        if (err > 0)
                r = config_diagnostics_add(diag, "%s: %s: %s", path, what, strerror(err));
        else
                r = config_diagnostics_add(diag, "%s: %s", path, what);
        return r < 0 ? r : -EINVAL;
}

/* Reads a regular file of at most CONFIG_FILE_SIZE_MAX bytes; problems go to diag as
 * "FILE: why" and give -EINVAL. -ENOENT is returned silently when missing_ok. */
static int read_config_file(const char *path, bool missing_ok, char **ret, size_t *ret_len,
                            ConfigDiagnostics *diag) {
        _cleanup_(freep) char *why = NULL;
        int r;

        r = read_regular_file_at(AT_FDCWD, path, CONFIG_FILE_SIZE_MAX, 0, ret, ret_len, &why);
        if (r == -ENOENT && missing_ok)
                return -ENOENT;
        if (r == -EFBIG)
                return file_problem(diag, path, "larger than 1 MiB, refusing it", 0);
        if (r < 0 && why)
                return file_problem(diag, path, why, 0);
        return r;
}

/* Returns 0 when the file was applied cleanly or is missing and may be, -EINVAL when it had
 * problems (in diag), -ENOMEM. */
static int load_one(Config *c, const char *path, bool missing_ok, ConfigDiagnostics *diag) {
        _cleanup_(freep) char *text = NULL;
        size_t len = 0;
        int r;

        r = read_config_file(path, missing_ok, &text, &len, diag);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        return config_parse_text(c, text, len, path, diag);
}

static int cmp_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The drop-in names to read, sorted; a missing directory has none. */
static int list_dropins(const char *dir, char ***ret, ConfigDiagnostics *diag) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        _cleanup_(strv_freep) char **names = NULL;
        size_t n = 0;

        if (!d) {
                if (errno == ENOENT) {
                        *ret = NULL;
                        return 0;
                }
                return file_problem(diag, dir, "cannot open directory", errno);
        }

        names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;

        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno == 0)
                                break;
                        return file_problem(diag, dir, "cannot read directory", errno);
                }

                /* Hidden files are editors' and package managers' leftovers. */
                size_t l = strlen(de->d_name);
                if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 5, ".conf") != 0)
                        continue;

                /* Following symlinks: one to /dev/null masks a file, as in systemd. */
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                        continue;

                char **t = reallocarray(names, n + 2, sizeof(char *));
                if (!t)
                        return -ENOMEM;
                names = t;
                names[n] = strdup(de->d_name);
                if (!names[n])
                        return -ENOMEM;
                names[++n] = NULL;
        }

        qsort(names, n, sizeof(char *), cmp_strings);
        *ret = TAKE_PTR(names);
        return 0;
}

int config_load(const char *path, const ConfigLoadOptions *o, Config **ret, ConfigDiagnostics *diag) {
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_(strv_freep) char **names = NULL;
        _cleanup_(freep) char *dir = NULL;
        bool failed = false;
        bool explicit = path;
        size_t first = diag ? diag->n_messages : 0;
        int r;

        if (!path)
                path = CONFIG_DEFAULT_PATH;

        r = config_new(&c);
        if (r < 0)
                return r;
        c->allow_plain_http = o && o->allow_plain_http;

        r = load_one(c, path, !explicit, diag);
        if (r == -ENOMEM)
                return r;
        failed = failed || r < 0;

        if (asprintf(&dir, "%s.d", path) < 0) {
                dir = NULL;
                return -ENOMEM;
        }
        r = list_dropins(dir, &names, diag);
        if (r == -ENOMEM)
                return r;
        failed = failed || r < 0;

        for (char **n = names; n && *n; n++) {
                _cleanup_(freep) char *p = NULL;
                if (asprintf(&p, "%s/%s", dir, *n) < 0) {
                        p = NULL;
                        return -ENOMEM;
                }
                r = load_one(c, p, false, diag);
                if (r == -ENOMEM)
                        return r;
                failed = failed || r < 0;
        }

        r = config_finish(c, diag);
        if (r == -ENOMEM)
                return r;
        if (failed || r < 0) {
                /* The files read, in order, to sort the problems by file and line. */
                size_t n_names = 0;
                while (names && names[n_names])
                        n_names++;
                _cleanup_(freep) char **files = calloc(n_names + 2, sizeof(char *));
                _cleanup_(strv_freep) char **owned = calloc(n_names + 1, sizeof(char *));
                if (!files || !owned)
                        return -ENOMEM;
                files[0] = (char *) path;
                for (size_t i = 0; i < n_names; i++) {
                        if (asprintf(&owned[i], "%s/%s", dir, names[i]) < 0) {
                                owned[i] = NULL;
                                return -ENOMEM;
                        }
                        files[i + 1] = owned[i];
                }
                if (config_diagnostics_sort(diag, first, files, n_names + 1) < 0)
                        return -ENOMEM;
                return -EINVAL;
        }

        *ret = TAKE_PTR(c);
        return 0;
}
