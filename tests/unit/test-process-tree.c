/* Finding and killing descendants through /proc, setsid() escapes and orphans included. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "util/process-tree.h"

static bool alive(pid_t pid) {
        return kill(pid, 0) == 0;
}

/* A child that starts a grandchild in a session of its own (out of the child's process
 * group, as a daemonising hook does), reports its pid, then either waits or exits. */
static pid_t spawn_escaping_family(bool child_exits, pid_t *ret_grandchild) {
        int p[2];
        pid_t child;

        /* As the hook runner is: orphaned descendants come back to us, not to init. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || pipe(p) < 0)
                abort();
        child = fork();
        if (child < 0)
                abort();
        if (child == 0) {
                (void) setpgid(0, 0); /* a group of its own, as a hook has */
                pid_t g = fork();
                if (g == 0) {
                        (void) setsid();
                        for (;;)
                                pause();
                }
                if (write(p[1], &g, sizeof(g)) != sizeof(g))
                        _exit(1);
                if (child_exits)
                        _exit(0);
                for (;;)
                        pause();
        }
        close(p[1]);
        if (read(p[0], ret_grandchild, sizeof(*ret_grandchild)) != sizeof(*ret_grandchild))
                abort();
        close(p[0]);
        return child;
}

static size_t index_of(const pid_t *l, int n, pid_t pid) {
        for (int i = 0; i < n; i++)
                if (l[i] == pid)
                        return (size_t) i;
        return SIZE_MAX;
}

static void test_descendants_parents_first_and_skip(void) {
        pid_t g, c = spawn_escaping_family(false, &g), *l = NULL;
        int n = process_tree_descendants(getpid(), NULL, 0, &l);

        ASSERT_TRUE(n >= 2);
        ASSERT_TRUE(index_of(l, n, c) != SIZE_MAX);
        ASSERT_TRUE(index_of(l, n, g) != SIZE_MAX);
        ASSERT_TRUE(index_of(l, n, c) < index_of(l, n, g));
        free(l);

        /* The subtree of a skipped pid is left out. */
        n = process_tree_descendants(getpid(), &c, 1, &l);
        ASSERT_TRUE(n >= 0);
        ASSERT_TRUE(index_of(l, n, c) == SIZE_MAX);
        ASSERT_TRUE(index_of(l, n, g) == SIZE_MAX);
        free(l);

        ASSERT_TRUE(process_tree_kill(getpid(), NULL, 0, NULL) >= 2);
        ASSERT_TRUE(!alive(c));
        ASSERT_TRUE(!alive(g));
}

/* kill(-pgid) misses the grandchild: it has a session of its own. The tree walk does not,
 * and reaps both (no zombie left). */
static void test_kill_reaches_a_setsid_grandchild(void) {
        pid_t g, c = spawn_escaping_family(false, &g);

        (void) kill(-c, SIGKILL); /* what a process group kill reaches: not g */
        ASSERT_TRUE(alive(g));
        ASSERT_TRUE(process_tree_kill(getpid(), NULL, 0, NULL) >= 1);
        ASSERT_TRUE(!alive(c));
        ASSERT_TRUE(!alive(g));
        ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

/* The child exits and leaves the grandchild running: as a subreaper we inherit it, find it
 * and reap it. */
static void test_orphans_come_back_to_a_subreaper(void) {
        pid_t g, c = spawn_escaping_family(true, &g);

        ASSERT_INT_EQ(waitpid(c, NULL, 0), c);
        ASSERT_TRUE(alive(g));
        ASSERT_TRUE(process_tree_kill(getpid(), NULL, 0, NULL) >= 1);
        ASSERT_TRUE(!alive(g));
        ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void test_signal_reaches_every_descendant(void) {
        pid_t g, c = spawn_escaping_family(false, &g);

        ASSERT_TRUE(process_tree_signal(getpid(), NULL, 0, SIGTERM) >= 2);
        ASSERT_INT_EQ(waitpid(c, NULL, 0), c);
        /* g was ours once c died; SIGTERM ended it too */
        ASSERT_INT_EQ(waitpid(g, NULL, 0), g);
}

/* Killed now, reaped later: the caller gets the pids, the zombies stay until it reaps. */
static void test_kill_now_reap_later(void) {
        pid_t g, c = spawn_escaping_family(false, &g), *killed = NULL;
        int n = process_tree_kill(getpid(), NULL, 0, &killed);
        siginfo_t si = {};

        ASSERT_TRUE(n >= 2);
        ASSERT_INT_EQ(waitid(P_PID, (id_t) c, &si, WEXITED | WNOWAIT), 0);
        ASSERT_INT_EQ(si.si_status, SIGKILL);
        process_tree_reap(killed, (size_t) n);
        free(killed);
        ASSERT_TRUE(!alive(c));
        ASSERT_TRUE(!alive(g));
        ASSERT_TRUE(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void test_no_descendants(void) {
        pid_t *l = (pid_t *) 1;

        ASSERT_INT_EQ(process_tree_descendants(getpid(), NULL, 0, &l), 0);
        ASSERT_NULL(l);
        ASSERT_INT_EQ(process_tree_kill(getpid(), NULL, 0, NULL), 0);
}

TEST_MAIN(TEST_CASE(test_no_descendants),
          TEST_CASE(test_descendants_parents_first_and_skip),
          TEST_CASE(test_kill_reaches_a_setsid_grandchild),
          TEST_CASE(test_orphans_come_back_to_a_subreaper),
          TEST_CASE(test_signal_reaches_every_descendant),
          TEST_CASE(test_kill_now_reap_later))
