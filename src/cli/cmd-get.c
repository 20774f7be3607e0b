/* taskwatch get: one signed DescribeTaskInfo per task, shown as a block (one task), a table
 * (several, or -o wide), or the raw JSON (an array, or one reply per line). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "ack/client.h"
#include "cli-args.h"
#include "cli.h"
#include "http/http-pool.h"
#include "summary.h"
#include "util/log.h"
#include "util/strutil.h"

typedef struct GetRun GetRun;

typedef struct GetItem {
        GetRun *run;
        const char *task_id;
        bool done;
        int error;         /* a local failure (-errno) before any reply */
        AckReply outcome;  /* its owned fields only: the borrowed ones are gone */
        char *body;        /* ACK_REPLY_OK: the reply as sent, for --json */
        size_t body_len;
} GetItem;

struct GetRun {
        sd_event *event;
        HttpPool *pool;
        AckClient *client;
        const Config *config;
        const Credentials *credentials;
        GetItem *items;
        size_t n_items, n_started, n_done;
};

static void get_help(void) {
        printf("Usage: taskwatch [--config PATH] get [-o wide | --json | --json-lines] TASK...\n"
               "Fetch each task once (DescribeTaskInfo) and show it: one task as a block (state,\n"
               "type, cluster, target, stage, times, instances, failed instances, error), several\n"
               "as a table with one line per task. Times are RFC 3339 in UTC, with their age.\n\n"
               "  -o, --output=wide  the table even for one task, with the stage and error code\n"
               "      --json         print the API's reply as is (several tasks: a JSON array)\n"
               "      --json-lines   each reply on one line, however many tasks\n"
               "  -h, --help         show this help\n\n"
               "Exit status: 0 every task fetched, 3 a task does not exist, 4 configuration or\n"
               "credential error (a refused signature or key included), 5 another API failure.\n");
}

static void get_item_finish(GetItem *item) {
        GetRun *run = item->run;

        item->done = true;
        if (++run->n_done == run->n_items)
                (void) sd_event_exit(run->event, 0);
}

static void get_on_reply(AckCall *call, AckReply *reply, void *userdata) {
        GetItem *item = userdata;

        if (reply->error < 0)
                item->error = reply->error;
        else if (reply->kind == ACK_REPLY_OK) {
                item->body = strndup(reply->body, reply->body_len);
                item->body_len = reply->body_len;
                if (!item->body)
                        item->error = -ENOMEM;
        }
        /* Taken: the reply's own strings and info; what it borrows ends with this call. */
        item->outcome = *reply;
        item->outcome.body = NULL;
        item->outcome.body_len = 0;
        item->outcome.canonical_request_hash = NULL;
        reply->info = NULL;
        reply->code = reply->message = reply->request_id = NULL;
        get_item_finish(item);
}

/* Start what the pool has room for; the rest wait for get_on_capacity(). */
static void get_start_more(GetRun *run) {
        while (run->n_started < run->n_items && ack_client_has_capacity(run->client)) {
                GetItem *item = &run->items[run->n_started];
                int r;

                r = ack_client_describe_task(run->client, item->task_id, run->credentials,
                                             get_on_reply, item, NULL);
                if (r == -EBUSY)
                        return;
                run->n_started++;
                if (r < 0) {
                        item->error = r;
                        get_item_finish(item);
                }
        }
}

static void get_on_capacity(void *userdata) {
        get_start_more(userdata);
}

/* The worst of the outcomes decides the exit status. */
static int exit_status_rank(int status) {
        switch (status) {
        case EXIT_CONFIG:
                return 3;
        case EXIT_API_FAILURE:
                return 2;
        case EXIT_TASK_NOT_FOUND:
                return 1;
        default:
                return 0;
        }
}

static int report_failure(const GetItem *item) {
        const AckReply *o = &item->outcome;
        _cleanup_(freep) char *code = NULL, *message = NULL, *id = NULL, *text = NULL;
        const char *what;
        char span[FORMAT_TIMESPAN_MAX], wait[FORMAT_TIMESPAN_MAX + 40] = "";
        int r, status;

        if (item->error < 0) {
                log_error("%s: %s", item->task_id, strerror(-item->error));
                return EXIT_API_FAILURE;
        }
        code = printable(o->code);
        message = printable(o->message);
        id = printable(o->request_id);
        if (!code || !message || !id)
                return EXIT_API_FAILURE;

        switch (o->kind) {
        case ACK_REPLY_NOT_FOUND:
                what = "no such task";
                status = EXIT_TASK_NOT_FOUND;
                break;
        case ACK_REPLY_AUTH_ERROR:
                what = "the API refused the credentials";
                status = EXIT_CONFIG;
                break;
        default:
                what = ack_reply_kind_to_string(o->kind);
                status = EXIT_API_FAILURE;
        }
        if (o->kind == ACK_REPLY_THROTTLED && o->retry_after > 0)
                (void) snprintf(wait, sizeof(wait), "; the API asks to retry after %s",
                                format_timespan(span, sizeof(span), o->retry_after));
        if (o->http_status > 0)
                r = asprintf(&text, " (HTTP %ld %s: %s; request id %s)", o->http_status, code, message, id);
        else
                r = asprintf(&text, " (%s: %s)", code, message);
        if (r < 0)
                text = NULL;
        log_error("%s: %s%s%s", item->task_id, what, text ?: "", wait);
        return status;
}

