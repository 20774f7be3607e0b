/* Secret files: regular, small, private when asked, read into a buffer that is wiped. */
#include "creds/secret-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/strutil.h"

bool secret_file_mode_ok(mode_t mode) {
        return (mode & (S_IRGRP | S_IROTH)) == 0;
}

_printf_(3, 4) static int fail(char **error, int r, const char *fmt, ...) {
        va_list ap;

        if (error) {
                free(*error);
                va_start(ap, fmt);
                if (vasprintf(error, fmt, ap) < 0) {
                        *error = NULL;
                        r = -ENOMEM;
                }
                va_end(ap);
        }
        return r;
}

int secret_file_read(const char *path, SecretFileFlags flags, char **ret, size_t *ret_len,
                     char **error) {
        size_t max = flags & SECRET_FILE_LARGE ? SECRET_FILE_MAX_LARGE : SECRET_FILE_MAX;
        _cleanup_(closep) int fd = -1;
        _cleanup_(free_secretp) char *buf = NULL;
        size_t len = 0;
        struct stat st;

        /* O_NONBLOCK: a FIFO put in place of the file must not hang the daemon. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return fail(error, -errno, "%s: cannot open: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return fail(error, -errno, "%s: cannot stat: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail(error, -EINVAL, "%s: not a regular file", path);
        if ((flags & SECRET_FILE_PRIVATE) && !secret_file_mode_ok(st.st_mode))
                return fail(error, -EPERM,
                            "%s: mode %04o lets group or others read it; it must be readable by "
                            "its owner only (chmod 600 %s)",
                            path, (unsigned) (st.st_mode & 07777), path);
        if ((size_t) st.st_size > max)
                return fail(error, -EFBIG, "%s: larger than %zu bytes", path, max);

        /* One allocation of the most we accept: a realloc would leave copies behind. */
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, buf + len, max + 1 - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        buf[len] = '\0';
                        return fail(error, -errno, "%s: read failed: %s", path, strerror(errno));
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max) {
                        explicit_bzero(buf, len);
                        buf[0] = '\0';
                        return fail(error, -EFBIG, "%s: larger than %zu bytes", path, max);
                }
        }
        buf[len] = '\0';

        /* No secret or JSON document holds one, and free_secret() wipes up to the first. */
        if (memchr(buf, '\0', len)) {
                explicit_bzero(buf, len);
                return fail(error, -EINVAL, "%s: contains a NUL byte", path);
        }
        if (flags & SECRET_FILE_TRIM) {
                while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
                        buf[--len] = '\0';
                if (len == 0) /* its own code: a blank systemd credential means "none here" */
                        return fail(error, -ENODATA, "%s: empty", path);
        }

        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}
