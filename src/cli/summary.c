/* taskwatch get's readable output: what a person needs from DescribeTaskInfo replies, as a
 * block for one task or a table (one line per task) for several. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "summary.h"
#include "util/iso8601.h"
#include "util/strutil.h"

#define MAX_LISTED_FAILED 10

#define ANSI_RED "\x1b[31m"
#define ANSI_GREEN "\x1b[32m"
#define ANSI_YELLOW "\x1b[33m"
#define ANSI_RESET "\x1b[0m"

char *format_age(char *buf, size_t size, usec_t age) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "d", USEC_PER_DAY },
                { "h", USEC_PER_HOUR },
                { "min", USEC_PER_MINUTE },
                { "s", USEC_PER_SEC },
        };
        size_t used = 0;
        int shown = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
                usec_t v = age / units[i].usec;
                if (v == 0 && shown == 0)
                        continue;
                age -= v * units[i].usec;
                /* Two units at most: "2h 0min" reads as exactly as "2h". */
                if (v > 0 && used < size)
                        used += (size_t) snprintf(buf + used, size - used, "%s%llu%s", used ? " " : "",
                                                  (unsigned long long) v, units[i].suffix);
                shown++;
        }
        if (buf[0] == '\0')
                snprintf(buf, size, "0s");
        return buf;
}

InstanceCounts task_info_count_instances(const TaskInfo *t) {
        InstanceCounts c = {};

        for (size_t i = 0; i < t->n_instances; i++)
                switch (instance_phase_from_status(t->instances[i].status)) {
                case INSTANCE_PHASE_SUCCEEDED:
                        c.succeeded++;
                        break;
                case INSTANCE_PHASE_FAILED:
                        c.failed++;
                        break;
                default:
                        c.pending++;
                }
        return c;
}

char *printable(const char *s) {
        StrBuf b = {};

        if (!s)
                return strdup("-");
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                int r = *p < 0x20 || *p == 0x7f ? strbuf_appendf(&b, "\\x%02x", *p)
                                                : strbuf_append(&b, p, 1);
                if (r < 0) {
                        strbuf_clear(&b);
                        return NULL;
                }
        }
        return strbuf_steal(&b);
}

const char *state_color(const char *state) {
        switch (task_phase_from_state(state)) {
        case TASK_PHASE_SUCCEEDED:
                return ANSI_GREEN;
        case TASK_PHASE_FAILED:
                return ANSI_RED;
        case TASK_PHASE_CANCELED:
        case TASK_PHASE_PAUSED:
        case TASK_PHASE_UNKNOWN:
                return ANSI_YELLOW;
        default:
                return NULL;
        }
}

/* One "Label: value" line, value made printable; nothing when value is NULL. */
static int print_field(FILE *f, const char *label, const char *value, const char *suffix) {
        _cleanup_(freep) char *v = NULL;

        if (!value)
                return 0;
        v = printable(value);
        if (!v)
                return -ENOMEM;
        fprintf(f, "%10s: %s%s\n", label, v, suffix ? suffix : "");
        return 0;
}

/* The API writes local times with an offset ("+08:00"); we print every time one way, UTC. */
static int print_time(FILE *f, const char *label, const char *value, usec_t now) {
        char age[FORMAT_AGE_MAX], suffix[FORMAT_AGE_MAX + 16] = "", utc[ISO8601_FORMAT_MAX];
        usec_t t;

        if (value && iso8601_parse(value, 0, &t) >= 0) {
                value = iso8601_format(utc, sizeof(utc), t, 0);
                if (t <= now)
                        snprintf(suffix, sizeof(suffix), " (%s ago)", format_age(age, sizeof(age), now - t));
                else
                        snprintf(suffix, sizeof(suffix), " (in the future by %s)",
                                 format_age(age, sizeof(age), t - now));
        }
        return print_field(f, label, value, suffix);
}

int task_summary_print(FILE *f, const TaskInfo *t, usec_t now, bool color) {
        _cleanup_(freep) char *state = NULL, *target = NULL, *error = NULL;
        InstanceCounts c = task_info_count_instances(t);
        const char *on = color ? state_color(t->state) : NULL;
        size_t listed = 0;
        int r;

        state = printable(t->state);
        if (!state)
                return -ENOMEM;
        if (t->target_id && asprintf(&target, "%s%s%s", t->target_type ? t->target_type : "",
                                     t->target_type ? " " : "", t->target_id) < 0)
                return -ENOMEM;
        if ((t->error_code || t->error_message) &&
            asprintf(&error, "%s%s%s", t->error_code ? t->error_code : "",
                     t->error_code && t->error_message ? ": " : "",
                     t->error_message ? t->error_message : "") < 0)
                return -ENOMEM;

        if ((r = print_field(f, "Task", t->task_id, NULL)) < 0)
                return r;
        fprintf(f, "%10s: %s%s%s\n", "State", on ? on : "", state, on ? ANSI_RESET : "");
        if ((r = print_field(f, "Type", t->task_type, NULL)) < 0 ||
            (r = print_field(f, "Cluster", t->cluster_id, NULL)) < 0 ||
            (r = print_field(f, "Target", target, NULL)) < 0 ||
            (r = print_field(f, "Stage", t->current_stage, NULL)) < 0 ||
            (r = print_time(f, "Created", t->created, now)) < 0 ||
            (r = print_time(f, "Updated", t->updated, now)) < 0)
                return r;
        fprintf(f, "%10s: %zu succeeded, %zu failed, %zu pending\n", "Instances", c.succeeded, c.failed,
                c.pending);
        for (size_t i = 0; i < t->n_instances && listed < MAX_LISTED_FAILED; i++) {
                if (instance_phase_from_status(t->instances[i].status) != INSTANCE_PHASE_FAILED)
                        continue;
                r = print_field(f, listed == 0 ? "Failed" : "", t->instances[i].id ? t->instances[i].id : "-",
                                NULL);
                if (r < 0)
                        return r;
                listed++;
        }
        if (c.failed > listed)
                fprintf(f, "%10s  ... and %zu more\n", "", c.failed - listed);
        return print_field(f, "Error", error, NULL);
}

