# The benchmark's runs of taskwatchd alone: start-up, detection latency, the simulator check.
"""Functions of a bench_runs.Bench (passed as b): how fast READY=1 comes and how the first
polls spread, how long a flip to success takes to show at the default intervals, one
run against tests/simulator with every signature verified, and the /metrics scrape of
thousands of tasks."""

import json
import os
import random
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

from bench_common import ACKSIM, CLIENT_CPU, DEFAULT_MAX, DEFAULT_MIN, KEY_ID, KEY_SECRET
from bench_nginx import count_between, handshakes, reply_body, task_id
from bench_samplers import NotifySocket, Sampler, kill_rusage, wait_rusage


# ---- start-up and the spread of the first polls
def run_startup(b, n, reps):
    times = []
    spread = None
    for rep in range(reps):
        d = b.scratch("startup-%d" % n)
        b.nginx.take_log()
        conf = b.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX)
        proc, t_exec, t_ready = b.start_daemon(d, conf, 600)
        times.append(t_ready - t_exec)
        if rep == 0:
            # Watch the first MinInterval (+1 s): when does each task's first poll come?
            time.sleep(DEFAULT_MIN + 1.0)
        kill_rusage(proc)
        entries = b.nginx.take_log()
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
    if b.has_budget:
        d = b.scratch("startup-default-budget-%d" % n)
        b.nginx.take_log()
        conf = b.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX, budget=False)
        proc, t_exec, t_ready = b.start_daemon(d, conf, 600)
        time.sleep(DEFAULT_MIN + 1.0)
        kill_rusage(proc)
        entries = b.nginx.take_log()
        budget = {"polls": count_between(entries, t_ready, t_ready + DEFAULT_MIN + 1.0),
                  "seconds": DEFAULT_MIN + 1.0}
    return {"n": n, "ready_s": times, "spread": spread, "default_budget": budget}


# ---- detection latency at the default intervals
def run_latency(b, n, flip_lo, flip_hi):
    d = b.scratch("latency-%d" % n)
    b.replies.set_all(range(b.nmax), "running")
    b.nginx.take_log()
    conf = b.daemon_config(d, n, DEFAULT_MIN, DEFAULT_MAX, budget=False)
    r_fd, w_fd = os.pipe()
    notify = NotifySocket(os.path.join(d, "notify.sock"))
    proc = subprocess.Popen(["taskset", "-c", CLIENT_CPU, b.binary, "--config", conf,
                             "--exit-when-done", "--timeout=600s"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=w_fd, env=b.env({"NOTIFY_SOCKET": notify.path}))
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
        b.replies.set(i, "success")
        flipped[task_id(i)] = time.time()
    res = wait_rusage(proc, 2 * DEFAULT_MAX + 30) or kill_rusage(proc)
    status = res[0]
    th.join(5)
    entries = b.nginx.take_log()
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


# ---- the simulator: the same daemon, with every signature checked
def run_simulator(b, n, interval, window):
    d = b.scratch("simulator-%d" % n)
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
        conf = b.daemon_config(d, n, interval, interval, endpoint=info["url"],
                                  ca=info["ca"])
        proc, _, t_ready = b.start_daemon(d, conf, int(window + 60))
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


# ---- /metrics: a scrape of n watched tasks
def _cpu_rss(pid):
    """(user+sys seconds, VmRSS KiB) of pid now."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open("/proc/%d/status" % pid) as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return cpu, rss


def _scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        return r.read()


def free_port():
    """A loopback port nothing listens on now."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_metrics_scrape(b, n, scrapes, interval=10.0):
    """n tasks all running, polled every interval: once each has its baseline, `scrapes`
    scrapes one after another. The daemon's CPU per scrape is net of what it polled in the
    same time (its CPU rate in an equal window just before, without scrapes)."""
    port = free_port()
    d = b.scratch("metrics-scrape-%d" % n)
    b.replies.set_all(range(b.nmax), "running")
    b.nginx.take_log()
    conf = b.daemon_config(d, n, interval, interval, metrics="127.0.0.1:%d" % port)
    proc, _, t_ready = b.start_daemon(d, conf, 3600)
    try:
        want = ('taskwatch_tasks{state="running",task_type="nodepool_scaleout",'
                'source="config"} %d' % n).encode()
        deadline = time.monotonic() + 3 * interval + 30
        while want not in _scrape(port):
            if time.monotonic() > deadline:
                raise RuntimeError("not every task had its baseline: see %s/stderr" % d)
            time.sleep(0.5)
        body = _scrape(port)
        for _ in range(10):  # the series arrays at their size
            _scrape(port)
        cpu0, rss0 = _cpu_rss(proc.pid)
        t0 = time.monotonic()
        walls, rss_every_100 = [], []
        for k in range(scrapes):
            w0 = time.monotonic()
            _scrape(port)
            walls.append(time.monotonic() - w0)
            if k % 100 == 99:
                rss_every_100.append(_cpu_rss(proc.pid)[1])
        t1 = time.monotonic()
        cpu1, rss1 = _cpu_rss(proc.pid)
        # the same time without scrapes: what polling alone costs
        time.sleep(t1 - t0)
        cpu2, rss2 = _cpu_rss(proc.pid)
        t2 = time.monotonic()
    finally:
        kill_rusage(proc)
    idle_rate = (cpu2 - cpu1) / (t2 - t1)
    gross = (cpu1 - cpu0) / scrapes
    net = ((cpu1 - cpu0) - idle_rate * (t1 - t0)) / scrapes
    walls.sort()
    return {"n": n, "scrapes": scrapes, "bytes": len(body),
            "series": sum(1 for line in body.splitlines() if line and not line.startswith(b"#")),
            "cpu_ms_per_scrape_gross": 1000 * gross, "cpu_ms_per_scrape_net": 1000 * net,
            "wall_ms_median": 1000 * walls[len(walls) // 2],
            "wall_ms_p99": 1000 * walls[int(len(walls) * 0.99)],
            "polling_cpu_per_s": idle_rate, "rss_kib_before": rss0, "rss_kib_after": rss1,
            "rss_kib_growth": rss1 - rss0, "rss_kib_every_100": rss_every_100}
