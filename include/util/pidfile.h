/* PID files, written atomically so that a reader never sees a half-written one. */
#pragma once

#include <sys/types.h>

/* Write "<pid>\n" to path (temp file + rename), creating its directory (mode 0755) if
 * missing. Returns 0 or -errno. */
int pidfile_write(const char *path, pid_t pid);
/* Remove path if it still names pid (another instance may have taken it over). */
void pidfile_remove(const char *path, pid_t pid);
