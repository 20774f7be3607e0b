/* taskwatch get's readable summary: what a person needs from one DescribeTaskInfo reply. */
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

static int print_time(FILE *f, const char *label, const char *value, usec_t now) {
        char age[FORMAT_AGE_MAX], suffix[FORMAT_AGE_MAX + 16] = "";
        usec_t t;

        if (value && iso8601_parse(value, 0, &t) >= 0) {
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
