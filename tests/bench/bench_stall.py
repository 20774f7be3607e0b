#!/usr/bin/env python3
# The event loop's longest stall on the largest reply the daemon takes (issue 11, item 1).
"""Runs taskwatchd ($TASKWATCHD, root: the integration harness's private journald) against
the simulator on one task whose reply, just under the 8 MiB limit, has N instances (100 000)
flipping initial -> failed, with WATCHDOG_USEC=2s, and prints the longest gap between two
WATCHDOG=1 datagrams while that reply is applied: the loop's longest stall, which must stay
under WATCHDOG_USEC. Usage: TASKWATCHD=build/taskwatchd tests/bench/bench_stall.py [N]"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    width = 45  # 82 bytes an instance: 100 000 of them just under 8 MiB
    with tempfile.TemporaryDirectory() as tmp:
        journal = harness.Journal()
        sim = harness.Simulator({"tasks": {"T-big": harness.scaleout_task([
            {"state": "running", "hold": True,
             "generate_instances": {"count": count, "status": "initial", "id_width": width}},
            {"state": "running",
             "generate_instances": {"count": count, "status": "failed", "id_width": width}},
        ])}}, tmp)
        config = harness.daemon_config(sim, ["T-big"], min_interval="1s", max_interval="2s")
        d = harness.Daemon(harness.daemon_binary(), config.replace("RequestTimeout=2s", "RequestTimeout=20s"),
                           tmp, env=harness.test_credentials_env(), watchdog_usec=2000000)
        try:
            d.notify.wait_for("READY=1", timeout=10)
            journal.wait_for(TASKWATCH_EVENT="task-baseline", TASK_ID="T-big", _PID=str(d.pid), timeout=60)
            start = len(d.notify.poll())
            sim.advance("T-big")
            journal.wait_for(TASKWATCH_EVENT="instance-failed", TASK_ID="T-big",
                             INSTANCE_ID="i-%0*d" % (width, count), _PID=str(d.pid), timeout=300)
            d.notify.wait_for("WATCHDOG=1", start=len(d.notify.poll()), timeout=5)
            pings = [t for m, t in zip(d.notify.messages[start:], d.notify.times[start:])
                     if "WATCHDOG=1" in m]
            gap = max(b - a for a, b in zip(pings, pings[1:]))
            # sd-event pings at half of WATCHDOG_USEC: what a gap has beyond 1 s is the stall.
            print("stall: %d instances failing in one reply: longest gap between WATCHDOG=1 "
                  "%.3f s (limit 2 s, pings due every 1 s: the loop stalled at most %.3f s), %d pings"
                  % (count, gap, max(0.0, gap - 1.0), len(pings)))
        finally:
            d.close()
            sim.stop()
    return 0 if gap < 2.0 else 1


if __name__ == "__main__":
    harness.enter_private_namespace()
    sys.exit(main())
