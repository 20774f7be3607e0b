#!/usr/bin/env python3
"""taskwatch add/remove: the drop-in CONFIG.d/50-taskwatch.conf is edited atomically, and a
running taskwatchd reloads and starts or stops watching (task-added / task-removed in the
journal). Without a daemon the file is still written and the command says so."""
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402
from test_taskwatch_wait import check_sanitizers, taskwatch_binary, taskwatch_env  # noqa: E402

PID_FILE = "/run/taskwatchd/taskwatchd.pid"  # inside the test's private /run
RUNNING = [{"state": "running"}]


def write_pid_file(pid):
    os.makedirs(os.path.dirname(PID_FILE), exist_ok=True)
    with open(PID_FILE, "w") as f:
        f.write("%d\n" % pid)


def remove_pid_file():
    try:
        os.unlink(PID_FILE)
    except FileNotFoundError:
        pass


class AddRemove(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.addCleanup(remove_pid_file)
        remove_pid_file()
        self.sim = harness.Simulator({"tasks": {t: scaleout_task(RUNNING)
                                                for t in ("T-1", "T-2", "T-3")}}, self.tmp.name)
        self.addCleanup(self.sim.stop)
        self.journal = harness.Journal()

    def start_daemon(self, tasks=("T-1",)):
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(self.sim, list(tasks)),
                           self.tmp.name, env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        # The daemon wrote its PID file before READY=1; that is how taskwatch finds it.
        with open(PID_FILE) as f:
            self.assertEqual(f.read(), "%d\n" % d.pid)
        self.config = d.config_path
        return d

    def config_only(self, tasks=("T-1",)):
        self.config = os.path.join(self.tmp.name, "taskwatchd.conf")
        with open(self.config, "w") as f:
            f.write(harness.daemon_config(self.sim, list(tasks)))

    @property
    def dropin(self):
        return self.config + ".d/50-taskwatch.conf"

    def dropin_text(self):
        with open(self.dropin) as f:
            return f.read()

    def taskwatch(self, *args, env=None):
        p = subprocess.run([taskwatch_binary(), "--config", self.config, *args],
                           env=taskwatch_env(self.tmp.name, {**harness.test_credentials_env(), **(env or {})}),
                           capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        check_sanitizers(self, p.stderr)
        return p

    def membership_event(self, kind, task, pid, timeout=10):
        return self.journal.wait_for(TASKWATCH_EVENT=kind, TASK_ID=task, _PID=pid, timeout=timeout)

    def test_add_makes_a_running_daemon_watch_the_task(self):
        d = self.start_daemon()
        p = self.taskwatch("add", "T-2", "T-3")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Added T-2 to %s." % self.dropin, p.stdout)
        self.assertIn("Asked taskwatchd (PID %d) to reload." % d.pid, p.stdout)
        self.assertIn("[Tasks]\nTask=T-2\nTask=T-3\n", self.dropin_text())
        self.membership_event("task-added", "T-2", d.pid)
        self.membership_event("task-added", "T-3", d.pid)
        self.assertTrue(self.sim.wait_polls("T-3", 1, timeout=10))
        self.assertTrue(d.running())

    def test_remove_makes_a_running_daemon_stop_watching(self):
        d = self.start_daemon()
        self.assertEqual(self.taskwatch("add", "T-2").returncode, 0)
        self.membership_event("task-added", "T-2", d.pid)
        self.assertTrue(self.sim.wait_polls("T-2", 1, timeout=10))
        p = self.taskwatch("remove", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Removed T-2 from %s." % self.dropin, p.stdout)
        self.membership_event("task-removed", "T-2", d.pid)
        self.assertNotIn("T-2", self.dropin_text())
        # removed: its polls stop
        polls = self.sim.stats()["per_task"]["T-2"]
        self.assertTrue(self.sim.wait_polls("T-1", self.sim.stats()["per_task"].get("T-1", 0) + 3, timeout=10))
        self.assertLessEqual(self.sim.stats()["per_task"]["T-2"], polls + 1)

    def test_remove_of_a_task_another_file_configures_exits_4(self):
        d = self.start_daemon(tasks=("T-1",))
        p = self.taskwatch("remove", "T-1")
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertRegex(p.stderr, r"T-1 is still watched: it is configured at %s:\d+; remove it there"
                         % self.config)
        self.assertTrue(d.running())

    def test_add_of_a_configured_task_changes_nothing(self):
        self.start_daemon(tasks=("T-1",))
        p = self.taskwatch("add", "T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"T-1 is already watched \(configured at %s:\d+\)" % self.config)
        self.assertFalse(os.path.exists(self.dropin))

    def test_adding_twice_leaves_one_line(self):
        self.config_only()
        self.assertEqual(self.taskwatch("add", "T-2").returncode, 0)
        p = self.taskwatch("add", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("T-2 is already in", p.stdout)
        self.assertEqual(self.dropin_text().count("T-2"), 1)

    def test_without_a_daemon_the_file_is_written_and_it_says_so(self):
        self.config_only()
        p = self.taskwatch("add", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no running taskwatchd found for %s; the change applies when it next starts"
                      % self.config, p.stderr)
        self.assertIn("Task=T-2\n", self.dropin_text())

    def test_a_stale_pid_file_is_not_trusted(self):
        self.config_only()
        other = subprocess.Popen(["sleep", "60"])
        self.addCleanup(lambda: (other.kill(), other.wait()))
        write_pid_file(other.pid)
        p = self.taskwatch("add", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no running taskwatchd found", p.stderr)
        self.assertIsNone(other.poll())  # not sent SIGHUP (which would have killed sleep)

    def test_a_daemon_of_another_configuration_is_left_alone(self):
        d = self.start_daemon()
        mine = self.config
        self.config_only()
        self.assertNotEqual(mine, self.config)
        p = self.taskwatch("add", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("the running taskwatchd (PID %d) reads %s, not this configuration" % (d.pid, mine),
                      p.stderr)
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="config-reloaded", _PID=d.pid), [])

    def test_a_daemon_with_its_own_runtime_directory_is_found(self):
        # As the README starts one in the background: $RUNTIME_DIRECTORY in the daemon's
        # environment only. taskwatch used to look at /run/taskwatchd alone, say "no running
        # taskwatchd found" and exit 0 without a reload.
        rt = os.path.join(self.tmp.name, "rt")
        os.makedirs(rt)
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(self.sim, ["T-1"]),
                           self.tmp.name, env={**harness.test_credentials_env(), "RUNTIME_DIRECTORY": rt})
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.assertTrue(os.path.exists(os.path.join(rt, "taskwatchd.pid")))
        self.assertFalse(os.path.exists(PID_FILE))
        self.config = d.config_path
        p = self.taskwatch("add", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Asked taskwatchd (PID %d) to reload. (Found through the process list.)" % d.pid,
                      p.stdout)
        self.membership_event("task-added", "T-2", d.pid)
        # With the variable in taskwatch's environment too, the daemon's PID file finds it.
        p = self.taskwatch("add", "T-3", env={"RUNTIME_DIRECTORY": rt})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Asked taskwatchd (PID %d) to reload. (Found through "
                      "$RUNTIME_DIRECTORY/taskwatchd.pid.)" % d.pid, p.stdout)
        self.membership_event("task-added", "T-3", d.pid)

    def test_no_reload_only_edits(self):
        d = self.start_daemon()
        p = self.taskwatch("add", "--no-reload", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("reload", p.stdout + p.stderr)
        d.send_signal(signal.SIGHUP)  # the file is right: a reload picks it up
        self.membership_event("task-added", "T-2", d.pid)

    def test_malformed_ids_exit_4_and_touch_nothing(self):
        self.config_only()
        for bad in ("T 2", ".T", "T-1/../x", "", "x" * 129):
            p = self.taskwatch("add", "T-2", bad)
            self.assertEqual(p.returncode, 4, bad)
            self.assertIn("is not a task id", p.stderr)
        self.assertFalse(os.path.exists(self.config + ".d"))

    def test_the_other_lines_of_the_dropin_are_kept(self):
        self.config_only()
        os.makedirs(self.config + ".d")
        with open(self.dropin, "w") as f:
            f.write("# my notes\n[Poll]\nMinInterval=200ms\n[Tasks]\nTask=T-3 T-2\n")
        self.assertEqual(self.taskwatch("remove", "T-2").returncode, 0)
        self.assertEqual(self.taskwatch("add", "T-1", "T-2").returncode, 0)
        self.assertEqual(self.dropin_text(),
                         "# my notes\n[Poll]\nMinInterval=200ms\n[Tasks]\nTask=T-3\nTask=T-2\n")
        self.assertEqual(sorted(os.listdir(self.config + ".d")), ["50-taskwatch.conf"])

    def test_help(self):
        for cmd in ("add", "remove"):
            p = subprocess.run([taskwatch_binary(), cmd, "--help"], capture_output=True, text=True,
                               timeout=10)
            self.assertEqual(p.returncode, 0)
            self.assertIn("50-taskwatch.conf", p.stdout)
            self.assertIn("--no-reload", p.stdout)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
