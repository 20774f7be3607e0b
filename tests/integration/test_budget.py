#!/usr/bin/env python3
"""The account-wide request budget ([API] MaxRequestsPerSecond=), measured on the simulator's
request log: the daemon learns an API's flow control from its throttling (500 tasks against
a simulator that refuses more than N requests a second converge below N with throttling
rare, and every task still completes); MaxRequestsPerSecond= caps the rate by itself; and a
storm of errors does not multiply requests (retries draw from a bounded retry budget)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402


def config(sim, tasks, rps, min_interval="100ms", max_interval="400ms"):
    return harness.daemon_config(sim, tasks, min_interval, max_interval).replace(
        "[API]\n", "[API]\nMaxRequestsPerSecond=%s\n" % rps)


def rates(log, start, end, width=1.0):
    """[(window start, requests, throttled)] of the log entries in [start, end)."""
    out = []
    t = start
    while t + width <= end + 1e-9:
        window = [e for e in log if t <= e["t"] < t + width]
        out.append((round(t, 1), len(window),
                    sum(1 for e in window if e.get("fault") == "throttle")))
        t += width
    return out


class Budget(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def start(self, tasks, text):
        d = harness.Daemon(harness.daemon_binary(), text, self.tmp.name,
                           env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1", timeout=20)
        return d

    def count(self, d, name):
        return len(self.journal.entries(TASKWATCH_EVENT=name, _PID=str(d.pid)))

    def wait_count(self, d, name, n, timeout):
        """Follow the journal until d has emitted n events of kind name."""
        seen = set()

        def enough(e):
            seen.add(e.get("TASK_ID"))
            return len(seen) >= n
        self.journal.wait_for(TASKWATCH_EVENT=name, _PID=str(d.pid), predicate=enough,
                              timeout=timeout)

    def test_500_tasks_learn_the_accounts_flow_control(self):
        limit = 40
        ids = ["T-B-%03d" % i for i in range(500)]
        # running for 12 s from its first poll, then success: every task is polled again
        # after its 12 s, through the throttling
        tasks = {t: scaleout_task([{"state": "running", "seconds": 12}, {"state": "success"}])
                 for t in ids}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        sim._call("POST", "/_sim/throttle", {"rps": limit})
        # MaxRequestsPerSecond=200: five times what the account allows, to be learnt
        d = self.start(ids, config(sim, ids, 200, "1s", "5s"))
        self.wait_count(d, "task-succeeded", 500, timeout=120)
        log = sim.log()
        t0 = log[0]["t"]
        # Demand (500 tasks polled every 1-5 s) exceeds the limit until the tasks end, from
        # about 12 s on: measure from 5 s (warm-up: the first cuts) to 20 s.
        windows = rates(log, t0 + 5, t0 + 20)
        total = sum(n for _, n, _ in windows)
        throttled = sum(th for _, _, th in windows)
        print("\nbudget: limit %d/s; per second (requests/throttled) from the start: %s"
              % (limit, " ".join("%d/%d" % (n, th) for _, n, th in rates(log, t0, log[-1]["t"]))),
              file=sys.stderr)
        print("budget: 5-20 s: %.1f requests/s, %.1f%% throttled, busiest second %d"
              % (total / len(windows), 100.0 * throttled / total,
                 max(n for _, n, _ in windows)), file=sys.stderr)
        self.assertLessEqual(total / len(windows), limit, windows)
        self.assertGreaterEqual(total / len(windows), limit * 0.4, "the budget is left unused")
        self.assertLessEqual(max(n for _, n, _ in windows), limit * 1.3, windows)
        self.assertLessEqual(throttled, total * 0.05, windows)

        self.assertEqual(self.count(d, "task-succeeded"), 500)
        self.assertEqual(self.count(d, "task-baseline"), 500)
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())

    def test_max_requests_per_second_caps_the_rate(self):
        ids = ["T-R-%02d" % i for i in range(50)]
        tasks = {t: scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])
                 for t in ids}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        # 50 tasks every 100-400 ms would be 125-500 requests a second
        d = self.start(ids, config(sim, ids, 5))
        self.assertTrue(sim.wait_polls(None, 1, timeout=10))
        t0 = sim.log()[0]["t"]
        self.assertTrue(sim.wait_polls(None, 70, timeout=30))
        log = sim.log()
        in_10s = sum(1 for e in log if e["t"] < t0 + 10)
        print("\nbudget: MaxRequestsPerSecond=5: %d requests in the first 10 s; per second: %s"
              % (in_10s, " ".join(str(n) for _, n, _ in rates(log, t0, t0 + 10))),
              file=sys.stderr)
        self.assertLessEqual(in_10s, 5 * 10 + 5 + 1)  # the rate, the burst, and the edge
        self.assertGreaterEqual(in_10s, 5 * 10 - 2)
        # the steady rate, burst spent: any 5 s after the first second
        steady = sum(1 for e in log if t0 + 2 <= e["t"] < t0 + 7)
        self.assertLessEqual(steady, 5 * 5 + 1)
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())

    def test_an_error_storm_does_not_multiply_requests(self):
        ids = ["T-S-%d" % i for i in range(5)]
        tasks = {t: scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])
                 for t in ids}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        # MaxRequestsPerSecond=20: not binding (5 tasks every ~0.4-0.5 s), and a retry budget
        # of max(5, 10% of a minute at 20/s) = 120 early retries, spent within ~15 s here
        budget = 120
        d = self.start(ids, config(sim, ids, 20, "100ms", "500ms"))
        self.assertTrue(sim.wait_polls(None, 1, timeout=10))
        t0 = sim.log()[0]["t"]
        # no errors: warm-up to the steady interval, then 6 s measured (wait_polls for more
        # than will come is a bounded wait on the simulator's clock)
        self.assertFalse(sim.wait_polls(None, 10**6, timeout=9))
        calm = sum(1 for e in sim.log() if t0 + 3 <= e["t"] < t0 + 9)
        # every request fails from here on, for 22 s
        sim.inject("*", {"fault": "error", "status": 503, "code": "ServiceUnavailable"},
                   count=10**6)
        t1 = sim.log()[-1]["t"]
        self.assertFalse(sim.wait_polls(None, 10**6, timeout=22))
        storm = [e for e in sim.log() if e["t"] > t1]
        self.assertTrue(storm and all(e["fault"] == "error" for e in storm[1:]))
        storm_all = sum(1 for e in storm if e["t"] < t1 + 22)
        storm_late = sum(1 for e in storm if t1 + 16 <= e["t"] < t1 + 22)
        per_s = [sum(1 for e in storm if t1 + i <= e["t"] < t1 + i + 1) for i in range(22)]
        print("\nbudget: 5 tasks: %d requests in 6 s without errors; with every request "
              "failing, %d in 22 s (per second: %s), %d in the last 6 s"
              % (calm, storm_all, " ".join(map(str, per_s)), storm_late), file=sys.stderr)
        # once the retry budget is spent, no more than without errors
        self.assertLessEqual(storm_late, calm * 1.1 + 2)
        # and overall, no more than that plus the budget
        self.assertLessEqual(storm_all, calm / 6 * 22 * 1.1 + budget)
        for t in ids:
            self.journal.wait_for(TASKWATCH_EVENT="api-server-error", TASK_ID=t,
                                  _PID=str(d.pid), timeout=5)
        self.assertEqual(self.count(d, "api-server-error"), 5)
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
