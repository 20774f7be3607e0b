#!/usr/bin/env python3
"""sd_notify through a real NOTIFY_SOCKET: READY=1 once polling started, STATUS= kept
current, WATCHDOG=1 when $WATCHDOG_USEC asks for it, STOPPING=1 then a clean exit."""
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402


class Notify(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def start(self, tasks, env=None, args=()):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        full_env = harness.test_credentials_env()
        full_env.update(env or {})
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, list(tasks)),
                           self.tmp.name, env=full_env, args=args)
        self.addCleanup(d.close)
        return sim, d

    def test_ready_then_status_follows_the_tasks(self):
        sim, d = self.start({
            "T-a": scaleout_task([{"state": "running", "task_result": instances(i_1="initial"), "hold": True},
                                  {"state": "success", "task_result": instances(i_1="success")}]),
            "T-b": scaleout_task([{"state": "running", "hold": True},
                                  {"state": "failed", "error": {"code": "Boom", "message": "it broke"}}]),
        })
        d.notify.wait_for("READY=1")
        # READY=1 comes after the configuration was loaded and polling started: the daemon
        # has announced what it watches by then.
        started = self.journal.wait_for(TASKWATCH_EVENT="daemon-started", _PID=str(d.pid))
        self.assertIn("watching 2 tasks", started["MESSAGE"])
        self.assertTrue(d.notify.statuses(), "no STATUS= before or with READY=1")
        self.assertTrue(d.notify.statuses()[0].startswith("2 tasks:"))

        d.notify.wait_for(lambda m: "STATUS=2 tasks: 2 running" in m)
        sim.advance("T-a")
        sim.advance("T-b")
        final = d.notify.wait_for(lambda m: "1 succeeded, 1 failed" in m, timeout=15)
        self.assertIn("STATUS=2 tasks: 0 running, 1 succeeded, 1 failed", final)
        self.assertIn("instances 1 succeeded, 0 failed, 0 pending", final)

    def test_status_names_the_last_error(self):
        sim, d = self.start({"T-e": scaleout_task([{"state": "running"}])})
        d.notify.wait_for("READY=1")
        self.journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID="T-e", _PID=str(d.pid))
        sim.inject("T-e", {"fault": "error", "status": 503, "code": "ServiceUnavailable",
                           "message": "try later"}, count=1000)
        status = d.notify.wait_for(lambda m: "last error:" in m, timeout=15)
        self.assertIn("last error: T-e: HTTP 503 ServiceUnavailable: try later", status)
        self.assertTrue(d.running())

    def test_watchdog_pings_when_asked(self):
        # WATCHDOG_USEC=400ms: sd-event pings at about half of it.
        sim, d = self.start({"T-w": scaleout_task([{"state": "running"}])},
                            env={"WATCHDOG_USEC": "400000"})
        d.notify.wait_for("READY=1")
        first = d.notify.mark()
        d.notify.wait_for("WATCHDOG=1", start=first, timeout=5)
        second = d.notify.mark()
        d.notify.wait_for("WATCHDOG=1", start=second, timeout=5)

    def test_no_watchdog_pings_without_watchdog_usec(self):
        sim, d = self.start({"T-w": scaleout_task([{"state": "running"}])})
        d.notify.wait_for("READY=1")
        self.assertTrue(sim.wait_polls("T-w", 5, timeout=10))
        self.assertFalse(any("WATCHDOG=1" in m for m in d.notify.poll()))

    def test_sigterm_sends_stopping_and_exits_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            sim, d = self.start({"T-s": scaleout_task([{"state": "running"}])})
            d.notify.wait_for("READY=1")
            self.assertTrue(sim.wait_polls("T-s", 1, timeout=10))
            d.send_signal(sig)
            self.assertEqual(d.wait(timeout=10), 0)
            d.notify.wait_for("STOPPING=1", timeout=1)
            self.journal.wait_for(TASKWATCH_EVENT="daemon-stopping", _PID=str(d.pid))


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
