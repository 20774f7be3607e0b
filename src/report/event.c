/* Events to the journal (structured fields) and, when stderr is not the journal, as lines. */
#include "report/event.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "util/strutil.h"

struct EventSink {
        FILE *also; /* NULL when stderr is the journal itself */
        bool journal;
        EventCapture capture;
        void *capture_userdata;
        char *instance; /* TASKWATCH_INSTANCE= of every entry; NULL for the main daemon */
        struct {
                EventCapture f;
                void *userdata;
        } *listeners;
        size_t n_listeners;
};

typedef struct EventKindInfo {
        const char *name;
        const char *message_id;
        int priority;
} EventKindInfo;

/* MESSAGE_IDs are permanent: alert rules and systemd/taskwatchd.catalog refer to them. */
static const EventKindInfo kinds[_EVENT_KIND_MAX] = {
        [EVENT_TASK_BASELINE] = { "task-baseline", "0e4d72d625694610bebaca17b22a5a89", LOG_INFO },
        [EVENT_TASK_STATE_CHANGED] = { "task-state-changed", "d6755f3a7dfb4d8c98a9bcb659f2fb5d", LOG_NOTICE },
        [EVENT_TASK_SUCCEEDED] = { "task-succeeded", "005f9e1190dd4412b355aee60c29b8c9", LOG_NOTICE },
        [EVENT_TASK_FAILED] = { "task-failed", "3803630912004d618ec9e789fc361476", LOG_ERR },
        [EVENT_TASK_CANCELED] = { "task-canceled", "4cb7ac2e00f54c178cd813e1f469d5d1", LOG_WARNING },
        [EVENT_TASK_UNKNOWN_STATE] = { "task-unknown-state", "374aeec173f148919510819005e685c5", LOG_WARNING },
        [EVENT_TASK_STAGE_CHANGED] = { "task-stage-changed", "45b076243f5245439ec427f76f540399", LOG_INFO },
        [EVENT_TASK_PROGRESS] = { "task-progress", "5aa6c2aebd5246279227f48f68777250", LOG_INFO },
        [EVENT_INSTANCE_ADDED] = { "instance-added", "548e3d32fea44f8bbf24ddc708fe0748", LOG_INFO },
        [EVENT_INSTANCE_SUCCEEDED] = { "instance-succeeded", "15f471bde96642f9a3bd810ddb2dad57", LOG_INFO },
        [EVENT_INSTANCE_FAILED] = { "instance-failed", "a9034e5c1d444d8283e497a911d37eaa", LOG_ERR },
        [EVENT_INSTANCE_STATUS_CHANGED] = { "instance-status-changed", "31384cccf103458eaa403347dd995a6a", LOG_INFO },
        [EVENT_TASK_NOT_FOUND] = { "task-not-found", "cceff47cc53f41f1a50f37512f1be965", LOG_ERR },
        [EVENT_API_AUTH_ERROR] = { "api-auth-error", "cd24faf52707489fb264841cf91d78a9", LOG_ERR },
        [EVENT_API_THROTTLED] = { "api-throttled", "798319e6aad3489182159e09fc3f72a4", LOG_WARNING },
        [EVENT_API_SERVER_ERROR] = { "api-server-error", "2da99e4da0ae48129d3637efa3e8112a", LOG_WARNING },
        [EVENT_API_CLIENT_ERROR] = { "api-client-error", "67bc8e48f49549939f22c9bd57528f0b", LOG_ERR },
        [EVENT_API_NETWORK_ERROR] = { "api-network-error", "9625a4d5474f44268cdde34a37335857", LOG_WARNING },
        [EVENT_API_BAD_REPLY] = { "api-bad-reply", "d039ff21998443818df19e828b906322", LOG_WARNING },
        [EVENT_API_RECOVERED] = { "api-recovered", "2907207db71c4187a0f1325aae0f6cf3", LOG_NOTICE },
        [EVENT_DAEMON_STARTED] = { "daemon-started", "89db0dcab87046b3992bdc3d487031b5", LOG_INFO },
        [EVENT_DAEMON_STOPPING] = { "daemon-stopping", "9a0e6e6083804e2ebbb2ed28fe548d98", LOG_INFO },
        [EVENT_CONFIG_RELOADED] = { "config-reloaded", "66664e93e0684a94a9334576f13301da", LOG_NOTICE },
        [EVENT_CONFIG_RELOAD_FAILED] = { "config-reload-failed", "7e814c2e84ed49a38157e8a0016421db", LOG_ERR },
        [EVENT_TASK_ADDED] = { "task-added", "73f4043d5092498a8517c24103d2c8bc", LOG_INFO },
        [EVENT_TASK_REMOVED] = { "task-removed", "6b338a37d9044ee196fcf62d818c82ed", LOG_INFO },
        [EVENT_CREDENTIALS_ERROR] = { "credentials-error", "e463962e894d4087a5a7e0519f883f47", LOG_ERR },
        [EVENT_WAIT_TIMED_OUT] = { "wait-timed-out", "ad8b62b70cc14e768bb557a0c5679688", LOG_ERR },
        [EVENT_CREDENTIALS_LOADED] = { "credentials-loaded", "4de0625697e84978a975478d7d2603e3", LOG_INFO },
        [EVENT_CREDENTIALS_REFRESHED] = { "credentials-refreshed", "34a0e95f776d437481ec905f8941d9a2", LOG_INFO },
        [EVENT_CREDENTIALS_REFRESH_FAILED] = { "credentials-refresh-failed", "fc220776c0ad44ec940e03ac1ba8796d", LOG_WARNING },
        [EVENT_CREDENTIALS_EXPIRED] = { "credentials-expired", "7615b90d34cf46bb8e08cebb2b27c401", LOG_ERR },
        [EVENT_HOOK_FINISHED] = { "hook-finished", "4b3c149e0f5e48eab6e124e50fe20f3e", LOG_INFO },
        [EVENT_HOOK_FAILED] = { "hook-failed", "f05b7fed32c5429f8129c87bb7dbcf77", LOG_WARNING },
        [EVENT_HOOK_TIMED_OUT] = { "hook-timed-out", "085c95a5c39e4b308bdf86c18f5711e1", LOG_WARNING },
        [EVENT_HOOK_OUTPUT] = { "hook-output", "0d08dd1d05c446ae88643f1eae851e58", LOG_INFO },
        [EVENT_TASK_TIMED_OUT] = { "task-timed-out", "567c5fe969ba48138bd4dcfd7f78e63b", LOG_WARNING },
        [EVENT_STATE_DISCARDED] = { "state-discarded", "c57a6803011a4863a9d670332454ab09", LOG_WARNING },
        [EVENT_STATE_SAVE_FAILED] = { "state-save-failed", "677feb50802946dfb0122adb0b85d428", LOG_ERR },
        [EVENT_API_OUTAGE] = { "api-outage", "b8323a7f34044b5fa2f2093a34832360", LOG_ERR },
        [EVENT_API_OUTAGE_RECOVERED] = { "api-outage-recovered", "d54c151a09b14a3997591ed5728ada89", LOG_NOTICE },
};

