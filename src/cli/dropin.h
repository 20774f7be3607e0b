/* The drop-in taskwatch add/remove manage: <config>.d/50-taskwatch.conf, edited atomically. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DROPIN_NAME "50-taskwatch.conf"

typedef enum DropinOp {
        DROPIN_ADD,
        DROPIN_REMOVE,
} DropinOp;

/* The new text of a drop-in after adding or removing ids (pure: no I/O).
 *
 * Only Task= lines of [Tasks] sections are touched; every other line is kept as it is.
 * Adding appends one "Task=ID" line at the end of the last [Tasks] section (a [Tasks]
 * section is appended when there is none) for each id the file does not list yet.
 * Removing drops the id from the line(s) listing it, and drops a line left without ids
 * (an empty "Task=" would reset the list of every file read before). changed[i] (n bools)
 * tells whether ids[i] made a difference. *ret is NULL when nothing changed. 0 or -ENOMEM. */
int dropin_edit_text(const char *text, size_t len, DropinOp op, char *const *ids, size_t n,
                     bool *changed, char **ret);

/* The ids the text's [Tasks] sections list, in order (after any "Task=" reset). */
int dropin_list_tasks(const char *text, size_t len, char ***ret);

/* "<config_path or the default>.d" */
int dropin_dir(const char *config_path, char **ret);

/* Apply the edit to <dir>/50-taskwatch.conf: the directory is created if needed (mode
 * 0755), the file is locked against a concurrent taskwatch, written to a temporary file
 * beside it, fsync()ed and renamed over the old one, then the directory is fsync()ed. A
 * file left unchanged is not rewritten. *ret_path (optional): the file's path. */
int dropin_update(const char *dir, DropinOp op, char *const *ids, size_t n, bool *changed,
                  char **ret_path);
