/* taskwatch status: what taskwatchd watches, from the state it persists for every task. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli-args.h"
#include "cli.h"
#include "reload.h"
#include "runtime-status.h"
#include "summary.h"
#include "util/iso8601.h"
#include "util/log.h"
#include "util/strutil.h"
#include "state/task-store.h"

typedef struct StatusRow {
        char *task_id;
        TaskRecord *record;   /* NULL: no state saved yet */
        char *load_error;     /* why the record could not be read */
        bool configured;      /* in the configuration taskwatch reads */
        const RuntimeTask *runtime; /* what the running daemon says of its polls, or NULL */
} StatusRow;

/* The last poll: the daemon's runtime file knows it exactly; the record only keeps the
 * last one that changed something. */
static usec_t row_last_poll(const StatusRow *r) {
        usec_t rec = r->record ? r->record->last_poll : 0, rt = r->runtime ? r->runtime->last_poll : 0;
        return rt > rec ? rt : rec;
}

/* "in 12s", "now", "waiting for credentials", "-" (none planned or no daemon). */
static const char *row_next_poll(const StatusRow *r, usec_t now, char *buf, size_t size) {
        char age[FORMAT_AGE_MAX];

        if (!r->runtime)
                return "-";
        if (r->runtime->in_flight)
                return "polling now";
        if (r->runtime->waiting_for) {
                snprintf(buf, size, "waiting for %s", r->runtime->waiting_for);
                return buf;
        }
        if (r->runtime->next_poll == 0)
                return "-";
        if (r->runtime->next_poll <= now)
                return "now";
        snprintf(buf, size, "in %s", format_age(age, sizeof(age), r->runtime->next_poll - now));
        return buf;
}

static void status_help(void) {
        printf("Usage: taskwatch [--config PATH] status [--json] [--state-dir DIR]\n"
               "Show what taskwatchd watches, from the state it saves for each task: one line per\n"
               "task with its state and since when, when it was last polled (times in UTC, with\n"
               "their age) and will next be (while the daemon runs), its instances\n"
               "succeeded/failed/pending and its last error. Tasks of the configuration without\n"
               "saved state yet, and saved tasks the configuration no longer lists, are shown too.\n\n"
               "      --json            one JSON object: daemon_pid and a tasks array (RFC 3339\n"
               "                        times, null when not known)\n"
               "      --state-dir=DIR   the daemon's state directory (default: $STATE_DIRECTORY, else\n"
               "                        the running taskwatchd's, else %s)\n"
               "  -h, --help            show this help\n\n"
               "The running taskwatchd is found through $RUNTIME_DIRECTORY/taskwatchd.pid, %s\n"
               "or the process list.\n"
               "Exit status: 0 shown, 4 configuration error, 5 the state could not be read (or\n"
               "a state directory given by --state-dir, $STATE_DIRECTORY or the daemon does not\n"
               "exist).\n",
               TASKWATCHD_STATE_DIR, TASKWATCHD_PID_FILE);
}

static int compare_rows(const void *a, const void *b) {
        return strcmp(((const StatusRow *) a)->task_id, ((const StatusRow *) b)->task_id);
}

static StatusRow *find_row(StatusRow *rows, size_t n, const char *id) {
        StatusRow key = { .task_id = (char *) id };
        return bsearch(&key, rows, n, sizeof(*rows), compare_rows);
}

static void rows_free(StatusRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(rows[i].task_id);
                task_record_free(rows[i].record);
                free(rows[i].load_error);
        }
        free(rows);
}

static const char *row_state(const StatusRow *r) {
        if (!r->record)
                return r->load_error ? "unreadable" : "new";
        if (r->record->lost)
                return "not-found";
        if (!r->record->have_baseline)
                return "new";
        return r->record->snapshot.state ? r->record->snapshot.state : "?";
}

static void json_string(FILE *f, const char *s) {
        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\u%04x", *p);
                else
                        fputc(*p, f);
        fputc('"', f);
}

/* RFC 3339 in UTC, with microseconds so that two times compare as the daemon saw them; null
 * for unknown (0). */
static void json_time(FILE *f, usec_t t) {
        char buf[ISO8601_FORMAT_MAX];

        if (t == 0)
                fputs("null", f);
        else
                fprintf(f, "\"%s\"", iso8601_format(buf, sizeof(buf), t, ISO8601_USEC));
}

