/* Task records to and from the JSON of a state file, decoded as warily as an API reply. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "json/json-parse.h"
#include "json/json-reason.h"
#include "task-store-internal.h"
#include "state/task-store.h"

/* A record nests four levels deep; the slack is for keys a later release may add. */
#define MAX_DEPTH 32U
/* Per array or object: instances, plus room for unknown keys in an instance object. */
#define MAX_ENTRIES (TASK_STORE_MAX_INSTANCES + 1000U)
/* Two per instance, one per hook done and up to 16 per hook pending, plus the few fields:
 * bounds yajl's tree (~45 bytes a value) to tens of MB even for a hostile file. */
#define MAX_VALUES (2U * TASK_STORE_MAX_INSTANCES + 17U * TASK_STORE_MAX_HOOKS + 10000U)
#define PATH_LEN 96

static const JsonLimits file_limits = {
        .max_bytes = TASK_STORE_MAX_FILE,
        .max_depth = MAX_DEPTH,
        .max_entries = MAX_ENTRIES,
        .max_values = MAX_VALUES,
};

/* ---- encoding --------------------------------------------------------------------------- */

static void yajl_gen_freep(yajl_gen *g) {
        if (*g)
                yajl_gen_free(*g);
}

static int gen_result(yajl_gen_status s) {
        switch (s) {
        case yajl_gen_status_ok:
                return 0;
        case yajl_gen_invalid_string:
                return -EILSEQ;
        default:
                return -EINVAL; /* a bug in the sequence of calls below */
        }
}

static int gen_string(yajl_gen g, const char *s) {
        if (!s)
                return gen_result(yajl_gen_null(g));
        return gen_result(yajl_gen_string(g, (const unsigned char *) s, strlen(s)));
}

static int gen_key_string(yajl_gen g, const char *key, const char *s) {
        return gen_string(g, key) ?: gen_string(g, s);
}

static int gen_key_bool(yajl_gen g, const char *key, bool b) {
        return gen_string(g, key) ?: gen_result(yajl_gen_bool(g, b));
}

static int gen_key_usec(yajl_gen g, const char *key, usec_t t) {
        if (t > (usec_t) INT64_MAX)
                return -ERANGE; /* yajl reads integers as long long */
        return gen_string(g, key) ?: gen_result(yajl_gen_integer(g, (long long) t));
}

static int gen_snapshot(yajl_gen g, const TaskSnapshot *s) {
        int r = 0;

        r = r ?: gen_string(g, "snapshot");
        r = r ?: gen_result(yajl_gen_map_open(g));
        r = r ?: gen_key_string(g, "state", s->state);
        r = r ?: gen_key_string(g, "stage", s->stage);
        r = r ?: gen_key_string(g, "cluster_id", s->cluster_id);
        r = r ?: gen_key_string(g, "task_type", s->task_type);
        r = r ?: gen_key_string(g, "error_code", s->error_code);
        r = r ?: gen_key_string(g, "error_message", s->error_message);
        r = r ?: gen_string(g, "instances");
        r = r ?: gen_result(yajl_gen_array_open(g));
        for (size_t i = 0; r == 0 && i < s->n_instances; i++) {
                if (!s->instances[i].id)
                        return -EINVAL;
                r = r ?: gen_result(yajl_gen_map_open(g));
                r = r ?: gen_key_string(g, "id", s->instances[i].id);
                r = r ?: gen_key_string(g, "status", s->instances[i].status ?: "");
                if (s->instances[i].failures > 0)
                        r = r ?: gen_string(g, "failures") ?:
                                 gen_result(yajl_gen_integer(g, (long long) s->instances[i].failures));
                r = r ?: gen_result(yajl_gen_map_close(g));
        }
        r = r ?: gen_result(yajl_gen_array_close(g));
        r = r ?: gen_result(yajl_gen_map_close(g));
        return r;
}

