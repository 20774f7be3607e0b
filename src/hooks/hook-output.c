/* A hook's stdout and stderr: read without blocking, split into capped lines, logged to the
 * journal and, when stderr is not the journal, printed there like every event. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "hook-internal.h"

/* On a terminal or in a CI log a hook's own words ("curl: could not resolve host") are what
 * explains its exit status; a chatty hook must not flood it, so each line is cut shorter
 * there than in the journal. */
#define HOOK_OUTPUT_STDERR_MAX 400

static void stream_print(HookStream *s, const char *line) {
        HookJob *j = s->run->job;
        Event e = EVENT_INIT(EVENT_HOOK_OUTPUT);
        _cleanup_(freep) char *m = NULL;
        size_t n = strlen(line);

        if (asprintf(&m, "%s: hook %s (%s): %.*s%s", j->task_id ?: "-", j->names[s->run->index],
                     s->name, n > HOOK_OUTPUT_STDERR_MAX ? HOOK_OUTPUT_STDERR_MAX : (int) n, line,
                     n > HOOK_OUTPUT_STDERR_MAX ? "... (cut at 400 bytes)" : "") < 0)
                return;
        e.task_id = j->task_id;
        e.message = m;
        event_sink_print(s->run->runner->sink, &e);
}

static void stream_emit(HookStream *s, const char *line) {
        HookRun *run = s->run;
        HookRunner *r = run->runner;
        HookJob *j = run->job;

        if (r->on_output)
                r->on_output(r, j->key, j->commands[run->index].line, s->name, line,
                             r->on_output_userdata);
        stream_print(s, line);
        if (!r->journal)
                return;
        /* Without a journal socket this fails: nothing else to do with the line. */
        (void) sd_journal_send("MESSAGE=%s: hook %s: %s", j->task_id ?: "-", j->names[run->index],
                               line,
                               "MESSAGE_ID=%s", event_kind_message_id(EVENT_HOOK_OUTPUT),
                               "PRIORITY=%d", event_kind_priority(EVENT_HOOK_OUTPUT),
                               "SYSLOG_IDENTIFIER=%s", program_invocation_short_name,
                               "TASKWATCH_EVENT=%s", event_kind_name(EVENT_HOOK_OUTPUT),
                               "TASK_ID=%s", j->task_id ?: "-",
                               "HOOK_EVENT=%s", event_kind_name(j->kind),
                               "HOOK_EVENT_KEY=%s", j->key,
                               "HOOK_NAME=%s", j->names[run->index],
                               "HOOK_COMMAND=%s", j->commands[run->index].argv[0],
                               "HOOK_STREAM=%s", s->name,
                               NULL);
}

void hook_stream_flush(HookStream *s) {
        if (s->len == 0)
                return;
        s->line[s->len] = '\0';
        stream_emit(s, s->line);
        s->len = 0;
}

static void stream_feed(HookStream *s, const char *buf, size_t n) {
        if (s->dropping)
                return;
        if (s->total + n > HOOK_OUTPUT_MAX) {
                n = HOOK_OUTPUT_MAX - s->total;
                s->dropping = true;
        }
        s->total += n;

        for (size_t i = 0; i < n; i++) {
                char c = buf[i];

                if (c == '\n') {
                        s->line[s->len] = '\0';
                        stream_emit(s, s->line);
                        s->len = 0;
                        continue;
                }
                if (s->len == HOOK_OUTPUT_LINE_MAX)
                        hook_stream_flush(s);
                s->line[s->len++] = c == '\0' ? '?' : c; /* a journal field is a C string here */
        }
        if (s->dropping) {
                hook_stream_flush(s);
                stream_emit(s, "(more output dropped: over 1 MiB)");
        }
}

bool hook_stream_read(HookStream *s, unsigned max_reads) {
        char buf[16384];

        if (s->eof)
                return false;
        for (unsigned i = 0; i < max_reads; i++) {
                ssize_t n = read(s->fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return true;
                if (n <= 0) {
                        hook_stream_flush(s);
                        s->eof = true;
                        (void) sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
                        return false;
                }
                stream_feed(s, buf, (size_t) n);
        }
        return true;
}

static int stream_on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        /* A few reads per turn: a chatty hook must not starve the loop. */
        (void) hook_stream_read(userdata, 4);
        return 0;
}

int hook_stream_start(HookRun *run, HookStream *s, const char *name, int fd) {
        *s = (HookStream) { .run = run, .name = name, .fd = fd };
        return sd_event_add_io(run->runner->event, &s->io, fd, EPOLLIN, stream_on_io, s);
}

void hook_stream_done(HookStream *s) {
        s->io = sd_event_source_disable_unref(s->io);
        closep(&s->fd);
        s->fd = -1;
}
