# The benchmark's plan (sizes, rates, windows; --quick) and its phases, run in order.
import os

import bench_daemon_runs
from bench_common import DEFAULT_MIN, loadavg, log
from bench_floors import FLOORS
from bench_samplers import parse_strace, perf_record, perf_reports, strace_count
from bench_stats import fmt, med


class Plan:
    def __init__(self, quick, reps):
        self.quick = quick
        self.sizes = [100, 1000, 10000]
        if quick:
            self.reps = reps or 1
            self.rate = 2000.0           # aggregate polls/s the interval runs aim at
            self.min_window = 5.0
            self.window_rounds = 2.2
            self.curl_requests = 5000
            self.full_measure = 3.0
            self.full_sizes = [1000]
            self.sdk_full_sizes = [1000]
            self.startup_reps = 2
            self.latency = (20, 5.0, 12.0)
            self.profile_s = 3.0
            self.finish_grace = 5.0
            self.long_factor = 2
            self.default_window = 40.0   # phase "default": the window at the 5 s interval
            self.scrapes = 200
        else:
            self.reps = reps or 3
            self.rate = 1000.0
            self.min_window = 10.0
            self.window_rounds = 2.5
            self.curl_requests = 20000
            self.full_measure = 6.0
            self.full_sizes = [100, 1000, 10000]
            self.sdk_full_sizes = [100, 1000]
            self.startup_reps = 5
            self.latency = (100, 20.0, 60.0)
            self.profile_s = 6.0
            self.finish_grace = 60.0
            self.long_factor = 3
            self.default_window = 60.0
            self.scrapes = 1000          # phase "metrics": scrapes of 10 000 tasks

    default_sizes = [100, 1000]          # phase "default" (10 000: the matrix row, if at 5 s)

    def interval(self, n):
        return n / self.rate

    def window(self, n):
        return max(self.min_window, self.window_rounds * self.interval(n))


