/* The persisted state of watched tasks: one small JSON file per task under <state_dir>/tasks/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/cleanup.h"
#include "util/time-util.h"
#include "state/hook-ledger.h"
#include "track/task-tracker.h"

/*
 * Layout. <state_dir>/tasks/ (mode 0700) holds one file per task, <uri_encode(task_id)>.json
 * (mode 0600), so a change rewrites one small file however many tasks there are. A save
 * writes "#tmp-<random>" in the same directory and renames it over the task's file: after a
 * crash of the daemon the file is either the old record or the new one, never a mix.
 * Durability against a crash of the machine is batched: task_store_sync() (one syncfs())
 * makes every save since the last one durable; the watcher calls it within a second of a
 * save, at once for records with hook bookkeeping, and when the store is freed. A save that
 * a power loss catches unsynced may come back as the old record (its events are reported
 * again) or as an empty file, which is moved aside like any file that cannot be loaded (the
 * task is watched afresh, and a failure it had is reported again). A file that cannot be
 * loaded is renamed to "<name>.corrupt-<realtime usec>" and kept for a person to look at.
 *
 * Format, version 1 (one JSON object; the key order is not significant):
 *   { "version": 1, "task_id": "T-1", "have_baseline": true,
 *     "lost": false, "timeout_reported": false,
 *     "first_seen_usec": 1700000000000000, "state_since_usec": 1700000030000000,
 *     "last_poll_usec": 1700000060000000,
 *     "last_error": null, "hooks_done": ["T-1/task-failed"],
 *     "hooks_pending": [ { "key": "T-1/instance-failed/i-1", "input": 0,
 *                          "event": { "kind": "instance-failed", "instance_id": "i-1",
 *                                     "instance_status": "failed", ... } } ],
 *     "hook_inputs": [ "{\"task_id\":\"T-1\",...}" ],
 *     "snapshot": { "state": "running", "stage": "...", "cluster_id": "...",
 *                   "task_type": "...", "error_code": null, "error_message": null,
 *                   "instances": [ { "id": "i-1", "status": "initial", "failures": 1 } ] } }
 * An instance's "failures" (added later in version 1, written only when not 0; absent is 0)
 * counts how often it turned failed while watched: the generation in its instance-failed
 * hook event key.
 * "hooks_pending" and "hook_inputs" (added later in version 1, written only when not empty:
 * older readers ignore them) are the hook runs submitted but not known to have finished,
 * which a restarted daemon submits again: the event's fields by their lower-case journal
 * names, and the index of the task JSON they read on stdin ("input", absent: none). One
 * reply's JSON is kept once, however many of its events have hooks.
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
/* TASK_STORE_MAX_HOOKS (state/hook-ledger.h): in hooks_done, and again in hooks_pending. */
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
        /* The hook ledger saved with the record (NULL: an empty one): only read, never freed
         * through this. */
        const HookLedger *hooks;
        /* The record's own ledger, hooks points to it: what task_record_from_json() read
         * (never NULL after it), or what task_record_own_hooks() made. Freed with the
         * record unless taken whole (TAKE_PTR) by whoever restores the task. */
        HookLedger *own_hooks;
} TaskRecord;

/* An empty record for task_id (no baseline, no bookkeeping, no ledger). _init fills a caller's struct;
 * both return 0, -EINVAL (task_id NULL) or -ENOMEM. _done frees the contents and leaves the
 * struct zeroed; _free frees a record from _new or task_store_load() and returns NULL. */
int task_record_init(TaskRecord *r, const char *task_id);
int task_record_new(TaskRecord **ret, const char *task_id);
void task_record_done(TaskRecord *r);
TaskRecord *task_record_free(TaskRecord *r);
DEFINE_POINTER_CLEANUP(TaskRecord, task_record_free)

/* Replace last_error with a copy of error (NULL clears it). 0 or -ENOMEM (r unchanged). */
int task_record_set_last_error(TaskRecord *r, const char *error);
/* The record's own ledger, made when it has none, and hooks pointed at it: NULL on OOM. */
HookLedger *task_record_own_hooks(TaskRecord *r);

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
 * -EINVAL (no task_id, or a pending run without key or kind or with an input out of range),
 * -EILSEQ (a string is not valid UTF-8), -ERANGE (a time beyond
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
/* Syncs what was saved (task_store_sync()), then closes. */
TaskStore *task_store_free(TaskStore *s);
DEFINE_POINTER_CLEANUP(TaskStore, task_store_free)
/* The tasks/ directory, for messages. */
const char *task_store_path(const TaskStore *s);

/* Write r atomically (see the layout above), replacing any earlier record of the task;
 * durable from the next task_store_sync(). 0, the errors of task_record_to_json(), -ENAMETOOLONG (task id too long for a
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

/* Delete the record of task_id (a task removed from the config); durable from the next
 * task_store_sync(). 1 when it was there, 0 when not, -EROFS, or -errno. */
int task_store_remove(TaskStore *s, const char *task_id);
/* When the record of task_id was last written (CLOCK_REALTIME, from its file's mtime):
 * the record of a task no longer watched is not written again, so this is when it was
 * left. 0, -ENOENT, or -errno. */
int task_store_written(TaskStore *s, const char *task_id, usec_t *ret);

/* Make every save and removal since the last sync durable against a crash of the machine:
 * one syncfs() of the store's file system, nothing when there is nothing to sync. 0 or
 * -errno (the saves stay in place; the next sync tries again). */
int task_store_sync(TaskStore *s);

/* The ids of all stored tasks, sorted (strcmp), as a NULL-terminated list to free with
 * strv_free(). Temp files, moved-aside files and names that are not a task's are skipped.
 * Returns the number of ids, or -errno. */
int task_store_list(TaskStore *s, char ***ret_ids);
