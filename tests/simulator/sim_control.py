# The simulator's control API (/_sim/..., unsigned) and the faults it serves instead of replies.
"""Functions of the request handler (sim_server.Handler, passed as handler): the control
endpoints tests/integration/harness.py wraps (class Simulator), and serve_fault(), which
answers a request with a scripted or injected fault (sim_tasks.FAULTS) instead of the task."""

import json
import socket
import struct
import urllib.parse

from sim_state import SHUTDOWN
from sim_clusters import injection_key
from sim_tasks import ScenarioError, validate_fault

HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n"
            b"</body>\r\n</html>\r\n")


def handle_control(handler, body):
    url = urllib.parse.urlsplit(handler.path)
    q = dict(urllib.parse.parse_qsl(url.query))
    route = (handler.command, url.path)
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        handler.send_json(400, {"error": "body is not JSON"})
        return
    sim = handler.sim
    try:
        if route == ("GET", "/_sim/stats"):
            handler.send_json(200, sim.stats())
        elif route == ("GET", "/_sim/log"):
            since = int(q.get("since", 0))
            with sim.cond:
                entries = sim.log[since:]
            handler.send_json(200, entries)
        elif route == ("POST", "/_sim/advance"):
            with sim.cond:
                task = sim.tasks.get(data.get("task"))
                if task is None:
                    result = None
                else:
                    result = task.advance()
                    sim.cond.notify_all()
            if result is None:
                handler.send_json(404, {"error": "no such task"})
            else:
                handler.send_json(200, {"task": data["task"], "result": result})
        elif route == ("POST", "/_sim/inject"):
            fault = data.get("fault")
            validate_fault(fault)
            count = int(data.get("count", 1))
            # {"cluster": C} aims at C's list requests, {"task": T} at T's polls
            target = (injection_key(data["cluster"]) if data.get("cluster") is not None
                      else data.get("task", "*"))
            with sim.cond:
                sim.injected.append([target, fault, count])
            handler.send_json(200, {"injected": count})
        elif route == ("POST", "/_sim/clusters"):
            sim.add_clusters(data)
            handler.send_json(200, {"clusters": sorted(data)})
        elif route == ("POST", "/_sim/tasks"):
            sim.add_tasks(data)
            handler.send_json(200, {"tasks": sorted(data)})
        elif route == ("POST", "/_sim/credentials"):
            sim.set_credentials(data if isinstance(data, list) else data.get("credentials", []))
            handler.send_json(200, {"credentials": len(sim.credentials)})
        elif route == ("POST", "/_sim/metadata"):
            if sim.metadata is None:
                raise ValueError("no metadata server")
            handler.send_json(200, sim.metadata.state.configure(data))
        elif route == ("POST", "/_sim/sts"):
            handler.send_json(200, sim.sts.configure(data))
        elif route == ("POST", "/_sim/issuer"):
            sim.issuer.configure(data)
            handler.send_json(200, sim.issuer.describe())
        elif route == ("POST", "/_sim/throttle"):
            handler.send_json(200, sim.set_throttle(data))
        elif route == ("POST", "/_sim/tls"):
            closed = sim.set_untrusted(data.get("untrusted_for", 0))
            handler.send_json(200, {"untrusted_for": data.get("untrusted_for", 0),
                                 "closed": closed})
        elif route == ("GET", "/_sim/wait"):
            control_wait(handler, q)
        else:
            handler.send_json(404, {"error": "unknown control endpoint %s %s" % route})
    except (ScenarioError, ValueError, TypeError, KeyError, AttributeError) as e:
        # a malformed control request is the test's bug: say so instead of dropping it
        handler.send_json(400, {"error": str(e)})


def control_wait(handler, q):
    sim = handler.sim
    timeout = min(float(q.get("timeout", 10)), 600.0)
    task = q.get("task")
    cluster = q.get("cluster")
    if cluster is not None:
        # cluster=C&polls=N: until C's list was requested N times (pages count one each)
        want = int(q.get("polls", 1))

        def ok():
            return sim.per_cluster.get(cluster, 0) >= want
    elif "step" in q:
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
                 "per_cluster": dict(sim.per_cluster),
                 "step": sim.tasks[task].idx if task in sim.tasks else None}
    handler.send_json(200 if done else 408, {"done": bool(done), **stats})


