#!/usr/bin/env python3
"""Throttling: the server's x-acs-retry-after is honoured (measured on the simulator's request
log), a 429 or Throttling code without it backs off, a 503 with it counts as throttling; each
is one api-throttled event, then api-recovered, and the task's transitions go on."""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

MIN_INTERVAL = 0.1
# Above every server wait in CASES: a retry-after is honoured up to MaxInterval= (and capped
# there, which test-backoff checks).
MAX_INTERVAL = 2.0

ERROR_EVENTS = ("api-auth-error", "api-throttled", "api-server-error", "api-client-error",
                "api-network-error", "api-bad-reply", "task-not-found")

# task -> (fault, count, HTTP_STATUS, ERROR_CODE, server's wait in s or None)
CASES = {
    "T-retry-after": ({"fault": "throttle", "retry_after_ms": 1500}, 2, "400", "Throttling.User",
                      1.5),
    "T-429": ({"fault": "throttle", "status": 429, "code": "TooManyRequests"}, 1, "429",
              "TooManyRequests", None),
    "T-code": ({"fault": "throttle"}, 1, "400", "Throttling.User", None),
    "T-503-retry-after": ({"fault": "throttle", "status": 503, "code": "ServiceUnavailable",
                           "retry_after_ms": 1000}, 1, "503", "ServiceUnavailable", 1.0),
}

UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "min": 60.0, "s": 1.0, "ms": 1e-3,
         "us": 1e-6}


def parse_span(text):
    """"1.6s", "1s 600ms" -> 1.6 (format_timespan_human(), or format_timespan())."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(w|d|h|min|ms|us|s)\b", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError("not a time span: %r" % text)
    return sum(float(n) * UNITS[u] for n, u in parts)


class Throttling(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def event(self, daemon, name, task, timeout=15, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(daemon.pid),
                                     timeout=timeout, **fields)

    def count(self, daemon, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task,
                                        _PID=str(daemon.pid)))

    def stop_cleanly(self, daemon):
        """SIGTERM: exit status 0, and nothing from a sanitizer (leaks are checked at exit)."""
        self.assertTrue(daemon.running(), daemon.stderr_text())
        self.assertEqual(daemon.stop(timeout=15), 0, daemon.stderr_text())
        self.assertNotRegex(daemon.stderr_text(), r"Sanitizer|runtime error")

    def test_throttling_is_waited_out_and_reported_once(self):
        tasks = {t: scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])
                 for t in CASES}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        d = harness.Daemon(harness.daemon_binary(),
                           harness.daemon_config(sim, list(tasks), "%dms" % (MIN_INTERVAL * 1000),
                                                 "%dms" % (MAX_INTERVAL * 1000)),
                           self.tmp.name, env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")

        for t in tasks:
            self.event(d, "task-baseline", t)
        for t, (fault, count, *_) in CASES.items():
            sim.inject(t, fault, count)

        for t, (fault, count, status, code, server_wait) in CASES.items():
            with self.subTest(task=t):
                e = self.journal.wait_for(*("TASKWATCH_EVENT=" + k for k in ERROR_EVENTS),
                                          TASK_ID=t, _PID=str(d.pid), timeout=15)
                self.assertEqual(e["TASKWATCH_EVENT"], "api-throttled", e["MESSAGE"])
                self.assertEqual(e["PRIORITY"], "4")
                self.assertEqual(e["HTTP_STATUS"], status)
                self.assertEqual(e["ERROR_CODE"], code)
                self.assertEqual(e["TASK_STATE"], "running")
                retry_in = parse_span(e["RETRY_IN"])
                if server_wait is not None:
                    # the server's wait plus at most a quarter of jitter, rounded to 100 ms
                    self.assertGreaterEqual(retry_in, server_wait, e["RETRY_IN"])
                    self.assertLessEqual(retry_in, server_wait * 1.25 + 0.1, e["RETRY_IN"])
                    self.assertIn("server asks to wait", e["MESSAGE"])
                else:
                    self.assertGreaterEqual(retry_in, MIN_INTERVAL / 2, e["RETRY_IN"])
                    self.assertLessEqual(retry_in, MAX_INTERVAL, e["RETRY_IN"])
                self.event(d, "api-recovered", t)

                # When the requests were made, on the simulator's clock: every request that
                # followed a throttled one kept the wait asked for (or backed off).
                log = [x for x in sim.log() if x["task"] == t]
                throttled = [i for i, x in enumerate(log) if x["fault"] == "throttle"]
                self.assertEqual(len(throttled), count)
                for i in throttled:
                    self.assertLess(i + 1, len(log), "no request after the throttled one")
                    gap = log[i + 1]["t"] - log[i]["t"]
                    if server_wait is not None:
                        self.assertGreaterEqual(gap, server_wait)
                        self.assertLess(gap, server_wait * 1.25 + 1.0)
                    else:
                        self.assertGreaterEqual(gap, MIN_INTERVAL / 2)
                        self.assertLess(gap, MAX_INTERVAL + 1.0)

        for t in CASES:
            sim.advance(t)
        for t in CASES:
            self.event(d, "task-succeeded", t)
        for t in CASES:
            with self.subTest(task=t):
                self.assertEqual(self.count(d, "task-baseline", t), 1)
                self.assertEqual(self.count(d, "task-succeeded", t), 1)
                self.assertEqual(self.count(d, "api-recovered", t), 1)
                self.assertEqual({k: self.count(d, k, t) for k in ERROR_EVENTS},
                                 {k: int(k == "api-throttled") for k in ERROR_EVENTS})
        self.stop_cleanly(d)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
