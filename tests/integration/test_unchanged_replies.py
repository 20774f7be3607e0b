#!/usr/bin/env python3
"""Replies byte-identical to the last one applied are not decoded again (watched-task.c): they
must report nothing, while every change, a flip back to an earlier reply included, and a
recovery after a failed poll are still reported."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

# "updated" pinned, so that a step repeating an earlier one serves the same bytes again.
PIN = {"reply_extra": {"updated": "2026-01-01T00:00:00+08:00"}}


class UnchangedReplies(harness.DaemonTestCase):
    def start(self, tasks):
        return super().start(tasks, "50ms", "50ms")

    def events(self, d, task):
        return [e["TASKWATCH_EVENT"] for e in self.journal.entries(TASK_ID=task, _PID=str(d.pid))
                if "TASKWATCH_EVENT" in e]

    def wait_more_polls(self, sim, task, n):
        polls = sim.stats()["per_task"][task]
        self.assertTrue(sim.wait_polls(task, polls + n, timeout=15))

    def test_same_reply_reports_nothing_and_changes_still_do(self):
        t = "T-same"
        sim, d = self.start({t: scaleout_task([
            dict(PIN, state="running", task_result=instances(i_1="initial"), hold=True),
            dict(PIN, task_result=instances(i_1="running"), hold=True),
            dict(PIN, task_result=instances(i_1="initial"), hold=True),
            dict(PIN, state="success", task_result=instances(i_1="success")),
        ])})
        self.journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID=t, _PID=str(d.pid),
                              timeout=15)
        # Many polls of the same bytes: the baseline and nothing else.
        self.wait_more_polls(sim, t, 10)
        self.assertEqual(self.events(d, t), ["task-baseline"])

        # A failed poll in between: recovery is reported, the same reply then is no news.
        sim.inject(t, {"fault": "error", "status": 503, "code": "ServiceUnavailable"}, 1)
        self.journal.wait_for(TASKWATCH_EVENT="api-recovered", TASK_ID=t, _PID=str(d.pid),
                              timeout=15)
        self.wait_more_polls(sim, t, 5)
        evs = self.events(d, t)
        self.assertNotIn("instance-status-changed", evs)
        n = len(evs)

        # A change after many identical replies is seen, once.
        sim.advance(t)
        self.journal.wait_for(TASKWATCH_EVENT="instance-status-changed", TASK_ID=t,
                              _PID=str(d.pid), INSTANCE_STATUS="running", timeout=15)
        self.wait_more_polls(sim, t, 5)
        evs = self.events(d, t)
        self.assertEqual(evs[n:], ["instance-status-changed"])

        # Back to bytes the daemon saw before (not the last ones): a change again.
        sim.advance(t)
        self.journal.wait_for(TASKWATCH_EVENT="instance-status-changed", TASK_ID=t,
                              _PID=str(d.pid), INSTANCE_STATUS="initial", timeout=15)
        self.wait_more_polls(sim, t, 5)
        self.assertEqual(self.events(d, t)[n:], ["instance-status-changed"] * 2)

        sim.advance(t)
        self.journal.wait_for(TASKWATCH_EVENT="task-succeeded", TASK_ID=t, _PID=str(d.pid),
                              timeout=15)

    def test_same_meaning_in_other_bytes_reports_nothing(self):
        # Different bytes ("updated" moves), same content: decoded, and still no news.
        t = "T-bytes"
        sim, d = self.start({t: scaleout_task([
            dict(state="running", task_result=instances(i_1="initial"), hold=True,
                 reply_extra={"updated": "2026-01-01T00:00:00+08:00"}),
            dict(task_result=instances(i_1="initial"), hold=True,
                 reply_extra={"updated": "2026-01-01T00:00:01+08:00"}),
            dict(state="failed", error={"code": "X", "message": "y"}),
        ])})
        self.journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID=t, _PID=str(d.pid),
                              timeout=15)
        self.wait_more_polls(sim, t, 3)
        sim.advance(t)
        self.assertTrue(sim.wait_step(t, 1))
        self.wait_more_polls(sim, t, 5)
        self.assertEqual(self.events(d, t), ["task-baseline"])
        sim.advance(t)
        self.journal.wait_for(TASKWATCH_EVENT="task-failed", TASK_ID=t, _PID=str(d.pid),
                              timeout=15)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
