# The simulator's mutable state: tasks, credentials, connections, counters, the request log.
"""One Sim per simulator, every field guarded by Sim.cond: the handler threads (sim_server),
the control endpoints (sim_control) and the credential services (credsim) share it. Also
the account-wide flow control and the runtime-injected faults, which decide per request.
Clusters (sim_clusters) list the tasks whose cluster_id they are."""

import itertools
import socket
import sys
import threading
import time

import credsim
import sim_signature
from sim_clusters import Cluster, injection_key, validate_cluster
from sim_tasks import ScenarioError, Task, validate_task

MAX_SKEW = 15 * 60
LOG_CAP = 200000

SHUTDOWN = threading.Event()  # set on SIGTERM/SIGINT: stalls and waits end early
VERBOSE = False  # set by acksim.main(): log every request, not only faults and refusals


def log_stderr(fmt, *args):
    print("acksim: " + (fmt % args if args else fmt), file=sys.stderr, flush=True)


class Connection:
    def __init__(self, number):
        self.number = number
        self.handshake = False
        self.kind = None  # None until its first request: "api" or "control"
        self.tls = "trusted"  # or "untrusted": the chain this connection was offered
        self.sock = None  # the TLS socket, to close API connections on /_sim/tls


class Sim:
    """All mutable simulator state, guarded by one condition variable."""

    def __init__(self, scenario):
        self.cond = threading.Condition()
        self.credentials = {}
        self.set_credentials(scenario.get("credentials", []))
        self.tasks = {}
        self.add_tasks(scenario.get("tasks", {}))
        self.clusters = {}
        self.per_cluster = {}  # list requests per cluster id
        self.injected = []  # [target (task id, "cluster:<id>" or "*"), fault, remaining]
        self.add_clusters(scenario.get("clusters", {}))
        self.max_skew = float(scenario.get("max_skew_seconds", MAX_SKEW))
        self.check_nonce = bool(scenario.get("check_nonce", True))
        self.nonces = {}
        self.conn_seq = itertools.count(1)
        self.accepted = 0
        self.control_connections = 0
        self.control_handshakes = 0
        self.handshakes_total = 0
        self.requests = 0
        self.per_task = {}
        self.auth_failures = 0
        self.faults_served = 0
        self.log = []
        self.t0 = time.monotonic()
        self.issuer = credsim.CredentialIssuer(self, scenario.get("issuer"))
        self.sts = credsim.StsState(scenario.get("sts"))
        self.metadata = None  # the MetadataServer, started by main()
        self.throttle_rps = 0  # account-wide flow control (/_sim/throttle); 0 = off
        self.throttle_fault = None
        self.accepted_times = []  # monotonic times of the requests accepted in the last second
        self.throttled = 0
        self.untrusted_until = 0.0  # monotonic; handshakes before it get the untrusted chain
        self.untrusted_handshakes = 0
        self.untrusted_completed = 0
        self.live = set()  # open Connections

    # scenario changes
    def set_credentials(self, creds):
        table = {}
        for c in creds:
            if not isinstance(c, dict) or not c.get("access_key_id") \
                    or "access_key_secret" not in c:
                raise ScenarioError("credential needs access_key_id and access_key_secret")
            table[c["access_key_id"]] = c
        with self.cond:
            self.credentials = table

    def add_tasks(self, tasks):
        if not isinstance(tasks, dict):
            raise ScenarioError("tasks must be an object")
        for tid, spec in tasks.items():
            validate_task(tid, spec)
        now = time.time()
        with self.cond:
            for tid, spec in tasks.items():
                self.tasks[tid] = Task(tid, spec, now)
            self.cond.notify_all()

    def add_clusters(self, clusters):
        """Add or replace clusters; their "faults" join the injected ones."""
        if not isinstance(clusters, dict):
            raise ScenarioError("clusters must be an object")
        for cid, spec in clusters.items():
            validate_cluster(cid, spec)
        with self.cond:
            for cid, spec in clusters.items():
                c = Cluster(cid, spec)
                self.clusters[cid] = c
                for fault, count in c.initial_faults():
                    self.injected.append([injection_key(cid), fault, count])
            self.cond.notify_all()

    # connections
    def new_connection(self):
        with self.cond:
            self.accepted += 1
            return Connection(next(self.conn_seq))

    def handshake_done(self, conn):
        with self.cond:
            conn.handshake = True
            self.handshakes_total += 1
            if conn.tls == "untrusted":
                self.untrusted_completed += 1

    def choose_chain(self, conn, always_untrusted=False):
        """Whether this connection's handshake offers the untrusted chain (and count it)."""
        with self.cond:
            if always_untrusted or time.monotonic() < self.untrusted_until:
                conn.tls = "untrusted"
                self.untrusted_handshakes += 1
                return True
            return False

    def set_untrusted(self, seconds):
        """Untrusted chain for seconds from now; the open API connections are closed so that
        the clients handshake again (a request caught mid-way is retried by a client on a new
        connection, which then meets the untrusted chain)."""
        with self.cond:
            self.untrusted_until = time.monotonic() + max(0.0, float(seconds))
            victims = [c for c in self.live if c.kind == "api" and c.sock is not None]
        for c in victims:
            try:
                c.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(victims)

    def set_throttle(self, data):
        rps = float(data.get("rps") or 0)
        fault = {"fault": "throttle"}
        for k in ("retry_after_ms", "status", "code", "message"):
            if data.get(k) is not None:
                fault[k] = data[k]
        with self.cond:
            self.throttle_rps = rps
            self.throttle_fault = fault if rps > 0 else None
            self.accepted_times = []
        return {"rps": rps}

    def flow_control(self, now):
        """Under self.cond: the throttle fault for a request beyond the account's rate, or
        None (and the request counts as accepted)."""
        if self.throttle_fault is None:
            return None
        cut = now - 1.0
        i = 0
        while i < len(self.accepted_times) and self.accepted_times[i] <= cut:
            i += 1
        if i:
            del self.accepted_times[:i]
        if len(self.accepted_times) >= self.throttle_rps:
            self.throttled += 1
            return self.throttle_fault
        self.accepted_times.append(now)
        return None

    def classify(self, conn, control):
        with self.cond:
            if conn.kind is not None:
                return
            conn.kind = "control" if control else "api"
            if control:
                self.control_connections += 1
                if conn.handshake:
                    self.control_handshakes += 1

    def stats(self):
        with self.cond:
            return {
                "requests": self.requests,
                "connections": self.accepted - self.control_connections,
                "handshakes": self.handshakes_total - self.control_handshakes,
                "per_task": dict(self.per_task),
                "per_cluster": dict(self.per_cluster),
                "auth_failures": self.auth_failures,
                "faults": self.faults_served,
                "control_connections": self.control_connections,
                "control_handshakes": self.control_handshakes,
                "tasks": {tid: t.describe() for tid, t in self.tasks.items()},
                "metadata": self.metadata.state.describe() if self.metadata else None,
                "sts": self.sts.describe(),
                "issued": self.issuer.describe()["issued"],
                "throttled": self.throttled,
                "untrusted_handshakes": self.untrusted_handshakes,
                "untrusted_handshakes_completed": self.untrusted_completed,
            }

    # per request
    def record(self, entry):
        """Count one API request and log it; entry is completed here."""
        with self.cond:
            entry["t"] = round(time.monotonic() - self.t0, 6)
            self.requests += 1
            if entry.get("task") is not None:
                self.per_task[entry["task"]] = self.per_task.get(entry["task"], 0) + 1
            if entry.get("cluster") is not None:
                self.per_cluster[entry["cluster"]] = self.per_cluster.get(entry["cluster"], 0) + 1
            if entry.get("auth") != "ok":
                self.auth_failures += 1
            if entry.get("fault"):
                self.faults_served += 1
            if len(self.log) < LOG_CAP:
                self.log.append(entry)
            self.cond.notify_all()
        if entry.get("fault") or entry.get("auth") != "ok" or VERBOSE:
            log_stderr("conn %s %s task=%s status=%s fault=%s auth=%s", entry.get("conn"),
                       entry.get("path"), entry.get("task") or entry.get("cluster"),
                       entry.get("status"), entry.get("fault"), entry.get("auth"))

    def take_injected(self, task_id):
        """Next runtime-injected fault for this task (task-specific before "*"), or None;
        for a cluster's list, task_id is injection_key(cluster id)."""
        for wanted in (task_id, "*"):
            for item in self.injected:
                if item[0] == wanted and item[2] > 0:
                    item[2] -= 1
                    fault = item[1]
                    self.injected = [i for i in self.injected if i[2] > 0]
                    return fault
        return None

    def nonce_used(self, key_id, nonce, now):
        if not self.check_nonce or not nonce:
            return False
        if len(self.nonces) > 100000:
            self.nonces = {k: t for k, t in self.nonces.items() if now - t < 2 * self.max_skew}
        k = (key_id, nonce)
        if k in self.nonces and now - self.nonces[k] < 2 * self.max_skew:
            return True
        self.nonces[k] = now
        return False

    def verify(self, method, path, query, headers, body):
        """Check a V3 signature (sim_signature) against this scenario's credentials and seen
        nonces. Returns (key_id, None) or (key_id, (status, code, message))."""
        def credential(key_id):
            with self.cond:
                return self.credentials.get(key_id)

        def nonce_used(key_id, nonce, now):
            with self.cond:
                return self.nonce_used(key_id, nonce, now)
        return sim_signature.verify_request(method, path, query, headers, body, credential,
                                            nonce_used, self.max_skew)