static void print_json(FILE *f, const StatusRow *rows, size_t n, pid_t pid) {
        fprintf(f, "{\"daemon_pid\": ");
        if (pid > 0)
                fprintf(f, "%ld", (long) pid);
        else
                fputs("null", f);
        fputs(", \"tasks\": [", f);
        for (size_t i = 0; i < n; i++) {
                const StatusRow *r = &rows[i];
                const TaskRecord *rec = r->record;
                const TaskSnapshot *s = rec ? &rec->snapshot : NULL;

                fprintf(f, "%s\n  {\"task_id\": ", i ? "," : "");
                json_string(f, r->task_id);
                /* The table's word: "not-found", "new", "unreadable", or the API's state. */
                fprintf(f, ", \"configured\": %s, \"state\": ", r->configured ? "true" : "false");
                json_string(f, row_state(r));
                fputs(", \"phase\": ", f);
                json_string(f, rec && rec->have_baseline ? task_phase_to_string(s->phase) : NULL);
                fprintf(f, ", \"have_baseline\": %s, \"not_found\": %s",
                        rec && rec->have_baseline ? "true" : "false", rec && rec->lost ? "true" : "false");
                fputs(", \"stage\": ", f);
                json_string(f, s ? s->stage : NULL);
                fputs(", \"cluster_id\": ", f);
                json_string(f, s ? s->cluster_id : NULL);
                fputs(", \"task_type\": ", f);
                json_string(f, s ? s->task_type : NULL);
                fprintf(f, ", \"instances\": {\"succeeded\": %zu, \"failed\": %zu, \"pending\": %zu}",
                        s ? s->n_succeeded : 0, s ? s->n_failed : 0, s ? s->n_pending : 0);
                fputs(", \"error_code\": ", f);
                json_string(f, s ? s->error_code : NULL);
                fputs(", \"error_message\": ", f);
                json_string(f, s ? s->error_message : NULL);
                fputs(", \"first_seen\": ", f);
                json_time(f, rec ? rec->first_seen : 0);
                fputs(", \"state_since\": ", f);
                json_time(f, rec ? rec->state_since : 0);
                fputs(", \"last_poll\": ", f);
                json_time(f, row_last_poll(r));
                fputs(", \"next_poll\": ", f);
                json_time(f, r->runtime ? r->runtime->next_poll : 0);
                fprintf(f, ", \"polling_now\": %s, \"waiting_for\": ",
                        r->runtime && r->runtime->in_flight ? "true" : "false");
                json_string(f, r->runtime ? r->runtime->waiting_for : NULL);
                fputs(", \"last_error\": ", f);
                json_string(f, rec ? rec->last_error : r->load_error);
                fputc('}', f);
        }
        fputs(n ? "\n]}\n" : "]}\n", f);
}

/* A past time as every table shows one: RFC 3339 in UTC with its age beside it,
 * "2026-12-04T03:41:05Z (10min 5s ago)". */
#define WHEN_MAX (ISO8601_FORMAT_MAX + FORMAT_AGE_MAX + 8)
#define W_WHEN 35 /* the width of the above for ages up to "10min 5s" */

static void format_when(char *buf, size_t size, usec_t t, usec_t now) {
        char utc[ISO8601_FORMAT_MAX], age[FORMAT_AGE_MAX];

        iso8601_format(utc, sizeof(utc), t, 0);
        if (t <= now)
                snprintf(buf, size, "%s (%s ago)", utc, format_age(age, sizeof(age), now - t));
        else /* a clock stepped back: the time, and no age to make up */
                snprintf(buf, size, "%s", utc);
}

