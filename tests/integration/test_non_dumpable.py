#!/usr/bin/env python3
"""The daemon is non-dumpable from its start: a process of its own user, such as a hook, can
read neither its environment (where the environment credential source keeps the secret) nor
its memory through /proc, while the hook's own /proc files stay readable to it. Daemon and
hook run as an unprivileged user, since root reads any process's /proc files anyway."""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

NOBODY = 65534

# Run as the daemon's user with $PPID the daemon: try what a hostile hook would, and the
# same on itself as the control that shows the reads can succeed.
PROBE = r"""
out=$1
try() { if head -c 64 "$1" > /dev/null 2>&1; then echo readable; else echo denied; fi; }
{
        echo "daemon-environ $(try /proc/$PPID/environ)"
        echo "daemon-mem $(dd if=/proc/$PPID/mem bs=1 count=1 skip=4194304 2>&1 | grep -q 'Permission denied' && echo denied || echo readable)"
        echo "own-environ $(try /proc/self/environ)"
        echo "daemon-environ-owner $(stat -c %u /proc/$PPID/environ)"
} > "$out/probe.tmp"
mv "$out/probe.tmp" "$out/probe"
"""


def wait_for_file(path, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, path))
        time.sleep(0.02)


class NonDumpable(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        os.chmod(self.tmp.name, 0o755)
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)
        self.script = os.path.join(self.tmp.name, "probe.sh")
        with open(self.script, "w") as f:
            f.write(PROBE)
        os.chmod(self.script, 0o644)

    def start_as_nobody(self, sim, extra):
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        os.chmod(notify.path, 0o777)
        saved = os.environ.get("TASKWATCHD_WRAPPER")
        os.environ["TASKWATCHD_WRAPPER"] = "setpriv --reuid=%d --regid=%d --clear-groups" % (
            NOBODY, NOBODY)
        try:
            d = harness.Daemon(harness.daemon_binary(),
                               harness.daemon_config(sim, ["T-1"], extra=extra), self.tmp.name,
                               env=harness.test_credentials_env(), notify=notify)
        finally:
            if saved is None:
                del os.environ["TASKWATCHD_WRAPPER"]
            else:
                os.environ["TASKWATCHD_WRAPPER"] = saved
        self.addCleanup(d.close)
        notify.wait_for("READY=1", timeout=15)
        return d

    def test_a_hook_of_the_same_user_cannot_read_the_daemons_environ_or_memory(self):
        sim = harness.Simulator({"tasks": {"T-1": scaleout_task(
            [{"state": "running", "hold": True}, {"state": "success"}])}}, self.tmp.name)
        self.addCleanup(sim.stop)
        d = self.start_as_nobody(sim, "[Hooks]\nOnTaskSucceeded=/bin/sh %s %s\n"
                                 % (self.script, self.out))
        with open("/proc/%d/status" % d.pid) as f:
            uid = [line.split()[1] for line in f if line.startswith("Uid:")][0]
        self.assertEqual(uid, str(NOBODY), "the daemon does not run as nobody")
        # The secret is in its environment: this is what must stay out of reach.
        with open("/proc/%d/environ" % d.pid, "rb") as f:
            self.assertIn(harness.TEST_KEY_SECRET.encode(), f.read())

        self.assertTrue(sim.wait_polls("T-1", 1, timeout=15))
        sim.advance("T-1")
        probe = os.path.join(self.out, "probe")
        wait_for_file(probe, 20)
        with open(probe) as f:
            result = dict(line.split() for line in f)
        self.assertEqual(result["own-environ"], "readable", result)
        self.assertEqual(result["daemon-environ"], "denied", result)
        self.assertEqual(result["daemon-mem"], "denied", result)
        self.assertEqual(result["daemon-environ-owner"], "0", result)
        self.assertEqual(d.stop(15), 0, d.stderr_text())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
