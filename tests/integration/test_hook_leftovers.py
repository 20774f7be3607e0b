#!/usr/bin/env python3
"""A hook's processes end with it, also those that left its process group with setsid(): a
child in a session of its own is killed when the hook exits, when HookTimeout= stops the
hook, and when the daemon stops while the hook runs."""
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

# $1: the output directory (holding the fifo), $2: "exit" or "hang". The escaped child
# hands its pid through the fifo (the hook blocks until it has), so the test reads it from
# OUT/escaped once it is running in its own session.
ESCAPE = r"""
out=$1 mode=$2
setsid /bin/sh -c 'echo $$ > "$0/fifo"; exec sleep 300' "$out" &
read pid < "$out/fifo"
echo $$ > "$out/hook.tmp" && mv "$out/hook.tmp" "$out/hook"
cat "/proc/$pid/stat" > "$out/escaped.stat"
echo "$pid" > "$out/escaped.tmp" && mv "$out/escaped.tmp" "$out/escaped"
if [ "$mode" = hang ]; then
        exec sleep 300
fi
"""


def read_int(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text else None
    except FileNotFoundError:
        return None


def gone(pid):
    """Neither running nor a zombie: /proc has no entry for it."""
    return not os.path.exists("/proc/%d" % pid)


def session_of(stat_path):
    """The session id in a copy of /proc/<pid>/stat (after the command's ")": state, ppid,
    pgrp, session)."""
    with open(stat_path) as f:
        return int(f.read().rsplit(")", 1)[1].split()[3])


class HookLeftovers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)
        os.mkfifo(os.path.join(self.out, "fifo"))
        self.script = os.path.join(self.tmp.name, "escape.sh")
        with open(self.script, "w") as f:
            f.write(ESCAPE)

    def start(self, mode, hooks_extra=""):
        sim = harness.Simulator({"tasks": {"T-1": scaleout_task(
            [{"state": "running", "hold": True}, {"state": "paused"}])}}, self.tmp.name)
        self.addCleanup(sim.stop)
        extra = "[Hooks]\nOnTransition=/bin/sh %s %s %s\n%s" % (self.script, self.out, mode,
                                                               hooks_extra)
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, ["T-1"], extra=extra),
                           self.tmp.name, env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID="T-1", _PID=str(d.pid),
                              timeout=15)
        sim.advance("T-1")
        escaped = harness.wait_until(lambda: read_int(os.path.join(self.out, "escaped")), 15,
                             "the hook's escaped child")
        self.addCleanup(self.kill_quietly, escaped)
        hook = read_int(os.path.join(self.out, "hook"))
        # It really left: a session of its own (as the hook saw it while it ran), so a kill
        # of the hook's group misses it.
        session = session_of(os.path.join(self.out, "escaped.stat"))
        self.assertEqual(session, escaped)
        self.assertNotEqual(session, hook)
        return d, hook, escaped

    @staticmethod
    def kill_quietly(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def hook_event(self, d, name, timeout=15):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID="T-1", _PID=str(d.pid),
                                     timeout=timeout)

    def test_a_setsid_child_ends_when_its_hook_exits(self):
        d, hook, escaped = self.start("exit")
        self.hook_event(d, "hook-finished")
        harness.wait_until(lambda: gone(escaped), 5, "the escaped child %d to be killed" % escaped)
        self.assertTrue(d.running())

    def test_a_setsid_child_ends_when_hook_timeout_stops_the_hook(self):
        d, hook, escaped = self.start("hang", "HookTimeout=1s\n")
        e = self.hook_event(d, "hook-timed-out")
        self.assertIn("timed out after 1s", e["MESSAGE"])
        harness.wait_until(lambda: gone(hook), 5, "the hook %d to be gone" % hook)
        harness.wait_until(lambda: gone(escaped), 5, "the escaped child %d to be killed" % escaped)
        self.assertTrue(d.running())

    def test_a_setsid_child_ends_when_the_daemon_stops(self):
        d, hook, escaped = self.start("hang")
        self.assertFalse(gone(hook))
        self.assertEqual(d.stop(15), 0, d.stderr_text())
        # Killed and reaped before the daemon exited: nothing of the hook is left.
        self.assertTrue(gone(hook), "the hook outlived the daemon")
        self.assertTrue(gone(escaped), "the hook's setsid child outlived the daemon")


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
