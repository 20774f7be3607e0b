#!/usr/bin/env python3
"""The rest of the fault matrix (test_faults.py and test_throttling.py have the others): a
50 MiB body, an expired signature, throttling without x-acs-retry-after, and TLS failures
(a chain the system store plus CAFile= do not verify, from the start or for a while). For
each: the daemon stays up, the task keeps its last known state, exactly one error event
names the fault, polling resumes when the fault clears, and no transition is lost or
doubled. For TLS, also: no request is ever sent over an unverified connection."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

ERROR_EVENTS = ("api-auth-error", "api-throttled", "api-server-error", "api-client-error",
                "api-network-error", "api-bad-reply", "task-not-found")

# (task id, fault, count, event expected, fields it must carry, text in its message)
FAULTS = [
    # streamed by the simulator in 64 KiB writes; the daemon stops reading at its 8 MiB cap
    ("T-M-huge50", {"fault": "huge", "mib": 50}, 2, "api-bad-reply",
     {"ERROR_CODE": "ReplyTooLarge"}, None),
    # what the API says to an x-acs-date outside its window: a clock problem, said as such
    ("T-M-expired", {"fault": "expired_signature"}, 2, "api-auth-error",
     {"HTTP_STATUS": "400", "ERROR_CODE": "InvalidTimeStamp.Expired"}, "clock"),
    # throttling without the server's wait: backed off, no "server asks to wait"
    ("T-M-throttle", {"fault": "throttle"}, 2, "api-throttled",
     {"HTTP_STATUS": "400", "ERROR_CODE": "Throttling.User"}, "throttled by the API"),
]


def held_task():
    return scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM for %d" % pid)


def under_asan(pid):
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


class FaultMatrix(harness.DaemonTestCase):
    def first_error(self, d, task, timeout=15):
        return self.journal.wait_for(*("TASKWATCH_EVENT=" + k for k in ERROR_EVENTS),
                                     TASK_ID=task, _PID=str(d.pid), timeout=timeout)

    def count(self, d, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid)))

    def assert_settled(self, d, task, kind, recovered=1):
        """Exactly: one baseline, one success, one error event of kind, recovered once."""
        self.assertEqual(self.count(d, "task-baseline", task), 1)
        self.assertEqual(self.count(d, "task-succeeded", task), 1)
        self.assertEqual(self.count(d, "task-state-changed", task), 0)
        self.assertEqual({k: self.count(d, k, task) for k in ERROR_EVENTS},
                         {k: int(k == kind) for k in ERROR_EVENTS})
        self.assertEqual(self.count(d, "api-recovered", task), recovered)

    def stop_cleanly(self, d):
        self.assertTrue(d.running(), d.stderr_text())
        self.assertEqual(d.stop(timeout=15), 0, d.stderr_text())

    def test_body_signature_and_throttle_faults(self):
        sim, d = self.start({c[0]: held_task() for c in FAULTS})
        for c in FAULTS:
            self.event(d, "task-baseline", c[0])
        hwm_before = vm_hwm_kib(d.pid)
        for task, fault, count, *_ in FAULTS:
            sim.inject(task, fault, count)
        for task, fault, count, kind, want, text in FAULTS:
            with self.subTest(task=task):
                e = self.first_error(d, task)
                self.assertEqual(e["TASKWATCH_EVENT"], kind, e["MESSAGE"])
                for k, v in want.items():
                    self.assertEqual(e.get(k), v, "%s in %r" % (k, e["MESSAGE"]))
                self.assertEqual(e.get("TASK_STATE"), "running", e["MESSAGE"])
                self.assertIn(task, e["MESSAGE"])
                if text:
                    self.assertIn(text, e["MESSAGE"])
                self.assertNotIn("server asks to wait", e["MESSAGE"])
                self.event(d, "api-recovered", task)
                served = [x for x in sim.log() if x["task"] == task and x["fault"] == fault["fault"]]
                self.assertEqual(len(served), count)
        # the 50 MiB bodies were not held in memory (the cap is 8 MiB); not under ASan,
        # whose quarantine keeps the freed buffers of the growing body resident
        grown = vm_hwm_kib(d.pid) - hwm_before
        print("\nfault matrix: peak RSS grew by %d KiB over two 50 MiB replies%s"
              % (grown, " (ASan: not checked)" if under_asan(d.pid) else ""), file=sys.stderr)
        if not under_asan(d.pid):
            self.assertLess(grown, 50 * 1024)
        for task, *_ in FAULTS:
            sim.advance(task)
        for task, *_ in FAULTS:
            done = self.event(d, "task-succeeded", task)
            self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")
        for task, fault, count, kind, *_ in FAULTS:
            with self.subTest(task=task):
                self.assert_settled(d, task, kind)
        self.stop_cleanly(d)

    def test_tls_failure_for_a_while(self):
        sim, d = self.start({"T-M-tls": held_task(), "T-M-tls2": held_task()})
        for t in ("T-M-tls", "T-M-tls2"):
            self.event(d, "task-baseline", t)
        # For 3 s every handshake offers a chain ready.json's CA did not sign; the open
        # connections are closed. No control call may be made meanwhile (they fail too).
        sim._call("POST", "/_sim/tls", {"untrusted_for": 3})
        for t in ("T-M-tls", "T-M-tls2"):
            e = self.first_error(d, t, timeout=10)
            self.assertEqual(e["TASKWATCH_EVENT"], "api-network-error", e["MESSAGE"])
            self.assertEqual(e["ERROR_CODE"], "TLSFailed", e["MESSAGE"])
            self.assertIn(sim.url, e["MESSAGE"])  # names the endpoint
            self.assertIn("certificate", e["MESSAGE"].lower())
            self.assertEqual(e["TASK_STATE"], "running")
            self.assertNotIn("HTTP_STATUS", e)
        for t in ("T-M-tls", "T-M-tls2"):
            self.event(d, "api-recovered", t, timeout=15)
        stats = sim.stats()
        self.assertGreaterEqual(stats["untrusted_handshakes"], 2)
        self.assertEqual(stats["untrusted_handshakes_completed"], 0,
                         "the daemon completed a handshake with a chain it cannot verify")
        self.assertEqual([x for x in sim.log() if x["tls"] != "trusted"], [])
        for t in ("T-M-tls", "T-M-tls2"):
            sim.advance(t)
        for t in ("T-M-tls", "T-M-tls2"):
            self.event(d, "task-succeeded", t)
        for t in ("T-M-tls", "T-M-tls2"):
            with self.subTest(task=t):
                self.assert_settled(d, t, "api-network-error")
        self.stop_cleanly(d)

    def test_tls_failure_from_the_start(self):
        # The simulator's second port always offers the untrusted chain.
        tasks = {"T-M-never": held_task()}
        sim = harness.Simulator({"tasks": tasks, "untrusted_listener": True}, self.tmp.name)
        self.addCleanup(sim.stop)
        with open(os.path.join(sim.dir, "ready.json")) as f:
            untrusted = json.load(f)["untrusted_url"]
        config = harness.daemon_config(sim, list(tasks)).replace("Endpoint=" + sim.url,
                                                                 "Endpoint=" + untrusted)
        d = harness.Daemon(harness.daemon_binary(), config, self.tmp.name,
                           env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        e = self.first_error(d, "T-M-never")
        self.assertEqual(e["TASKWATCH_EVENT"], "api-network-error", e["MESSAGE"])
        self.assertEqual(e["ERROR_CODE"], "TLSFailed")
        self.assertIn(untrusted, e["MESSAGE"])
        self.assertNotIn("TASK_STATE", e)  # nothing known yet, nothing made up
        # it goes on trying, and never sends a request
        self.assertTrue(harness._wait_until(lambda: sim.stats()["untrusted_handshakes"] >= 4, 15,
                                            0.1))
        stats = sim.stats()
        self.assertEqual(stats["untrusted_handshakes_completed"], 0)
        self.assertEqual(stats["requests"], 0)
        self.assertEqual(self.count(d, "api-network-error", "T-M-never"), 1)
        self.assertEqual(self.count(d, "task-baseline", "T-M-never"), 0)
        d.notify.wait_for(lambda m: "STATUS=" in m and "TLS" in m, timeout=5)
        self.stop_cleanly(d)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
