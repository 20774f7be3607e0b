#!/usr/bin/env python3
"""taskwatch get: one signed DescribeTaskInfo per task, a readable summary or the raw JSON, and
exit 0 fetched, 3 no such task, 4 configuration or credentials, 5 another API failure."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402
from test_taskwatch_wait import check_sanitizers, taskwatch_binary, taskwatch_env  # noqa: E402

RUNNING = [{"state": "running", "current_stage": "AddNodes",
            "task_result": instances(i_1="success", i_2="failed", i_3="initial"),
            "error": {"code": "QuotaExceeded.ECS", "message": "quota \u001b[31mexceeded"}}]


class Get(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.sim = harness.Simulator({"tasks": {
            "T-1": scaleout_task(RUNNING, cluster="c-one", task_type="cluster_scaleout"),
            "T-2": scaleout_task([{"state": "success", "task_result": instances(i_9="success")}]),
        }}, self.tmp.name)
        self.addCleanup(self.sim.stop)
        self.config = os.path.join(self.tmp.name, "taskwatchd.conf")
        with open(self.config, "w") as f:
            f.write(harness.daemon_config(self.sim, []))

    def get(self, *args, env=None):
        p = subprocess.run([taskwatch_binary(), "--config", self.config, "get", *args],
                           env=taskwatch_env(self.tmp.name, env), capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        check_sanitizers(self, p.stderr)
        return p

    def test_summary_shows_what_a_person_needs(self):
        p = self.get("T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        for line in ("      Task: T-1", "     State: running", "      Type: cluster_scaleout",
                     "   Cluster: c-one", "    Target: nodepool np-test", "     Stage: AddNodes",
                     " Instances: 1 succeeded, 1 failed, 1 pending", "    Failed: i-2",
                     "     Error: QuotaExceeded.ECS: quota \\x1b[31mexceeded"):
            self.assertIn(line + "\n", out)
        self.assertRegex(out, r"   Created: \S+ \((\d+s|\d+min \d+s) ago\)\n")
        self.assertNotIn("\x1b", out)  # no colour into a pipe, no escape from the API
        self.assertEqual(self.sim.stats()["per_task"]["T-1"], 1)

    def test_several_tasks_in_order(self):
        p = self.get("T-2", "T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(p.stdout.index("Task: T-2"), p.stdout.index("Task: T-1"))
        self.assertIn("\n\n", p.stdout)

    def test_json_is_the_reply(self):
        p = self.get("--json", "T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        reply = json.loads(p.stdout)
        self.assertEqual(reply["task_id"], "T-1")
        self.assertEqual(reply["state"], "running")
        self.assertEqual(reply["error"]["message"], "quota \u001b[31mexceeded")
        self.assertEqual(len(reply["task_result"]), 3)
        self.assertTrue(p.stdout.endswith("}\n"))

    def test_json_of_several_tasks_is_an_array(self):
        p = self.get("T-1", "T-2", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        replies = json.loads(p.stdout)
        self.assertEqual([r["task_id"] for r in replies], ["T-1", "T-2"])
        self.assertEqual(replies[1]["state"], "success")

    def test_missing_task_exits_3_and_the_others_are_shown(self):
        p = self.get("T-1", "T-missing", "--json")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual([r["task_id"] for r in json.loads(p.stdout)], ["T-1"])
        self.assertRegex(p.stderr, r"T-missing: no such task \(HTTP 404 ErrorTaskNotFound: .*request id \S+\)")

    def test_server_error_exits_5_and_says_which(self):
        self.sim.inject("T-2", {"fault": "error", "status": 503, "code": "ServiceUnavailable"})
        p = self.get("T-1", "T-2")
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("T-2: server error (HTTP 503 ServiceUnavailable", p.stderr)
        self.assertIn("Task: T-1", p.stdout)

    def test_throttling_exits_5_and_says_when_to_retry(self):
        self.sim.inject("T-1", {"fault": "throttle", "retry_after_ms": 1500})
        p = self.get("T-1")
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertIn("T-1: throttled (HTTP 400 Throttling.User", p.stderr)
        self.assertIn("retry after 1s 500ms", p.stderr)

    def test_refused_credentials_exit_4(self):
        p = self.get("T-1", env=harness.test_credentials_env(key_id="nobody"))
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertIn("T-1: the API refused the credentials (HTTP 404 InvalidAccessKeyId.NotFound", p.stderr)

    def test_credentials_error_outranks_not_found(self):
        self.sim.inject("*", {"fault": "error", "status": 403, "code": "Forbidden.RAM"})
        p = self.get("T-missing", "T-1")
        self.assertEqual(p.returncode, 4, p.stderr)

    def test_missing_credentials_exit_4_without_a_request(self):
        p = self.get("T-1", env={})
        self.assertEqual(p.returncode, 4)
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_SECRET", p.stderr)
        self.assertEqual(self.sim.stats()["requests"], 0)

    def test_malformed_id_exits_4_without_a_request(self):
        p = self.get("T-1", "T 2")
        self.assertEqual(p.returncode, 4)
        self.assertIn("'T 2' is not a task id", p.stderr)
        self.assertEqual(self.sim.stats()["requests"], 0)

    def test_help(self):
        p = subprocess.run([taskwatch_binary(), "get", "--help"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--json", p.stdout)
        self.assertIn("3 a task does not exist", p.stdout)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
