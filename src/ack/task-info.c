/* Decodes DescribeTaskInfo replies and API error bodies: the only file that sees yajl. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ack/task-info.h"
#include "json/json-get.h"
#include "json/json-parse.h"
#include "json/json-reason.h"
#include "util/cleanup.h"

/* Longest path a reason names, e.g. "task_result[99999].status". */
#define PATH_LEN 64

/* The limits the text is checked against before yajl sees it (json/json-guard.h says why). */
static const JsonLimits reply_limits = {
        .max_depth = TASK_INFO_MAX_DEPTH,
        .max_entries = TASK_INFO_MAX_ENTRIES,
        .max_values = TASK_INFO_MAX_VALUES,
};

/* The guards every body goes through before yajl sees it; the size first, in words that
 * give it. */
static int parse_guarded(const char *body, size_t len, yajl_val *ret, char **reason) {
        if (len > TASK_INFO_MAX_BODY)
                return json_fail(reason, "body of %zu bytes is larger than the limit of %u bytes", len,
                            TASK_INFO_MAX_BODY);
        return json_parse(body, len, &reply_limits, ret, reason);
}

/* ---- the reply model ------------------------------------------------------------------ */

typedef enum FieldKind {
        FIELD_TEXT,        /* a string */
        FIELD_TEXT_OR_INT, /* a string, or an integer kept as its decimal text */
        FIELD_OBJECT,      /* a nested object whose fields land in the same struct */
        FIELD_ARRAY,       /* an array of objects, each decoded into an element */
} FieldKind;

typedef struct ArraySpec ArraySpec;

typedef struct Field {
        const char *key;
        FieldKind kind;
        size_t offset;             /* FIELD_TEXT*: of the char * in the struct */
        const struct Field *sub;   /* FIELD_OBJECT */
        size_t n_sub;
        const ArraySpec *array;    /* FIELD_ARRAY: only in TaskInfo itself */
} Field;

struct ArraySpec {
        size_t item_size;
        const Field *fields;
        size_t n_fields;
        const char *required; /* a FIELD_TEXT* key every element must carry, or NULL */
        bool skip_null;       /* null elements are dropped rather than refused */
        /* Hands the elements decoded so far to the TaskInfo, so that freeing it on any later
         * error frees them too. */
        void (*attach)(TaskInfo *t, void *items, size_t n);
};

/* Leniency: the API documents ids and times as strings, but timestamps are epoch
 * milliseconds that a backend may well send as a JSON number, and an error code may be
 * numeric. So ids, times and codes also accept an integer (YAJL_IS_INTEGER: it fits a long
 * long), kept as its decimal text. A fraction or a float there is refused. States, statuses,
 * types and messages must be strings: a number there means the reply is not what we think. */
#define TEXT(k, type, member) { .key = k, .kind = FIELD_TEXT, .offset = offsetof(type, member) }
#define TEXT_OR_INT(k, type, member)                                                           \
        { .key = k, .kind = FIELD_TEXT_OR_INT, .offset = offsetof(type, member) }

static const Field instance_fields[] = {
        TEXT_OR_INT("data", TaskInstance, id),
        TEXT("status", TaskInstance, status),
};

static const Field stage_fields[] = {
        TEXT("state", TaskStage, state),
        TEXT_OR_INT("start_time", TaskStage, start_time),
        TEXT_OR_INT("end_time", TaskStage, end_time),
        TEXT("message", TaskStage, message),
};

static const Field event_fields[] = {
        TEXT("action", TaskEventRecord, action),
        TEXT("level", TaskEventRecord, level),
        TEXT("message", TaskEventRecord, message),
        TEXT("reason", TaskEventRecord, reason),
        TEXT("source", TaskEventRecord, source),
        TEXT_OR_INT("timestamp", TaskEventRecord, timestamp),
};

static const Field target_fields[] = {
        TEXT_OR_INT("id", TaskInfo, target_id),
        TEXT("type", TaskInfo, target_type),
};

static const Field error_fields[] = {
        TEXT_OR_INT("code", TaskInfo, error_code),
        TEXT("message", TaskInfo, error_message),
};

