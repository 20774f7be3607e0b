/* Secret files: regular, small, private when asked, read into a buffer that is wiped. */
#include "creds/secret-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/reason.h"
#include "util/strutil.h"

bool secret_file_mode_ok(mode_t mode) {
        return file_mode_is_private(mode);
}

int secret_file_read(const char *path, SecretFileFlags flags, char **ret, size_t *ret_len,
                     char **error) {
        size_t max = flags & SECRET_FILE_LARGE ? SECRET_FILE_MAX_LARGE : SECRET_FILE_MAX;
        _cleanup_(free_secretp) char *buf = NULL;
        _cleanup_(freep) char *why = NULL;
        size_t len = 0;
        int r;

        r = read_regular_file_at(AT_FDCWD, path, max,
                                 READ_FILE_SECRET |
                                         (flags & SECRET_FILE_PRIVATE ? READ_FILE_PRIVATE : 0),
                                 &buf, &len, &why);
        if (r == -EFBIG) /* in the words this file always used */
                return reason_set(error, r, "%s: larger than %zu bytes", path, max);
        if (r < 0 && why)
                return reason_set(error, r, "%s: %s", path, why);
        if (r < 0)
                return r;

        /* No secret or JSON document holds one, and free_secret() wipes up to the first. */
        if (memchr(buf, '\0', len)) {
                explicit_bzero(buf, len);
                return reason_set(error, -EINVAL, "%s: contains a NUL byte", path);
        }
        if (flags & SECRET_FILE_TRIM) {
                while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
                        buf[--len] = '\0';
                if (len == 0) /* its own code: a blank systemd credential means "none here" */
                        return reason_set(error, -ENODATA, "%s: empty", path);
        }

        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}
