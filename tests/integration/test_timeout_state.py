#!/usr/bin/env python3
"""ACK's task state "timeout" is final and not a success, as Alibaba's own ACK tooling treats
it: task-failed with TASK_STATE=timeout, the failure hooks run, and --exit-when-done exits 1
instead of polling forever."""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

TIMES_OUT = [{"state": "running", "task_result": instances(i_1="initial"), "polls": 2},
             {"state": "timeout", "task_result": instances(i_1="initial"),
              "error": {"code": "TaskTimeout", "message": "scale-out did not finish in time"}}]

# Writes the hook's environment to OUT/LABEL.env.
RECORD = 'env > "$1/$2.env"\n'


def read_env(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def wait_for_file(path, timeout):
    deadline = time.monotonic() + timeout
    while not (os.path.exists(path) and os.path.getsize(path) > 0):
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, path))
        time.sleep(0.02)


class TimeoutState(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)
        self.script = os.path.join(self.tmp.name, "record.sh")
        with open(self.script, "w") as f:
            f.write(RECORD)

    def test_timeout_is_a_failure_with_its_hook_and_exit_1(self):
        sim = harness.Simulator({"tasks": {"T-1": scaleout_task(TIMES_OUT)}}, self.tmp.name)
        self.addCleanup(sim.stop)
        extra = "[Hooks]\nOnTaskFailed=/bin/sh %s %s task-failed\n" % (self.script, self.out)
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, ["T-1"], extra=extra),
                           self.tmp.name, env=harness.test_credentials_env(),
                           args=("--exit-when-done",))
        self.addCleanup(d.close)

        e = self.journal.wait_for(TASKWATCH_EVENT="task-failed", TASK_ID="T-1", _PID=str(d.pid),
                                  timeout=20)
        self.assertEqual(e["TASK_STATE"], "timeout")
        self.assertEqual(e["TASK_PREVIOUS_STATE"], "running")
        self.assertEqual(e["ERROR_CODE"], "TaskTimeout")
        self.assertIn("task failed", e["MESSAGE"])
        self.assertEqual(d.wait(20), 1, d.stderr_text())

        env_path = os.path.join(self.out, "task-failed.env")
        wait_for_file(env_path, 10)
        env = read_env(env_path)
        self.assertEqual(env["TASKWATCH_EVENT"], "task-failed")
        self.assertEqual(env["TASK_STATE"], "timeout")
        self.assertEqual(env["ERROR_CODE"], "TaskTimeout")
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-unknown-state", _PID=str(d.pid)),
                         [], "timeout was reported as an unknown state")


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
