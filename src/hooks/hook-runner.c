/* The hook runner: a FIFO of runs, at most MaxConcurrentHooks at once, each supervised by a
 * child source, a timeout timer and two io sources for its output. */
#include "hooks/hook-runner.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "hook-internal.h"
#include "hook-spawn.h"
#include "util/process-tree.h"
#include "util/strutil.h"

static void list_append(RunList *l, HookRun *run) {
        run->prev = l->tail;
        run->next = NULL;
        if (l->tail)
                l->tail->next = run;
        else
                l->head = run;
        l->tail = run;
        l->n++;
}

static void list_remove(RunList *l, HookRun *run) {
        if (run->prev)
                run->prev->next = run->next;
        else
                l->head = run->next;
        if (run->next)
                run->next->prev = run->prev;
        else
                l->tail = run->prev;
        run->prev = run->next = NULL;
        l->n--;
}

static HookRun *run_free(HookRun *run) {
        if (!run)
                return NULL;
        hook_stream_done(&run->out);
        hook_stream_done(&run->err);
        run->timer = sd_event_source_disable_unref(run->timer);
        run->child = sd_event_source_disable_unref(run->child);
        hook_job_unref(run->job);
        free(run);
        return NULL;
}

static usec_t usec_add(usec_t a, usec_t b) {
        return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

static void runner_wake(HookRunner *r) {
        (void) sd_event_source_set_enabled(r->pump, SD_EVENT_ONESHOT);
}

/* ---- what hooks leave behind ------------------------------------------------------------ */

/* A process that calls setsid() leaves its hook's process group, so kill(-pgid) misses it.
 * As a child subreaper (hook_runner_new()) the daemon inherits every orphan of its hooks:
 * what descends from the daemon outside the running hooks' trees is a hook's leftover. */
static void runner_kill_leftovers(HookRunner *r) {
        _cleanup_(freep) pid_t *killed = NULL;
        pid_t skip[r->running.n + 1];
        size_t n = 0;
        pid_t *m;
        int k;

        for (HookRun *run = r->running.head; run; run = run->next)
                skip[n++] = run->pid;
        k = process_tree_kill(getpid(), skip, n, &killed);
        if (k <= 0)
                return;
        /* Reaped from the pump, not here: they are dead (SIGKILL) but maybe not yet gone. */
        m = reallocarray(r->leftovers, r->n_leftovers + (size_t) k, sizeof(*m));
        if (!m) {
                process_tree_reap(killed, (size_t) k);
                return;
        }
        memcpy(m + r->n_leftovers, killed, (size_t) k * sizeof(*m));
        r->leftovers = m;
        r->n_leftovers += (size_t) k;
        runner_wake(r);
}

static void runner_reap_leftovers(HookRunner *r) {
        process_tree_reap(r->leftovers, r->n_leftovers);
        free(r->leftovers);
        r->leftovers = NULL;
        r->n_leftovers = 0;
}

/* The daemon stops: every process of its hooks, in whatever session, gets SIGTERM and up to
 * the kill grace (at most 10 s, within the unit's TimeoutStopSec=) to end; what is left then
 * is killed. A bounded wait on SIGCHLD, after the event loop is gone. */
static void runner_stop_all(HookRunner *r) {
        usec_t grace = r->config.kill_grace < 10 * USEC_PER_SEC ? r->config.kill_grace : 10 * USEC_PER_SEC;
        usec_t deadline = usec_add(now_usec(CLOCK_MONOTONIC), grace);
        pid_t self = getpid();
        sigset_t chld;

        for (HookRun *run = r->running.head; run; run = run->next) {
                (void) kill(-run->pid, SIGTERM);
                (void) kill(-run->pid, SIGCONT);
        }
        (void) process_tree_signal(self, NULL, 0, SIGTERM);
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        for (;;) {
                _cleanup_(freep) pid_t *left = NULL;
                usec_t now = now_usec(CLOCK_MONOTONIC), wait;
                int n = process_tree_descendants(self, NULL, 0, &left);
                bool any = false;

                for (int i = 0; i < n; i++) {
                        pid_t w = waitpid(left[i], NULL, WNOHANG);
                        if (w == 0 || (w < 0 && errno == ECHILD))
                                any = true; /* alive, or not ours (yet) */
                }
                if (n <= 0 || !any || now >= deadline)
                        break;
                wait = deadline - now < 100 * USEC_PER_MSEC ? deadline - now : 100 * USEC_PER_MSEC;
                (void) sigtimedwait(&chld, NULL, &(struct timespec) {
                        .tv_sec = (time_t) (wait / USEC_PER_SEC),
                        .tv_nsec = (long) (wait % USEC_PER_SEC) * 1000,
                });
        }
        runner_reap_leftovers(r);
        (void) process_tree_kill(self, NULL, 0, NULL);
}

/* ---- finishing a run --------------------------------------------------------------------- */

static const char *signal_name(int sig, char *buf, size_t size) {
        const char *n = sigabbrev_np(sig);

        if (n)
                snprintf(buf, size, "SIG%s", n);
        else
                snprintf(buf, size, "signal %d", sig);
        return buf;
}

static void run_report(HookRun *run, const HookRunResult *res) {
        HookJob *j = run->job;
        char span[FORMAT_TIMESPAN_MAX], sig[32], what[256];
        Event e;

        /* A run time is read, not parsed back: "6.6ms", not "6ms 601us". */
        format_timespan_human(span, sizeof(span), res->duration);
        if (res->spawn_error < 0)
                snprintf(what, sizeof(what), "could not be started: %s",
                         strerror(-res->spawn_error));
        else if (res->timed_out) {
                char limit[FORMAT_TIMESPAN_MAX];
                format_timespan(limit, sizeof(limit), run->timeout);
                if (res->signal)
                        snprintf(what, sizeof(what), "timed out after %s and was stopped (%s)",
                                 limit, signal_name(res->signal, sig, sizeof(sig)));
                else
                        snprintf(what, sizeof(what), "timed out after %s and was stopped (it "
                                 "exited with status %d)", limit, res->exit_status);
        } else if (res->signal)
                snprintf(what, sizeof(what), "was killed by %s after %s",
                         signal_name(res->signal, sig, sizeof(sig)), span);
        else if (res->exit_status == 0)
                snprintf(what, sizeof(what), "succeeded after %s", span);
        else
                snprintf(what, sizeof(what), "exited with status %d after %s", res->exit_status,
                         span);

        if (res->spawn_error < 0)
                e = EVENT_INIT(EVENT_HOOK_FAILED);
        else if (res->timed_out)
                e = EVENT_INIT(EVENT_HOOK_TIMED_OUT);
        else
                e = EVENT_INIT(res->exit_status == 0 ? EVENT_HOOK_FINISHED : EVENT_HOOK_FAILED);
        e.task_id = j->task_id;
        e.cluster_id = j->cluster_id;
        e.task_type = j->task_type;
        e.instance_id = j->instance_id;
        /* The program, not its arguments: those may hold a webhook's token. */
        event_emitf(run->runner->sink, &e, "%s: hook %s (%s) for %s %s", j->task_id ?: "-",
                    j->names[run->index], j->commands[run->index].argv[0],
                    event_kind_name(j->kind), what);
}

/* Records the result, reports it, and hands the run to the pump to be freed. */
static void run_finish(HookRun *run, RunList *from) {
        HookRunner *r = run->runner;
        HookJob *j = run->job;
        HookRunResult *res = &j->results[run->index];

        if (run->timer)
                (void) sd_event_source_set_enabled(run->timer, SD_EVENT_OFF);
        if (run->started > 0)
                res->duration = now_usec(CLOCK_MONOTONIC) - run->started;
        res->timed_out = run->timed_out;
        if (res->spawn_error < 0 || res->timed_out || res->signal || res->exit_status != 0)
                j->n_failed++;
        run_report(run, res);

        list_remove(from, run);
        list_append(&r->finished, run);
        runner_wake(r);

        if (--j->n_left == 0 && r->on_done) {
                HookOutcome o = {
                        .runs = j->results, .n_runs = j->n_runs, .n_failed = j->n_failed,
                };
                r->on_done(r, j->key, &o, j->userdata, r->on_done_userdata);
        }
}

static int run_on_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        HookRun *run = userdata;
        HookRunResult *res = &run->job->results[run->index];

        /* What the hook left behind in its group goes with it, as with systemd's
         * KillMode=control-group; the leader is still a zombie, so the group id is ours.
         * So does what left the group with setsid(): its orphans are ours by now. */
        (void) kill(-run->pid, SIGKILL);
        runner_kill_leftovers(run->runner);

        if (si->si_code == CLD_EXITED)
                res->exit_status = si->si_status;
        else
                res->signal = si->si_status;

        /* The child source may come before the last output: read it now. */
        (void) hook_stream_read(&run->out, 64);
        (void) hook_stream_read(&run->err, 64);
        hook_stream_flush(&run->out);
        hook_stream_flush(&run->err);
        hook_stream_done(&run->out);
        hook_stream_done(&run->err);

        run_finish(run, &run->runner->running);
        return 0;
}

