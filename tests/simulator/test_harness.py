# Self-check of tests/integration/harness.py: private journald, NotifySocket, Simulator, Daemon.
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import acsv3  # noqa: E402
import harness  # noqa: E402

# a stand-in daemon: reports through sd_notify, dumps its argv/env, exits 3 on SIGTERM
FAKE_DAEMON = r"""#!/bin/sh
printf '%s\n' "$@" > "$0.argv"
env > "$0.env"
echo "fake starting" >&2
trap 'systemd-notify --no-block --pid=$$ STOPPING=1; exit 3' TERM
systemd-notify --no-block --pid=$$ --ready --status="watching 0 tasks"
while :; do sleep 0.05; done
"""


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="harness-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class TestNamespace(Base):
    def test_run_is_private_tmpfs(self):
        self.assertNotEqual(os.readlink("/proc/self/ns/mnt"), os.environ[harness.NS_MARKER])
        with open("/proc/self/mounts") as f:
            mounts = [line.split() for line in f]
        self.assertIn(("/run", "tmpfs"), [(m[1], m[2]) for m in mounts])
        self.assertTrue(os.path.exists(harness.JOURNAL_SOCKET))


class TestJournal(Base):
    def test_finds_existing_entry(self):
        tag = "harness-%d" % os.getpid()
        subprocess.run(["logger", "--journald"], check=True, timeout=10,
                       input="MESSAGE=hello from logger\nHARNESS_TAG=%s\n" % tag, text=True)
        entry = harness.Journal().wait_for(HARNESS_TAG=tag, timeout=10)
        self.assertEqual(entry["MESSAGE"], "hello from logger")
        self.assertEqual(len(harness.Journal().entries(HARNESS_TAG=tag)), 1)

    def test_waits_for_new_entry(self):
        ident = "harness-cat-%d" % os.getpid()
        timer = threading.Timer(0.3, lambda: subprocess.run(
            ["systemd-cat", "-t", ident], input=b"later line\n", timeout=10))
        timer.start()
        try:
            entry = harness.Journal().wait_for(SYSLOG_IDENTIFIER=ident, timeout=10)
        finally:
            timer.join(10)
        self.assertEqual(entry["MESSAGE"], "later line")

    def test_predicate_and_timeout(self):
        j = harness.Journal()
        with self.assertRaises(TimeoutError):
            j.wait_for(HARNESS_TAG="never-written", timeout=0.3)
        tag = "harness-pred-%d" % os.getpid()
        for i in range(3):
            subprocess.run(["logger", "--journald"], check=True, timeout=10,
                           input="MESSAGE=n%d\nHARNESS_TAG=%s\n" % (i, tag), text=True)
        entry = j.wait_for(HARNESS_TAG=tag, predicate=lambda e: e["MESSAGE"] == "n2")
        self.assertEqual(entry["MESSAGE"], "n2")
        j.sync()


class TestNotifySocket(Base):
    def test_systemd_notify(self):
        with harness.NotifySocket(self.tmp) as ns:
            env = dict(os.environ, NOTIFY_SOCKET=ns.path)
            # --no-block: otherwise systemd-notify waits for a BARRIER=1 fd to be closed
            subprocess.run(["systemd-notify", "--no-block", "--pid=%d" % os.getpid(), "--ready",
                            "--status=hello there"], env=env, check=True, timeout=10)
            msg = ns.wait_for("READY=1", timeout=5)
            self.assertIn("STATUS=hello there", msg)
            self.assertEqual(ns.statuses(), ["hello there"])

    def test_python_sendto_and_start_index(self):
        import socket
        with harness.NotifySocket(self.tmp) as ns:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(b"STATUS=one", ns.path)
            self.assertEqual(ns.wait_for("STATUS=", timeout=5), "STATUS=one")
            mark = ns.mark()
            s.sendto(b"STATUS=two", ns.path)
            self.assertEqual(ns.wait_for("STATUS=", timeout=5, start=mark), "STATUS=two")
            self.assertEqual(ns.senders[-1], os.getpid())
            with self.assertRaises(TimeoutError):
                ns.wait_for(lambda m: "STOPPING" in m, timeout=0.2)
            s.close()


