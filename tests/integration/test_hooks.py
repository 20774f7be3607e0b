#!/usr/bin/env python3
"""[Hooks]: each hook runs with the event in its environment and the task JSON on stdin; a
hook that hangs is stopped after HookTimeout= while polling goes on; a failing hook is
reported with its status and watching goes on; no hook runs twice across a reload or a
restart; one cut off by SIGKILL of the daemon runs again, once, after the restart."""
import json
import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import instances, scaleout_task  # noqa: E402

# Writes its environment and stdin to OUT/LABEL.KEY.env / .stdin (KEY with '/' and '>' made
# '_'), and appends "LABEL KEY" to OUT/runs: what each test then reads.
RECORD = r"""
out=$1 label=$2
name=$(printf '%s' "$TASKWATCH_EVENT_KEY" | tr '/>' '__')
cat > "$out/$label.$name.stdin"
env > "$out/$label.$name.env"
echo "$label $TASKWATCH_EVENT_KEY" >> "$out/runs"
echo "hook $label ran for $TASKWATCH_EVENT_KEY"
echo "to stderr" >&2
"""

# The first run writes its pid and hangs; every later one finishes at once.
HANG_FIRST = r"""
out=$1
cat > "$out/stdin.$$"
echo "start $TASKWATCH_EVENT_KEY" >> "$out/runs"
if [ ! -e "$out/hung" ]; then
        echo $$ > "$out/hung"
        exec sleep 300
fi
echo "end $TASKWATCH_EVENT_KEY" >> "$out/runs"
"""


def held(*steps):
    """A timeline whose every step but the last holds until advanced."""
    steps = [dict(s) for s in steps]
    for s in steps[:-1]:
        s["hold"] = True
    return scaleout_task(steps)


