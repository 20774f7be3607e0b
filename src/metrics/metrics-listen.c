/* Listening sockets for the metrics server: parsed from Listen=, bound, or taken from systemd. */
#include "metrics/metrics-listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "util/cleanup.h"

static int parse_port(const char *s, uint16_t *ret) {
        char *end;
        long v;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 1 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int metrics_address_parse(const char *s, MetricsAddress *ret, const char **why) {
        MetricsAddress a = {};
        const char *colon;
        char host[INET6_ADDRSTRLEN + 1];
        uint16_t port;
        size_t len;

        if (s[0] == '/') {
                len = strlen(s);
                if (len >= sizeof(a.addr.un.sun_path)) {
                        *why = "a unix socket path must be shorter than 108 bytes";
                        return -EINVAL;
                }
                a.addr.un.sun_family = AF_UNIX;
                memcpy(a.addr.un.sun_path, s, len + 1);
                a.len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1);
                *ret = a;
                return 0;
        }
        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':' || (size_t) (close - s - 1) >= sizeof(host)) {
                        *why = "expected [IPv6-address]:port";
                        return -EINVAL;
                }
                memcpy(host, s + 1, close - s - 1);
                host[close - s - 1] = '\0';
                if (inet_pton(AF_INET6, host, &a.addr.in6.sin6_addr) != 1) {
                        *why = "not a numeric IPv6 address";
                        return -EINVAL;
                }
                if (parse_port(close + 2, &port) < 0) {
                        *why = "the port must be a number from 1 to 65535";
                        return -EINVAL;
                }
                a.addr.in6.sin6_family = AF_INET6;
                a.addr.in6.sin6_port = htons(port);
                a.len = sizeof(a.addr.in6);
                *ret = a;
                return 0;
        }
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon || (size_t) (colon - s) >= sizeof(host)) {
                *why = "expected IPv4-address:port, [IPv6-address]:port or an absolute path";
                return -EINVAL;
        }
        memcpy(host, s, colon - s);
        host[colon - s] = '\0';
        if (inet_pton(AF_INET, host, &a.addr.in.sin_addr) != 1) {
                *why = "not a numeric IPv4 address (names are not resolved)";
                return -EINVAL;
        }
        if (parse_port(colon + 1, &port) < 0) {
                *why = "the port must be a number from 1 to 65535";
                return -EINVAL;
        }
        a.addr.in.sin_family = AF_INET;
        a.addr.in.sin_port = htons(port);
        a.len = sizeof(a.addr.in);
        *ret = a;
        return 0;
}

const char *metrics_address_path(const MetricsAddress *a) {
        return a->addr.sa.sa_family == AF_UNIX ? a->addr.un.sun_path : NULL;
}

int metrics_listen(const MetricsAddress *a, int *ret_fd) {
        _cleanup_(closep) int fd = -EBADF;
        const char *path = metrics_address_path(a);
        int one = 1;

        fd = socket(a->addr.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (path) {
                struct stat st;
                if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                        (void) unlink(path);
        } else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        if (a->addr.sa.sa_family == AF_INET6 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                return -errno;
        if (bind(fd, &a->addr.sa, a->len) < 0)
                return -errno;
        if (listen(fd, 16) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int metrics_listen_fd_from_systemd(int *ret_fd) {
        _cleanup_(strv_freep) char **names = NULL;
        int n, found = -1;

        n = sd_listen_fds_with_names(true, &names);
        if (n <= 0) {
                *ret_fd = -1;
                return n;
        }
        for (int i = 0; i < n; i++)
                if (names && names[i] && strcmp(names[i], METRICS_LISTEN_FD_NAME) == 0)
                        found = SD_LISTEN_FDS_START + i;
        /* One fd without a FileDescriptorName= is "unknown": a socket unit of the admin's. */
        if (found < 0 && n == 1)
                found = SD_LISTEN_FDS_START;
        for (int i = 0; i < n; i++)
                if (SD_LISTEN_FDS_START + i != found)
                        (void) close(SD_LISTEN_FDS_START + i);
        if (found < 0) {
                *ret_fd = -1;
                return 0;
        }
        (void) fcntl(found, F_SETFD, FD_CLOEXEC);
        (void) fcntl(found, F_SETFL, fcntl(found, F_GETFL) | O_NONBLOCK);
        *ret_fd = found;
        return 1;
}
