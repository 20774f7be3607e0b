#!/usr/bin/env python3
# HTTPS simulator of ACK's DescribeTaskInfo: real V3 signature checks, scripted timelines, faults.
"""acksim: a stand-in for cs.<region>.aliyuncs.com for integration tests and the demo.

    python3 acksim.py --scenario FILE --dir DIR [--host 127.0.0.1] [--port 0] [--verbose]

Writes DIR/ca.pem (+ server cert/key), listens with TLS, then writes DIR/ready.json
{"port", "url", "ca", "pid", "metadata_url", "sts_url"} atomically and prints the same JSON
line on stdout. metadata_url is a fake ECS metadata server (plain HTTP, its own port);
sts_url serves AssumeRoleWithOIDC on the HTTPS port (see credsim.py).
Control endpoints (no signature) live under /_sim/ on the same port: see
Handler.handle_control(); tests/integration/harness.py wraps them (class Simulator).

Account-wide throttling: POST /_sim/throttle {"rps": N, "retry_after_ms": M} answers
Throttling.User (HTTP 400, with x-acs-retry-after when M is given) to any API request beyond
N accepted in the last second, as the real API's flow control does; {"rps": 0} turns it off.

TLS failure: POST /_sim/tls {"untrusted_for": S} makes every TLS handshake for the next S
seconds present a certificate chain that ready.json's CA did not sign (same names, so only
the chain is wrong), and closes the open API connections so that clients must handshake
again. Control calls fail too during the window: a test waits it out on something else
(the journal). A scenario with "untrusted_listener": true also gets a second port that
always presents that chain: "untrusted_url" in ready.json. Log entries say which chain the
connection had ("tls"); /_sim/stats counts "untrusted_handshakes" started and
"untrusted_handshakes_completed" (a verifying client never completes one)."""

import argparse
import copy
import datetime
import hmac
import http.server
import itertools
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acsv3  # noqa: E402
import credsim  # noqa: E402

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 600.0
MAX_SKEW = 15 * 60
LOG_CAP = 200000
TZ = datetime.timezone(datetime.timedelta(hours=8))

FAULTS = {"throttle", "error", "reset", "stall", "truncated", "short_body", "huge", "deep",
          "nul", "wrong_types", "other_task", "not_found", "html", "expired_signature"}
STEP_CONTROL_KEYS = {"polls", "seconds", "hold", "fault", "reply_extra"}
TERMINAL = {"success", "fail", "failed", "canceled", "cancelled"}

SHUTDOWN = threading.Event()
VERBOSE = False


def log_stderr(fmt, *args):
    print("acksim: " + (fmt % args if args else fmt), file=sys.stderr, flush=True)


def iso8601(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), TZ).isoformat(timespec="seconds")


def stage_time(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), TZ).strftime("%Y-%m-%d %H:%M:%S")


def new_request_id():
    return str(uuid.uuid4()).upper()


# ---- certificates -----------------------------------------------------------------------------

