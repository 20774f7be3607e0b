# The benchmark's runs: one client (taskwatchd, the Node SDK, a floor) against nginx, measured.
"""Bench owns nginx and the reply files; each run_*() method starts a client in its own
scratch directory, measures it (bench_samplers, nginx's log) and returns a row of figures
(a dict) for bench_report. The runs of taskwatchd alone that are not about CPU per poll
(start-up, detection latency, the simulator) are in bench_daemon_runs."""

import json
import os
import subprocess
import sys
import time

import bench_floors
from bench_common import CLIENT_CPU, HERE, KEY_ID, KEY_SECRET, ROOT, log, sh
from bench_nginx import Nginx, Replies, count_between, handshakes, task_id
from bench_samplers import NotifySocket, Sampler, kill_rusage, proc_smaps, wait_rusage

sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))
import acksim  # noqa: E402  (its throwaway CA and server certificate serve nginx too)


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.binary = os.path.abspath(args.taskwatchd)
        with open(self.binary, "rb") as f:
            self.has_budget = b"MaxRequestsPerSecond" in f.read()
        self.work = os.path.abspath(args.work)
        tls = os.path.join(self.work, "tls")
        os.makedirs(tls, exist_ok=True)
        self.ca, cert, key = acksim.make_certificates(tls)
        self.nmax = max(args.sizes)
        log("writing %d reply files", self.nmax)
        self.replies = Replies(os.path.join(self.work, "www"), self.nmax)
        self.nginx = Nginx(self.work, cert, key, os.path.join(self.work, "www"))
        self.runs = 0
        self.floor_binaries = {}  # kind: path, built on first use
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
        d = os.path.join(self.work, "runs", "%03d-%s" % (self.runs, name))
        os.makedirs(d, exist_ok=True)
        return d

    # -- taskwatchd
    def daemon_config(self, d, n, min_iv, max_iv, endpoint=None, ca=None, max_conn=4,
                      budget=True, metrics=None):
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
            if metrics:
                f.write("[Metrics]\nListen=%s\n" % metrics)
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

    def run_taskwatchd(self, n, interval, window, state=False, metrics=None):
        """state: with a fresh --state-dir (a record saved per change, synced in bursts).
        metrics: a [Metrics] Listen= address (the endpoint on, never scraped)."""
        d = self.scratch("taskwatchd-%d%s%s" % (n, "-state" if state else "",
                                                "-metrics" if metrics else ""))
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        conf = self.daemon_config(d, n, interval, interval, metrics=metrics)
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

    # -- the floors: the curl command line, libcurl alone, OpenSSL alone
    def run_floor(self, kind, n, requests):
        """requests sequential fetches over one connection, cycling over n tasks (see
        bench_floors); CPU from wait4, polls from nginx's log."""
        d = self.scratch("%s-%d" % (kind, n))
        self.replies.set_all(range(self.nmax), "running")
        self.nginx.take_log()
        if kind == "curl":
            cfg = os.path.join(d, "curl.conf")
            with open(cfg, "w") as f:
                f.write('silent\ncacert = "%s"\nheader = "Accept: application/json"\n' % self.ca)
                for k in range(requests):
                    f.write('url = "%s/tasks/%s"\noutput = "/dev/null"\n'
                            % (self.nginx.url, task_id(k % n)))
            cmd = ["curl", "--config", cfg]
        else:
            if kind not in self.floor_binaries:
                self.floor_binaries[kind] = bench_floors.build(kind, self.work)
            prefix = task_id(0)[:-6]
            assert task_id(n - 1) == prefix + "%06x" % (n - 1), "task_id() changed its format"
            cmd = bench_floors.argv(kind, self.floor_binaries[kind], self.nginx.url, self.ca,
                                    prefix, n, requests)
        t0 = time.time()
        proc = subprocess.Popen(["taskset", "-c", CLIENT_CPU, *cmd],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(d, "stderr"), "w"))
        sampler = Sampler(proc.pid, 0.1)
        status, cpu, _ = wait_rusage(proc, 600) or kill_rusage(proc)
        wall = time.time() - t0
        sampler.stop()
        maxrss = sampler.peak()
        entries = self.nginx.take_log()
        polls = len(entries)
        return {"client": kind, "n": n, "exit": status, "polls": polls, "cpu_total": cpu,
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
