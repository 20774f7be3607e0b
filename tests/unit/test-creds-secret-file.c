/* Tests for secret files: the mode check and its message, trimming, size and type limits. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds/secret-file.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/strutil.h"

static char dir[] = "/tmp/test-creds-secret-XXXXXX";

/* Writes len bytes to dir/name with mode; returns the path (static buffer). */
static const char *put(const char *name, const char *data, size_t len, mode_t mode) {
        static char path[256];
        int fd;

        snprintf(path, sizeof path, "%s/%s", dir, name);
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return NULL;
        if (write(fd, data, len) != (ssize_t) len) {
                close(fd);
                return NULL;
        }
        close(fd);
        if (chmod(path, mode) < 0)
                return NULL;
        return path;
}

static void test_mode_check(void) {
        ASSERT_TRUE(secret_file_mode_ok(0600));
        ASSERT_TRUE(secret_file_mode_ok(0400));
        ASSERT_TRUE(secret_file_mode_ok(0700));
        ASSERT_TRUE(secret_file_mode_ok(0620)); /* group may write, not read */
        ASSERT_TRUE(!secret_file_mode_ok(0640));
        ASSERT_TRUE(!secret_file_mode_ok(0604));
        ASSERT_TRUE(!secret_file_mode_ok(0644));
}

static void test_private_file_read_and_trimmed(void) {
        _cleanup_(free_secretp) char *s = NULL;
        _cleanup_(freep) char *error = NULL;
        const char *p = put("ok", "s3cret \r\n\n", 10, 0600);
        size_t len = 0;

        ASSERT_NOT_NULL(p);
        ASSERT_OK(secret_file_read(p, SECRET_FILE_PRIVATE | SECRET_FILE_TRIM, &s, &len, &error));
        ASSERT_STR_EQ(s, "s3cret");
        ASSERT_INT_EQ(len, 6);
        ASSERT_NULL(error);
}

static void test_readable_by_others_is_refused_with_the_fix(void) {
        _cleanup_(free_secretp) char *s = NULL;
        _cleanup_(freep) char *error = NULL, *want = NULL;
        const char *p = put("open", "s3cret", 6, 0644);

        ASSERT_NOT_NULL(p);
        ASSERT_INT_EQ(secret_file_read(p, SECRET_FILE_PRIVATE, &s, NULL, &error), -EPERM);
        ASSERT_NULL(s);
        ASSERT_TRUE(asprintf(&want, "%s: mode 0644 lets group or others read it; it must be "
                                    "readable by its owner only (chmod 600 %s)", p, p) > 0);
        ASSERT_STR_EQ(error, want);
        ASSERT_TRUE(!strstr(error, "s3cret"));

        /* Without the flag (a token projected by the kubelet), the same file is fine. */
        ASSERT_OK(secret_file_read(p, SECRET_FILE_TRIM, &s, NULL, NULL));
        ASSERT_STR_EQ(s, "s3cret");
}

static void test_missing_empty_nul_and_odd_files(void) {
        _cleanup_(free_secretp) char *s = NULL;
        _cleanup_(freep) char *error = NULL, *missing = NULL;
        const char *p;

        ASSERT_TRUE(asprintf(&missing, "%s/none", dir) > 0);
        ASSERT_INT_EQ(secret_file_read(missing, SECRET_FILE_TRIM, &s, NULL, &error), -ENOENT);
        ASSERT_TRUE(strstr(error, missing) != NULL);

        p = put("blank", " \n", 2, 0600);
        ASSERT_INT_EQ(secret_file_read(p, SECRET_FILE_TRIM, &s, NULL, &error), -ENODATA);
        ASSERT_TRUE(strstr(error, ": empty") != NULL);

        p = put("nul", "ab\0cd", 5, 0600);
        ASSERT_INT_EQ(secret_file_read(p, 0, &s, NULL, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "NUL") != NULL);

        ASSERT_INT_EQ(secret_file_read(dir, 0, &s, NULL, &error), -EINVAL);
        ASSERT_TRUE(strstr(error, "not a regular file") != NULL);
        ASSERT_NULL(s);
}

static void test_size_caps(void) {
        _cleanup_(free_secretp) char *s = NULL;
        _cleanup_(freep) char *big = malloc(SECRET_FILE_MAX + 1);
        const char *p;
        size_t len = 0;

        ASSERT_NOT_NULL(big);
        memset(big, 'a', SECRET_FILE_MAX + 1);
        p = put("big", big, SECRET_FILE_MAX + 1, 0600);
        ASSERT_INT_EQ(secret_file_read(p, 0, &s, NULL, NULL), -EFBIG);
        ASSERT_OK(secret_file_read(p, SECRET_FILE_LARGE, &s, &len, NULL));
        ASSERT_INT_EQ(len, SECRET_FILE_MAX + 1);
        p = put("exact", big, SECRET_FILE_MAX, 0600);
        free_secret(s);
        s = NULL;
        ASSERT_OK(secret_file_read(p, 0, &s, &len, NULL));
        ASSERT_INT_EQ(len, SECRET_FILE_MAX);
}

static void test_setup(void) {
        ASSERT_NOT_NULL(mkdtemp(dir));
}

static void test_cleanup(void) {
        const char *names[] = { "ok", "open", "blank", "nul", "big", "exact" };
        char path[256];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                (void) unlink(path);
        }
        ASSERT_OK(rmdir(dir));
}

TEST_MAIN(TEST_CASE(test_setup),
          TEST_CASE(test_mode_check),
          TEST_CASE(test_private_file_read_and_trimmed),
          TEST_CASE(test_readable_by_others_is_refused_with_the_fix),
          TEST_CASE(test_missing_empty_nul_and_odd_files),
          TEST_CASE(test_size_caps),
          TEST_CASE(test_cleanup));
