/* The one bounded reader of small regular files: checked before and after opening, capped
 * on what is actually read, wiped when it held a secret. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/reason.h"

bool file_mode_is_private(mode_t mode) {
        return (mode & (S_IRGRP | S_IROTH)) == 0;
}

static int check_stat(const struct stat *st, const char *path, size_t max, ReadFileFlags flags,
                      char **reason) {
        if (!S_ISREG(st->st_mode))
                return reason_set(reason, -EINVAL, "not a regular file");
        if ((flags & READ_FILE_PRIVATE) && !file_mode_is_private(st->st_mode))
                return reason_set(reason, -EPERM,
                            "mode %04o lets group or others read it; it must be readable by its "
                            "owner only (chmod 600 %s)",
                            (unsigned) (st->st_mode & 07777), path);
        if ((size_t) st->st_size > max)
                return reason_set(reason, -EFBIG, "larger than the limit of %zu bytes", max);
        return 0;
}

static void free_wiped(char *buf, size_t len) {
        if (buf)
                explicit_bzero(buf, len);
        free(buf);
}

int read_regular_file_at(int dir_fd, const char *path, size_t max, ReadFileFlags flags,
                         char **ret, size_t *ret_len, char **ret_reason) {
        bool secret = flags & READ_FILE_SECRET;
        _cleanup_(closep) int fd = -1;
        char *buf = NULL;
        size_t len = 0, size;
        struct stat st;
        int r;

        if (!path || !ret || max >= SIZE_MAX)
                return -EINVAL;

        /* A symlink is left to open() to refuse, so that it is refused the same way whether
         * it dangles or not. */
        if (fstatat(dir_fd, path, &st, flags & READ_FILE_NOFOLLOW ? AT_SYMLINK_NOFOLLOW : 0) < 0)
                return reason_set(ret_reason, -errno, "cannot open: %s", strerror(errno));
        if (!S_ISLNK(st.st_mode) && (r = check_stat(&st, path, max, flags, ret_reason)) < 0)
                return r;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                                          (flags & READ_FILE_NOFOLLOW ? O_NOFOLLOW : 0));
        if (fd < 0)
                return reason_set(ret_reason, -errno, "cannot open: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return reason_set(ret_reason, -errno, "cannot stat: %s", strerror(errno));
        r = check_stat(&st, path, max, flags, ret_reason);
        if (r < 0)
                return r;

        /* st_size is a hint only: the file may grow under us, so the cap is checked on what
         * was actually read, with one byte of room to notice. */
        size = secret || (size_t) st.st_size >= max ? max + 1 : (size_t) st.st_size + 1;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k;

                if (len == size) {
                        size_t n = size > max / 2 ? max + 1 : size * 2;
                        char *p;

                        if (size > max) {
                                free_wiped(buf, len);
                                return reason_set(ret_reason, -EFBIG, "larger than the limit of %zu bytes",
                                            max);
                        }
                        p = realloc(buf, n); /* never for a secret: its buffer is max + 1 */
                        if (!p) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = p;
                        size = n;
                }
                k = read(fd, buf + len, size - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        free_wiped(buf, len);
                        return reason_set(ret_reason, r, "read failed: %s", strerror(-r));
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = '\0'; /* len < size: a full buffer is grown or refused before reading */

        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}