/* Written only when there are some, so that a file without pending hooks is as before. */
static int gen_hooks_pending(yajl_gen g, const HookLedger *l) {
        int r = 0;

        if (l->n_pending == 0)
                return 0;
        r = r ?: gen_string(g, "hooks_pending");
        r = r ?: gen_result(yajl_gen_array_open(g));
        for (size_t i = 0; r == 0 && i < l->n_pending; i++) {
                const TaskPendingHook *p = &l->pending[i];

                if (!p->key || !p->kind ||
                    (p->input != TASK_HOOK_NO_INPUT && p->input >= l->n_inputs))
                        return -EINVAL;
                r = r ?: gen_result(yajl_gen_map_open(g));
                r = r ?: gen_key_string(g, "key", p->key);
                if (p->input != TASK_HOOK_NO_INPUT)
                        r = r ?: gen_string(g, "input") ?:
                                 gen_result(yajl_gen_integer(g, (long long) p->input));
                r = r ?: gen_string(g, "event");
                r = r ?: gen_result(yajl_gen_map_open(g));
                r = r ?: gen_key_string(g, "kind", p->kind);
                for (size_t f = 0; r == 0 && f < _TASK_HOOK_FIELD_MAX; f++)
                        if (p->fields[f])
                                r = gen_key_string(g, task_hook_field_name((TaskHookField) f),
                                                   p->fields[f]);
                r = r ?: gen_result(yajl_gen_map_close(g));
                r = r ?: gen_result(yajl_gen_map_close(g));
        }
        r = r ?: gen_result(yajl_gen_array_close(g));

        r = r ?: gen_string(g, "hook_inputs");
        r = r ?: gen_result(yajl_gen_array_open(g));
        for (size_t i = 0; r == 0 && i < l->n_inputs; i++)
                r = l->inputs[i] ? gen_string(g, l->inputs[i]->data) : -EINVAL;
        r = r ?: gen_result(yajl_gen_array_close(g));
        return r;
}

