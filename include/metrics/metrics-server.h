/* The metrics HTTP server: libmicrohttpd on sd-event, serving GET/HEAD /metrics and /healthz
 * on one listening socket, with no thread of its own. */
#pragma once

#include <systemd/sd-event.h>

#include "metrics/metrics-registry.h"
#include "util/cleanup.h"
#include "util/time-util.h"

typedef struct MetricsServerLimits {
        unsigned max_connections;    /* 0: 16 at once; more wait in the listen backlog */
        unsigned connection_timeout; /* seconds a connection may stay idle; 0: 10 */
        size_t memory_limit;         /* per connection, the request line and headers
                                      * included; 0: 16 KiB (larger requests get a 4xx) */
} MetricsServerLimits;

typedef struct MetricsServer MetricsServer;

/* When the last poll round succeeded, CLOCK_REALTIME; 0 when none has yet. */
typedef usec_t (*MetricsLastPoll)(void *userdata);

/* Serves registry (borrowed; it must outlive the server) on listen_fd, a listening stream
 * socket, taken in all cases. limits NULL: the defaults. -errno. */
int metrics_server_new(MetricsServer **ret, sd_event *event, int listen_fd,
                       MetricsRegistry *registry, const MetricsServerLimits *limits);
/* Closes the listening socket and every connection. */
MetricsServer *metrics_server_free(MetricsServer *s);
DEFINE_POINTER_CLEANUP(MetricsServer, metrics_server_free)

/* /healthz answers 200 while the last successful poll (or, before the first, the server's
 * start) is at most max_age old, else 503. Without a callback it answers 200. */
void metrics_server_set_health(MetricsServer *s, MetricsLastPoll last_poll, void *userdata,
                               usec_t max_age);
