/* The persisted state of watched tasks: one small JSON file per task under <state_dir>/tasks/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"
#include "util/time-util.h"
#include "watch/task-tracker.h"

/*
 * Layout. <state_dir>/tasks/ (mode 0700) holds one file per task, <uri_encode(task_id)>.json
 * (mode 0600), so a change rewrites one small file however many tasks there are. A save
 * writes "#tmp-<random>" in the same directory, fsyncs it, renames it over the task's file
 * and fsyncs the directory: after a crash the file is either the old record or the new one,
 * never a mix. A file that cannot be loaded is renamed to "<name>.corrupt-<realtime usec>"
 * and kept for a person to look at.
 *
 * Format, version 1 (one JSON object; the key order is not significant):
 *   { "version": 1, "task_id": "T-1", "have_baseline": true,
 *     "lost": false, "timeout_reported": false,
 *     "first_seen_usec": 1700000000000000, "state_since_usec": 1700000030000000,
 *     "last_poll_usec": 1700000060000000,
 *     "last_error": null, "hooks_done": ["task-failed"],
 *     "snapshot": { "state": "running", "stage": "...", "cluster_id": "...",
 *                   "task_type": "...", "error_code": null, "error_message": null,
 *                   "instances": [ { "id": "i-1", "status": "initial" } ] } }
 * Phases and counts are not stored: they are derived again on load, so a newer mapping of
 * states onto phases applies to old files too. Readers of version 1 ignore keys they do not
 * know (a later release may add some without bumping the version) and take a missing
 * optional key as its default (false, 0, null, empty); "version", "task_id" and
 * "have_baseline" are required, and "snapshot" is when have_baseline is true. A file with a
 * higher version is refused (and moved aside), never half-read.
 */

#define TASK_STORE_VERSION 1
/* Files larger than this are refused on load; a record that would encode larger is refused
 * on save (-EFBIG), so that nothing is written that could not be read back. */
#define TASK_STORE_MAX_FILE (16U * 1024U * 1024U)
/* Limits of a record, checked on save (-E2BIG) and on load. */
#define TASK_STORE_MAX_INSTANCES 200000U
#define TASK_STORE_MAX_HOOKS 10000U
/* Longest task id, once uri-encoded, that has a file name (NAME_MAX leaves room for the
 * ".json" and ".corrupt-<usec>" suffixes). Longer ids get -ENAMETOOLONG. */
#define TASK_STORE_MAX_NAME 200U

/* What the watcher knows of one task, as saved and loaded. Every string may be NULL except
 * task_id; snapshot is what TaskTracker.now holds (instances sorted by id, phases and counts
 * derived) and is all NULL/zero while have_baseline is false. */
typedef struct TaskRecord {
        char *task_id;
        bool have_baseline;
        TaskSnapshot snapshot;
        bool lost;             /* "task not found" was already reported */
        bool timeout_reported; /* TaskTimeout= was already reported */
        usec_t first_seen;     /* CLOCK_REALTIME when watching began; 0 = unknown */
        usec_t state_since;    /* CLOCK_REALTIME when the task's state last changed; 0 = unknown */
        usec_t last_poll;      /* CLOCK_REALTIME of the last poll; 0 = never polled */
        char *last_error;      /* the last poll error reported, NULL when the last poll was fine */
        char **hooks_done;     /* event keys whose hooks have run, in the order they ran */
        size_t n_hooks_done;
} TaskRecord;

/* An empty record for task_id (no baseline, no bookkeeping). _init fills a caller's struct;
 * both return 0, -EINVAL (task_id NULL) or -ENOMEM. _done frees the contents and leaves the
 * struct zeroed; _free frees a record from _new or task_store_load() and returns NULL. */
int task_record_init(TaskRecord *r, const char *task_id);
int task_record_new(TaskRecord **ret, const char *task_id);
void task_record_done(TaskRecord *r);
TaskRecord *task_record_free(TaskRecord *r);
DEFINE_POINTER_CLEANUP(TaskRecord, task_record_free)

/* Replace last_error with a copy of error (NULL clears it). 0 or -ENOMEM (r unchanged). */
int task_record_set_last_error(TaskRecord *r, const char *error);
/* Whether key is in hooks_done. */
bool task_record_hook_done(const TaskRecord *r, const char *key);
/* Append key to hooks_done: 1 when added, 0 when it was there already, -E2BIG past
 * TASK_STORE_MAX_HOOKS, -ENOMEM. */
int task_record_add_hook_done(TaskRecord *r, const char *key);

