# Tests of the HTTPS ACK simulator: signatures, timelines, faults, counters, control endpoints,
# and the cluster lists (DescribeClusterTasks).
import http.client
import json
import os
import select
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
sys.path.insert(0, HERE)
import acsv3  # noqa: E402

ACKSIM = os.path.join(HERE, "acksim.py")

SCENARIO = {
    "credentials": [
        {"access_key_id": "testid", "access_key_secret": "testsecret"},
        {"access_key_id": "stsid", "access_key_secret": "stssecret", "security_token": "tok"},
        {"access_key_id": "oldid", "access_key_secret": "oldsecret", "expires_at": 1000},
    ],
    "tasks": {
        "T-plain": {"cluster_id": "c-1", "timeline": [{"state": "running"}]},
        "T-timeline": {
            "cluster_id": "c-1", "task_type": "nodepool_scaleout",
            "target": {"id": "np-1", "type": "nodepool"},
            "timeline": [
                {"state": "running", "current_stage": "CreateInstances",
                 "task_result": [{"data": "i-1", "status": "initial"}], "polls": 2},
                {"fault": "throttle", "retry_after_ms": 1500, "polls": 1},
                {"task_result": [{"data": "i-1", "status": "success"}], "hold": True},
                {"state": "failed", "error": {"code": "ScaleFailed", "message": "quota exceeded"},
                 "reply_extra": {"brand_new_key": [1, 2]}},
            ],
        },
        "T-seconds": {"timeline": [{"state": "running", "seconds": 0.3}, {"state": "success"}]},
    },
}


class Sim:
    """A running acksim subprocess (the test's own minimal starter, independent of harness.py)."""

    def __init__(self, scenario):
        self.tmp = tempfile.mkdtemp(prefix="acksim-test-")
        path = os.path.join(self.tmp, "scenario.json")
        with open(path, "w") as f:
            json.dump(scenario, f)
        self.stderr = open(os.path.join(self.tmp, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, ACKSIM, "--scenario", path, "--dir", os.path.join(self.tmp, "d"),
             "--port", "0"], stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""  # printed in one flushed write
        if not line:
            self.proc.kill()
            self.proc.wait(10)
            self.stderr.seek(0)
            raise RuntimeError("acksim failed: " + self.stderr.read())
        self.info = json.loads(line)
        with open(os.path.join(self.tmp, "d", "ready.json")) as f:
            assert json.load(f) == self.info
        self.port = self.info["port"]
        self.host = "127.0.0.1:%d" % self.port
        self.ctx = ssl.create_default_context(cafile=self.info["ca"])

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                           timeout=timeout)

    def control(self, method, path, body=None, timeout=10):
        c = self.conn(timeout)
        try:
            c.request(method, path, body=None if body is None else json.dumps(body),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, json.loads(r.read())
        finally:
            c.close()

    def stats(self):
        return self.control("GET", "/_sim/stats")[1]

    def log(self):
        return self.control("GET", "/_sim/log")[1]

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def call(sim, task, key="testid", secret="testsecret", conn=None, token=None, date=None,
         nonce=None, accept="application/json", extra_after=None, timeout=10):
    """One signed DescribeTaskInfo; returns (status, headers, body bytes, our string to sign)."""
    path, headers, to_sign = acsv3.describe_task_headers(sim.host, task, key, secret, token=token,
                                                         date=date, nonce=nonce, accept=accept)
    if extra_after:
        headers.update(extra_after)  # added after signing: not covered by the signature
    own = conn is None
    c = conn or sim.conn(timeout)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r, r.read(), to_sign
    finally:
        if own:
            c.close()


def call_json(sim, task, **kw):
    status, r, body, to_sign = call(sim, task, **kw)
    return status, r, json.loads(body)


class SharedSim(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(SCENARIO)

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()


class TestSignature(SharedSim):
    def test_signed_request_succeeds(self):
        status, r, body = call_json(self.sim, "T-plain")
        self.assertEqual(status, 200)
        self.assertTrue(r.getheader("x-acs-request-id"))
        self.assertEqual(body["task_id"], "T-plain")
        self.assertEqual(body["cluster_id"], "c-1")
        for key in ("created", "updated", "stages", "events", "task_result", "target"):
            self.assertIn(key, body)
        self.assertTrue(body["created"].endswith("+08:00"))

    def test_wrong_secret(self):
        status, r, body, to_sign = call(self.sim, "T-plain", secret="wrong")
        self.assertEqual(status, 400)
        err = json.loads(body)
        self.assertEqual(err["Code"], "SignatureDoesNotMatch")
        self.assertIn(to_sign, err["Message"])  # the server's string to sign equals ours
        self.assertEqual(set(err), {"RequestId", "HostId", "Code", "Message", "Recommend"})
        self.assertEqual(r.getheader("x-acs-request-id"), err["RequestId"])

    def test_unknown_key(self):
        status, _, err = call_json(self.sim, "T-plain", key="nosuchkey")
        self.assertEqual(status, 404)
        self.assertEqual(err["Code"], "InvalidAccessKeyId.NotFound")

    def test_unsigned_acs_header(self):
        status, _, err = call_json(self.sim, "T-plain",
                                   extra_after={"x-acs-credentials-provider": "static_ak"})
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "IncompleteSignature")

    def test_tampered_path(self):
        path, headers, _ = acsv3.describe_task_headers(self.sim.host, "T-plain", "testid",
                                                       "testsecret")
        c = self.sim.conn()
        c.request("GET", "/tasks/T-timeline", headers=headers)
        r = c.getresponse()
        self.assertEqual(r.status, 400)
        self.assertEqual(json.loads(r.read())["Code"], "SignatureDoesNotMatch")
        c.close()

    def test_sts_token_required(self):
        status, _, err = call_json(self.sim, "T-plain", key="stsid", secret="stssecret")
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "InvalidSecurityToken.Expired")
        status, _, err = call_json(self.sim, "T-plain", key="stsid", secret="stssecret",
                                   token="other")
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "InvalidSecurityToken.Expired")
        status, _, body = call_json(self.sim, "T-plain", key="stsid", secret="stssecret",
                                    token="tok")
        self.assertEqual(status, 200)
        self.assertEqual(body["task_id"], "T-plain")

    def test_expired_credential(self):
        status, _, err = call_json(self.sim, "T-plain", key="oldid", secret="oldsecret")
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "InvalidSecurityToken.Expired")

    def test_clock_skew(self):
        status, _, err = call_json(self.sim, "T-plain",
                                   date=acsv3.format_date(time.time() - 16 * 60))
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "InvalidTimeStamp.Expired")
        status, _, _ = call_json(self.sim, "T-plain", date=acsv3.format_date(time.time() - 600))
        self.assertEqual(status, 200)

    def test_nonce_reuse(self):
        nonce = os.urandom(8).hex()
        self.assertEqual(call(self.sim, "T-plain", nonce=nonce)[0], 200)
        status, _, err = call_json(self.sim, "T-plain", nonce=nonce)
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "SignatureNonceUsed")

    def test_xml_without_accept_json(self):
        status, r, body, _ = call(self.sim, "T-plain", accept=None)
        self.assertEqual(status, 200)
        self.assertTrue(body.startswith(b"<?xml"))
        self.assertIn("xml", r.getheader("Content-Type"))

    def test_unknown_task(self):
        status, _, err = call_json(self.sim, "T-missing")
        self.assertEqual(status, 404)
        self.assertEqual(err["Code"], "ErrorTaskNotFound")
        self.assertEqual(err["Message"], "task T-missing not found")

    def test_log_records_auth(self):
        call(self.sim, "T-plain", key="nosuchkey")
        entry = self.sim.log()[-1]
        self.assertEqual(entry["auth"], "InvalidAccessKeyId.NotFound")
        self.assertEqual(entry["key"], "nosuchkey")
        self.assertEqual(entry["status"], 404)
        self.assertIsNone(entry["fault"])


