/* sd_notify, the way systemd expects it for a Type=notify service. */
#pragma once

#include <stddef.h>

/* Each returns what sd_notify returns: > 0 sent, 0 no $NOTIFY_SOCKET, < 0 error. */
int notify_ready(void);
int notify_reloading(void); /* RELOADING=1 with MONOTONIC_USEC=, as systemd 253+ checks */
int notify_stopping(void);
/* STATUS= with control characters replaced, so one status is one line. */
int notify_status(const char *status);