int task_record_to_json(const TaskRecord *rec, char **ret, size_t *ret_len) {
        _cleanup_(yajl_gen_freep) yajl_gen g = NULL;
        const unsigned char *buf;
        size_t len;
        char *out;
        int r = 0;

        if (!rec || !rec->task_id || !ret)
                return -EINVAL;
        const HookLedger empty = {}, *l = rec->hooks ?: &empty;
        if (rec->snapshot.n_instances > TASK_STORE_MAX_INSTANCES ||
            l->n_done > TASK_STORE_MAX_HOOKS ||
            l->n_pending > TASK_STORE_MAX_HOOKS ||
            l->n_inputs > TASK_STORE_MAX_HOOKS)
                return -E2BIG;

        /* yajl 2.1's buffer does not check its allocations: under OOM it crashes rather than
         * failing. Records are small; there is no way around it short of a custom writer. */
        g = yajl_gen_alloc(NULL);
        if (!g)
                return -ENOMEM;
        /* Writing what the reader would refuse would lose the record at the next start. */
        if (!yajl_gen_config(g, yajl_gen_validate_utf8, 1))
                return -EINVAL;

        r = r ?: gen_result(yajl_gen_map_open(g));
        r = r ?: gen_string(g, "version");
        r = r ?: gen_result(yajl_gen_integer(g, TASK_STORE_VERSION));
        r = r ?: gen_key_string(g, "task_id", rec->task_id);
        r = r ?: gen_key_bool(g, "have_baseline", rec->have_baseline);
        r = r ?: gen_key_bool(g, "lost", rec->lost);
        r = r ?: gen_key_bool(g, "timeout_reported", rec->timeout_reported);
        r = r ?: gen_key_usec(g, "first_seen_usec", rec->first_seen);
        r = r ?: gen_key_usec(g, "state_since_usec", rec->state_since);
        r = r ?: gen_key_usec(g, "last_poll_usec", rec->last_poll);
        r = r ?: gen_key_string(g, "last_error", rec->last_error);
        r = r ?: gen_string(g, "hooks_done");
        r = r ?: gen_result(yajl_gen_array_open(g));
        for (size_t i = 0; r == 0 && i < l->n_done; i++)
                r = l->done[i] ? gen_string(g, l->done[i]) : -EINVAL;
        r = r ?: gen_result(yajl_gen_array_close(g));
        r = r ?: gen_hooks_pending(g, l);
        if (rec->have_baseline)
                r = r ?: gen_snapshot(g, &rec->snapshot);
        r = r ?: gen_result(yajl_gen_map_close(g));
        r = r ?: gen_result(yajl_gen_get_buf(g, &buf, &len));
        if (r < 0)
                return r;
        if (len + 1 > TASK_STORE_MAX_FILE)
                return -EFBIG;

        out = malloc(len + 2);
        if (!out)
                return -ENOMEM;
        memcpy(out, buf, len);
        out[len++] = '\n'; /* a text file, for people who look at it */
        out[len] = '\0';
        *ret = out;
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* ---- decoding --------------------------------------------------------------------------- */

/* The value of key in obj (NULL when absent); a key given twice is refused, since which
 * one counts would be a guess. */
static int get(yajl_val obj, const char *key, const char *path, yajl_val *ret, char **reason) {
        yajl_val found = NULL;
        bool seen = false;

        /* Set on failure too: GCC at -O3 cannot tell that json_fail() returns < 0 and warns
         * that the callers' value may be used uninitialised. */
        *ret = NULL;
        for (size_t i = 0; i < obj->u.object.len; i++) {
                if (strcmp(obj->u.object.keys[i], key) != 0)
                        continue;
                if (seen)
                        return json_fail(reason, "at %s%s%s: duplicate key", path, *path ? "." : "",
                                    key);
                seen = true;
                found = obj->u.object.values[i];
        }
        *ret = found;
        return 0;
}

static bool is_absent(yajl_val v) {
        return !v || YAJL_IS_NULL(v);
}

static int get_string(yajl_val obj, const char *key, const char *path, bool required,
                      char **ret, char **reason) {
        yajl_val v;
        int r;

        r = get(obj, key, path, &v, reason);
        if (r < 0)
                return r;
        if (is_absent(v)) {
                if (required)
                        return json_fail(reason, "%s%shas no \"%s\"", path, *path ? " " : "", key);
                return 0;
        }
        if (!YAJL_IS_STRING(v))
                return json_fail(reason, "at %s%s%s: expected a string, got %s", path,
                            *path ? "." : "", key, json_type_name(v));
        *ret = strdup(v->u.string);
        return *ret ? 0 : -ENOMEM;
}

static int get_bool(yajl_val obj, const char *key, bool required, bool *ret, char **reason) {
        yajl_val v;
        int r;

        r = get(obj, key, "", &v, reason);
        if (r < 0)
                return r;
        if (is_absent(v)) {
                if (required)
                        return json_fail(reason, "has no \"%s\"", key);
                return 0;
        }
        if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
                return json_fail(reason, "at %s: expected a boolean, got %s", key, json_type_name(v));
        *ret = YAJL_IS_TRUE(v);
        return 0;
}

static int get_usec(yajl_val obj, const char *key, usec_t *ret, char **reason) {
        yajl_val v;
        int r;

        r = get(obj, key, "", &v, reason);
        if (r < 0)
                return r;
        if (is_absent(v))
                return 0;
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
                return json_fail(reason, "at %s: expected a non-negative integer, got %s", key,
                            YAJL_IS_NUMBER(v) ? "another number" : json_type_name(v));
        *ret = (usec_t) YAJL_GET_INTEGER(v);
        return 0;
}

static int check_version(yajl_val root, char **reason) {
        yajl_val v;
        int r;

        r = get(root, "version", "", &v, reason);
        if (r < 0)
                return r;
        if (is_absent(v))
                return json_fail(reason, "has no \"version\"");
        if (!YAJL_IS_INTEGER(v))
                return json_fail(reason, "at version: expected an integer, got %s",
                            YAJL_IS_NUMBER(v) ? "another number" : json_type_name(v));
        if (YAJL_GET_INTEGER(v) > TASK_STORE_VERSION)
                return json_fail(reason, "format version %lld is newer than this taskwatchd reads (%d)",
                            YAJL_GET_INTEGER(v), TASK_STORE_VERSION);
        if (YAJL_GET_INTEGER(v) < 1)
                return json_fail(reason, "unknown format version %lld", YAJL_GET_INTEGER(v));
        return 0;
}

static int decode_hooks(yajl_val root, HookLedger *l, char **reason) {
        yajl_val v;
        size_t n;
        int r;

        r = get(root, "hooks_done", "", &v, reason);
        if (r < 0 || is_absent(v))
                return r;
        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at hooks_done: expected an array, got %s", json_type_name(v));
        n = v->u.array.len;
        if (n > TASK_STORE_MAX_HOOKS)
                return json_fail(reason, "hooks_done has more than %u entries", TASK_STORE_MAX_HOOKS);
        if (n == 0)
                return 0;

        l->done = calloc(n, sizeof(char *));
        if (!l->done)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                yajl_val e = v->u.array.values[i];

                if (!YAJL_IS_STRING(e))
                        return json_fail(reason, "at hooks_done[%zu]: expected a string, got %s", i,
                                    json_type_name(e));
                l->done[i] = strdup(e->u.string);
                if (!l->done[i])
                        return -ENOMEM;
                l->n_done = i + 1;
        }
        return 0;
}

