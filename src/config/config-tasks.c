/* [Tasks]: task ids, their checks, the deduplicating index and where each was configured. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "config-internal.h"
#include "util/strutil.h"

#define TASK_ID_MAX 128
#define TASK_EXAMPLE "T-5faa48fb31b6b8078d000006"

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c) {
        return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

TaskIdVerdict task_id_check(const char *id) {
        size_t n = strlen(id);

        if (n == 0 || n > TASK_ID_MAX)
                return TASK_ID_MALFORMED;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(id[i]) && (i == 0 || (id[i] != '.' && id[i] != '_' && id[i] != '-')))
                        return TASK_ID_MALFORMED;
        if (id[0] == 'c' && n == 33) {
                size_t i = 1;
                while (i < n && is_hex(id[i]))
                        i++;
                if (i == n)
                        return TASK_ID_CLUSTER_ID;
        }
        if (n < 3 || id[0] != 'T' || id[1] != '-')
                return TASK_ID_NO_PREFIX;
        return TASK_ID_VALID;
}

bool task_id_is_valid(const char *id) {
        return task_id_check(id) == TASK_ID_VALID;
}

const char *task_id_verdict_hint(TaskIdVerdict v) {
        switch (v) {
        case TASK_ID_CLUSTER_ID:
                return "it looks like a cluster id; task ids start with T-, like " TASK_EXAMPLE;
        case TASK_ID_NO_PREFIX:
                return "task ids start with T-, like " TASK_EXAMPLE;
        default:
                return "a task id is T- and then up to 126 letters, digits, '.', '_' or '-', like "
                       TASK_EXAMPLE;
        }
}

static uint64_t hash_string(const char *s) { /* FNV-1a */
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return h;
}

/* The slot holding id, or the free slot where it belongs. */
static size_t *task_slot(ParseContext *ctx, const char *id) {
        size_t mask = ctx->n_slots - 1;
        for (size_t i = hash_string(id) & mask;; i = (i + 1) & mask)
                if (ctx->slots[i] == 0 || strcmp(ctx->config->tasks[ctx->slots[i] - 1], id) == 0)
                        return &ctx->slots[i];
}

/* Keeps the index at most half full, with room for one more id. */
static int task_index_reserve(ParseContext *ctx) {
        size_t need = (ctx->config->n_tasks + 1) * 2, n = ctx->n_slots;

        if (ctx->slots && n >= need)
                return 0;
        if (n == 0)
                n = 16;
        while (n < need)
                n *= 2;

        free(ctx->slots);
        ctx->slots = calloc(n, sizeof(size_t));
        ctx->n_slots = ctx->slots ? n : 0;
        if (!ctx->slots)
                return -ENOMEM;
        for (size_t i = 0; i < ctx->config->n_tasks; i++)
                *task_slot(ctx, ctx->config->tasks[i]) = i + 1;
        return 0;
}

static void tasks_reset(ParseContext *ctx) {
        Config *c = ctx->config;

        for (size_t i = 0; i < c->n_tasks; i++)
                free(c->tasks[i]);
        c->n_tasks = 0;
        c->tasks[0] = NULL;
        if (ctx->slots)
                memset(ctx->slots, 0, ctx->n_slots * sizeof(size_t));
}

/* The index of filename in c->origin_files, added when new (files come one after the other,
 * so the last is the likely one). */
static int origin_file(Config *c, const char *filename, uint32_t *ret) {
        for (size_t i = c->n_origin_files; i > 0; i--)
                if (streq(c->origin_files[i - 1], filename)) {
                        *ret = (uint32_t) (i - 1);
                        return 0;
                }
        if (c->n_origin_files >= UINT32_MAX)
                return -E2BIG;
        char **l = reallocarray(c->origin_files, c->n_origin_files + 2, sizeof(char *));
        if (!l)
                return -ENOMEM;
        c->origin_files = l;
        l[c->n_origin_files] = strdup(filename);
        if (!l[c->n_origin_files])
                return -ENOMEM;
        l[c->n_origin_files + 1] = NULL;
        *ret = (uint32_t) c->n_origin_files++;
        return 0;
}

