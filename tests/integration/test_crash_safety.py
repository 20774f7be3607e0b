#!/usr/bin/env python3
"""Crash safety: SIGKILL the daemon at random points of a scenario full of transitions,
restart it on the same --state-dir, ~20 times; the union of the transition events of all
runs is exactly the scenario's transitions, each once, except that the events of the one
reply in flight at a kill may come again (the daemon saves after emitting: at least once).

The scenario is built so that any subset of replies seen yields the same transitions: every
field changes at most once per task (the stage once, each instance once, the state once),
so a reply lost to a kill never merges two transitions into another one. task-progress is
left out: it summarises instance counts, and two replies seen as one give one summary.

The random seed is printed; CRASH_SEED=<n> repeats a run, CRASH_KILLS=<n> changes the
number of kills (20)."""
import collections
import os
import random
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

KILLS = int(os.environ.get("CRASH_KILLS", "20"))
N_TASKS = 10
# Transition events (task-progress excluded, see above).
TRANSITIONS = ("task-baseline", "task-succeeded", "task-failed", "task-canceled",
               "task-state-changed", "task-unknown-state", "task-stage-changed",
               "instance-added", "instance-succeeded", "instance-failed",
               "instance-status-changed")


def key_of(entry):
    kind = entry["TASKWATCH_EVENT"]
    if kind.startswith("instance-"):
        fields = ("INSTANCE_ID", "INSTANCE_STATUS", "INSTANCE_PREVIOUS_STATUS")
    elif kind == "task-stage-changed":
        fields = ("TASK_STAGE", "TASK_PREVIOUS_STAGE")
    elif kind == "task-baseline":
        fields = ("TASK_STATE", "TASK_STAGE")
    else:
        fields = ("TASK_STATE", "TASK_PREVIOUS_STATE")
    return (entry["TASK_ID"], kind) + tuple(entry.get(f) for f in fields)


def scenario(i):
    """Task i's timeline and the transitions it must produce. Steps advance by polls served
    or by seconds (which pass while the daemon is down, too), in turn."""
    tid = "T-C-%02d" % i
    k = 3 + i % 4                       # polls per step
    secs = 0.8 + 0.4 * (i % 3)          # seconds per timed step
    end = ("success", "task-succeeded") if i % 3 else ("failed", "task-failed")
    inst = {"i-%d" % n: "initial" for n in range(1, 7)}

    def result():
        return [{"data": k, "status": v} for k, v in sorted(inst.items())]

    # held until every baseline is in: the baseline is the first step, whatever a kill does
    timeline = [{"state": "running", "current_stage": "Prepare", "task_result": result(),
                 "hold": True}]
    want = [(tid, "task-baseline", "running", "Prepare")]
    changes = [("i-1", "success"), ("i-2", "failed"), ("i-3", "success"), ("i-4", "success"),
               ("i-5", "failed"), ("i-6", "success")]
    timeline.append({"current_stage": "Create", "polls": k})
    want.append((tid, "task-stage-changed", "Create", "Prepare"))
    for n, (iid, status) in enumerate(changes):
        inst[iid] = status
        want.append((tid, "instance-" + ("succeeded" if status == "success" else "failed"),
                     iid, status, "initial"))
        if n == 1:
            inst["i-7"] = "initial"  # one that appears
            want.append((tid, "instance-added", "i-7", "initial", None))
        timeline.append({"task_result": result(), **({"seconds": secs} if n % 2 == 0
                                                     else {"polls": k})})
    timeline.append({"state": end[0], "error": {"code": "E", "message": "m"}}
                    if end[0] == "failed" else {"state": end[0]})
    want.append((tid, end[1], end[0], "running"))
    return tid, scaleout_task(timeline), want


class CrashSafety(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.state = os.path.join(self.tmp.name, "state")

    def start(self, sim, ids):
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, ids),
                           self.tmp.name, env=harness.test_credentials_env(),
                           args=("--state-dir", self.state))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1", timeout=20)
        return d

    def transitions(self, d):
        """d's transition events about our tasks, in journal order."""
        return [e for e in self.journal.entries(_PID=str(d.pid))
                if e.get("TASKWATCH_EVENT") in TRANSITIONS
                and e.get("TASK_ID", "").startswith("T-C-")]

    def test_kill_9_at_random_points(self):
        seed = int(os.environ.get("CRASH_SEED", str(time.time_ns() % 1000000)))
        rng = random.Random(seed)
        print("\ncrash safety: CRASH_SEED=%d, %d kills" % (seed, KILLS), file=sys.stderr)
        tasks, want = {}, []
        for i in range(N_TASKS):
            tid, spec, w = scenario(i)
            tasks[tid] = spec
            want += w
        ids = sorted(tasks)
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)

        runs = []  # (daemon, killed)
        d = self.start(sim, ids)
        for t in ids:
            self.journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID=t, timeout=15)
        for t in ids:
            sim.advance(t)

        started = time.monotonic()
        for n in range(KILLS):
            # A random point. Half are a random instant within the next 1.5 s (time.sleep
            # here picks the moment of the kill, it synchronises nothing); half come right
            # after a random number of requests, where replies are being processed.
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.1, 1.5))
            else:
                sim.wait_polls(None, sim.stats()["requests"] + rng.randint(1, 15), timeout=2)
            d.send_signal(signal.SIGKILL)
            self.assertEqual(d.wait(10), -signal.SIGKILL)
            runs.append((d, True))
            d = self.start(sim, ids)
        kill_phase = time.monotonic() - started
        unfinished = sum(1 for t in sim.stats()["tasks"].values()
                         if t["state"] not in ("success", "failed"))

        # The last run goes on until every task's end is reported.
        for i in range(N_TASKS):
            tid, _, w = scenario(i)
            self.journal.wait_for(TASKWATCH_EVENT=w[-1][1], TASK_ID=tid, timeout=30)
        self.assertTrue(d.running(), d.stderr_text())
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())
        runs.append((d, False))

        # Tally: every transition of the scenario, nothing else, each once but for repeats
        # of the reply in flight at a kill.
        allowed = collections.Counter()
        counts = collections.Counter()
        repeats = []
        seen = set()
        for i, (run, killed) in enumerate(runs):
            events = self.transitions(run)
            for e in events:
                k = key_of(e)
                counts[k] += 1
                if k in seen:
                    repeats.append((i, k))
                seen.add(k)
            if killed and events:
                # the in flight reply: the one that produced this run's last events
                last = events[-1].get("REQUEST_ID")
                self.assertTrue(last, events[-1])
                for e in events:
                    if e.get("REQUEST_ID") == last:
                        allowed[key_of(e)] += 1
        self.assertEqual(sorted(seen), sorted(want), "transitions lost or invented")
        for k, c in counts.items():
            self.assertLessEqual(c, 1 + allowed[k], "repeated beyond the reply in flight: %r" % (k,))
        for run, _ in runs:
            self.assertEqual(self.journal.entries(TASKWATCH_EVENT="state-discarded",
                                                  _PID=str(run.pid)), [],
                             "a kill -9 left a record that does not load")
        print("crash safety: %d kills in %.1f s (%d of %d tasks still running after them), "
              "%d transitions, %d repeated (%s)"
              % (KILLS, kill_phase, unfinished, N_TASKS, len(want), len(repeats),
                 ", ".join("run %d: %s %s" % (i, k[0], k[1]) for i, k in repeats) or "none"),
              file=sys.stderr)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
