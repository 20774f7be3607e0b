#!/usr/bin/env python3
"""[Metrics] Listen=: a live scrape that `promtool check metrics` accepts, with the values a
scenario implies (a task fails, an instance fails, hooks run, the API throttles once);
OpenMetrics on request; /healthz; 404, 405 and oversized requests; failing polls counted;
Listen= changed by a reload, a reload whose bind fails keeping the old listener, turned off;
a unix socket removed at exit; the socket systemd passes (systemd-socket-activate);
--check-config showing Listen= and naming a bad one with file:line."""
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

PROMTOOL = shutil.which("promtool")
# OpenMetrics has no promtool check; python3-prometheus-client's parser is strict. It is a
# Debian package, so Debian's python3 runs it, whichever python3 runs the tests.
OPENMETRICS_CHECK = """
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
families = list(text_string_to_metric_families(sys.stdin.read()))
print(" ".join(sorted(f.name for f in families)))
"""
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def free_port():
    """A loopback port nothing listens on now (bound and released: the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method="GET", path="/metrics", headers=None, timeout=10):
    """(status, headers dict with lower-case names, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        c.close()


def samples(text):
    """{(name, labels text): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


class Metrics(harness.DaemonTestCase):
    def start_with(self, tasks, extra, env=None):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        full_env = harness.test_credentials_env()
        full_env.update(env or {})
        d = harness.Daemon(harness.daemon_binary(),
                           harness.daemon_config(sim, sorted(tasks), extra=extra),
                           self.tmp.name, env=full_env)
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return sim, d

    def check_with_promtool(self, text):
        if not PROMTOOL:
            self.fail("promtool not found (Debian's prometheus package; tests/install-deps.sh)")
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, "promtool check metrics:\n%s%s\n--- scrape:\n%s"
                         % (p.stdout, p.stderr, text))

    def check_openmetrics(self, text):
        """The family names the parser found, once it accepted text."""
        p = subprocess.run(["/usr/bin/python3", "-c", OPENMETRICS_CHECK], input=text,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, "the OpenMetrics parser refused the scrape:\n%s\n"
                         "--- scrape:\n%s" % (p.stderr, text))
        return p.stdout.split()

    def test_scrape_after_a_failed_task(self):
        port = free_port()
        tasks = {"T-bad": scaleout_task([
            {"state": "running", "task_result": instances(i_1="initial", i_2="initial"),
             "hold": True},
            {"state": "failed", "task_result": instances(i_1="failed", i_2="success"),
             "error": {"code": "QuotaExceeded.ECS", "message": "ecs quota is not enough"}},
        ]), "T-ok": scaleout_task([{"state": "running"}])}
        # created 45 minutes ago: its duration falls between the 1800 s and 3600 s buckets
        tasks["T-bad"]["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                  time.gmtime(time.time() - 45 * 60))
        sim, d = self.start_with(tasks, "[Hooks]\nOnTaskFailed=/bin/true\nOnInstanceFailed=/bin/false\n"
                                 "[Metrics]\nListen=127.0.0.1:%d\n" % port)
        self.event(d, "task-baseline", "T-bad")
        sim.inject("T-ok", {"fault": "throttle"}, count=1)
        sim.advance("T-bad")
        self.event(d, "task-failed", "T-bad")
        self.event(d, "instance-failed", "T-bad", INSTANCE_ID="i-1")
        self.event(d, "hook-finished", "T-bad")
        self.event(d, "hook-failed", "T-bad")
        self.journal.wait_for(TASKWATCH_EVENT="api-throttled", TASK_ID="T-ok", _PID=str(d.pid),
                              timeout=15)

        status, headers, text = request(port)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        self.check_with_promtool(text)
        s = samples(text)
        self.assertEqual(s[("taskwatch_transitions_total", '{event="task-failed"}')], 1)
        self.assertEqual(s[("taskwatch_transitions_total", '{event="instance-failed"}')], 1)
        self.assertEqual(s[("taskwatch_transitions_total", '{event="task-baseline"}')], 2)
        self.assertEqual(s[("taskwatch_transitions_total", '{event="api-throttled"}')], 1)
        self.assertNotIn(("taskwatch_transitions_total", '{event="task-succeeded"}'), s)
        self.assertEqual(s[("taskwatch_hooks_total", '{hook="OnTaskFailed",result="succeeded"}')], 1)
        self.assertEqual(s[("taskwatch_hooks_total", '{hook="OnInstanceFailed",result="failed"}')], 1)
        self.assertEqual(s[("taskwatch_build_info", '{version="0.1.0"}')], 1)
        self.assertEqual(s[("taskwatch_credentials_expiry_timestamp_seconds",
                            '{source="environment"}')], float("inf"))
        ok = s[("taskwatch_api_requests_total", '{api="DescribeTaskInfo",outcome="ok",code="none"}')]
        throttled = s[("taskwatch_api_requests_total",
                       '{api="DescribeTaskInfo",outcome="throttled",code="Throttling.User"}')]
        self.assertGreaterEqual(ok, 3)
        self.assertEqual(throttled, 1)
        calls = sum(v for (n, _), v in s.items() if n == "taskwatch_api_requests_total")
        self.assertEqual(s[("taskwatch_api_request_duration_seconds_count",
                            '{api="DescribeTaskInfo"}')], calls)
        self.assertEqual(s[("taskwatch_api_request_duration_seconds_bucket",
                            '{api="DescribeTaskInfo",le="+Inf"}')], calls)
        # the watcher's state: T-bad failed, T-ok runs (and alone has a task_info series)
        self.assertEqual(s[("taskwatch_tasks", '{state="failed",task_type="nodepool_scaleout",'
                            'source="config"}')], 1)
        self.assertEqual(s[("taskwatch_tasks", '{state="running",task_type="nodepool_scaleout",'
                            'source="config"}')], 1)
        self.assertEqual(sum(v for (n, _), v in s.items() if n == "taskwatch_tasks"), 2)
        self.assertEqual(s[("taskwatch_task_info", '{task_id="T-ok",task_type="nodepool_scaleout",'
                            'cluster_id="c-test",state="running"}')], 1)
        self.assertEqual([k for k in s if k[0] == "taskwatch_task_info" and "T-bad" in k[1]], [])
        self.assertEqual(s[("taskwatch_instances", '{phase="failed"}')], 1)
        self.assertEqual(s[("taskwatch_instances", '{phase="succeeded"}')], 1)
        self.assertEqual(s[("taskwatch_instances", '{phase="pending"}')], 0)
        self.assertEqual(s[("taskwatch_instance_failures_total",
                            '{task_type="nodepool_scaleout"}')], 1)
        duration = '{task_type="nodepool_scaleout",outcome="failed"'
        self.assertEqual(s[("taskwatch_task_duration_seconds_count", duration + "}")], 1)
        self.assertEqual(s[("taskwatch_task_duration_seconds_bucket", duration + ',le="1800"}')], 0)
        self.assertEqual(s[("taskwatch_task_duration_seconds_bucket", duration + ',le="3600"}')], 1)
        self.assertGreater(s[("taskwatch_task_duration_seconds_sum", duration + "}")], 45 * 60 - 1)
        self.assertEqual(s[("taskwatch_api_throttled_total", "")], 1)
        # one throttled reply halves the budget's rate at most once
        budget = s[("taskwatch_api_budget_requests_per_second", "")]
        self.assertGreater(budget, 0)
        last = s[("taskwatch_last_successful_poll_timestamp_seconds", "")]
        self.assertLess(abs(time.time() - last), 60)
        # no secret, signature or token anywhere in a scrape
        for secret in (harness.TEST_KEY_SECRET, "Signature", "x-acs-", "Authorization"):
            self.assertNotIn(secret, text)

        status, headers, om = request(port, headers={
            "Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/openmetrics-text"))
        self.assertTrue(om.endswith("# EOF\n"))
        self.assertIn("taskwatch_transitions", self.check_openmetrics(om))
        self.assertIn("# TYPE taskwatch_transitions counter\n", om)
        self.assertIn('taskwatch_transitions_created{event="task-failed"}', om)
        self.assertIn("# UNIT taskwatch_api_request_duration_seconds seconds\n", om)
        self.assertIn('le="1.0"', om)

    def test_http_behaviour(self):
        port = free_port()
        sim, d = self.start_with({"T-1": scaleout_task([{"state": "running"}])},
                                 "[Metrics]\nListen=127.0.0.1:%d\n" % port)
        self.event(d, "task-baseline", "T-1")
        status, _, body = request(port, path="/healthz")
        self.assertEqual((status, body), (200, "ok\n"))
        status, headers, body = request(port, method="HEAD")
        self.assertEqual((status, body), (200, ""))
        self.assertEqual(request(port, path="/")[0], 404)
        self.assertEqual(request(port, path="/metricsx")[0], 404)
        status, headers, _ = request(port, method="POST", headers={"Content-Length": "0"})
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, HEAD")
        self.assertEqual(request(port, method="PUT", path="/healthz")[0], 405)
        # a request whose headers pass the per-connection memory limit
        status, _, body = request(port, headers={"X-Big": "a" * 65536})
        self.assertIn(status, (413, 431))
        self.assertNotIn("taskwatch_", body)
        status, _, body = request(port, path="/metrics?" + "a" * 32768)
        self.assertEqual(status, 414)
        self.assertNotIn("taskwatch_", body)
        self.assertEqual(request(port)[0], 200)
        self.assertTrue(d.running())

    def test_failed_polls_leave_the_last_successful_poll(self):
        # /healthz turns 503 only after 5 minutes at least (the unit test of the server
        # checks it on a made-up clock); here: failing polls are counted by code and do not
        # move the timestamp the health check and the DaemonNotPolling alert read.
        port = free_port()
        sim, d = self.start_with({"T-1": scaleout_task([{"state": "running"}])},
                                 "[Metrics]\nListen=127.0.0.1:%d\n" % port)
        self.event(d, "task-baseline", "T-1")
        sim.inject("T-1", {"fault": "error", "status": 503, "code": "ServiceUnavailable"},
                   count=100000)
        first = self.journal.wait_for(TASKWATCH_EVENT="api-server-error", TASK_ID="T-1",
                                      _PID=str(d.pid), timeout=15)
        self.assertTrue(first)
        s1 = samples(request(port)[2])
        before = s1[("taskwatch_last_successful_poll_timestamp_seconds", "")]
        harness.wait_until(lambda: samples(request(port)[2]).get(
            ("taskwatch_api_requests_total",
             '{api="DescribeTaskInfo",outcome="server-error",code="ServiceUnavailable"}'), 0) >= 3,
            15, "three failed polls counted")
        s2 = samples(request(port)[2])
        self.assertEqual(s2[("taskwatch_last_successful_poll_timestamp_seconds", "")], before)

    def test_reload_moves_the_listener_and_a_failed_bind_keeps_it(self):
        port, port2 = free_port(), free_port()
        sim = harness.Simulator({"tasks": {"T-1": scaleout_task([{"state": "running"}])}},
                                self.tmp.name)
        self.addCleanup(sim.stop)
        conf = harness.daemon_config(sim, ["T-1"], extra="[Metrics]\nListen=127.0.0.1:%d\n" % port)
        d = harness.Daemon(harness.daemon_binary(), conf, self.tmp.name,
                           env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.assertEqual(request(port)[0], 200)

        with open(d.config_path, "w") as f:
            f.write(conf.replace(str(port), str(port2)))
        mark = d.notify.mark()
        d.reload()
        self.journal.wait_for(TASKWATCH_EVENT="config-reloaded", _PID=str(d.pid), timeout=15)
        d.notify.wait_for("READY=1", start=mark)
        self.assertEqual(request(port2)[0], 200)
        with self.assertRaises(ConnectionRefusedError):
            request(port)

        # a port someone else holds: the reload is refused, the old listener stays
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        with open(d.config_path, "w") as f:
            f.write(conf.replace(str(port), str(blocker.getsockname()[1])))
        d.reload()
        e = self.journal.wait_for(TASKWATCH_EVENT="config-reload-failed", _PID=str(d.pid),
                                  timeout=15)
        self.assertIn("[Metrics] Listen=127.0.0.1:%d: cannot listen there" % blocker.getsockname()[1],
                      e["MESSAGE"])
        self.assertEqual(request(port2)[0], 200)

        # turned off
        with open(d.config_path, "w") as f:
            f.write(harness.daemon_config(sim, ["T-1"]))
        mark = d.notify.mark()
        d.reload()
        d.notify.wait_for("READY=1", start=mark)
        harness.wait_until(lambda: self._refused(port2), 10, "the listener to close")

    @staticmethod
    def _refused(port):
        try:
            request(port)
        except ConnectionRefusedError:
            return True
        return False

    def test_unix_socket(self):
        path = os.path.join(self.tmp.name, "metrics.sock")
        sim, d = self.start_with({"T-1": scaleout_task([{"state": "running"}])},
                                 "[Metrics]\nListen=%s\n" % path)
        self.event(d, "task-baseline", "T-1")
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(path)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        self.assertIn(b'taskwatch_transitions_total{event="task-baseline"} 1', data)
        d.stop()
        self.assertFalse(os.path.exists(path))

    def test_socket_passed_by_systemd(self):
        activate = shutil.which("systemd-socket-activate")
        if not activate:
            self.skipTest("systemd-socket-activate not found")
        port = free_port()
        sim = harness.Simulator({"tasks": {"T-1": scaleout_task([{"state": "running"}])}},
                                self.tmp.name)
        self.addCleanup(sim.stop)
        # Listen= names another port: the passed socket wins.
        conf = harness.daemon_config(sim, ["T-1"], extra="[Metrics]\nListen=127.0.0.1:%d\n"
                                     % free_port())
        conf_path = os.path.join(self.tmp.name, "activated.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        env = dict(harness.test_credentials_env(), NOTIFY_SOCKET=notify.path,
                   HOME=self.tmp.name, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
        for k in ("TASKWATCHD_ALLOW_PLAIN_HTTP",):
            if k in os.environ:
                env[k] = os.environ[k]
        # systemd-socket-activate passes only the variables named with -E.
        argv = [activate, "-l", "127.0.0.1:%d" % port, "--fdname=metrics"]
        for k in env:
            argv += ["-E", k]
        argv += [harness.daemon_binary(), "--config", conf_path]
        full = dict(os.environ, **env)
        p = subprocess.Popen(argv, env=full, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (p.poll() is None and p.terminate(), p.wait(10), p.stderr.close()))
        # The first connection starts it (the tool execs the daemon then) and is served.
        harness.wait_until(lambda: self._connects(port), 10, "systemd-socket-activate to listen")
        status, _, text = request(port, timeout=20)
        self.assertEqual(status, 200)
        self.assertIn("taskwatch_build_info", text)
        notify.wait_for("READY=1")

    def test_check_config_shows_listen_and_names_a_bad_one(self):
        def run(text):
            path = os.path.join(self.tmp.name, "check.conf")
            with open(path, "w") as f:
                f.write("[API]\nEndpoint=https://127.0.0.1:8443\n[Tasks]\nTask=T-1\n" + text)
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("ALIBABA_") and k not in harness._SCRUBBED_ENV
                   and k != harness.NS_MARKER}
            env.update(harness.test_credentials_env(), HOME=self.tmp.name,
                       ALIBABA_CLOUD_ECS_METADATA_DISABLED="true")
            # --offline: nothing answers at the endpoint; the settings are what is checked.
            p = subprocess.run([harness.daemon_binary(), "--config", path, "--check-config",
                                "--offline"],
                               env=env, capture_output=True, text=True, timeout=30)
            return p.returncode, p.stdout, p.stderr, path

        code, out, _, _ = run("[Metrics]\nListen=[::1]:9732\n")
        self.assertEqual(code, 0)
        self.assertIn("\n[Metrics]\nListen=[::1]:9732\n", out)
        code, out, err, path = run("\n[Metrics]\nListen=localhost:9732\n")
        self.assertEqual(code, 4)
        self.assertIn("%s:7: Listen=localhost:9732: not a numeric IPv4 address" % path, err)

    @staticmethod
    def _connects(port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            return True
        except OSError:
            return False


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main()
