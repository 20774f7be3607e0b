#!/usr/bin/env python3
"""Authentication failures: reported once as api-auth-error (never as task-not-found), with
what to check; the task stays watched and polling recovers when the key is accepted. An STS
token is sent and accepted. Secrets and tokens never reach the journal, stderr or sd_notify."""
import os
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import scaleout_task  # noqa: E402

ERROR_EVENTS = ("api-auth-error", "api-throttled", "api-server-error", "api-client-error",
                "api-network-error", "api-bad-reply", "task-not-found")


def held_task():
    """Running (held) until advanced, then success."""
    return scaleout_task([{"state": "running", "hold": True}, {"state": "success"}])


def unique(prefix):
    return prefix + uuid.uuid4().hex


class Auth(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.daemons = []

    def simulator(self, tasks, credentials=None):
        scenario = {"tasks": tasks}
        if credentials is not None:
            scenario["credentials"] = credentials
        sim = harness.Simulator(scenario, self.tmp.name)
        self.addCleanup(sim.stop)
        return sim

    def daemon(self, sim, tasks, env):
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, tasks),
                           self.tmp.name, env=env)
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.daemons.append(d)
        return d

    def event(self, daemon, name, task, timeout=15, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(daemon.pid),
                                     timeout=timeout, **fields)

    def count(self, daemon, name, task):
        return len(self.journal.entries(TASKWATCH_EVENT=name, TASK_ID=task,
                                        _PID=str(daemon.pid)))

    def first_error(self, daemon, task):
        return self.journal.wait_for(*("TASKWATCH_EVENT=" + k for k in ERROR_EVENTS),
                                     TASK_ID=task, _PID=str(daemon.pid), timeout=15)

    def stop_cleanly(self, daemon):
        """SIGTERM: exit status 0, and nothing from a sanitizer (leaks are checked at exit)."""
        self.assertTrue(daemon.running(), daemon.stderr_text())
        self.assertEqual(daemon.stop(timeout=15), 0, daemon.stderr_text())
        self.assertNotRegex(daemon.stderr_text(), r"Sanitizer|runtime error")

    def assert_never_leaked(self, *secrets):
        """Not in the whole journal (every field), any daemon's stdout/stderr, or a datagram;
        stops the daemons first, so that what they say on the way out is searched too."""
        for d in self.daemons:
            self.stop_cleanly(d)
        self.journal.sync()
        export = subprocess.run(["journalctl", "-o", "export", "--no-pager"],
                                capture_output=True, timeout=30).stdout
        # a control: the daemon's entries are in what is searched
        self.assertIn(b"TASKWATCH_EVENT=api-auth-error", export)
        for s in secrets:
            self.assertNotIn(s.encode(), export)
            for d in self.daemons:
                self.assertNotIn(s, d.stderr_text())
                self.assertNotIn(s, d.stdout_text())
                for m in d.notify.poll():
                    self.assertNotIn(s, m)

    def assert_failing_quietly(self, sim, d, task, polls=4):
        """polls more failed polls add no event: one report per fault."""
        n = sim.stats()["per_task"].get(task, 0)
        self.assertTrue(sim.wait_polls(task, n + polls, timeout=15))
        self.assertEqual(self.count(d, "api-auth-error", task), 1)
        for k in ERROR_EVENTS[1:]:
            self.assertEqual(self.count(d, k, task), 0, k)
        self.assertEqual(self.count(d, "task-baseline", task), 0)
        self.assertTrue(d.running(), d.stderr_text())

    def recover_and_finish(self, sim, d, task):
        rec = self.event(d, "api-recovered", task)
        self.assertIn("recovered", rec["MESSAGE"])
        self.event(d, "task-baseline", task)
        sim.advance(task)
        self.event(d, "task-succeeded", task)
        self.assertEqual(self.count(d, "api-auth-error", task), 1)
        self.assertEqual(self.count(d, "api-recovered", task), 1)
        self.assertEqual(self.count(d, "task-baseline", task), 1)
        self.assertEqual(self.count(d, "task-succeeded", task), 1)
        self.assertTrue(d.running(), d.stderr_text())

    def test_wrong_secret(self):
        secret = unique("wrong-secret-")
        sim = self.simulator({"T-auth": held_task()})
        d = self.daemon(sim, ["T-auth"], harness.test_credentials_env(secret=secret))

        e = self.first_error(d, "T-auth")
        self.assertEqual(e["TASKWATCH_EVENT"], "api-auth-error", e["MESSAGE"])
        self.assertEqual(e["PRIORITY"], "3")
        self.assertEqual(e["ERROR_CODE"], "SignatureDoesNotMatch")
        self.assertEqual(e["HTTP_STATUS"], "400")
        self.assertIn("REQUEST_ID", e)
        self.assertRegex(e["MESSAGE"], r"check the access key\b.*secret")
        self.assertIn("SignatureDoesNotMatch", e["MESSAGE"])
        self.assert_failing_quietly(sim, d, "T-auth")
        self.assertGreaterEqual(sim.stats()["auth_failures"], 5)

        # The key is fixed on the API's side (a rotated secret propagating).
        sim.set_credentials([{"access_key_id": harness.TEST_KEY_ID, "access_key_secret": secret}])
        self.recover_and_finish(sim, d, "T-auth")
        self.assert_never_leaked(secret)

    def test_unknown_key_id_is_no_missing_task(self):
        key_id = unique("LTAIunknown")
        sim = self.simulator({"T-key": held_task()})
        d = self.daemon(sim, ["T-key"], harness.test_credentials_env(key_id=key_id))

        e = self.first_error(d, "T-key")
        self.assertEqual(e["TASKWATCH_EVENT"], "api-auth-error", e["MESSAGE"])
        self.assertEqual(e["PRIORITY"], "3")
        self.assertEqual(e["ERROR_CODE"], "InvalidAccessKeyId.NotFound")
        self.assertEqual(e["HTTP_STATUS"], "404")
        self.assertIn("check the access key id", e["MESSAGE"])
        # more 404s in a row than it takes to believe a task is gone
        self.assert_failing_quietly(sim, d, "T-key", polls=5)

        sim.set_credentials([{"access_key_id": key_id,
                              "access_key_secret": harness.TEST_KEY_SECRET}])
        self.recover_and_finish(sim, d, "T-key")
        self.assert_never_leaked(harness.TEST_KEY_SECRET)

    def test_sts_token(self):
        key_id, secret, token = "STS." + uuid.uuid4().hex, unique("sts-secret-"), unique("tok-")
        wrong_token = unique("stale-tok-")
        sim = self.simulator({"T-sts": held_task(), "T-stale": held_task()},
                             credentials=[{"access_key_id": key_id, "access_key_secret": secret,
                                           "security_token": token}])
        good = self.daemon(sim, ["T-sts"], harness.test_credentials_env(key_id, secret, token))
        stale = self.daemon(sim, ["T-stale"],
                            harness.test_credentials_env(key_id, secret, wrong_token))

        base = self.event(good, "task-baseline", "T-sts")
        self.assertEqual(base["TASK_STATE"], "running")
        e = self.first_error(stale, "T-stale")
        self.assertEqual(e["TASKWATCH_EVENT"], "api-auth-error", e["MESSAGE"])
        self.assertEqual(e["ERROR_CODE"], "InvalidSecurityToken.Expired")
        self.assert_failing_quietly(sim, stale, "T-stale")

        sim.advance("T-sts")
        self.event(good, "task-succeeded", "T-sts")
        for k in ERROR_EVENTS:
            self.assertEqual(self.count(good, k, "T-sts"), 0, k)
        self.assertTrue(good.running(), good.stderr_text())
        self.assert_never_leaked(secret, token, wrong_token)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
