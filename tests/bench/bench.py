#!/usr/bin/env python3
# Benchmark driver: taskwatchd vs the official Node SDK vs the curl command line, against nginx.
"""Runs every measurement of tests/bench (method: RESULTS.md), prints the table and writes
RESULTS.md. Started by run.sh, which builds the daemon and installs nginx and the SDK:

    bench.py --taskwatchd BIN --node-modules DIR [--quick] [--reps N] [--out FILE]

Clients run on CPU 0 and nginx on CPU 1 (taskset), so "one core" means one core. nginx
serves one pre-generated reply file per task; a task "finishes" when its file is replaced
(atomically) by a success reply. Every poll is counted in nginx's access log, with the
connection serial and the request number on that connection, which gives the handshakes."""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))
import acksim  # noqa: E402  (its throwaway CA and server certificate serve nginx too)
ACKSIM = os.path.join(ROOT, "tests", "simulator", "acksim.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")
KEY_ID, KEY_SECRET = "LTAIbench00000000000000", "bench-secret-not-a-real-key"
CLIENT_CPU, SERVER_CPU = "0", "1"
DEFAULT_MIN, DEFAULT_MAX = 5.0, 120.0  # taskwatchd's default intervals

WORK = None  # the scratch directory, set by main()


def log(fmt, *args):
    print("bench: " + (fmt % args if args else fmt), file=sys.stderr, flush=True)


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---- per-process figures ----------------------------------------------------------------------

def cpu_clock_id(pid):
    """The process-wide CPU clock of another process, as clock_getcpuclockid() returns it
    (Linux's CPUCLOCK_SCHED process clock: ns precision, every thread, live and exited)."""
    return ((~pid) << 3) | 2


def proc_cpu(pid):
    """user+sys seconds of a live process (all its threads), or None once it is gone. From
    the process CPU clock (ns); /proc/PID/stat (clock ticks, 10 ms) if that is refused."""
    try:
        return time.clock_gettime(cpu_clock_id(pid))
    except OSError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_mem(pid):
    """(VmRSS, VmHWM) in KiB, or (None, None)."""
    rss = hwm = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def proc_smaps(pid):
    """/proc/PID/smaps_rollup in KiB: what the RSS is made of (heap vs mapped libraries)."""
    out = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and p[2] == "kB":
                    out[p[0].rstrip(":")] = int(p[1])
    except OSError:
        pass
    return out


def wait_rusage(proc, timeout):
    """Waits for proc; returns (exit status, user+sys seconds, ru_maxrss KiB) or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        time.sleep(0.02)
    return None


def kill_rusage(proc):
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    r = wait_rusage(proc, 10)
    if r is None:
        proc.kill()
        r = wait_rusage(proc, 10)
    return r


class Sampler:
    """Samples CPU and memory of a process every `period` seconds in a thread."""

    def __init__(self, pid, period=0.25):
        self.pid, self.period = pid, period
        self.samples = []  # (wall time, cpu s, rss KiB, hwm KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        cpu = proc_cpu(self.pid)
        rss, hwm = proc_mem(self.pid)
        if cpu is not None and rss is not None:
            s = (time.time(), cpu, rss, hwm)
            self.samples.append(s)
            return s
        return None

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def peak(self):
        """VmHWM (KiB) at the last sample: the peak RSS of the program since its exec (unlike
        ru_maxrss, which keeps the forking Python's RSS across the exec)."""
        return max((s[3] for s in self.samples), default=None)

    def at(self, t):
        """The sample closest to wall time t."""
        return min(self.samples, key=lambda s: abs(s[0] - t)) if self.samples else None


class NotifySocket:
    """An AF_UNIX datagram socket for NOTIFY_SOCKET; records (time, datagram)."""

    def __init__(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if b"READY=1" in data.split(b"\n"):
                return time.time()

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


# ---- certificates, replies, nginx -------------------------------------------------------------

def task_id(i):
    return "T-5faa48fb31b6b8078d%06x" % i


def reply_body(i, state):
    """A DescribeTaskInfo reply of ~1.2 KB with five task_result entries."""
    tid = task_id(i)
    done = state == "success"
    instances = [{"data": "i-bp1%011x%04d" % (i, k),
                  "status": "success" if done or k < 2 else "initial"} for k in range(5)]
    stages = [{"state": "success", "start_time": "2026-11-28 13:58:02",
               "end_time": "2026-11-28 13:58:40", "message": "CreateInstances", "outputs": {}},
              {"state": "success" if done else "running", "start_time": "2026-11-28 13:58:40",
               "end_time": "2026-11-28 14:02:11" if done else "", "message": "JoinNodes",
               "outputs": {}}]
    body = {
        "task_id": tid,
        "cluster_id": "c82e6987e2961451182edacd74faf%03d" % (i % 1000),
        "task_type": "nodepool_scaleout",
        "state": state,
        "created": "2026-11-28T21:58:02+08:00",
        "updated": "2026-11-28T22:02:11+08:00" if done else "2026-11-28T21:58:40+08:00",
        "current_stage": "Finished" if done else "JoinNodes",
        "target": {"id": "np-31da1d38983f4511b490fc62108a%04d" % (i % 10000), "type": "nodepool"},
        "task_result": instances,
        "stages": stages,
        "events": [{"action": "ScaleOut", "level": "Normal", "reason": "Started",
                    "message": "Start to scale out node pool, 5 nodes",
                    "source": "nodepool-controller", "timestamp": "1795874282000"},
                   {"action": "CreateInstances", "level": "Normal", "reason": "Succeeded",
                    "message": "ECS instances created in zone cn-hangzhou-k",
                    "source": "nodepool-controller", "timestamp": "1795874320000"}],
        "parameters": {"count": 5, "node_pool_id": "np-31da1d38983f4511b490fc62108a"},
        "outputs": {},
    }
    return (json.dumps(body, separators=(",", ":")) + "\n").encode()


class Replies:
    """One file per task under www/tasks/, switched atomically between running and success."""

    def __init__(self, root, n):
        self.dir = os.path.join(root, "tasks")
        os.makedirs(self.dir, exist_ok=True)
        self.n = n
        self.state = {}
        self.set_all(range(n), "running")
        self.size = len(reply_body(0, "running"))

    def set(self, i, state):
        if self.state.get(i) == state:
            return
        path = os.path.join(self.dir, task_id(i))
        with open(path + ".tmp", "wb") as f:
            f.write(reply_body(i, state))
        os.replace(path + ".tmp", path)
        self.state[i] = state

    def set_all(self, ids, state):
        for i in ids:
            self.set(i, state)


NGINX_CONF = """
user root;
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
worker_rlimit_nofile 30000;
events {{ worker_connections 20000; }}
http {{
    log_format bench '$msec $connection $connection_requests $status $request_uri';
    access_log {d}/access.log bench buffer=1m flush=1s;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    # The server must never be why a client reconnects: no request cap, long idle time.
    keepalive_requests 100000000;
    keepalive_timeout 600s;
    ssl_session_cache shared:bench:1m;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {www};
        default_type application/json;
        location /tasks/ {{ add_header x-acs-request-id $request_id always; }}
        location /stub {{ stub_status; }}
    }}
}}
"""


class Nginx:
    def __init__(self, work, cert, key, www):
        self.dir = os.path.join(work, "nginx")
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=self.dir, port=self.port, cert=cert, key=key, www=www))
        self.access = os.path.join(self.dir, "access.log")
        for p in (self.access, os.path.join(self.dir, "nginx.pid")):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, "nginx", "-c", conf,
                                      "-p", self.dir],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"))
        self.url = "https://127.0.0.1:%d" % self.port
        self.authority = "127.0.0.1:%d" % self.port
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx exited: see %s/error.log" % self.dir)
                time.sleep(0.05)
        self.rotations = 0

    def take_log(self):
        """The requests logged since the last call: [(time, connection, nth request on it,
        status, uri)]."""
        self.rotations += 1
        old = os.path.join(self.dir, "access-%d.log" % self.rotations)
        if not os.path.exists(self.access):
            return []
        os.replace(self.access, old)
        self.proc.send_signal(signal.SIGUSR1)  # reopen: flushes the buffer into the old file
        deadline = time.monotonic() + 5
        while not os.path.exists(self.access) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
        out = []
        with open(old) as f:
            for line in f:
                p = line.split()
                if len(p) >= 5:
                    out.append((float(p[0]), int(p[1]), int(p[2]), int(p[3]), p[4]))
        os.unlink(old)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def count_between(entries, t0, t1):
    return sum(1 for e in entries if t0 <= e[0] < t1)


