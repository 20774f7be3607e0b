#!/usr/bin/env python3
"""taskwatch status: one line (or JSON object) per task from the daemon's saved state
(<state dir>/tasks/<id>.json, format version 1 of include/watch/task-store.h), joined with the
configuration: configured tasks without state yet, and saved ones no longer configured."""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_taskwatch_wait import check_sanitizers, taskwatch_binary, taskwatch_env  # noqa: E402

PID_FILE = "/run/taskwatchd/taskwatchd.pid"
NOW_USEC = int(time.time() * 1e6)
UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"  # how every table writes a time


def rfc3339_usec(text):
    """"2026-12-04T03:51:05.123456Z" (what status --json and status.json write) -> epoch usec."""
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return (int(d.replace(microsecond=0).timestamp()) * 10**6) + d.microsecond


def record(task_id, state=None, instances=(), error=None, last_error=None, lost=False, ago=65):
    r = {"version": 1, "task_id": task_id, "have_baseline": state is not None, "lost": lost,
         "first_seen_usec": NOW_USEC - 3600 * 10**6, "last_poll_usec": NOW_USEC - ago * 10**6,
         "state_since_usec": NOW_USEC - 600 * 10**6 if state is not None else 0,
         "last_error": last_error, "hooks_done": []}
    if state is not None:
        r["snapshot"] = {"state": state, "stage": "AddNodes", "cluster_id": "c-1",
                         "task_type": "nodepool_scaleout",
                         "error_code": error[0] if error else None,
                         "error_message": error[1] if error else None,
                         "instances": [{"id": i, "status": s} for i, s in instances]}
    return r


