/* taskwatch wait: the daemon's watcher with exit-when-done, for the tasks on the command line. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-event.h>

#include "cli-args.h"
#include "cli.h"
#include "report/event.h"
#include "util/log.h"
#include "util/strutil.h"

typedef struct WaitRun {
        sd_event *event;
        EventSink *sink;
        Watcher *watcher;
        Credentials *credentials;
        usec_t timeout;
        const char *gave_up; /* why the wait ended with EXIT_CONFIG, after the event's line */
} WaitRun;

static void wait_help(void) {
        printf("Usage: taskwatch [--config PATH] wait [OPTIONS] TASK...\n"
               "Wait until every task has ended, succeeded or not, printing each change on stderr.\n"
               "Polls back off, are jittered and honour throttling exactly as taskwatchd does.\n\n"
               "      --timeout=SPAN       give up after SPAN (e.g. 45min; exit status 2)\n"
               "      --interval=SPAN      the first poll delay and the delay after a change\n"
               "                           (replaces MinInterval=)\n"
               "      --max-interval=SPAN  the cap delays grow to while nothing changes (default:\n"
               "                           MaxInterval=, raised to --interval when shorter)\n"
               "  -h, --help               show this help\n\n"
               "Exit status: 0 every task succeeded, 1 a task or instance failed or was canceled,\n"
               "2 timed out, 3 a task does not exist, 4 configuration or credential error\n"
               "(a refused signature or key included), 5 runtime failure, 6 interrupted.\n");
}

static const Credentials *wait_get_credentials(void *userdata) {
        WaitRun *w = userdata;
        return w->credentials;
}

/* The watcher keeps retrying refused credentials, as a service must (they may be rotated
 * under it); a command cannot wait for that, so a refusal ends the wait with status 4. */
static void wait_on_event(const Event *e, void *userdata) {
        WaitRun *w = userdata;

        if (e->kind != EVENT_API_AUTH_ERROR && e->kind != EVENT_CREDENTIALS_ERROR)
                return;
        w->gave_up = e->kind == EVENT_API_AUTH_ERROR ? "the API refused the credentials"
                                                     : "no credentials could be obtained";
        (void) sd_event_exit(w->event, EXIT_CONFIG);
}

static int wait_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        WaitRun *w = userdata;

        log_notice("interrupted by %s; %zu of %zu tasks ended", strsignal((int) si->ssi_signo),
                   watcher_n_done(w->watcher), watcher_n_tasks(w->watcher));
        return sd_event_exit(w->event, EXIT_INTERRUPTED);
}

static int wait_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        WaitRun *w = userdata;
        Event e = EVENT_INIT(EVENT_WAIT_TIMED_OUT);
        char span[FORMAT_TIMESPAN_MAX];

        event_emitf(w->sink, &e, "timed out after %s: %zu of %zu tasks ended",
                    format_timespan(span, sizeof(span), w->timeout), watcher_n_done(w->watcher),
                    watcher_n_tasks(w->watcher));
        return sd_event_exit(w->event, EXIT_TIMEOUT);
}

/* As event.c decides it: $JOURNAL_STREAM names stderr when systemd connected it. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        return e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
               (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

/* The tasks of the command line replace the configuration's, through the parser so that they
 * are validated and deduplicated the same way. */