def handshakes(entries):
    """New connections (their first request) among entries."""
    return sum(1 for e in entries if e[2] == 1)


# ---- the clients ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.binary = os.path.abspath(args.taskwatchd)
        with open(self.binary, "rb") as f:
            self.has_budget = b"MaxRequestsPerSecond" in f.read()
        tls = os.path.join(WORK, "tls")
        os.makedirs(tls, exist_ok=True)
        self.ca, cert, key = acksim.make_certificates(tls)
        self.nmax = max(args.sizes)
        log("writing %d reply files", self.nmax)
        self.replies = Replies(os.path.join(WORK, "www"), self.nmax)
        self.nginx = Nginx(WORK, cert, key, os.path.join(WORK, "www"))
        self.runs = 0
        self.loads = []
        self.finish_grace = 60.0  # seconds beyond 3 intervals for every task to finish

    def close(self):
        self.nginx.stop()

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ALIBABA_CLOUD_", "NOTIFY_", "WATCHDOG_", "LISTEN_",
                                    "JOURNAL_STREAM", "NODE_", "STATE_DIRECTORY",
                                    "RUNTIME_DIRECTORY", "CREDENTIALS_DIRECTORY"))}
        env.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY_SECRET})
        env.update(extra or {})
        return env

    def scratch(self, name):
        self.runs += 1
        d = os.path.join(WORK, "runs", "%03d-%s" % (self.runs, name))
        os.makedirs(d, exist_ok=True)
        return d

    # -- taskwatchd
    def daemon_config(self, d, n, min_iv, max_iv, endpoint=None, ca=None, max_conn=4,
                      budget=True):
        """budget=True lifts the account-wide request budget (MaxRequestsPerSecond=, 50 by
        default), which would otherwise be what every figure measures."""
        path = os.path.join(d, "taskwatchd.conf")
        with open(path, "w") as f:
            f.write("[API]\nEndpoint=%s\nCAFile=%s\nMaxConnections=%d\nRequestTimeout=10s\n"
                    % (endpoint or self.nginx.url, ca or self.ca, max_conn))
            if budget and self.has_budget:
                f.write("MaxRequestsPerSecond=100000\n")
            f.write("[Poll]\nMinInterval=%dms\nMaxInterval=%dms\n[Tasks]\n"
                    % (round(min_iv * 1000), round(max_iv * 1000)))
            for i in range(n):
                f.write("Task=%s\n" % task_id(i))
        return path

    def start_daemon(self, d, conf, timeout_s, stderr_path=None, pin=True, extra_args=()):
        notify = NotifySocket(os.path.join(d, "notify.sock"))
        argv = [self.binary, "--config", conf, "--exit-when-done", "--timeout=%ds" % timeout_s,
                *extra_args]
        if pin:
            argv = ["taskset", "-c", CLIENT_CPU] + argv
        t_exec = time.time()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(stderr_path or os.path.join(d, "stderr"), "w"),
                                env=self.env({"NOTIFY_SOCKET": notify.path}))
        t_ready = notify.wait_ready(30)
        notify.close()
        if t_ready is None:
            kill_rusage(proc)
            raise RuntimeError("taskwatchd sent no READY=1: see %s/stderr" % d)
        return proc, t_exec, t_ready

    def run_taskwatchd(self, n, interval, window, state=False):
        """state: with a fresh --state-dir (a record saved per change, synced in bursts)."""
        d = self.scratch("taskwatchd-%d%s" % (n, "-state" if state else ""))
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        conf = self.daemon_config(d, n, interval, interval)
        extra = ("--state-dir", os.path.join(d, "state")) if state else ()
        proc, t_exec, t_ready = self.start_daemon(d, conf, int(window + 3 * interval + 60),
                                                  extra_args=extra)
        row = self._interval_run("taskwatchd", proc, n, interval, window, t_ready, d)
        if state:
            tasks = os.path.join(d, "state", "tasks")
            row["state"] = True
            row["records"] = sum(1 for f in os.listdir(tasks) if f.endswith(".json"))
            row["fs"] = sh("findmnt", "-n", "-o", "FSTYPE", "--target", tasks)
            # A restart on those records (every task ended): READY=1 comes before they are
            # read; the daemon exits once all are restored and found ended.
            proc, t_exec, t_ready = self.start_daemon(
                d, conf, 60, stderr_path=os.path.join(d, "stderr-restart"), extra_args=extra)
            res = wait_rusage(proc, 60)
            row["restart_ready_ms"] = 1000.0 * (t_ready - t_exec)
            row["restart_exit_s"] = time.time() - t_exec if res else None
            row["restart_exit"] = res[0] if res else kill_rusage(proc)[0]
        return row

    # -- the SDK
    def sdk_env(self):
        return self.env({"NODE_EXTRA_CA_CERTS": self.ca, "NODE_PATH": self.args.node_modules})

    def start_sdk(self, d, n, interval):
        tasks = os.path.join(d, "tasks.txt")
        with open(tasks, "w") as f:
            f.write("".join(task_id(i) + "\n" for i in range(n)))
        proc = subprocess.Popen(
            ["taskset", "-c", CLIENT_CPU, "node", os.path.join(HERE, "sdk-poller.js"),
             "--endpoint", self.nginx.authority, "--interval-ms", str(round(interval * 1000)),
             "--tasks", tasks],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(os.path.join(d, "stderr"), "w"), env=self.sdk_env(), text=True)
        line = proc.stdout.readline()
        if line.strip() != "ready":
            kill_rusage(proc)
            raise RuntimeError("sdk-poller did not start: see %s/stderr" % d)
        return proc, time.time()

    def run_sdk(self, n, interval, window):
        d = self.scratch("sdk-%d" % n)
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        proc, t_ready = self.start_sdk(d, n, interval)
        return self._interval_run("sdk", proc, n, interval, window, t_ready, d)

    def _interval_run(self, client, proc, n, interval, window, t_ready, d):
        """The steady-state window, then every task finishes; returns the row's figures."""
        sampler = Sampler(proc.pid)
        t_steady = t_ready + min(1.1 * interval + 0.5, window / 2)
        t_flip = t_ready + window
        while time.time() < t_flip and proc.poll() is None:
            time.sleep(min(0.1, max(0.0, t_flip - time.time())))
        flip_sample = sampler.sample()
        smaps = proc_smaps(proc.pid)
        self.replies.set_all(range(n), "success")
        t_flipped = time.time()
        res = wait_rusage(proc, 3 * interval + self.finish_grace)
        timed_out = res is None
        if timed_out:
            res = kill_rusage(proc)
        sampler.stop()
        summary = {}
        if client == "sdk":
            try:
                summary = json.loads(proc.stdout.read() or "{}")
            except ValueError:
                pass
        entries = self.nginx.take_log()
        status, cpu_total, _ = res
        maxrss = sampler.peak()
        a = sampler.at(t_steady)
        steady_polls = count_between(entries, a[0], flip_sample[0])
        steady_cpu = flip_sample[1] - a[1]
        row = {
            "client": client, "n": n, "interval": interval, "window": window,
            "exit": status, "timed_out": timed_out,
            "polls": len(entries), "polls_window": count_between(entries, t_ready, t_flip),
            "steady_polls": steady_polls, "steady_s": flip_sample[0] - a[0],
            "cpu_total": cpu_total, "cpu_steady": steady_cpu,
            "us_per_poll": 1e6 * steady_cpu / steady_polls if steady_polls else None,
            "us_per_poll_total": 1e6 * cpu_total / len(entries) if entries else None,
            "rss_steady_start": a[2], "rss_end": flip_sample[2], "maxrss": maxrss,
            "handshakes": handshakes(entries),
            "finish_s": time.time() - t_flipped, "smaps": smaps,
            "errors": sum(1 for e in entries if e[3] != 200) + summary.get("errors", 0),
        }
        row["hs_per_1000"] = 1000.0 * row["handshakes"] / row["polls"] if row["polls"] else None
        with open(os.path.join(d, "row.json"), "w") as f:
            json.dump(row, f, indent=1)
        return row

    # -- curl
    def run_curl(self, n, requests):
        d = self.scratch("curl-%d" % n)
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        cfg = os.path.join(d, "curl.conf")
        with open(cfg, "w") as f:
            f.write('silent\ncacert = "%s"\nheader = "Accept: application/json"\n' % self.ca)
            for k in range(requests):
                f.write('url = "%s/tasks/%s"\noutput = "/dev/null"\n'
                        % (self.nginx.url, task_id(k % n)))
        t0 = time.time()
        proc = subprocess.Popen(["taskset", "-c", CLIENT_CPU, "curl", "--config", cfg],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(d, "stderr"), "w"))
        sampler = Sampler(proc.pid, 0.1)
        status, cpu, _ = wait_rusage(proc, 600)
        wall = time.time() - t0
        sampler.stop()
        maxrss = sampler.peak()
        entries = self.nginx.take_log()
        polls = len(entries)
        return {"client": "curl", "n": n, "exit": status, "polls": polls, "cpu_total": cpu,
                "us_per_poll": 1e6 * cpu / polls if polls else None,
                "us_per_poll_total": 1e6 * cpu / polls if polls else None,
                "maxrss": maxrss, "handshakes": handshakes(entries),
                "hs_per_1000": 1000.0 * handshakes(entries) / polls if polls else None,
                "polls_per_s": polls / wall, "cpu_util": cpu / wall,
                "errors": sum(1 for e in entries if e[3] != 200)}

    # -- full speed
    def run_full_speed(self, client, n, measure, max_conn=4, profile=None):
        """Polls as fast as the client goes, on one core; returns polls/s and CPU use."""
        d = self.scratch("fullspeed-%s-%d" % (client, n))
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        if client == "taskwatchd":
            conf = self.daemon_config(d, n, 0.001, 0.001, max_conn=max_conn)
            proc, _, t_ready = self.start_daemon(d, conf, 600)
        else:
            proc, t_ready = self.start_sdk(d, n, 0)
        sampler = Sampler(proc.pid, 0.5)
        warm = 1.5 if client == "taskwatchd" else 3.0
        time.sleep(warm)
        a = sampler.sample()
        extra = profile(proc.pid, measure) if profile else None
        if not profile:
            time.sleep(measure)
        b = sampler.sample()
        sampler.stop()
        maxrss = sampler.peak()
        status, cpu_total, _ = kill_rusage(proc)
        entries = self.nginx.take_log()
        polls = count_between(entries, a[0], b[0])
        span = b[0] - a[0]
        rss = [s[2] for s in sampler.samples if s[0] >= a[0]]
        step = max(1, len(rss) // 12)
        series = [(round(s[0] - a[0], 1), s[2]) for s in sampler.samples[::step] if s[0] >= a[0]]
        return {"client": client, "n": n, "max_conn": max_conn, "polls_per_s": polls / span,
                "cpu_util": (b[1] - a[1]) / span,
                "us_per_poll": 1e6 * (b[1] - a[1]) / polls if polls else None,
                "rss_start": a[2], "rss_end": b[2], "rss_min": min(rss), "rss_max": max(rss),
                "maxrss": maxrss, "polls": len(entries), "handshakes": handshakes(entries),
                "hs_per_1000": 1000.0 * handshakes(entries) / len(entries) if entries else None,
                "errors": sum(1 for e in entries if e[3] != 200), "extra": extra,
                "rss_series": series}

    # -- start-up and the spread of the first polls
    def run_startup(self, n, reps):
        times = []
        spread = None
        for rep in range(reps):
            d = self.scratch("startup-%d" % n)
            self.nginx.take_log()
            conf = self.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX)
            proc, t_exec, t_ready = self.start_daemon(d, conf, 600)
            times.append(t_ready - t_exec)
            if rep == 0:
                # Watch the first MinInterval (+1 s): when does each task's first poll come?
                time.sleep(DEFAULT_MIN + 1.0)
            kill_rusage(proc)
            entries = self.nginx.take_log()
            if rep == 0:
                firsts = {}
                for e in entries:
                    firsts.setdefault(e[4], e[0])
                first = [t - t_ready for t in firsts.values()]
                buckets = [0] * 10
                for t in first:
                    k = int(t / (DEFAULT_MIN / 10))
                    if 0 <= k < 10:
                        buckets[k] += 1
                spread = {"polls": len(first), "first": min(first) if first else None,
                          "last": max(first) if first else None, "buckets": buckets,
                          "within_1s_of_ready": sum(1 for t in first if t < 1.0),
                          "beyond_interval": sum(1 for t in first if t > DEFAULT_MIN + 0.3),
                          "handshakes": handshakes(entries)}
        budget = None
        if self.has_budget:
            d = self.scratch("startup-default-budget-%d" % n)
            self.nginx.take_log()
            conf = self.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX, budget=False)
            proc, t_exec, t_ready = self.start_daemon(d, conf, 600)
            time.sleep(DEFAULT_MIN + 1.0)
            kill_rusage(proc)
            entries = self.nginx.take_log()
            budget = {"polls": count_between(entries, t_ready, t_ready + DEFAULT_MIN + 1.0),
                      "seconds": DEFAULT_MIN + 1.0}
        return {"n": n, "ready_s": times, "spread": spread, "default_budget": budget}

    # -- detection latency at the default intervals
    def run_latency(self, n, flip_lo, flip_hi):
        d = self.scratch("latency-%d" % n)
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        conf = self.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX, budget=False)
        r_fd, w_fd = os.pipe()
        notify = NotifySocket(os.path.join(d, "notify.sock"))
        proc = subprocess.Popen(["taskset", "-c", CLIENT_CPU, self.binary, "--config", conf,
                                 "--exit-when-done", "--timeout=600s"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=w_fd, env=self.env({"NOTIFY_SOCKET": notify.path}))
        os.close(w_fd)
        seen = {}
        pattern = re.compile(r"(T-[0-9a-f]+): task succeeded")

        def reader():
            with os.fdopen(r_fd, "r", errors="replace") as f:
                for line in f:
                    now = time.time()
                    m = pattern.search(line)
                    if m:
                        seen.setdefault(m.group(1), now)
        th = threading.Thread(target=reader, daemon=True)
        th.start()
        t_ready = notify.wait_ready(30)
        notify.close()
        rng = random.Random(7)
        plan = sorted((t_ready + rng.uniform(flip_lo, flip_hi), i) for i in range(n))
        flipped = {}
        for when, i in plan:
            time.sleep(max(0.0, when - time.time()))
            self.replies.set(i, "success")
            flipped[task_id(i)] = time.time()
        res = wait_rusage(proc, 2 * DEFAULT_MAX + 30) or kill_rusage(proc)
        status = res[0]
        th.join(5)
        entries = self.nginx.take_log()
        # The interval in force at the flip: the gap between the polls around it.
        uri_times = {}
        for e in entries:
            uri_times.setdefault(e[4].rsplit("/", 1)[-1], []).append(e[0])
        lat, iv, reaction = [], [], []
        for tid, t_flip in flipped.items():
            if tid not in seen:
                continue
            lat.append(seen[tid] - t_flip)
            times = sorted(uri_times.get(tid, []))
            before = [t for t in times if t < t_flip]
            after = [t for t in times if t >= t_flip]
            if before and after:
                iv.append(after[0] - before[-1])
            if after:
                reaction.append(seen[tid] - after[0])
        return {"n": n, "detected": len(lat), "flipped": len(flipped), "exit": status,
                "latency": lat, "interval_at_flip": iv, "reaction": reaction,
                "flip_window": (flip_lo, flip_hi)}

    # -- the simulator: the same daemon, with every signature checked
    def run_simulator(self, n, interval, window):
        d = self.scratch("simulator-%d" % n)
        five = json.loads(reply_body(0, "running"))["task_result"]
        scenario = {"credentials": [{"access_key_id": KEY_ID, "access_key_secret": KEY_SECRET}],
                    "tasks": {task_id(i): {"timeline": [
                        {"state": "running", "current_stage": "JoinNodes",
                         "task_result": five, "seconds": window},
                        {"state": "success", "current_stage": "Finished",
                         "task_result": [dict(x, status="success") for x in five]}]}
                        for i in range(n)}}
        with open(os.path.join(d, "scenario.json"), "w") as f:
            json.dump(scenario, f)
        sim = subprocess.Popen([sys.executable, ACKSIM, "--scenario",
                                os.path.join(d, "scenario.json"), "--dir", d],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(d, "acksim.stderr"), "w"))
        try:
            ready = os.path.join(d, "ready.json")
            deadline = time.monotonic() + 30
            while not os.path.exists(ready):
                if time.monotonic() > deadline or sim.poll() is not None:
                    raise RuntimeError("acksim did not start: see %s/acksim.stderr" % d)
                time.sleep(0.05)
            with open(ready) as f:
                info = json.load(f)
            conf = self.daemon_config(d, n, interval, interval, endpoint=info["url"],
                                      ca=info["ca"])
            proc, _, t_ready = self.start_daemon(d, conf, int(window + 60))
            sampler = Sampler(proc.pid)
            status, cpu, _ = wait_rusage(proc, window + 90) or kill_rusage(proc)
            sampler.stop()
            maxrss = sampler.peak() or 0
            import urllib.request
            import ssl
            ctx = ssl.create_default_context(cafile=info["ca"])
            with urllib.request.urlopen(info["url"] + "/_sim/stats", context=ctx) as r:
                stats = json.load(r)
            return {"n": n, "exit": status, "requests": stats["requests"],
                    "auth_failures": stats["auth_failures"],
                    "connections": stats["connections"], "handshakes": stats["handshakes"],
                    "cpu": cpu, "us_per_poll": 1e6 * cpu / max(1, stats["requests"]),
                    "maxrss": maxrss}
        finally:
            sim.send_signal(signal.SIGTERM)
            try:
                sim.wait(10)
            except subprocess.TimeoutExpired:
                sim.kill()


