/* libFuzzer target: the reply and error-body decoders on any bytes, the depth guard checked
 * against yajl's own view of the nesting. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "ack/task-info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Depth {
        unsigned cur, max;
} Depth;

static int depth_open(void *ctx) {
        Depth *d = ctx;
        if (++d->cur > d->max)
                d->max = d->cur;
        return 1;
}

static int depth_close(void *ctx) {
        Depth *d = ctx;
        d->cur--;
        return 1;
}

/* How deep yajl itself nests this input before it stops, with comments allowed as
 * yajl_tree_parse() allows them; *complete says whether it parsed it all. */
static unsigned yajl_depth(const uint8_t *data, size_t size, int *complete) {
        static const yajl_callbacks callbacks = {
                .yajl_start_map = depth_open,
                .yajl_end_map = depth_close,
                .yajl_start_array = depth_open,
                .yajl_end_array = depth_close,
        };
        Depth d = { 0, 0 };
        yajl_handle h = yajl_alloc(&callbacks, NULL, &d);

        if (!h)
                abort();
        yajl_config(h, yajl_allow_comments, 1);
        *complete = yajl_parse(h, data, size) == yajl_status_ok &&
                    yajl_complete_parse(h) == yajl_status_ok;
        yajl_free(h);
        return d.max;
}

/* Reasons given before yajl sees the body at all. */
static int refused_before_yajl(const char *reason) {
        static const char *const prefixes[] = {
                "contains a NUL byte", "contains an escaped NUL", "unterminated comment",
                "nested deeper than",  "an array has more",       "an object has more",
                "empty body",          "body of ",
        };

        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
                if (strncmp(reason, prefixes[i], strlen(prefixes[i])) == 0)
                        return 1;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *body = (const char *) data;
        TaskInfo *t = NULL;
        ApiError *e = NULL;
        char *reason = NULL;
        int complete, r;
        unsigned depth;

        r = task_info_parse(body, size, &t, &reason);
        depth = yajl_depth(data, size, &complete);

        if (r == 0) {
                if (!t || !t->state || reason || depth > TASK_INFO_MAX_DEPTH)
                        abort();
                for (size_t i = 0; i < t->n_instances; i++)
                        if (!t->instances[i].id)
                                abort();
                (void) task_phase_to_string(task_phase_from_state(t->state));
                for (size_t i = 0; i < t->n_instances; i++)
                        (void) instance_phase_to_string(
                                instance_phase_from_status(t->instances[i].status));
        } else if (r == -EBADMSG) {
                if (t || !reason || strlen(reason) > 200 || strchr(reason, '\n'))
                        abort();
                /* Anything yajl would nest too deeply never reached yajl_tree_parse(). */
                if (depth > TASK_INFO_MAX_DEPTH && !refused_before_yajl(reason))
                        abort();
                /* A body yajl parses completely within the limit is never called too deep. */
                if (complete && depth <= TASK_INFO_MAX_DEPTH &&
                    strncmp(reason, "nested deeper", 13) == 0)
                        abort();
        } else if (r != -ENOMEM)
                abort();
        task_info_free(t);
        free(reason);

        r = api_error_parse(body, size, &e);
        if (r == 0 && ((!e->code || !*e->code) && (!e->message || !*e->message)))
                abort();
        if (r < 0 && (e || (r != -EBADMSG && r != -ENOMEM)))
                abort();
        api_error_free(e);
        return 0;
}