class TestTimeline(SharedSim):
    def test_polls_fault_hold_advance(self):
        c = self.sim.conn()
        for _ in range(2):
            status, _, body = call_json(self.sim, "T-timeline", conn=c)
            self.assertEqual(status, 200)
            self.assertEqual(body["task_result"], [{"data": "i-1", "status": "initial"}])
            self.assertEqual(body["current_stage"], "CreateInstances")
            self.assertEqual(body["target"], {"id": "np-1", "type": "nodepool"})
        first_updated = body["updated"]
        status, r, err = call_json(self.sim, "T-timeline", conn=c)
        self.assertEqual(status, 400)
        self.assertEqual(err["Code"], "Throttling.User")
        self.assertEqual(r.getheader("x-acs-retry-after"), "1500")
        for _ in range(3):  # the hold repeats until released
            status, _, body = call_json(self.sim, "T-timeline", conn=c)
            self.assertEqual(body["state"], "running")
            self.assertEqual(body["task_result"][0]["status"], "success")
        self.assertNotEqual(body["updated"], first_updated)
        st, res = self.sim.control("POST", "/_sim/advance", {"task": "T-timeline"})
        self.assertEqual((st, res["result"]), (200, "released"))
        for _ in range(2):  # the last step repeats forever
            status, _, body = call_json(self.sim, "T-timeline", conn=c)
            self.assertEqual(body["state"], "failed")
            self.assertEqual(body["error"]["code"], "ScaleFailed")
            self.assertEqual(body["brand_new_key"], [1, 2])
            self.assertEqual(body["task_result"][0]["status"], "success")
        c.close()
        log = [e for e in self.sim.log() if e["task"] == "T-timeline"]
        self.assertEqual([e["fault"] for e in log].count("throttle"), 1)
        self.assertEqual(self.sim.stats()["tasks"]["T-timeline"]["step"], 3)

    def test_seconds_step(self):
        start = time.monotonic()
        self.assertEqual(call_json(self.sim, "T-seconds")[2]["state"], "running")
        deadline = start + 5
        state = "running"
        while state == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
            state = call_json(self.sim, "T-seconds")[2]["state"]
        self.assertEqual(state, "success")
        self.assertGreaterEqual(time.monotonic() - start, 0.3)

    def test_add_tasks_at_runtime(self):
        st, _ = self.sim.control("POST", "/_sim/tasks",
                                 {"T-new": {"timeline": [{"state": "success"}]}})
        self.assertEqual(st, 200)
        self.assertEqual(call_json(self.sim, "T-new")[2]["state"], "success")
        st, _ = self.sim.control("POST", "/_sim/tasks",
                                 {"T-bad": {"timeline": [{"fault": "nonsense"}]}})
        self.assertEqual(st, 400)


