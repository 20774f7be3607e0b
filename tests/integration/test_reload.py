#!/usr/bin/env python3
"""SIGHUP reloads the configuration: RELOADING=1 (with MONOTONIC_USEC=) then READY=1, tasks
added and removed with events, kept tasks keep their state, drop-ins are read again, and a
configuration that does not parse is refused as a whole (file:line) while the old one runs on,
and so is one that parses but cannot be prepared (its credentials do not load): neither its
tasks, nor its hooks, nor its intervals take effect."""
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

# A task that is polled but never changes until the test says so.
HOLD = [{"state": "running", "current_stage": "Stage-A", "hold": True},
        {"state": "success", "current_stage": "Stage-B"}]


class Reload(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def start(self, sim_tasks, watched):
        self.sim = harness.Simulator({"tasks": {t: scaleout_task(HOLD) for t in sim_tasks}},
                                     self.tmp.name)
        self.addCleanup(self.sim.stop)
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        d = harness.Daemon(harness.daemon_binary(), self.config(watched), self.tmp.name,
                           env=harness.test_credentials_env(), notify=notify)
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        for t in watched:
            self.event(d, "task-baseline", t)
        return self.sim, d

    def config(self, tasks, extra=""):
        return harness.daemon_config(self.sim, tasks, extra=extra)

    def event(self, d, name, task=None, timeout=10, **fields):
        if task is not None:
            fields["TASK_ID"] = task
        return self.journal.wait_for(TASKWATCH_EVENT=name, _PID=str(d.pid), timeout=timeout,
                                     **fields)

    def count(self, d, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid)))

    @staticmethod
    def rewrite(d, text):
        # Written whole and renamed over, as an editor or configuration manager would.
        tmp = d.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, d.config_path)

    def reload(self, d):
        """SIGHUP; returns the RELOADING=1 datagram once READY=1 followed it."""
        start = d.notify.mark()
        d.reload()
        reloading = d.notify.wait_for(lambda m: "RELOADING=1" in m.split("\n"), start=start)
        i = d.notify.messages.index(reloading, start)
        d.notify.wait_for(lambda m: "READY=1" in m.split("\n"), start=i + 1)
        return reloading

    def test_sighup_sends_reloading_with_a_timestamp_then_ready(self):
        sim, d = self.start(["T-a"], ["T-a"])
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        msg = self.reload(d)
        after = time.clock_gettime(time.CLOCK_MONOTONIC)
        fields = dict(line.split("=", 1) for line in msg.split("\n") if "=" in line)
        self.assertIn("MONOTONIC_USEC", fields, "RELOADING=1 without MONOTONIC_USEC=: %r" % msg)
        usec = int(fields["MONOTONIC_USEC"])
        # CLOCK_MONOTONIC is the same clock in every process: taken during the reload.
        self.assertGreaterEqual(usec, int(before * 1e6) - 1000)
        self.assertLessEqual(usec, int(after * 1e6) + 1000)
        e = self.event(d, "config-reloaded")
        self.assertIn("1 task", e["MESSAGE"])
        self.assertTrue(d.running())

    def test_reload_adds_and_removes_tasks_and_keeps_state(self):
        sim, d = self.start(["T-keep", "T-drop", "T-new"], ["T-keep", "T-drop"])
        self.assertNotIn("T-new", sim.stats()["per_task"])

        self.rewrite(d, self.config(["T-keep", "T-new"]))
        self.reload(d)
        self.event(d, "task-added", "T-new")
        self.event(d, "task-removed", "T-drop")
        self.event(d, "config-reloaded")
        base = self.event(d, "task-baseline", "T-new")
        self.assertEqual(base["TASK_STATE"], "running")

        # The removed task is not polled any more (it was, every <= 400 ms + slack).
        dropped = sim.stats()["per_task"]["T-drop"]
        self.assertFalse(sim.wait_polls("T-drop", dropped + 1, timeout=2),
                         "T-drop is still polled after it was removed")

        # The kept task carries on from its old state: no second baseline, and its next
        # transition is reported relative to what was seen before the reload.
        kept = sim.stats()["per_task"]["T-keep"]
        self.assertTrue(sim.wait_polls("T-keep", kept + 2, timeout=5))
        sim.advance("T-keep")
        done = self.event(d, "task-succeeded", "T-keep")
        self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
        stage = self.event(d, "task-stage-changed", "T-keep")
        self.assertEqual((stage["TASK_STAGE"], stage["TASK_PREVIOUS_STAGE"]),
                         ("Stage-B", "Stage-A"))
        self.assertEqual(self.count(d, "task-baseline", "T-keep"), 1)
        self.assertEqual(self.count(d, "task-added", "T-keep"), 0)
        self.assertEqual(self.count(d, "task-removed", "T-keep"), 0)
        self.assertEqual(self.count(d, "task-baseline", "T-new"), 1)

    def test_unparsable_config_is_refused_and_the_old_one_kept(self):
        sim, d = self.start(["T-old", "T-other"], ["T-old"])
        text = self.config(["T-old", "T-other"], extra="[Poll]\nMinInterval=5x\n")
        bad_line = text.split("\n").index("MinInterval=5x") + 1
        self.rewrite(d, text)
        self.reload(d)  # READY=1 still follows RELOADING=1

        e = self.event(d, "config-reload-failed")
        self.assertIn("%s:%d:" % (d.config_path, bad_line), e["MESSAGE"])
        self.assertIn("MinInterval", e["MESSAGE"])
        self.assertEqual(e["PRIORITY"], "3")
        self.assertTrue(d.running())

        # Still the old set: T-old polled on, T-other (valid in the refused file) never.
        polls = sim.stats()["per_task"]["T-old"]
        self.assertTrue(sim.wait_polls("T-old", polls + 2, timeout=5))
        self.assertFalse(sim.wait_polls("T-other", 1, timeout=1.5),
                         "a task from the refused configuration was polled")
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-added", _PID=str(d.pid)), [])
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-removed", _PID=str(d.pid)), [])
        self.assertEqual(
            self.journal.entries(TASKWATCH_EVENT="config-reloaded", _PID=str(d.pid)), [])

        # Once fixed, the next reload applies it.
        self.rewrite(d, self.config(["T-old", "T-other"]))
        self.reload(d)
        self.event(d, "task-added", "T-other")
        self.event(d, "task-baseline", "T-other")

    def test_config_refused_at_prepare_changes_nothing(self):
        """New tasks, hooks and intervals with credentials that cannot be loaded: the reload
        is refused as a whole, where it once could swap in the hook settings first."""
        out = os.path.join(self.tmp.name, "out")
        os.makedirs(out)

        def hooks(label):
            return "[Hooks]\nOnTransition=/bin/sh -c 'echo ran >> %s/%s'\n" % (out, label)

        self.sim = harness.Simulator({"tasks": {t: scaleout_task(HOLD) for t in ("T-old", "T-new")}},
                                     self.tmp.name)
        self.addCleanup(self.sim.stop)
        sim = self.sim
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        d = harness.Daemon(harness.daemon_binary(), self.config(["T-old"], extra=hooks("old")),
                           self.tmp.name, env=harness.test_credentials_env(), notify=notify)
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.event(d, "task-baseline", "T-old")

        self.rewrite(d, harness.daemon_config(
            sim, ["T-old", "T-new"], min_interval="5s", max_interval="10s",
            extra=hooks("new") + "[Credentials]\nAccessKeyId=LTAI-other\n"
                  "AccessKeySecretFile=%s/missing-secret\n" % self.tmp.name))
        self.reload(d)
        e = self.event(d, "config-reload-failed")
        self.assertIn("missing-secret", e["MESSAGE"])
        self.assertTrue(d.running())

        # The old intervals (100-400 ms), not the refused 5 s: three polls in well under 5 s.
        polls = sim.stats()["per_task"]["T-old"]
        self.assertTrue(sim.wait_polls("T-old", polls + 3, timeout=4),
                        "T-old is no longer polled at the old intervals")
        self.assertFalse(sim.wait_polls("T-new", 1, timeout=1),
                         "a task from the refused configuration was polled")
        for kind in ("task-added", "task-removed", "config-reloaded"):
            self.assertEqual(self.journal.entries(TASKWATCH_EVENT=kind, _PID=str(d.pid)), [], kind)

        # The old hook runs on the next transition, the refused one does not.
        sim.advance("T-old")
        self.event(d, "task-succeeded", "T-old")
        done = self.event(d, "hook-finished", "T-old")
        self.assertIn("OnTransition#1", done["MESSAGE"])
        with open(os.path.join(out, "old")) as f:
            self.assertIn("ran", f.read())
        self.assertFalse(os.path.exists(os.path.join(out, "new")), "the refused hook ran")

    def test_dropin_added_before_reload_is_read(self):
        sim, d = self.start(["T-main", "T-extra"], ["T-main"])
        dropin_dir = d.config_path + ".d"
        os.makedirs(dropin_dir)
        with open(os.path.join(dropin_dir, "extra.conf"), "w") as f:
            f.write("[Tasks]\nTask=T-extra\n")
        self.reload(d)
        self.event(d, "task-added", "T-extra")
        self.event(d, "task-baseline", "T-extra")
        self.event(d, "config-reloaded")
        self.assertEqual(self.journal.entries(TASKWATCH_EVENT="task-removed", _PID=str(d.pid)), [])
        polls = sim.stats()["per_task"]["T-main"]
        self.assertTrue(sim.wait_polls("T-main", polls + 1, timeout=5))


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