def make_certificates(directory):
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost, via the openssl CLI."""
    def p(name):
        return os.path.join(directory, name)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "7",
        "-subj", "/CN=acksim throwaway CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-new", *ec, "-keyout", p("server.key"), "-out", p("server.csr"),
        "-subj", "/CN=localhost")
    with open(p("server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-out", p("server.pem"), "-days", "7", "-extfile", p("server.ext"))
    return p("ca.pem"), p("server.pem"), p("server.key")


def make_untrusted_certificates(directory):
    """The same names as make_certificates(), signed by another throwaway CA: a chain that a
    client trusting only ca.pem must refuse. In directory/untrusted/."""
    sub = os.path.join(directory, "untrusted")
    os.makedirs(sub, exist_ok=True)
    _, cert, key = make_certificates(sub)
    return cert, key


# ---- scenario ---------------------------------------------------------------------------------

class ScenarioError(Exception):
    pass


def validate_fault(fault):
    if not isinstance(fault, dict) or fault.get("fault") not in FAULTS:
        raise ScenarioError("unknown fault %r (known: %s)" % (
            fault.get("fault") if isinstance(fault, dict) else fault, ", ".join(sorted(FAULTS))))


def validate_task(task_id, spec):
    if not isinstance(spec, dict):
        raise ScenarioError("task %s: not an object" % task_id)
    timeline = spec.get("timeline", [])
    if not isinstance(timeline, list):
        raise ScenarioError("task %s: timeline is not a list" % task_id)
    for i, step in enumerate(timeline):
        if not isinstance(step, dict):
            raise ScenarioError("task %s step %d: not an object" % (task_id, i))
        if "fault" in step:
            validate_fault(step)


class Task:
    """One task's timeline. Steps advance lazily, when a request is served."""

    def __init__(self, task_id, spec, now_wall):
        self.id = task_id
        self.spec = spec
        self.timeline = list(spec.get("timeline") or [{}])
        self.idx = -1
        self.step_served = 0
        self.step_started = 0.0
        self.released = False
        self.pending_releases = 0
        body = {
            "task_id": task_id,
            "cluster_id": spec.get("cluster_id", "c-simulated"),
            "task_type": spec.get("task_type", "nodepool_scaleout"),
            "state": "running",
            "created": iso8601(now_wall),
            "updated": iso8601(now_wall),
            "current_stage": "",
            "target": spec.get("target", {"id": "np-simulated", "type": "nodepool"}),
            "task_result": [],
            "stages": [],
            "events": [],
            "parameters": {},
            "outputs": {},
        }
        for key, value in spec.items():
            if key not in ("timeline", "cluster_id", "task_type", "target"):
                body[key] = value
        self.body = body
        self.updated_epoch = now_wall

    def step(self):
        return self.timeline[self.idx] if self.idx >= 0 else None

    def _expired(self, now):
        st = self.timeline[self.idx]
        if st.get("hold"):
            return self.released and self.step_served >= 1
        if "polls" in st:
            return self.step_served >= int(st["polls"])
        if "seconds" in st:
            return now - self.step_started >= float(st["seconds"])
        return False

    def _enter(self, idx, now):
        self.idx = idx
        self.step_served = 0
        self.step_started = now
        self.released = False
        st = self.timeline[idx]
        if st.get("hold") and self.pending_releases > 0:
            self.pending_releases -= 1
            self.released = True
        if "fault" not in st:
            self._merge(st)

    def _merge(self, st):
        before = json.dumps(self.body, sort_keys=True)
        now_wall = time.time()
        fields = {k: copy.deepcopy(v) for k, v in st.items() if k not in STEP_CONTROL_KEYS}
        new_stage = fields.get("current_stage")
        if ("stages" not in fields and new_stage is not None
                and new_stage != self.body.get("current_stage")):
            self._close_stage("success", now_wall)
            if new_stage:
                self.body["stages"].append({"state": "running",
                                            "start_time": stage_time(now_wall),
                                            "end_time": "", "message": new_stage,
                                            "outputs": {}})
        self.body.update(fields)
        if "stages" not in fields and self.body.get("state") in TERMINAL:
            self._close_stage("success" if self.body["state"] == "success" else "failed",
                              now_wall)
        if json.dumps(self.body, sort_keys=True) != before:
            # strictly increasing, so that a change is always visible in "updated"
            self.updated_epoch = max(now_wall, self.updated_epoch + 1)
            self.body["updated"] = iso8601(self.updated_epoch)

    def _close_stage(self, state, now_wall):
        stages = self.body.get("stages")
        if isinstance(stages, list) and stages and isinstance(stages[-1], dict) \
                and stages[-1].get("state") == "running":
            stages[-1]["state"] = state
            stages[-1]["end_time"] = stage_time(now_wall)

    def serve(self, now):
        """Account one served request; returns the step to serve."""
        if self.idx < 0:
            self._enter(0, now)
        while self.idx + 1 < len(self.timeline) and self._expired(now):
            self._enter(self.idx + 1, now)
        self.step_served += 1
        return self.timeline[self.idx]

    def reply(self, step=None):
        body = copy.deepcopy(self.body)
        if step and isinstance(step.get("reply_extra"), dict):
            body.update(copy.deepcopy(step["reply_extra"]))
        return body

    def advance(self):
        st = self.step()
        if st is not None and st.get("hold") and not self.released:
            self.released = True
            return "released"
        self.pending_releases += 1
        return "pending"

    def describe(self):
        st = self.step()
        return {"step": self.idx, "step_served": self.step_served,
                "holding": bool(st and st.get("hold") and not self.released),
                "state": self.body.get("state")}


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
        self.max_skew = float(scenario.get("max_skew_seconds", MAX_SKEW))
        self.check_nonce = bool(scenario.get("check_nonce", True))
        self.nonces = {}
        self.injected = []  # [task or "*", fault, remaining]
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
            if entry.get("auth") != "ok":
                self.auth_failures += 1
            if entry.get("fault"):
                self.faults_served += 1
            if len(self.log) < LOG_CAP:
                self.log.append(entry)
            self.cond.notify_all()
        if entry.get("fault") or entry.get("auth") != "ok" or VERBOSE:
            log_stderr("conn %s %s task=%s status=%s fault=%s auth=%s", entry.get("conn"),
                       entry.get("path"), entry.get("task"), entry.get("status"),
                       entry.get("fault"), entry.get("auth"))

    def take_injected(self, task_id):
        """Next runtime-injected fault for this task (task-specific before "*"), or None."""
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
        """Check a V3 signature. Returns (key_id, None) or (key_id, (status, code, message))."""
        try:
            key_id, signed, sig = acsv3.parse_authorization(headers.get("Authorization"))
        except ValueError as e:
            return None, (400, "IncompleteSignature",
                          "The request signature does not conform to Aliyun standards: %s" % e)
        with self.cond:
            cred = self.credentials.get(key_id)
        if cred is None:
            return key_id, (404, "InvalidAccessKeyId.NotFound",
                            "Specified access key is not found.")
        received = {}
        for name in headers.keys():
            lower = name.lower()
            values = headers.get_all(name)
            received[lower] = ",".join(v.strip() for v in values)
        signed_set = {s.lower() for s in signed}
        for name in sorted(received):
            if (name == "host" or name.startswith("x-acs-")) and name not in signed_set:
                return key_id, (400, "IncompleteSignature",
                                "The request signature does not conform to Aliyun standards: "
                                "header %s is not signed." % name)
        for name in signed_set:
            if name not in received:
                return key_id, (400, "IncompleteSignature",
                                "The request signature does not conform to Aliyun standards: "
                                "signed header %s is missing." % name)
        payload_hash = received.get("x-acs-content-sha256")
        if payload_hash is None:
            return key_id, (400, "IncompleteSignature",
                            "x-acs-content-sha256 is mandatory for this action.")
        if payload_hash != acsv3.sha256_hex(body):
            return key_id, (400, "IncompleteSignature",
                            "x-acs-content-sha256 does not match the request body.")
        canon = acsv3.canonical_request(method, path, query, received, signed_set, payload_hash)
        to_sign = acsv3.string_to_sign(canon)
        expected = acsv3.signature(cred["access_key_secret"], to_sign)
        if not _consteq(expected, sig.lower()):
            return key_id, (400, "SignatureDoesNotMatch",
                            "Specified signature does not match our calculation. "
                            "server string to sign is:" + to_sign)
        now = time.time()
        date = received.get("x-acs-date")
        if date is None:
            return key_id, (400, "MissingParameter", "x-acs-date is mandatory for this action.")
        try:
            when = acsv3.parse_date(date)
        except ValueError:
            return key_id, (400, "InvalidTimeStamp.Format",
                            "Specified time stamp or date value is not well formatted.")
        if abs(now - when) > self.max_skew:
            return key_id, (400, "InvalidTimeStamp.Expired",
                            "Specified time stamp or date value is expired.")
        akid = received.get("x-acs-accesskey-id")
        if akid is not None and akid != key_id:
            return key_id, (400, "IncompleteSignature",
                            "x-acs-accesskey-id does not match the Credential.")
        token = cred.get("security_token")
        if token is not None:
            got = received.get("x-acs-security-token")
            if got is None:
                return key_id, (400, "InvalidSecurityToken.Expired",
                                "The security token is missing (required for this access key).")
            if not _consteq(got, token):
                return key_id, (400, "InvalidSecurityToken.Expired",
                                "Specified SecurityToken is expired or invalid.")
        expires = cred.get("expires_at")
        if expires is not None and now >= float(expires):
            return key_id, (400, "InvalidSecurityToken.Expired",
                            "Specified SecurityToken is expired.")
        with self.cond:
            if self.nonce_used(key_id, received.get("x-acs-signature-nonce"), now):
                return key_id, (400, "SignatureNonceUsed",
                                "Specified signature nonce was used already.")
        return key_id, None


