/* An API-wide outage (network/TLS, 5xx, auth failing for most tasks alike): one account-level
 * event and its recovery, instead of one line per task. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ack/reply.h"
#include "util/strutil.h"
#include "util/time-util.h"

/* An outage is declared when at least this many tasks' latest poll failed alike and the
 * account's last this many answered polls all did: the first ones are still said per task
 * (9 lines for 10 000 tasks), and fewer tasks failing alike stay per task. */
#define API_OUTAGE_MIN_TASKS 10U

/* The faults that are the endpoint's or the account's, not one task's. Throttling has its
 * own budget logic, not-found is per task. */
typedef enum OutageClass {
        OUTAGE_NONE,
        OUTAGE_NETWORK,
        OUTAGE_SERVER,
        OUTAGE_AUTH,
        _OUTAGE_CLASS_MAX,
} OutageClass;

typedef struct ApiOutage {
        size_t n_failing;  /* watched tasks whose latest poll failed with this class */
        size_t peak;       /* the most of them while it lasted */
        bool active;       /* api-outage emitted, its recovery not yet */
        usec_t since;      /* CLOCK_MONOTONIC when it was declared */
        char *summary;     /* the failure that tipped it, for STATUS= */
} ApiOutage;

struct WatchedTask;
struct WatchContext;

/* A failed poll's outcome: true when it is part of an outage in progress, so its per-task
 * line is not written (the outage said it). */
bool api_outage_on_failure(struct WatchedTask *t, const AckReply *o);
/* A good poll: true when the task's fault was part of an outage, so its per-task recovery
 * is not written either. */
bool api_outage_on_success(struct WatchedTask *t);
/* The task is freed: it no longer counts. */
void api_outage_forget(struct WatchedTask *t);
void api_outage_done(struct WatchContext *w);
/* "API unavailable for N tasks: ...; " for every outage in progress. */
void api_outage_append_status(const struct WatchContext *w, StrBuf *b);
