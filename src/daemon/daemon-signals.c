/* What the daemon does on its own: stop on SIGTERM/SIGINT, reload on SIGHUP, give up at
 * --timeout, and keep systemd's watchdog fed while the loop turns. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "daemon-internal.h"
#include "report/notify.h"

static int daemon_on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        Event e = EVENT_INIT(EVENT_DAEMON_STOPPING);

        (void) notify_stopping();
        event_emitf(d->sink, &e, "stopping on %s; %zu of %zu tasks terminal",
                    strsignal((int) si->ssi_signo), watcher_n_done(d->watcher), watcher_n_tasks(d->watcher));
        return sd_event_exit(d->event, d->options.exit_when_done ? EXIT_INTERRUPTED : EXIT_ALL_SUCCEEDED);
}

static int daemon_on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        /* A refused reload is reported as an event; the daemon runs on either way. */
        (void) daemon_reload(userdata);
        return 0;
}

static int daemon_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Daemon *d = userdata;
        Event e = EVENT_INIT(EVENT_WAIT_TIMED_OUT);
        char span[FORMAT_TIMESPAN_MAX];

        event_emitf(d->sink, &e, "timed out after %s: %zu of %zu tasks terminal",
                    format_timespan(span, sizeof(span), d->options.timeout), watcher_n_done(d->watcher),
                    watcher_n_tasks(d->watcher));
        watcher_update_status(d->watcher);
        return sd_event_exit(d->event, EXIT_TIMEOUT);
}

int daemon_setup_signals(Daemon *d) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(d->event, NULL, SIGTERM, daemon_on_stop, d)) < 0 ||
            (r = sd_event_add_signal(d->event, NULL, SIGINT, daemon_on_stop, d)) < 0 ||
            (r = sd_event_add_signal(d->event, NULL, SIGHUP, daemon_on_sighup, d)) < 0)
                return r;

        /* Sends WATCHDOG=1 at half of $WATCHDOG_USEC while the loop turns. */
        r = sd_event_set_watchdog(d->event, true);
        if (r < 0)
                return r;

        if (d->options.timeout != USEC_INFINITY) {
                r = sd_event_add_time_relative(d->event, NULL, CLOCK_MONOTONIC, d->options.timeout, 0,
                                               daemon_on_timeout, d);
                if (r < 0)
                        return r;
        }
        return 0;
}
