/* --check-config's one signed read-only call: DescribeTaskInfo of the first task, so that a
 * wrong secret or a missing permission is found before the daemon runs, not at its first
 * poll. The API's verdict is printed; --offline skips it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ack/client.h"
#include "ack/task-info.h"
#include "daemon-internal.h"
#include "util/log.h"
#include "util/strutil.h"

typedef struct ApiCheck {
        sd_event *event;
        bool done;
        AckReplyKind kind;
        long http_status;
        int error;
        char *code, *message, *request_id, *state;
} ApiCheck;

static void api_check_on_reply(AckCall *call, AckReply *reply, void *userdata) {
        ApiCheck *c = userdata;

        c->done = true;
        c->kind = reply->kind;
        c->error = reply->error;
        c->http_status = reply->http_status;
        c->code = TAKE_PTR(reply->code);
        c->message = TAKE_PTR(reply->message);
        c->request_id = TAKE_PTR(reply->request_id);
        if (reply->info && reply->info->state)
                c->state = strdup(reply->info->state);
        (void) sd_event_exit(c->event, 0);
}

/* A 403, or a code that says so, is a signature that was verified and a permission missing;
 * everything else the API calls an authentication failure is the key or its signature. */
static bool is_permission(const ApiCheck *c) {
        return c->http_status == 403 ||
               (c->code && (strncasecmp(c->code, "Forbidden", 9) == 0 ||
                            strncasecmp(c->code, "NoPermission", 12) == 0));
}

/* "HTTP 400 SignatureDoesNotMatch: ...; request id X", for the verdict's line. */
static char *api_check_details(const ApiCheck *c) {
        _cleanup_(freep) char *message = NULL;
        char *s = NULL;

        if (c->message) /* API text can be long (SignatureDoesNotMatch quotes what it signed) */
                message = strndup(c->message, 200);
        if (c->message && !message)
                return NULL;
        int r;

        if (c->http_status > 0)
                r = asprintf(&s, "HTTP %ld %s%s%s%s%s", c->http_status, c->code ?: "", message ? ": " : "",
                             message ?: "", c->request_id ? "; request id " : "", c->request_id ?: "");
        else
                r = asprintf(&s, "%s%s%s", c->code ?: "", message ? ": " : "", message ?: "");
        if (r < 0)
                return NULL;
        for (char *p = s; *p; p++) /* nothing the API sends may drive a terminal */
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        return s;
}

static int api_check_report(const Daemon *d, const ApiCheck *c, const char *task_id) {
        _cleanup_(freep) char *details = api_check_details(c);
        const char *endpoint = d->config->endpoint;

        switch (c->kind) {
        case ACK_REPLY_OK:
                printf("# API: %s accepted the credentials (DescribeTaskInfo %s: %s)\n", endpoint,
                       task_id, c->state ?: "-");
                return EXIT_SUCCESS;
        case ACK_REPLY_NOT_FOUND:
                printf("# API: %s accepted the credentials, but task %s was not found (%s); check "
                       "the task id and Region=\n", endpoint, task_id, details ?: "-");
                log_error("task %s was not found by %s; check the task id and Region=", task_id,
                          endpoint);
                return EXIT_TASK_NOT_FOUND;
        case ACK_REPLY_AUTH_ERROR:
                if (is_permission(c)) {
                        printf("# API: %s: no permission (%s); grant the RAM policy "
                               "cs:DescribeTaskInfo\n", endpoint, details ?: "-");
                        log_error("the API refused DescribeTaskInfo for lack of permission (%s)",
                                  details ?: "-");
                } else {
                        printf("# API: %s: signature refused (%s); check the AccessKeyId and its "
                               "secret\n", endpoint, details ?: "-");
                        log_error("the API refused the signature (%s): the AccessKeyId or its "
                                  "secret is wrong", details ?: "-");
                }
                return EXIT_CONFIG;
        default:
                /* No verdict on the credentials: say so, and how to skip the call. */
                printf("# API: %s: not checked: %s (%s); --offline skips this check\n", endpoint,
                       ack_reply_kind_to_string(c->kind), details ?: "-");
                log_error("could not check the credentials with %s: %s (%s)", endpoint,
                          ack_reply_kind_to_string(c->kind), details ?: "-");
                return EXIT_FATAL;
        }
}

static int api_check_on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        return sd_event_exit(userdata, 0);
}

int daemon_check_api(Daemon *d, const Credentials *creds) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_event_source_disable_unrefp) sd_event_source *timeout = NULL;
        _cleanup_(http_pool_freep) HttpPool *pool = NULL;
        _cleanup_(ack_client_freep) AckClient *client = NULL;
        const Config *config = d->config;
        ApiCheck c = {};
        int r, status;

        if (config->n_tasks == 0) {
                printf("# API: not checked: no task configured ([Tasks] Task=)\n");
                return EXIT_SUCCESS;
        }
        HttpPoolOptions po = {
                .max_connections = 1,
                .timeout = config->request_timeout,
                .ca_file = config->ca_file,
                .max_body = TASK_INFO_MAX_BODY,
                .allow_plain_http = config->allow_plain_http,
        };
        /* A loop of its own: the daemon's may have ended already (temporary credentials
         * were awaited on it), and an ended sd-event loop does not run again. */
        r = sd_event_new(&event);
        if (r >= 0) {
                c.event = event;
                r = http_pool_new(&pool, event, &po);
        }
        if (r >= 0)
                r = ack_client_new(&client, pool, config->endpoint);
        if (r >= 0)
                r = ack_client_describe_task(client, config->tasks[0], creds, api_check_on_reply, &c, NULL);
        /* The request's own timeout ends it; this one only bounds the loop. */
        if (r >= 0)
                r = sd_event_add_time_relative(event, &timeout, CLOCK_MONOTONIC,
                                               config->request_timeout + 5 * USEC_PER_SEC, 0,
                                               api_check_on_timeout, event);
        if (r >= 0)
                r = sd_event_loop(event);
        if (r < 0) {
                log_error_errno(r, "cannot check the credentials with the API: %m");
                status = EXIT_FATAL;
        } else if (!c.done) {
                printf("# API: %s: not checked: no reply in time; --offline skips this check\n",
                       config->endpoint);
                log_error("could not check the credentials with %s: no reply in time", config->endpoint);
                status = EXIT_FATAL;
        } else
                status = api_check_report(d, &c, config->tasks[0]);

        /* The client and pool go before the loop they run on. */
        client = ack_client_free(client);
        pool = http_pool_free(pool);
        free(c.code);
        free(c.message);
        free(c.request_id);
        free(c.state);
        timeout = sd_event_source_disable_unref(timeout);
        return status;
}