static void attach_instances(TaskInfo *t, void *items, size_t n) {
        t->instances = items;
        t->n_instances = n;
}

static void attach_stages(TaskInfo *t, void *items, size_t n) {
        t->stages = items;
        t->n_stages = n;
}

static void attach_events(TaskInfo *t, void *items, size_t n) {
        t->events = items;
        t->n_events = n;
}

/* An instance without "data" cannot be tracked, so it makes the reply malformed; a null
 * element there is refused for the same reason. Null stages and events are just absent. */
static const ArraySpec instances_spec = {
        sizeof(TaskInstance), instance_fields, ELEMENTSOF(instance_fields), "data", false,
        attach_instances,
};
static const ArraySpec stages_spec = {
        sizeof(TaskStage), stage_fields, ELEMENTSOF(stage_fields), NULL, true, attach_stages,
};
static const ArraySpec events_spec = {
        sizeof(TaskEventRecord), event_fields, ELEMENTSOF(event_fields), NULL, true,
        attach_events,
};

static const Field task_info_fields[] = {
        TEXT_OR_INT("task_id", TaskInfo, task_id),
        TEXT_OR_INT("cluster_id", TaskInfo, cluster_id),
        TEXT_OR_INT("created", TaskInfo, created),
        TEXT_OR_INT("updated", TaskInfo, updated),
        TEXT("state", TaskInfo, state),
        TEXT("task_type", TaskInfo, task_type),
        TEXT("current_stage", TaskInfo, current_stage),
        { .key = "target", .kind = FIELD_OBJECT, .sub = target_fields,
          .n_sub = ELEMENTSOF(target_fields) },
        { .key = "error", .kind = FIELD_OBJECT, .sub = error_fields,
          .n_sub = ELEMENTSOF(error_fields) },
        { .key = "task_result", .kind = FIELD_ARRAY, .array = &instances_spec },
        { .key = "stages", .kind = FIELD_ARRAY, .array = &stages_spec },
        { .key = "events", .kind = FIELD_ARRAY, .array = &events_spec },
};

/* decode_object() keeps the keys it has seen in a 32-bit mask. */
_Static_assert(ELEMENTSOF(task_info_fields) <= 32, "too many fields for the seen mask");

static size_t field_index(const Field *fields, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(fields[i].key, key) == 0)
                        return i;
        return SIZE_MAX;
}

/* "target.id" or "task_result[2]": known keys and bounded indices, so it fits; should it
 * not, the path only names a place in an error message, so a cut one ending in "..." will do
 * (and the compiler, which cannot see the bounds, is told so). */
static void path_push(char buf[static PATH_LEN], const char *path, const char *key,
                      size_t index) {
        int n = key ? snprintf(buf, PATH_LEN, "%s%s%s", path, *path ? "." : "", key)
                    : snprintf(buf, PATH_LEN, "%s[%zu]", path, index);
        if (n < 0 || n >= PATH_LEN)
                memcpy(buf + PATH_LEN - 4, "...", 4);
}

static char **text_slot(void *base, const Field *f) {
        return (char **) ((char *) base + f->offset);
}

/* v is not null. */
static int decode_text(yajl_val v, FieldKind kind, char **slot, const char *path,
                       char **reason) {
        char buf[32], *s;

        if (YAJL_IS_STRING(v))
                s = strdup(v->u.string);
        else if (kind == FIELD_TEXT_OR_INT && YAJL_IS_INTEGER(v)) {
                (void) snprintf(buf, sizeof buf, "%lld", YAJL_GET_INTEGER(v));
                s = strdup(buf);
        } else if (kind == FIELD_TEXT_OR_INT && json_is_huge_integer(v))
                return json_fail(reason, "at %s: expected a string or an integer, got an integer "
                                    "too large for 64 bits", path);
        else if (kind == FIELD_TEXT_OR_INT && YAJL_IS_NUMBER(v))
                return json_fail(reason, "at %s: expected a string or an integer, got a non-integer "
                                    "number", path);
        else
                return json_fail(reason, "at %s: expected %s, got %s", path,
                            kind == FIELD_TEXT_OR_INT ? "a string or an integer" : "a string",
                            json_type_name(v));
        if (!s)
                return -ENOMEM;
        *slot = s;
        return 0;
}

