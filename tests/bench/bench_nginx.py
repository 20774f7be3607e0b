# The server side of the benchmark: nginx over TLS, one reply file per task, and its access log.
"""nginx serves one pre-generated reply file per task (Replies); a task "finishes" when its
file is replaced atomically by a success reply. Every poll is a line of nginx's access log
(Nginx.take_log) with the connection serial and the request number on that connection,
which gives the handshakes (handshakes())."""

import json
import os
import signal
import socket
import subprocess
import time

from bench_common import SERVER_CPU


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
