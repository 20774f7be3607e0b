# Integration-test harness: private journald, the HTTPS simulator, a NOTIFY_SOCKET and the daemon.
"""Helpers for tests/integration/test_*.py (unittest files run as `python3 test_x.py`,
with TASKWATCHD=<path to the binary> in the environment).

    if __name__ == "__main__":
        harness.enter_private_namespace()   # re-execs under unshare, starts journald
        unittest.main()

Every wait here is bounded and raises (or returns False) when the bound is hit."""

import atexit
import ctypes
import http.client
import itertools
import json
import os
import re
import select
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ACKSIM = os.environ.get("ACKSIM") or os.path.normpath(
    os.path.join(HERE, "..", "simulator", "acksim.py"))
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
NS_MARKER = "TASKWATCH_TEST_PRIVATE_NS"

# the credentials a scenario gets when it names none
TEST_KEY_ID = "testid"
TEST_KEY_SECRET = "testsecret"

_counter = itertools.count(1)
_journald = None
_scratch = None


def _die(msg):
    print("harness: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def _pdeathsig(sig):
    """preexec_fn: the child gets sig if the test process dies (even by SIGKILL)."""
    def fn():
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG
    return fn


def _wait_until(cond, timeout, interval=0.01):
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def wait_until(cond, timeout, what, interval=0.02):
    """cond()'s first true value, polled every interval seconds; fails the test (naming what
    it waited for) after timeout seconds. For state no event announces (files, scrapes)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %g s waiting for %s" % (timeout, what))
        time.sleep(interval)


def daemon_binary():
    """The binary under test, from $TASKWATCHD; exits with a clear message when unset."""
    path = os.environ.get("TASKWATCHD")
    if not path or not os.access(path, os.X_OK):
        _die("set TASKWATCHD to the taskwatchd binary (got %r)" % path)
    return path


def daemon_is_sanitized():
    """True when the binary under test is an AddressSanitizer build (CI's second pass): its
    timing says nothing of the daemon's, so timing targets skip there."""
    try:
        out = subprocess.run(["ldd", daemon_binary()], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "libasan" in out


# ---- private mount namespace + journald -------------------------------------------------------

def enter_private_namespace():
    """Re-exec this script in a private mount namespace, then start a private journald.

    Outside (no marker in the environment): execs `unshare --mount --propagation private
    python3 <script> <args>` and does not return. Inside: mounts a tmpfs on /run, binds a
    scratch directory on /var/log/journal, starts systemd-journald (stopped at exit) and
    returns once /run/systemd/journal/socket exists (5 s bound)."""
    global _journald, _scratch
    outer = os.environ.get(NS_MARKER)
    if not outer:
        if os.geteuid() != 0:
            _die("integration tests need root (for unshare --mount and journald)")
        unshare = shutil.which("unshare")
        if unshare is None:
            _die("unshare(1) not found: install util-linux; it is needed for a private /run")
        env = dict(os.environ)
        env[NS_MARKER] = os.readlink("/proc/self/ns/mnt")  # to check we did move out of it
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(unshare, [unshare, "--mount", "--propagation", "private", sys.executable,
                            os.path.abspath(sys.argv[0]), *sys.argv[1:]], env)
    if _journald is not None:
        return
    # never mount over the host's /run: we must be in a mount namespace of our own
    if os.readlink("/proc/self/ns/mnt") == outer:
        _die("%s is set but this is not a private mount namespace; refusing to mount on /run"
             % NS_MARKER)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=256m", "tmpfs", "/run"],
                   check=True)
    _scratch = tempfile.mkdtemp(prefix="taskwatch-journal-")
    atexit.register(shutil.rmtree, _scratch, True)
    if os.path.isdir("/var/log/journal"):
        subprocess.run(["mount", "--bind", _scratch, "/var/log/journal"], check=True)
    for d in ("/run/systemd/journal", "/run/log/journal"):
        os.makedirs(d, exist_ok=True)
    if not os.access(JOURNALD, os.X_OK):
        _die("%s not found (package systemd)" % JOURNALD)
    out = open(os.path.join(_scratch, "journald.out"), "w+")
    _journald = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 preexec_fn=_pdeathsig(signal.SIGTERM))
    atexit.register(_stop_journald)
    ok = _wait_until(lambda: os.path.exists(JOURNAL_SOCKET) or _journald.poll() is not None, 5)
    if not ok or not os.path.exists(JOURNAL_SOCKET):
        out.seek(0)
        _die("systemd-journald did not create %s within 5 s: %s" % (JOURNAL_SOCKET, out.read()))


def _stop_journald():
    if _journald is not None and _journald.poll() is None:
        _journald.terminate()
        try:
            _journald.wait(5)
        except subprocess.TimeoutExpired:
            _journald.kill()
            _journald.wait()


# ---- the simulator ----------------------------------------------------------------------------

class Simulator:
    """acksim.py as a subprocess. Attributes: url, ca, port, host, pid, dir.

    A scenario without "credentials" gets TEST_KEY_ID / TEST_KEY_SECRET."""

    def __init__(self, scenario, tmpdir, args=(), host="127.0.0.1", ready_timeout=30):
        scenario = dict(scenario)
        scenario.setdefault("credentials", [{"access_key_id": TEST_KEY_ID,
                                             "access_key_secret": TEST_KEY_SECRET}])
        n = next(_counter)
        self.dir = os.path.join(tmpdir, "acksim-%d" % n)
        os.makedirs(self.dir, exist_ok=True)
        self.scenario_path = os.path.join(self.dir, "scenario.json")
        with open(self.scenario_path, "w") as f:
            json.dump(scenario, f, indent=1)
        ready = os.path.join(self.dir, "ready.json")
        self._stdout = open(os.path.join(self.dir, "stdout"), "w")
        self._stderr_path = os.path.join(self.dir, "stderr")
        self._stderr = open(self._stderr_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, ACKSIM, "--scenario", self.scenario_path, "--dir", self.dir,
             "--host", host, "--port", "0", *args],
            stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr,
            preexec_fn=_pdeathsig(signal.SIGTERM))
        info = {}

        def is_ready():
            if self.proc.poll() is not None:
                return True
            try:
                with open(ready) as f:
                    info.update(json.load(f))
            except (OSError, ValueError):
                return False
            return info.get("pid") == self.proc.pid
        if not _wait_until(is_ready, ready_timeout, 0.02) or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("acksim did not become ready: " + self.stderr_text())
        self.url = info["url"]
        self.ca = info["ca"]
        self.port = info["port"]
        self.pid = info["pid"]
        self.host = host
        self._ctx = ssl.create_default_context(cafile=self.ca)

    def stderr_text(self):
        with open(self._stderr_path, errors="replace") as f:
            return f.read()

    def _call(self, method, path, body=None, timeout=30, ok=(200,)):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self._ctx,
                                           timeout=timeout)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            status, data = r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()
        if status not in ok:
            raise RuntimeError("acksim %s %s -> %d %r" % (method, path, status, data))
        return status, data

    def stats(self):
        """{"requests", "connections", "handshakes", "per_task", "auth_failures", "faults",
        "control_connections", "control_handshakes", "tasks": {id: {"step", ...}}}"""
        return self._call("GET", "/_sim/stats")[1]

    def log(self, since=0):
        """[{"t", "task", "status", "fault", "conn", "auth", "key", "request_id", ...}]"""
        return self._call("GET", "/_sim/log?since=%d" % since)[1]

    def advance(self, task):
        """Release the task's hold step ("released"), or the next one it reaches ("pending")."""
        return self._call("POST", "/_sim/advance", {"task": task})[1]["result"]

    def inject(self, task, fault, count=1):
        """Serve fault (a dict like {"fault": "throttle", ...}) to the next count requests of
        task ("*" = any task)."""
        self._call("POST", "/_sim/inject", {"task": task, "fault": fault, "count": count})

    def add_tasks(self, tasks):
        self._call("POST", "/_sim/tasks", tasks)

    def set_credentials(self, credentials):
        self._call("POST", "/_sim/credentials", {"credentials": credentials})

    def _wait(self, query, timeout):
        q = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        status, _ = self._call("GET", "/_sim/wait?" + q, timeout=timeout + 10, ok=(200, 408))
        return status == 200

    def wait_polls(self, task=None, polls=1, timeout=10):
        """True once the simulator has had polls API requests (for task, or in total)."""
        return self._wait({"task": task, "polls": polls, "timeout": timeout}, timeout)

    def wait_step(self, task, step, timeout=10):
        """True once task's timeline has served step index step."""
        return self._wait({"task": task, "step": step, "timeout": timeout}, timeout)

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stdout.close()
        self._stderr.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---- sd_notify ----------------------------------------------------------------------------------