# ---- profiling --------------------------------------------------------------------------------

def perf_record(path):
    def run(pid, seconds):
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "--call-graph",
                        "dwarf,16384", "-p", str(pid), "-o", path, "--", "sleep", str(seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
        return path
    return run


def perf_reports(path):
    """(self, inclusive, per-library) top lists from perf report, as text."""
    def report(*extra, limit=40, keep=None):
        p = subprocess.run(["perf", "report", "-i", path, "--stdio", "-g", "none",
                            "--percent-limit", "0.5", *extra],
                           capture_output=True, text=True, timeout=600)
        lines = [re.sub(r"\s+-\s+-\s*$", "", ln.rstrip()) for ln in p.stdout.splitlines()
                 if ln.strip() and not ln.startswith("#")]
        # unresolved addresses inside stripped libraries say nothing
        lines = [ln for ln in lines if not re.search(r"\] 0x[0-9a-f]+$", ln)]
        if keep:
            lines = [ln for ln in lines if re.search(keep, ln)]
        return "\n".join(lines[:limit])
    entry_points = (r"\] (curl_\w+|Curl_\w+|yajl_\w+|HMAC\w*|EVP_\w+|SSL_\w+|BIO_\w+|"
                    r"sd_event_\w+|sd_journal\w*|malloc|free|cfree\S*|__libc_\w+|epoll_wait|"
                    r"timerfd_settime|__x64_sys_\w+)$")
    return {"self": report("--no-children", "--sort", "dso,symbol"),
            "ours": report("--children", "--sort", "dso,symbol", keep=r"taskwatchd\s", limit=45),
            "libs": report("--children", "--sort", "symbol", keep=entry_points, limit=45),
            "dso": report("--no-children", "--sort", "dso")}


def strace_count(path):
    def run(pid, seconds):
        p = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        p.send_signal(signal.SIGINT)
        p.wait(30)
        return path
    return run


def parse_strace(path, polls):
    """[(syscall, calls per poll)] from strace -c output."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                    try:
                        calls = int(p[3])
                    except ValueError:
                        continue
                    out.append((p[-1], calls / polls if polls else 0.0))
    except OSError:
        pass
    return sorted(out, key=lambda x: -x[1])


# ---- statistics and the report ----------------------------------------------------------------

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def spread(v):
    v = [x for x in v if x is not None]
    return (min(v), max(v)) if v else (None, None)


def fmt(x, nd=0):
    if x is None:
        return "–"
    if isinstance(x, float) and nd == 0 and abs(x) < 10:
        return "%.1f" % x
    return ("{:,.%df}" % nd).format(x)


def mib(kib):
    return None if kib is None else kib / 1024.0


def noise(v, nd=0):
    lo, hi = spread(v)
    if lo is None:
        return "–"
    m = med(v)
    rel = 100.0 * (hi - lo) / m if m else 0.0
    return "%s–%s (±%.0f%%)" % (fmt(lo, nd), fmt(hi, nd), rel / 2)


class Results:
    def __init__(self):
        self.rows = []        # interval runs and curl runs
        self.full = []        # full-speed runs
        self.default = []     # interval runs at the default interval (phase "default")
        self.loads = []       # (label, load at start, load at end)
        self.extra = {}

    def add(self, kind, row, label, load0):
        row["load"] = (load0, loadavg())
        self.loads.append((label, load0, row["load"][1]))
        {"full": self.full, "default": self.default}.get(kind, self.rows).append(row)

    def cell(self, client, n, key, rows=None):
        return [r.get(key) for r in (rows if rows is not None else self.rows)
                if r["client"] == client and r["n"] == n]

    def full_cell(self, client, n, key):
        return [r.get(key) for r in self.full
                if r["client"] == client and r["n"] == n and r.get("max_conn", 4) == 4
                and not r.get("extra")]


def per_poll(res, client, n, rows=None):
    """(µs per poll, footnote): the steady figure, else the whole-run one marked '*' (a
    client that never reached a steady state: it could not keep up)."""
    v = med(res.cell(client, n, "us_per_poll", rows))
    if v is not None:
        return v, ""
    v = med(res.cell(client, n, "us_per_poll_total", rows))
    return v, ("*" if v is not None else "")


def build_table(res, sizes):
    head = ("| client | tasks | interval | polls | CPU µs/poll (steady) | CPU µs/poll (whole run) "
            "| peak RSS MiB | RSS MiB per 1000 tasks | TLS handshakes per 1000 polls "
            "| polls/s, full speed, one core | taskwatchd ÷ SDK | taskwatchd ÷ floor |")
    lines = [head, "|" + "---|" * 12]
    noise_lines = []
    for n in sizes:
        for client in ("taskwatchd", "sdk", "curl"):
            us = res.cell(client, n, "us_per_poll")
            if not us:
                continue
            usm, mark = per_poll(res, client, n)
            whole = med(res.cell(client, n, "us_per_poll_total"))
            rss = med(res.cell(client, n, "maxrss"))
            hs = med(res.cell(client, n, "hs_per_1000"))
            polls = med(res.cell(client, n, "polls"))
            iv = med(res.cell(client, n, "interval"))
            if client == "curl":
                pps = med(res.cell(client, n, "polls_per_s"))
                iv_s = "none (sequential)"
            else:
                pps = med(res.full_cell(client, n, "polls_per_s"))
                iv_s = "%gs" % iv
            r_sdk = r_floor = "–"
            if client == "taskwatchd":
                sdk, smark = per_poll(res, "sdk", n)
                floor = med(res.cell("curl", n, "us_per_poll"))
                if sdk and usm:
                    r_sdk = "%.3f (SDK %.1f× more%s)" % (usm / sdk, sdk / usm, smark)
                if floor and usm:
                    r_floor = "%.2f" % (usm / floor)
            name = {"taskwatchd": "taskwatchd", "sdk": "Node SDK poller",
                    "curl": "curl CLI (floor)"}[client]
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, fmt(n), iv_s, fmt(polls), fmt(usm) + mark, fmt(whole), fmt(mib(rss), 1),
                fmt(mib(rss) * 1000 / n if rss else None, 2), fmt(hs, 2),
                fmt(pps), r_sdk, r_floor))
            noise_lines.append("| %s | %s | %d | %s | %s | %s |" % (
                name, fmt(n), len(us), noise(us), noise([mib(x) for x in
                                                           res.cell(client, n, "maxrss")], 1),
                noise(res.full_cell(client, n, "polls_per_s")
                      if client != "curl" else res.cell(client, n, "polls_per_s"))))
    noise_tab = ["| client | tasks | runs | CPU µs/poll min–max | peak RSS MiB min–max "
                 "| full-speed polls/s min–max |", "|---|---|---|---|---|---|"] + noise_lines
    return "\n".join(lines), "\n".join(noise_tab)


# ---- the whole benchmark ----------------------------------------------------------------------

class Plan:
    def __init__(self, quick, reps):
        self.quick = quick
        self.sizes = [100, 1000, 10000]
        if quick:
            self.reps = reps or 1
            self.rate = 2000.0           # aggregate polls/s the interval runs aim at
            self.min_window = 5.0
            self.window_rounds = 2.2
            self.curl_requests = 5000
            self.full_measure = 3.0
            self.full_sizes = [1000]
            self.sdk_full_sizes = [1000]
            self.startup_reps = 2
            self.latency = (20, 5.0, 12.0)
            self.profile_s = 3.0
            self.finish_grace = 5.0
            self.long_factor = 2
            self.default_window = 40.0   # phase "default": the window at the 5 s interval
        else:
            self.reps = reps or 3
            self.rate = 1000.0
            self.min_window = 10.0
            self.window_rounds = 2.5
            self.curl_requests = 20000
            self.full_measure = 6.0
            self.full_sizes = [100, 1000, 10000]
            self.sdk_full_sizes = [100, 1000]
            self.startup_reps = 5
            self.latency = (100, 20.0, 60.0)
            self.profile_s = 6.0
            self.finish_grace = 60.0
            self.long_factor = 3
            self.default_window = 60.0

    default_sizes = [100, 1000]          # phase "default" (10 000: the matrix row, if at 5 s)

    def interval(self, n):
        return n / self.rate

    def window(self, n):
        return max(self.min_window, self.window_rounds * self.interval(n))


def versions(args):
    def first(*cmd):
        out = sh(*cmd)
        return out.splitlines()[0] if out else "?"
    sdk = "?"
    core = "?"
    try:
        with open(os.path.join(args.node_modules, "@alicloud", "cs20151215", "package.json")) as f:
            sdk = json.load(f)["version"]
        with open(os.path.join(args.node_modules, "@alicloud", "openapi-core", "package.json")) as f:
            core = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        pass
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":")[1].strip()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return {
        "machine": "%s CPUs (nproc), %s, %s RAM, kernel %s" % (
            sh("nproc"), cpu, mem, sh("uname", "-r")),
        "taskwatchd": "%s (git describe %s; meson buildtype %s)" % (
            first(args.taskwatchd, "--version"),
            sh("git", "-C", ROOT, "describe", "--always", "--dirty"), args.buildtype)
        + ("; " + args.binary_note if args.binary_note else ""),
        "curl": first("curl", "--version"),
        "nginx": nginx.replace("nginx version: ", ""),
        "node": first("node", "--version"),
        "sdk": "@alicloud/cs20151215 %s, @alicloud/openapi-core %s" % (sdk, core),
        "openssl": first("openssl", "version"),
        "python": sys.version.split()[0],
    }


def main():
    global WORK
    ap = argparse.ArgumentParser()
    ap.add_argument("--taskwatchd", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--work", default=os.path.join(HERE, ".work"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--buildtype", default="release")
    ap.add_argument("--binary-note", default="")
    ap.add_argument("--command", default="tests/bench/run.sh")
    ap.add_argument("--phases",
                    default="matrix,default,state,simulator,full,startup,latency,profile")
    ap.add_argument("--from-json", help="only rewrite the report from this results.json")
    args = ap.parse_args()
    WORK = os.path.abspath(args.work)
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        res = Results()
        res.rows, res.full, res.loads, res.extra = (saved["rows"], saved["full"],
                                                    saved["loads"], saved["extra"])
        res.default = saved.get("default", [])  # absent from results.json of older runs
        plan = Plan(saved["extra"].get("quick", False), saved["extra"].get("reps", 0))
        args.buildtype = saved["extra"].get("buildtype", args.buildtype)
        args.binary_note = saved["extra"].get("binary_note", args.binary_note)
        with open(args.out, "w") as f:
            f.write(report(res, plan, saved["extra"].get("versions") or versions(args), args))
        log("rewrote %s from %s", args.out, args.from_json)
        return
    if os.path.isdir(os.path.join(WORK, "runs")):
        shutil.rmtree(os.path.join(WORK, "runs"))
    os.makedirs(WORK, exist_ok=True)
    plan = Plan(args.quick, args.reps)
    phases = set(args.phases.split(","))
    args.sizes = plan.sizes
    t_start = time.time()
    load_start = loadavg()
    res = Results()
    b = Bench(args)
    b.finish_grace = plan.finish_grace
    try:
        run_phases(b, plan, phases, res)
    finally:
        b.close()
    res.extra["elapsed"] = time.time() - t_start
    res.extra["load"] = (load_start, loadavg())
    res.extra.update({"quick": plan.quick, "reps": plan.reps, "buildtype": args.buildtype,
                      "binary_note": args.binary_note, "versions": versions(args),
                      "date": time.strftime("%Y-%m-%d %H:%M %Z")})
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump({"rows": res.rows, "full": res.full, "default": res.default,
                   "loads": res.loads, "extra": res.extra}, f, indent=1, default=str)
    text = report(res, plan, res.extra["versions"], args)
    with open(args.out, "w") as f:
        f.write(text)
    print(text.split("\n## ", 3)[2] if "\n## " in text else text)
    log("wrote %s (%.0f s)", args.out, res.extra["elapsed"])


def run_phases(b, plan, phases, res):
    if "matrix" in phases:
        for rep in range(plan.reps):
            for n in plan.sizes:
                iv, win = plan.interval(n), plan.window(n)
                for client in ("taskwatchd", "sdk", "curl"):
                    label = "%s N=%d rep %d" % (client, n, rep + 1)
                    log("%s (interval %gs, window %gs)", label, iv, win)
                    load0 = loadavg()
                    if client == "taskwatchd":
                        row = b.run_taskwatchd(n, iv, win)
                    elif client == "sdk":
                        row = b.run_sdk(n, iv, win)
                    else:
                        row = b.run_curl(n, plan.curl_requests)
                    row["rep"] = rep
                    res.add("matrix", row, label, load0)
                    log("  -> %s µs/poll, %d polls, maxrss %d KiB, %d handshakes",
                        fmt(row["us_per_poll"]), row["polls"], row["maxrss"], row["handshakes"])
    if "default" in phases:
        # What users run: MinInterval=MaxInterval=5 s (the default MinInterval). Kept out of
        # res.rows, whose cells are the matrix's.
        for rep in range(plan.reps):
            for n in plan.default_sizes:
                for client in ("taskwatchd", "sdk"):
                    label = "default %s N=%d rep %d" % (client, n, rep + 1)
                    log("%s (interval %gs, window %gs)", label, DEFAULT_MIN, plan.default_window)
                    load0 = loadavg()
                    run = b.run_taskwatchd if client == "taskwatchd" else b.run_sdk
                    row = run(n, DEFAULT_MIN, plan.default_window)
                    row["rep"] = rep
                    res.add("default", row, label, load0)
                    log("  -> %s µs/poll, %d polls, maxrss %d KiB, %d handshakes",
                        fmt(row["us_per_poll"]), row["polls"], row["maxrss"] or 0,
                        row["handshakes"])
    if "state" in phases:
        # The same run as the matrix's largest, with a state directory: every task saved at
        # its baseline and again when all finish at once.
        n = max(plan.sizes)
        iv, win = plan.interval(n), plan.window(n)
        label = "taskwatchd N=%d with --state-dir" % n
        log("%s (interval %gs, window %gs)", label, iv, win)
        load0 = loadavg()
        row = b.run_taskwatchd(n, iv, win, state=True)
        row["load"] = (load0, loadavg())
        res.loads.append((label, load0, row["load"][1]))
        res.extra["state"] = row
        log("  -> %s µs/poll steady, %s whole run, finish %.1f s, %d records",
            fmt(row["us_per_poll"]), fmt(row["us_per_poll_total"]), row["finish_s"],
            row["records"])
    if "simulator" in phases:
        log("taskwatchd vs the simulator (signatures checked)")
        load0 = loadavg()
        sim = b.run_simulator(100, 0.2, 5.0)
        sim["load"] = (load0, loadavg())
        res.loads.append(("simulator N=100", load0, sim["load"][1]))
        res.extra["simulator"] = sim
        log("  -> %s", sim)
    if "full" in phases:
        for rep in range(plan.reps):
            for client, sizes in (("taskwatchd", plan.full_sizes), ("sdk", plan.sdk_full_sizes)):
                for n in sizes:
                    label = "full speed %s N=%d rep %d" % (client, n, rep + 1)
                    log(label)
                    load0 = loadavg()
                    row = b.run_full_speed(client, n, plan.full_measure)
                    res.add("full", row, label, load0)
                    log("  -> %.0f polls/s at %.0f%% CPU, %s µs/poll, rss %d→%d KiB",
                        row["polls_per_s"], 100 * row["cpu_util"], fmt(row["us_per_poll"]),
                        row["rss_start"], row["rss_end"])
        # one longer run for memory over time, and one with more connections
        label = "full speed taskwatchd N=10000 long"
        log(label)
        load0 = loadavg()
        row = b.run_full_speed("taskwatchd", 10000, plan.long_factor * plan.full_measure)
        row["long"] = True
        row["extra"] = "long"
        res.add("full", row, label, load0)
        log("  -> rss %d→%d KiB over %d polls", row["rss_start"], row["rss_end"], row["polls"])
    if "startup" in phases:
        log("start-up with 10000 tasks")
        load0 = loadavg()
        res.extra["startup"] = b.run_startup(10000, plan.startup_reps)
        res.loads.append(("startup N=10000", load0, loadavg()))
        log("  -> %s", res.extra["startup"])
    if "latency" in phases:
        n, lo, hi = plan.latency
        log("detection latency at the default intervals: %d tasks flip in [%g, %g] s", n, lo, hi)
        load0 = loadavg()
        res.extra["latency"] = b.run_latency(n, lo, hi)
        res.loads.append(("latency N=%d" % n, load0, loadavg()))
        lat = res.extra["latency"]
        log("  -> median %s s, interval at flip median %s s", fmt(med(lat["latency"]), 2),
            fmt(med(lat["interval_at_flip"]), 2))
    if "profile" in phases:
        log("profile: perf record at full speed, 1000 tasks")
        load0 = loadavg()
        data = os.path.join(WORK, "perf.data")
        row = b.run_full_speed("taskwatchd", 1000, plan.profile_s, profile=perf_record(data))
        res.loads.append(("perf N=1000", load0, loadavg()))
        res.extra["perf_run"] = {k: v for k, v in row.items() if k != "extra"}
        res.extra["perf"] = perf_reports(data)
        log("profile: syscalls per poll (strace -c)")
        load0 = loadavg()
        st = os.path.join(WORK, "strace.txt")
        row = b.run_full_speed("taskwatchd", 1000, 3.0, profile=strace_count(st))
        res.loads.append(("strace N=1000", load0, loadavg()))
        res.extra["strace"] = {"polls": row["polls_per_s"] * 3.0,
                               "per_poll": parse_strace(st, row["polls_per_s"] * 3.0)}


def default_view(res):
    """The interval runs at the default interval (5 s): phase "default", plus the matrix's
    rows that ran at 5 s for the other sizes (N=10 000 when the matrix asks 2000 polls/s)."""
    own = {r["n"] for r in res.default}
    return res.default + [r for r in res.rows if r["client"] in ("taskwatchd", "sdk")
                          and r.get("interval") == DEFAULT_MIN and r["n"] not in own]


def default_ratios(res):
    """[(n, SDK µs/poll ÷ taskwatchd µs/poll, footnote)] at the default interval."""
    rows = default_view(res)
    out = []
    for n in sorted({r["n"] for r in rows}):
        t = med(res.cell("taskwatchd", n, "us_per_poll", rows))
        s, mark = per_poll(res, "sdk", n, rows)
        if t and s is not None:
            out.append((n, s / t, mark))
    return out


def targets(res, plan):
    """[(target, verdict, evidence)]"""
    out = []
    sizes = [n for n in plan.sizes if res.cell("taskwatchd", n, "us_per_poll")]

    def m(client, n, key):
        return med(res.cell(client, n, key))
    ev, ok = [], True
    for n in sizes:
        t, f = m("taskwatchd", n, "us_per_poll"), m("curl", n, "us_per_poll")
        if t is None or f is None:
            continue
        ok &= t <= f
        ev.append("N=%s: %s vs %s µs" % (fmt(n), fmt(t), fmt(f)))
    if ev:
        out.append(("CPU per poll ≤ the curl command line's", "PASS" if ok else "FAIL",
                    "; ".join(ev)))
    ev, ok = [], True
    for n in sizes:
        t = m("taskwatchd", n, "us_per_poll")
        s, mark = per_poll(res, "sdk", n)
        if t is None or s is None:
            continue
        ok &= s / t >= 20
        ev.append("N=%s: SDK %.1f×%s taskwatchd" % (fmt(n), s / t, mark))
    # ...and at the default interval (5 s), from phase "default" (the matrix row at 5 s is
    # already above)
    dflt = [(n, r, mark) for n, r, mark in default_ratios(res)
            if any(x["n"] == n for x in res.default)]
    if ev and dflt:
        ok &= all(r >= 20 for _, r, _ in dflt)
        ev[-1] += "; at the default %g s interval: %s" % (DEFAULT_MIN, ", ".join(
            "N=%s: SDK %.1f×%s" % (fmt(n), r, mark) for n, r, mark in dflt))
    if ev:
        out.append(("≥ 20× less CPU per poll than the SDK poller", "PASS" if ok else "FAIL",
                    "; ".join(ev)))
    rss = m("taskwatchd", 10000, "maxrss")
    if rss is not None:
        out.append(("10 000 tasks under 24 MiB RSS", "PASS" if rss < 24 * 1024 else "FAIL",
                    "peak RSS %.1f MiB (median of %d runs)"
                    % (rss / 1024, len(res.cell("taskwatchd", 10000, "maxrss")))))
    # Flat means: after the warm-up (the first rounds allocate every task's snapshot and
    # settle the heap), RSS no longer grows. Judged on the second half of the long run.
    longs = [r for r in res.full if r.get("long") and len(r.get("rss_series", [])) >= 4]
    steady = [r["rss_end"] - r["rss_steady_start"] for r in res.rows
              if r["client"] == "taskwatchd" and r["n"] == 10000]
    if longs:
        ev, flat = [], True
        for r in longs:
            s = r["rss_series"]
            mid = s[len(s) // 2]
            late = s[-1][1] - mid[1]
            flat &= late <= max(256, 0.01 * mid[1])
            ev.append("full speed, 10 000 tasks, %s polls: RSS %d → %d KiB in the first %g s "
                      "(warm-up), then %+d KiB from %g s to %g s" % (
                          fmt(r["polls"]), s[0][1], mid[1], mid[0], late, mid[0], s[-1][0]))
        if steady:
            ev.append("interval runs, 10 000 tasks: %s KiB during the second round (heap "
                      "settling)" % ", ".join("%+d" % g for g in steady))
        out.append(("memory flat over time (after warm-up)", "PASS" if flat else "FAIL",
                    "; ".join(ev)))
    pps = med(res.full_cell("taskwatchd", 1000, "polls_per_s"))
    if pps is not None:
        util = med(res.full_cell("taskwatchd", 1000, "cpu_util"))
        ev = ["1 000 tasks: %s polls/s at %.0f%% of one core (MaxConnections=4)"
              % (fmt(pps), 100 * (util or 0))]
        verdict = "PASS" if pps >= 5000 else "FAIL"
        big = med(res.full_cell("taskwatchd", 10000, "polls_per_s"))
        if big is not None:
            us = med(res.full_cell("taskwatchd", 10000, "us_per_poll"))
            ev.append("10 000 tasks: %s polls/s at %.0f%% of one core, %s µs/poll, so at most "
                      "~%s polls/s on a whole core" % (
                          fmt(big), 100 * (med(res.full_cell("taskwatchd", 10000, "cpu_util"))
                                           or 0), fmt(us), fmt(1e6 / us if us else None)))
            if big < 5000:
                verdict += " at 1 000 tasks; at 10 000 " + (
                    "not shown (below 100% CPU: the runs were disturbed, the CPU cost per poll "
                    "allows it)" if us and 1e6 / us >= 5000 else "FAIL")
        out.append(("≥ 5000 polls/s on one core against nginx", verdict, "; ".join(ev)))
    hs = [r for r in res.rows + res.full if r["client"] == "taskwatchd"]
    if hs:
        worst = max(r["handshakes"] for r in hs)
        worst_rate = max(r["hs_per_1000"] or 0 for r in hs)
        out.append(("TLS handshakes per 1000 polls ≤ pooled connections (4)",
                    "PASS" if worst_rate <= 4 else "FAIL",
                    "worst run: %d handshakes in the whole run; worst rate %.3f per 1000 polls"
                    % (worst, worst_rate)))
    st = res.extra.get("startup")
    if st:
        r = med(st["ready_s"])
        out.append(("READY=1 within 200 ms with 10 000 tasks", "PASS" if r <= 0.2 else "FAIL",
                    "exec → READY=1: median %.0f ms (%s ms over %d runs)"
                    % (1000 * r, ", ".join("%.0f" % (1000 * x) for x in st["ready_s"]),
                       len(st["ready_s"]))))
        sp = st["spread"]
        if sp and sp["polls"]:
            share = max(sp["buckets"]) / float(sp["polls"])
            ok = share <= 0.15 and sp["beyond_interval"] == 0
            out.append(("first polls spread over the first interval", "PASS" if ok else "FAIL",
                        "%d first polls between %.2f s and %.2f s after READY=1; busiest "
                        "0.5 s slice holds %.1f%% (uniform: 10%%)"
                        % (sp["polls"], sp["first"], sp["last"], 100 * share)))
    return out


def default_section(res, plan):
    """Report lines for phase "default": the cost at the daemon's default interval."""
    rows = default_view(res)
    if not res.default:
        return []
    L = ["### At the default interval (5 s)\n"]
    L.append("Every task polled every %g s (`MinInterval=MaxInterval=%gs` for taskwatchd, a "
             "%g s sleep in each SDK loop), as on an ops host running taskwatchd with its "
             "default `MinInterval`: this is the cost users actually pay, and at such low rates "
             "the CPU per poll of both clients is dominated by the overhead of each wake-up "
             "rather than by the request itself, which raises the Node SDK's per-poll cost a "
             "lot more than taskwatchd's (compare the matrix above). Steady CPU per poll as "
             "in the matrix (from the end of the first round to the end of the window); "
             "medians over %d run(s) per row; the N=10 000 row, when present, is the "
             "matrix's own (its interval N / %g is 5 s; its window is the matrix's).\n"
             % (DEFAULT_MIN, DEFAULT_MIN, DEFAULT_MIN, plan.reps, plan.rate))
    L.append("| client | tasks | polls/s asked | window | polls in the window "
             "| CPU µs/poll (steady, median) | peak RSS MiB | TLS handshakes per 1000 polls "
             "| SDK ÷ taskwatchd |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    ratios = {n: (r, mark) for n, r, mark in default_ratios(res)}
    for n in sorted({r["n"] for r in rows}):
        for client in ("taskwatchd", "sdk"):
            if not res.cell(client, n, "n", rows):
                continue
            us, mark = per_poll(res, client, n, rows)
            ratio = "–"
            if client == "taskwatchd" and n in ratios:
                ratio = "%.1f×%s" % ratios[n]
            L.append("| %s | %s | %s | %s s | %s | %s | %s | %s | %s |" % (
                {"taskwatchd": "taskwatchd", "sdk": "Node SDK poller"}[client], fmt(n),
                fmt(n / DEFAULT_MIN), fmt(med(res.cell(client, n, "window", rows))),
                fmt(med(res.cell(client, n, "polls_window", rows))), fmt(us) + mark,
                fmt(mib(med(res.cell(client, n, "maxrss", rows))), 1),
                fmt(med(res.cell(client, n, "hs_per_1000", rows)), 2), ratio))
    L.append("")
    cmp_ = []
    for n in sorted({r["n"] for r in res.default}):
        for client in ("taskwatchd", "sdk"):
            hi = per_poll(res, client, n)[0]
            lo = per_poll(res, client, n, res.default)[0]
            iv = med(res.cell(client, n, "interval"))
            if hi and lo and iv is not None and iv != DEFAULT_MIN:
                cmp_.append("%s N=%s: %s µs at %g s → %s µs at %g s (%.1f×)" % (
                    client, fmt(n), fmt(hi), iv, fmt(lo), DEFAULT_MIN, lo / hi))
    if cmp_:
        L.append("CPU per poll, matrix interval → default interval: %s.\n" % "; ".join(cmp_))
    if not any(r["n"] == 10000 for r in rows):
        ivs = sorted({r.get("interval") for r in res.rows if r["n"] == 10000
                      and r["client"] in ("taskwatchd", "sdk")})
        L.append("No N=10 000 row: %s.\n" % (
            "the matrix ran it at %s s, not %g s" % (", ".join("%g" % x for x in ivs),
                                                       DEFAULT_MIN)
            if ivs else "the matrix did not run"))
    bad = ["%s N=%s: %d errors%s" % (r["client"], fmt(r["n"]), r.get("errors", 0),
                                     ", stopped" if r.get("timed_out") else "")
           for r in res.default if r.get("errors") or r.get("timed_out")]
    if bad:
        L.append("Runs with errors or stopped: %s.\n" % "; ".join(bad))
    return L


def report(res, plan, ver, args):
    table, noise_tab = build_table(res, plan.sizes)
    L = []
    L.append("# taskwatchd benchmark results\n")
    L.append("Generated by `%s`%s on %s, in %.0f s. Load average (1/5/15 min) at the start "
             "%s, at the end %s. The analysis further down was written by hand from the run "
             "recorded here.\n" % (args.command, " --quick" if plan.quick and
                                   "--quick" not in args.command else "",
                                   res.extra.get("date") or time.strftime("%Y-%m-%d %H:%M %Z"),
                                   res.extra["elapsed"],
                                   res.extra["load"][0], res.extra["load"][1]))
    L.append("## Setup\n")
    for k in ("machine", "taskwatchd", "curl", "nginx", "node", "sdk", "openssl", "python"):
        L.append("- **%s**: %s" % (k, ver[k]))
    L.append("""
- Reproduce, as root: `tests/bench/run.sh` (everything, about 30 min) or `tests/bench/run.sh
  --quick` (one run of each, about 6 min). It builds `build-bench` (release), installs
  `nginx-light` with apt-get if missing and the SDK with npm into `tests/bench/.work/`
  (ignored by git), and rewrites this file.
- Clients run on CPU %s, nginx (one worker) on CPU %s (`taskset`). nginx serves one
  pre-generated reply file per task (%d bytes, five `task_result` entries, state `running`)
  over TLS 1.3 with keep-alive, `keepalive_requests` unlimited; a task finishes when its
  file is replaced atomically by a `success` reply. Every poll is counted in nginx's access
  log with `$connection` and `$connection_requests` (a request numbered 1 is a new TLS
  connection, i.e. a handshake).
- Interval runs: N tasks polled every N / %g s (so every client is asked for the same %g
  polls/s in total), `MinInterval=MaxInterval=` that interval for taskwatchd, the same sleep
  between polls in each SDK loop. The window is max(%g s, %g intervals); then every task
  finishes and the client must notice and exit. *Steady* CPU per poll is CPU time
  (user+sys, the process CPU clock: `clock_getcpuclockid`, ns, all threads) over
  nginx-counted polls from the end of the first round to
  the end of the window; *whole run* is the process's total CPU (`wait4` rusage, start-up,
  baselines and the finish included) over every poll. Peak RSS is VmHWM from
  `/proc/PID/status`, sampled every 0.25 s to the end (not `ru_maxrss`, which keeps the
  RSS of the forking Python across the exec).
- The floor: one `curl --config` process fetching %s URLs (the same reply files, cycling
  over the N ids) over one keep-alive connection, `-o /dev/null`; CPU from `wait4`.
- Full speed: taskwatchd with `MinInterval=MaxInterval=1ms` (MaxConnections=4), the SDK
  poller with a 0 ms sleep (one loop per task, so N requests in flight); polls/s counted
  by nginx over %g s after a warm-up.
- Medians of %d runs per cell; the noise table gives min–max.
""" % (CLIENT_CPU, SERVER_CPU, len(reply_body(0, "running")), plan.rate, plan.rate,
       plan.min_window, plan.window_rounds, fmt(plan.curl_requests), plan.full_measure,
       plan.reps))
    L.append("## Results\n")
    L.append(table + "\n")
    L.append("`*`: the client never reached a steady state in the window (it fell behind "
             "its schedule), so the figure is CPU over every poll of the whole run. Errors "
             "(non-200 replies, client-side timeouts) per run: %s.\n" % (", ".join(
                 "%s N=%s: %d" % (r["client"], fmt(r["n"]), r["errors"])
                 for r in res.rows if r.get("errors")) or "none"))
    killed = ["%s N=%s" % (r["client"], fmt(r["n"])) for r in res.rows if r.get("timed_out")]
    if killed:
        L.append("Did not finish within 3 intervals + %g s of the flip and was stopped (its "
                 "own error count is then unknown): %s.\n" % (
                     5.0 if plan.quick else 60.0, ", ".join(killed)))
    L.append("RSS per 1000 tasks above is the whole peak RSS divided by N/1000. The marginal "
             "cost of a watched task, from the peak RSS at 1 000 and 10 000 tasks:\n")
    for client in ("taskwatchd", "sdk"):
        a, b = med(res.cell(client, 1000, "maxrss")), med(res.cell(client, 10000, "maxrss"))
        if a and b:
            L.append("- %s: %.2f MiB per 1000 tasks (%.0f bytes per task)" % (
                client, (b - a) / 1024 / 9, (b - a) * 1024 / 9000))
    for n in plan.sizes:
        sm = [r["smaps"] for r in res.rows if r["client"] == "taskwatchd" and r["n"] == n
              and r.get("smaps")]
        if sm:
            s = sm[len(sm) // 2]
            L.append("- taskwatchd, %s tasks, RSS at the end of the window: %.1f MiB = %.1f MiB "
                     "anonymous (heap, stacks) + %.1f MiB file-backed (mapped libraries, "
                     "shared with other processes); PSS %.1f MiB" % (
                         fmt(n), s.get("Rss", 0) / 1024, s.get("Anonymous", 0) / 1024,
                         (s.get("Rss", 0) - s.get("Anonymous", 0)) / 1024,
                         s.get("Pss", 0) / 1024))
    L.append("")
    L.extend(default_section(res, plan))
    L.append("### Targets (issue 7)\n")
    L.append("| target | verdict | measured |")
    L.append("|---|---|---|")
    for name, verdict, ev in targets(res, plan):
        L.append("| %s | **%s** | %s |" % (name, verdict, ev))
    L.append("")
    L.append("### Noise\n")
    L.append(noise_tab + "\n")
    L.append("Figures of each run (and the load average around it) are in "
             "`tests/bench/.work/results.json` after a run.\n")
    L.append("### Full speed, one core\n")
    L.append("| client | tasks | polls/s | client CPU | µs/poll | handshakes | RSS start → end KiB |")
    L.append("|---|---|---|---|---|---|---|")
    for r in res.full:
        L.append("| %s%s | %s | %s | %.0f%% | %s | %d | %d → %d |" % (
            r["client"], " (long run)" if r.get("long") else "", fmt(r["n"]),
            fmt(r["polls_per_s"]), 100 * r["cpu_util"], fmt(r["us_per_poll"]), r["handshakes"],
            r["rss_start"], r["rss_end"]))
    L.append("")
    for r in res.full:
        if r.get("long"):
            L.append("RSS of the long run, %s tasks (seconds into the measurement: KiB): %s\n"
                     % (fmt(r["n"]), ", ".join("%g: %d" % (t, k) for t, k in r["rss_series"])))
    st = res.extra.get("state")
    if st:
        plain = [r for r in res.rows if r["client"] == "taskwatchd" and r["n"] == st["n"]]
        L.append("### With a state directory\n")
        L.append("The matrix's %s-task run again with `--state-dir` (on %s): every task's record "
                 "is written at its baseline and again when all of them finish at once. "
                 "CPU per poll %s µs steady, %s µs over the whole run; from the flip of every "
                 "task to `success` to the daemon's exit %.1f s; peak RSS %.1f MiB; %d records on "
                 "disk at the end. The same run without a state directory: %s.\n"
                 % (fmt(st["n"]), st.get("fs", "?"), fmt(st["us_per_poll"]),
                    fmt(st["us_per_poll_total"]), st["finish_s"], st["maxrss"] / 1024.0,
                    st["records"],
                    "; ".join("%s µs steady, %s µs whole run, finish %.1f s, peak %.1f MiB" % (
                        fmt(r["us_per_poll"]), fmt(r["us_per_poll_total"]), r["finish_s"],
                        r["maxrss"] / 1024.0) for r in plain) or "not run"))
        if st.get("restart_ready_ms") is not None:
            L.append("Restarted on those %s records (every task ended): exec → `READY=1` in %.0f ms, "
                     "since the records are read after it, in 10 ms slices of the loop; the daemon "
                     "had read them all, found every task ended and exited (status %s) %s after "
                     "the exec.\n" % (fmt(st["records"]), st["restart_ready_ms"], st["restart_exit"],
                                      "%.2f s" % st["restart_exit_s"] if st["restart_exit_s"]
                                      else "not within 60 s"))
    sim = res.extra.get("simulator")
    if sim:
        L.append("### Against the simulator (every signature verified)\n")
        L.append("taskwatchd, %d tasks, 200 ms interval, 5 s running then `success`: exit status "
                 "%s; %d requests, %d refused by the signature check; %d connections, %d TLS "
                 "handshakes; %.0f µs CPU per poll over the whole run (the simulator is Python "
                 "and slow, so this is a check, not a speed figure); peak RSS %.1f MiB.\n"
                 % (sim["n"], sim["exit"], sim["requests"], sim["auth_failures"],
                    sim["connections"], sim["handshakes"], sim["us_per_poll"],
                    sim["maxrss"] / 1024))
    st = res.extra.get("startup")
    if st:
        L.append("### Start-up and the first polls\n")
        L.append("exec → `READY=1` with 10 000 tasks in the configuration (NOTIFY_SOCKET bound "
                 "by the script): %s ms." % ", ".join("%.0f" % (1000 * x) for x in st["ready_s"]))
        sp = st["spread"]
        if sp and sp["polls"]:
            L.append(" First polls per 0.5 s slice of the first MinInterval (5 s): %s; "
                     "%d within the first second; %d after the first interval; %d TLS "
                     "handshakes for them.\n" % (" ".join(map(str, sp["buckets"])),
                                                 sp["within_1s_of_ready"],
                                                 sp["beyond_interval"], sp["handshakes"]))
        if st.get("default_budget"):
            db = st["default_budget"]
            L.append("These runs lift the account-wide budget (`MaxRequestsPerSecond=100000`), "
                     "as every other taskwatchd run here does. With the default budget (50 "
                     "requests/s) the same start polled %d tasks in its first %g s: the first "
                     "round of 10 000 tasks then takes about %.0f s, whatever MinInterval "
                     "says.\n" % (db["polls"], db["seconds"], 10000 / 50.0))
    lat = res.extra.get("latency")
    if lat and lat["latency"]:
        q = sorted(lat["latency"])
        L.append("### Detection latency at the default intervals (5 s → 2 min)\n")
        L.append("%d tasks, each flipped to `success` at a random moment %g–%g s after "
                 "READY=1; %d of %d detected. Latency from the flip to the daemon's stderr line "
                 "`task succeeded`: median %.1f s, 90th percentile %.1f s, max %.1f s. The poll "
                 "interval in force at the flip (gap between the polls around it): median "
                 "%.1f s, range %.1f–%.1f s; the expectation for a flip at a random moment is "
                 "half that interval on average, the whole of it at worst. From the poll that "
                 "got the success reply (nginx's log time) to the stderr line: median %.2f ms.\n"
                 % (lat["n"], lat["flip_window"][0], lat["flip_window"][1], lat["detected"],
                    lat["flipped"], med(q), q[int(0.9 * (len(q) - 1))], q[-1],
                    med(lat["interval_at_flip"]) or 0, *(spread(lat["interval_at_flip"])
                                                          if lat["interval_at_flip"] else (0, 0)),
                    1000 * (med(lat["reaction"]) or 0)))
    perf = res.extra.get("perf")
    if perf:
        pr = res.extra["perf_run"]
        L.append("## Profile\n")
        L.append("`perf record -e cpu-clock -F 499 --call-graph dwarf` on taskwatchd at full "
                 "speed, 1000 tasks, %.0f polls/s at %.0f%% of one core, for %g s "
                 "(hardware counters are not available in this VM, so `perf stat` gives no "
                 "instructions/cycles; cpu-clock sampling works).\n"
                 % (pr["polls_per_s"], 100 * pr["cpu_util"], plan.profile_s))
        L.append("Self time by library:\n\n```\n%s\n```\n" % perf["dso"])
        L.append("Self time by function (top; stripped libraries' internals are left out):"
                 "\n\n```\n%s\n```\n" % perf["self"])
        L.append("Inclusive time (children, self) of taskwatchd's own functions:\n\n```\n%s\n```\n"
                 % perf["ours"])
        L.append("Inclusive time of library entry points and system calls:\n\n```\n%s\n```\n"
                 % perf["libs"])
    stc = res.extra.get("strace")
    if stc and stc["per_poll"]:
        L.append("System calls per poll (`strace -c -f` for 3 s at full speed; strace slows the "
                 "daemon, the counts per poll are what matters):\n")
        L.append("| syscall | calls per poll |\n|---|---|")
        for name, per in stc["per_poll"][:14]:
            L.append("| %s | %.2f |" % (name, per))
        L.append("")
    analysis = os.path.join(HERE, "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            L.append(f.read())
    L.append("## Load average around each run\n")
    L.append("The machine has 2 cores and is shared; the benchmark itself adds about 1–2.\n")
    L.append("| run | load at start | load at end |\n|---|---|---|")
    for label, a, b in res.loads:
        L.append("| %s | %s | %s |" % (label, a, b))
    L.append("")
    return "\n".join(L)


if __name__ == "__main__":
    main()