/* The body as it came, without trailing whitespace, so that the array stays tidy. One line
 * for --json-lines: a raw line break in JSON can only be whitespace between tokens (inside a
 * string it is escaped), so it becomes a space. */
static void print_body(const GetItem *item, bool one_line) {
        size_t n = item->body_len;

        while (n > 0 && strchr(" \t\r\n", item->body[n - 1]))
                n--;
        for (size_t i = 0; i < n; i++)
                fputc(one_line && (item->body[i] == '\n' || item->body[i] == '\r') ? ' ' : item->body[i], stdout);
}

static int fetch_all(GetRun *run) {
        int r;

        http_pool_set_on_capacity(run->pool, get_on_capacity, run);
        get_start_more(run);
        if (run->n_done == run->n_items)
                return 0;
        r = sd_event_loop(run->event);
        return r < 0 ? r : 0;
}

int cmd_get(const CliContext *ctx, int argc, char **argv) {
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(credentials_freep) Credentials *creds = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(http_pool_freep) HttpPool *pool = NULL;
        _cleanup_(ack_client_freep) AckClient *client = NULL;
        _cleanup_(freep) GetItem *items = NULL;
        _cleanup_(freep) const TaskInfo **shown = NULL;
        size_t n_shown = 0;
        CommandOptions o;
        GetRun run;
        int r, status = EXIT_SUCCESS;
        size_t n_json = 0;

        if (cli_parse_command(CLI_COMMAND_GET, argc, argv, &o) < 0)
                return EXIT_CONFIG;
        if (o.help) {
                get_help();
                return EXIT_SUCCESS;
        }
        if (cli_check_task_ids(o.args, o.n_args) < 0 || cli_load_config(ctx, &config) < 0 ||
            cli_acquire_credentials(config, &creds) < 0)
                return EXIT_CONFIG;

        HttpPoolOptions po = {
                .max_connections = config->max_connections,
                .timeout = config->request_timeout,
                .ca_file = config->ca_file,
                .max_body = TASK_INFO_MAX_BODY,
                .allow_plain_http = config->allow_plain_http,
        };
        items = calloc(o.n_args, sizeof(*items));
        if (!items)
                return EXIT_FATAL;
        run = (GetRun) { .config = config, .credentials = creds, .items = items, .n_items = o.n_args };
        for (size_t i = 0; i < o.n_args; i++)
                items[i] = (GetItem) { .run = &run, .task_id = o.args[i] };

        r = sd_event_new(&event);
        if (r >= 0)
                r = http_pool_new(&pool, event, &po);
        if (r >= 0)
                r = ack_client_new(&client, pool, config->endpoint);
        if (r >= 0) {
                run.event = event;
                run.pool = pool;
                run.client = client;
                r = fetch_all(&run);
        }
        if (r < 0) {
                log_set_context("get");
                log_error_errno(r, "%m");
                log_set_context(NULL);
                status = EXIT_FATAL;
                goto finish;
        }

        shown = calloc(run.n_items + 1, sizeof(*shown));
        if (!shown) {
                status = EXIT_FATAL;
                goto finish;
        }
        if (o.json && o.n_args > 1)
                fputs("[\n", stdout);
        for (size_t i = 0; i < run.n_items; i++) {
                GetItem *item = &items[i];
                int s;

                if (item->error < 0 || item->outcome.kind != ACK_REPLY_OK) {
                        s = report_failure(item);
                        if (exit_status_rank(s) > exit_status_rank(status))
                                status = s;
                        continue;
                }
                if (o.json_lines) {
                        print_body(item, true);
                        fputc('\n', stdout);
                } else if (o.json) {
                        if (n_json++ > 0)
                                fputs(",\n", stdout);
                        print_body(item, false);
                        if (o.n_args == 1)
                                fputc('\n', stdout);
                } else
                        shown[n_shown++] = item->outcome.info;
        }
        if (o.json && o.n_args > 1)
                fputs(n_json > 0 ? "\n]\n" : "]\n", stdout);
        /* One task reads best as a block; several as a table, like kubectl get. */
        if (n_shown > 0) {
                if (o.n_args == 1 && !o.wide)
                        r = task_summary_print(stdout, shown[0], now_usec(CLOCK_REALTIME), ctx->color);
                else
                        r = task_table_print(stdout, shown, n_shown, now_usec(CLOCK_REALTIME), o.wide,
                                             ctx->color);
                if (r < 0)
                        status = EXIT_FATAL;
        }

finish:
        for (size_t i = 0; i < run.n_items; i++) {
                ack_reply_done(&items[i].outcome);
                free(items[i].body);
        }
        /* The client and pool go before the loop they run on. */
        client = ack_client_free(client);
        pool = http_pool_free(pool);
        if (fflush(stdout) != 0 && status == EXIT_SUCCESS)
                status = EXIT_FATAL;
        return status;
}
