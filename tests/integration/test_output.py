#!/usr/bin/env python3
"""Where events go: always to the journal; also as a readable line on stderr, unless stderr
is the journal itself ($JOURNAL_STREAM names stderr's device:inode, as systemd sets it)."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (error|warning|notice|info) +(\S.*)$")
PRIORITY_NAME = {"3": "error", "4": "warning", "5": "notice", "6": "info"}
ERROR = {"code": "QuotaExceeded.ECS", "message": "ecs quota is not enough"}


def failing_task():
    return scaleout_task([
        {"state": "running", "task_result": instances(i_1="initial"), "hold": True},
        {"state": "failed", "task_result": instances(i_1="failed"), "error": ERROR},
    ])


class Output(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.sim = harness.Simulator({"tasks": {"T-out": failing_task()}}, self.tmp.name)
        self.addCleanup(self.sim.stop)
        self.config = harness.daemon_config(self.sim, ["T-out"])

    def event(self, pid, name, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, _PID=str(pid), timeout=15, **fields)

    def run_to_failure(self, pid):
        """Baseline, then the failure, both in the journal."""
        self.event(pid, "task-baseline", TASK_ID="T-out")
        self.sim.advance("T-out")
        return self.event(pid, "task-failed", TASK_ID="T-out")

    def journal_events(self, pid):
        return [e for e in self.journal.entries(_PID=str(pid)) if "TASKWATCH_EVENT" in e]

    def spawn(self, stderr_path, env):
        """The daemon started by hand: harness.Daemon opens its stderr file itself, after the
        environment is fixed, so a test cannot give it $JOURNAL_STREAM naming that file."""
        notify = harness.NotifySocket(self.tmp.name)
        self.addCleanup(notify.close)
        home = os.path.join(self.tmp.name, "home")
        os.makedirs(home, exist_ok=True)
        full = {k: v for k, v in os.environ.items()
                if not k.startswith("ALIBABA_") and k not in harness._SCRUBBED_ENV
                and k != harness.NS_MARKER}
        full.update(HOME=home, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true",
                    NOTIFY_SOCKET=notify.path, **harness.test_credentials_env(), **env)
        config_path = os.path.join(self.tmp.name, "by-hand.conf")
        with open(config_path, "w") as f:
            f.write(self.config)
        with open(stderr_path, "a") as err:
            proc = subprocess.Popen([harness.daemon_binary(), "--config", config_path], env=full,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, preexec_fn=harness._pdeathsig(signal.SIGKILL))

        def kill():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.addCleanup(kill)
        notify.wait_for("READY=1")
        return proc

    @staticmethod
    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        return proc.wait(10)

    def test_stderr_file_gets_a_line_per_event_and_the_journal_the_entries(self):
        d = harness.Daemon(harness.daemon_binary(), self.config, self.tmp.name,
                           env=harness.test_credentials_env())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        failed = self.run_to_failure(d.pid)
        self.event(d.pid, "instance-failed", INSTANCE_ID="i-1")
        self.assertEqual(d.stop(), 0)  # after exit, every line is written

        lines = d.stderr_text().splitlines()
        parsed = [LINE.match(line) for line in lines]
        self.assertTrue(all(parsed), "not an event line: %r" % [ln for ln, m in zip(lines, parsed)
                                                                 if not m])
        # One line per journal entry, same order, same text, same severity.
        entries = self.journal_events(d.pid)
        self.assertEqual([m.group(3) for m in parsed], [e["MESSAGE"] for e in entries])
        self.assertEqual([m.group(2) for m in parsed],
                         [PRIORITY_NAME[e["PRIORITY"]] for e in entries])
        kinds = [e["TASKWATCH_EVENT"] for e in entries]
        for kind in ("daemon-started", "task-baseline", "task-failed", "instance-failed",
                     "daemon-stopping"):
            self.assertIn(kind, kinds)

        fail_line = [m for m in parsed if m.group(3) == failed["MESSAGE"]][0]
        self.assertEqual(fail_line.group(2), "error")
        self.assertIn("T-out", fail_line.group(3))
        self.assertIn("QuotaExceeded.ECS", fail_line.group(3))
        self.assertIn("ecs quota is not enough", fail_line.group(3))

    def test_no_lines_when_stderr_is_the_journal_stream(self):
        stderr_path = os.path.join(self.tmp.name, "stderr-is-journal")
        open(stderr_path, "w").close()
        st = os.stat(stderr_path)
        proc = self.spawn(stderr_path, {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
        failed = self.run_to_failure(proc.pid)
        self.assertEqual(failed["ERROR_CODE"], "QuotaExceeded.ECS")
        self.assertEqual(self.stop(proc), 0)

        with open(stderr_path) as f:
            self.assertEqual(f.read(), "", "event lines written to the journal stream")
        kinds = [e["TASKWATCH_EVENT"] for e in self.journal_events(proc.pid)]
        for kind in ("daemon-started", "task-baseline", "task-failed", "daemon-stopping"):
            self.assertIn(kind, kinds)

    def test_journal_stream_of_another_file_does_not_silence_stderr(self):
        other = os.path.join(self.tmp.name, "some-other-file")
        open(other, "w").close()
        st = os.stat(other)
        stderr_path = os.path.join(self.tmp.name, "stderr-is-a-file")
        proc = self.spawn(stderr_path, {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)})
        failed = self.run_to_failure(proc.pid)
        self.assertEqual(self.stop(proc), 0)
        with open(stderr_path) as f:
            text = f.read()
        self.assertIn(failed["MESSAGE"], text)
        self.assertIn("QuotaExceeded.ECS: ecs quota is not enough", text)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
