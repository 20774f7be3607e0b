#!/usr/bin/env python3
"""Saved states are read after READY=1, a slice of the event loop at a time (how fast READY=1
comes is the benchmark's business, tests/bench): with thousands of records, across many
slices, no task is polled before its record is read, none gets a second baseline, none whose
record says it ended is polled, and --exit-when-done waits until every record is read."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

N_ENDED = 3000   # enough records for several 10 ms slices, even on a fast machine
N_RUNNING = 20


def record(task, state, status):
    return {"version": 1, "task_id": task, "have_baseline": True,
            "snapshot": {"state": state, "stage": None, "cluster_id": "c-test",
                         "task_type": "nodepool_scaleout", "error_code": None,
                         "error_message": None,
                         "instances": [{"id": "i-1", "status": status}]}}


class RestoreAtScale(unittest.TestCase):
    def test_thousands_of_records_are_read_after_ready_and_none_is_lost(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        journal = harness.Journal()
        tasks_dir = os.path.join(tmp.name, "state", "tasks")
        os.makedirs(tasks_dir, mode=0o700)
        os.chmod(os.path.join(tmp.name, "state"), 0o700)

        ended = ["T-E-%05d" % i for i in range(N_ENDED)]
        running = ["T-R-%02d" % i for i in range(N_RUNNING)]
        for t in ended:
            with open(os.path.join(tasks_dir, t + ".json"), "w") as f:
                json.dump(record(t, "success", "success"), f)
        for t in running:
            with open(os.path.join(tasks_dir, t + ".json"), "w") as f:
                json.dump(record(t, "running", "running"), f)
        # The running ones are as saved at first, then succeed; the ended ones are unknown
        # to the API: a poll of one would be "not found", and counted.
        sim = harness.Simulator({"tasks": {t: scaleout_task([
            {"state": "running", "task_result": instances(i_1="running"), "hold": True},
            {"state": "success", "task_result": instances(i_1="success")}]) for t in running}},
            tmp.name)
        self.addCleanup(sim.stop)

        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, ended + running),
                           tmp.name, env=harness.test_credentials_env(),
                           args=("--state-dir", os.path.join(tmp.name, "state"),
                                 "--exit-when-done"))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1", timeout=30)

        # Every running task is polled once its record is read, and shows no change.
        sim.wait_polls(None, N_RUNNING, timeout=30)
        for t in running:
            sim.advance(t)
        self.assertEqual(d.wait(60), 0, d.stderr_text())

        for t in running:  # the journal may not have caught up with the exit yet
            journal.wait_for(TASKWATCH_EVENT="task-succeeded", TASK_ID=t, _PID=str(d.pid),
                             timeout=15)
        polled = {t for t, n in sim.stats()["per_task"].items() if n > 0}
        self.assertEqual(polled, set(running), "only tasks saved as running are polled")
        mine = [e for e in journal.entries(_PID=str(d.pid)) if e.get("TASKWATCH_EVENT")]
        kinds = [e["TASKWATCH_EVENT"] for e in mine]
        self.assertEqual(kinds.count("task-baseline"), 0, "a restored task has its baseline")
        self.assertEqual(sorted(e["TASK_ID"] for e in mine
                                if e["TASKWATCH_EVENT"] == "task-succeeded"), running)
        for bad in ("state-discarded", "state-save-failed", "task-not-found"):
            self.assertNotIn(bad, kinds)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
