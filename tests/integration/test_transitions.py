#!/usr/bin/env python3
"""Every kind of transition reaches the journal with its fields: baseline, success, failure
(both spellings) with its reason, cancel, unknown state, pause, stage and instance changes."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402


class Transitions(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)  # cleanups run last-first: after the daemon's
        self.journal = harness.Journal()

    def start(self, tasks):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        daemon = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, list(tasks)),
                                self.tmp.name, env=harness.test_credentials_env())
        self.addCleanup(daemon.close)
        daemon.notify.wait_for("READY=1")
        return sim, daemon

    def event(self, daemon, name, task, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(daemon.pid),
                                     timeout=15, **fields)

    def test_success_with_instances_and_stage(self):
        sim, d = self.start({"T-ok": scaleout_task([
            {"state": "running", "current_stage": "CreateInstances",
             "task_result": instances(i_1="initial", i_2="initial"), "hold": True},
            {"current_stage": "JoinNodes", "task_result": instances(i_1="success", i_2="initial"),
             "hold": True},
            {"state": "success", "current_stage": "Done",
             "task_result": instances(i_1="success", i_2="success")},
        ])})
        base = self.event(d, "task-baseline", "T-ok")
        self.assertEqual(base["TASK_STATE"], "running")
        self.assertEqual(base["TASK_STAGE"], "CreateInstances")
        self.assertEqual(base["CLUSTER_ID"], "c-test")
        self.assertEqual(base["TASK_TYPE"], "nodepool_scaleout")
        self.assertEqual(base["INSTANCES_PENDING"], "2")
        self.assertEqual(base["MESSAGE_ID"], "0e4d72d625694610bebaca17b22a5a89")
        self.assertEqual(base["PRIORITY"], "6")
        self.assertIn("REQUEST_ID", base)

        sim.advance("T-ok")
        stage = self.event(d, "task-stage-changed", "T-ok")
        self.assertEqual(stage["TASK_STAGE"], "JoinNodes")
        self.assertEqual(stage["TASK_PREVIOUS_STAGE"], "CreateInstances")
        inst = self.event(d, "instance-succeeded", "T-ok", INSTANCE_ID="i-1")
        self.assertEqual(inst["INSTANCE_STATUS"], "success")
        self.assertEqual(inst["INSTANCE_PREVIOUS_STATUS"], "initial")
        progress = self.event(d, "task-progress", "T-ok")
        self.assertEqual((progress["INSTANCES_SUCCEEDED"], progress["INSTANCES_PENDING"]), ("1", "1"))

        sim.advance("T-ok")
        done = self.event(d, "task-succeeded", "T-ok")
        self.assertEqual(done["TASK_STATE"], "success")
        self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
        self.assertEqual(done["MESSAGE_ID"], "005f9e1190dd4412b355aee60c29b8c9")
        self.event(d, "instance-succeeded", "T-ok", INSTANCE_ID="i-2")

        # Exactly once each, and a terminal task is no longer polled.
        self.journal.sync()
        self.assertEqual(len(self.journal.entries(TASKWATCH_EVENT="task-succeeded", TASK_ID="T-ok")), 1)
        self.assertEqual(len(self.journal.entries(TASKWATCH_EVENT="task-baseline", TASK_ID="T-ok")), 1)
        polls = sim.stats()["per_task"]["T-ok"]
        self.assertFalse(sim.wait_polls("T-ok", polls + 1, timeout=1.5),
                         "a terminal task was polled again")

    def test_failure_in_both_spellings_carries_the_reason(self):
        tasks = {}
        for name, state in (("T-failed", "failed"), ("T-fail", "fail")):
            tasks[name] = scaleout_task([
                {"state": "running", "task_result": instances(i_1="initial"), "hold": True},
                {"state": state, "task_result": instances(i_1="failed"),
                 "error": {"code": "QuotaExceeded.ECS", "message": "ecs quota is not enough"}},
            ])
        sim, d = self.start(tasks)
        for name in tasks:
            self.event(d, "task-baseline", name)
            sim.advance(name)
        for name, state in (("T-failed", "failed"), ("T-fail", "fail")):
            e = self.event(d, "task-failed", name)
            self.assertEqual(e["TASK_STATE"], state)
            self.assertEqual(e["PRIORITY"], "3")
            self.assertEqual(e["ERROR_CODE"], "QuotaExceeded.ECS")
            self.assertEqual(e["ERROR_MESSAGE"], "ecs quota is not enough")
            self.assertIn("QuotaExceeded.ECS: ecs quota is not enough", e["MESSAGE"])
            i = self.event(d, "instance-failed", name, INSTANCE_ID="i-1")
            self.assertEqual(i["PRIORITY"], "3")
            self.assertEqual(i["INSTANCE_STATUS"], "failed")
            self.assertEqual(i["INSTANCE_PREVIOUS_STATUS"], "initial")

    def test_cancel_pause_and_unknown_state(self):
        sim, d = self.start({"T-c": scaleout_task([
            {"state": "running", "hold": True},
            {"state": "paused", "hold": True},
            {"state": "reticulating_splines", "hold": True},
            {"state": "canceled"},
        ])})
        self.event(d, "task-baseline", "T-c")
        sim.advance("T-c")
        paused = self.event(d, "task-state-changed", "T-c")
        self.assertEqual((paused["TASK_STATE"], paused["TASK_PREVIOUS_STATE"]), ("paused", "running"))
        sim.advance("T-c")
        unknown = self.event(d, "task-unknown-state", "T-c")
        self.assertEqual(unknown["TASK_STATE"], "reticulating_splines")
        self.assertEqual(unknown["PRIORITY"], "4")
        # An unknown state is not terminal: polling goes on, and it is reported once.
        polls = sim.stats()["per_task"]["T-c"]
        self.assertTrue(sim.wait_polls("T-c", polls + 2, timeout=5))
        self.assertEqual(len(self.journal.entries(TASKWATCH_EVENT="task-unknown-state", TASK_ID="T-c")), 1)
        sim.advance("T-c")
        canceled = self.event(d, "task-canceled", "T-c")
        self.assertEqual(canceled["TASK_PREVIOUS_STATE"], "reticulating_splines")

    def test_task_already_failed_at_start_still_alerts(self):
        sim, d = self.start({"T-old": scaleout_task([
            {"state": "failed", "task_result": instances(i_9="failed"),
             "error": {"code": "E", "message": "m"}},
        ])})
        self.event(d, "task-baseline", "T-old")
        self.event(d, "task-failed", "T-old")
        self.event(d, "instance-failed", "T-old", INSTANCE_ID="i-9")

    def test_new_instances_are_reported_as_they_appear(self):
        sim, d = self.start({"T-grow": scaleout_task([
            {"state": "running", "task_result": [], "hold": True},
            {"task_result": instances(i_1="initial"), "hold": True},
            {"task_result": instances(i_1="initial", i_2="success")},
        ])})
        self.event(d, "task-baseline", "T-grow")
        sim.advance("T-grow")
        added = self.event(d, "instance-added", "T-grow", INSTANCE_ID="i-1")
        self.assertEqual(added["INSTANCE_STATUS"], "initial")
        sim.advance("T-grow")
        self.event(d, "instance-succeeded", "T-grow", INSTANCE_ID="i-2")


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
