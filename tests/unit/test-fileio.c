/* Tests for the bounded file reader: what it refuses (and before opening what), its caps,
 * and the reasons it gives. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/fileio.h"

static char dir[] = "/tmp/test-fileio-XXXXXX";

/* Writes len bytes to dir/name with mode; the path goes into path. */
static void put(const char *name, const char *data, size_t len, mode_t mode, char *path,
                size_t size) {
        int fd;

        snprintf(path, size, "%s/%s", dir, name);
        (void) unlink(path);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, data, len) == (ssize_t) len);
        ASSERT_INT_EQ(close(fd), 0);
        ASSERT_INT_EQ(chmod(path, mode), 0);
}

static void test_setup(void) {
        ASSERT_NOT_NULL(mkdtemp(dir));
}

static void test_reads_whole_file_nul_terminated(void) {
        _cleanup_(freep) char *buf = NULL, *reason = NULL;
        char path[256];
        size_t len = 0;

        put("a", "ab\0cd", 5, 0644, path, sizeof path);
        ASSERT_OK(read_regular_file_at(AT_FDCWD, path, 5, 0, &buf, &len, &reason));
        ASSERT_INT_EQ(len, 5);
        ASSERT_TRUE(memcmp(buf, "ab\0cd", 6) == 0); /* its own NUL kept, one added */
        ASSERT_NULL(reason);
}

static void test_relative_to_a_directory(void) {
        _cleanup_(freep) char *buf = NULL;
        _cleanup_(closep) int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char path[256];

        ASSERT_TRUE(dfd >= 0);
        put("rel", "x", 1, 0600, path, sizeof path);
        ASSERT_OK(read_regular_file_at(dfd, "rel", 10, READ_FILE_NOFOLLOW, &buf, NULL, NULL));
        ASSERT_STR_EQ(buf, "x");
}

static void test_empty_file_is_read(void) {
        _cleanup_(freep) char *buf = NULL;
        char path[256];
        size_t len = 1;

        put("empty", "", 0, 0600, path, sizeof path);
        ASSERT_OK(read_regular_file_at(AT_FDCWD, path, 10, 0, &buf, &len, NULL));
        ASSERT_INT_EQ(len, 0);
        ASSERT_STR_EQ(buf, "");
}

static void test_size_cap(void) {
        _cleanup_(freep) char *buf = NULL, *reason = NULL;
        char path[256];
        size_t len = 0;

        put("big", "0123456789", 10, 0600, path, sizeof path);
        ASSERT_OK(read_regular_file_at(AT_FDCWD, path, 10, 0, &buf, &len, NULL));
        ASSERT_INT_EQ(len, 10);
        free(buf);
        buf = NULL;
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, path, 9, 0, &buf, &len, &reason), -EFBIG);
        ASSERT_STR_EQ(reason, "larger than the limit of 9 bytes");
        ASSERT_NULL(buf);
        free(reason);
        reason = NULL;
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, path, 9, READ_FILE_SECRET, &buf, &len, &reason),
                      -EFBIG);
        ASSERT_NULL(buf);
}