def serve_fault(handler, fault, task_id, reply, rid, host, want_xml):
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
        handler.send_error_body(status, fault.get("code", "Throttling.User"),
                             fault.get("message", "Request was denied due to user flow "
                                                  "control."),
                             rid, host, want_xml, casing, extra)
    elif name == "error":
        handler.send_error_body(status, fault.get("code", "InternalError"),
                             fault.get("message", "The request processing has failed due "
                                                  "to some unknown error."),
                             rid, host, want_xml, casing)
    elif name == "expired_signature":
        # what verify() answers to an x-acs-date older than the allowed skew
        handler.send_error_body(400, "InvalidTimeStamp.Expired",
                             "Specified time stamp or date value is expired.", rid, host,
                             want_xml, casing)
    elif name == "not_found":
        handler.send_error_body(404, fault.get("code", "ErrorTaskNotFound"),
                             "task %s not found" % task_id, rid, host, want_xml, casing)
    elif name == "forbidden":
        # what RAM answers when a policy does not allow the action
        handler.send_error_body(403, fault.get("code", "Forbidden.RAM"),
                             fault.get("message", "You are not authorized to do this "
                                                  "action."), rid, host, want_xml, casing)
    elif name == "reset":
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        handler.conn_reset = True
        handler.close_connection = True
    elif name == "truncated":
        data = json.dumps(reply).encode("utf-8")
        data = data[:max(1, len(data) // 2)]
        handler.send_bytes(200, data, headers=[("x-acs-request-id", rid)])
    elif name == "short_body":
        data = json.dumps(reply).encode("utf-8")
        handler.close_connection = True
        handler.send_bytes(200, data[:len(data) // 2], headers=[("x-acs-request-id", rid)],
                        length=len(data))
    elif name == "huge":
        send_huge(handler, int(float(fault.get("mib", 50)) * 1024 * 1024), task_id, rid)
    elif name == "deep":
        depth = int(fault.get("depth", 100000))
        handler.send_bytes(200, b"[" * depth + b"]" * depth,
                        headers=[("x-acs-request-id", rid)])
    elif name == "nul":
        body = dict(reply)
        body["state"] = "running"
        data = json.dumps(body).replace('"state": "running"', '"state": "run\\u0000ning"')
        data = data.encode("utf-8")
        if not fault.get("escaped", False):
            data = data.replace(b"\\u0000", b"\x00")
        handler.send_bytes(200, data, headers=[("x-acs-request-id", rid)])
    elif name == "wrong_types":
        body = dict(reply)
        body.update({"state": 5, "task_result": "x"})
        handler.send_reply(body, rid, want_xml)
    elif name == "other_task":
        body = dict(reply)
        body["task_id"] = fault.get("task_id", "T-other-task")
        handler.send_reply(body, rid, want_xml)
    elif name == "html":
        handler.send_bytes(status, HTML_502, "text/html")


def send_huge(handler, size, task_id, rid):
    """A valid JSON object of exactly size bytes, streamed in 64 KiB chunks."""
    head = json.dumps({"task_id": task_id, "state": "running"})[:-1].encode()
    head += b', "padding": "'
    tail = b'"}'
    pad = max(0, size - len(head) - len(tail))
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json;charset=utf-8")
    handler.send_header("Content-Length", str(len(head) + pad + len(tail)))
    handler.send_header("x-acs-request-id", rid)
    handler.end_headers()
    chunk = b"x" * 65536
    try:
        handler.wfile.write(head)
        while pad > 0 and not SHUTDOWN.is_set():
            n = min(pad, len(chunk))
            handler.wfile.write(chunk if n == len(chunk) else chunk[:n])
            pad -= n
        handler.wfile.write(tail)
    except OSError:
        handler.close_connection = True


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
    if name == "forbidden":
        return 403
    if name == "expired_signature":
        return 400
    if name == "html":
        return int(fault.get("status", 502))
    return 200
