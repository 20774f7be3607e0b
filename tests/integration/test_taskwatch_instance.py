#!/usr/bin/env python3
"""taskwatch --instance NAME (and $TASKWATCH_INSTANCE) addresses instance NAME of
taskwatchd@.service: its PID file /run/taskwatchd-NAME/taskwatchd.pid (RuntimeDirectory=) and
its saved state, never the main daemon's, which runs beside it here."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402
from test_taskwatch_wait import check_sanitizers, taskwatch_binary, taskwatch_env  # noqa: E402

RUNNING = [{"state": "running"}]
NAME = "hangzhou"


class TaskwatchInstance(harness.DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.sim = harness.Simulator({"tasks": {t: scaleout_task(RUNNING)
                                                for t in ("T-main", "T-inst", "T-more")}},
                                     self.tmp.name)
        self.addCleanup(self.sim.stop)

    def daemon(self, task, state_dir, env=None, args=()):
        full = harness.test_credentials_env()
        full.update(env or {})
        os.makedirs(state_dir, exist_ok=True)
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(self.sim, [task]),
                           self.tmp.name, env=full, args=("--state-dir", state_dir, *args))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return d

    def taskwatch(self, *args, env=None):
        e = taskwatch_env(self.tmp.name)
        e.update(env or {})
        p = subprocess.run([taskwatch_binary(), *args], env=e, capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        check_sanitizers(self, p.stderr)
        return p

    def test_add_remove_status_reach_the_instance_only(self):
        main = self.daemon("T-main", os.path.join(self.tmp.name, "state-main"))
        inst_state = os.path.join(self.tmp.name, "state-inst")
        # What systemd gives taskwatchd@hangzhou.service.
        inst = self.daemon("T-inst", inst_state, env={"RUNTIME_DIRECTORY": "/run/taskwatchd-" + NAME},
                           args=("--instance", NAME))
        with open("/run/taskwatchd-%s/taskwatchd.pid" % NAME) as f:
            self.assertEqual(f.read().strip(), str(inst.pid))
        self.event(inst, "task-baseline", "T-inst")

        p = self.taskwatch("--instance", NAME, "-c", inst.config_path, "add", "T-more")
        self.assertEqual(p.returncode, 0, p.stderr)
        added = self.event(inst, "task-added", "T-more")
        self.assertEqual(added.get("TASKWATCH_INSTANCE"), NAME)
        self.event(inst, "task-baseline", "T-more")
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-added", _PID=str(main.pid)), [])

        p = self.taskwatch("--instance", NAME, "-c", inst.config_path, "status", "--json",
                           "--state-dir", inst_state)
        self.assertEqual(p.returncode, 0, p.stderr)
        j = json.loads(p.stdout)
        self.assertEqual(j.get("daemon_pid"), inst.pid)

        # The variable does what the option does.
        p = self.taskwatch("-c", inst.config_path, "remove", "T-more",
                           env={"TASKWATCH_INSTANCE": NAME})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.event(inst, "task-removed", "T-more")
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-removed", _PID=str(main.pid)), [])

        # Without either, status finds the main daemon.
        p = self.taskwatch("-c", main.config_path, "status", "--json", "--state-dir",
                           os.path.join(self.tmp.name, "state-main"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout).get("daemon_pid"), main.pid)

    def test_a_bad_instance_name_is_refused(self):
        p = self.taskwatch("--instance", "../x", "status")
        self.assertEqual(p.returncode, 4)
        self.assertIn("not an instance name", p.stderr)
        p = self.taskwatch("status", env={"TASKWATCH_INSTANCE": "a b"})
        self.assertEqual(p.returncode, 4)
        self.assertIn("TASKWATCH_INSTANCE=a b: not an instance name", p.stderr)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
