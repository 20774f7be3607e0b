#!/usr/bin/env python3
"""taskwatch wait: the first terminal state of every task ends the wait at once, progress goes
to stderr, and the exit status tells 0 success, 1 failure, 2 timeout, 3 not found, 4
configuration or credentials, 6 interrupted apart."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

SUCCEED = [{"state": "running", "task_result": instances(i_1="initial"), "polls": 2},
           {"state": "success", "task_result": instances(i_1="success")}]
FAIL = [{"state": "running", "polls": 2},
        {"state": "failed", "error": {"code": "QuotaExceeded.ECS", "message": "no quota"}}]
_SCRUBBED = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", harness.NS_MARKER)


def taskwatch_binary():
    path = os.environ.get("TASKWATCH")
    if not path or not os.access(path, os.X_OK):
        sys.exit("set TASKWATCH to the taskwatch binary (got %r)" % path)
    return path


def taskwatch_env(tmpdir, env=None):
    """Ours minus ALIBABA_* and systemd's variables, a fresh HOME, then env (None removes)."""
    full = {k: v for k, v in os.environ.items()
            if not k.startswith("ALIBABA_") and k not in _SCRUBBED}
    full["HOME"] = tempfile.mkdtemp(prefix="home-", dir=tmpdir)
    full["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    for k, v in (env if env is not None else harness.test_credentials_env()).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = str(v)
    return full


def check_sanitizers(testcase, text):
    report = harness.sanitizer_report(text)
    if report:
        testcase.fail("sanitizer report from taskwatch:\n" + report)


class Wait(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def start(self, tasks, config_tasks=(), extra_config=""):
        self.sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(self.sim.stop)
        self.config = os.path.join(self.tmp.name, "taskwatchd.conf")
        with open(self.config, "w") as f:
            f.write(harness.daemon_config(self.sim, list(config_tasks), extra=extra_config))
        return self.sim

    def wait(self, *args, env=None, timeout=60, config=None):
        p = subprocess.run([taskwatch_binary(), "--config", config or self.config, "wait", *args],
                           env=taskwatch_env(self.tmp.name, env), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        check_sanitizers(self, p.stderr)
        return p

    def test_all_succeeded_exits_0_with_progress_on_stderr(self):
        self.start({"T-1": scaleout_task(SUCCEED), "T-2": scaleout_task(SUCCEED)})
        p = self.wait("T-1", "T-2")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")
        for t in ("T-1", "T-2"):
            self.assertRegex(p.stderr, r"%s: watching nodepool_scaleout on cluster c-test: running" % t)
            self.assertRegex(p.stderr, r"%s: instance i-1 succeeded" % t)
            self.assertRegex(p.stderr, r"%s: task succeeded" % t)

    def test_progress_lines_come_as_things_change(self):
        self.start({"T-1": scaleout_task([
            {"state": "running", "current_stage": "AddNodes", "task_result": instances(i_1="initial"),
             "polls": 2},
            {"state": "running", "current_stage": "DrainNodes", "task_result": instances(i_1="success"),
             "polls": 2},
            {"state": "success", "task_result": instances(i_1="success")}])})
        p = self.wait("T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stderr.splitlines()
        order = [next(i for i, l in enumerate(lines) if pat in l)
                 for pat in ("T-1: watching", "stage DrainNodes (was AddNodes)", "instance i-1 succeeded",
                             "T-1: task succeeded")]
        self.assertEqual(order[0], 0)
        self.assertLess(order[1], order[3])
        self.assertLess(order[2], order[3])

    def test_failed_task_exits_1_with_its_reason(self):
        self.start({"T-1": scaleout_task(SUCCEED), "T-2": scaleout_task(FAIL)})
        p = self.wait("T-1", "T-2")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("QuotaExceeded.ECS", p.stderr)
        self.assertIn("no quota", p.stderr)

    def test_a_failure_ends_a_multi_task_wait(self):
        # It used to run on until every task had ended, although the README said otherwise.
        self.start({"T-1": scaleout_task([{"state": "running"}]), "T-2": scaleout_task(FAIL)})
        p = self.wait("T-1", "T-2", "--timeout=30s")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertNotIn("timed out", p.stderr)
        self.assertEqual(p.stderr.splitlines()[-1], "taskwatch wait: 2 tasks: 1 failed "
                         "(T-2: QuotaExceeded.ECS), 1 not ended (T-1)")

    def test_all_waits_for_every_task_and_sums_up(self):
        self.start({"T-1": scaleout_task(SUCCEED),
                    "T-2": scaleout_task([{"state": "failed", "error": {"code": "QuotaExceeded.ECS"}}])})
        p = self.wait("--all", "T-1", "T-2")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("T-1: task succeeded", p.stderr)
        self.assertEqual(p.stderr.splitlines()[-1], "taskwatch wait: 2 tasks: 1 succeeded, 1 failed "
                         "(T-2: QuotaExceeded.ECS)")
        self.start({"T-1": scaleout_task([{"state": "success"}])})
        p = self.wait("T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.splitlines()[-1], "taskwatch wait: 1 task: 1 succeeded")

    def test_canceled_task_exits_1(self):
        self.start({"T-1": scaleout_task([{"state": "running", "polls": 1}, {"state": "canceled"}])})
        self.assertEqual(self.wait("T-1").returncode, 1)

    def test_failed_instance_of_a_successful_task_exits_1(self):
        self.start({"T-1": scaleout_task([
            {"state": "running", "polls": 1},
            {"state": "success", "task_result": instances(i_1="success", i_2="failed")}])})
        p = self.wait("T-1")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("instance i-2 failed", p.stderr)

    def test_failure_ends_the_wait_at_once(self):
        sim = self.start({"T-1": scaleout_task([{"state": "failed"}])})
        t0 = time.monotonic()
        # the configuration's MaxInterval is long: only the terminal state can end this early
        p = self.wait("T-1", "--interval=200ms", "--max-interval=1h")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(sim.stats()["per_task"]["T-1"], 1)

    def test_success_ends_the_wait_at_once(self):
        sim = self.start({"T-1": scaleout_task([{"state": "success"}])})
        t0 = time.monotonic()
        p = self.wait("T-1", "--interval=200ms", "--max-interval=1h")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(sim.stats()["per_task"]["T-1"], 1)

    def test_timeout_exits_2(self):
        self.start({"T-1": scaleout_task([{"state": "running"}])})
        p = self.wait("--timeout=1s", "T-1")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("timed out after 1s: 0 of 1 tasks ended", p.stderr)

    def test_task_not_found_exits_3(self):
        self.start({"T-1": scaleout_task(SUCCEED)})
        p = self.wait("T-1", "T-missing")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("T-missing: task not found", p.stderr)

    def test_not_found_says_the_wait_ends_when_it_does(self):
        # It said "checking again every 1s 800ms", then exited 3.
        self.start({})
        p = self.wait("T-missing")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertRegex(p.stderr, r"T-missing: task not found \(.*\); check the task id and region; "
                         r"the wait ends\n")
        self.assertNotIn("checking again", p.stderr)
        self.assertIn("1 task: 1 not found (T-missing)", p.stderr)

    def test_failure_outranks_not_found(self):
        self.start({"T-1": scaleout_task(FAIL)})
        self.assertEqual(self.wait("T-1", "T-missing").returncode, 1)

    def test_bad_config_exits_4(self):
        config = os.path.join(self.tmp.name, "bad.conf")
        with open(config, "w") as f:
            f.write("[Poll]\nMinInterval=soon\n")
        p = self.wait("T-1", config=config)
        self.assertEqual(p.returncode, 4)
        self.assertRegex(p.stderr, r"bad\.conf:2: MinInterval=soon")

    def test_missing_credentials_exit_4(self):
        sim = self.start({"T-1": scaleout_task(SUCCEED)})
        p = self.wait("T-1", env={})
        self.assertEqual(p.returncode, 4)
        self.assertIn("ALIBABA_CLOUD_ACCESS_KEY_ID", p.stderr)
        self.assertEqual(sim.stats()["requests"], 0)

    def test_refused_credentials_exit_4_at_once(self):
        self.start({"T-1": scaleout_task(SUCCEED)})
        t0 = time.monotonic()
        p = self.wait("T-1", env=harness.test_credentials_env(secret="wrong"))
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn("SignatureDoesNotMatch", p.stderr)
        self.assertIn("giving up: the API refused the credentials", p.stderr)
        # It said "retrying in 555ms" first.
        self.assertNotIn("retrying in", p.stderr)
        self.assertIn("; not retrying, the wait ends (exit status 4)", p.stderr)
        self.assertNotIn("wrong", p.stderr)  # the secret never shows

    def test_malformed_task_id_exits_4_before_any_request(self):
        sim = self.start({})
        p = self.wait("T-1", "../etc/passwd")
        self.assertEqual(p.returncode, 4)
        self.assertIn("'../etc/passwd' is not a task id", p.stderr)
        self.assertEqual(sim.stats()["requests"], 0)

    def test_bad_options_exit_4(self):
        self.start({})
        self.assertEqual(self.wait("--timeout=soon", "T-1").returncode, 4)
        self.assertEqual(self.wait().returncode, 4)
        p = self.wait("--interval=10s", "--max-interval=1s", "T-1")
        self.assertEqual(p.returncode, 4)
        self.assertIn("--max-interval=1s is shorter than the interval 10s", p.stderr)

    def test_tasks_come_from_the_command_line_not_the_config(self):
        sim = self.start({"T-1": scaleout_task(SUCCEED), "T-2": scaleout_task([{"state": "running"}])},
                         config_tasks=["T-2"])
        p = self.wait("T-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("T-2", sim.stats()["per_task"])

    def test_interrupted_wait_exits_6(self):
        sim = self.start({"T-1": scaleout_task([{"state": "running"}])})
        proc = subprocess.Popen([taskwatch_binary(), "--config", self.config, "wait", "T-1"],
                                env=taskwatch_env(self.tmp.name), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(sim.wait_polls("T-1", 1, timeout=10))
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 6, err)
        self.assertIn("interrupted by SIGINT; 0 of 1 tasks ended", err)  # was "by Interrupt"
        self.assertIn("1 task: 1 not ended (T-1)", err)
        check_sanitizers(self, err)

    def test_progress_is_coloured_on_a_terminal_like_every_command(self):
        import pty
        self.start({"T-1": scaleout_task([{"state": "failed", "error": {"code": "X"}}])})

        def stderr_on_a_terminal(env):
            master, slave = pty.openpty()
            try:
                p = subprocess.run([taskwatch_binary(), "--config", self.config, "wait", "T-1"],
                                   env=taskwatch_env(self.tmp.name, {**harness.test_credentials_env(), **env}),
                                   stdout=subprocess.PIPE, stderr=slave, timeout=60,
                                   stdin=subprocess.DEVNULL)
            finally:
                os.close(slave)
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            os.close(master)
            self.assertEqual(p.returncode, 1, out)
            return out.decode()
        self.assertRegex(stderr_on_a_terminal({"TERM": "xterm"}), r"Z \x1b\[31merror\s*\x1b\[0m T-1: task failed")
        self.assertNotIn("\x1b", stderr_on_a_terminal({"TERM": "xterm", "NO_COLOR": "1"}))
        self.assertNotIn("\x1b", self.wait("T-1").stderr)

    def test_progress_stays_out_of_the_journal(self):
        self.start({"T-1": scaleout_task([{"state": "success"}])})
        self.assertEqual(self.wait("T-1").returncode, 0)
        self.assertEqual(harness.Journal().entries(TASK_ID="T-1"), [])

    def test_help_lists_the_exit_codes(self):
        p = subprocess.run([taskwatch_binary(), "wait", "--help"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 0)
        for text in ("--timeout", "--interval", "--max-interval", "0 every task succeeded",
                     "1 a task or instance failed", "2", "3 a task does not exist", "4 configuration"):
            self.assertIn(text, p.stdout)
        p2 = subprocess.run([taskwatch_binary(), "help", "wait"], capture_output=True, text=True,
                            timeout=10)
        self.assertEqual(p2.stdout, p.stdout)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
