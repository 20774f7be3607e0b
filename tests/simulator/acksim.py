#!/usr/bin/env python3
# HTTPS simulator of ACK's DescribeTaskInfo and DescribeClusterTasks: real V3 signature checks,
# scripted timelines, paged cluster lists, faults.
"""acksim: a stand-in for cs.<region>.aliyuncs.com for integration tests and the demo.

    python3 acksim.py --scenario FILE --dir DIR [--host 127.0.0.1] [--port 0] [--verbose]

Writes DIR/ca.pem (+ server cert/key), listens with TLS, then writes DIR/ready.json
{"port", "url", "ca", "pid", "metadata_url", "sts_url"} atomically and prints the same JSON
line on stdout. metadata_url is a fake ECS metadata server (plain HTTP, its own port);
sts_url serves AssumeRoleWithOIDC on the HTTPS port (see credsim.py).
Control endpoints (no signature) live under /_sim/ on the same port: see
sim_control.handle_control(); tests/integration/harness.py wraps them (class Simulator).

Account-wide throttling: POST /_sim/throttle {"rps": N, "retry_after_ms": M} answers
Throttling.User (HTTP 400, with x-acs-retry-after when M is given) to any API request beyond
N accepted in the last second, as the real API's flow control does; {"rps": 0} turns it off.

Cluster lists: GET /clusters/{id}/tasks?page_number=N&page_size=M (DescribeClusterTasks,
signed like DescribeTaskInfo with x-acs-action: DescribeClusterTasks) pages the tasks whose
cluster_id is that id, for the clusters of the scenario's "clusters" (sim_clusters: page size
cap, order, lag behind DescribeTaskInfo, time format, forbidden, faults); any other id is 404
ErrorClusterNotFound. POST /_sim/clusters adds or replaces clusters; POST /_sim/inject
{"cluster": C, "fault": F} aims a fault at C's list; GET /_sim/wait?cluster=C&polls=N waits
for N list requests; /_sim/stats counts "per_cluster".

TLS failure: POST /_sim/tls {"untrusted_for": S} makes every TLS handshake for the next S
seconds present a certificate chain that ready.json's CA did not sign (same names, so only
the chain is wrong), and closes the open API connections so that clients must handshake
again. Control calls fail too during the window: a test waits it out on something else
(the journal). A scenario with "untrusted_listener": true also gets a second port that
always presents that chain: "untrusted_url" in ready.json. Log entries say which chain the
connection had ("tls"); /_sim/stats counts "untrusted_handshakes" started and
"untrusted_handshakes_completed" (a verifying client never completes one).

The simulator's modules, each with one job: sim_tasks (scenario validation and the tasks'
timelines), sim_clusters (what a cluster's list shows, in what order, how paged), sim_state (Sim: everything mutable, flow control, injected faults),
sim_signature (the server-side V3 check), sim_control (the /_sim/ endpoints and the faults
served), sim_server (TLS and the API), sim_certs (throwaway certificates), credsim
(metadata and STS). This file is the entry point; the names other scripts use
(make_certificates, Sim, Task, ...) stay importable from it."""

import argparse
import json
import os
import signal
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import credsim  # noqa: E402
import sim_state  # noqa: E402
from sim_certs import make_certificates, make_untrusted_certificates  # noqa: E402,F401
from sim_server import Handler, Server, error_body, to_xml  # noqa: E402,F401
from sim_signature import verify_request  # noqa: E402,F401
from sim_state import SHUTDOWN, Connection, Sim, log_stderr  # noqa: E402,F401
from sim_tasks import FAULTS, ScenarioError, Task, validate_fault, validate_task  # noqa: E402,F401
from sim_control import fault_status  # noqa: E402,F401


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    sim_state.VERBOSE = args.verbose

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