def _consteq(a, b):
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


# ---- bodies -----------------------------------------------------------------------------------

def to_xml(tag, value):
    if isinstance(value, dict):
        inner = "".join(to_xml(k, v) for k, v in value.items())
    elif isinstance(value, list):
        return "".join(to_xml(tag, v) for v in value)
    elif value is None:
        inner = ""
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = xml_escape(str(value))
    tag = re.sub(r"[^A-Za-z0-9_.-]", "_", str(tag)) or "item"
    return "<%s>%s</%s>" % (tag, inner, tag)


def error_body(code, message, rid, host, casing="gateway"):
    if casing == "backend":
        return {"code": code, "message": message, "requestId": rid}
    return {"RequestId": rid, "HostId": host or "cs.cn-hangzhou.aliyuncs.com", "Code": code,
            "Message": message,
            "Recommend": "https://api.aliyun.com/troubleshoot?q=%s&product=CS&requestId=%s"
                         % (urllib.parse.quote(code), rid)}


HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
            b"</body>\r\n</html>\r\n")


# ---- HTTP -------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "acksim/1.0"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without this each reply waits ~40 ms
        # for the client's delayed ACK, which would show in every timing a test measures.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if VERBOSE:
            log_stderr("%s %s", self.address_string(), fmt % args)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    @property
    def sim(self):
        return self.server.sim

    def read_body(self):
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        n = int(length)
        if n < 0 or n > 16 * 1024 * 1024:
            raise ValueError("bad Content-Length")
        return self.rfile.read(n)

    def send_bytes(self, status, body, ctype="application/json;charset=utf-8", headers=(),
                   length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, headers=()):
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), headers=headers)

    def dispatch(self):
        control = self.path.startswith("/_sim/")
        self.sim.classify(self.conn, control)
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            self.send_json(400, {"error": "bad Content-Length"})
            return
        if control:
            self.handle_control(body)
        elif credsim.is_sts_request(self.path):
            credsim.handle_sts(self, body, self.sim.sts, self.sim.issuer)
        else:
            self.handle_api(body)

    # ---- control endpoints ----
    def handle_control(self, body):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        route = (self.command, url.path)
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            self.send_json(400, {"error": "body is not JSON"})
            return
        sim = self.sim
        try:
            if route == ("GET", "/_sim/stats"):
                self.send_json(200, sim.stats())
            elif route == ("GET", "/_sim/log"):
                since = int(q.get("since", 0))
                with sim.cond:
                    entries = sim.log[since:]
                self.send_json(200, entries)
            elif route == ("POST", "/_sim/advance"):
                with sim.cond:
                    task = sim.tasks.get(data.get("task"))
                    if task is None:
                        result = None
                    else:
                        result = task.advance()
                        sim.cond.notify_all()
                if result is None:
                    self.send_json(404, {"error": "no such task"})
                else:
                    self.send_json(200, {"task": data["task"], "result": result})
            elif route == ("POST", "/_sim/inject"):
                fault = data.get("fault")
                validate_fault(fault)
                count = int(data.get("count", 1))
                with sim.cond:
                    sim.injected.append([data.get("task", "*"), fault, count])
                self.send_json(200, {"injected": count})
            elif route == ("POST", "/_sim/tasks"):
                sim.add_tasks(data)
                self.send_json(200, {"tasks": sorted(data)})
            elif route == ("POST", "/_sim/credentials"):
                sim.set_credentials(data if isinstance(data, list) else data.get("credentials", []))
                self.send_json(200, {"credentials": len(sim.credentials)})
            elif route == ("POST", "/_sim/metadata"):
                if sim.metadata is None:
                    raise ValueError("no metadata server")
                self.send_json(200, sim.metadata.state.configure(data))
            elif route == ("POST", "/_sim/sts"):
                self.send_json(200, sim.sts.configure(data))
            elif route == ("POST", "/_sim/issuer"):
                sim.issuer.configure(data)
                self.send_json(200, sim.issuer.describe())
            elif route == ("POST", "/_sim/throttle"):
                self.send_json(200, sim.set_throttle(data))
            elif route == ("POST", "/_sim/tls"):
                closed = sim.set_untrusted(data.get("untrusted_for", 0))
                self.send_json(200, {"untrusted_for": data.get("untrusted_for", 0),
                                     "closed": closed})
            elif route == ("GET", "/_sim/wait"):
                self.control_wait(q)
            else:
                self.send_json(404, {"error": "unknown control endpoint %s %s" % route})
        except (ScenarioError, ValueError, TypeError, KeyError, AttributeError) as e:
            # a malformed control request is the test's bug: say so instead of dropping it
            self.send_json(400, {"error": str(e)})

    def control_wait(self, q):
        sim = self.sim
        timeout = min(float(q.get("timeout", 10)), 600.0)
        task = q.get("task")
        if "step" in q:
            want = int(q["step"])
            if task is None:
                raise ValueError("step= needs task=")

            def ok():
                t = sim.tasks.get(task)
                return t is not None and t.idx >= want
        else:
            want = int(q.get("polls", 1))

            def ok():
                n = sim.requests if task is None else sim.per_task.get(task, 0)
                return n >= want
        with sim.cond:
            done = sim.cond.wait_for(lambda: ok() or SHUTDOWN.is_set(), timeout)
            done = done and ok()
            stats = {"requests": sim.requests, "per_task": dict(sim.per_task),
                     "step": sim.tasks[task].idx if task in sim.tasks else None}
        self.send_json(200 if done else 408, {"done": bool(done), **stats})

    # ---- the API ----
    def handle_api(self, body):
        sim = self.sim
        rid = new_request_id()
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host", "")
        want_xml = "application/json" not in (self.headers.get("Accept") or "")
        m = re.fullmatch(r"/tasks/([^/]+)", path)
        task_id = urllib.parse.unquote(m.group(1)) if m else None
        entry = {"task": task_id, "status": None, "fault": None, "conn": self.conn.number,
                 "auth": "ok", "key": None, "request_id": rid, "method": self.command,
                 "path": path, "tls": self.conn.tls}

        key_id, err = sim.verify(self.command, path, query, self.headers, body)
        entry["key"] = key_id
        if err is None:
            action = self.headers.get("x-acs-action")
            version = self.headers.get("x-acs-version")
            if action is None:
                err = (400, "MissingParameter", "x-acs-action is mandatory for this action.")
            elif action != acsv3.ACTION or m is None or self.command != "GET":
                err = (404, "InvalidAction.NotFound",
                       "Specified api is not found, please check your url and method.")
            elif version != acsv3.VERSION:
                err = (400, "InvalidVersion", "Specified parameter Version is not valid.")
        if err is not None:
            status, code, message = err
            entry["status"] = status
            entry["auth"] = code
            sim.record(entry)
            self.send_error_body(status, code, message, rid, host, want_xml)
            return

        # decide everything under the lock so the timeline and the log agree
        now = time.monotonic()
        stall = 0.0
        with sim.cond:
            # the account's flow control first: a refused request takes no injected fault
            # and does not move the timeline
            fault = sim.flow_control(now)
            if fault is not None:
                entry["throttled"] = "account"
            else:
                fault = sim.take_injected(task_id)
            if fault is not None and fault["fault"] == "stall":
                stall = float(fault.get("seconds", 3600))
                entry["fault"] = "stall"
                fault = None
            task = sim.tasks.get(task_id)
            step = None
            if fault is None and task is not None:
                step = task.serve(now)
                if "fault" in step:
                    fault = step
            if fault is not None and fault["fault"] == "stall":
                stall = float(fault.get("seconds", 3600))
                fault = None
                entry["fault"] = "stall"
            reply = task.reply(step) if task is not None else None
            if fault is not None:
                entry["fault"] = fault["fault"]
                entry["status"] = fault_status(fault)
            elif task is None:
                entry["status"] = 404
            else:
                entry["status"] = 200
            sim.record(entry)

        if stall > 0:
            SHUTDOWN.wait(stall)
            if SHUTDOWN.is_set():
                self.close_connection = True
                return
        if fault is not None:
            self.serve_fault(fault, task_id, reply, rid, host, want_xml)
        elif task is None:
            self.send_error_body(404, "ErrorTaskNotFound", "task %s not found" % task_id, rid,
                                 host, want_xml)
        else:
            self.send_reply(reply, rid, want_xml)

    def send_reply(self, reply, rid, want_xml, status=200):
        headers = [("x-acs-request-id", rid)]
        if want_xml:
            data = ('<?xml version="1.0" encoding="UTF-8"?>'
                    + to_xml("DescribeTaskInfoResponse", reply)).encode("utf-8")
            self.send_bytes(status, data, "application/xml;charset=utf-8", headers)
        else:
            self.send_bytes(status, json.dumps(reply).encode("utf-8"), headers=headers)

    def send_error_body(self, status, code, message, rid, host, want_xml, casing="gateway",
                        extra_headers=()):
        body = error_body(code, message, rid, host, casing)
        headers = [("x-acs-request-id", rid), *extra_headers]
        if want_xml:
            data = ('<?xml version="1.0" encoding="UTF-8"?>' + to_xml("Error", body)).encode()
            self.send_bytes(status, data, "application/xml;charset=utf-8", headers)
        else:
            self.send_bytes(status, json.dumps(body).encode("utf-8"), headers=headers)

    def serve_fault(self, fault, task_id, reply, rid, host, want_xml):
        name = fault["fault"]
        casing = fault.get("casing", "gateway")
        status = fault_status(fault)
        if reply is None:
            reply = {"task_id": task_id, "state": "running", "task_result": [], "stages": [],
                     "events": []}
        if name == "throttle":
            extra = []
            if fault.get("retry_after_ms") is not None:
                extra.append(("x-acs-retry-after", str(int(fault["retry_after_ms"]))))
            self.send_error_body(status, fault.get("code", "Throttling.User"),
                                 fault.get("message", "Request was denied due to user flow "
                                                      "control."),
                                 rid, host, want_xml, casing, extra)
        elif name == "error":
            self.send_error_body(status, fault.get("code", "InternalError"),
                                 fault.get("message", "The request processing has failed due "
                                                      "to some unknown error."),
                                 rid, host, want_xml, casing)
        elif name == "expired_signature":
            # what verify() answers to an x-acs-date older than the allowed skew
            self.send_error_body(400, "InvalidTimeStamp.Expired",
                                 "Specified time stamp or date value is expired.", rid, host,
                                 want_xml, casing)
        elif name == "not_found":
            self.send_error_body(404, fault.get("code", "ErrorTaskNotFound"),
                                 "task %s not found" % task_id, rid, host, want_xml, casing)
        elif name == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.conn_reset = True
            self.close_connection = True
        elif name == "truncated":
            data = json.dumps(reply).encode("utf-8")
            data = data[:max(1, len(data) // 2)]
            self.send_bytes(200, data, headers=[("x-acs-request-id", rid)])
        elif name == "short_body":
            data = json.dumps(reply).encode("utf-8")
            self.close_connection = True
            self.send_bytes(200, data[:len(data) // 2], headers=[("x-acs-request-id", rid)],
                            length=len(data))
        elif name == "huge":
            self.send_huge(int(float(fault.get("mib", 50)) * 1024 * 1024), task_id, rid)
        elif name == "deep":
            depth = int(fault.get("depth", 100000))
            self.send_bytes(200, b"[" * depth + b"]" * depth,
                            headers=[("x-acs-request-id", rid)])
        elif name == "nul":
            body = dict(reply)
            body["state"] = "running"
            data = json.dumps(body).replace('"state": "running"', '"state": "run\\u0000ning"')
            data = data.encode("utf-8")
            if not fault.get("escaped", False):
                data = data.replace(b"\\u0000", b"\x00")
            self.send_bytes(200, data, headers=[("x-acs-request-id", rid)])
        elif name == "wrong_types":
            body = dict(reply)
            body.update({"state": 5, "task_result": "x"})
            self.send_reply(body, rid, want_xml)
        elif name == "other_task":
            body = dict(reply)
            body["task_id"] = fault.get("task_id", "T-other-task")
            self.send_reply(body, rid, want_xml)
        elif name == "html":
            self.send_bytes(status, HTML_502, "text/html")

    def send_huge(self, size, task_id, rid):
        """A valid JSON object of exactly size bytes, streamed in 64 KiB chunks."""
        head = json.dumps({"task_id": task_id, "state": "running"})[:-1].encode()
        head += b', "padding": "'
        tail = b'"}'
        pad = max(0, size - len(head) - len(tail))
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(head) + pad + len(tail)))
        self.send_header("x-acs-request-id", rid)
        self.end_headers()
        chunk = b"x" * 65536
        try:
            self.wfile.write(head)
            while pad > 0 and not SHUTDOWN.is_set():
                n = min(pad, len(chunk))
                self.wfile.write(chunk if n == len(chunk) else chunk[:n])
                pad -= n
            self.wfile.write(tail)
        except OSError:
            self.close_connection = True


def fault_status(fault):
    name = fault["fault"]
    if name == "reset":
        return None
    if name == "throttle":
        return int(fault.get("status", 400))
    if name == "error":
        return int(fault.get("status", 500))
    if name == "not_found":
        return 404
    if name == "expired_signature":
        return 400
    if name == "html":
        return int(fault.get("status", 502))
    return 200


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address, ctx, sim, untrusted=None, always_untrusted=False):
        self.ctx = ctx
        self.untrusted = untrusted  # a callable giving the untrusted chain's context
        self.always_untrusted = always_untrusted
        self.sim = sim
        super().__init__(address, Handler)

    def process_request_thread(self, sock, client_address):
        """Runs in the connection's thread: TLS handshake here, not in the accept loop."""
        conn = self.sim.new_connection()
        tls = None
        handler = None
        with self.sim.cond:
            self.sim.live.add(conn)
        try:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            ctx = self.ctx
            if self.untrusted is not None and self.sim.choose_chain(conn, self.always_untrusted):
                ctx = self.untrusted()
            tls = ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            conn.sock = tls
            tls.do_handshake()
            self.sim.handshake_done(conn)
            tls.settimeout(IDLE_TIMEOUT)
            handler = Handler.__new__(Handler)
            handler.conn = conn
            handler.conn_reset = False
            handler.__init__(tls, client_address, self)
        except (OSError, ssl.SSLError, ValueError):
            pass
        except Exception as e:  # keep serving whatever a handler does
            log_stderr("connection %d: %r", conn.number, e)
        finally:
            with self.sim.cond:
                self.sim.live.discard(conn)
                conn.sock = None
            try:
                if tls is not None:
                    tls.close()
                else:
                    sock.close()
            except OSError:
                pass


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    VERBOSE = args.verbose

    directory = os.path.abspath(args.dir)
    os.makedirs(directory, exist_ok=True)
    ready = os.path.join(directory, "ready.json")
    try:
        os.unlink(ready)
    except FileNotFoundError:
        pass
    try:
        with open(args.scenario) as f:
            scenario = json.load(f)
        sim = Sim(scenario)
    except (OSError, ValueError, ScenarioError) as e:
        log_stderr("bad scenario %s: %s", args.scenario, e)
        return 2

    ca, cert, key = make_certificates(directory)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])

    def on_signal(signum, frame):
        SHUTDOWN.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    untrusted_lock = threading.Lock()
    untrusted_ctx = []

    def untrusted():
        """The untrusted chain's context, made on first use (two more openssl runs)."""
        with untrusted_lock:
            if not untrusted_ctx:
                c, k = make_untrusted_certificates(directory)
                u = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                u.load_cert_chain(c, k)
                u.set_alpn_protocols(["http/1.1"])
                untrusted_ctx.append(u)
            return untrusted_ctx[0]

    server = Server((args.host, args.port), ctx, sim, untrusted)
    port = server.server_address[1]
    servers = [server]
    if scenario.get("untrusted_listener"):
        untrusted()
        bad = Server((args.host, 0), ctx, sim, untrusted, always_untrusted=True)
        servers.append(bad)
    sim.metadata = credsim.MetadataServer(args.host, sim.issuer, scenario.get("metadata"))
    info = {"port": port, "url": "https://%s:%d" % (args.host, port), "ca": ca,
            "pid": os.getpid(), "metadata_url": sim.metadata.url,
            "sts_url": "https://%s:%d" % (args.host, port)}
    if len(servers) > 1:
        info["untrusted_url"] = "https://%s:%d" % (args.host, servers[1].server_address[1])
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True).start()
    tmp = ready + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.replace(tmp, ready)
    print(json.dumps(info), flush=True)

    while not SHUTDOWN.wait(0.2):
        pass
    with sim.cond:
        sim.cond.notify_all()  # wake /_sim/wait callers
    for s in servers:
        s.shutdown()
        s.server_close()
    sim.metadata.shutdown()
    sim.metadata.server_close()
    try:
        os.unlink(ready)
    except OSError:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # handler threads may be blocked in reads; do not wait for them


if __name__ == "__main__":
    sys.exit(main())