class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notify socket.

    .path: give it to the daemon as NOTIFY_SOCKET. .messages: every datagram so far (str);
    .senders: the sending pid of each (SO_PASSCRED), or None.

    A thread receives continuously, as systemd does: a sender must never block on a full
    queue because the test happens not to be waiting at that moment."""

    def __init__(self, tmpdir, name=None):
        self.path = os.path.join(tmpdir, name or "notify-%d.sock" % next(_counter))
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.messages = []
        self.senders = []
        self.times = []  # time.monotonic() when each arrived
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._reader, name="notify-reader", daemon=True)
        self._thread.start()

    def _reader(self):
        while not self._closed:
            try:
                r, _, _ = select.select([self.sock], [], [], 0.1)
                if not r:
                    continue
                anc = socket.CMSG_SPACE(12) + socket.CMSG_SPACE(253 * 4)
                data, ancdata, _, _ = self.sock.recvmsg(65536, anc)
            except (OSError, ValueError):
                return  # closed under us
            pid = None
            for level, kind, payload in ancdata:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(payload[:4], sys.byteorder)
                elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    for i in range(0, len(payload) - len(payload) % 4, 4):
                        os.close(int.from_bytes(payload[i:i + 4], sys.byteorder))
            with self._cond:
                self.messages.append(data.decode("utf-8", "replace"))
                self.senders.append(pid)
                self.times.append(time.monotonic())
                self._cond.notify_all()

    def _receive(self, timeout):
        """Wait up to timeout for a datagram beyond those already in .messages (0: do not
        wait); True if one arrived."""
        with self._cond:
            n = len(self.messages)
            if timeout > 0:
                self._cond.wait_for(lambda: len(self.messages) > n, timeout)
            return len(self.messages) > n

    def poll(self):
        """Take in whatever is queued; returns .messages."""
        self._receive(0)
        return self.messages

    def mark(self):
        """An index for wait_for(start=...) to skip what was received so far."""
        self._receive(0)
        return len(self.messages)

    def wait_for(self, match, timeout=10, start=0):
        """First datagram from index start on that contains match (str) or satisfies it
        (callable); raises TimeoutError after timeout seconds."""
        pred = match if callable(match) else (lambda m: match in m)
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            self._receive(0)
            for m in self.messages[seen:]:
                if pred(m):
                    return m
            seen = max(seen, len(self.messages))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no notify datagram matching %r within %g s; got %r"
                                   % (match, timeout, self.messages))
            self._receive(left)

    def statuses(self):
        """Every STATUS= value received, in order."""
        self._receive(0)
        return [line[len("STATUS="):] for m in self.messages for line in m.split("\n")
                if line.startswith("STATUS=")]

    def close(self):
        self._closed = True
        self._thread.join(5)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- the daemon -------------------------------------------------------------------------------

_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "WARNING: AddressSanitizer")


def sanitizer_report(text):
    """The lines around the first sanitizer finding in text, or None."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if any(m in line for m in _SANITIZER_MARKERS):
            return "\n".join(lines[max(0, i - 2):i + 40])
    return None


