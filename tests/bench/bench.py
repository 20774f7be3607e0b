#!/usr/bin/env python3
# Benchmark driver: taskwatchd vs the official Node SDK vs three floors, against nginx.
"""Runs every measurement of tests/bench (method: RESULTS.md), prints the table and writes
RESULTS.md. Started by run.sh, which builds the daemon and installs nginx and the SDK:

    bench.py --taskwatchd BIN --node-modules DIR [--quick] [--reps N] [--out FILE]

Clients run on CPU 0 and nginx on CPU 1 (taskset), so "one core" means one core. nginx
serves one pre-generated reply file per task; a task "finishes" when its file is replaced
(atomically) by a success reply. Every poll is counted in nginx's access log, with the
connection serial and the request number on that connection, which gives the handshakes.

The parts: bench_phases (the plan and its phases); the runs: bench_runs (one client's run,
measured), bench_daemon_runs (start-up, latency, the simulator), bench_floors (the curl CLI,
libcurl and OpenSSL floors); the samplers: bench_samplers (CPU clock, RSS, wait4, perf,
strace), bench_nginx (the server, the reply files, the access log); the report:
bench_stats, bench_targets, bench_report and bench_details (figures, verdicts, RESULTS.md)."""

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import HERE, loadavg, log  # noqa: E402
from bench_phases import Plan, run_phases  # noqa: E402
from bench_report import report, versions  # noqa: E402
from bench_runs import Bench  # noqa: E402
from bench_stats import Results  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--taskwatchd", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--work", default=os.path.join(HERE, ".work"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--buildtype", default="release")
    ap.add_argument("--binary-note", default="")
    ap.add_argument("--command", default="tests/bench/run.sh")
    ap.add_argument("--phases",
                    default="matrix,default,state,simulator,full,startup,latency,profile,metrics")
    ap.add_argument("--from-json", help="only rewrite the report from this results.json")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        res = Results()
        res.rows, res.full, res.loads, res.extra = (saved["rows"], saved["full"],
                                                    saved["loads"], saved["extra"])
        res.default = saved.get("default", [])  # absent from results.json of older runs
        plan = Plan(saved["extra"].get("quick", False), saved["extra"].get("reps", 0))
        args.buildtype = saved["extra"].get("buildtype", args.buildtype)
        args.binary_note = saved["extra"].get("binary_note", args.binary_note)
        with open(args.out, "w") as f:
            f.write(report(res, plan, saved["extra"].get("versions") or versions(args), args))
        log("rewrote %s from %s", args.out, args.from_json)
        return
    if os.path.isdir(os.path.join(work, "runs")):
        shutil.rmtree(os.path.join(work, "runs"))
    os.makedirs(work, exist_ok=True)
    plan = Plan(args.quick, args.reps)
    phases = set(args.phases.split(","))
    args.sizes = plan.sizes
    t_start = time.time()
    load_start = loadavg()
    res = Results()
    b = Bench(args)
    b.finish_grace = plan.finish_grace
    try:
        run_phases(b, plan, phases, res)
    finally:
        b.close()
    res.extra["elapsed"] = time.time() - t_start
    res.extra["load"] = (load_start, loadavg())
    res.extra.update({"quick": plan.quick, "reps": plan.reps, "buildtype": args.buildtype,
                      "binary_note": args.binary_note, "versions": versions(args),
                      "date": time.strftime("%Y-%m-%d %H:%M %Z")})
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump({"rows": res.rows, "full": res.full, "default": res.default,
                   "loads": res.loads, "extra": res.extra}, f, indent=1, default=str)
    text = report(res, plan, res.extra["versions"], args)
    with open(args.out, "w") as f:
        f.write(text)
    print(text.split("\n## ", 3)[2] if "\n## " in text else text)
    log("wrote %s (%.0f s)", args.out, res.extra["elapsed"])


if __name__ == "__main__":
    main()