def run_phases(b, plan, phases, res):
    if "matrix" in phases:
        for rep in range(plan.reps):
            for n in plan.sizes:
                iv, win = plan.interval(n), plan.window(n)
                for client in ("taskwatchd", "sdk") + FLOORS:
                    label = "%s N=%d rep %d" % (client, n, rep + 1)
                    log("%s (interval %gs, window %gs)", label, iv, win)
                    load0 = loadavg()
                    if client == "taskwatchd":
                        row = b.run_taskwatchd(n, iv, win)
                    elif client == "sdk":
                        row = b.run_sdk(n, iv, win)
                    else:
                        row = b.run_floor(client, n, plan.curl_requests)
                    row["rep"] = rep
                    res.add("matrix", row, label, load0)
                    log("  -> %s µs/poll, %d polls, maxrss %d KiB, %d handshakes",
                        fmt(row["us_per_poll"]), row["polls"], row["maxrss"] or 0,
                        row["handshakes"])
    if "default" in phases:
        # What users run: MinInterval=MaxInterval=5 s (the default MinInterval). Kept out of
        # res.rows, whose cells are the matrix's.
        for rep in range(plan.reps):
            for n in plan.default_sizes:
                for client in ("taskwatchd", "sdk"):
                    label = "default %s N=%d rep %d" % (client, n, rep + 1)
                    log("%s (interval %gs, window %gs)", label, DEFAULT_MIN, plan.default_window)
                    load0 = loadavg()
                    run = b.run_taskwatchd if client == "taskwatchd" else b.run_sdk
                    row = run(n, DEFAULT_MIN, plan.default_window)
                    row["rep"] = rep
                    res.add("default", row, label, load0)
                    log("  -> %s µs/poll, %d polls, maxrss %d KiB, %d handshakes",
                        fmt(row["us_per_poll"]), row["polls"], row["maxrss"] or 0,
                        row["handshakes"])
    if "state" in phases:
        # The same run as the matrix's largest, with a state directory: every task saved at
        # its baseline and again when all finish at once.
        n = max(plan.sizes)
        iv, win = plan.interval(n), plan.window(n)
        label = "taskwatchd N=%d with --state-dir" % n
        log("%s (interval %gs, window %gs)", label, iv, win)
        load0 = loadavg()
        row = b.run_taskwatchd(n, iv, win, state=True)
        row["load"] = (load0, loadavg())
        res.loads.append((label, load0, row["load"][1]))
        res.extra["state"] = row
        log("  -> %s µs/poll steady, %s whole run, finish %.1f s, %d records",
            fmt(row["us_per_poll"]), fmt(row["us_per_poll_total"]), row["finish_s"],
            row["records"])
    if "simulator" in phases:
        log("taskwatchd vs the simulator (signatures checked)")
        load0 = loadavg()
        sim = bench_daemon_runs.run_simulator(b, 100, 0.2, 5.0)
        sim["load"] = (load0, loadavg())
        res.loads.append(("simulator N=100", load0, sim["load"][1]))
        res.extra["simulator"] = sim
        log("  -> %s", sim)
    if "full" in phases:
        for rep in range(plan.reps):
            for client, sizes in (("taskwatchd", plan.full_sizes), ("sdk", plan.sdk_full_sizes)):
                for n in sizes:
                    label = "full speed %s N=%d rep %d" % (client, n, rep + 1)
                    log(label)
                    load0 = loadavg()
                    row = b.run_full_speed(client, n, plan.full_measure)
                    res.add("full", row, label, load0)
                    log("  -> %.0f polls/s at %.0f%% CPU, %s µs/poll, rss %d→%d KiB",
                        row["polls_per_s"], 100 * row["cpu_util"], fmt(row["us_per_poll"]),
                        row["rss_start"], row["rss_end"])
        # one longer run for memory over time, and one with more connections
        label = "full speed taskwatchd N=10000 long"
        log(label)
        load0 = loadavg()
        row = b.run_full_speed("taskwatchd", 10000, plan.long_factor * plan.full_measure)
        row["long"] = True
        row["extra"] = "long"
        res.add("full", row, label, load0)
        log("  -> rss %d→%d KiB over %d polls", row["rss_start"], row["rss_end"], row["polls"])
    if "startup" in phases:
        log("start-up with 10000 tasks")
        load0 = loadavg()
        res.extra["startup"] = bench_daemon_runs.run_startup(b, 10000, plan.startup_reps)
        res.loads.append(("startup N=10000", load0, loadavg()))
        log("  -> %s", res.extra["startup"])
    if "latency" in phases:
        n, lo, hi = plan.latency
        log("detection latency at the default intervals: %d tasks flip in [%g, %g] s", n, lo, hi)
        load0 = loadavg()
        res.extra["latency"] = bench_daemon_runs.run_latency(b, n, lo, hi)
        res.loads.append(("latency N=%d" % n, load0, loadavg()))
        lat = res.extra["latency"]
        log("  -> median %s s, interval at flip median %s s", fmt(med(lat["latency"]), 2),
            fmt(med(lat["interval_at_flip"]), 2))
    if "metrics" in phases:
        # Issue #12's limits: a scrape of 10 000 tasks under 10 ms of the daemon's CPU, no
        # RSS growth across 1000 scrapes; and CPU per poll with the endpoint on and off, the
        # same run side by side.
        n = max(plan.sizes)
        log("metrics: %d scrapes of %d watched tasks", plan.scrapes, n)
        load0 = loadavg()
        scrape = bench_daemon_runs.run_metrics_scrape(b, n, plan.scrapes)
        res.loads.append(("metrics scrape N=%d" % n, load0, loadavg()))
        log("  -> %s", scrape)
        side = {}
        iv, win = plan.interval(n), plan.window(n)
        for label, listen in (("off", None), ("on", "127.0.0.1:%d" % bench_daemon_runs.free_port())):
            load0 = loadavg()
            row = b.run_taskwatchd(n, iv, win, metrics=listen)
            res.loads.append(("metrics %s N=%d" % (label, n), load0, loadavg()))
            side[label] = {"us_per_poll": row["us_per_poll"], "polls": row["polls"],
                           "maxrss": row["maxrss"]}
            log("  metrics %s -> %s µs/poll, %d polls", label, fmt(row["us_per_poll"]),
                row["polls"])
        res.extra["metrics"] = {"scrape": scrape, "per_poll": side}
    if "profile" in phases:
        log("profile: perf record at full speed, 1000 tasks")
        load0 = loadavg()
        data = os.path.join(b.work, "perf.data")
        row = b.run_full_speed("taskwatchd", 1000, plan.profile_s, profile=perf_record(data))
        res.loads.append(("perf N=1000", load0, loadavg()))
        res.extra["perf_run"] = {k: v for k, v in row.items() if k != "extra"}
        res.extra["perf"] = perf_reports(data)
        log("profile: syscalls per poll (strace -c)")
        load0 = loadavg()
        st = os.path.join(b.work, "strace.txt")
        row = b.run_full_speed("taskwatchd", 1000, 3.0, profile=strace_count(st))
        res.loads.append(("strace N=1000", load0, loadavg()))
        res.extra["strace"] = {"polls": row["polls_per_s"] * 3.0,
                               "per_poll": parse_strace(st, row["polls_per_s"] * 3.0)}
