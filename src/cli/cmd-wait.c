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
#include "wait-report.h"

typedef struct WaitRun {
        sd_event *event;
        EventSink *sink;
        Watcher *watcher;
        Credentials *credentials;
        usec_t timeout;
        bool all;            /* --all: a failure does not end the wait */
        bool color;          /* colour the lines' priority (stderr is a terminal that wants it) */
        bool print;          /* stderr is not the journal (which has the entries already) */
        WaitTasks tasks;     /* how each ended, for the summary */
        const char *gave_up; /* why the wait ended with EXIT_CONFIG, after the event's line */
} WaitRun;

static void wait_help(void) {
        printf("Usage: taskwatch [--config PATH] wait [OPTIONS] TASK...\n"
               "Wait until every task has succeeded, or one has failed or was canceled, printing\n"
               "each change on stderr and, at the end, one summary line. Polls back off, are\n"
               "jittered and honour throttling exactly as taskwatchd does.\n\n"
               "      --all                wait for every task to end, even after one failed\n"
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

/* The event's line, told what this command does next where that differs from the daemon
 * (whose words the watcher uses): instead replaces the message's "retrying in ..." tail. */
static void wait_print(const WaitRun *w, const Event *e, const char *instead) {
        _cleanup_(freep) char *m = NULL;
        Event copy = *e;

        if (!w->print)
                return;
        if (instead && e->message && wait_message_next_step(e->message, e->retry_in, instead, &m) >= 0)
                copy.message = m;
        event_print_line_color(stderr, &copy, w->color);
}

/* How each task ends, and when that ends the wait. The watcher keeps retrying refused
 * credentials, as a service must (they may be rotated under it); a command cannot wait for
 * that, so a refusal ends the wait with status 4. */
static void wait_on_event(const Event *e, void *userdata) {
        WaitRun *w = userdata;
        const char *instead = NULL;
        char buf[FORMAT_TIMESPAN_MAX + 64];
        WaitTask *t;
        int exit_code = -1;

        switch (e->kind) {
        case EVENT_TASK_SUCCEEDED:
                (void) wait_tasks_set(&w->tasks, e->task_id, WAIT_SUCCEEDED, NULL);
                break;
        case EVENT_TASK_FAILED:
        case EVENT_TASK_CANCELED:
                (void) wait_tasks_set(&w->tasks, e->task_id,
                                      e->kind == EVENT_TASK_FAILED ? WAIT_FAILED : WAIT_CANCELED,
                                      e->error_code);
                /* The first failure is the answer a script waits for. */
                if (!w->all)
                        exit_code = EXIT_TASK_FAILED;
                break;
        case EVENT_INSTANCE_FAILED:
                t = wait_tasks_find(&w->tasks, e->task_id);
                if (t)
                        t->instance_failed = true;
                break;
        case EVENT_TASK_NOT_FOUND:
                (void) wait_tasks_set(&w->tasks, e->task_id, WAIT_NOT_FOUND, NULL);
                /* The watcher has counted it as ended already. */
                if (watcher_n_done(w->watcher) >= watcher_n_tasks(w->watcher))
                        instead = "the wait ends";
                else {
                        snprintf(buf, sizeof(buf), "checking again every %s while the other tasks "
                                 "are waited for", e->retry_in ? e->retry_in : "few minutes");
                        instead = buf;
                }
                break;
        case EVENT_API_AUTH_ERROR:
        case EVENT_CREDENTIALS_ERROR:
                w->gave_up = e->kind == EVENT_API_AUTH_ERROR ? "the API refused the credentials"
                                                             : "no credentials could be obtained";
                instead = "not retrying, the wait ends (exit status 4)";
                exit_code = EXIT_CONFIG;
                break;
        default:
                break;
        }
        wait_print(w, e, instead);
        if (exit_code >= 0)
                (void) sd_event_exit(w->event, exit_code);
}

static int wait_on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        WaitRun *w = userdata;

        log_notice("interrupted by SIG%s; %zu of %zu tasks ended", sigabbrev_np((int) si->ssi_signo),
                   watcher_n_done(w->watcher), watcher_n_tasks(w->watcher));
        return sd_event_exit(w->event, EXIT_INTERRUPTED);
}

static int wait_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        WaitRun *w = userdata;
        Event e = EVENT_INIT(EVENT_WAIT_TIMED_OUT);
        char span[FORMAT_TIMESPAN_MAX];

        event_emitf(w->sink, &e, "timed out after %s: %zu of %zu tasks ended",
                    format_timespan_human(span, sizeof(span), w->timeout), watcher_n_done(w->watcher),
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

        /* No stream of the sink's own: wait_on_event() prints each line, with what this
         * command does next. */
        r = event_sink_new(&w->sink, NULL);
        if (r < 0)
                return r;
        /* Progress is for the person or the CI log watching this command, not for the system
         * journal, unless stderr is the journal: then the entries are the only record. */
        w->print = !stderr_is_journal();
        event_sink_set_journal(w->sink, !w->print);
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
        w.all = o.all;
        w.color = ctx->color_stderr;
        if (wait_tasks_init(&w.tasks, config->tasks, config->n_tasks) < 0)
                return EXIT_FATAL;

        r = cli_acquire_credentials(config, &w.credentials);
        if (r < 0) {
                wait_tasks_done(&w.tasks);
                return EXIT_CONFIG;
        }

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
        if (r >= 0) {
                _cleanup_(freep) char *summary = NULL;
                if (wait_summary_format(&w.tasks, &summary) >= 0)
                        log_notice("%s", summary);
        }
        log_set_context(NULL);
        wait_tasks_done(&w.tasks);

        watcher_free(w.watcher);
        event_sink_free(w.sink);
        credentials_free(w.credentials);
        sd_event_unref(w.event);
        return r < 0 ? EXIT_FATAL : r;
}