class TestFaults(SharedSim):
    def inject(self, task, fault, count=1):
        st, _ = self.sim.control("POST", "/_sim/inject",
                                 {"task": task, "fault": fault, "count": count})
        self.assertEqual(st, 200)

    def test_throttle_429_and_count(self):
        self.inject("T-plain", {"fault": "throttle", "status": 429}, count=2)
        for _ in range(2):
            status, r, err = call_json(self.sim, "T-plain")
            self.assertEqual(status, 429)
            self.assertEqual(err["Code"], "Throttling.User")
            self.assertIsNone(r.getheader("x-acs-retry-after"))
        self.assertEqual(call(self.sim, "T-plain")[0], 200)

    def test_error_backend_casing(self):
        self.inject("T-plain", {"fault": "error", "status": 503, "code": "ServiceUnavailable",
                                "message": "busy", "casing": "backend"})
        status, r, err = call_json(self.sim, "T-plain")
        self.assertEqual(status, 503)
        self.assertEqual(set(err), {"code", "message", "requestId"})
        self.assertEqual(err["code"], "ServiceUnavailable")
        self.assertEqual(r.getheader("x-acs-request-id"), err["requestId"])

    def test_star_injection(self):
        self.inject("*", {"fault": "not_found"})
        status, _, err = call_json(self.sim, "T-plain")
        self.assertEqual(status, 404)
        self.assertEqual(err["Code"], "ErrorTaskNotFound")

    def test_reset(self):
        self.inject("T-plain", {"fault": "reset"})
        with self.assertRaises((ConnectionError, ssl.SSLError, http.client.RemoteDisconnected)):
            call(self.sim, "T-plain")
        self.assertEqual(self.sim.log()[-1]["fault"], "reset")

    def test_stall_short(self):
        self.inject("T-plain", {"fault": "stall", "seconds": 0.4})
        start = time.monotonic()
        status, _, body = call_json(self.sim, "T-plain")
        self.assertGreaterEqual(time.monotonic() - start, 0.4)
        self.assertEqual((status, body["task_id"]), (200, "T-plain"))

    def test_stall_past_client_timeout(self):
        self.inject("T-plain", {"fault": "stall", "seconds": 3600})
        with self.assertRaises(TimeoutError):
            call(self.sim, "T-plain", timeout=0.5)

    def test_truncated(self):
        self.inject("T-plain", {"fault": "truncated"})
        status, r, body, _ = call(self.sim, "T-plain")
        self.assertEqual(status, 200)
        self.assertEqual(int(r.getheader("Content-Length")), len(body))
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_short_body(self):
        self.inject("T-plain", {"fault": "short_body"})
        with self.assertRaises(http.client.IncompleteRead):
            call(self.sim, "T-plain")

    def test_huge(self):
        self.inject("T-plain", {"fault": "huge", "mib": 3})
        status, r, body, _ = call(self.sim, "T-plain")
        self.assertEqual(status, 200)
        self.assertEqual(len(body), 3 * 1024 * 1024)
        self.assertEqual(json.loads(body)["task_id"], "T-plain")

    def test_huge_abandoned_by_client(self):
        self.inject("T-plain", {"fault": "huge"})
        path, headers, _ = acsv3.describe_task_headers(self.sim.host, "T-plain", "testid",
                                                       "testsecret")
        c = self.sim.conn()
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        self.assertEqual(int(r.getheader("Content-Length")), 50 * 1024 * 1024)
        r.read(1024)
        c.close()
        self.assertEqual(call(self.sim, "T-plain")[0], 200)  # the server is still fine

    def test_deep(self):
        self.inject("T-plain", {"fault": "deep", "depth": 5000})
        _, _, body, _ = call(self.sim, "T-plain")
        self.assertEqual(body, b"[" * 5000 + b"]" * 5000)

    def test_nul(self):
        self.inject("T-plain", {"fault": "nul"})
        _, _, body, _ = call(self.sim, "T-plain")
        self.assertIn(b"run\x00ning", body)

    def test_wrong_types(self):
        self.inject("T-plain", {"fault": "wrong_types"})
        _, _, body = call_json(self.sim, "T-plain")
        self.assertEqual((body["state"], body["task_result"]), (5, "x"))

    def test_other_task(self):
        self.inject("T-plain", {"fault": "other_task"})
        status, _, body = call_json(self.sim, "T-plain")
        self.assertEqual(status, 200)
        self.assertNotEqual(body["task_id"], "T-plain")

    def test_html(self):
        self.inject("T-plain", {"fault": "html"})
        status, r, body, _ = call(self.sim, "T-plain")
        self.assertEqual(status, 502)
        self.assertIn("text/html", r.getheader("Content-Type"))
        self.assertIn(b"502 Bad Gateway", body)

    def test_bad_fault_rejected(self):
        st, _ = self.sim.control("POST", "/_sim/inject", {"task": "T-plain",
                                                          "fault": {"fault": "meteor"}})
        self.assertEqual(st, 400)