def read_text(path):
    """The file's contents stripped, or None while it is missing or still empty."""
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def read_env(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


class Hooks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = harness.Journal()
        self.out = os.path.join(self.tmp.name, "out")
        os.makedirs(self.out)
        self.state = os.path.join(self.tmp.name, "state")
        self.scripts = {}
        for name, text in (("record", RECORD), ("hang-first", HANG_FIRST)):
            path = os.path.join(self.tmp.name, name + ".sh")
            with open(path, "w") as f:
                f.write(text)
            self.scripts[name] = path

    # ---- helpers ----
    def hook(self, label, script="record"):
        return "/bin/sh %s %s %s" % (self.scripts[script], self.out, label)

    def simulator(self, tasks):
        sim = harness.Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        return sim

    def daemon(self, sim, watched, hooks, state=False):
        extra = "[Hooks]\n" + "".join(line + "\n" for line in hooks)
        d = harness.Daemon(harness.daemon_binary(), harness.daemon_config(sim, watched, extra=extra),
                           self.tmp.name, env=harness.test_credentials_env(),
                           args=("--state-dir", self.state) if state else ())
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return d

    def event(self, d, name, task, timeout=15, **fields):
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid),
                                     timeout=timeout, **fields)

    def hook_events(self, d, kinds=("hook-finished", "hook-failed", "hook-timed-out")):
        return [e for e in self.journal.entries(_PID=str(d.pid))
                if e.get("TASKWATCH_EVENT") in kinds]

    def wait_hook_events(self, d, n, timeout=15, **kw):
        return harness.wait_until(lambda: (lambda l: l if len(l) >= n else None)(self.hook_events(d, **kw)),
                          timeout, "%d hook events of pid %d" % (n, d.pid))

    def polls(self, sim, task):
        return sim.stats()["per_task"].get(task, 0)

    def runs(self):
        try:
            with open(os.path.join(self.out, "runs")) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def record(self, task):
        with open(os.path.join(self.state, "tasks", task + ".json")) as f:
            return json.load(f)

    # ---- tests ----
    def test_each_hook_gets_the_event_in_its_environment_and_the_task_on_stdin(self):
        sim = self.simulator({
            "T-fail": held({"state": "running", "task_result": instances(i_1="initial", i_2="initial")},
                           {"state": "failed", "task_result": instances(i_1="success", i_2="failed"),
                            "error": {"code": "QuotaExceeded.ECS", "message": "no \"quota\" left"}}),
            "T-ok": held({"state": "running"}, {"state": "success"}),
        })
        d = self.daemon(sim, ["T-fail", "T-ok"], [
            "OnTaskFailed=" + self.hook("task-failed"),
            "OnInstanceFailed=" + self.hook("instance-failed"),
            "OnTaskSucceeded=" + self.hook("task-succeeded"),
            "OnTransition=" + self.hook("transition"),
        ])
        self.event(d, "task-baseline", "T-fail")
        self.event(d, "task-baseline", "T-ok")
        self.assertEqual(self.runs(), [], "a baseline ran hooks")
        sim.advance("T-fail")
        sim.advance("T-ok")
        # T-fail: task-failed (OnTaskFailed, OnTransition), instance-failed i-2
        # (OnInstanceFailed, OnTransition), instance-succeeded i-1 (OnTransition);
        # T-ok: task-succeeded (OnTaskSucceeded, OnTransition).
        self.wait_hook_events(d, 7)
        self.assertEqual(sorted(self.runs()), sorted([
            "task-failed T-fail/task-failed", "transition T-fail/task-failed",
            "instance-failed T-fail/instance-failed/i-2", "transition T-fail/instance-failed/i-2",
            "transition T-fail/instance-succeeded/i-1",
            "task-succeeded T-ok/task-succeeded", "transition T-ok/task-succeeded"]))
        self.assertEqual(self.hook_events(d, kinds=("hook-failed", "hook-timed-out")), [])

        env = read_env(os.path.join(self.out, "task-failed.T-fail_task-failed.env"))
        self.assertEqual(env["TASKWATCH_EVENT"], "task-failed")
        self.assertEqual(env["TASKWATCH_EVENT_KEY"], "T-fail/task-failed")
        self.assertEqual(env["TASK_ID"], "T-fail")
        self.assertEqual(env["CLUSTER_ID"], "c-test")
        self.assertEqual(env["TASK_TYPE"], "nodepool_scaleout")
        self.assertEqual(env["TASK_STATE"], "failed")
        self.assertEqual(env["TASK_PREVIOUS_STATE"], "running")
        self.assertEqual(env["ERROR_CODE"], "QuotaExceeded.ECS")
        self.assertEqual(env["ERROR_MESSAGE"], 'no "quota" left')
        self.assertNotIn("INSTANCE_ID", env)
        # Built from nothing: none of the daemon's environment, so never a credential.
        self.assertFalse([k for k in env if k.startswith("ALIBABA_") or k == "NOTIFY_SOCKET"], env)
        self.assertTrue(env["PATH"].startswith("/"))

        inst = read_env(os.path.join(self.out, "instance-failed.T-fail_instance-failed_i-2.env"))
        self.assertEqual(inst["TASKWATCH_EVENT"], "instance-failed")
        self.assertEqual(inst["INSTANCE_ID"], "i-2")
        self.assertEqual(inst["INSTANCE_STATUS"], "failed")
        self.assertEqual(inst["TASK_ID"], "T-fail")
        self.assertEqual(inst["CLUSTER_ID"], "c-test")

        ok = read_env(os.path.join(self.out, "task-succeeded.T-ok_task-succeeded.env"))
        self.assertEqual((ok["TASK_STATE"], ok["TASK_PREVIOUS_STATE"]), ("success", "running"))

        # stdin: the reply that caused the event, as the API sent it.
        with open(os.path.join(self.out, "task-failed.T-fail_task-failed.stdin")) as f:
            task = json.load(f)
        self.assertEqual(task["task_id"], "T-fail")
        self.assertEqual(task["state"], "failed")
        self.assertEqual(task["error"]["code"], "QuotaExceeded.ECS")
        self.assertEqual(sorted(r["status"] for r in task["task_result"]), ["failed", "success"])
        with open(os.path.join(self.out, "instance-failed.T-fail_instance-failed_i-2.stdin")) as f:
            self.assertEqual(json.load(f), task)

        # Output goes to the journal, tagged with the hook and the task, not its arguments.
        line = self.journal.wait_for(TASKWATCH_EVENT="hook-output", _PID=str(d.pid),
                                     HOOK_EVENT_KEY="T-fail/instance-failed/i-2",
                                     HOOK_NAME="OnInstanceFailed#1", HOOK_STREAM="stdout")
        self.assertEqual(line["TASK_ID"], "T-fail")
        self.assertEqual(line["HOOK_COMMAND"], "/bin/sh")
        self.assertIn("hook instance-failed ran for T-fail/instance-failed/i-2", line["MESSAGE"])
        self.journal.wait_for(TASKWATCH_EVENT="hook-output", _PID=str(d.pid), HOOK_STREAM="stderr",
                              HOOK_NAME="OnTaskSucceeded#1")
        done = [e for e in self.hook_events(d) if e.get("INSTANCE_ID") == "i-2"
                and "OnInstanceFailed#1" in e["MESSAGE"]]
        self.assertEqual(len(done), 1)
        self.assertEqual(done[0]["TASKWATCH_EVENT"], "hook-finished")
        self.assertEqual(done[0]["MESSAGE_ID"], "4b3c149e0f5e48eab6e124e50fe20f3e")
        self.assertNotIn(self.out, done[0]["MESSAGE"], "a hook's arguments were logged")

    def test_a_hanging_hook_is_stopped_after_its_timeout_while_polls_go_on(self):
        sim = self.simulator({"T-hang": held({"state": "running"}, {"state": "paused"},
                                             {"state": "running"})})
        d = self.daemon(sim, ["T-hang"], [
            "OnTransition=/bin/sh -c 'echo $$ > %s/pid; exec sleep 300'" % self.out,
            "HookTimeout=5s",
        ])
        self.event(d, "task-baseline", "T-hang")
        sim.advance("T-hang")
        self.event(d, "task-state-changed", "T-hang")
        pid = int(harness.wait_until(lambda: read_text(os.path.join(self.out, "pid")), 10,
                             "the hook to start"))
        # While it hangs, the task is polled on its schedule (MaxInterval=400ms).
        polls = self.polls(sim, "T-hang")
        self.assertTrue(sim.wait_polls("T-hang", polls + 3, timeout=3),
                        "polling stalled while a hook ran")
        self.assertTrue(os.path.exists("/proc/%d" % pid))
        self.assertEqual(self.hook_events(d), [], "the hook ended before its timeout")

        e = self.event(d, "hook-timed-out", "T-hang", timeout=15)
        self.assertEqual(e["MESSAGE_ID"], "085c95a5c39e4b308bdf86c18f5711e1")
        self.assertIn("timed out after 5s", e["MESSAGE"])
        self.assertIn("SIGTERM", e["MESSAGE"])
        self.assertFalse(os.path.exists("/proc/%d" % pid), "the hook still runs")
        # ... and watching goes on: the next transition is seen and has its hook run.
        sim.advance("T-hang")
        self.event(d, "task-state-changed", "T-hang", TASK_STATE="running")
        self.assertTrue(d.running())

    def test_a_failing_hook_is_reported_with_its_status_and_watching_goes_on(self):
        sim = self.simulator({"T-x": held({"state": "running", "task_result": instances(i_1="initial")},
                                          {"state": "paused"},
                                          {"state": "success", "task_result": instances(i_1="success")})})
        d = self.daemon(sim, ["T-x"], ["OnTransition=/bin/sh -c 'exit 3'"])
        self.event(d, "task-baseline", "T-x")
        sim.advance("T-x")
        failed = self.event(d, "hook-failed", "T-x")
        self.assertEqual(failed["MESSAGE_ID"], "f05b7fed32c5429f8129c87bb7dbcf77")
        self.assertEqual(failed["PRIORITY"], "4")
        self.assertIn("exited with status 3", failed["MESSAGE"])
        self.assertIn("OnTransition#1", failed["MESSAGE"])
        self.assertIn("task-state-changed", failed["MESSAGE"])
        sim.advance("T-x")
        self.event(d, "task-succeeded", "T-x")
        # task-state-changed, task-succeeded and instance-succeeded i-1: each one failed hook.
        self.assertEqual(len(self.wait_hook_events(d, 3)), 3)
        self.assertTrue(all(e["TASKWATCH_EVENT"] == "hook-failed" for e in self.hook_events(d)))
        self.assertTrue(d.running())

    def test_hook_output_is_printed_on_stderr_off_the_journal(self):
        # Only "exited with status 6" used to reach a terminal or CI log, never the hook's
        # own reason. The daemon's stderr here is a file, not the journal.
        sim = self.simulator({"T-x": held({"state": "running"}, {"state": "paused"})})
        script = os.path.join(self.tmp.name, "curl-fails.sh")
        with open(script, "w") as f:
            f.write('echo "curl: (6) Could not resolve host: alerts.example" >&2\n'
                    'printf "%01000d\\n" 7\nexit 6\n')
        d = self.daemon(sim, ["T-x"], ["OnTransition=/bin/sh " + script])
        self.event(d, "task-baseline", "T-x")
        sim.advance("T-x")
        self.event(d, "hook-failed", "T-x")
        self.journal.wait_for(TASKWATCH_EVENT="hook-output", _PID=str(d.pid), HOOK_STREAM="stdout")
        err = d.stderr_text()
        self.assertRegex(err, r"\d\dZ info +T-x: hook OnTransition#1 \(stderr\): "
                              r"curl: \(6\) Could not resolve host: alerts\.example\n")
        long = [l for l in err.splitlines() if "OnTransition#1 (stdout)" in l]
        self.assertEqual(len(long), 1, err)
        self.assertIn("0" * 390, long[0])
        self.assertTrue(long[0].endswith("... (cut at 400 bytes)"), long[0])
        self.assertLess(len(long[0]), 500)

    def test_no_hook_runs_twice_across_a_reload_and_a_restart(self):
        sim = self.simulator({
            "T-live": held({"state": "running", "task_result": instances(i_1="initial")},
                           {"state": "paused", "task_result": instances(i_1="failed")}),
            "T-done": held({"state": "failed", "task_result": instances(i_9="failed"),
                            "error": {"code": "E", "message": "m"}}),
        })
        hooks = ["OnTransition=" + self.hook("transition"),
                 "OnTaskFailed=" + self.hook("task-failed")]
        expected = sorted(["transition T-done/task-failed", "task-failed T-done/task-failed",
                           "transition T-done/instance-failed/i-9",
                           "transition T-live/task-state-changed/running>paused",
                           "transition T-live/instance-failed/i-1"])
        d1 = self.daemon(sim, ["T-live", "T-done"], hooks, state=True)
        self.event(d1, "task-baseline", "T-live")
        sim.advance("T-live")
        self.wait_hook_events(d1, 5)
        self.assertEqual(sorted(self.runs()), expected)
        rec = self.record("T-done")
        self.assertEqual(sorted(rec["hooks_done"]),
                         ["T-done/instance-failed/i-9", "T-done/task-failed"])
        self.assertNotIn("hooks_pending", rec)

        # A reload keeps what ran: the tasks' states and their hooks' are kept.
        d1.reload()
        self.journal.wait_for(TASKWATCH_EVENT="config-reloaded", _PID=str(d1.pid), timeout=15)
        polls = self.polls(sim, "T-live")
        self.assertTrue(sim.wait_polls("T-live", polls + 3, timeout=10))
        self.assertEqual(sorted(self.runs()), expected)
        self.assertEqual(d1.stop(timeout=15), 0, d1.stderr_text())

        # A restart on the same state directory: nothing is emitted again, nothing runs.
        d2 = self.daemon(sim, ["T-live", "T-done"], hooks, state=True)
        polls = self.polls(sim, "T-live")
        self.assertTrue(sim.wait_polls("T-live", polls + 3, timeout=10))
        self.assertEqual(self.hook_events(d2), [])
        self.assertEqual(sorted(self.runs()), expected)

    def test_a_hook_cut_off_by_sigkill_runs_again_once_after_the_restart(self):
        sim = self.simulator({
            "T-k": held({"state": "failed", "error": {"code": "E", "message": "m"}}),
            "T-live": held({"state": "running"}, {"state": "success"}),
        })
        hooks = ["OnTaskFailed=/bin/sh %s %s" % (self.scripts["hang-first"], self.out)]
        d1 = self.daemon(sim, ["T-k", "T-live"], hooks, state=True)
        hung = os.path.join(self.out, "hung")
        pid = int(harness.wait_until(lambda: read_text(hung), 15, "the first run of the hook"))
        self.addCleanup(lambda: os.path.exists("/proc/%d" % pid) and os.kill(pid, signal.SIGKILL))
        rec = self.record("T-k")
        self.assertEqual([p["key"] for p in rec["hooks_pending"]], ["T-k/task-failed"])
        self.assertNotIn("T-k/task-failed", rec.get("hooks_done", []))

        d1.send_signal(signal.SIGKILL)
        self.assertEqual(d1.wait(timeout=10), -signal.SIGKILL)
        os.kill(pid, signal.SIGKILL)  # what systemd does to the rest of the service's cgroup

        # The restarted daemon does not see the transition again (its state was saved), but
        # runs the hook that was cut off: in full, with the same input.
        d2 = self.daemon(sim, ["T-k", "T-live"], hooks, state=True)
        e = self.event(d2, "hook-finished", "T-k")
        self.assertIn("task-failed", e["MESSAGE"])
        self.assertEqual(self.runs(), ["start T-k/task-failed", "start T-k/task-failed",
                                       "end T-k/task-failed"])
        self.assertEqual(len(self.journal.entries(TASKWATCH_EVENT="task-failed", TASK_ID="T-k",
                                                  _PID=str(d2.pid))), 0)
        inputs = []
        for name in sorted(os.listdir(self.out)):
            if name.startswith("stdin."):
                with open(os.path.join(self.out, name)) as f:
                    inputs.append(json.load(f))
        self.assertEqual(len(inputs), 2)
        self.assertEqual(inputs[0], inputs[1])
        self.assertEqual(inputs[0]["state"], "failed")
        harness.wait_until(lambda: "hooks_pending" not in self.record("T-k"), 10, "the record to be saved")
        self.assertEqual(self.record("T-k")["hooks_done"], ["T-k/task-failed"])
        self.assertEqual(d2.stop(timeout=15), 0, d2.stderr_text())

        # Once it has finished, never again.
        d3 = self.daemon(sim, ["T-k", "T-live"], hooks, state=True)
        polls = self.polls(sim, "T-live")
        self.assertTrue(sim.wait_polls("T-live", polls + 3, timeout=10))
        self.assertEqual(self.hook_events(d3), [])
        self.assertEqual(len(self.runs()), 3)


if __name__ == "__main__":
    harness.enter_private_namespace()
    unittest.main(verbosity=2)