/* Copy the tracker's task_id, have_baseline and snapshot into r (deep copies), replacing
 * what r held of them; the bookkeeping fields (lost, times, last_error, hooks_done) are left
 * as they are. 0, or -ENOMEM / -EINVAL (duplicate instance ids) with r unchanged. */
int task_record_from_tracker(TaskRecord *r, const TaskTracker *t);

/* Put a saved record back into a tracker made by task_tracker_init() for the same task id:
 * have_baseline and the snapshot are replaced by deep copies, the instances sorted by id
 * with their phases and the counts derived from the statuses, so that task_tracker_apply()
 * afterwards emits exactly the events it would have emitted had the daemon never stopped
 * (none for an unchanged reply). Returns 0; -EINVAL when the ids differ or the record lists
 * an instance id twice; -ENOMEM. On error t is unchanged. */
int task_tracker_restore(TaskTracker *t, const TaskRecord *r);

/* Encode r as a version 1 file (no trailing NUL counted in *ret_len, but one is there).
 * -EINVAL (no task_id), -EILSEQ (a string is not valid UTF-8), -ERANGE (a time beyond
 * INT64_MAX), -E2BIG (too many instances or hooks), -EFBIG (larger than TASK_STORE_MAX_FILE),
 * -ENOMEM. */
int task_record_to_json(const TaskRecord *r, char **ret, size_t *ret_len);
/* Decode a file's contents. -EBADMSG with *ret_reason (when not NULL) saying what is wrong
 * ("nested deeper than 32 levels", "at snapshot.instances[2].id: expected a string, got a
 * number", "format version 2 is newer than this taskwatchd reads (1)"), or -ENOMEM. It does
 * not check which task the file belongs to: task_store_load() does. */
int task_record_from_json(const char *buf, size_t len, TaskRecord **ret, char **ret_reason);

typedef struct TaskStore TaskStore;

/* Open <state_dir>/tasks/ for reading and writing, creating state_dir (one level, not its
 * parents) and tasks/ with mode 0700 when missing, taking an exclusive flock() on tasks/
 * for as long as the store is open, and deleting temp files a crash left behind. Returns 0,
 * or -errno with *ret_reason (when not NULL) naming the path and the cause ("cannot create
 * /var/lib/taskwatchd/tasks: Read-only file system"); -EBUSY when another process (or
 * another open store) holds the lock; -ENOMEM. */
int task_store_open(TaskStore **ret, const char *state_dir, char **ret_reason);
/* The same for readers such as `taskwatch status`: never creates, writes, deletes, moves or
 * locks anything. -ENOENT when there is no <state_dir>/tasks/ (nothing was ever saved). Saving and
 * removing through it fail with -EROFS; a corrupt file is reported but left in place. */
int task_store_open_readonly(TaskStore **ret, const char *state_dir, char **ret_reason);
TaskStore *task_store_free(TaskStore *s);
DEFINE_POINTER_CLEANUP(TaskStore, task_store_free)
/* The tasks/ directory, for messages. */
const char *task_store_path(const TaskStore *s);

/* Write r atomically and durably (see the layout above), replacing any earlier record of
 * the task. 0, the errors of task_record_to_json(), -ENAMETOOLONG (task id too long for a
 * file name), -EROFS (read-only store), or the -errno of the failing file operation (the
 * old record, if any, is then intact). */
int task_store_save(TaskStore *s, const TaskRecord *r);

/* Load the record of task_id. Returns 0 and *ret; -ENOENT when there is none; -EBADMSG when
 * the file is corrupt, unreadable, of a newer version or another task's: the file is then
 * moved aside (not in a read-only store) and *ret_reason (when not NULL) names the file,
 * what is wrong and where it went, e.g. "state file /s/tasks/T-1.json: truncated JSON; moved
 * aside to /s/tasks/T-1.json.corrupt-1700000000000000". The caller reports it and starts
 * the task afresh; the next save writes a new file. Passed up unchanged, without moving
 * anything: -ENOMEM, -EMFILE, -ENFILE, -EINTR (the file may be fine). -EINVAL or
 * -ENAMETOOLONG for a task id that cannot have a file. */
int task_store_load(TaskStore *s, const char *task_id, TaskRecord **ret, char **ret_reason);

/* Delete the record of task_id (a task removed from the config). 1 when it was there, 0
 * when not, -EROFS, or -errno. */
int task_store_remove(TaskStore *s, const char *task_id);

/* The ids of all stored tasks, sorted (strcmp), as a NULL-terminated list to free with
 * strv_free(). Temp files, moved-aside files and names that are not a task's are skipped.
 * Returns the number of ids, or -errno. */
int task_store_list(TaskStore *s, char ***ret_ids);
