/* Walking /proc for a process's descendants, and signalling or killing all of them. */
#include "util/process-tree.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util/cleanup.h"

typedef struct ProcEntry {
        pid_t pid, ppid;
} ProcEntry;

/* The parent of pid from /proc/<pid>/stat, 0 if it is gone. The command name is in
 * parentheses and may hold anything, ")" and blanks included: parse after the last ")". */
static pid_t read_ppid(pid_t pid) {
        char path[64], buf[512];
        _cleanup_(fclosep) FILE *f = NULL;
        const char *p;
        size_t n;
        int ppid;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
                return 0;
        return (pid_t) ppid;
}

/* Every process with its parent, as /proc lists them now. */
static int snapshot(ProcEntry **ret, size_t *ret_n) {
        _cleanup_(freep) ProcEntry *all = NULL;
        size_t n = 0, cap = 0;
        DIR *d = opendir("/proc");
        struct dirent *de;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                pid_t ppid;

                if (*end != '\0' || pid <= 0)
                        continue;
                ppid = read_ppid((pid_t) pid);
                if (ppid <= 0)
                        continue;
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 256;
                        ProcEntry *m = reallocarray(all, c, sizeof(*all));
                        if (!m) {
                                closedir(d);
                                return -ENOMEM;
                        }
                        all = m;
                        cap = c;
                }
                all[n++] = (ProcEntry) { (pid_t) pid, ppid };
        }
        closedir(d);
        *ret = TAKE_PTR(all);
        *ret_n = n;
        return 0;
}

static bool contains(const pid_t *l, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (l[i] == pid)
                        return true;
        return false;
}

int process_tree_descendants(pid_t root, const pid_t *skip, size_t n_skip, pid_t **ret) {
        _cleanup_(freep) ProcEntry *all = NULL;
        _cleanup_(freep) pid_t *out = NULL;
        size_t n_all = 0, n = 0;
        int r;

        r = snapshot(&all, &n_all);
        if (r < 0)
                return r;
        if (n_all > 0) {
                out = calloc(n_all, sizeof(*out));
                if (!out)
                        return -ENOMEM;
        }
        /* Breadth first from root: out[] grows as the children of its entries are found,
         * so every parent comes before its children. */
        for (size_t head = 0; head <= n; head++) {
                pid_t parent = head == 0 ? root : out[head - 1];

                for (size_t i = 0; i < n_all; i++)
                        if (all[i].ppid == parent && !contains(skip, n_skip, all[i].pid) &&
                            !contains(out, n, all[i].pid) && all[i].pid != root)
                                out[n++] = all[i].pid;
        }
        *ret = n > 0 ? TAKE_PTR(out) : NULL;
        return (int) n;
}

int process_tree_signal(pid_t root, const pid_t *skip, size_t n_skip, int sig) {
        _cleanup_(freep) pid_t *l = NULL;
        int n = process_tree_descendants(root, skip, n_skip, &l);

        for (int i = 0; i < n; i++) {
                (void) kill(l[i], sig);
                (void) kill(l[i], SIGCONT);
        }
        return n;
}

void process_tree_reap(const pid_t *pids, size_t n) {
        /* Parents first: once a parent is reaped its children are ours, so each wait
         * either reaps or finds a process that was never ours (ECHILD). */
        for (size_t i = 0; i < n; i++)
                while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
                        ;
}

int process_tree_kill(pid_t root, const pid_t *skip, size_t n_skip, pid_t **ret_killed) {
        _cleanup_(freep) pid_t *stopped = NULL;
        size_t n_stopped = 0;
        int r;

        /* A process that forks while we walk would leave its child out: stop what we
         * find and walk again, until a walk finds nothing new (bounded, for a fork bomb). */
        for (unsigned round = 0; round < 64; round++) {
                _cleanup_(freep) pid_t *l = NULL;
                size_t added = 0;

                r = process_tree_descendants(root, skip, n_skip, &l);
                if (r < 0)
                        return r;
                for (int i = 0; i < r; i++) {
                        if (contains(stopped, n_stopped, l[i]))
                                continue;
                        pid_t *m = reallocarray(stopped, n_stopped + 1, sizeof(*stopped));
                        if (!m)
                                return -ENOMEM;
                        stopped = m;
                        stopped[n_stopped++] = l[i];
                        (void) kill(l[i], SIGSTOP);
                        added++;
                }
                if (added == 0)
                        break;
        }
        for (size_t i = 0; i < n_stopped; i++)
                (void) kill(stopped[i], SIGKILL);
        if (ret_killed)
                *ret_killed = TAKE_PTR(stopped);
        else
                process_tree_reap(stopped, n_stopped);
        return (int) n_stopped;
}
