/* taskwatch wait's own words: the closing summary, and event messages told what wait does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strutil.h"
#include "wait-report.h"

int wait_tasks_init(WaitTasks *t, char *const *ids, size_t n) {
        *t = (WaitTasks) { .tasks = calloc(n + 1, sizeof(WaitTask)) };
        if (!t->tasks)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                t->tasks[i].id = strdup(ids[i]);
                t->n++;
                if (!t->tasks[i].id) {
                        wait_tasks_done(t);
                        return -ENOMEM;
                }
        }
        return 0;
}

void wait_tasks_done(WaitTasks *t) {
        for (size_t i = 0; i < t->n; i++) {
                free(t->tasks[i].id);
                free(t->tasks[i].error_code);
        }
        free(t->tasks);
        *t = (WaitTasks) {};
}

WaitTask *wait_tasks_find(WaitTasks *t, const char *id) {
        for (size_t i = 0; id && i < t->n; i++)
                if (strcmp(t->tasks[i].id, id) == 0)
                        return &t->tasks[i];
        return NULL;
}

int wait_tasks_set(WaitTasks *t, const char *id, WaitEnd end, const char *error_code) {
        WaitTask *w = wait_tasks_find(t, id);
        char *code = NULL;

        if (!w)
                return 0;
        if (error_code && !(code = strdup(error_code)))
                return -ENOMEM;
        free(w->error_code);
        w->error_code = code;
        w->end = end;
        return 0;
}

/* The ids of the tasks that ended so, each with its error code when it has one. */
static int append_ids(StrBuf *b, const WaitTasks *t, WaitEnd end, bool instances) {
        const char *sep = " (";
        int r = 0;

        for (size_t i = 0; i < t->n && r >= 0; i++) {
                const WaitTask *w = &t->tasks[i];
                if (instances ? !(w->end == WAIT_SUCCEEDED && w->instance_failed) : w->end != end)
                        continue;
                r = strbuf_appendf(b, "%s%s", sep, w->id);
                if (r >= 0 && w->error_code)
                        r = strbuf_appendf(b, ": %s", w->error_code);
                sep = ", ";
        }
        return r < 0 ? r : strbuf_appendf(b, ")");
}

int wait_summary_format(const WaitTasks *t, char **ret) {
        static const struct {
                WaitEnd end;
                const char *word;
                bool list;
        } kinds[] = {
                { WAIT_SUCCEEDED, "succeeded", false },
                { WAIT_FAILED, "failed", true },
                { WAIT_CANCELED, "canceled", true },
                { WAIT_NOT_FOUND, "not found", true },
                { WAIT_PENDING, "not ended", true },
        };
        _cleanup_(strbuf_clear) StrBuf b = {};
        const char *sep = ": ";
        size_t with_failed_instances = 0;
        int r;

        r = strbuf_appendf(&b, "%zu task%s", t->n, t->n == 1 ? "" : "s");
        for (size_t k = 0; k < ELEMENTSOF(kinds) && r >= 0; k++) {
                size_t n = 0;
                for (size_t i = 0; i < t->n; i++)
                        if (t->tasks[i].end == kinds[k].end)
                                n++;
                if (n == 0)
                        continue;
                r = strbuf_appendf(&b, "%s%zu %s", sep, n, kinds[k].word);
                if (r >= 0 && kinds[k].list)
                        r = append_ids(&b, t, kinds[k].end, false);
                sep = ", ";
        }
        for (size_t i = 0; i < t->n; i++)
                if (t->tasks[i].end == WAIT_SUCCEEDED && t->tasks[i].instance_failed)
                        with_failed_instances++;
        /* They make the exit status 1 although the task succeeded: say which. */
        if (r >= 0 && with_failed_instances > 0) {
                r = strbuf_appendf(&b, "; %zu of them with failed instances", with_failed_instances);
                if (r >= 0)
                        r = append_ids(&b, t, WAIT_SUCCEEDED, true);
        }
        if (r < 0)
                return r;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

int wait_message_next_step(const char *message, const char *span, const char *instead, char **ret) {
        static const char *const tails[] = { "; retrying in ", "; checking again every " };
        size_t len = strlen(message), keep = len;

        for (size_t i = 0; span && i < ELEMENTSOF(tails); i++) {
                size_t tl = strlen(tails[i]) + strlen(span);
                if (len >= tl && strncmp(message + len - tl, tails[i], strlen(tails[i])) == 0 &&
                    strcmp(message + len - strlen(span), span) == 0) {
                        keep = len - tl;
                        break;
                }
        }
        return asprintf(ret, "%.*s; %s", (int) keep, message, instead) < 0 ? -ENOMEM : 0;
}