const char *event_kind_name(EventKind k) {
        return k < _EVENT_KIND_MAX ? kinds[k].name : NULL;
}

const char *event_kind_message_id(EventKind k) {
        return k < _EVENT_KIND_MAX ? kinds[k].message_id : NULL;
}

int event_kind_priority(EventKind k) {
        return k < _EVENT_KIND_MAX ? kinds[k].priority : LOG_INFO;
}

/* systemd sets $JOURNAL_STREAM to "dev:ino" of the stream it connected to our stderr. */
static bool stream_is_journal(FILE *f) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(fileno(f), &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

int event_sink_new(EventSink **ret, FILE *also) {
        EventSink *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->also = also && !stream_is_journal(also) ? also : NULL;
        s->journal = true;
        *ret = s;
        return 0;
}

EventSink *event_sink_free(EventSink *s) {
        if (s) {
                free(s->listeners);
                free(s->instance);
        }
        free(s);
        return NULL;
}

void event_sink_set_capture(EventSink *s, EventCapture f, void *userdata) {
        s->capture = f;
        s->capture_userdata = userdata;
}

int event_sink_set_instance(EventSink *s, const char *instance) {
        char *copy = NULL;

        if (instance && !(copy = strdup(instance)))
                return -ENOMEM;
        free(s->instance);
        s->instance = copy;
        return 0;
}

const char *event_sink_instance(const EventSink *s) {
        return s->instance;
}

int event_sink_add_listener(EventSink *s, EventCapture f, void *userdata) {
        void *l = reallocarray(s->listeners, s->n_listeners + 1, sizeof(*s->listeners));

        if (!l)
                return -ENOMEM;
        s->listeners = l;
        s->listeners[s->n_listeners].f = f;
        s->listeners[s->n_listeners].userdata = userdata;
        s->n_listeners++;
        return 0;
}

void event_sink_remove_listener(EventSink *s, EventCapture f, void *userdata) {
        for (size_t i = 0; i < s->n_listeners; i++)
                if (s->listeners[i].f == f && s->listeners[i].userdata == userdata) {
                        memmove(&s->listeners[i], &s->listeners[i + 1],
                                (s->n_listeners - i - 1) * sizeof(*s->listeners));
                        s->n_listeners--;
                        return;
                }
}

static const char *priority_name(int p) {
        switch (p) {
        case LOG_ERR:
                return "error";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
                return "notice";
        default:
                return "info";
        }
}

typedef struct Fields {
        struct iovec iov[32];
        size_t n;
        bool oom;
} Fields;

static void fields_add(Fields *f, const char *name, const char *value) {
        char *s;

        if (!value || f->n >= ELEMENTSOF(f->iov))
                return;
        if (asprintf(&s, "%s=%s", name, value) < 0) {
                f->oom = true;
                return;
        }
        f->iov[f->n++] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
}

static void fields_add_long(Fields *f, const char *name, long v) {
        char buf[32];

        if (v < 0)
                return;
        snprintf(buf, sizeof(buf), "%ld", v);
        fields_add(f, name, buf);
}

static void fields_clear(Fields *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->iov[i].iov_base);
        f->n = 0;
}

