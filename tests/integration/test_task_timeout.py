#!/usr/bin/env python3
"""[Poll] TaskTimeout=: a task still not terminal that long after watching began is reported
once (task-timed-out), is still polled, and its later end is reported; the report and the
start of the clock survive a restart (--state-dir)."""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402


def held_task():
    return scaleout_task([{"state": "running", "current_stage": "Wait", "hold": True},
                          {"state": "success"}])


def when(entry):
    """The entry's realtime timestamp in seconds."""
    return int(entry["__REALTIME_TIMESTAMP"]) / 1e6


class TaskTimeout(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.state = os.path.join(self.tmp.name, "state")

    def daemon(self, sim, tasks, timeout):
        config = harness.daemon_config(sim, tasks).replace(
            "[Poll]\n", "[Poll]\nTaskTimeout=%s\n" % timeout)
        d = harness.Daemon(harness.daemon_binary(), config, self.tmp.name,
                           env=harness.test_credentials_env(), args=("--state-dir", self.state))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return d

    def event(self, d, name, task, timeout=15):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid),
                                     timeout=timeout)

    def count(self, d, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid)))

    def polls(self, sim, task):
        return sim.stats()["per_task"].get(task, 0)

    def test_reported_once_still_polled_then_success(self):
        sim = harness.Simulator({"tasks": {"T-O-slow": held_task(), "T-O-quick": scaleout_task(
            [{"state": "running", "polls": 2}, {"state": "success"}])}}, self.tmp.name)
        self.addCleanup(sim.stop)
        d = self.daemon(sim, ["T-O-slow", "T-O-quick"], "2s")
        base = self.event(d, "task-baseline", "T-O-slow")
        e = self.event(d, "task-timed-out", "T-O-slow")
        self.assertGreaterEqual(when(e) - when(base), 1.9)  # the baseline came just after the start
        self.assertLess(when(e) - when(base), 4)
        self.assertEqual(e["PRIORITY"], "4")
        self.assertEqual(e["TASK_STATE"], "running")
        self.assertEqual(e["TASK_STAGE"], "Wait")
        self.assertIn("TaskTimeout=", e["MESSAGE"])
        self.assertIn("still watching", e["MESSAGE"])
        # still polled, and not said again
        self.assertTrue(sim.wait_polls("T-O-slow", self.polls(sim, "T-O-slow") + 5, timeout=10))
        self.assertEqual(self.count(d, "task-timed-out", "T-O-slow"), 1)
        sim.advance("T-O-slow")
        done = self.event(d, "task-succeeded", "T-O-slow")
        self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
        # a task that ended in time is never reported
        self.event(d, "task-succeeded", "T-O-quick")
        self.assertEqual(self.count(d, "task-timed-out", "T-O-quick"), 0)
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())

    def test_survives_a_restart(self):
        sim = harness.Simulator({"tasks": {"T-O-told": held_task(), "T-O-clock": held_task()}},
                                self.tmp.name)
        self.addCleanup(sim.stop)

        # T-O-told times out in the first run.
        d1 = self.daemon(sim, ["T-O-told"], "1s")
        self.event(d1, "task-timed-out", "T-O-told")
        self.assertEqual(d1.stop(timeout=15), 0, d1.stderr_text())
        d2 = self.daemon(sim, ["T-O-told"], "1s")
        self.assertTrue(sim.wait_polls("T-O-told", self.polls(sim, "T-O-told") + 6, timeout=10))
        self.assertEqual(self.count(d2, "task-timed-out", "T-O-told"), 0)
        self.assertEqual(self.count(d2, "task-baseline", "T-O-told"), 0)
        self.assertEqual(d2.stop(timeout=15), 0, d2.stderr_text())

        # T-O-clock: the clock starts when watching began, not at the restart. Seen in the
        # first run, then the daemon is down for 1.5 s (the sleep is that downtime).
        d3 = self.daemon(sim, ["T-O-clock"], "3s")
        base = self.event(d3, "task-baseline", "T-O-clock")
        self.assertEqual(d3.stop(timeout=15), 0, d3.stderr_text())
        time.sleep(1.5)
        restart = time.time()
        d4 = self.daemon(sim, ["T-O-clock"], "3s")
        e = self.event(d4, "task-timed-out", "T-O-clock", timeout=10)
        self.assertLess(when(e) - when(base), 4.0, "measured from the restart, not the start")
        self.assertLess(when(e) - restart, 2.5)
        self.assertGreaterEqual(when(e) - when(base), 2.9)
        sim.advance("T-O-clock")
        self.event(d4, "task-succeeded", "T-O-clock")
        self.assertEqual(self.count(d4, "task-timed-out", "T-O-clock"), 1)
        self.assertEqual(d4.stop(timeout=15), 0, d4.stderr_text())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