_SCRUBBED_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID",
                 "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY",
                 "STATE_DIRECTORY", "RUNTIME_DIRECTORY")


class Daemon:
    """The binary under test, started at once with `--config PATH` + args.

    Environment: ours minus ALIBABA_* and systemd's per-service variables, plus
    HOME=<fresh empty dir> (no ~/.aliyun leaks in), ALIBABA_CLOUD_ECS_METADATA_DISABLED=true,
    NOTIFY_SOCKET=<.notify.path>, then env (a value of None removes a variable).
    .notify is the NotifySocket given, or one made for this daemon. watchdog_usec: set
    WATCHDOG_USEC and WATCHDOG_PID (the daemon's own pid, as systemd does: the daemon is
    started by a shell that sets it to $$ and execs it)."""

    def __init__(self, binary, config_text, tmpdir, env=None, args=(), notify=None,
                 watchdog_usec=None):
        n = next(_counter)
        base = os.path.join(tmpdir, "taskwatchd-%d" % n)
        self.config_path = base + ".conf"
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self._own_notify = notify is None
        self.notify = notify if notify is not None else NotifySocket(tmpdir)
        home = base + ".home"
        os.makedirs(home, exist_ok=True)
        full = {k: v for k, v in os.environ.items()
                if not k.startswith("ALIBABA_") and k not in _SCRUBBED_ENV and k != NS_MARKER}
        full["HOME"] = home
        full["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
        full["NOTIFY_SOCKET"] = self.notify.path
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = str(v)
        self.env = full
        self.stdout_path = base + ".stdout"
        self.stderr_path = base + ".stderr"
        self.argv = [binary, "--config", self.config_path, *args]
        if watchdog_usec is not None:
            full["WATCHDOG_USEC"] = str(watchdog_usec)
            self.argv = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', "sh"] + self.argv
        # $TASKWATCHD_WRAPPER runs the daemon under a tool, e.g. valgrind; "{log}" in it
        # becomes a per-daemon log file that close() checks (see _check_valgrind).
        self.valgrind_log = None
        wrapper = os.environ.get("TASKWATCHD_WRAPPER")
        if wrapper:
            self.valgrind_log = base + ".valgrind"
            self.argv = [w.replace("{log}", self.valgrind_log) for w in shlex.split(wrapper)] + self.argv
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(self.argv, env=full, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err,
                                         preexec_fn=_pdeathsig(signal.SIGKILL))
        self.pid = self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def reload(self):
        self.send_signal(signal.SIGHUP)

    def wait(self, timeout=10):
        """The exit code (negative: killed by that signal); subprocess.TimeoutExpired if still
        running after timeout seconds."""
        return self.proc.wait(timeout)

    def stop(self, timeout=10):
        """SIGTERM, then the exit code; kills it and raises TimeoutError if it does not exit."""
        self.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TimeoutError("taskwatchd did not exit within %g s of SIGTERM" % timeout)

    def stderr_text(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def stdout_text(self):
        with open(self.stdout_path, errors="replace") as f:
            return f.read()

    def close(self):
        """Stop it if it still runs (SIGTERM, so leak checkers get to report), close the notify
        socket it made, and fail if a sanitizer reported anything: under the ASan+UBSan build
        every integration test is also a memory-safety test."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._own_notify:
            self.notify.close()
        report = sanitizer_report(self.stderr_text())
        if report:
            raise AssertionError("sanitizer report from taskwatchd (pid %d):\n%s" % (self.pid, report))
        self._check_valgrind()

    def _check_valgrind(self):
        """Under memcheck: no error, and 0 bytes definitely or indirectly lost."""
        if not self.valgrind_log or not os.path.exists(self.valgrind_log):
            return
        with open(self.valgrind_log, errors="replace") as f:
            text = f.read()
        problems = []
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if not m:
            problems.append("no ERROR SUMMARY (did the daemon exit cleanly?)")
        elif m.group(1) != "0":
            problems.append("%s errors" % m.group(1))
        for kind in ("definitely", "indirectly"):
            m = re.search(kind + r" lost: ([\d,]+) bytes", text)
            if m and m.group(1) != "0":
                problems.append("%s bytes %s lost" % (m.group(1), kind))
        if problems:
            raise AssertionError("valgrind: %s\n%s" % ("; ".join(problems), text[-6000:]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- the journal ------------------------------------------------------------------------------

class Journal:
    """Queries of the (private) journal. Matches are journalctl matches: keyword arguments
    FIELD=value, and positional strings ("FIELD=value", "+") for anything else."""

    @staticmethod
    def _matches(args, fields):
        return [*args, *("%s=%s" % (k, v) for k, v in fields.items())]

    def sync(self, timeout=10):
        subprocess.run(["journalctl", "--sync"], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL)

    def entries(self, *args, **fields):
        """Every matching entry (a dict as `journalctl -o json` gives), oldest first; syncs
        the journal first."""
        subprocess.run(["journalctl", "--sync"], timeout=10, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        p = subprocess.run(["journalctl", "-o", "json", "--no-pager", "--all",
                            *self._matches(args, fields)],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0 and "No entries" not in p.stderr and p.stdout:
            raise RuntimeError("journalctl failed: " + p.stderr)
        return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]

    def wait_for(self, *args, timeout=10, predicate=None, **fields):
        """The first entry (old or new) matching fields and predicate(entry); TimeoutError
        after timeout seconds. Follows the journal with `journalctl -f`."""
        cmd = ["journalctl", "-f", "--no-tail", "-o", "json", "--no-pager", "--all",
               *self._matches(args, fields)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        buf = b""
        try:
            fd = p.stdout.fileno()
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([fd], [], [], left)
                if not r:
                    break
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break  # journalctl exited
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if not line.startswith(b"{"):
                        continue
                    entry = json.loads(line)
                    if predicate is None or predicate(entry):
                        return entry
        finally:
            p.kill()
            p.wait()
            p.stdout.close()
        raise TimeoutError("no journal entry matching %s within %g s"
                           % (" ".join(cmd[7:]) or "(anything)", timeout))


# ---- conveniences for the daemon's tests ------------------------------------------------------

class DaemonTestCase(unittest.TestCase):
    """What most daemon tests share: a scratch directory, the private journal, a simulator
    serving tasks with the daemon watching all of them, and journal waits for its events."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.journal = Journal()

    def start(self, tasks, min_interval="100ms", max_interval="400ms", args=()):
        """(simulator, daemon) for the scenario tasks, once the daemon sent READY=1."""
        sim = Simulator({"tasks": tasks}, self.tmp.name)
        self.addCleanup(sim.stop)
        d = Daemon(daemon_binary(), daemon_config(sim, sorted(tasks), min_interval, max_interval),
                   self.tmp.name, env=test_credentials_env(), args=args)
        self.addCleanup(d.close)
        d.notify.wait_for("READY=1")
        return sim, d

    def event(self, d, name, task, timeout=15, **fields):
        """The journal entry of d's event name about task (waits for it)."""
        return self.journal.wait_for(TASKWATCH_EVENT=name, TASK_ID=task, _PID=str(d.pid),
                                     timeout=timeout, **fields)


def daemon_config(sim, tasks, min_interval="100ms", max_interval="400ms", extra=""):
    """A taskwatchd.conf for sim watching tasks; extra is appended verbatim (more sections)."""
    lines = ["[API]", "Endpoint=" + sim.url, "CAFile=" + sim.ca, "RequestTimeout=2s",
             "[Poll]", "MinInterval=" + min_interval, "MaxInterval=" + max_interval,
             "[Tasks]"]
    lines += ["Task=" + t for t in tasks]
    return "\n".join(lines) + "\n" + extra


def test_credentials_env(key_id=TEST_KEY_ID, secret=TEST_KEY_SECRET, token=None):
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": key_id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret}
    if token is not None:
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = token
    return env


def scaleout_task(timeline, cluster="c-test", task_type="nodepool_scaleout"):
    """A scenario task entry."""
    return {"cluster_id": cluster, "task_type": task_type,
            "target": {"id": "np-test", "type": "nodepool"}, "timeline": timeline}


def instances(**status_by_id):
    """task_result entries: instances(i_1="initial") -> [{"data": "i-1", "status": "initial"}]."""
    return [{"data": k.replace("_", "-"), "status": v} for k, v in status_by_id.items()]
