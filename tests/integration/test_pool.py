#!/usr/bin/env python3
"""The connection pool under load: 50 tasks polled concurrently through [API] MaxConnections
connections, each handshaken once and reused, and every task still gets its baseline and its
success."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

N_TASKS = 50
RUNNING_POLLS = 3                # polls answered "running" before the task succeeds
POLLS_PER_TASK = RUNNING_POLLS + 1  # ... and the one that sees "success": then it is terminal


def task_ids():
    return ["T-pool-%02d" % i for i in range(N_TASKS)]


class Pool(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def start(self, max_connections):
        tasks = {t: scaleout_task([{"state": "running", "polls": RUNNING_POLLS},
                                   {"state": "success"}]) for t in task_ids()}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        config = harness.daemon_config(sim, list(tasks), min_interval="100ms",
                                       max_interval="400ms")
        config = config.replace("[Poll]", "MaxConnections=%d\n[Poll]" % max_connections)
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        daemon = harness.Daemon(harness.daemon_binary(), config, self.tmp.name,
                                env=harness.test_credentials_env(), notify=notify)
        self.addCleanup(daemon.close)
        daemon.notify.wait_for("READY=1")
        return sim, daemon

    def event(self, daemon, name, task):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(daemon.pid),
                                     timeout=30)

    def check_all_succeed(self, sim, daemon):
        for t in task_ids():
            # The simulator moves to step 1 (success) only when that poll is served.
            self.assertTrue(sim.wait_step(t, 1, timeout=60), "%s never reached success" % t)
        for t in task_ids():
            self.event(daemon, "task-succeeded", t)

        pid = str(daemon.pid)
        by_kind = {}
        for name in ("task-baseline", "task-succeeded"):
            entries = self.journal.entries(TASKWATCH_EVENT=name, _PID=pid)
            got = sorted(e["TASK_ID"] for e in entries)
            self.assertEqual(got, task_ids(), "exactly one %s per task" % name)
            by_kind[name] = {e["TASK_ID"]: e for e in entries}
        for t in task_ids():
            base, done = by_kind["task-baseline"][t], by_kind["task-succeeded"][t]
            self.assertEqual(base["TASK_STATE"], "running")
            self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
            self.assertLess(int(base["__MONOTONIC_TIMESTAMP"]), int(done["__MONOTONIC_TIMESTAMP"]))
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="api-network-error", _PID=pid), [])

        stats = sim.stats()
        # Each task: RUNNING_POLLS running replies, one success, then no more polls.
        for t in task_ids():
            self.assertEqual(stats["per_task"].get(t), POLLS_PER_TASK, t)
        self.assertGreaterEqual(stats["requests"], N_TASKS * POLLS_PER_TASK)
        self.assertEqual(stats["auth_failures"], 0)
        return stats

    def test_fifty_tasks_over_four_connections(self):
        sim, d = self.start(4)
        stats = self.check_all_succeed(sim, d)
        # "connections"/"handshakes" count the daemon's connections only, not the test's
        # control connections to /_sim/.
        self.assertLessEqual(stats["handshakes"], 4, stats)
        self.assertGreaterEqual(stats["handshakes"], 1, stats)
        self.assertLessEqual(stats["connections"], 4, stats)
        conns = {e["conn"] for e in sim.log() if e.get("task") is not None}
        self.assertLessEqual(len(conns), 4, "API requests came over %d connections" % len(conns))
        self.assertTrue(d.running())

    def test_one_connection_is_enough(self):
        sim, d = self.start(1)
        stats = self.check_all_succeed(sim, d)
        self.assertEqual(stats["handshakes"], 1, stats)
        self.assertEqual(stats["connections"], 1, stats)
        conns = {e["conn"] for e in sim.log() if e.get("task") is not None}
        self.assertEqual(len(conns), 1)
        self.assertTrue(d.running())


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
