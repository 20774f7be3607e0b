#!/usr/bin/env python3
"""Persisted state (--state-dir): a restart reports nothing twice and misses nothing that
happened while the daemon was down; terminal and lost tasks stay settled; a corrupt record
is moved aside with one state-discarded event and the task is watched afresh; a state
directory that cannot be written is one state-save-failed event and watching goes on;
records of tasks the configuration no longer lists are pruned."""
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

# Everything a task's watch may say about it (transitions, errors, bookkeeping).
TASK_EVENTS = ("task-baseline", "task-succeeded", "task-failed", "task-canceled",
               "task-state-changed", "task-unknown-state", "task-stage-changed",
               "task-progress", "instance-added", "instance-succeeded", "instance-failed",
               "instance-status-changed", "task-not-found", "task-timed-out",
               "state-discarded", "state-save-failed", "api-auth-error", "api-throttled",
               "api-server-error", "api-client-error", "api-network-error", "api-bad-reply",
               "api-recovered")


def held(*steps):
    """A timeline whose every step but the last holds until advanced."""
    steps = [dict(s) for s in steps]
    for s in steps[:-1]:
        s["hold"] = True
    return scaleout_task(steps)


class Persistence(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.state = os.path.join(self.tmp.name, "state")
        self.tasks_dir = os.path.join(self.state, "tasks")

    # ---- helpers ----
    def simulator(self, tasks):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        return sim

    def daemon(self, sim, watched, extra=""):
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, watched, extra=extra),
                           self.tmp.name, env=harness.test_credentials_env(),
                           args=("--state-dir", self.state))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return d

    def event(self, d, name, task, timeout=15, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid),
                                     timeout=timeout, **fields)

    def events(self, d, task):
        """[(event, task state, previous state, instance, status)] of d about task, in order."""
        return [(e["TASKWATCH_EVENT"], e.get("TASK_STATE"), e.get("TASK_PREVIOUS_STATE"),
                 e.get("INSTANCE_ID"), e.get("INSTANCE_STATUS"))
                for e in self.journal.entries(TASK_ID=task, _PID=str(d.pid))
                if e.get("TASKWATCH_EVENT") in TASK_EVENTS]

    def kinds(self, d, task):
        return [e[0] for e in self.events(d, task)]

    def stop(self, d):
        self.assertTrue(d.running(), d.stderr_text())
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())

    def polls(self, sim, task):
        return sim.stats()["per_task"].get(task, 0)

    def record(self, task):
        with open(os.path.join(self.tasks_dir, task + ".json")) as f:
            return json.load(f)

    # ---- tests ----
    def test_restart_reports_nothing_twice_and_what_happened_meanwhile(self):
        sim = self.simulator({
            # changes once while watched, then nothing: a restart must stay quiet
            "T-P-steady": held({"state": "running", "current_stage": "Create",
                              "task_result": instances(i_1="initial")},
                             {"current_stage": "Join", "task_result": instances(i_1="success")},
                             {"state": "success"}),
            # ends while the daemon is down
            "T-P-meanwhile": held({"state": "running", "task_result": instances(i_1="initial")},
                                {"state": "success", "task_result": instances(i_1="success")}),
            # ends before the restart: never polled again
            "T-P-ended": held({"state": "running"}, {"state": "failed",
                                                   "error": {"code": "E", "message": "m"}}),
        })
        watched = ["T-P-steady", "T-P-meanwhile", "T-P-ended", "T-P-lost"]  # T-P-lost: not in the API
        d1 = self.daemon(sim, watched)
        for t in ("T-P-steady", "T-P-meanwhile", "T-P-ended"):
            self.event(d1, "task-baseline", t)
        sim.advance("T-P-steady")
        sim.advance("T-P-ended")
        self.event(d1, "instance-succeeded", "T-P-steady", INSTANCE_ID="i-1")
        self.event(d1, "task-stage-changed", "T-P-steady")
        self.event(d1, "task-failed", "T-P-ended")
        self.event(d1, "task-not-found", "T-P-lost")
        self.stop(d1)
        ended_polls = self.polls(sim, "T-P-ended")
        lost_polls = self.polls(sim, "T-P-lost")
        steady_polls = self.polls(sim, "T-P-steady")
        self.assertEqual(self.record("T-P-ended")["snapshot"]["state"], "failed")
        self.assertTrue(self.record("T-P-lost")["lost"])

        # Meanwhile: T-P-meanwhile succeeds (served from its next poll on).
        self.assertEqual(sim.advance("T-P-meanwhile"), "released")

        d2 = self.daemon(sim, watched)
        done = self.event(d2, "task-succeeded", "T-P-meanwhile")
        self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
        inst = self.event(d2, "instance-succeeded", "T-P-meanwhile", INSTANCE_ID="i-1")
        self.assertEqual(inst["INSTANCE_PREVIOUS_STATUS"], "initial")
        # T-P-steady polled a few times more, T-P-lost looked for again (3 answers confirm it)
        self.assertTrue(sim.wait_polls("T-P-steady", steady_polls + 3, timeout=10))
        self.assertTrue(sim.wait_polls("T-P-lost", lost_polls + 4, timeout=15))
        self.assertTrue(d2.running(), d2.stderr_text())

        self.assertEqual(self.polls(sim, "T-P-ended"), ended_polls, "a terminal task was polled")
        self.assertEqual(self.kinds(d2, "T-P-steady"), [])
        self.assertEqual(self.kinds(d2, "T-P-ended"), [])
        self.assertEqual(self.kinds(d2, "T-P-lost"), [])
        self.assertEqual(sorted(self.kinds(d2, "T-P-meanwhile")),
                         ["instance-succeeded", "task-progress", "task-succeeded"])
        # Across both runs, each transition once.
        for t, want in (("T-P-steady", ["task-baseline", "instance-succeeded", "task-progress",
                                      "task-stage-changed"]),
                        ("T-P-ended", ["task-baseline", "task-failed"]),
                        ("T-P-lost", ["task-not-found"]),
                        ("T-P-meanwhile", ["task-baseline", "instance-succeeded",
                                         "task-progress", "task-succeeded"])):
            with self.subTest(task=t):
                got = self.kinds(d1, t) + self.kinds(d2, t)
                self.assertEqual(sorted(got), sorted(want))
        self.stop(d2)

    def test_lost_task_that_appears_after_restart(self):
        sim = self.simulator({})
        d1 = self.daemon(sim, ["T-P-late"])
        self.event(d1, "task-not-found", "T-P-late")
        self.stop(d1)
        sim.add_tasks({"T-P-late": held({"state": "running"}, {"state": "success"})})
        d2 = self.daemon(sim, ["T-P-late"])
        self.event(d2, "task-baseline", "T-P-late")
        sim.advance("T-P-late")
        self.event(d2, "task-succeeded", "T-P-late")
        self.assertEqual(sorted(self.kinds(d2, "T-P-late")), ["task-baseline", "task-succeeded"])
        self.assertFalse(self.record("T-P-late")["lost"])
        self.stop(d2)

    def test_corrupt_record_is_moved_aside_and_the_task_watched_afresh(self):
        sim = self.simulator({"T-P-corrupt": held({"state": "running"}, {"state": "success"}),
                              "T-P-fine": held({"state": "running"}, {"state": "success"})})
        d1 = self.daemon(sim, ["T-P-corrupt", "T-P-fine"])
        self.event(d1, "task-baseline", "T-P-corrupt")
        self.event(d1, "task-baseline", "T-P-fine")
        self.stop(d1)
        path = os.path.join(self.tasks_dir, "T-P-corrupt.json")
        with open(path, "wb") as f:
            f.write(b'{"version": 1, "task_id": "T-P-corrupt", "have_baseline": tr\x00\xff garbage')

        d2 = self.daemon(sim, ["T-P-corrupt", "T-P-fine"])
        e = self.event(d2, "state-discarded", "T-P-corrupt")
        self.assertIn(path, e["MESSAGE"])
        self.assertIn("corrupt-", e["MESSAGE"])
        self.event(d2, "task-baseline", "T-P-corrupt")  # watched afresh
        aside = glob.glob(path + ".corrupt-*")
        self.assertEqual(len(aside), 1, os.listdir(self.tasks_dir))
        self.assertIn(aside[0], e["MESSAGE"])
        with open(aside[0], "rb") as f:
            self.assertIn(b"garbage", f.read())  # kept for a person to look at
        sim.advance("T-P-corrupt")
        sim.advance("T-P-fine")
        self.event(d2, "task-succeeded", "T-P-corrupt")
        self.event(d2, "task-succeeded", "T-P-fine")
        self.assertEqual(self.record("T-P-corrupt")["snapshot"]["state"], "success")
        self.assertEqual(sorted(self.kinds(d2, "T-P-corrupt")),
                         ["state-discarded", "task-baseline", "task-succeeded"])
        self.assertEqual(self.kinds(d2, "T-P-fine"), ["task-succeeded"])  # no second baseline
        self.stop(d2)

        # The third run starts from the good record written since: quiet.
        d3 = self.daemon(sim, ["T-P-corrupt", "T-P-fine"])
        self.assertFalse(sim.wait_polls("T-P-corrupt", self.polls(sim, "T-P-corrupt") + 1,
                                        timeout=1.5), "a terminal task was polled")
        self.assertEqual(self.kinds(d3, "T-P-corrupt"), [])
        self.stop(d3)

    def test_records_of_removed_tasks_are_pruned(self):
        # RemovedRetention=0: deleted at once, as before there was a retention (issue 11,
        # item 4; the default keeps them a week: test_a_removed_task_keeps_its_record...)
        sim = self.simulator({t: held({"state": "running"}, {"state": "success"})
                              for t in ("T-P-keep", "T-P-gone", "T-P-hup")})
        d1 = self.daemon(sim, ["T-P-keep", "T-P-gone", "T-P-hup"], extra="RemovedRetention=0\n")
        for t in ("T-P-keep", "T-P-gone", "T-P-hup"):
            self.event(d1, "task-baseline", t)
        self.stop(d1)
        self.assertEqual(sorted(os.listdir(self.tasks_dir)),
                         ["T-P-gone.json", "T-P-hup.json", "T-P-keep.json"])
        # a restart with a config that no longer lists T-P-gone
        d2 = self.daemon(sim, ["T-P-keep", "T-P-hup"], extra="RemovedRetention=0\n")
        self.assertEqual(sorted(os.listdir(self.tasks_dir)), ["T-P-hup.json", "T-P-keep.json"])
        # a reload that drops T-P-hup
        with open(d2.config_path, "w") as f:
            f.write(harness.daemon_config(sim, ["T-P-keep"], extra="RemovedRetention=0\n"))
        mark = d2.notify.mark()
        d2.reload()
        d2.notify.wait_for("READY=1", start=mark)
        self.event(d2, "task-removed", "T-P-hup")
        self.assertEqual(os.listdir(self.tasks_dir), ["T-P-keep.json"])
        self.assertEqual(self.kinds(d2, "T-P-keep"), [])
        self.stop(d2)

    def test_a_removed_task_keeps_its_record_and_reports_nothing_again(self):
        # Issue 11, item 4: a drop-in emptied and restored (two reloads) fired task-failed
        # and instance-failed again; with the default retention the record stays.
        sim = self.simulator({"T-P-back": {"cluster_id": "c-test", "timeline": [
            {"state": "failed", "task_result": harness.instances(i_1="failed"),
             "error": {"code": "Boom", "message": "it broke"}}]}})
        d = self.daemon(sim, ["T-P-back", "T-P-other"])
        self.event(d, "instance-failed", "T-P-back")
        self.event(d, "task-failed", "T-P-back")
        for watched, kind in ((["T-P-other"], "task-removed"), (["T-P-back", "T-P-other"], "task-added")):
            with open(d.config_path, "w") as f:
                f.write(harness.daemon_config(sim, watched))
            mark = d.notify.mark()
            d.reload()
            d.notify.wait_for("READY=1", start=mark)
            self.event(d, kind, "T-P-back")
            self.assertIn("T-P-back.json", os.listdir(self.tasks_dir))
        # A task watched afresh would be polled within its first interval (<= 400 ms): by the
        # time the other task has been polled 3 more times, it would have fired again.
        other = self.polls(sim, "T-P-other")
        self.assertTrue(harness._wait_until(lambda: self.polls(sim, "T-P-other") >= other + 3, 15))
        self.stop(d)
        self.assertEqual(self.kinds(d, "T-P-back").count("task-failed"), 1)
        self.assertEqual(self.kinds(d, "T-P-back").count("instance-failed"), 1)

    def test_unwritable_state_directory(self):
        # Root writes through any mode bits, and the daemon keeps an fd on tasks/ (a bind
        # mount over the path would not reach it): the state directory is a tmpfs of its own
        # (we are in a private mount namespace) that is remounted read-only under the daemon.
        os.makedirs(self.state)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", self.state],
                       check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", self.state])

        def remount(mode):
            # EBUSY while a save has a file open for writing: try again
            deadline = time.monotonic() + 10
            while True:
                p = subprocess.run(["mount", "-o", "remount,bind," + mode, self.state],
                                   capture_output=True, text=True)
                if p.returncode == 0:
                    return
                self.assertLess(time.monotonic(), deadline, p.stderr)
                time.sleep(0.05)

        sim = self.simulator({"T-P-ro": held(
            {"state": "running", "current_stage": "A"}, {"current_stage": "B"},
            {"current_stage": "C"}, {"current_stage": "D"}, {"state": "success"})})
        d = self.daemon(sim, ["T-P-ro"])
        self.event(d, "task-baseline", "T-P-ro")
        remount("ro")
        sim.advance("T-P-ro")
        e = self.event(d, "state-save-failed", "T-P-ro")
        self.assertEqual(e["PRIORITY"], "3")
        self.assertIn("Read-only file system", e["MESSAGE"])
        self.event(d, "task-stage-changed", "T-P-ro", TASK_STAGE="B")
        sim.advance("T-P-ro")  # a second failing save: not reported again
        self.event(d, "task-stage-changed", "T-P-ro", TASK_STAGE="C")
        self.assertTrue(sim.wait_polls("T-P-ro", self.polls(sim, "T-P-ro") + 2, timeout=10))
        self.assertEqual(self.record("T-P-ro")["snapshot"]["stage"], "A")  # the old record
        remount("rw")
        sim.advance("T-P-ro")
        self.event(d, "task-stage-changed", "T-P-ro", TASK_STAGE="D")
        sim.advance("T-P-ro")
        self.event(d, "task-succeeded", "T-P-ro")
        self.assertEqual(self.record("T-P-ro")["snapshot"]["state"], "success")
        self.assertEqual(self.kinds(d, "T-P-ro").count("state-save-failed"), 1)
        self.assertEqual(self.kinds(d, "T-P-ro").count("task-baseline"), 1)
        self.stop(d)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
