#!/usr/bin/env python3
"""The real Prometheus (Debian's package) scrapes the daemon with the shipped rules loaded:
after a scenario on the simulator (a task fails, an instance fails, another task keeps
running), its query API shows the series the scenario implies and /api/v1/alerts the alerts
it implies firing, and no other."""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402
from test_metrics import free_port  # noqa: E402

PROMETHEUS = shutil.which("prometheus")
RULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "conf",
                     "taskwatchd.rules.yml")
# Short enough that the whole test stays well under a minute.
PROMETHEUS_CONFIG = """global:
  scrape_interval: 500ms
  evaluation_interval: 500ms
rule_files:
  - {rules}
scrape_configs:
  - job_name: taskwatchd
    static_configs:
      - targets: ['127.0.0.1:{daemon_port}']
"""


class Prometheus:
    """prometheus on a free loopback port, its data in a temp dir, stopped by stop()."""

    def __init__(self, tmp, daemon_port):
        self.port = free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(PROMETHEUS_CONFIG.format(rules=os.path.abspath(RULES),
                                             daemon_port=daemon_port))
        self.log = open(os.path.join(tmp, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(tmp, "prometheus-data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)
        harness.wait_until(self.ready, 30, "prometheus to be ready (log: %s)" % self.log.name)

    def get(self, path, **params):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()

    def ready(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError("prometheus exited %d:\n%s" % (self.proc.returncode, self.log.read()))
        try:
            return self.get("/-/ready")[0] == 200
        except OSError:
            return False

    def query(self, expr):
        """{labels without __name__, job, instance as a sorted tuple: value} of an instant query."""
        status, body = self.get("/api/v1/query", query=expr)
        reply = json.loads(body)
        assert reply["status"] == "success", body
        out = {}
        for r in reply["data"]["result"]:
            labels = tuple(sorted((k, v) for k, v in r["metric"].items()
                                  if k not in ("__name__", "job", "instance")))
            out[labels] = float(r["value"][1])
        return out

    def firing(self):
        """The names of the alerts firing now."""
        status, body = self.get("/api/v1/alerts")
        return sorted(a["labels"]["alertname"] for a in json.loads(body)["data"]["alerts"]
                      if a["state"] == "firing")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class RealPrometheus(harness.DaemonTestCase):
    def test_series_and_alerts_after_failures(self):
        if not PROMETHEUS:
            self.fail("prometheus not found (Debian's prometheus package; tests/install-deps.sh)")
        port = free_port()
        tasks = {"T-bad": scaleout_task([
            {"state": "running", "task_result": instances(i_1="initial", i_2="initial"),
             "hold": True},
            {"state": "failed", "task_result": instances(i_1="failed", i_2="success"),
             "error": {"code": "QuotaExceeded.ECS", "message": "ecs quota is not enough"}},
        ]), "T-ok": scaleout_task([{"state": "running"}])}
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        d = harness.Daemon(harness.daemon_binary(),
                           harness.daemon_config(sim, sorted(tasks),
                                                 extra="[Metrics]\nListen=127.0.0.1:%d\n" % port),
                           self.tmp.name, env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.event(d, "task-baseline", "T-bad")
        self.event(d, "task-baseline", "T-ok")

        prom = Prometheus(self.tmp.name, port)
        self.addCleanup(prom.stop)
        # Before the failure: scraped, both running, the failure counters at 0 and no alert.
        harness.wait_until(lambda: prom.query('taskwatch_tasks{state="running"}') ==
                   {(("source", "config"), ("state", "running"),
                     ("task_type", "nodepool_scaleout")): 2}, 20,
                   "prometheus to see both tasks running")
        self.assertEqual(prom.query('up{job="taskwatchd"}'), {(): 1})
        self.assertEqual(prom.query('taskwatch_transitions_total{event="task-failed"}'),
                         {(("event", "task-failed"),): 0})
        self.assertEqual(prom.firing(), [])

        sim.advance("T-bad")
        self.event(d, "task-failed", "T-bad")
        self.event(d, "instance-failed", "T-bad", INSTANCE_ID="i-1")

        harness.wait_until(lambda: prom.firing() == ["TaskwatchInstanceFailed", "TaskwatchTaskFailed"],
                   20, "TaskwatchTaskFailed and TaskwatchInstanceFailed to fire (firing: %s)"
                   % "see /api/v1/alerts")
        self.assertEqual(prom.query("taskwatch_tasks"), {
            (("source", "config"), ("state", "failed"), ("task_type", "nodepool_scaleout")): 1,
            (("source", "config"), ("state", "running"), ("task_type", "nodepool_scaleout")): 1,
        })
        self.assertEqual(prom.query('taskwatch_instances{phase="failed"}'), {(("phase", "failed"),): 1})
        self.assertEqual(prom.query('taskwatch_instance_failures_total'),
                         {(("task_type", "nodepool_scaleout"),): 1})
        self.assertEqual(prom.query('taskwatch_transitions_total{event="task-failed"}'),
                         {(("event", "task-failed"),): 1})
        self.assertEqual(prom.query('taskwatch_task_duration_seconds_count'),
                         {(("outcome", "failed"), ("task_type", "nodepool_scaleout")): 1})
        # only the task still running has an info series
        self.assertEqual(list(prom.query("taskwatch_task_info")),
                         [(("cluster_id", "c-test"), ("state", "running"), ("task_id", "T-ok"),
                           ("task_type", "nodepool_scaleout"))])
        # still polling T-ok: the not-polling alert's condition is false
        self.assertEqual(prom.query("time() - taskwatch_last_successful_poll_timestamp_seconds > 600"), {})
        self.assertEqual(prom.firing(), ["TaskwatchInstanceFailed", "TaskwatchTaskFailed"])


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main()