static int run_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        HookRun *run = userdata;

        if (run->timed_out) {
                (void) kill(-run->pid, SIGKILL);
                return 0;
        }
        run->timed_out = true;
        (void) kill(-run->pid, SIGTERM);
        (void) kill(-run->pid, SIGCONT); /* a stopped process would never see the SIGTERM */
        if (run->kill_grace != USEC_INFINITY &&
            sd_event_source_set_time(s, usec_add(now_usec(CLOCK_MONOTONIC), run->kill_grace)) >= 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* ---- starting runs ----------------------------------------------------------------------- */

static int run_start(HookRun *run) {
        HookRunner *r = run->runner;
        HookJob *j = run->job;
        int fd_out = -1, fd_err = -1, k;

        k = hook_spawn(j->commands[run->index].argv, j->env, j->input ? j->input->data : NULL,
                       j->input ? j->input->len : 0, &run->pid, &fd_out, &fd_err);
        if (k < 0)
                return k;
        run->started = now_usec(CLOCK_MONOTONIC);

        k = hook_stream_start(run, &run->out, "stdout", fd_out);
        if (k >= 0)
                k = hook_stream_start(run, &run->err, "stderr", fd_err);
        else
                closep(&fd_err);
        if (k >= 0)
                k = sd_event_add_child(r->event, &run->child, run->pid, WEXITED, run_on_exit, run);
        if (k >= 0 && run->timeout != USEC_INFINITY) {
                /* From the real now, not the loop's: this iteration may have spawned others. */
                k = sd_event_add_time(r->event, &run->timer, CLOCK_MONOTONIC,
                                      usec_add(now_usec(CLOCK_MONOTONIC), run->timeout),
                                      USEC_PER_MSEC, run_on_timer, run);
                if (k >= 0)
                        (void) sd_event_source_set_description(run->timer, "hook-timeout");
        }
        if (k < 0) {
                /* Without its sources we cannot supervise it: it must not outlive this, and
                 * its child source must not fire for a run already reported. */
                (void) kill(-run->pid, SIGKILL);
                run->child = sd_event_source_disable_unref(run->child);
                (void) waitpid(run->pid, NULL, 0);
                return k;
        }
        return 0;
}

static int runner_on_pump(sd_event_source *s, void *userdata) {
        HookRunner *r = userdata;

        runner_reap_leftovers(r);
        while (r->finished.head) {
                HookRun *run = r->finished.head;
                list_remove(&r->finished, run);
                run_free(run);
        }

        while (r->n_holds == 0 && r->queued.head && r->running.n < r->config.max_concurrent) {
                HookRun *run = r->queued.head;
                int k;

                list_remove(&r->queued, run);
                list_append(&r->running, run);
                k = run_start(run);
                if (k < 0) {
                        run->job->results[run->index].spawn_error = k;
                        run_finish(run, &r->running);
                }
        }
        return 0;
}

/* ---- the runner -------------------------------------------------------------------------- */

int hook_runner_new(HookRunner **ret, sd_event *event, EventSink *sink, const HookConfig *config) {
        _cleanup_(hook_runner_freep) HookRunner *r = NULL;
        sigset_t chld;
        int k;

        /* Orphans of our hooks (setsid() and exit) become our children, not init's: so we
         * find and kill them (runner_kill_leftovers()). */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                return -errno;

        /* sd_event_add_child() refuses to work (-EBUSY) unless SIGCHLD is blocked. */
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
                return -errno;

        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->event = sd_event_ref(event);
        r->sink = sink;
        r->journal = true;
        hook_config_init(&r->config);
        k = hook_config_copy(&r->config, config);
        if (k < 0)
                return k;
        k = sd_event_add_defer(event, &r->pump, runner_on_pump, r);
        if (k < 0)
                return k;
        (void) sd_event_source_set_description(r->pump, "hook-pump");
        k = sd_event_source_set_enabled(r->pump, SD_EVENT_OFF);
        if (k < 0)
                return k;

        *ret = TAKE_PTR(r);
        return 0;
}

static void list_free(RunList *l) {
        while (l->head) {
                HookRun *run = l->head;
                list_remove(l, run);
                run_free(run);
        }
}

HookRunner *hook_runner_free(HookRunner *r) {
        if (!r)
                return NULL;
        runner_stop_all(r);
        list_free(&r->running);
        list_free(&r->queued);
        list_free(&r->finished);
        r->pump = sd_event_source_disable_unref(r->pump);
        hook_config_done(&r->config);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

int hook_runner_set_config(HookRunner *r, const HookConfig *config) {
        HookConfig c;
        int k;

        k = hook_config_copy(&c, config);
        if (k < 0)
                return k;
        hook_config_done(&r->config);
        r->config = c;
        runner_wake(r); /* a larger MaxConcurrentHooks= may start queued runs */
        return 0;
}

void hook_runner_commit_config(HookRunner *r, HookConfig *prepared) {
        hook_config_done(&r->config);
        r->config = *prepared;
        hook_config_init(prepared);
        runner_wake(r); /* a larger MaxConcurrentHooks= may start queued runs */
}

const HookConfig *hook_runner_get_config(const HookRunner *r) {
        return &r->config;
}

void hook_runner_set_on_done(HookRunner *r, HookDoneCallback cb, void *userdata) {
        r->on_done = cb;
        r->on_done_userdata = userdata;
}

void hook_runner_set_on_output(HookRunner *r, HookOutputCallback cb, void *userdata) {
        r->on_output = cb;
        r->on_output_userdata = userdata;
}

void hook_runner_set_journal(HookRunner *r, bool enable) {
        r->journal = enable;
}

size_t hook_runner_n_running(const HookRunner *r) {
        return r->running.n;
}

void hook_runner_hold(HookRunner *r) {
        if (r)
                r->n_holds++;
}

void hook_runner_release(HookRunner *r) {
        if (r && r->n_holds > 0 && --r->n_holds == 0)
                runner_wake(r);
}

size_t hook_runner_n_queued(const HookRunner *r) {
        return r->queued.n;
}

bool hook_runner_fires(const HookRunner *r, const Event *e) {
        unsigned triggers = hook_triggers_for_event(e);

        for (size_t t = 0; t < _HOOK_TRIGGER_MAX; t++)
                if ((triggers & HOOK_TRIGGER_BIT(t)) && r->config.n_commands[t] > 0)
                        return true;
        return false;
}

int hook_runner_submit(HookRunner *r, const Event *e, const char *event_key,
                       const char *task_json, size_t len, void *userdata) {
        _cleanup_(shared_buf_unrefp) SharedBuf *input = NULL;

        if (!hook_runner_fires(r, e))
                return event_key ? 0 : -EINVAL;
        if (task_json && len > 0 && shared_buf_new(&input, task_json, len) < 0)
                return -ENOMEM;
        return hook_runner_submit_shared(r, e, event_key, input, userdata);
}

int hook_runner_submit_shared(HookRunner *r, const Event *e, const char *event_key,
                              SharedBuf *input, void *userdata) {
        unsigned triggers = hook_triggers_for_event(e);
        HookRun **runs = NULL;
        HookJob *j = NULL;
        int n;

        if (!event_key)
                return -EINVAL;
        if (triggers == 0)
                return 0;
        n = hook_job_new(&j, e, event_key, input, &r->config, triggers);
        if (n <= 0)
                return n;
        j->userdata = userdata;

        /* All or nothing: allocate every run before queueing any. */
        runs = calloc(j->n_runs, sizeof(HookRun *));
        for (size_t i = 0; runs && i < j->n_runs; i++)
                if (!(runs[i] = calloc(1, sizeof(HookRun)))) {
                        for (size_t k = 0; k < i; k++)
                                free(runs[k]);
                        free(runs);
                        runs = NULL;
                }
        if (!runs) {
                hook_job_unref(j);
                return -ENOMEM;
        }

        for (size_t i = 0; i < j->n_runs; i++) {
                *runs[i] = (HookRun) {
                        .runner = r,
                        .job = j,
                        .index = i,
                        .timeout = r->config.timeout,
                        .kill_grace = r->config.kill_grace,
                        .out.fd = -1,
                        .err.fd = -1,
                };
                j->n_ref++;
                list_append(&r->queued, runs[i]);
        }
        free(runs);
        hook_job_unref(j);
        runner_wake(r);
        return n;
}

static void list_forget_userdata(RunList *l, const void *userdata) {
        for (HookRun *run = l->head; run; run = run->next)
                if (run->job->userdata == userdata)
                        run->job->userdata = NULL;
}

/* Only queued and running runs can still call on_done: a finished run's job either called it
 * already or has a sibling in one of these lists. */
void hook_runner_forget_userdata(HookRunner *r, const void *userdata) {
        if (!r || !userdata)
                return;
        list_forget_userdata(&r->queued, userdata);
        list_forget_userdata(&r->running, userdata);
}