const char *config_task_origin(const Config *c, size_t i, char *buf, size_t size) {
        if (!c || i >= c->n_tasks || size == 0)
                return NULL;
        (void) snprintf(buf, size, "%s:%u", c->origin_files[c->task_origins[i].file],
                        (unsigned) c->task_origins[i].line);
        return buf;
}

static int task_add(ParseContext *ctx, const char *id, const char *filename, unsigned line) {
        Config *c = ctx->config;
        uint32_t file;
        size_t *slot;
        int r;

        r = task_index_reserve(ctx);
        if (r < 0)
                return r;
        slot = task_slot(ctx, id);
        if (*slot != 0)
                return 0; /* a duplicate: the first mention wins */

        if (c->n_tasks + 2 > ctx->tasks_alloc) {
                size_t n = ctx->tasks_alloc * 2 > c->n_tasks + 2 ? ctx->tasks_alloc * 2
                                                                 : c->n_tasks + 2;
                char **t = reallocarray(c->tasks, n, sizeof(char *));
                if (!t)
                        return -ENOMEM;
                c->tasks = t;
                ConfigOrigin *o = reallocarray(c->task_origins, n, sizeof(ConfigOrigin));
                if (!o)
                        return -ENOMEM;
                c->task_origins = o;
                ctx->tasks_alloc = n;
        }

        r = origin_file(c, filename, &file);
        if (r < 0)
                return r;
        char *copy = strdup(id);
        if (!copy)
                return -ENOMEM;
        c->tasks[c->n_tasks] = copy;
        c->task_origins[c->n_tasks] = (ConfigOrigin) { file, line };
        c->n_tasks++;
        c->tasks[c->n_tasks] = NULL;
        *slot = c->n_tasks;
        return 0;
}

int config_set_task(ParseContext *ctx, const char *key, const char *value,
                    const char *filename, unsigned line) {
        static const char ws[] = " \t\r\n\v\f";
        int r;

        if (value[0] == '\0') {
                tasks_reset(ctx);
                return 0;
        }

        /* One message per line, naming every word that is not an id: "Task=not a task id!"
         * is one mistake, not four. */
        _cleanup_(strbuf_clear) StrBuf bad = {};
        TaskIdVerdict worst = TASK_ID_VALID;
        size_t n_words = 0, n_bad = 0;

        for (const char *p = value + strspn(value, ws); *p; p += strspn(p, ws)) {
                size_t n = strcspn(p, ws);
                _cleanup_(freep) char *id = strndup(p, n), *q = NULL;
                TaskIdVerdict v;

                if (!id)
                        return -ENOMEM;
                p += n;
                n_words++;
                v = task_id_check(id);
                if (v == TASK_ID_VALID) {
                        r = task_add(ctx, id, filename, line);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* The hint that matters most: malformed, then a cluster id, then the prefix. */
                if (worst == TASK_ID_VALID || v == TASK_ID_MALFORMED ||
                    (v == TASK_ID_CLUSTER_ID && worst == TASK_ID_NO_PREFIX))
                        worst = v;
                q = ini_quote(id);
                if (!q || strbuf_appendf(&bad, "%s\"%s\"", n_bad++ ? ", " : "", q) < 0)
                        return -ENOMEM;
        }
        if (n_bad == 0)
                return 0;
        if (n_words == 1)
                return bad_value(ctx, filename, line, key, value, "not a task id: %s",
                                 task_id_verdict_hint(worst));
        return bad_value(ctx, filename, line, key, value, "%s %s (%s)", bad.data,
                         n_bad == 1 ? "is not a task id" : "are not task ids",
                         task_id_verdict_hint(worst));
}