static void send_to_journal(const EventSink *s, const Event *e) {
        Fields f = {};
        char prio[4];

        snprintf(prio, sizeof(prio), "%d", event_kind_priority(e->kind));
        fields_add(&f, "MESSAGE", e->message ? e->message : event_kind_name(e->kind));
        fields_add(&f, "MESSAGE_ID", event_kind_message_id(e->kind));
        fields_add(&f, "PRIORITY", prio);
        fields_add(&f, "SYSLOG_IDENTIFIER", program_invocation_short_name);
        fields_add(&f, "TASKWATCH_EVENT", event_kind_name(e->kind));
        fields_add(&f, "TASKWATCH_INSTANCE", s->instance);
        fields_add(&f, "TASK_ID", e->task_id);
        fields_add(&f, "CLUSTER_ID", e->cluster_id);
        fields_add(&f, "TASK_TYPE", e->task_type);
        fields_add(&f, "TASK_STATE", e->task_state);
        fields_add(&f, "TASK_PREVIOUS_STATE", e->task_previous_state);
        fields_add(&f, "TASK_STAGE", e->task_stage);
        fields_add(&f, "TASK_PREVIOUS_STAGE", e->task_previous_stage);
        fields_add(&f, "INSTANCE_ID", e->instance_id);
        fields_add(&f, "INSTANCE_STATUS", e->instance_status);
        fields_add(&f, "INSTANCE_PREVIOUS_STATUS", e->instance_previous_status);
        fields_add(&f, "ERROR_CODE", e->error_code);
        fields_add(&f, "ERROR_MESSAGE", e->error_message);
        fields_add(&f, "REQUEST_ID", e->request_id);
        if (e->http_status > 0)
                fields_add_long(&f, "HTTP_STATUS", e->http_status);
        fields_add_long(&f, "INSTANCES_SUCCEEDED", e->instances_succeeded);
        fields_add_long(&f, "INSTANCES_FAILED", e->instances_failed);
        fields_add_long(&f, "INSTANCES_PENDING", e->instances_pending);
        fields_add(&f, "RETRY_IN", e->retry_in);
        fields_add(&f, "CREDENTIALS_SOURCE", e->credentials_source);
        if (e->tasks_affected > 0)
                fields_add_long(&f, "TASKS_AFFECTED", (long) e->tasks_affected);
        fields_add(&f, "FAILURE_KIND", e->failure_kind);

        /* Without a journal socket this fails with -ENOENT: the stderr line is the record. */
        if (!f.oom)
                (void) sd_journal_sendv(f.iov, (int) f.n);
        fields_clear(&f);
}

