/* The runtime status file: when each task is polled next, for `taskwatch status`. It lives
 * on tmpfs ($RUNTIME_DIRECTORY), is rewritten at most every RUNTIME_STATUS_INTERVAL while
 * things change, and needs no fsync: it is rebuilt from memory and dies with the daemon.
 *
 * {"version": 2, "pid": 123, "written": T,
 *  "tasks": [{"task_id": "T-1", "next_poll": T, "last_poll": T,
 *             "in_flight": false, "waiting_for": null}]}
 * Times T are RFC 3339 in UTC with microseconds ("2026-12-04T03:51:05.123456Z"), the one
 * format of everything taskwatch prints, or null: next_poll when no poll is planned (a final
 * task), last_poll before the first. waiting_for is "credentials", "connection" or "budget"
 * for a due poll. Version 1 had CLOCK_REALTIME microseconds (*_usec) and 0 for none. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/iso8601.h"
#include "watcher-private.h"

#define RUNTIME_STATUS_INTERVAL (2 * USEC_PER_SEC)

void watcher_set_runtime_file(Watcher *w, const char *path) {
        char *copy = path ? strdup(path) : NULL;

        free(w->runtime_file);
        w->runtime_file = copy; /* on OOM: no file, which taskwatch status survives */
}

static const char *waiting_for(const Watcher *w, const WatchedTask *t) {
        if (!t->sched.queued)
                return NULL;
        if (w->awaiting_credentials)
                return "credentials";
        return w->ctx.poller && poller_has_capacity(w->ctx.poller) ? "budget" : "connection";
}

/* A time as a JSON value: the quoted RFC 3339 string, or null for 0 (none). */
static const char *json_time(char *buf, size_t size, usec_t t) {
        char v[ISO8601_FORMAT_MAX];

        if (t == 0)
                snprintf(buf, size, "null");
        else
                snprintf(buf, size, "\"%s\"", iso8601_format(v, sizeof(v), t, ISO8601_USEC));
        return buf;
}

static int write_file(Watcher *w, const char *tmp) {
        usec_t real = now_usec(CLOCK_REALTIME), mono = now_usec(CLOCK_MONOTONIC);
        _cleanup_(fclosep) FILE *f = fopen(tmp, "we");

        if (!f)
                return -errno;
        char a[ISO8601_FORMAT_MAX + 2], b[ISO8601_FORMAT_MAX + 2];

        fprintf(f, "{\"version\": 2, \"pid\": %d, \"written\": %s, \"tasks\": [",
                (int) getpid(), json_time(a, sizeof(a), real));
        for (size_t i = 0; i < w->n_tasks; i++) {
                const WatchedTask *t = w->tasks[i];
                usec_t next = 0;
                const char *why = waiting_for(w, t);

                usec_t next_poll = t->sched.next_poll;

                if (next_poll != USEC_INFINITY && !task_tracker_is_terminal(&t->tracker))
                        next = next_poll > mono ? real + (next_poll - mono) : real;
                /* Task ids are validated ([A-Za-z0-9._-]): nothing to escape. */
                fprintf(f, "%s\n {\"task_id\": \"%s\", \"next_poll\": %s, \"last_poll\": %s, "
                        "\"in_flight\": %s, \"waiting_for\": %s%s%s}",
                        i ? "," : "", t->tracker.task_id, json_time(a, sizeof(a), next),
                        json_time(b, sizeof(b), t->last_poll), t->call ? "true" : "false",
                        why ? "\"" : "", why ?: "null", why ? "\"" : "");
        }
        fputs("\n]}\n", f);
        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return 0;
}

int watcher_on_runtime_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        watcher_write_runtime_status(userdata, true);
        return 0;
}

void watcher_write_runtime_status(Watcher *w, bool force) {
        _cleanup_(freep) char *tmp = NULL;
        usec_t now = now_usec(CLOCK_MONOTONIC);

        if (!w->runtime_file)
                return;
        if (!force && w->runtime_written != 0 && now - w->runtime_written < RUNTIME_STATUS_INTERVAL) {
                /* Too soon: what changed is written when the interval is over, not left
                 * stale until the next change. The timer exists since watcher_new(). */
                (void) sd_event_source_set_time(w->runtime_timer, w->runtime_written + RUNTIME_STATUS_INTERVAL);
                (void) sd_event_source_set_enabled(w->runtime_timer, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_source_set_enabled(w->runtime_timer, SD_EVENT_OFF);
        w->runtime_written = now;
        if (asprintf(&tmp, "%s.%d.tmp", w->runtime_file, (int) getpid()) < 0)
                return;
        if (write_file(w, tmp) < 0 || rename(tmp, w->runtime_file) < 0)
                (void) unlink(tmp); /* best effort: status then shows the record only */
}

void watcher_write_runtime_status_now(Watcher *w) {
        watcher_write_runtime_status(w, true);
}

void watcher_remove_runtime_status(Watcher *w) {
        if (w->runtime_file)
                (void) unlink(w->runtime_file);
}
