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
        # Issue #16 item 9: a 10-line block per task became one line per task, in order.
        p = self.get("T-2", "T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 3, p.stdout)
        self.assertRegex(lines[0], r"^TASK\s+STATE\s+TYPE\s+CLUSTER\s+OK/FAILED/PENDING\s+CREATED\s+AGE$")
        self.assertRegex(lines[1], r"^T-2\s+success\s+nodepool_scaleout\s+c-test\s+1/0/0\s+"
                                   r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\d+(s|min)( \d+s)?$")
        self.assertRegex(lines[2], r"^T-1\s+running\s+cluster_scaleout\s+c-one\s+1/1/1\s+\S+Z\s+")
        self.assertNotIn("STAGE", p.stdout)

    def test_wide_adds_the_stage_and_error(self):
        p = self.get("-o", "wide", "T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertRegex(lines[0], r"\s+AGE\s+STAGE\s+ERROR$")
        self.assertRegex(lines[1], r"^T-1\s+running\s.*\sAddNodes\s+QuotaExceeded.ECS$")
        self.assertEqual(len(lines), 2)

    def test_times_are_utc(self):
        # Issue #16 item 8: get showed the server's +08:00, progress lines UTC.
        p = self.get("T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"   Created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(")
        self.assertNotRegex(p.stdout, r"[+-]\d\d:\d\d \(")

    def test_json_lines_is_one_reply_per_line(self):
        for ids in (["T-1"], ["T-2", "T-1"]):
            p = self.get("--json-lines", *ids)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.splitlines()
            self.assertEqual([json.loads(ln)["task_id"] for ln in lines], ids)
        self.assertEqual(json.loads(lines[1])["error"]["message"], "quota \u001b[31mexceeded")

    def test_one_output_at_a_time(self):
        p = self.get("--json", "-o", "wide", "T-1")
        self.assertEqual(p.returncode, 4)
        self.assertIn("one output at a time", p.stderr)
        p = self.get("-o", "yaml", "T-1")
        self.assertEqual(p.returncode, 4)
        self.assertIn("-o yaml", p.stderr)
        self.assertEqual(self.sim.stats()["requests"], 0)

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
        # Two ids asked: the table (#16 item 9; it was T-1's block), with T-1 and not T-2.
        self.assertRegex(p.stdout, r"\nT-1\s+running\s")
        self.assertNotIn("T-2", p.stdout)

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

    def test_values_that_are_not_task_ids_are_named_whole(self):
        # Issue #16 item 7: "get not" went out, to read "task not not found" from the API.
        p = self.get("not", "c82e6987e2bd94e1a8b3e2f4c5d6a7b8e", "not a task id!")
        self.assertEqual(p.returncode, 4)
        self.assertIn("'not' is not a task id: task ids start with T-", p.stderr)
        self.assertIn("'c82e6987e2bd94e1a8b3e2f4c5d6a7b8e' is not a task id: it looks like a "
                      "cluster id", p.stderr)
        self.assertIn("'not a task id!' is not a task id", p.stderr)
        self.assertNotIn("not not found", p.stderr)
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