class TestCountersAndWait(unittest.TestCase):
    def setUp(self):
        self.sim = Sim(SCENARIO)

    def tearDown(self):
        self.sim.close()

    def test_keepalive_one_handshake(self):
        c = self.sim.conn()
        for _ in range(5):
            self.assertEqual(call(self.sim, "T-plain", conn=c)[0], 200)
        c.close()
        self.assertEqual(call(self.sim, "T-timeline")[0], 200)  # a second connection
        s = self.sim.stats()
        self.assertEqual(s["requests"], 6)
        self.assertEqual(s["connections"], 2)
        self.assertEqual(s["handshakes"], 2)
        self.assertEqual(s["per_task"], {"T-plain": 5, "T-timeline": 1})
        self.assertGreaterEqual(s["control_connections"], 1)
        conns = {e["conn"] for e in self.sim.log() if e["task"] == "T-plain"}
        self.assertEqual(len(conns), 1)

    def test_wait_polls_and_timeout(self):
        st, res = self.sim.control("GET", "/_sim/wait?task=T-plain&polls=1&timeout=0.2")
        self.assertEqual(st, 408)
        self.assertFalse(res["done"])

        def later():
            for _ in range(3):
                call(self.sim, "T-plain")
        t = threading.Thread(target=later)
        t.start()
        st, res = self.sim.control("GET", "/_sim/wait?task=T-plain&polls=3&timeout=10")
        t.join(10)
        self.assertEqual(st, 200)
        st, _ = self.sim.control("GET", "/_sim/wait?polls=3&timeout=1")
        self.assertEqual(st, 200)

    def test_wait_step(self):
        st, _ = self.sim.control("GET", "/_sim/wait?task=T-timeline&step=1&timeout=0.2")
        self.assertEqual(st, 408)
        for _ in range(3):
            call(self.sim, "T-timeline")
        st, res = self.sim.control("GET", "/_sim/wait?task=T-timeline&step=1&timeout=5")
        self.assertEqual((st, res["step"]), (200, 1))

    def test_concurrent_keepalive_connections(self):
        errors = []

        def client():
            try:
                c = self.sim.conn()
                for _ in range(6):
                    if call(self.sim, "T-plain", conn=c)[0] != 200:
                        errors.append("status")
                c.close()
            except Exception as e:  # reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=client) for _ in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        s = self.sim.stats()
        self.assertEqual((s["requests"], s["connections"], s["handshakes"]), (360, 60, 60))

    def test_sigterm_with_stalled_request(self):
        st, _ = self.sim.control("POST", "/_sim/inject",
                                 {"task": "T-plain", "fault": {"fault": "stall", "seconds": 3600}})
        self.assertEqual(st, 200)
        path, headers, _ = acsv3.describe_task_headers(self.sim.host, "T-plain", "testid",
                                                       "testsecret")
        s = socket.create_connection(("127.0.0.1", self.sim.port), timeout=10)
        tls = self.sim.ctx.wrap_socket(s, server_hostname="127.0.0.1")
        tls.sendall(("GET %s HTTP/1.1\r\n" % path
                     + "".join("%s: %s\r\n" % kv for kv in headers.items()) + "\r\n").encode())
        st, _ = self.sim.control("GET", "/_sim/wait?polls=1&timeout=5")
        self.assertEqual(st, 200)
        start = time.monotonic()
        self.sim.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.sim.proc.wait(5), 0)
        self.assertLess(time.monotonic() - start, 3)
        tls.close()


    def test_expired_signature(self):
        st, _ = self.sim.control("POST", "/_sim/inject",
                                 {"task": "T-plain", "fault": {"fault": "expired_signature"}})
        self.assertEqual(st, 200)
        status, _, err = call_json(self.sim, "T-plain")
        self.assertEqual((status, err["Code"]), (400, "InvalidTimeStamp.Expired"))
        self.assertEqual(self.sim.log()[-1]["fault"], "expired_signature")
        self.assertEqual(call(self.sim, "T-plain")[0], 200)

    def test_account_throttle(self):
        st, _ = self.sim.control("POST", "/_sim/throttle", {"rps": 3, "retry_after_ms": 700})
        self.assertEqual(st, 200)
        try:
            c = self.sim.conn()
            got = [call(self.sim, "T-plain", conn=c) for _ in range(5)]
            c.close()
        finally:
            self.sim.control("POST", "/_sim/throttle", {"rps": 0})
        # 5 requests well within a second: 3 accepted, then refused, with the server's wait
        self.assertEqual([g[0] for g in got], [200, 200, 200, 400, 400])
        self.assertEqual(json.loads(got[3][2])["Code"], "Throttling.User")
        self.assertEqual(got[4][1].getheader("x-acs-retry-after"), "700")
        log = self.sim.log()[-5:]
        self.assertEqual([e.get("throttled") for e in log], [None] * 3 + ["account"] * 2)
        self.assertEqual(self.sim.stats()["throttled"], 2)
        self.assertEqual(call(self.sim, "T-plain")[0], 200)  # off again

    def test_untrusted_window(self):
        c = self.sim.conn()  # an open API connection: closed by the switch
        self.assertEqual(call(self.sim, "T-plain", conn=c)[0], 200)
        st, res = self.sim.control("POST", "/_sim/tls", {"untrusted_for": 1.0})
        self.assertEqual((st, res["closed"]), (200, 1))
        with self.assertRaises(ssl.SSLCertVerificationError):
            call(self.sim, "T-plain")
        with self.assertRaises((ConnectionError, ssl.SSLError, http.client.RemoteDisconnected)):
            call(self.sim, "T-plain", conn=c)
        c.close()
        # an unverifying client sees the same names from another CA
        s = socket.create_connection(("127.0.0.1", self.sim.port), timeout=10)
        unverified = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        unverified.check_hostname = False
        unverified.verify_mode = ssl.CERT_NONE
        with unverified.wrap_socket(s) as tls:
            der = tls.getpeercert(binary_form=True)
        self.assertTrue(der)
        deadline = time.monotonic() + 10
        while True:  # bounded: the window is 1 s
            try:
                self.assertEqual(call(self.sim, "T-plain")[0], 200)
                break
            except ssl.SSLCertVerificationError:
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.1)
        stats = self.sim.stats()
        self.assertGreaterEqual(stats["untrusted_handshakes"], 2)
        self.assertGreaterEqual(stats["untrusted_handshakes_completed"], 1)  # the unverified one
        self.assertEqual([e["tls"] for e in self.sim.log()], ["trusted"] * len(self.sim.log()))