static int decode_hook_inputs(yajl_val root, HookLedger *l, char **reason) {
        yajl_val v;
        size_t n;
        int r;

        r = get(root, "hook_inputs", "", &v, reason);
        if (r < 0 || is_absent(v))
                return r;
        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at hook_inputs: expected an array, got %s", json_type_name(v));
        n = v->u.array.len;
        if (n > TASK_STORE_MAX_HOOKS)
                return json_fail(reason, "hook_inputs has more than %u entries", TASK_STORE_MAX_HOOKS);
        if (n == 0)
                return 0;

        l->inputs = calloc(n, sizeof(SharedBuf *));
        if (!l->inputs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                yajl_val e = v->u.array.values[i];

                if (!YAJL_IS_STRING(e))
                        return json_fail(reason, "at hook_inputs[%zu]: expected a string, got %s", i,
                                    json_type_name(e));
                if (shared_buf_new(&l->inputs[i], e->u.string, strlen(e->u.string)) < 0)
                        return -ENOMEM;
                l->n_inputs = i + 1;
        }
        return 0;
}

static int decode_pending_hook(yajl_val e, size_t i, const HookLedger *l, TaskPendingHook *p,
                               char **reason) {
        char path[PATH_LEN], epath[PATH_LEN + 8];
        yajl_val v, ev;
        int r;

        (void) snprintf(path, sizeof path, "hooks_pending[%zu]", i);
        if (!YAJL_IS_OBJECT(e))
                return json_fail(reason, "at %s: expected an object, got %s", path, json_type_name(e));
        r = get_string(e, "key", path, true, &p->key, reason);
        if (r < 0)
                return r;

        r = get(e, "input", path, &v, reason);
        if (r < 0)
                return r;
        if (!is_absent(v)) {
                if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
                    (unsigned long long) YAJL_GET_INTEGER(v) >= l->n_inputs)
                        return json_fail(reason, "at %s.input: not an index into hook_inputs", path);
                p->input = (size_t) YAJL_GET_INTEGER(v);
        }

        r = get(e, "event", path, &ev, reason);
        if (r < 0)
                return r;
        if (is_absent(ev))
                return json_fail(reason, "%s has no \"event\"", path);
        if (!YAJL_IS_OBJECT(ev))
                return json_fail(reason, "at %s.event: expected an object, got %s", path,
                            json_type_name(ev));
        (void) snprintf(epath, sizeof epath, "%s.event", path);
        r = get_string(ev, "kind", epath, true, &p->kind, reason);
        for (size_t f = 0; r >= 0 && f < _TASK_HOOK_FIELD_MAX; f++)
                r = get_string(ev, task_hook_field_name((TaskHookField) f), epath, false,
                               &p->fields[f], reason);
        return r;
}

