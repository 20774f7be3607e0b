/* Events: one structured journal entry each, and a readable line when stderr is not the
 * journal. The kinds, their MESSAGE_IDs and priorities are the daemon's public interface
 * (alert rules key on them; systemd/taskwatchd.catalog documents each). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "util/cleanup.h"

typedef enum EventKind {
        EVENT_TASK_BASELINE,           /* first successful poll of a task */
        EVENT_TASK_STATE_CHANGED,      /* a non-terminal change: running -> paused, ... */
        EVENT_TASK_SUCCEEDED,
        EVENT_TASK_FAILED,             /* fail / failed; carries ERROR_CODE, ERROR_MESSAGE */
        EVENT_TASK_CANCELED,
        EVENT_TASK_UNKNOWN_STATE,      /* a state we do not know: reported once, not terminal */
        EVENT_TASK_STAGE_CHANGED,      /* current_stage moved */
        EVENT_TASK_PROGRESS,           /* instance counts succeeded/failed/pending moved */
        EVENT_INSTANCE_ADDED,          /* a new entry in task_result */
        EVENT_INSTANCE_SUCCEEDED,
        EVENT_INSTANCE_FAILED,
        EVENT_INSTANCE_STATUS_CHANGED, /* any other instance status change */
        EVENT_TASK_NOT_FOUND,          /* the API keeps saying the task does not exist */
        EVENT_API_AUTH_ERROR,          /* signature, key, token, permission */
        EVENT_API_THROTTLED,
        EVENT_API_SERVER_ERROR,        /* 5xx */
        EVENT_API_CLIENT_ERROR,        /* any other 4xx */
        EVENT_API_NETWORK_ERROR,       /* connect, TLS, reset, timeout */
        EVENT_API_BAD_REPLY,           /* a 2xx whose body we refuse */
        EVENT_API_RECOVERED,           /* a good poll after errors */
        EVENT_DAEMON_STARTED,
        EVENT_DAEMON_STOPPING,
        EVENT_CONFIG_RELOADED,
        EVENT_CONFIG_RELOAD_FAILED,
        EVENT_TASK_ADDED,              /* by a reload */
        EVENT_TASK_REMOVED,            /* by a reload */
        EVENT_CREDENTIALS_ERROR,
        EVENT_WAIT_TIMED_OUT,          /* --timeout passed before every task was terminal */
        EVENT_CREDENTIALS_LOADED,      /* credentials obtained (at start, or anew after none) */
        EVENT_CREDENTIALS_REFRESHED,   /* temporary credentials replaced ahead of expiry */
        EVENT_CREDENTIALS_REFRESH_FAILED, /* a refresh failed; the current ones are still valid */
        EVENT_CREDENTIALS_EXPIRED,     /* expired with no replacement: polling is paused */
        EVENT_HOOK_FINISHED,           /* a hook exited 0 */
        EVENT_HOOK_FAILED,             /* a hook exited non-zero, was killed, or did not start */
        EVENT_HOOK_TIMED_OUT,          /* HookTimeout= passed: the hook was killed */
        EVENT_HOOK_OUTPUT,             /* a line a hook wrote (sent by the hook runner itself) */
        EVENT_TASK_TIMED_OUT,          /* still not terminal TaskTimeout= after watching began */
        EVENT_STATE_DISCARDED,         /* a task's state file was unreadable: moved aside */
        EVENT_STATE_SAVE_FAILED,       /* a task's state could not be saved */
        EVENT_API_OUTAGE,              /* most tasks' polls fail alike: network, 5xx, auth */
        EVENT_API_OUTAGE_RECOVERED,    /* that outage is over */
        _EVENT_KIND_MAX,
} EventKind;