static int print_table(FILE *f, const StatusRow *rows, size_t n, usec_t now, bool color) {
        int w_id = 4, w_state = 5;

        for (size_t i = 0; i < n; i++) {
                int a = (int) strlen(rows[i].task_id), b = (int) strlen(row_state(&rows[i]));
                w_id = a > w_id ? a : w_id;
                w_state = b > w_state ? b : w_state;
        }
        fprintf(f, "%-*s  %-*s  %-*s  %-*s  %-14s  %-17s  %s\n", w_id, "TASK", w_state, "STATE",
                W_WHEN, "SINCE", W_WHEN, "LAST POLL", "NEXT POLL", "OK/FAILED/PENDING", "LAST ERROR");
        for (size_t i = 0; i < n; i++) {
                const StatusRow *r = &rows[i];
                const TaskRecord *rec = r->record;
                _cleanup_(freep) char *state = printable(row_state(r)), *err = NULL;
                char polled[WHEN_MAX] = "never", counts[64] = "-", since[WHEN_MAX] = "-", next_buf[64];
                usec_t last_poll = row_last_poll(r);
                const char *e = rec ? rec->last_error : r->load_error;

                /* No poll error: the task's own error, if it has one. */
                if (!e && rec && rec->have_baseline)
                        e = rec->snapshot.error_code ? rec->snapshot.error_code : rec->snapshot.error_message;
                err = printable(e);
                if (!state || !err)
                        return -ENOMEM;
                if (last_poll > 0)
                        format_when(polled, sizeof(polled), last_poll, now);
                if (rec && rec->state_since > 0)
                        format_when(since, sizeof(since), rec->state_since, now);
                if (rec && rec->have_baseline)
                        snprintf(counts, sizeof(counts), "%zu/%zu/%zu", rec->snapshot.n_succeeded,
                                 rec->snapshot.n_failed, rec->snapshot.n_pending);
                /* The colour goes around the padded word, so that the columns still line up. */
                const char *on = color && rec && rec->have_baseline && !rec->lost ? state_color(state) : NULL;
                fprintf(f, "%-*s  %s%-*s%s  %-*s  %-*s  %-14s  %-17s  %s%s\n", w_id, r->task_id,
                        on ?: "", w_state, state, on ? ANSI_RESET_SEQ : "",
                        W_WHEN, since, W_WHEN, polled, row_next_poll(r, now, next_buf, sizeof(next_buf)), counts, err,
                        r->configured ? "" : " (no longer configured)");
        }
        return 0;
}

