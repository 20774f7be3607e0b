#!/usr/bin/env python3
"""A poll's delay follows the growth/reset/jitter rules of include/watch/backoff.h, measured
from the simulator's request timestamps: it grows while nothing changes, stays within
[MinInterval, MaxInterval], drops back to MinInterval after a change, and tasks configured
together are spread out and do not poll in lockstep."""
import os
import statistics
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

MIN = 0.100  # [Poll] MinInterval, seconds
MAX = 0.800  # [Poll] MaxInterval

# What a gap between two polls of a task, as the simulator timestamps them, is made of:
#   delay (the backoff rule) + coalescing + reply latency + scheduling noise.
# Coalescing: the daemon lets sd-event fire a poll timer up to delay/10 late (max 250 ms): up
# to 80 ms at MAX, 12.5 ms right after a change. Reply latency: the delay counts from the
# reply, the gap from the previous request; acksim writes headers and body as two TLS records
# without TCP_NODELAY, so the body waits for the daemon's delayed ACK (~40 ms). Scheduling
# noise (GIL, sanitizer builds, a busy CI machine): ~25 ms. Hence ~150 ms above. Below, a
# timer never fires early; only noise in the simulator's timestamps can shorten a gap.
SLACK_HIGH = 0.150
SLACK_LOW = 0.050


def ms(seconds):
    return "%.0f ms" % (seconds * 1000)


class Backoff(harness.DaemonTestCase):
    def start(self, tasks):
        return super().start(tasks, "%dms" % (MIN * 1000), "%dms" % (MAX * 1000))

    @staticmethod
    def polls(sim, task):
        """[(t, request_id)] of task's API requests, oldest first."""
        return [(e["t"], e["request_id"]) for e in sim.log() if e.get("task") == task]

    @staticmethod
    def gaps(times):
        return [b - a for a, b in zip(times, times[1:])]

    def assert_within_bounds(self, task, gaps):
        for i, g in enumerate(gaps):
            self.assertGreaterEqual(g, MIN - SLACK_LOW, "%s: gap %d is %s, below MinInterval: %s"
                                    % (task, i, ms(g), [ms(x) for x in gaps]))
            self.assertLessEqual(g, MAX + SLACK_HIGH, "%s: gap %d is %s, above MaxInterval: %s"
                                 % (task, i, ms(g), [ms(x) for x in gaps]))

    def test_delay_grows_is_bounded_and_resets_after_a_change(self):
        task = "T-backoff"
        sim, d = self.start({task: scaleout_task([
            {"state": "running", "current_stage": "Stage-A", "hold": True},
            {"state": "running", "current_stage": "Stage-B", "hold": True},
        ])})
        # Unchanged polls double the delay from MIN: ~100, 200, 400, then MAX (800) with
        # jitter down to 600. Ten polls are four growing gaps and five at the cap.
        self.assertTrue(sim.wait_polls(task, 10, timeout=30))
        before = [t for t, _ in self.polls(sim, task)]
        gaps = self.gaps(before)
        self.assert_within_bounds(task, gaps)
        first, late = gaps[:2], gaps[4:]
        self.assertLess(statistics.mean(first) * 2, statistics.mean(late),
                        "the delay did not grow: %s" % [ms(g) for g in gaps])
        for g in late:
            # at the cap the jitter goes down to 3/4 of MAX, never further
            self.assertGreaterEqual(g, 0.75 * MAX - SLACK_LOW, [ms(x) for x in gaps])

        # A change: the next poll serves Stage-B, and the delay after it starts over at MIN.
        self.assertEqual(sim.advance(task), "released")
        changed = self.journal.wait_for(TASKWATCH_EVENT="task-stage-changed", TASK_ID=task,
                                        _PID=str(d.pid), timeout=10)
        self.assertEqual(changed["TASK_STAGE"], "Stage-B")
        ids = [rid for _, rid in self.polls(sim, task)]
        self.assertIn(changed["REQUEST_ID"], ids)
        k = ids.index(changed["REQUEST_ID"])  # the poll that saw the change
        self.assertTrue(sim.wait_polls(task, k + 3, timeout=10))
        times = [t for t, _ in self.polls(sim, task)]
        before_change, after1, after2 = times[k] - times[k - 1], times[k + 1] - times[k], \
            times[k + 2] - times[k + 1]
        self.assertGreaterEqual(before_change, 0.75 * MAX - SLACK_LOW)
        # right after a change: MIN jittered upwards by at most 25%
        self.assertLessEqual(after1, 1.25 * MIN + SLACK_HIGH,
                             "gap after the change: %s" % ms(after1))
        self.assertGreaterEqual(after1, MIN - SLACK_LOW)
        # and it grows again from there: 2·MIN ±25%, still far below the cap
        self.assertLessEqual(after2, 2.5 * MIN + SLACK_HIGH, "second gap after the change: %s"
                             % ms(after2))
        self.assert_within_bounds(task, self.gaps(times))

    def test_tasks_configured_together_spread_out_and_do_not_lockstep(self):
        tasks = {"T-spread-%d" % i: scaleout_task([{"state": "running"}]) for i in range(10)}
        sim, d = self.start(tasks)
        # 11 polls: 10 gaps, the last 6 of them at the cap (after ~100+200+400+800 ms growth)
        for t in sorted(tasks):
            self.assertTrue(sim.wait_polls(t, 11, timeout=30), t)
        log = sim.log()
        times = {t: [e["t"] for e in log if e.get("task") == t] for t in tasks}

        # First polls: each after a delay uniform in [0, MIN], so spread over that interval,
        # not all at once. P(ten uniform draws within 20 ms of each other) < 1e-5.
        firsts = sorted(ts[0] for ts in times.values())
        self.assertGreaterEqual(firsts[-1] - firsts[0], 0.020,
                                "first polls all within %s" % ms(firsts[-1] - firsts[0]))
        # ... and all inside the first interval (plus the four TLS handshakes and slack)
        self.assertLessEqual(firsts[-1] - firsts[0], MIN + SLACK_HIGH + 0.100,
                             "first polls spread over %s" % ms(firsts[-1] - firsts[0]))

        cap_gaps = {}
        for t, ts in times.items():
            gaps = self.gaps(ts[:11])
            self.assert_within_bounds(t, gaps)
            cap_gaps[t] = gaps[4:]
            # jitter: a task's own delays at the cap vary (uniform over [600, 800] ms)
            self.assertGreaterEqual(max(cap_gaps[t]) - min(cap_gaps[t]), 0.020,
                                    "%s: no jitter at the cap: %s"
                                    % (t, [ms(g) for g in cap_gaps[t]]))
        everything = [g for gs in cap_gaps.values() for g in gs]
        self.assertGreater(statistics.pstdev(everything), 0.020)

        # No lockstep: two tasks whose last four gaps at the cap all agree within 5 ms poll
        # together. sd-event's coalescing makes that happen for a few pairs by chance; with
        # working jitter it is far from most of the 45 pairs.
        names = sorted(cap_gaps)
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
        lockstep = [(a, b) for a, b in pairs
                    if all(abs(x - y) < 0.005 for x, y in zip(cap_gaps[a][-4:], cap_gaps[b][-4:]))]
        self.assertLess(len(lockstep), len(pairs) // 2, "in lockstep: %s" % lockstep)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
