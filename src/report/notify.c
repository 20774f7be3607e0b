/* sd_notify, the way systemd expects it for a Type=notify service. */
#include "report/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "util/cleanup.h"
#include "util/time-util.h"

int notify_ready(void) {
        return sd_notify(0, "READY=1");
}

int notify_reloading(void) {
        return sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long) now_usec(CLOCK_MONOTONIC));
}

int notify_stopping(void) {
        return sd_notify(0, "STOPPING=1");
}

int notify_status(const char *status) {
        _cleanup_(freep) char *line = strdup(status);

        if (!line)
                return -ENOMEM;
        /* A newline would end the STATUS= assignment and start a bogus one. */
        for (char *p = line; *p; p++)
                if ((unsigned char) *p < ' ')
                        *p = ' ';
        return sd_notifyf(0, "STATUS=%s", line);
}
