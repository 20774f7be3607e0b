/* Records the events a sink emits, for assertions in unit tests. */
#pragma once

#include <string.h>

#include "report/event.h"

typedef struct RecordedEvent {
        EventKind kind;
        char *task_id, *task_state, *task_previous_state, *task_stage, *instance_id,
                *instance_status, *instance_previous_status, *error_code, *error_message, *message;
        long succeeded, failed, pending;
        int http_status;
} RecordedEvent;

typedef struct EventRecorder {
        RecordedEvent events[256];
        size_t n;
        EventSink *sink;
} EventRecorder;

static inline char *recorder_dup(const char *s) {
        return s ? strdup(s) : NULL;
}

static inline void recorder_on_event(const Event *e, void *userdata) {
        EventRecorder *r = userdata;

        if (r->n >= sizeof(r->events) / sizeof(r->events[0]))
                return;
        r->events[r->n++] = (RecordedEvent) {
                .kind = e->kind,
                .task_id = recorder_dup(e->task_id),
                .task_state = recorder_dup(e->task_state),
                .task_previous_state = recorder_dup(e->task_previous_state),
                .task_stage = recorder_dup(e->task_stage),
                .instance_id = recorder_dup(e->instance_id),
                .instance_status = recorder_dup(e->instance_status),
                .instance_previous_status = recorder_dup(e->instance_previous_status),
                .error_code = recorder_dup(e->error_code),
                .error_message = recorder_dup(e->error_message),
                .message = recorder_dup(e->message),
                .succeeded = e->instances_succeeded,
                .failed = e->instances_failed,
                .pending = e->instances_pending,
                .http_status = e->http_status,
        };
}

static inline void recorder_clear(EventRecorder *r) {
        for (size_t i = 0; i < r->n; i++) {
                RecordedEvent *e = &r->events[i];
                free(e->task_id);
                free(e->task_state);
                free(e->task_previous_state);
                free(e->task_stage);
                free(e->instance_id);
                free(e->instance_status);
                free(e->instance_previous_status);
                free(e->error_code);
                free(e->error_message);
                free(e->message);
        }
        r->n = 0;
}

static inline void recorder_init(EventRecorder *r) {
        memset(r, 0, sizeof(*r));
        if (event_sink_new(&r->sink, NULL) < 0)
                abort();
        event_sink_set_journal(r->sink, false);
        event_sink_set_capture(r->sink, recorder_on_event, r);
}

static inline void recorder_done(EventRecorder *r) {
        recorder_clear(r);
        event_sink_free(r->sink);
}

/* The number of recorded events of kind k. */
static inline size_t recorder_count(const EventRecorder *r, EventKind k) {
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
                n += r->events[i].kind == k;
        return n;
}

/* The first recorded event of kind k, or NULL. */
static inline const RecordedEvent *recorder_find(const EventRecorder *r, EventKind k) {
        for (size_t i = 0; i < r->n; i++)
                if (r->events[i].kind == k)
                        return &r->events[i];
        return NULL;
}
