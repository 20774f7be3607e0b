/* Reading a secret from a small file: size-capped, into memory that is wiped when freed, with
 * the permission check that keeps other users out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SECRET_FILE_MAX (64U * 1024U)     /* a key, a token, a JWT */
#define SECRET_FILE_MAX_LARGE (1024U * 1024U) /* the aliyun CLI's config.json */

typedef enum SecretFileFlags {
        SECRET_FILE_PRIVATE = 1 << 0, /* refuse a file readable by group or others */
        SECRET_FILE_TRIM = 1 << 1,    /* drop trailing whitespace (an editor's newline) and
                                       * refuse an empty result */
        SECRET_FILE_LARGE = 1 << 2,   /* allow SECRET_FILE_MAX_LARGE bytes */
} SecretFileFlags;

/* True when mode lets nobody but the owner read the file. */
bool secret_file_mode_ok(mode_t mode);

/* Reads the regular file path into *ret (NUL-terminated; free it with free_secret()), its
 * length into *ret_len (optional). On failure *error (optional) names the file and what to
 * do, never quoting its content: -ENOENT missing, -EPERM readable by group or others,
 * -ENODATA empty (with SECRET_FILE_TRIM), -EINVAL not a regular file or a NUL byte (always
 * refused), -EFBIG too large, other -errno. */
int secret_file_read(const char *path, SecretFileFlags flags, char **ret, size_t *ret_len,
                     char **error);