static int config_set_tasks(Config *c, char *const *ids, size_t n) {
        _cleanup_(strbuf_clear) StrBuf b = {};
        ConfigDiagnostics diag = {};
        int r;

        if (strbuf_appendf(&b, "[Tasks]\nTask=\n") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (strbuf_appendf(&b, "Task=%s\n", ids[i]) < 0)
                        return -ENOMEM;
        r = config_parse_text(c, b.data, b.len, "command line", &diag);
        for (size_t i = 0; i < diag.n_messages; i++)
                log_plain("%s", diag.messages[i]);
        config_diagnostics_clear(&diag);
        return r;
}

/* The command line's tasks and intervals over the configuration's: -EINVAL after a message,
 * -ENOMEM. */
static int wait_apply_options(Config *config, const CommandOptions *o) {
        usec_t min, max;
        int r;

        r = config_set_tasks(config, o->args, o->n_args);
        if (r == -ENOMEM)
                log_error_errno(r, "%m");
        if (r < 0)
                return r;
        if (cli_wait_intervals(o, config->min_interval, config->max_interval, &min, &max) < 0) {
                char a[FORMAT_TIMESPAN_MAX], b[FORMAT_TIMESPAN_MAX];
                return log_error_errno(EINVAL, "--max-interval=%s is shorter than the interval %s",
                                       format_timespan(a, sizeof(a), o->max_interval),
                                       format_timespan(b, sizeof(b),
                                                       o->interval > 0 ? o->interval : config->min_interval));
        }
        config->min_interval = min;
        config->max_interval = max;
        return 0;
}

static int wait_setup(WaitRun *w, const Config *config) {
        sigset_t mask;
        int r;

        r = sd_event_new(&w->event);
        if (r < 0)
                return r;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if ((r = sd_event_add_signal(w->event, NULL, SIGTERM, wait_on_signal, w)) < 0 ||
            (r = sd_event_add_signal(w->event, NULL, SIGINT, wait_on_signal, w)) < 0)
                return r;
        if (w->timeout != USEC_INFINITY) {
                r = sd_event_add_time_relative(w->event, NULL, CLOCK_MONOTONIC, w->timeout, 0,
                                               wait_on_timeout, w);
                if (r < 0)
                        return r;
        }

        r = event_sink_new(&w->sink, stderr);
        if (r < 0)
                return r;
        /* Progress is for the person or the CI log watching this command, not for the system
         * journal, unless stderr is the journal: then the entries are the only record. */
        event_sink_set_journal(w->sink, stderr_is_journal());
        event_sink_set_capture(w->sink, wait_on_event, w);

        r = watcher_new(&w->watcher, w->event, w->sink, wait_get_credentials, w);
        if (r < 0)
                return r;
        r = watcher_apply_config(w->watcher, config, false);
        if (r < 0)
                return r;
        watcher_set_exit_when_done(w->watcher, true);
        return 0;
}

int cmd_wait(const CliContext *ctx, int argc, char **argv) {
        _cleanup_(config_freep) Config *config = NULL;
        WaitRun w = {};
        CommandOptions o;
        int r;

        if (cli_parse_command(CLI_COMMAND_WAIT, argc, argv, &o) < 0)
                return EXIT_CONFIG;
        if (o.help) {
                wait_help();
                return EXIT_SUCCESS;
        }
        if (cli_check_task_ids(o.args, o.n_args) < 0 || cli_load_config(ctx, &config) < 0)
                return EXIT_CONFIG;
        /* This command's own messages read "taskwatch wait: ..."; common.c's shared ones stay
         * "taskwatch: ...". */
        log_set_context("wait");
        r = wait_apply_options(config, &o);
        log_set_context(NULL);
        if (r < 0)
                return r == -ENOMEM ? EXIT_FATAL : EXIT_CONFIG;
        w.timeout = o.timeout;

        r = cli_acquire_credentials(config, &w.credentials);
        if (r < 0)
                return EXIT_CONFIG;

        /* A command is not the service: its status must not land on a NOTIFY_SOCKET it
         * inherited from whatever unit runs it. */
        (void) unsetenv("NOTIFY_SOCKET");

        log_set_context("wait");
        r = wait_setup(&w, config);
        if (r < 0)
                log_error_errno(r, "cannot start watching: %m");
        else {
                r = sd_event_loop(w.event);
                if (r < 0)
                        log_error_errno(r, "event loop failed: %m");
                else if (w.gave_up)
                        log_error("giving up: %s", w.gave_up);
        }
        log_set_context(NULL);

        watcher_free(w.watcher);
        event_sink_free(w.sink);
        credentials_free(w.credentials);
        sd_event_unref(w.event);
        return r < 0 ? EXIT_FATAL : r;
}