static int decode_array(yajl_val v, const ArraySpec *spec, TaskInfo *t, const char *path,
                        char **reason);

/* Fields land at their offsets in base; keys the table does not know are ignored, since the
 * API adds keys freely. A known key twice is refused: which one counts would be a guess. */
static int decode_object(yajl_val obj, const Field *fields, size_t n_fields, void *base,
                         const char *path, char **reason) {
        uint32_t seen = 0;
        int r;

        if (!YAJL_IS_OBJECT(obj))
                return json_fail(reason, "at %s: expected an object, got %s", path, json_type_name(obj));

        for (size_t i = 0; i < obj->u.object.len; i++) {
                const char *key = obj->u.object.keys[i];
                yajl_val v = obj->u.object.values[i];
                char sub[PATH_LEN];
                size_t f = field_index(fields, n_fields, key);

                if (f == SIZE_MAX)
                        continue;
                path_push(sub, path, key, 0);
                if (seen & (UINT32_C(1) << f))
                        return json_fail(reason, "at %s: duplicate key", sub);
                seen |= UINT32_C(1) << f;
                if (!v || YAJL_IS_NULL(v))
                        continue;

                switch (fields[f].kind) {
                case FIELD_TEXT:
                case FIELD_TEXT_OR_INT:
                        r = decode_text(v, fields[f].kind, text_slot(base, &fields[f]), sub,
                                        reason);
                        break;
                case FIELD_OBJECT:
                        r = decode_object(v, fields[f].sub, fields[f].n_sub, base, sub, reason);
                        break;
                case FIELD_ARRAY:
                        r = decode_array(v, fields[f].array, base, sub, reason);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decode_array(yajl_val v, const ArraySpec *spec, TaskInfo *t, const char *path,
                        char **reason) {
        size_t n, count = 0;
        char *items;
        int r;

        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at %s: expected an array, got %s", path, json_type_name(v));
        n = v->u.array.len; /* at most TASK_INFO_MAX_ENTRIES: prescan() saw to it */
        if (n == 0)
                return 0;

        items = calloc(n, spec->item_size);
        if (!items)
                return -ENOMEM;
        spec->attach(t, items, 0);

        for (size_t i = 0; i < n; i++) {
                yajl_val e = v->u.array.values[i];
                char sub[PATH_LEN];
                void *item;

                path_push(sub, path, NULL, i);
                if (!e || YAJL_IS_NULL(e)) {
                        if (spec->skip_null)
                                continue;
                        return json_fail(reason, "at %s: expected an object, got null", sub);
                }

                item = items + count * spec->item_size;
                spec->attach(t, items, ++count);
                r = decode_object(e, spec->fields, spec->n_fields, item, sub, reason);
                if (r < 0)
                        return r;

                if (spec->required) {
                        size_t f = field_index(spec->fields, spec->n_fields, spec->required);
                        if (!*text_slot(item, &spec->fields[f]))
                                return json_fail(reason, "at %s: entry has no \"%s\"", sub,
                                            spec->required);
                }
        }
        return 0;
}

int task_info_parse(const char *body, size_t len, TaskInfo **ret, char **ret_reason) {
        _cleanup_(json_freep) yajl_val root = NULL;
        _cleanup_(freep) char *reason = NULL;
        TaskInfo *t = NULL;
        int r;

        if (!ret || (!body && len > 0))
                return -EINVAL;
        if (ret_reason)
                *ret_reason = NULL;

        r = parse_guarded(body, len, &root, &reason);
        if (r >= 0 && !YAJL_IS_OBJECT(root))
                r = json_fail(&reason, "reply is not a JSON object but %s", json_type_name(root));
        if (r >= 0) {
                t = calloc(1, sizeof *t);
                if (!t)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = decode_object(root, task_info_fields, ELEMENTSOF(task_info_fields), t, "",
                                  &reason);
        if (r >= 0 && !t->state)
                r = json_fail(&reason, "reply has no state");
        if (r < 0) {
                task_info_free(t);
                if (ret_reason && r == -EBADMSG)
                        *ret_reason = TAKE_PTR(reason);
                return r;
        }

        *ret = t;
        return 0;
}

static void instance_done(TaskInstance *i) {
        free(i->id);
        free(i->status);
}

static void stage_done(TaskStage *s) {
        free(s->state);
        free(s->start_time);
        free(s->end_time);
        free(s->message);
}

static void event_done(TaskEventRecord *e) {
        free(e->action);
        free(e->level);
        free(e->message);
        free(e->reason);
        free(e->source);
        free(e->timestamp);
}

TaskInfo *task_info_free(TaskInfo *t) {
        if (!t)
                return NULL;
        free(t->task_id);
        free(t->cluster_id);
        free(t->created);
        free(t->updated);
        free(t->state);
        free(t->task_type);
        free(t->current_stage);
        free(t->target_id);
        free(t->target_type);
        free(t->error_code);
        free(t->error_message);
        for (size_t i = 0; i < t->n_instances; i++)
                instance_done(&t->instances[i]);
        free(t->instances);
        for (size_t i = 0; i < t->n_stages; i++)
                stage_done(&t->stages[i]);
        free(t->stages);
        for (size_t i = 0; i < t->n_events; i++)
                event_done(&t->events[i]);
        free(t->events);
        free(t);
        return NULL;
}

/* ---- error bodies ----------------------------------------------------------------------- */

/* In order of preference when a body carries both casings. An error body is read on a path
 * that already failed, so a field of the wrong type is ignored rather than refused. */
static const struct {
        const char *key;
        size_t offset;
        bool integer_ok;
} api_error_keys[] = {
        { "Code", offsetof(ApiError, code), true },
        { "code", offsetof(ApiError, code), true },
        { "Message", offsetof(ApiError, message), false },
        { "message", offsetof(ApiError, message), false },
        { "RequestId", offsetof(ApiError, request_id), false },
        { "requestId", offsetof(ApiError, request_id), false },
        { "request_id", offsetof(ApiError, request_id), false },
        { "HostId", offsetof(ApiError, host_id), false },
        { "Recommend", offsetof(ApiError, recommend), false },
};

int api_error_parse(const char *body, size_t len, ApiError **ret) {
        _cleanup_(json_freep) yajl_val root = NULL;
        _cleanup_(freep) char *reason = NULL;
        ApiError *e;
        int r;

        if (!ret || (!body && len > 0))
                return -EINVAL;

        r = parse_guarded(body, len, &root, &reason);
        if (r < 0)
                return r;
        if (!YAJL_IS_OBJECT(root))
                return -EBADMSG;

        e = calloc(1, sizeof *e);
        if (!e)
                return -ENOMEM;

        for (size_t i = 0; i < ELEMENTSOF(api_error_keys); i++) {
                char **slot = (char **) ((char *) e + api_error_keys[i].offset);
                yajl_val v = json_member(root, api_error_keys[i].key);
                char buf[32];
                const char *s;

                if (*slot || !v)
                        continue;
                if (YAJL_IS_STRING(v))
                        s = v->u.string;
                else if (api_error_keys[i].integer_ok && YAJL_IS_INTEGER(v)) {
                        (void) snprintf(buf, sizeof buf, "%lld", YAJL_GET_INTEGER(v));
                        s = buf;
                } else
                        continue;
                *slot = strdup(s);
                if (!*slot) {
                        api_error_free(e);
                        return -ENOMEM;
                }
        }

        if ((!e->code || !*e->code) && (!e->message || !*e->message)) {
                api_error_free(e);
                return -EBADMSG;
        }
        *ret = e;
        return 0;
}

ApiError *api_error_free(ApiError *e) {
        if (!e)
                return NULL;
        free(e->code);
        free(e->message);
        free(e->request_id);
        free(e->host_id);
        free(e->recommend);
        free(e);
        return NULL;
}
