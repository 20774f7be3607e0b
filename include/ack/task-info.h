/* The DescribeTaskInfo reply and API error bodies, decoded into plain structs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Replies larger than this are refused by the HTTP layer and by the decoder. */
#define TASK_INFO_MAX_BODY (8U * 1024U * 1024U)
/* Deeper JSON than this is refused before yajl builds a tree (its free is recursive). */
#define TASK_INFO_MAX_DEPTH 64U
/* More entries than this in any one array or object (task_result, stages, events, or any
 * other) make a body malformed. */
#define TASK_INFO_MAX_ENTRIES 100000U
/* Values in the whole reply (counted at separators): bounds yajl's tree to a few tens of MB
 * however the body is shaped. A real reply has a few thousand. */
#define TASK_INFO_MAX_VALUES 250000U

typedef enum TaskPhase {
        TASK_PHASE_RUNNING,   /* running */
        TASK_PHASE_PAUSED,    /* pausing, paused, resuming, cancelling: alive, not terminal */
        TASK_PHASE_SUCCEEDED, /* success: terminal */
        TASK_PHASE_FAILED,    /* fail, failed: terminal */
        TASK_PHASE_CANCELED,  /* canceled, cancelled: terminal */
        TASK_PHASE_UNKNOWN,   /* anything else: reported, never terminal */
        _TASK_PHASE_MAX,
} TaskPhase;

typedef enum InstancePhase {
        INSTANCE_PHASE_PENDING,   /* initial, initail, anything not terminal */
        INSTANCE_PHASE_SUCCEEDED, /* success */
        INSTANCE_PHASE_FAILED,    /* failed, fail */
        _INSTANCE_PHASE_MAX,
} InstancePhase;

typedef struct TaskInstance {
        char *id;     /* task_result[].data, e.g. an ECS instance id */
        char *status; /* task_result[].status as sent */
} TaskInstance;

typedef struct TaskStage {
        char *state, *start_time, *end_time, *message;
} TaskStage;

typedef struct TaskEventRecord {
        char *action, *level, *message, *reason, *source, *timestamp;
} TaskEventRecord;

/* Every string may be NULL when the reply lacks it; unknown keys are ignored. */
typedef struct TaskInfo {
        char *task_id, *cluster_id, *created, *updated;
        char *state, *task_type, *current_stage;
        char *target_id, *target_type;
        char *error_code, *error_message;
        TaskInstance *instances;
        size_t n_instances;
        TaskStage *stages;
        size_t n_stages;
        TaskEventRecord *events;
        size_t n_events;
} TaskInfo;

/* Both casings: gateway {"RequestId","HostId","Code","Message","Recommend"} and backend
 * {"code","message","requestId"}. */
typedef struct ApiError {
        char *code, *message, *request_id, *host_id, *recommend;
} ApiError;

/* Decode a 2xx reply body. On failure returns -EBADMSG (or -ENOMEM) and, when ret_reason
 * is not NULL, a human reason naming where the body is wrong ("at task_result[2].status:
 * expected a string, got a number"; "nested deeper than 64 levels"; "contains a NUL byte";
 * "truncated JSON"). A reply without a "state" string is malformed. */
int task_info_parse(const char *body, size_t len, TaskInfo **ret, char **ret_reason);
TaskInfo *task_info_free(TaskInfo *t);

/* Decode an error body. Returns -EBADMSG when it is not a JSON object carrying at least a
 * code or a message; the caller then reports the HTTP status alone. */
int api_error_parse(const char *body, size_t len, ApiError **ret);
ApiError *api_error_free(ApiError *e);

TaskPhase task_phase_from_state(const char *state);
bool task_phase_is_terminal(TaskPhase p);
const char *task_phase_to_string(TaskPhase p); /* "running", "paused", "succeeded", ... */

InstancePhase instance_phase_from_status(const char *status);
const char *instance_phase_to_string(InstancePhase p); /* "pending", "succeeded", "failed" */
