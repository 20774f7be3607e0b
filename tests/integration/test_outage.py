#!/usr/bin/env python3
"""An API-wide outage (#11 item 10): 20 tasks, every poll answered 503 for a while, is one
account-level api-outage event with TASKS_AFFECTED= (not one api-server-error per task),
STATUS= says "API unavailable for N tasks" meanwhile, and its end is one
api-outage-recovered, without per-task api-recovered lines; the tasks are watched on."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

N = 20
MIN_TASKS = 10  # API_OUTAGE_MIN_TASKS in src/watch/api-outage.h
FAILURES = 4 * N  # polls answered 503, by any task, before the simulator answers again


def held_task():
    return scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])


class Outage(harness.DaemonTestCase):
    def count(self, d, name):
        return len(self.journal.entries(TASKWATCH_EVENT=name, _PID=str(d.pid)))

    def test_an_outage_is_one_event_and_one_recovery(self):
        ids = ["T-O-%02d" % i for i in range(N)]
        sim, d = self.start({t: held_task() for t in ids})
        for t in ids:
            self.event(d, "task-baseline", t)
        # From one moment on every poll fails, as in an outage, until FAILURES were served.
        sim.inject("*", {"fault": "error", "status": 503, "code": "ServiceUnavailable",
                         "message": "try later"}, count=FAILURES)

        outage = self.journal.wait_for(TASKWATCH_EVENT="api-outage", _PID=str(d.pid), timeout=20)
        self.assertNotIn("TASK_ID", outage)
        self.assertGreaterEqual(int(outage["TASKS_AFFECTED"]), MIN_TASKS)
        self.assertEqual(outage["FAILURE_KIND"], "server error")
        self.assertEqual(outage["HTTP_STATUS"], "503")
        self.assertEqual(outage["ERROR_CODE"], "ServiceUnavailable")
        self.assertEqual(outage["PRIORITY"], "3")
        self.assertIn("HTTP 503 ServiceUnavailable: try later", outage["MESSAGE"])
        status = d.notify.wait_for(lambda m: "API unavailable for" in m, timeout=15)
        self.assertIn("server error (HTTP 503 ServiceUnavailable: try later)", status)

        over = self.journal.wait_for(TASKWATCH_EVENT="api-outage-recovered", _PID=str(d.pid),
                                     timeout=60)
        self.assertEqual(over["FAILURE_KIND"], "server error")
        self.assertGreaterEqual(int(over["TASKS_AFFECTED"]), int(outage["TASKS_AFFECTED"]))
        self.assertIn("ended after", over["MESSAGE"])

        # Every task is watched to its end as usual.
        for t in ids:
            sim.advance(t)
        for t in ids:
            self.event(d, "task-succeeded", t)
        d.notify.wait_for(lambda m: "STATUS=%d tasks: 0 running, %d succeeded" % (N, N) in m,
                          timeout=15)
        self.assertNotIn("API unavailable", d.notify.statuses()[-1])

        errors = self.count(d, "api-server-error")
        recovered = self.count(d, "api-recovered")
        print("\noutage: %d tasks failing: %d per-task error lines, %d per-task recoveries, "
              "1 api-outage (%s tasks), 1 api-outage-recovered"
              % (N, errors, recovered, outage["TASKS_AFFECTED"]), file=sys.stderr)
        self.assertEqual(self.count(d, "api-outage"), 1)
        self.assertEqual(self.count(d, "api-outage-recovered"), 1)
        # Only the tasks that failed before the outage was clear said it themselves.
        self.assertLessEqual(errors, MIN_TASKS - 1)
        # Their lines were superseded by the outage: no per-task recovery follows them.
        self.assertEqual(recovered, 0)
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