/* After hook_inputs, which the entries point into. */
static int decode_hooks_pending(yajl_val root, HookLedger *l, char **reason) {
        yajl_val v;
        size_t n;
        int r;

        r = get(root, "hooks_pending", "", &v, reason);
        if (r < 0 || is_absent(v))
                return r;
        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at hooks_pending: expected an array, got %s", json_type_name(v));
        n = v->u.array.len;
        if (n > TASK_STORE_MAX_HOOKS)
                return json_fail(reason, "hooks_pending has more than %u entries",
                            TASK_STORE_MAX_HOOKS);
        if (n == 0)
                return 0;

        l->pending = calloc(n, sizeof(*l->pending));
        if (!l->pending)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l->pending[i].input = TASK_HOOK_NO_INPUT;
                l->n_pending = i + 1;
                r = decode_pending_hook(v->u.array.values[i], i, l, &l->pending[i],
                                        reason);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An instance's "failures" (added later in version 1): absent is 0. */
static int get_failures(yajl_val obj, const char *path, unsigned *ret, char **reason) {
        yajl_val v;
        int r;

        r = get(obj, "failures", path, &v, reason);
        if (r < 0 || is_absent(v))
                return r;
        if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 || YAJL_GET_INTEGER(v) > UINT_MAX)
                return json_fail(reason, "at %s.failures: expected a non-negative integer, got %s", path,
                            YAJL_IS_NUMBER(v) ? "another number" : json_type_name(v));
        *ret = (unsigned) YAJL_GET_INTEGER(v);
        return 0;
}

static int decode_instances(yajl_val snap, TaskSnapshot *s, char **reason) {
        yajl_val v;
        size_t n;
        int r;

        r = get(snap, "instances", "snapshot", &v, reason);
        if (r < 0 || is_absent(v))
                return r;
        if (!YAJL_IS_ARRAY(v))
                return json_fail(reason, "at snapshot.instances: expected an array, got %s",
                            json_type_name(v));
        n = v->u.array.len;
        if (n > TASK_STORE_MAX_INSTANCES)
                return json_fail(reason, "snapshot.instances has more than %u entries",
                            TASK_STORE_MAX_INSTANCES);
        if (n == 0)
                return 0;

        s->instances = calloc(n, sizeof(*s->instances));
        if (!s->instances)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                yajl_val e = v->u.array.values[i];
                TrackedInstance *in = &s->instances[i];
                char path[PATH_LEN];

                (void) snprintf(path, sizeof path, "snapshot.instances[%zu]", i);
                if (!YAJL_IS_OBJECT(e))
                        return json_fail(reason, "at %s: expected an object, got %s", path,
                                    json_type_name(e));
                s->n_instances = i + 1;
                r = get_string(e, "id", path, true, &in->id, reason);
                if (r < 0)
                        return r;
                /* The tracker keeps a missing status as "": so does the reader. */
                r = get_string(e, "status", path, false, &in->status, reason);
                if (r < 0)
                        return r;
                r = get_failures(e, path, &in->failures, reason);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int decode_snapshot(yajl_val root, TaskRecord *rec, char **reason) {
        static const struct {
                const char *key;
                size_t offset;
        } strings[] = {
                { "state", offsetof(TaskSnapshot, state) },
                { "stage", offsetof(TaskSnapshot, stage) },
                { "cluster_id", offsetof(TaskSnapshot, cluster_id) },
                { "task_type", offsetof(TaskSnapshot, task_type) },
                { "error_code", offsetof(TaskSnapshot, error_code) },
                { "error_message", offsetof(TaskSnapshot, error_message) },
        };
        TaskSnapshot *s = &rec->snapshot;
        size_t first, second;
        yajl_val v;
        int r;

        r = get(root, "snapshot", "", &v, reason);
        if (r < 0)
                return r;
        if (is_absent(v)) {
                /* Before the first reply there is nothing to keep. */
                if (rec->have_baseline)
                        return json_fail(reason, "has a baseline but no \"snapshot\"");
                return 0;
        }
        if (!YAJL_IS_OBJECT(v))
                return json_fail(reason, "at snapshot: expected an object, got %s", json_type_name(v));

        for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
                r = get_string(v, strings[i].key, "snapshot", false,
                               (char **) ((char *) s + strings[i].offset), reason);
                if (r < 0)
                        return r;
        }
        r = decode_instances(v, s, reason);
        if (r < 0)
                return r;

        r = task_store_snapshot_normalize(s, &first, &second);
        if (r == -EEXIST)
                return json_fail(reason, "snapshot.instances[%zu] repeats the id of "
                                    "snapshot.instances[%zu]", second, first);
        return r;
}

