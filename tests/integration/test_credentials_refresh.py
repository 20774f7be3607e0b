#!/usr/bin/env python3
"""Temporary credentials over time: refreshed ahead of expiry while polling goes on with
no failed request; the OIDC token file re-read at each refresh; the metadata server down
at start (backoff, events, STATUS=, recovery) and after the credentials were obtained
(refresh failures, expiry pausing the polls, recovery)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_credentials import (JWT, PROVIDER_ARN, ROLE_ARN, TASK, CredentialsTest,  # noqa: E402
                              sim_control, sim_info, write_private)

ECS_ENV = {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": None}


def seconds(span):
    """A RETRY_IN value ("1.5s", "800ms", "1min 4s") in seconds."""
    total = 0.0
    for value, unit in re.findall(r"([\d.]+)\s*(ms|min|s|h)", span):
        total += float(value) * {"ms": 0.001, "s": 1, "min": 60, "h": 3600}[unit]
    return total


class Refresh(CredentialsTest):
    def events(self, d, name):
        return self.journal.entries(TASKWATCH_EVENT=name, _PID=str(d.pid))

    def wait_events(self, d, name, n, timeout):
        """The first n events called name, waiting up to timeout seconds for them."""
        self.journal.wait_for(TASKWATCH_EVENT=name, _PID=str(d.pid), timeout=timeout,
                              predicate=lambda e: len(self.events(d, name)) >= n)
        return self.events(d, name)[:n]

    def assert_every_request_authenticated(self, sim):
        log = sim.log()
        failed = [e for e in log if e["auth"] != "ok" or e["status"] != 200]
        self.assertEqual(failed, [], "requests failed")
        return log

    def test_twenty_second_credentials_refresh_twice_while_polling(self):
        sim = self.start_sim(metadata={"role": "WatchRole"}, issuer={"lifetime_seconds": 20})
        d = self.start_daemon(sim, "Source=ecs-ram-role\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"], env=ECS_ENV)
        loaded = self.event(d, "credentials-loaded")
        self.assertIn("next refresh in", loaded["MESSAGE"])
        refreshed = self.wait_events(d, "credentials-refreshed", 2, timeout=45)
        for e in refreshed:
            self.assertEqual(e["CREDENTIALS_SOURCE"], "ecs-ram-role")
            self.assertEqual(e["PRIORITY"], "6")
        # polling went on after the second refresh, with the newest key
        before = sim.stats()["requests"]
        self.assertTrue(sim.wait_polls(TASK, sim.stats()["per_task"][TASK] + 3, timeout=10))
        log = self.assert_every_request_authenticated(sim)
        keys = [e["key"] for e in log]
        self.assertGreaterEqual(len(set(keys)), 3, "the refreshed keys were not used")
        self.assertTrue(all(k.startswith("STS.acksim-") for k in keys))
        self.assertGreater(len(log), before)
        self.assertEqual(self.events(d, "credentials-refresh-failed"), [])
        self.assertEqual(self.events(d, "credentials-expired"), [])
        self.assertEqual(self.events(d, "api-auth-error"), [])

    def test_oidc_token_file_is_read_again_at_each_refresh(self):
        sim = self.start_sim(sts={"oidc_token": JWT}, issuer={"lifetime_seconds": 15})
        token_file = write_private(os.path.join(self.dir, "jwt"), JWT)
        d = self.start_daemon(sim, "STSEndpoint=%s\n" % sim_info(sim)["sts_url"], env={
            "ALIBABA_CLOUD_ROLE_ARN": ROLE_ARN, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN": PROVIDER_ARN,
            "ALIBABA_CLOUD_OIDC_TOKEN_FILE": token_file})
        self.event(d, "credentials-loaded")
        # the kubelet rotates the token: STS now accepts only the new one
        sim_control(sim, "POST", "/_sim/sts", {"oidc_token": JWT + ".rotated"})
        write_private(token_file, JWT + ".rotated")
        self.event(d, "credentials-refreshed", timeout=30)
        self.assertEqual(self.events(d, "credentials-refresh-failed"), [])
        self.assertGreaterEqual(sim.stats()["sts"]["issued"], 2)
        self.assert_every_request_authenticated(sim)

    def test_metadata_down_at_start_backs_off_then_recovers(self):
        sim = self.start_sim(metadata={"up": False, "role": "WatchRole"})
        d = self.start_daemon(sim, "Source=ecs-ram-role\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"], env=ECS_ENV)
        d.notify.wait_for("READY=1")  # ready at once; the polls wait
        errors = self.wait_events(d, "credentials-error", 3, timeout=30)
        delays = [seconds(e["RETRY_IN"]) for e in errors]
        self.assertEqual(delays, sorted(delays), "the retries do not back off: %r" % delays)
        self.assertGreater(delays[-1], delays[0])
        for e in errors:
            self.assertEqual(e["CREDENTIALS_SOURCE"], "ecs-ram-role")
            self.assertIn("metadata server", e["MESSAGE"])
            self.assertIn("polling is paused", e["MESSAGE"])
        status = d.notify.wait_for(lambda m: "Polling paused, waiting for credentials: ecs-ram-role: "
                                   "metadata server" in m)
        self.assertIn("retrying in", status)
        self.assertEqual(sim.stats()["requests"], 0, "polled without credentials")
        self.assertGreaterEqual(sim.stats()["metadata"]["refused"], 3)

        mark = d.notify.mark()
        sim_control(sim, "POST", "/_sim/metadata", {"up": True})
        self.event(d, "credentials-loaded", timeout=30)
        self.event(d, "task-baseline", TASK_ID=TASK)
        d.notify.wait_for(lambda m: "STATUS=" in m and "waiting for credentials" not in m,
                          start=mark)
        self.assert_every_request_authenticated(sim)

    def test_expired_credentials_pause_polling_until_new_ones_arrive(self):
        sim = self.start_sim(metadata={"role": "WatchRole"}, issuer={"lifetime_seconds": 9})
        d = self.start_daemon(sim, "Source=ecs-ram-role\nMetadataURL=%s\n"
                              % sim_info(sim)["metadata_url"], env=ECS_ENV)
        self.event(d, "task-baseline", TASK_ID=TASK)
        sim_control(sim, "POST", "/_sim/metadata", {"up": False})
        failed = self.event(d, "credentials-refresh-failed", timeout=15)
        self.assertEqual(failed["PRIORITY"], "4")
        self.assertIn("stay valid until", failed["MESSAGE"])
        expired = self.event(d, "credentials-expired", timeout=20)
        self.assertEqual(expired["PRIORITY"], "3")
        d.notify.wait_for("Polling paused, waiting for credentials: credentials from "
                          "ecs-ram-role expired")
        # no request goes out with expired credentials
        polls = sim.stats()["requests"]
        self.assertFalse(sim.wait_polls(None, polls + 1, timeout=2))
        self.assert_every_request_authenticated(sim)

        sim_control(sim, "POST", "/_sim/metadata", {"up": True})
        self.event(d, "credentials-loaded", timeout=30,
                   predicate=lambda e: int(e["__REALTIME_TIMESTAMP"]) >
                   int(expired["__REALTIME_TIMESTAMP"]))
        self.assertTrue(sim.wait_polls(None, polls + 2, timeout=10))
        self.assert_every_request_authenticated(sim)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main()