/* Every field is optional (NULL = absent). Strings are borrowed for the call. */
typedef struct Event {
        EventKind kind;
        const char *task_id, *cluster_id, *task_type;
        const char *task_state, *task_previous_state;
        const char *task_stage, *task_previous_stage;
        const char *instance_id, *instance_status, *instance_previous_status;
        unsigned instance_failure; /* instance-failed: that instance's how-manieth failure
                                    * (1, 2, ...), part of its hook event key; 0 = not counted */
        const char *error_code, *error_message;
        const char *request_id;
        int http_status;       /* 0 = absent */
        long instances_succeeded, instances_failed, instances_pending; /* -1 = absent */
        const char *retry_in;  /* human span until the next attempt, "40s" */
        const char *credentials_source; /* "environment", "ecs-ram-role", ...: never a secret */
        size_t tasks_affected; /* api-outage*: tasks failing with it; 0 = absent */
        const char *failure_kind; /* api-outage*: "server error", "network error", ... */
        const char *message;   /* the human MESSAGE, already formatted */
} Event;

#define EVENT_INIT(k)                                                                          \
        (Event) {                                                                              \
                .kind = (k), .instances_succeeded = -1, .instances_failed = -1,                \
                .instances_pending = -1,                                                       \
        }

const char *event_kind_name(EventKind k);       /* "task-failed": the TASKWATCH_EVENT= field */
const char *event_kind_message_id(EventKind k); /* 32 hex digits */
int event_kind_priority(EventKind k);           /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */

/* Where events go. Journal entries are sent whenever a journal socket exists; a line goes
 * to `also` (stderr) unless it is the journal itself ($JOURNAL_STREAM). Tests can capture
 * events through `capture` (one slot); code that acts on events adds a listener. */
typedef struct EventSink EventSink;
typedef void (*EventCapture)(const Event *e, void *userdata);

int event_sink_new(EventSink **ret, FILE *also);
EventSink *event_sink_free(EventSink *s);
DEFINE_POINTER_CLEANUP(EventSink, event_sink_free)
void event_sink_set_capture(EventSink *s, EventCapture f, void *userdata);
/* Listeners see every event after the capture and before the journal, in the order they were
 * added; one of them, the watcher's, runs hooks. They must not emit events themselves. 0 or
 * -ENOMEM. Removing one that is not there does nothing. */
int event_sink_add_listener(EventSink *s, EventCapture f, void *userdata);
void event_sink_remove_listener(EventSink *s, EventCapture f, void *userdata);
/* The daemon's instance name (taskwatchd@NAME.service): every journal entry then carries
 * TASKWATCH_INSTANCE=NAME, so that the entries of several instances stay apart. NULL (the
 * main daemon) sends no such field. Copied; 0 or -ENOMEM. */
int event_sink_set_instance(EventSink *s, const char *instance);
const char *event_sink_instance(const EventSink *s);
/* Unit tests keep their events out of whatever journal the machine runs. */
void event_sink_set_journal(EventSink *s, bool enable);

/* A message longer than this many bytes (the server's text quoted in it: a 200 KB
 * error.message) is cut there, at a character boundary, and ends with "... [N more bytes
 * cut]" in MESSAGE=, on the stream, for the capture and the listeners alike. The fields keep
 * their whole value: ERROR_MESSAGE= has the full text. */
#define EVENT_MESSAGE_MAX 4096

void event_emit(EventSink *s, const Event *e);
/* Only the readable line, on `also` when there is one (stderr that is not the journal): for
 * what sends its own journal entry with fields an Event lacks (a hook's output lines). No
 * capture, no listener sees it. */
void event_sink_print(EventSink *s, const Event *e);
/* The readable line of e, as a sink prints it on `also`: for a command (taskwatch wait) that
 * prints events itself. Written at once, then flushed. */
void event_print_line(FILE *out, const Event *e);
/* The same with the priority word coloured (red error, yellow warning) when color is set:
 * for a terminal the caller has decided wants it (taskwatch's one rule for colour). */
void event_print_line_color(FILE *out, const Event *e, bool color);
/* Format the message and emit in one go. */
void event_emitf(EventSink *s, Event *e, const char *fmt, ...) _printf_(3, 4);