class TestSimulator(Base):
    def test_lifecycle_and_control(self):
        scenario = {"tasks": {"T-1": {"timeline": [{"state": "running", "hold": True},
                                                   {"state": "success"}]}}}
        with harness.Simulator(scenario, self.tmp) as sim:
            self.assertTrue(sim.url.startswith("https://127.0.0.1:"))
            self.assertFalse(sim.wait_polls("T-1", polls=1, timeout=0.2))
            import http.client
            import ssl
            ctx = ssl.create_default_context(cafile=sim.ca)
            conn = http.client.HTTPSConnection("127.0.0.1", sim.port, context=ctx, timeout=10)

            def poll():
                path, headers, _ = acsv3.describe_task_headers(
                    "127.0.0.1:%d" % sim.port, "T-1", harness.TEST_KEY_ID,
                    harness.TEST_KEY_SECRET)
                conn.request("GET", path, headers=headers)
                r = conn.getresponse()
                return r.status, json.loads(r.read())
            self.assertEqual(poll()[1]["state"], "running")
            self.assertTrue(sim.wait_polls("T-1", polls=1, timeout=5))
            self.assertEqual(sim.advance("T-1"), "released")
            self.assertEqual(poll()[1]["state"], "success")
            self.assertTrue(sim.wait_step("T-1", 1, timeout=5))
            sim.inject("T-1", {"fault": "throttle"}, count=1)
            self.assertEqual(poll()[0], 400)
            sim.add_tasks({"T-2": {"timeline": [{"state": "failed"}]}})
            s = sim.stats()
            self.assertEqual((s["requests"], s["connections"], s["handshakes"]), (3, 1, 1))
            self.assertEqual(sim.log()[-1]["fault"], "throttle")
            conn.close()
        self.assertIsNotNone(sim.proc.returncode)


class TestDaemon(Base):
    def test_env_args_notify_stop(self):
        binary = os.path.join(self.tmp, "fake-daemon")
        with open(binary, "w") as f:
            f.write(FAKE_DAEMON)
        os.chmod(binary, 0o755)
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"] = "leaked"
        try:
            d = harness.Daemon(binary, "[main]\n", self.tmp, env={"EXTRA": "1"},
                               args=("--foreground",))
        finally:
            del os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"]
        with d:
            self.assertIn("READY=1", d.notify.wait_for("READY=1", timeout=10))
            self.assertEqual(d.notify.statuses(), ["watching 0 tasks"])
            self.assertEqual(d.stop(timeout=10), 3)
            d.notify.wait_for("STOPPING=1", timeout=5)
        with open(binary + ".argv") as f:
            self.assertEqual(f.read().split(), ["--config", d.config_path, "--foreground"])
        with open(d.config_path) as f:
            self.assertEqual(f.read(), "[main]\n")
        with open(binary + ".env") as f:
            env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        self.assertNotIn("ALIBABA_CLOUD_ACCESS_KEY_ID", env)
        self.assertEqual(env["EXTRA"], "1")
        self.assertEqual(env["NOTIFY_SOCKET"], d.notify.path)
        self.assertIn("fake starting", d.stderr_text())

    def test_context_manager_kills(self):
        binary = os.path.join(self.tmp, "sleeper")
        with open(binary, "w") as f:
            f.write("#!/bin/sh\ntrap '' TERM\nexec sleep 60\n")
        os.chmod(binary, 0o755)
        with harness.Daemon(binary, "", self.tmp) as d:
            with self.assertRaises(subprocess.TimeoutExpired):
                d.wait(timeout=0.2)
        self.assertEqual(d.proc.returncode, -signal.SIGKILL)


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (unshare --mount, journald)")
        sys.exit(77)
    harness.enter_private_namespace()
    unittest.main()
