/* Where the metrics server listens: a [Metrics] Listen= address parsed, bound, or the socket
 * systemd passed (taskwatchd-metrics.socket). */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

typedef struct MetricsAddress {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_un un;
        } addr;
        socklen_t len;
} MetricsAddress;

/* The name taskwatchd-metrics.socket gives its fd (FileDescriptorName=). */
#define METRICS_LISTEN_FD_NAME "metrics"

/* "127.0.0.1:9732", "[::1]:9732" (numeric addresses, port 1..65535), or an absolute unix
 * socket path. -EINVAL with *why (static text) for anything else. */
int metrics_address_parse(const char *s, MetricsAddress *ret, const char **why);
/* A unix socket's path, NULL for an IP address. */
const char *metrics_address_path(const MetricsAddress *a);
/* A listening socket (non-blocking, close-on-exec) bound to a. A unix path that is a socket
 * already is replaced: a stale one a crash left behind would refuse every start. -errno. */
int metrics_listen(const MetricsAddress *a, int *ret_fd);
/* The fd systemd passed under METRICS_LISTEN_FD_NAME (or the only fd, passed without names)
 * in *ret_fd, 1; 0 and -1 when there is none. The passed fds are taken once: call this once. */
int metrics_listen_fd_from_systemd(int *ret_fd);