/* The union of the configured tasks and the stored ones, sorted by id. */
static int collect_rows(TaskStore *store, const Config *config, StatusRow **ret, size_t *ret_n) {
        _cleanup_(strv_freep) char **ids = NULL;
        StatusRow *rows;
        size_t n = 0, n_stored = 0;
        int r;

        if (store) {
                r = task_store_list(store, &ids);
                if (r < 0)
                        return r;
                n_stored = (size_t) r;
        }
        rows = calloc(n_stored + (config ? config->n_tasks : 0) + 1, sizeof(*rows));
        if (!rows)
                return -ENOMEM;
        for (size_t i = 0; i < n_stored; i++)
                rows[n++].task_id = TAKE_PTR(ids[i]);
        for (size_t i = 0; config && i < config->n_tasks; i++) {
                StatusRow *row = find_row(rows, n_stored, config->tasks[i]);
                if (row) {
                        row->configured = true;
                        continue;
                }
                rows[n].task_id = strdup(config->tasks[i]);
                rows[n].configured = true;
                if (!rows[n++].task_id) {
                        rows_free(rows, n);
                        return -ENOMEM;
                }
        }
        qsort(rows, n, sizeof(*rows), compare_rows);

        for (size_t i = 0; store && i < n; i++) {
                r = task_store_load(store, rows[i].task_id, &rows[i].record, &rows[i].load_error);
                if (r == -ENOMEM) {
                        rows_free(rows, n);
                        return r;
                }
                if (r < 0 && r != -ENOENT && !rows[i].load_error)
                        rows[i].load_error = strdup(strerror(-r));
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* The running daemon's runtime file, when it is that daemon's (not one left by another). */
static int load_runtime(const DaemonInfo *d, RuntimeStatus *ret) {
        _cleanup_(freep) char *text = NULL, *path = NULL;
        pid_t pid = d->pid;
        size_t len;
        int r;

        if (asprintf(&path, "%s/status.json", d->runtime_dir) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        r = cli_read_file(path, 64U * 1024U * 1024U, &text, &len);
        if (r < 0)
                return r;
        r = runtime_status_parse(text, len, ret);
        if (r < 0)
                return r;
        if (ret->pid != pid) {
                runtime_status_done(ret);
                return -ESTALE;
        }
        return 0;
}

/* The state directory the daemon uses, chosen as it chooses it, and what chose it. */
static const char *status_state_dir(const CommandOptions *o, const DaemonInfo *d, const char **ret_from) {
        const char *e = getenv("STATE_DIRECTORY");
        static char from_env[PATH_MAX];

        if (o->state_dir) {
                *ret_from = "--state-dir";
                return o->state_dir;
        }
        if (e && *e) {
                /* It may list several directories: the daemon's is the first. */
                snprintf(from_env, sizeof(from_env), "%.*s", (int) strcspn(e, ":"), e);
                *ret_from = "$STATE_DIRECTORY";
                return from_env;
        }
        if (d->state_dir) {
                *ret_from = d->state_dir_from;
                return d->state_dir;
        }
        *ret_from = NULL; /* the default */
        return TASKWATCHD_STATE_DIR;
}

int cmd_status(const CliContext *ctx, int argc, char **argv) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(task_store_freep) TaskStore *store = NULL;
        _cleanup_(freep) char *reason = NULL;
        _cleanup_(runtime_status_done) RuntimeStatus runtime = {};
        _cleanup_(daemon_info_done) DaemonInfo daemon = {};
        StatusRow *rows = NULL;
        const char *dir, *dir_from;
        bool no_state = false;
        CommandOptions o;
        size_t n = 0;
        pid_t pid;
        int r;

        if (cli_parse_command(CLI_COMMAND_STATUS, argc, argv, &o) < 0)
                return EXIT_CONFIG;
        if (o.help) {
                status_help();
                return EXIT_SUCCESS;
        }
        if (cli_load_config(ctx, &config) < 0)
                return EXIT_CONFIG;

        if (taskwatchd_find(ctx->config_path, &daemon) < 0)
                return EXIT_FATAL;
        pid = daemon.pid;
        dir = status_state_dir(&o, &daemon, &dir_from);
        /* These read "taskwatch status: ..."; cli_load_config()'s stay "taskwatch: ...". */
        log_set_context("status");
        r = task_store_open_readonly(&store, dir, &reason);
        if (r == -ENOENT && dir_from && access(dir, F_OK) < 0) {
                /* Someone named this directory: showing every task as new would hide that the
                 * name is wrong, or that the daemon never got to create it. */
                log_error("the state directory %s (from %s) does not exist", dir, dir_from);
                log_set_context(NULL);
                return EXIT_API_FAILURE;
        }
        if (r == -ENOENT)
                no_state = true;
        else if (r < 0) {
                log_error("%s", reason ? reason : strerror(-r));
                log_set_context(NULL);
                return r == -ENOMEM ? EXIT_FATAL : EXIT_API_FAILURE;
        }
        r = collect_rows(store, config, &rows, &n);
        if (r < 0) {
                log_error_errno(r, "cannot read the state in %s: %m", dir);
                log_set_context(NULL);
                return EXIT_API_FAILURE;
        }
        log_set_context(NULL);

        if (pid > 0 && load_runtime(&daemon, &runtime) >= 0)
                for (size_t i = 0; i < n; i++)
                        rows[i].runtime = runtime_status_find(&runtime, rows[i].task_id);
        if (o.json)
                print_json(stdout, rows, n, pid);
        else {
                char from[PATH_MAX + 32] = "";
                if (dir_from)
                        snprintf(from, sizeof(from), " (%s)", dir_from);
                if (pid > 0)
                        printf("taskwatchd is running (PID %ld), found through %s; ", (long) pid,
                               daemon.found_by);
                else
                        printf("No running taskwatchd found (looked for %s%s and in the process "
                               "list); ", getenv("RUNTIME_DIRECTORY") ? "$RUNTIME_DIRECTORY/taskwatchd.pid, " : "",
                               TASKWATCHD_PID_FILE);
                if (no_state)
                        printf("no state saved: %s does not exist:\n", dir);
                else
                        printf("%s state from %s%s:\n", pid > 0 ? "its" : "its last saved", dir, from);
                if (n == 0)
                        printf("No tasks configured or saved.\n");
                else if (print_table(stdout, rows, n, now_usec(CLOCK_REALTIME), ctx->color) < 0)
                        r = -ENOMEM;
        }
        rows_free(rows, n);
        if (r < 0 || fflush(stdout) != 0)
                return EXIT_FATAL;
        return EXIT_SUCCESS;
}
