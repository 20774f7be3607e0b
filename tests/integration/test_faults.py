#!/usr/bin/env python3
"""Every simulator fault is survived with the task still watched: one error event of the right
kind per fault (the same fault again stays quiet), then api-recovered, and the task's later
transition is reported exactly once (no transition lost or doubled, no second baseline).
Also a task the API says does not exist: reported once after 3 answers, and still looked for."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

# Every event kind that reports a failed poll.
ERROR_EVENTS = ("api-auth-error", "api-throttled", "api-server-error", "api-client-error",
                "api-network-error", "api-bad-reply", "task-not-found")

# (task id, fault, count, event expected (None: none), fields it must carry, fields it must not)
FAULTS = [
    ("T-e500-gw", {"fault": "error", "status": 500}, 2, "api-server-error",
     {"HTTP_STATUS": "500", "ERROR_CODE": "InternalError"}, ()),
    ("T-e502-gw", {"fault": "error", "status": 502, "code": "BadGateway"}, 2, "api-server-error",
     {"HTTP_STATUS": "502", "ERROR_CODE": "BadGateway"}, ()),
    ("T-e503-gw", {"fault": "error", "status": 503, "code": "ServiceUnavailable"}, 2,
     "api-server-error", {"HTTP_STATUS": "503", "ERROR_CODE": "ServiceUnavailable"}, ()),
    ("T-e504-gw", {"fault": "error", "status": 504, "code": "GatewayTimeout"}, 2,
     "api-server-error", {"HTTP_STATUS": "504", "ERROR_CODE": "GatewayTimeout"}, ()),
    ("T-e500-be", {"fault": "error", "status": 500, "casing": "backend"}, 2, "api-server-error",
     {"HTTP_STATUS": "500", "ERROR_CODE": "InternalError"}, ()),
    ("T-e502-be", {"fault": "error", "status": 502, "code": "BadGateway", "casing": "backend"},
     2, "api-server-error", {"HTTP_STATUS": "502", "ERROR_CODE": "BadGateway"}, ()),
    ("T-e503-be", {"fault": "error", "status": 503, "code": "ServiceUnavailable",
                   "casing": "backend"}, 2,
     "api-server-error", {"HTTP_STATUS": "503", "ERROR_CODE": "ServiceUnavailable"}, ()),
    ("T-e504-be", {"fault": "error", "status": 504, "code": "GatewayTimeout",
                   "casing": "backend"}, 2,
     "api-server-error", {"HTTP_STATUS": "504", "ERROR_CODE": "GatewayTimeout"}, ()),
    # a proxy's HTML page: no code to read, but the status still says "server error"
    ("T-html502", {"fault": "html"}, 2, "api-server-error", {"HTTP_STATUS": "502"},
     ("ERROR_CODE",)),
    ("T-truncated", {"fault": "truncated"}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "MalformedReply"}, ()),
    # Content-Length promises more than comes before the connection closes
    ("T-short", {"fault": "short_body"}, 2, "api-network-error", {"ERROR_CODE": "TransferFailed"},
     ("HTTP_STATUS",)),
    # bigger than the daemon's 8 MiB cap (TASK_INFO_MAX_BODY)
    ("T-huge", {"fault": "huge", "mib": 9}, 1, "api-bad-reply", {"ERROR_CODE": "ReplyTooLarge"},
     ("HTTP_STATUS",)),
    ("T-deep", {"fault": "deep"}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "MalformedReply"}, ()),
    ("T-nul", {"fault": "nul"}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "MalformedReply"}, ()),
    ("T-nul-esc", {"fault": "nul", "escaped": True}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "MalformedReply"}, ()),
    ("T-types", {"fault": "wrong_types"}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "MalformedReply"}, ()),
    ("T-other", {"fault": "other_task"}, 2, "api-bad-reply",
     {"HTTP_STATUS": "200", "ERROR_CODE": "WrongTask"}, ()),
    # fewer "not found" answers than the 3 that confirm it: a lagging API, not reported
    ("T-nf-twice", {"fault": "not_found"}, 2, None, {}, ()),
]


def held_task():
    """Running (held) until advanced, then success."""
    return scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])


class Faults(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()

    def start(self, tasks, watched=None, request_timeout="2s"):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        config = harness.daemon_config(sim, list(watched or tasks))
        config = config.replace("RequestTimeout=2s", "RequestTimeout=" + request_timeout)
        daemon = harness.Daemon(harness.daemon_binary(), config, self.tmp.name,
                                env=harness.test_credentials_env())
        self.addCleanup(daemon.close)
        daemon.notify.wait_for("READY=1")
        return sim, daemon

    def event(self, daemon, name, task, timeout=15, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(daemon.pid),
                                     timeout=timeout, **fields)

    def count(self, daemon, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task,
                                        _PID=str(daemon.pid)))

    def served(self, sim, task, fault):
        return sum(1 for e in sim.log() if e.get("task") == task and e.get("fault") == fault)

    def stop_cleanly(self, daemon):
        """SIGTERM: exit status 0, and nothing from a sanitizer (leaks are checked at exit)."""
        self.assertTrue(daemon.running(), daemon.stderr_text())
        self.assertEqual(daemon.stop(timeout=15), 0, daemon.stderr_text())
        self.assertNotRegex(daemon.stderr_text(), r"Sanitizer|runtime error")

    def check_faults(self, cases, request_timeout="2s"):
        sim, d = self.start({c[0]: held_task() for c in cases}, request_timeout=request_timeout)
        for c in cases:
            self.event(d, "task-baseline", c[0])
        polls = sim.stats()["per_task"]
        for task, fault, count, _, _, _ in cases:
            sim.inject(task, fault, count)

        for task, fault, count, kind, want, absent in cases:
            with self.subTest(task=task, fault=fault):
                if kind is None:
                    # the faults and then a good poll
                    self.assertTrue(sim.wait_polls(task, polls[task] + count + 1, timeout=15))
                    continue
                # whichever error comes first, so that a wrong kind fails at once, and clearly
                e = self.journal.wait_for(*("TASKWATCH_EVENT=" + k for k in ERROR_EVENTS),
                                          TASK_ID=task, _PID=str(d.pid), timeout=15)
                self.assertEqual(e["TASKWATCH_EVENT"], kind, e.get("MESSAGE"))
                for k, v in want.items():
                    self.assertEqual(e.get(k), v, "%s in %r" % (k, e.get("MESSAGE")))
                for k in absent:
                    self.assertNotIn(k, e, e.get("MESSAGE"))
                # the last known state is kept, whatever the bad reply said
                self.assertEqual(e.get("TASK_STATE"), "running", e.get("MESSAGE"))
                self.assertIn(task, e["MESSAGE"])
                self.assertIn("RETRY_IN", e)
                self.event(d, "api-recovered", task)
                self.assertEqual(self.served(sim, task, fault["fault"]), count)

        for task, *_ in cases:
            sim.advance(task)
        for task, *_ in cases:
            done = self.event(d, "task-succeeded", task)
            self.assertEqual(done["TASK_PREVIOUS_STATE"], "running")

        # Terminal tasks are polled no more, so these counts are final.
        for task, fault, count, kind, _, _ in cases:
            with self.subTest(task=task, fault=fault):
                self.assertEqual(self.count(d, "task-succeeded", task), 1)
                self.assertEqual(self.count(d, "task-baseline", task), 1)
                self.assertEqual(self.count(d, "task-state-changed", task), 0)
                errors = {k: self.count(d, k, task) for k in ERROR_EVENTS}
                want = {k: 1 if k == kind else 0 for k in ERROR_EVENTS}
                self.assertEqual(errors, want)
                self.assertEqual(self.count(d, "api-recovered", task), 0 if kind is None else 1)
        self.stop_cleanly(d)

    def test_each_fault_reported_once_then_recovered(self):
        self.check_faults(FAULTS)

    def test_reset_is_a_network_error(self):
        # libcurl resends a request whose reused connection dies, with the same signature
        # nonce; whatever the API makes of that replay, a reset is no authentication problem.
        # Count 2, so that the reset is seen even when libcurl's resend would succeed.
        self.check_faults([
            ("T-reset", {"fault": "reset"}, 2, "api-network-error", {}, ()),
        ])

    def test_stall_past_request_timeout(self):
        self.check_faults([
            ("T-stall", {"fault": "stall", "seconds": 3}, 2, "api-network-error",
             {"ERROR_CODE": "Timeout"}, ("HTTP_STATUS",)),
        ], request_timeout="1s")

    def test_task_that_does_not_exist(self):
        sim, d = self.start({"T-here": held_task()}, watched=["T-here", "T-missing"])
        self.event(d, "task-baseline", "T-here")
        e = self.event(d, "task-not-found", "T-missing")
        self.assertEqual(e["PRIORITY"], "3")
        self.assertEqual(e["HTTP_STATUS"], "404")
        self.assertEqual(e["ERROR_CODE"], "ErrorTaskNotFound")
        self.assertIn("3 answers in a row", e["MESSAGE"])
        self.assertGreaterEqual(sim.stats()["per_task"]["T-missing"], 3)
        d.notify.wait_for(lambda m: any(line.startswith("STATUS=") and "not found" in line
                                        for line in m.split("\n")))

        # Still asked about (rarely), reported once, and the other task is still watched.
        stats = sim.stats()["per_task"]
        self.assertTrue(sim.wait_polls("T-missing", stats["T-missing"] + 2, timeout=10))
        self.assertTrue(sim.wait_polls("T-here", stats["T-here"] + 2, timeout=10))
        self.assertEqual(self.count(d, "task-not-found", "T-missing"), 1)
        self.assertEqual(self.count(d, "task-baseline", "T-missing"), 0)
        for k in ERROR_EVENTS[:-1]:
            self.assertEqual(self.count(d, k, "T-missing"), 0, k)
        self.assertTrue(d.running(), d.stderr_text())

        # When it does appear, it is watched like any other.
        sim.add_tasks({"T-missing": held_task()})
        self.event(d, "task-baseline", "T-missing")
        sim.advance("T-missing")
        sim.advance("T-here")
        self.event(d, "task-succeeded", "T-missing")
        self.event(d, "task-succeeded", "T-here")
        self.assertEqual(self.count(d, "task-not-found", "T-missing"), 1)
        self.stop_cleanly(d)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