static int decode_record(yajl_val root, TaskRecord *rec, char **reason) {
        int r;

        if (!YAJL_IS_OBJECT(root))
                return json_fail(reason, "not a JSON object but %s", json_type_name(root));
        /* First, so that a newer file is refused for what it is, not for a changed field. */
        r = check_version(root, reason);
        if (r < 0)
                return r;

        r = get_string(root, "task_id", "", true, &rec->task_id, reason);
        if (r >= 0 && !*rec->task_id)
                r = json_fail(reason, "at task_id: empty");
        r = r ?: get_bool(root, "have_baseline", true, &rec->have_baseline, reason);
        r = r ?: get_bool(root, "lost", false, &rec->lost, reason);
        r = r ?: get_bool(root, "timeout_reported", false, &rec->timeout_reported, reason);
        r = r ?: get_usec(root, "first_seen_usec", &rec->first_seen, reason);
        r = r ?: get_usec(root, "state_since_usec", &rec->state_since, reason);
        r = r ?: get_usec(root, "last_poll_usec", &rec->last_poll, reason);
        r = r ?: get_string(root, "last_error", "", false, &rec->last_error, reason);
        if (r >= 0 && !task_record_own_hooks(rec))
                r = -ENOMEM;
        r = r ?: decode_hooks(root, rec->own_hooks, reason);
        r = r ?: decode_hook_inputs(root, rec->own_hooks, reason);
        r = r ?: decode_hooks_pending(root, rec->own_hooks, reason);
        r = r ?: decode_snapshot(root, rec, reason);
        if (r >= 0 && !rec->have_baseline)
                task_snapshot_clear(&rec->snapshot); /* as a tracker without one */
        return r;
}

int task_record_from_json(const char *buf, size_t len, TaskRecord **ret, char **ret_reason) {
        _cleanup_(json_freep) yajl_val root = NULL;
        _cleanup_(task_record_freep) TaskRecord *rec = NULL;
        _cleanup_(freep) char *reason = NULL;
        int r;

        if (!ret || (!buf && len > 0))
                return -EINVAL;
        if (ret_reason)
                *ret_reason = NULL;

        if (len == 0)
                r = json_fail(&reason, "empty file");
        else
                r = json_parse(buf, len, &file_limits, &root, &reason);
        if (r < 0)
                goto fail;

        rec = calloc(1, sizeof(*rec));
        if (!rec)
                return -ENOMEM;
        rec->snapshot.phase = TASK_PHASE_UNKNOWN;
        r = decode_record(root, rec, &reason);
        if (r < 0)
                goto fail;

        *ret = TAKE_PTR(rec);
        return 0;

fail:
        if (ret_reason && r == -EBADMSG)
                *ret_reason = TAKE_PTR(reason);
        return r;
}
