/* Starting one hook: posix_spawn with a clean slate of signals, fds and session. */
#include "hook-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/cleanup.h"

static void close_pair(int p[2]) {
        closep(&p[0]);
        closep(&p[1]);
}

/* A daemon started with 0..2 closed gets them back from pipe(): the dup2() actions would
 * then overwrite one of our own descriptors. Keep ours above stdio. */
static int fd_above_stdio(int *fd) {
        int n;

        if (*fd > STDERR_FILENO)
                return 0;
        n = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (n < 0)
                return -errno;
        (void) close(*fd);
        *fd = n;
        return 0;
}

/* The hook reads its input at its own pace, or not at all, without ever blocking us: a
 * sealed memfd is a file it cannot change, where a pipe would need feeding from the loop. */
static int input_fd(const char *input, size_t len) {
        _cleanup_(closep) int fd = memfd_create("hook-stdin", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        int r;

        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < len;) {
                ssize_t n = write(fd, input + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) n;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
            lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        r = fd_above_stdio(&fd);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

static int output_pipe(int p[2]) {
        int r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        if ((r = fd_above_stdio(&p[0])) < 0 || (r = fd_above_stdio(&p[1])) < 0)
                return r;
        /* Only our end: the hook's stdout stays blocking, as programs expect. */
        if (fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

int hook_spawn(char *const *argv, char *const *env, const char *input, size_t len,
               pid_t *ret_pid, int *ret_stdout, int *ret_stderr) {
        _cleanup_(closep) int in = -1;
        int out[2] = { -1, -1 }, err[2] = { -1, -1 };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int r;

        in = input_fd(input, len);
        if (in < 0)
                return in;
        if ((r = output_pipe(out)) < 0 || (r = output_pipe(err)) < 0)
                goto finish_pipes;

        r = -posix_spawn_file_actions_init(&fa);
        if (r < 0)
                goto finish_pipes;
        r = -posix_spawnattr_init(&attr);
        if (r < 0)
                goto finish_fa;

        /* The daemon blocks SIGTERM, SIGINT, SIGHUP and SIGCHLD for its signalfds: a hook
         * must start with none blocked and none ignored. A session of its own makes it a
         * process group we can kill as a whole, and detaches it from any terminal. */
        sigemptyset(&none);
        sigfillset(&all);
        if ((r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                          POSIX_SPAWN_SETSID)) < 0 ||
            (r = -posix_spawnattr_setsigmask(&attr, &none)) < 0 ||
            (r = -posix_spawnattr_setsigdefault(&attr, &all)) < 0 ||
            (r = -posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO)) < 0 ||
            (r = -posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO)) < 0 ||
            (r = -posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO)) < 0 ||
            /* Ours are all O_CLOEXEC, but a library's may not be. */
            (r = -posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) < 0)
                goto finish_attr;

        /* glibc reports a failed exec here, as the return value (it spawns with vfork). */
        r = -posix_spawn(&pid, argv[0], &fa, &attr, argv, env);

finish_attr:
        posix_spawnattr_destroy(&attr);
finish_fa:
        posix_spawn_file_actions_destroy(&fa);
finish_pipes:
        closep(&out[1]);
        closep(&err[1]);
        out[1] = err[1] = -1;
        if (r < 0) {
                close_pair(out);
                close_pair(err);
                return r;
        }
        *ret_pid = pid;
        *ret_stdout = out[0];
        *ret_stderr = err[0];
        return 0;
}
