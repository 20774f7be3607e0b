# The simulator's HTTPS server: TLS per connection, DescribeTaskInfo and DescribeClusterTasks
# as ACK answers them.
"""Server accepts, handshakes in the connection's thread (with the trusted or the untrusted
chain: Sim.choose_chain) and hands the socket to Handler, which routes /_sim/ to
sim_control, STS to credsim, and everything else to the API: signature check (Sim.verify),
the action the path needs, flow control, injected and scripted faults, then the task's reply
(GET /tasks/{id}) or a page of the cluster's list (GET /clusters/{id}/tasks, sim_clusters)
as JSON or XML."""

import http.server
import json
import re
import socket
import ssl
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape as xml_escape

import acsv3
import credsim
import sim_clusters
import sim_control
import sim_state
from sim_state import SHUTDOWN, log_stderr

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 600.0


def new_request_id():
    return str(uuid.uuid4()).upper()


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
        if sim_state.VERBOSE:
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
            sim_control.handle_control(self, body)
        elif credsim.is_sts_request(self.path):
            credsim.handle_sts(self, body, self.sim.sts, self.sim.issuer)
        else:
            self.handle_api(body)
    # ---- the API ----
    def handle_api(self, body):
        sim = self.sim
        rid = new_request_id()
        path, _, query = self.path.partition("?")
        host = self.headers.get("Host", "")
        want_xml = "application/json" not in (self.headers.get("Accept") or "")
        m = re.fullmatch(r"/tasks/([^/]+)", path)
        mc = re.fullmatch(r"/clusters/([^/]+)/tasks", path)
        task_id = urllib.parse.unquote(m.group(1)) if m else None
        cluster_id = urllib.parse.unquote(mc.group(1)) if mc else None
        wanted = acsv3.ACTION_CLUSTER_TASKS if mc else acsv3.ACTION
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
            elif action != wanted or (m is None and mc is None) or self.command != "GET":
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
        if mc is not None:
            del entry["task"]
            entry["cluster"] = cluster_id
            self.handle_cluster_tasks(cluster_id, query, entry, rid, host, want_xml)
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
                entry["status"] = sim_control.fault_status(fault)
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
            sim_control.serve_fault(self, fault, task_id, reply, rid, host, want_xml)
        elif task is None:
            self.send_error_body(404, "ErrorTaskNotFound", "task %s not found" % task_id, rid,
                                 host, want_xml)
        else:
            self.send_reply(reply, rid, want_xml)

    def handle_cluster_tasks(self, cluster_id, query, entry, rid, host, want_xml):
        """One page of DescribeClusterTasks: flow control, injected faults, not found and
        forbidden, bad paging, then the page of a snapshot taken now."""
        sim = self.sim
        now = time.monotonic()
        stall = 0.0
        error = None
        page = None
        with sim.cond:
            fault = sim.flow_control(now)
            if fault is not None:
                entry["throttled"] = "account"
            else:
                fault = sim.take_injected(sim_clusters.injection_key(cluster_id))
            if fault is not None and fault["fault"] == "stall":
                stall = float(fault.get("seconds", 3600))
                entry["fault"] = "stall"
                fault = None
            cluster = sim.clusters.get(cluster_id)
            if fault is None:
                if cluster is None:
                    error = (404, "ErrorClusterNotFound", "cluster %s not found" % cluster_id)
                elif cluster.forbidden:
                    error = (403, "Forbidden.RAM", "You are not authorized to operate on "
                             "this cluster: cs:DescribeClusterTasks on %s." % cluster_id)
                else:
                    try:
                        number, size = cluster.parse_paging(
                            urllib.parse.parse_qsl(query, keep_blank_values=True))
                    except ValueError as e:
                        error = (400, "InvalidParameter", str(e))
            if fault is None and error is None:
                # the list reads the tasks' timelines as time has moved them
                for t in sim.tasks.values():
                    t.tick(now)
                page = cluster.page(sim.tasks.values(), time.time(), number, size, rid)
                entry["page"] = number
                entry["listed"] = [e["task_id"] for e in page["tasks"]]
            if fault is not None:
                entry["fault"] = fault["fault"]
                entry["status"] = sim_control.fault_status(fault)
            elif error is not None:
                entry["status"] = error[0]
            else:
                entry["status"] = 200
            sim.record(entry)

        if stall > 0:
            SHUTDOWN.wait(stall)
            if SHUTDOWN.is_set():
                self.close_connection = True
                return
        if fault is not None:
            sim_control.serve_fault(self, fault, cluster_id, {"tasks": [], "requestId": rid},
                                    rid, host, want_xml)
        elif error is not None:
            self.send_error_body(error[0], error[1], error[2], rid, host, want_xml)
        else:
            self.send_reply(page, rid, want_xml, root="DescribeClusterTasksResponse")

    def send_reply(self, reply, rid, want_xml, status=200, root="DescribeTaskInfoResponse"):
        headers = [("x-acs-request-id", rid)]
        if want_xml:
            data = ('<?xml version="1.0" encoding="UTF-8"?>'
                    + to_xml(root, reply)).encode("utf-8")
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
