#!/usr/bin/env python3
"""--exit-when-done: the first terminal state of every task ends the wait at once, with a
distinct exit code per outcome (0 success, 1 failure, 2 timeout, 3 not found, 4 config or
credentials, 6 interrupted)."""
import os
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

SUCCEED = [{"state": "running", "task_result": instances(i_1="initial"), "polls": 2},
           {"state": "success", "task_result": instances(i_1="success")}]
FAIL = [{"state": "running", "polls": 2},
        {"state": "failed", "error": {"code": "E", "message": "m"}}]


class ExitCodes(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def run_daemon(self, tasks, watch=None, args=("--exit-when-done",), env=None, config=None):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        if env is None:
            env = harness.test_credentials_env()
        d = harness.Daemon(harness.daemon_binary(),
                           config or harness.daemon_config(sim, watch or list(tasks)),
                           self.tmp.name, env=env, args=args)
        self.addCleanup(d.close)
        return sim, d

    def test_all_succeeded_exits_0(self):
        _, d = self.run_daemon({"T-1": scaleout_task(SUCCEED), "T-2": scaleout_task(SUCCEED)})
        self.assertEqual(d.wait(20), 0, d.stderr_text())

    def test_failed_task_exits_1(self):
        _, d = self.run_daemon({"T-1": scaleout_task(SUCCEED), "T-2": scaleout_task(FAIL)})
        self.assertEqual(d.wait(20), 1, d.stderr_text())

    def test_canceled_task_exits_1(self):
        _, d = self.run_daemon({"T-1": scaleout_task([{"state": "running", "polls": 1},
                                                      {"state": "canceled"}])})
        self.assertEqual(d.wait(20), 1)

    def test_failed_instance_of_a_successful_task_exits_1(self):
        _, d = self.run_daemon({"T-1": scaleout_task([
            {"state": "running", "polls": 1},
            {"state": "success", "task_result": instances(i_1="success", i_2="failed")}])})
        self.assertEqual(d.wait(20), 1)

    def test_terminal_state_ends_the_wait_at_once(self):
        # Terminal on the first poll: no further polling, no waiting for MaxInterval.
        sim, d = self.run_daemon({"T-1": scaleout_task([{"state": "failed"}])})
        t0 = time.monotonic()
        self.assertEqual(d.wait(20), 1)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(sim.stats()["per_task"]["T-1"], 1)

    def test_timeout_exits_2(self):
        _, d = self.run_daemon({"T-1": scaleout_task([{"state": "running"}])},
                               args=("--exit-when-done", "--timeout=1s"))
        self.assertEqual(d.wait(20), 2)
        self.assertIn("timed out after 1s", d.stderr_text())

    def test_task_not_found_exits_3(self):
        _, d = self.run_daemon({"T-1": scaleout_task(SUCCEED)}, watch=["T-1", "T-missing"])
        self.assertEqual(d.wait(30), 3, d.stderr_text())
        self.assertIn("T-missing: task not found", d.stderr_text())

    def test_failure_outranks_not_found(self):
        _, d = self.run_daemon({"T-1": scaleout_task(FAIL)}, watch=["T-1", "T-missing"])
        self.assertEqual(d.wait(30), 1)

    def test_bad_config_exits_4(self):
        _, d = self.run_daemon({}, config="[Poll]\nMinInterval=soon\n")
        self.assertEqual(d.wait(10), 4)
        self.assertRegex(d.stderr_text(), r"\.conf:2: MinInterval=soon")

    def test_missing_credentials_exit_4(self):
        _, d = self.run_daemon({"T-1": scaleout_task(SUCCEED)}, env={})
        self.assertEqual(d.wait(10), 4)
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_ID", d.stderr_text())

    def test_no_tasks_to_wait_for_exits_4(self):
        _, d = self.run_daemon({}, watch=[])
        self.assertEqual(d.wait(10), 4)

    def test_interrupted_wait_exits_6(self):
        sim, d = self.run_daemon({"T-1": scaleout_task([{"state": "running"}])})
        d.notify.wait_for("READY=1")
        self.assertTrue(sim.wait_polls("T-1", 1, timeout=10))
        d.send_signal(signal.SIGTERM)
        self.assertEqual(d.wait(10), 6)

    def test_codes_are_documented_in_help(self):
        import subprocess
        out = subprocess.run([harness.daemon_binary(), "--help"], capture_output=True, text=True,
                             timeout=10)
        self.assertEqual(out.returncode, 0)
        for text in ("0 success", "1 task failed", "2 timeout", "3 task not found",
                     "4 configuration or credential error", "5 runtime failure", "6 interrupted"):
            self.assertIn(text, out.stdout)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
