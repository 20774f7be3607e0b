/* Starting one hook process: internal to the hooks layer. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Starts argv[0] with env in a new session (its process group id is its pid), an empty
 * signal mask and default dispositions, stdin a sealed memfd holding len bytes of input
 * (input may be NULL), stdout and stderr pipes whose non-blocking, close-on-exec read ends
 * are returned, and no other file descriptor. 0, or -errno (exec failures included: ENOENT,
 * EACCES, ...). */
int hook_spawn(char *const *argv, char *const *env, const char *input, size_t len,
               pid_t *ret_pid, int *ret_stdout, int *ret_stderr);