class TestUntrustedListener(unittest.TestCase):
    def test_second_port_is_never_trusted(self):
        scenario = dict(SCENARIO, untrusted_listener=True)
        sim = Sim(scenario)
        try:
            url = urllib.parse.urlsplit(sim.info["untrusted_url"])
            self.assertNotEqual(url.port, sim.port)
            s = socket.create_connection(("127.0.0.1", url.port), timeout=10)
            with self.assertRaises(ssl.SSLCertVerificationError):
                sim.ctx.wrap_socket(s, server_hostname="127.0.0.1")
            s.close()
            self.assertEqual(call(sim, "T-plain")[0], 200)  # the main port is fine
            stats = sim.stats()
            self.assertEqual((stats["untrusted_handshakes"],
                              stats["untrusted_handshakes_completed"]), (1, 0))
        finally:
            sim.close()


class TestStartup(unittest.TestCase):
    def test_bad_scenario_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "s.json")
            with open(path, "w") as f:
                json.dump({"tasks": {"T": {"timeline": [{"fault": "bogus"}]}}}, f)
            p = subprocess.run([sys.executable, ACKSIM, "--scenario", path, "--dir", tmp],
                               capture_output=True, text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("bogus", p.stderr)

    def test_certificate_sans(self):
        sim = Sim(SCENARIO)
        try:
            for name in ("127.0.0.1", "localhost"):
                s = socket.create_connection(("127.0.0.1", sim.port), timeout=10)
                with sim.ctx.wrap_socket(s, server_hostname=name) as tls:
                    self.assertIsNotNone(tls.getpeercert())
        finally:
            sim.close()


CRED_SCENARIO = {
    "credentials": [{"access_key_id": "testid", "access_key_secret": "testsecret"}],
    "tasks": {"T-plain": {"timeline": [{"state": "running"}]}},
    "issuer": {"lifetime_seconds": 60, "secret_prefix": "SECRETX", "token_prefix": "TOKENX"},
    "metadata": {"role": "WatchRole"},
    "sts": {"oidc_token": "jwt-expected", "role_arn": "acs:ram::1:role/r"},
}


def metadata(sim, method, path, headers=None, timeout=10):
    """One request to the fake metadata server: (status, body text); (None, None) on reset."""
    u = urllib.parse.urlsplit(sim.info["metadata_url"])
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode()
    except (ConnectionError, http.client.RemoteDisconnected):
        return None, None
    finally:
        c.close()


class TestCredentialServices(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(CRED_SCENARIO)

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()

    def token(self):
        status, token = metadata(self.sim, "PUT", "/latest/api/token",
                                 {"X-aliyun-ecs-metadata-token-ttl-seconds": "21600"})
        self.assertEqual(status, 200)
        return token

    def test_ready_names_the_services(self):
        self.assertTrue(self.sim.info["metadata_url"].startswith("http://127.0.0.1:"))
        self.assertEqual(self.sim.info["sts_url"], "https://127.0.0.1:%d" % self.sim.port)

    def test_metadata_token_protected_flow_issues_accepted_credentials(self):
        token = self.token()
        path = "/latest/meta-data/ram/security-credentials/"
        self.assertEqual(metadata(self.sim, "GET", path)[0], 401)
        self.assertEqual(metadata(self.sim, "GET", path, {"X-aliyun-ecs-metadata-token": "x"})[0], 401)
        status, role = metadata(self.sim, "GET", path, {"X-aliyun-ecs-metadata-token": token})
        self.assertEqual((status, role), (200, "WatchRole"))
        self.assertEqual(metadata(self.sim, "GET", path + "Other",
                                  {"X-aliyun-ecs-metadata-token": token})[0], 404)
        status, body = metadata(self.sim, "GET", path + role, {"X-aliyun-ecs-metadata-token": token})
        self.assertEqual(status, 200)
        reply = json.loads(body)
        self.assertEqual(reply["Code"], "Success")
        self.assertTrue(reply["AccessKeySecret"].startswith("SECRETX-"))
        self.assertTrue(reply["SecurityToken"].startswith("TOKENX-"))
        self.assertRegex(reply["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        status, _, _ = call_json(self.sim, "T-plain", key=reply["AccessKeyId"],
                                 secret=reply["AccessKeySecret"], token=reply["SecurityToken"])
        self.assertEqual(status, 200)
        st = self.sim.stats()["metadata"]
        self.assertGreaterEqual(st["rejected"], 2)
        self.assertGreaterEqual(st["issued"], 1)

    def test_metadata_token_needs_a_ttl(self):
        self.assertEqual(metadata(self.sim, "PUT", "/latest/api/token")[0], 400)
        self.assertEqual(metadata(self.sim, "PUT", "/latest/api/token",
                                  {"X-aliyun-ecs-metadata-token-ttl-seconds": "99999"})[0], 400)

    def test_metadata_down_and_up(self):
        self.assertEqual(self.sim.control("POST", "/_sim/metadata", {"up": False})[0], 200)
        try:
            self.assertEqual(metadata(self.sim, "PUT", "/latest/api/token",
                                      {"X-aliyun-ecs-metadata-token-ttl-seconds": "60"}),
                             (None, None))
            self.sim.control("POST", "/_sim/metadata", {"mode": "error"})
            self.assertEqual(metadata(self.sim, "PUT", "/latest/api/token",
                                      {"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})[0], 500)
        finally:
            self.sim.control("POST", "/_sim/metadata", {"up": True, "mode": "reset"})
        self.token()
        self.assertGreaterEqual(self.sim.stats()["metadata"]["refused"], 2)

    def sts(self, form, query=None):
        q = query or {"Version": "2015-04-01", "Action": "AssumeRoleWithOIDC", "Format": "JSON",
                      "Timestamp": "2026-01-02T03:04:05Z"}
        c = self.sim.conn()
        try:
            c.request("POST", "/?" + urllib.parse.urlencode(q), body=urllib.parse.urlencode(form),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            return r.status, json.loads(r.read())
        finally:
            c.close()

    def test_sts_assume_role_with_oidc(self):
        form = {"OIDCProviderArn": "acs:ram::1:oidc-provider/p", "OIDCToken": "jwt-expected",
                "RoleArn": "acs:ram::1:role/r", "RoleSessionName": "s", "DurationSeconds": "3600"}
        status, reply = self.sts(form)
        self.assertEqual(status, 200, reply)
        c = reply["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("STS."))
        status, _, _ = call_json(self.sim, "T-plain", key=c["AccessKeyId"],
                                 secret=c["AccessKeySecret"], token=c["SecurityToken"])
        self.assertEqual(status, 200)
        last = self.sim.stats()["sts"]["last"]
        self.assertNotIn("OIDCToken", last["params"])
        self.assertEqual(last["params"]["RoleSessionName"], "s")

    def test_sts_refuses_a_wrong_token_without_echoing_it(self):
        form = {"OIDCProviderArn": "p", "OIDCToken": "jwt-wrong-canary", "RoleArn": "acs:ram::1:role/r",
                "RoleSessionName": "s"}
        status, reply = self.sts(form)
        self.assertEqual((status, reply["Code"]), (400, "InvalidParameter.OIDCToken"))
        self.assertNotIn("canary", json.dumps(reply))
        form["OIDCToken"] = "jwt-expected"
        form["DurationSeconds"] = "60"
        status, reply = self.sts(form)
        self.assertEqual((status, reply["Code"]), (400, "InvalidParameter.DurationSeconds"))

    def test_issued_credentials_expire(self):
        self.sim.control("POST", "/_sim/issuer", {"lifetime_seconds": 0})
        try:
            token = self.token()
            _, body = metadata(self.sim, "GET", "/latest/meta-data/ram/security-credentials/WatchRole",
                               {"X-aliyun-ecs-metadata-token": token})
        finally:
            self.sim.control("POST", "/_sim/issuer", {"lifetime_seconds": 60})
        reply = json.loads(body)
        status, _, err = call_json(self.sim, "T-plain", key=reply["AccessKeyId"],
                                   secret=reply["AccessKeySecret"], token=reply["SecurityToken"])
        self.assertEqual((status, err["Code"]), (400, "InvalidSecurityToken.Expired"))


CLUSTER_SCENARIO = {
    "credentials": [{"access_key_id": "testid", "access_key_secret": "testsecret"}],
    "tasks": {
        "T-c1": {"cluster_id": "c-paged", "timeline": [{"state": "running"}]},
        "T-c2": {"cluster_id": "c-paged", "timeline": [{"state": "success"}]},
        "T-c3": {"cluster_id": "c-paged", "timeline": [
            {"state": "running", "hold": True},
            {"state": "failed", "error": {"code": "ScaleFailed", "message": "quota exceeded"}}]},
        "T-moving-1": {"cluster_id": "c-moving", "timeline": [{"state": "running"}]},
        "T-moving-2": {"cluster_id": "c-moving", "timeline": [{"state": "running"}]},
        "T-ms": {"cluster_id": "c-ms", "timeline": [{"state": "running"}]},
        "T-other": {"cluster_id": "c-elsewhere", "timeline": [{"state": "running"}]},
    },
    "clusters": {
        "c-paged": {"page_size_max": 2, "default_page_size": 2},
        "c-moving": {"order": "updated_desc", "page_size_max": 1},
        "c-lagging": {"lag_seconds": 0.4},
        "c-ms": {"time_format": "epoch_ms"},
        "c-forbidden": {"forbidden": True},
        "c-faulty": {"faults": [{"fault": "throttle", "retry_after_ms": 700, "count": 2}]},
        "c-elsewhere": {},
    },
}


def list_call(sim, cluster, page_number=None, page_size=None, action=None, tamper=None):
    """One signed DescribeClusterTasks; returns (status, headers, parsed body)."""
    kw = {"action": action} if action else {}
    path, headers, _ = acsv3.cluster_tasks_headers(sim.host, cluster, "testid", "testsecret",
                                                   page_number, page_size, **kw)
    if tamper:
        path = tamper(path)  # changed after signing
    c = sim.conn()
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r, json.loads(r.read())
    finally:
        c.close()


def listed(body):
    return [t["task_id"] for t in body["tasks"]]


class TestClusterTasks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(CLUSTER_SCENARIO)

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()

    def test_pages_with_a_size_cap(self):
        seen = []
        for n in (1, 2):
            status, r, body = list_call(self.sim, "c-paged", n, 50)
            self.assertEqual(status, 200)
            # capped at the cluster's page_size_max, and page_info says so
            self.assertEqual(body["page_info"], {"page_number": n, "page_size": 2,
                                                 "total_count": 3})
            self.assertEqual(body["requestId"], r.getheader("x-acs-request-id"))
            self.assertNotIn("request_id", body)
            seen += listed(body)
        self.assertEqual(len(body["tasks"]), 1)
        self.assertEqual(sorted(seen), ["T-c1", "T-c2", "T-c3"])
        status, _, body = list_call(self.sim, "c-paged", 3, 2)
        self.assertEqual((status, body["tasks"]), (200, []))
        # without a query: page 1 at the default size
        status, _, body = list_call(self.sim, "c-paged")
        self.assertEqual(body["page_info"]["page_number"], 1)
        self.assertEqual(len(body["tasks"]), 2)
        entry = body["tasks"][0]
        self.assertEqual(set(entry) - {"error"}, {"task_id", "task_type", "state", "created",
                                                  "updated"})
        self.assertNotIn("task_result", entry)
        # only the cluster's own tasks
        self.assertEqual(listed(list_call(self.sim, "c-elsewhere")[2]), ["T-other"])

    def test_signature_and_action_are_checked(self):
        status, _, err = list_call(self.sim, "c-paged", 1, 2,
                                   tamper=lambda p: p.replace("page_number=1", "page_number=2"))
        self.assertEqual((status, err["Code"]), (400, "SignatureDoesNotMatch"))
        status, _, err = list_call(self.sim, "c-paged", 1, 2, action="DescribeTaskInfo")
        self.assertEqual((status, err["Code"]), (404, "InvalidAction.NotFound"))
        path, headers, _ = acsv3.describe_task_headers(self.sim.host, "T-c1", "testid",
                                                       "testsecret")
        headers["x-acs-action"] = "DescribeClusterTasks"  # not re-signed
        c = self.sim.conn()
        c.request("GET", path, headers=headers)
        self.assertEqual(c.getresponse().status, 400)
        c.close()

    def test_error_replies(self):
        status, _, err = list_call(self.sim, "c-nowhere", 1, 10)
        self.assertEqual((status, err["Code"]), (404, "ErrorClusterNotFound"))
        self.assertIn("c-nowhere", err["Message"])
        status, _, err = list_call(self.sim, "c-forbidden", 1, 10)
        self.assertEqual((status, err["Code"]), (403, "Forbidden.RAM"))
        for bad in ("0", "x", "-1"):
            path, headers, _ = acsv3.cluster_tasks_headers(self.sim.host, "c-paged", "testid",
                                                           "testsecret", bad, 10)
            c = self.sim.conn()
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            err = json.loads(r.read())
            c.close()
            self.assertEqual((r.status, err["Code"]), (400, "InvalidParameter"))
        # the scenario's faults first, then replies
        for _ in range(2):
            status, r, err = list_call(self.sim, "c-faulty", 1, 10)
            self.assertEqual((status, err["Code"]), (400, "Throttling.User"))
            self.assertEqual(r.getheader("x-acs-retry-after"), "700")
        self.assertEqual(list_call(self.sim, "c-faulty", 1, 10)[0], 200)
        # and faults injected at runtime aim at one cluster's list only
        st, _ = self.sim.control("POST", "/_sim/inject", {"cluster": "c-elsewhere",
                                                          "fault": {"fault": "forbidden"}})
        self.assertEqual(st, 200)
        self.assertEqual(list_call(self.sim, "c-paged", 1, 2)[0], 200)
        self.assertEqual(call_json(self.sim, "T-other")[0], 200)
        status, _, err = list_call(self.sim, "c-elsewhere", 1, 2)
        self.assertEqual((status, err["Code"]), (403, "Forbidden.RAM"))
        self.assertEqual(list_call(self.sim, "c-elsewhere", 1, 2)[0], 200)
        st, _ = self.sim.control("POST", "/_sim/clusters", {"c-bad": {"order": "random"}})
        self.assertEqual(st, 400)

    def test_tasks_move_between_pages(self):
        """Newest change first: a task created or changed between two page requests pushes
        the others a page down, so one is seen twice; one that changes jumps to page 1."""
        status, _, p1 = list_call(self.sim, "c-moving", 1, 1)
        self.assertEqual(p1["page_info"]["total_count"], 2)
        st, _ = self.sim.control("POST", "/_sim/tasks", {"T-moving-new": {
            "cluster_id": "c-moving", "timeline": [{"state": "running"}]}})
        self.assertEqual(st, 200)
        status, _, p2 = list_call(self.sim, "c-moving", 2, 1)
        self.assertEqual(p2["page_info"]["total_count"], 3)
        # the head moved to page 2: seen twice; the new task is on page 1 now, unseen
        self.assertEqual(listed(p2), listed(p1))
        status, _, again = list_call(self.sim, "c-moving", 1, 1)
        self.assertEqual(listed(again), ["T-moving-new"])

    def test_state_changes_between_pages_and_error_is_listed(self):
        status, _, p1 = list_call(self.sim, "c-paged", 1, 2)
        before = {t["task_id"]: t for t in p1["tasks"]}
        st, res = self.sim.control("POST", "/_sim/advance", {"task": "T-c3"})
        self.assertEqual(st, 200)
        status, _, p2 = list_call(self.sim, "c-paged", 2, 2)
        after = {t["task_id"]: t for t in p1["tasks"] + p2["tasks"]}
        self.assertEqual(after["T-c3"]["state"], "failed")
        self.assertEqual(after["T-c3"]["error"], {"code": "ScaleFailed",
                                                  "message": "quota exceeded"})
        if "T-c3" in before:
            self.assertEqual(before["T-c3"]["state"], "running")

    def test_list_lags_behind_describe_task_info(self):
        st, _ = self.sim.control("POST", "/_sim/tasks", {"T-lag": {
            "cluster_id": "c-lagging",
            "timeline": [{"state": "running", "hold": True}, {"state": "success"}]}})
        self.assertEqual(st, 200)
        self.assertEqual(call_json(self.sim, "T-lag")[0], 200)  # DescribeTaskInfo knows it
        self.assertEqual(listed(list_call(self.sim, "c-lagging")[2]), [],
                         "a task younger than the lag is not listed yet")
        deadline = time.monotonic() + 5
        while not listed(list_call(self.sim, "c-lagging")[2]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(listed(list_call(self.sim, "c-lagging")[2]), ["T-lag"])
        self.assertEqual(self.sim.control("POST", "/_sim/advance", {"task": "T-lag"})[0], 200)
        changed = time.monotonic()
        self.assertEqual(call_json(self.sim, "T-lag")[2]["state"], "success")
        self.assertEqual(list_call(self.sim, "c-lagging")[2]["tasks"][0]["state"], "running")
        state = "running"
        while state == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
            state = list_call(self.sim, "c-lagging")[2]["tasks"][0]["state"]
        self.assertEqual(state, "success")
        self.assertGreaterEqual(time.monotonic() - changed, 0.4)

    def test_time_formats(self):
        entry = list_call(self.sim, "c-ms")[2]["tasks"][0]
        self.assertIsInstance(entry["updated"], int)
        self.assertLess(abs(entry["updated"] / 1000 - time.time()), 600)
        entry = list_call(self.sim, "c-paged", 1, 2)[2]["tasks"][0]
        self.assertRegex(entry["updated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")

    def test_counted_per_cluster_and_waitable(self):
        before = self.sim.stats()["per_cluster"].get("c-elsewhere", 0)
        list_call(self.sim, "c-elsewhere")
        stats = self.sim.stats()
        self.assertEqual(stats["per_cluster"]["c-elsewhere"], before + 1)
        st, res = self.sim.control("GET", "/_sim/wait?cluster=c-elsewhere&polls=%d&timeout=1"
                                   % (before + 1))
        self.assertEqual((st, res["done"]), (200, True))
        st, res = self.sim.control("GET", "/_sim/wait?cluster=c-elsewhere&polls=%d&timeout=0.2"
                                   % (before + 100))
        self.assertEqual((st, res["done"]), (408, False))
        entries = [e for e in self.sim.log() if e.get("cluster") == "c-elsewhere"]
        self.assertTrue(entries and entries[-1]["listed"] == ["T-other"])


if __name__ == "__main__":
    unittest.main()
