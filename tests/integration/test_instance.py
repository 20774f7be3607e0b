#!/usr/bin/env python3
"""--instance NAME (taskwatchd@NAME.service): every journal entry of that daemon carries
TASKWATCH_INSTANCE=NAME, the main daemon's none; a name that cannot be an instance is a
configuration error (exit 4) before anything runs."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

TASKS = {"T-inst": scaleout_task([{"state": "running", "task_result": instances(i_1="initial"),
                                   "hold": True},
                                  {"state": "failed", "task_result": instances(i_1="failed"),
                                   "error": {"code": "Boom", "message": "it broke"}}])}


class Instance(harness.DaemonTestCase):
    def test_every_event_names_the_instance(self):
        sim, d = self.start(TASKS, args=("--instance", "hangzhou"))
        self.event(d, "task-baseline", "T-inst")
        sim.advance("T-inst")
        self.event(d, "task-failed", "T-inst")
        mine = self.journal.entries(_PID=str(d.pid), SYSLOG_IDENTIFIER="taskwatchd")
        kinds = {e.get("TASKWATCH_EVENT") for e in mine if e.get("TASKWATCH_EVENT")}
        self.assertTrue({"daemon-started", "task-baseline", "task-failed",
                         "instance-failed"} <= kinds, kinds)
        untagged = [e.get("TASKWATCH_EVENT") for e in mine
                    if e.get("TASKWATCH_EVENT") and e.get("TASKWATCH_INSTANCE") != "hangzhou"]
        self.assertEqual(untagged, [])
        # A match on the field is how an operator tells the instances apart.
        tagged = self.journal.entries(TASKWATCH_INSTANCE="hangzhou", TASKWATCH_EVENT="task-failed")
        self.assertEqual([e.get("_PID") for e in tagged], [str(d.pid)])

    def test_the_main_daemon_sends_no_instance_field(self):
        sim, d = self.start(TASKS)
        base = self.event(d, "task-baseline", "T-inst")
        self.assertNotIn("TASKWATCH_INSTANCE", base)

    def test_a_bad_name_is_a_configuration_error(self):
        for name in ("../etc", "taskwatchd", "a.b", ""):
            p = subprocess.run([harness.daemon_binary(), "--instance", name, "--check-config"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 4, (name, p.stderr))
            self.assertIn("not an instance name", p.stderr)

    def test_the_instance_reads_its_own_file_by_default(self):
        # Without -c, instance NAME reads /etc/taskwatchd/NAME.conf: --check-config says so
        # when it is missing (a name no host has).
        p = subprocess.run([harness.daemon_binary(), "--instance", "no-such-instance-x7",
                            "--check-config"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("/etc/taskwatchd/no-such-instance-x7.conf", p.stderr)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
