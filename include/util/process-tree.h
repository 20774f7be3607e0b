/* A process's descendants found through /proc, and killing them all: what a process group
 * cannot do once one of them has called setsid(). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Every live or zombie descendant of root (root itself not included), parents before their
 * children, skipping the subtrees of the n_skip pids in skip. *ret is malloc()ed (NULL when
 * there are none). Returns their number, or -errno when /proc cannot be read. */
int process_tree_descendants(pid_t root, const pid_t *skip, size_t n_skip, pid_t **ret);

/* Sends sig (and SIGCONT, so that stopped ones see it) to every descendant of root outside
 * skip's subtrees. Returns how many were signalled, or -errno. */
int process_tree_signal(pid_t root, const pid_t *skip, size_t n_skip, int sig);

/* SIGKILLs every descendant of root outside skip's subtrees (root itself is spared),
 * stopping them first (SIGSTOP, walking again until no new one appears) so that none forks
 * past the walk. With ret_killed NULL, then reaps them (process_tree_reap()); otherwise
 * returns their pids there (malloc()ed, parents first) for the caller to reap later.
 * Returns how many were killed, or -errno. */
int process_tree_kill(pid_t root, const pid_t *skip, size_t n_skip, pid_t **ret_killed);

/* Waits for each of pids, in order, that is or becomes a child of the caller; given parents
 * first, with the caller a child subreaper (PR_SET_CHILD_SUBREAPER), that is all of them:
 * a parent reaped hands its children to us. For processes already sent SIGKILL. */
void process_tree_reap(const pid_t *pids, size_t n);
