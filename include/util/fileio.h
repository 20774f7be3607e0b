/* Reading a whole small regular file: the one bounded reader for config, state and secrets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef enum ReadFileFlags {
        READ_FILE_NOFOLLOW = 1 << 0, /* a symlink in the file's place is refused (O_NOFOLLOW) */
        READ_FILE_PRIVATE = 1 << 1,  /* refuse a file that group or others may read */
        READ_FILE_SECRET = 1 << 2,   /* one buffer of max + 1 bytes, wiped when the read fails:
                                      * growing it would leave copies of a secret behind */
} ReadFileFlags;

/* True when mode lets nobody but the owner read the file. */
bool file_mode_is_private(mode_t mode);

/* Reads the regular file path (relative to dir_fd unless absolute; AT_FDCWD for the working
 * directory) of at most max bytes into *ret, NUL-terminated (the text may hold NUL bytes of
 * its own: *ret_len says where it ends). A file that is not regular is refused before it is
 * opened (a device node can have effects) and again after (O_NONBLOCK, so a FIFO swapped in
 * cannot hang the reader). With READ_FILE_SECRET free *ret with free_secret().
 *
 * On failure *ret_reason (optional) says what is wrong without naming the file, which each
 * caller names its own way: "cannot open: No such file or directory", "cannot stat: ...",
 * "not a regular file", "mode 0644 lets group or others read it; it must be readable by its
 * owner only (chmod 600 PATH)", "larger than the limit of 65536 bytes", "read failed: ...".
 * Returns the -errno of open/stat/read as it came (-ENOENT, -ELOOP, -EACCES, ...), -EINVAL
 * not a regular file, -EPERM not private, -EFBIG larger than max, -ENOMEM (no reason). */
int read_regular_file_at(int dir_fd, const char *path, size_t max, ReadFileFlags flags,
                         char **ret, size_t *ret_len, char **ret_reason);