class Status(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.state = os.path.join(self.tmp.name, "state")
        self.tasks = os.path.join(self.state, "tasks")
        os.makedirs(self.tasks, mode=0o700)
        self.config = os.path.join(self.tmp.name, "taskwatchd.conf")
        with open(self.config, "w") as f:
            f.write("[Tasks]\nTask=T-1 T-2 T-new\n")

    def save(self, rec):
        with open(os.path.join(self.tasks, rec["task_id"] + ".json"), "w") as f:
            json.dump(rec, f)

    def status(self, *args, state_dir=True, env=None):
        p = subprocess.run([taskwatch_binary(), "--config", self.config, "status",
                            *(("--state-dir", self.state) if state_dir else ()), *args],
                           env=taskwatch_env(self.tmp.name, {**harness.test_credentials_env(), **(env or {})}),
                           capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        check_sanitizers(self, p.stderr)
        return p

    def saved_state(self):
        self.save(record("T-1", "running", [("i-1", "success"), ("i-2", "initial"), ("i-3", "initial")]))
        self.save(record("T-2", "failed", [("i-4", "failed")], error=("QuotaExceeded.ECS", "no quota")))
        self.save(record("T-old", "success", ago=7200))

    def test_one_line_per_task(self):
        self.saved_state()
        p = self.status()
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertIn("No running taskwatchd found", lines[0])
        self.assertRegex(lines[1], r"^TASK\s+STATE\s+SINCE\s+LAST POLL\s+NEXT POLL\s+OK/FAILED/PENDING\s+LAST ERROR$")
        rows = {l.split()[0]: l for l in lines[2:]}
        self.assertEqual(sorted(rows), ["T-1", "T-2", "T-new", "T-old"])
        # No daemon runs: nobody knows the next poll ("-").
        # Issue #16 item 8: times were ages only; now RFC 3339 in UTC with the age beside.
        self.assertRegex(rows["T-1"], r"^T-1\s+running\s+%s \(10min( \d+s)? ago\)\s+%s \(1min \d+s ago\)\s+-\s+1/0/2\s+-$" % (UTC, UTC))
        self.assertRegex(rows["T-2"], r"^T-2\s+failed\s+%s \(10min( \d+s)? ago\)\s+%s \(1min \d+s ago\)\s+-\s+0/1/0\s+QuotaExceeded.ECS$" % (UTC, UTC))
        self.assertRegex(rows["T-new"], r"^T-new\s+new\s+-\s+never\s+-\s+-\s+-$")
        self.assertRegex(rows["T-old"], r"^T-old\s+success\s+%s \(10min( \d+s)? ago\)\s+%s \(2h( \d+s)? ago\)\s+-\s+0/0/0\s+- \(no longer configured\)$" % (UTC, UTC))

    def test_json(self):
        self.saved_state()
        p = self.status("--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertIsNone(doc["daemon_pid"])
        by_id = {t["task_id"]: t for t in doc["tasks"]}
        self.assertEqual(by_id["T-1"]["state"], "running")
        self.assertEqual(by_id["T-1"]["phase"], "running")
        self.assertEqual(by_id["T-1"]["instances"], {"succeeded": 1, "failed": 0, "pending": 2})
        self.assertEqual(by_id["T-2"]["phase"], "failed")
        self.assertEqual(by_id["T-2"]["error_code"], "QuotaExceeded.ECS")
        self.assertEqual(by_id["T-2"]["error_message"], "no quota")
        self.assertFalse(by_id["T-old"]["configured"])
        self.assertFalse(by_id["T-new"]["have_baseline"])
        # Issue #16 item 8: the table's words (a new task was null), RFC 3339 times in UTC
        # (were epoch *_usec), null for unknown (was 0).
        self.assertEqual(by_id["T-new"]["state"], "new")
        self.assertEqual(rfc3339_usec(by_id["T-1"]["last_poll"]), NOW_USEC - 65 * 10**6)
        self.assertRegex(by_id["T-1"]["last_poll"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        self.assertIsNone(by_id["T-new"]["last_poll"])
        self.assertIsNone(by_id["T-new"]["first_seen"])
        self.assertIsNone(by_id["T-1"]["next_poll"])  # no daemon runs
        self.assertFalse([k for t in doc["tasks"] for k in t if k.endswith("_usec")])

    def test_json_says_not_found_like_the_table(self):
        # Issue #16 item 8: the table said not-found, the JSON "lost".
        self.save(record("T-2", "running", lost=True))
        doc = json.loads(self.status("--json").stdout)
        t2 = [t for t in doc["tasks"] if t["task_id"] == "T-2"][0]
        self.assertEqual(t2["state"], "not-found")
        self.assertTrue(t2["not_found"])
        self.assertNotIn("lost", t2)

    def test_last_errors_and_lost_tasks(self):
        self.save(record("T-1", "running", last_error="HTTP 503 ServiceUnavailable: \x1b[2Jbusy"))
        self.save(record("T-2", "running", lost=True))
        p = self.status()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("HTTP 503 ServiceUnavailable: \\x1b[2Jbusy", p.stdout)
        self.assertNotIn("\x1b", p.stdout)
        self.assertRegex(p.stdout, r"\nT-2\s+not-found\s")

    def test_a_corrupt_file_is_shown_and_left_in_place(self):
        with open(os.path.join(self.tasks, "T-1.json"), "w") as f:
            f.write('{"version": 1, "task_id": "T-1", "have_')
        p = self.status()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\nT-1\s+unreadable\s")
        self.assertEqual(os.listdir(self.tasks), ["T-1.json"])

    def test_no_state_yet(self):
        os.rmdir(self.tasks)
        p = self.status()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\nT-new\s+new\s+-\s+never\s+-")

    def test_a_running_daemon_is_named_with_its_next_polls(self):
        sim = harness.Simulator({"tasks": {
            "T-1": harness.scaleout_task([{"state": "running"}]),
            "T-2": harness.scaleout_task([{"state": "success"}]),
        }}, self.tmp.name)
        self.addCleanup(sim.stop)
        with open(self.config, "w") as f:
            f.write(harness.daemon_config(sim, ["T-1", "T-2"], min_interval="2s",
                                          max_interval="4s"))
        d = harness.Daemon(harness.daemon_binary(), open(self.config).read(), self.tmp.name,
                           env=harness.test_credentials_env(), args=("--state-dir", self.state))
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        journal = harness.Journal()
        journal.wait_for(TASKWATCH_EVENT="task-succeeded", TASK_ID="T-2", _PID=str(d.pid))
        journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID="T-1", _PID=str(d.pid))

        # The daemon writes its PID file and, beside it, when each task is polled next.
        with open(PID_FILE) as f:
            self.assertEqual(f.read(), "%d\n" % d.pid)

        def runtime_knows_both():
            try:
                with open(os.path.join(os.path.dirname(PID_FILE), "status.json")) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                return False
            polls = {t["task_id"]: t for t in doc["tasks"]}
            return doc["version"] == 2 and doc["pid"] == d.pid and polls["T-1"]["next_poll"] and \
                polls["T-2"]["last_poll"] and polls["T-2"]["next_poll"] is None
        self.assertTrue(harness._wait_until(runtime_knows_both, 10), "status.json never showed both tasks")

        p = self.status()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("taskwatchd is running (PID %d)" % d.pid, p.stdout)
        rows = {l.split()[0]: l for l in p.stdout.splitlines()[2:]}
        self.assertRegex(rows["T-1"], r"^T-1\s+running\s+%s \(\S+ ago\)\s+%s \(\S+ ago\)\s+(in \S+|now|polling now)\s" % (UTC, UTC))
        self.assertRegex(rows["T-2"], r"^T-2\s+success\s+%s \(\S+ ago\)\s+%s \(\S+ ago\)\s+-\s" % (UTC, UTC))
        doc = json.loads(self.status("--json").stdout)
        self.assertEqual(doc["daemon_pid"], d.pid)
        t1 = [t for t in doc["tasks"] if t["task_id"] == "T-1"][0]
        # last_poll comes from the state directory, next_poll from status.json, which is
        # rewritten at most every 2 s: a reply in between makes the file's next poll older
        # than the saved last poll, by less than those 2 s.
        self.assertGreater(rfc3339_usec(t1["next_poll"]), rfc3339_usec(t1["last_poll"]) - 2000000)

        # Stopped: the PID file and the runtime file go, and status says so.
        self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists(PID_FILE))
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(PID_FILE), "status.json")))
        self.assertIn("No running taskwatchd found", self.status().stdout)

    def test_a_state_directory_that_does_not_exist_is_an_error(self):
        # It used to show every configured task as "new", polled "never".
        missing = os.path.join(self.tmp.name, "no-such-dir")
        p = self.status("--state-dir", missing, state_dir=False)
        self.assertEqual(p.returncode, 5, p.stdout)
        self.assertIn("taskwatch status: the state directory %s (from --state-dir) does not exist"
                      % missing, p.stderr)
        self.assertEqual(p.stdout, "")
        p = self.status(state_dir=False, env={"STATE_DIRECTORY": missing + ":/elsewhere"})
        self.assertEqual(p.returncode, 5, p.stdout)
        self.assertIn("the state directory %s (from $STATE_DIRECTORY) does not exist" % missing, p.stderr)

    def test_the_state_directory_is_taken_as_the_daemon_takes_it(self):
        self.saved_state()
        p = self.status(state_dir=False, env={"STATE_DIRECTORY": self.state})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("state from %s ($STATE_DIRECTORY):" % self.state, p.stdout)
        self.assertRegex(p.stdout, r"\nT-2\s+failed\s")

        # Without either: the running daemon's own $STATE_DIRECTORY, and its PID file under
        # its own $RUNTIME_DIRECTORY.
        sim = harness.Simulator({"tasks": {"T-1": harness.scaleout_task([{"state": "running"}])}},
                                self.tmp.name)
        self.addCleanup(sim.stop)
        with open(self.config, "w") as f:
            f.write(harness.daemon_config(sim, ["T-1"], min_interval="2s", max_interval="4s"))
        rt = os.path.join(self.tmp.name, "rt")
        os.makedirs(rt)
        d = harness.Daemon(harness.daemon_binary(), open(self.config).read(), self.tmp.name,
                           env={**harness.test_credentials_env(), "STATE_DIRECTORY": self.state,
                                "RUNTIME_DIRECTORY": rt})
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        self.config = d.config_path
        p = self.status(state_dir=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("taskwatchd is running (PID %d), found through the process list; its state "
                      "from %s (its $STATE_DIRECTORY):" % (d.pid, self.state), p.stdout)

    def test_global_options_after_the_command(self):
        # "taskwatch status --config F" was refused with no hint.
        self.saved_state()
        p = subprocess.run([taskwatch_binary(), "status", "--state-dir", self.state, "--config",
                            self.config, "--no-color"], env=taskwatch_env(self.tmp.name),
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\nT-new\s+new\s")  # configured only in self.config
        # Errors name the program, not the path it was run by.
        p = subprocess.run([taskwatch_binary(), "--bogus"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 4)
        self.assertTrue(p.stderr.startswith("taskwatch: unrecognized option '--bogus'\n"), p.stderr)

    def on_a_terminal(self, args, env):
        """stdout of taskwatch status on a pseudo-terminal."""
        import pty
        master, slave = pty.openpty()
        try:
            p = subprocess.run([taskwatch_binary(), *args, "--config", self.config, "status",
                                "--state-dir", self.state],
                               env=taskwatch_env(self.tmp.name, {**harness.test_credentials_env(), **env}),
                               stdout=slave, stderr=subprocess.PIPE, text=True, timeout=30,
                               stdin=subprocess.DEVNULL)
            os.close(slave)
            slave = None
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0, p.stderr)
        return out.decode()

    def test_states_are_coloured_as_get_colours_them(self):
        # Only get used to colour; status printed the same words plain on a terminal.
        self.saved_state()
        out = self.on_a_terminal([], {"TERM": "xterm"})
        self.assertRegex(out, r"\nT-2\s+\x1b\[31mfailed\s*\x1b\[0m")
        self.assertRegex(out, r"\nT-old\s+\x1b\[32msuccess\s*\x1b\[0m")
        self.assertNotIn("\x1b", self.on_a_terminal([], {"TERM": "xterm", "NO_COLOR": "1"}))
        self.assertNotIn("\x1b", self.on_a_terminal(["--no-color"], {"TERM": "xterm"}))
        self.assertNotIn("\x1b", self.on_a_terminal([], {"TERM": "dumb"}))
        self.assertNotIn("\x1b", self.status().stdout)  # not a terminal

    def test_help(self):
        p = subprocess.run([taskwatch_binary(), "status", "--help"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--json", p.stdout)
        self.assertIn("--state-dir", p.stdout)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