/* "3min ago", or "-" for a time the API did not give (or gave in the future). */
static void table_age(char *buf, size_t size, const char *value, usec_t now) {
        char age[FORMAT_AGE_MAX];
        usec_t t;

        if (!value || iso8601_parse(value, 0, &t) < 0 || t > now)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%s", format_age(age, sizeof(age), now - t));
}

static void table_time(char *buf, size_t size, const char *value) {
        usec_t t;

        if (!value || iso8601_parse(value, 0, &t) < 0)
                snprintf(buf, size, "-");
        else
                iso8601_format(buf, size, t, 0);
}

enum { COL_TASK, COL_STATE, COL_TYPE, COL_CLUSTER, COL_INSTANCES, COL_CREATED, COL_AGE, COL_STAGE,
       COL_ERROR, _COL_MAX };

static const char *const column_names[_COL_MAX] = {
        "TASK", "STATE", "TYPE", "CLUSTER", "OK/FAILED/PENDING", "CREATED", "AGE", "STAGE", "ERROR",
};

typedef struct TableRow {
        char *cell[_COL_MAX];
} TableRow;

static void table_rows_free(TableRow *rows, size_t n) {
        for (size_t i = 0; rows && i < n; i++)
                for (size_t c = 0; c < _COL_MAX; c++)
                        free(rows[i].cell[c]);
        free(rows);
}

static int table_row_fill(TableRow *row, const TaskInfo *t, usec_t now) {
        InstanceCounts c = task_info_count_instances(t);
        char counts[64], created[ISO8601_FORMAT_MAX], age[FORMAT_AGE_MAX];
        _cleanup_(freep) char *error = NULL;

        snprintf(counts, sizeof(counts), "%zu/%zu/%zu", c.succeeded, c.failed, c.pending);
        table_time(created, sizeof(created), t->created);
        table_age(age, sizeof(age), t->created, now);
        /* The code is what a person looks up; the message is for the block view. */
        if (t->error_code || t->error_message)
                error = strdup(t->error_code ? t->error_code : t->error_message);
        const char *values[_COL_MAX] = {
                t->task_id, t->state, t->task_type, t->cluster_id, counts, created, age,
                t->current_stage, error,
        };
        for (size_t i = 0; i < _COL_MAX; i++) {
                row->cell[i] = printable(values[i]); /* "-" for none */
                if (!row->cell[i])
                        return -ENOMEM;
        }
        return 0;
}

int task_table_print(FILE *f, const TaskInfo *const *tasks, size_t n, usec_t now, bool wide, bool color) {
        size_t n_cols = wide ? _COL_MAX : COL_STAGE, width[_COL_MAX];
        TableRow *rows = calloc(n + 1, sizeof(*rows));
        int r = 0;

        if (!rows)
                return -ENOMEM;
        for (size_t c = 0; c < _COL_MAX; c++)
                width[c] = strlen(column_names[c]);
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = table_row_fill(&rows[i], tasks[i], now);
                for (size_t c = 0; r >= 0 && c < _COL_MAX; c++)
                        if (strlen(rows[i].cell[c]) > width[c])
                                width[c] = strlen(rows[i].cell[c]);
        }
        if (r < 0) {
                table_rows_free(rows, n);
                return r;
        }
        /* The last column is not padded: no trailing blanks. */
        for (size_t c = 0; c < n_cols; c++)
                fprintf(f, "%-*s%s", c + 1 < n_cols ? (int) width[c] : 0, column_names[c],
                        c + 1 < n_cols ? "  " : "\n");
        for (size_t i = 0; i < n; i++)
                for (size_t c = 0; c < n_cols; c++) {
                        const char *on = c == COL_STATE && color ? state_color(tasks[i]->state) : NULL;
                        int pad = c + 1 < n_cols ? (int) width[c] : 0;

                        /* The colour goes around the padded word, so that columns line up. */
                        fprintf(f, "%s%-*s%s%s", on ?: "", pad, rows[i].cell[c], on ? ANSI_RESET : "",
                                c + 1 < n_cols ? "  " : "\n");
                }
        table_rows_free(rows, n);
        return 0;
}
