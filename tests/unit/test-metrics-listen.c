/* Listen= addresses: what parses, what is refused and why, and binding them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics/metrics-listen.h"
#include "util/cleanup.h"
#include "test.h"

static void test_parses_ipv4_ipv6_and_paths(void) {
        MetricsAddress a;
        const char *why = NULL;

        ASSERT_OK(metrics_address_parse("127.0.0.1:9732", &a, &why));
        ASSERT_INT_EQ(a.addr.sa.sa_family, AF_INET);
        ASSERT_INT_EQ(ntohs(a.addr.in.sin_port), 9732);
        ASSERT_NULL(metrics_address_path(&a));
        ASSERT_OK(metrics_address_parse("[::1]:80", &a, &why));
        ASSERT_INT_EQ(a.addr.sa.sa_family, AF_INET6);
        ASSERT_INT_EQ(ntohs(a.addr.in6.sin6_port), 80);
        ASSERT_OK(metrics_address_parse("/run/taskwatchd/metrics.sock", &a, &why));
        ASSERT_STR_EQ(metrics_address_path(&a), "/run/taskwatchd/metrics.sock");
}

static void test_refuses_the_rest(void) {
        static const char *const bad[] = {
                "localhost:9732", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                "127.0.0.1:80x", "::1:9732", "[::1]9732", "[::1]:", "[1.2.3.4]:80", "run/sock",
                "", "1.2.3.4:-1",
        };
        MetricsAddress a;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                if (metrics_address_parse(bad[i], &a, &why) != -EINVAL || !why)
                        TEST_FAIL_("accepted \"%s\"", bad[i]);
        }
}

static void test_long_path_is_refused(void) {
        char path[200] = "/";
        const char *why = NULL;
        MetricsAddress a;

        memset(path + 1, 'p', sizeof(path) - 2);
        path[sizeof(path) - 1] = '\0';
        ASSERT_INT_EQ(metrics_address_parse(path, &a, &why), -EINVAL);
        ASSERT_NOT_NULL(why);
}

static void test_binds_a_unix_socket_over_a_stale_one(void) {
        char dir[] = "/tmp/test-metrics-listen-XXXXXX", path[64];
        const char *why;
        MetricsAddress a;
        int fd1 = -1, fd2 = -1;
        struct stat st;

        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/m.sock", dir);
        ASSERT_OK(metrics_address_parse(path, &a, &why));
        ASSERT_OK(metrics_listen(&a, &fd1));
        close(fd1); /* left behind, as a crash would */
        ASSERT_OK(metrics_listen(&a, &fd2));
        ASSERT_OK(stat(path, &st));
        ASSERT_TRUE(S_ISSOCK(st.st_mode));
        close(fd2);
        unlink(path);
        rmdir(dir);
}

static void test_no_fds_from_systemd(void) {
        int fd = 123;

        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_PID");
        ASSERT_INT_EQ(metrics_listen_fd_from_systemd(&fd), 0);
        ASSERT_INT_EQ(fd, -1);
}

/* What systemd does for a service with two sockets: fds 3 and 4, their names in
 * $LISTEN_FDNAMES. The one named "metrics" is taken, the other closed, the variables unset. */
static void test_takes_the_fd_named_metrics(void) {
        char pid[32];
        int s1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int s2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* Moved above 3 and 4 first: socket() may well have returned 3 itself. */
        int a = fcntl(s1, F_DUPFD_CLOEXEC, 20), b = fcntl(s2, F_DUPFD_CLOEXEC, 20);
        int fd = -1;

        close(s1);
        close(s2);
        ASSERT_TRUE(a >= 20 && b >= 20);
        ASSERT_INT_EQ(dup2(a, 3), 3);
        ASSERT_INT_EQ(dup2(b, 4), 4);
        close(a);
        close(b);
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        setenv("LISTEN_PID", pid, 1);
        setenv("LISTEN_FDS", "2", 1);
        setenv("LISTEN_FDNAMES", "other:metrics", 1);
        ASSERT_INT_EQ(metrics_listen_fd_from_systemd(&fd), 1);
        ASSERT_INT_EQ(fd, 4);
        ASSERT_TRUE(fcntl(3, F_GETFD) < 0); /* closed */
        ASSERT_TRUE(fcntl(4, F_GETFD) & FD_CLOEXEC);
        ASSERT_TRUE(fcntl(4, F_GETFL) & O_NONBLOCK);
        ASSERT_NULL(getenv("LISTEN_FDS"));
        close(4);
}

TEST_MAIN(TEST_CASE(test_parses_ipv4_ipv6_and_paths),
          TEST_CASE(test_refuses_the_rest),
          TEST_CASE(test_long_path_is_refused),
          TEST_CASE(test_binds_a_unix_socket_over_a_stale_one),
          TEST_CASE(test_no_fds_from_systemd),
          TEST_CASE(test_takes_the_fd_named_metrics))