/* Messages quote the API (error messages, states, ids): on a terminal, an escape sequence
 * in them could rewrite what the operator sees. Control characters are shown as \xNN. */
static void put_escaped(FILE *out, const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(out, "\\x%02x", *p);
                else
                        fputc(*p, out);
}

static void put_line(FILE *out, const Event *e, bool color) {
        char stamp[32];
        struct tm tm;
        time_t t = time(NULL);
        int prio = event_kind_priority(e->kind);
        const char *on = !color ? NULL : prio <= LOG_ERR ? "\x1b[31m" : prio == LOG_WARNING ? "\x1b[33m" : NULL;

        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        /* Coloured around the padded word: the messages still start in one column. */
        fprintf(out, "%s %s%-7s%s ", stamp, on ?: "", priority_name(prio), on ? "\x1b[0m" : "");
        put_escaped(out, e->message ? e->message : event_kind_name(e->kind));
        fputc('\n', out);
}

/* stderr is unbuffered: written straight to it, a line cost a write() per character (about
 * a hundred), so the line is put together first and written at once, which also keeps
 * lines whole when another process writes to the same file. */
void event_print_line(FILE *out, const Event *e) {
        event_print_line_color(out, e, false);
}

void event_print_line_color(FILE *out, const Event *e, bool color) {
        _cleanup_(freep) char *line = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&line, &len);

        if (m) {
                put_line(m, e, color);
                if (fclose(m) == 0) {
                        (void) fwrite(line, 1, len, out);
                        (void) fflush(out);
                        return;
                }
        }
        put_line(out, e, color); /* out of memory: slower, but the line still goes out */
        (void) fflush(out);
}

void event_sink_set_journal(EventSink *s, bool enable) {
        s->journal = enable;
}

void event_sink_print(EventSink *s, const Event *e) {
        if (s && s->also)
                event_print_line(s->also, e);
}

/* m cut to EVENT_MESSAGE_MAX bytes, not inside a UTF-8 sequence, with a marker; NULL on OOM. */
static char *message_cut(const char *m, size_t len, bool full_in_field) {
        size_t n = EVENT_MESSAGE_MAX;
        char *r;

        while (n > 0 && ((unsigned char) m[n] & 0xc0) == 0x80)
                n--;
        if (asprintf(&r, "%.*s... [%zu more bytes cut%s]", (int) n, m, len - n,
                     full_in_field ? "; ERROR_MESSAGE= has the whole error" : "") < 0)
                return NULL;
        return r;
}

void event_emit(EventSink *s, const Event *e) {
        _cleanup_(freep) char *cut = NULL;
        Event shortened;
        size_t len = e->message ? strlen(e->message) : 0;

        if (len > EVENT_MESSAGE_MAX) {
                /* On OOM the kind's name stands in: better than the whole text. */
                cut = message_cut(e->message, len, e->error_message != NULL);
                shortened = *e;
                shortened.message = cut;
                e = &shortened;
        }
        if (s->capture)
                s->capture(e, s->capture_userdata);
        for (size_t i = 0; i < s->n_listeners; i++)
                s->listeners[i].f(e, s->listeners[i].userdata);
        if (s->journal)
                send_to_journal(s, e);
        if (s->also)
                event_print_line(s->also, e);
}

void event_emitf(EventSink *s, Event *e, const char *fmt, ...) {
        _cleanup_(freep) char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&m, fmt, ap);
        va_end(ap);
        e->message = r < 0 ? NULL : m; /* on OOM the kind's name still says what happened */
        event_emit(s, e);
        e->message = NULL;
}