static void test_missing_directory_fifo_symlink(void) {
        _cleanup_(freep) char *buf = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
        char path[256], fifo[256], link[256], target[256];

        snprintf(path, sizeof path, "%s/none", dir);
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, path, 10, 0, &buf, NULL, &r1), -ENOENT);
        ASSERT_STR_EQ(r1, "cannot open: No such file or directory");

        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, dir, 10, 0, &buf, NULL, &r2), -EINVAL);
        ASSERT_STR_EQ(r2, "not a regular file");

        /* Refused before opening: opening it without O_NONBLOCK would block, the test too. */
        snprintf(fifo, sizeof fifo, "%s/fifo", dir);
        ASSERT_INT_EQ(mkfifo(fifo, 0600), 0);
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, fifo, 10, 0, &buf, NULL, &r3), -EINVAL);
        ASSERT_STR_EQ(r3, "not a regular file");

        /* A symlink is followed unless READ_FILE_NOFOLLOW; then refused, dangling or not. */
        put("target", "t", 1, 0600, target, sizeof target);
        snprintf(link, sizeof link, "%s/link", dir);
        ASSERT_INT_EQ(symlink(target, link), 0);
        ASSERT_OK(read_regular_file_at(AT_FDCWD, link, 10, 0, &buf, NULL, NULL));
        ASSERT_STR_EQ(buf, "t");
        free(buf);
        buf = NULL;
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, link, 10, READ_FILE_NOFOLLOW, &buf, NULL, &r4),
                      -ELOOP);
        ASSERT_TRUE(strncmp(r4, "cannot open: ", 13) == 0);
        ASSERT_INT_EQ(unlink(target), 0);
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, link, 10, READ_FILE_NOFOLLOW, &buf, NULL, NULL),
                      -ELOOP);
        ASSERT_NULL(buf);
        (void) unlink(link);
        (void) unlink(fifo);
}

static void test_private_mode(void) {
        _cleanup_(freep) char *buf = NULL, *reason = NULL, *want = NULL;
        char path[256];

        ASSERT_TRUE(file_mode_is_private(0600));
        ASSERT_TRUE(file_mode_is_private(0620)); /* group may write, not read */
        ASSERT_TRUE(!file_mode_is_private(0640));
        ASSERT_TRUE(!file_mode_is_private(0604));

        put("open", "s3cret", 6, 0644, path, sizeof path);
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, path, 100, READ_FILE_PRIVATE | READ_FILE_SECRET,
                                           &buf, NULL, &reason),
                      -EPERM);
        ASSERT_TRUE(asprintf(&want, "mode 0644 lets group or others read it; it must be readable "
                                    "by its owner only (chmod 600 %s)", path) > 0);
        ASSERT_STR_EQ(reason, want);
        ASSERT_NULL(buf);
        ASSERT_OK(read_regular_file_at(AT_FDCWD, path, 100, READ_FILE_SECRET, &buf, NULL, NULL));
        ASSERT_STR_EQ(buf, "s3cret");
}

static void test_bad_arguments(void) {
        char *buf = NULL;

        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, NULL, 10, 0, &buf, NULL, NULL), -EINVAL);
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, "/etc/hostname", 10, 0, NULL, NULL, NULL),
                      -EINVAL);
        ASSERT_NULL(buf);
}

static void test_size_is_a_hint_only(void) {
        _cleanup_(freep) char *buf = NULL, *reason = NULL;
        size_t len = 0;

        /* procfs says 0 bytes: the buffer grows to what is there, up to the cap. */
        ASSERT_OK(read_regular_file_at(AT_FDCWD, "/proc/self/status", 1 << 20, 0, &buf, &len, NULL));
        ASSERT_TRUE(len > 100);
        ASSERT_INT_EQ(strlen(buf), len);
        free(buf);
        buf = NULL;
        ASSERT_INT_EQ(read_regular_file_at(AT_FDCWD, "/proc/self/status", 100, 0, &buf, &len,
                                           &reason),
                      -EFBIG);
        ASSERT_STR_EQ(reason, "larger than the limit of 100 bytes");
}

static void test_cleanup(void) {
        const char *names[] = { "a", "rel", "empty", "big", "open" };
        char path[256];

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(path, sizeof path, "%s/%s", dir, names[i]);
                (void) unlink(path);
        }
        ASSERT_OK(rmdir(dir));
}

TEST_MAIN(TEST_CASE(test_setup),
          TEST_CASE(test_reads_whole_file_nul_terminated),
          TEST_CASE(test_relative_to_a_directory),
          TEST_CASE(test_empty_file_is_read),
          TEST_CASE(test_size_cap),
          TEST_CASE(test_missing_directory_fifo_symlink),
          TEST_CASE(test_private_mode),
          TEST_CASE(test_bad_arguments),
          TEST_CASE(test_size_is_a_hint_only),
          TEST_CASE(test_cleanup));
