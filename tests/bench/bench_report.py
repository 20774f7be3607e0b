# The benchmark's report: the tables and the text of RESULTS.md, from the rows of the runs.
import json
import os
import subprocess
import sys
import time

from bench_common import CLIENT_CPU, DEFAULT_MIN, HERE, ROOT, SERVER_CPU, sh
from bench_details import detail_sections
from bench_floors import FLOORS, NAMES, SHORT
from bench_nginx import reply_body
from bench_stats import fmt, med, mib, noise, per_poll
from bench_targets import default_ratios, default_view, targets


def floor_ratios(res, n):
    """[(floor, its µs/poll, taskwatchd's ÷ it)] for the floors that ran at n tasks."""
    usm, _ = per_poll(res, "taskwatchd", n)
    out = []
    for kind in FLOORS:
        floor = med(res.cell(kind, n, "us_per_poll"))
        if floor:
            out.append((kind, floor, usm / floor if usm else None))
    return out


def build_table(res, sizes):
    head = ("| client | tasks | interval | polls | CPU µs/poll (steady) | CPU µs/poll (whole run) "
            "| peak RSS MiB | RSS MiB per 1000 tasks | TLS handshakes per 1000 polls "
            "| polls/s, full speed, one core | taskwatchd ÷ SDK | taskwatchd ÷ floor |")
    lines = [head, "|" + "---|" * 12]
    noise_lines = []
    for n in sizes:
        for client in ("taskwatchd", "sdk") + FLOORS:
            us = res.cell(client, n, "us_per_poll")
            if not us:
                continue
            usm, mark = per_poll(res, client, n)
            whole = med(res.cell(client, n, "us_per_poll_total"))
            rss = med(res.cell(client, n, "maxrss"))
            hs = med(res.cell(client, n, "hs_per_1000"))
            polls = med(res.cell(client, n, "polls"))
            iv = med(res.cell(client, n, "interval"))
            if client in FLOORS:
                pps = med(res.cell(client, n, "polls_per_s"))
                iv_s = "none (sequential)"
            else:
                pps = med(res.full_cell(client, n, "polls_per_s"))
                iv_s = "%gs" % iv
            r_sdk = r_floor = "–"
            if client == "taskwatchd":
                sdk, smark = per_poll(res, "sdk", n)
                if sdk and usm:
                    r_sdk = "%.3f (SDK %.1f× more%s)" % (usm / sdk, sdk / usm, smark)
                ratios = ["%.2f %s" % (r, SHORT[kind]) for kind, _, r in floor_ratios(res, n)
                          if r is not None]
                r_floor = ", ".join(ratios) or "–"
            name = {"taskwatchd": "taskwatchd", "sdk": "Node SDK poller", **NAMES}[client]
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, fmt(n), iv_s, fmt(polls), fmt(usm) + mark, fmt(whole), fmt(mib(rss), 1),
                fmt(mib(rss) * 1000 / n if rss else None, 2), fmt(hs, 2),
                fmt(pps), r_sdk, r_floor))
            noise_lines.append("| %s | %s | %d | %s | %s | %s |" % (
                name, fmt(n), len(us), noise(us), noise([mib(x) for x in
                                                           res.cell(client, n, "maxrss")], 1),
                noise(res.full_cell(client, n, "polls_per_s")
                      if client not in FLOORS else res.cell(client, n, "polls_per_s"))))
    floors = ["| tasks | taskwatchd µs/poll | %s | %s |" % (
        " | ".join(SHORT[k] + " µs/poll" for k in FLOORS),
        " | ".join("taskwatchd ÷ " + SHORT[k] for k in FLOORS)), "|" + "---|" * (2 + 2 * len(FLOORS))]
    for n in sizes:
        usm, mark = per_poll(res, "taskwatchd", n)
        got = {kind: (us, r) for kind, us, r in floor_ratios(res, n)}
        if usm is None or not got:
            continue
        floors.append("| %s | %s | %s | %s |" % (
            fmt(n), fmt(usm) + mark, " | ".join(fmt(got.get(k, (None, None))[0]) for k in FLOORS),
            " | ".join(fmt(got.get(k, (None, None))[1], 2) for k in FLOORS)))
    noise_tab = ["| client | tasks | runs | CPU µs/poll min–max | peak RSS MiB min–max "
                 "| full-speed polls/s min–max |", "|---|---|---|---|---|---|"] + noise_lines
    return "\n".join(lines), "\n".join(noise_tab), "\n".join(floors)


def versions(args):
    def first(*cmd):
        out = sh(*cmd)
        return out.splitlines()[0] if out else "?"
    sdk = "?"
    core = "?"
    try:
        with open(os.path.join(args.node_modules, "@alicloud", "cs20151215", "package.json")) as f:
            sdk = json.load(f)["version"]
        with open(os.path.join(args.node_modules, "@alicloud", "openapi-core", "package.json")) as f:
            core = json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        pass
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        mem = f.readline().split(":")[1].strip()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return {
        "machine": "%s CPUs (nproc), %s, %s RAM, kernel %s" % (
            sh("nproc"), cpu, mem, sh("uname", "-r")),
        "taskwatchd": "%s (git describe %s; meson buildtype %s)" % (
            first(args.taskwatchd, "--version"),
            sh("git", "-C", ROOT, "describe", "--always", "--dirty"), args.buildtype)
        + ("; " + args.binary_note if args.binary_note else ""),
        "curl": first("curl", "--version"),
        "nginx": nginx.replace("nginx version: ", ""),
        "node": first("node", "--version"),
        "sdk": "@alicloud/cs20151215 %s, @alicloud/openapi-core %s" % (sdk, core),
        "openssl": first("openssl", "version"),
        "python": sys.version.split()[0],
    }


def default_section(res, plan):
    """Report lines for phase "default": the cost at the daemon's default interval."""
    rows = default_view(res)
    if not res.default:
        return []
    L = ["### At the default interval (5 s)\n"]
    L.append("Every task polled every %g s (`MinInterval=MaxInterval=%gs` for taskwatchd, a "
             "%g s sleep in each SDK loop), as on an ops host running taskwatchd with its "
             "default `MinInterval`: this is the cost users actually pay, and at such low rates "
             "the CPU per poll of both clients is dominated by the overhead of each wake-up "
             "rather than by the request itself, which raises the Node SDK's per-poll cost a "
             "lot more than taskwatchd's (compare the matrix above). Steady CPU per poll as "
             "in the matrix (from the end of the first round to the end of the window); "
             "medians over %d run(s) per row; the N=10 000 row, when present, is the "
             "matrix's own (its interval N / %g is 5 s; its window is the matrix's).\n"
             % (DEFAULT_MIN, DEFAULT_MIN, DEFAULT_MIN, plan.reps, plan.rate))
    L.append("| client | tasks | polls/s asked | window | polls in the window "
             "| CPU µs/poll (steady, median) | peak RSS MiB | TLS handshakes per 1000 polls "
             "| SDK ÷ taskwatchd |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    ratios = {n: (r, mark) for n, r, mark in default_ratios(res)}
    for n in sorted({r["n"] for r in rows}):
        for client in ("taskwatchd", "sdk"):
            if not res.cell(client, n, "n", rows):
                continue
            us, mark = per_poll(res, client, n, rows)
            ratio = "–"
            if client == "taskwatchd" and n in ratios:
                ratio = "%.1f×%s" % ratios[n]
            L.append("| %s | %s | %s | %s s | %s | %s | %s | %s | %s |" % (
                {"taskwatchd": "taskwatchd", "sdk": "Node SDK poller"}[client], fmt(n),
                fmt(n / DEFAULT_MIN), fmt(med(res.cell(client, n, "window", rows))),
                fmt(med(res.cell(client, n, "polls_window", rows))), fmt(us) + mark,
                fmt(mib(med(res.cell(client, n, "maxrss", rows))), 1),
                fmt(med(res.cell(client, n, "hs_per_1000", rows)), 2), ratio))
    L.append("")
    cmp_ = []
    for n in sorted({r["n"] for r in res.default}):
        for client in ("taskwatchd", "sdk"):
            hi = per_poll(res, client, n)[0]
            lo = per_poll(res, client, n, res.default)[0]
            iv = med(res.cell(client, n, "interval"))
            if hi and lo and iv is not None and iv != DEFAULT_MIN:
                cmp_.append("%s N=%s: %s µs at %g s → %s µs at %g s (%.1f×)" % (
                    client, fmt(n), fmt(hi), iv, fmt(lo), DEFAULT_MIN, lo / hi))
    if cmp_:
        L.append("CPU per poll, matrix interval → default interval: %s.\n" % "; ".join(cmp_))
    if not any(r["n"] == 10000 for r in rows):
        ivs = sorted({r.get("interval") for r in res.rows if r["n"] == 10000
                      and r["client"] in ("taskwatchd", "sdk")})
        L.append("No N=10 000 row: %s.\n" % (
            "the matrix ran it at %s s, not %g s" % (", ".join("%g" % x for x in ivs),
                                                       DEFAULT_MIN)
            if ivs else "the matrix did not run"))
    bad = ["%s N=%s: %d errors%s" % (r["client"], fmt(r["n"]), r.get("errors", 0),
                                     ", stopped" if r.get("timed_out") else "")
           for r in res.default if r.get("errors") or r.get("timed_out")]
    if bad:
        L.append("Runs with errors or stopped: %s.\n" % "; ".join(bad))
    return L


def report(res, plan, ver, args):
    table, noise_tab, floor_tab = build_table(res, plan.sizes)
    L = []
    L.append("# taskwatchd benchmark results\n")
    L.append("Generated by `%s`%s on %s, in %.0f s. Load average (1/5/15 min) at the start "
             "%s, at the end %s. The analysis further down was written by hand from the run "
             "recorded here.\n" % (args.command, " --quick" if plan.quick and
                                   "--quick" not in args.command else "",
                                   res.extra.get("date") or time.strftime("%Y-%m-%d %H:%M %Z"),
                                   res.extra["elapsed"],
                                   res.extra["load"][0], res.extra["load"][1]))
    L.append("## Setup\n")
    for k in ("machine", "taskwatchd", "curl", "nginx", "node", "sdk", "openssl", "python"):
        L.append("- **%s**: %s" % (k, ver[k]))
    L.append("""
- Reproduce, as root: `tests/bench/run.sh` (everything, about 30 min) or `tests/bench/run.sh
  --quick` (one run of each, about 6 min). It builds `build-bench` (release), installs
  `nginx-light` with apt-get if missing and the SDK with npm into `tests/bench/.work/`
  (ignored by git), and rewrites this file.
- Clients run on CPU %s, nginx (one worker) on CPU %s (`taskset`). nginx serves one
  pre-generated reply file per task (%d bytes, five `task_result` entries, state `running`)
  over TLS 1.3 with keep-alive, `keepalive_requests` unlimited; a task finishes when its
  file is replaced atomically by a `success` reply. Every poll is counted in nginx's access
  log with `$connection` and `$connection_requests` (a request numbered 1 is a new TLS
  connection, i.e. a handshake).
- Interval runs: N tasks polled every N / %g s (so every client is asked for the same %g
  polls/s in total), `MinInterval=MaxInterval=` that interval for taskwatchd, the same sleep
  between polls in each SDK loop. The window is max(%g s, %g intervals); then every task
  finishes and the client must notice and exit. *Steady* CPU per poll is CPU time
  (user+sys, the process CPU clock: `clock_getcpuclockid`, ns, all threads) over
  nginx-counted polls from the end of the first round to
  the end of the window; *whole run* is the process's total CPU (`wait4` rusage, start-up,
  baselines and the finish included) over every poll. Peak RSS is VmHWM from
  `/proc/PID/status`, sampled every 0.25 s to the end (not `ru_maxrss`, which keeps the
  RSS of the forking Python across the exec).
- The floors, each fetching %s URLs sequentially (the same reply files, cycling over the N
  ids) over one keep-alive connection, with no signing and no JSON; CPU from `wait4`: the
  curl command line (`curl --config`, `-o /dev/null`: it also parses that list of URLs),
  a C client on libcurl with one reused easy handle (`tests/bench/floor-libcurl.c`), and
  one on OpenSSL alone, a hand-written HTTP/1.1 GET over one TLS connection
  (`tests/bench/floor-openssl.c`); both built by the benchmark with `cc -O2` and
  pkg-config.
- Full speed: taskwatchd with `MinInterval=MaxInterval=1ms` (MaxConnections=4), the SDK
  poller with a 0 ms sleep (one loop per task, so N requests in flight); polls/s counted
  by nginx over %g s after a warm-up.
- Medians of %d runs per cell; the noise table gives min–max.
""" % (CLIENT_CPU, SERVER_CPU, len(reply_body(0, "running")), plan.rate, plan.rate,
       plan.min_window, plan.window_rounds, fmt(plan.curl_requests), plan.full_measure,
       plan.reps))
    L.append("## Results\n")
    L.append(table + "\n")
    L.append("`*`: the client never reached a steady state in the window (it fell behind "
             "its schedule), so the figure is CPU over every poll of the whole run. Errors "
             "(non-200 replies, client-side timeouts) per run: %s.\n" % (", ".join(
                 "%s N=%s: %d" % (r["client"], fmt(r["n"]), r["errors"])
                 for r in res.rows if r.get("errors")) or "none"))
    killed = ["%s N=%s" % (r["client"], fmt(r["n"])) for r in res.rows if r.get("timed_out")]
    if killed:
        L.append("Did not finish within 3 intervals + %g s of the flip and was stopped (its "
                 "own error count is then unknown): %s.\n" % (
                     5.0 if plan.quick else 60.0, ", ".join(killed)))
    L.append("### taskwatchd against the floors\n")
    L.append("CPU per poll of taskwatchd (steady, the matrix's interval runs) and of each "
             "floor (the whole run of sequential fetches), and their ratio: how much a poll "
             "costs taskwatchd beyond fetching the same reply over the same kind of "
             "connection.\n")
    L.append(floor_tab + "\n")
    L.append("RSS per 1000 tasks above is the whole peak RSS divided by N/1000. The marginal "
             "cost of a watched task, from the peak RSS at 1 000 and 10 000 tasks:\n")
    for client in ("taskwatchd", "sdk"):
        a, b = med(res.cell(client, 1000, "maxrss")), med(res.cell(client, 10000, "maxrss"))
        if a and b:
            L.append("- %s: %.2f MiB per 1000 tasks (%.0f bytes per task)" % (
                client, (b - a) / 1024 / 9, (b - a) * 1024 / 9000))
    for n in plan.sizes:
        sm = [r["smaps"] for r in res.rows if r["client"] == "taskwatchd" and r["n"] == n
              and r.get("smaps")]
        if sm:
            s = sm[len(sm) // 2]
            L.append("- taskwatchd, %s tasks, RSS at the end of the window: %.1f MiB = %.1f MiB "
                     "anonymous (heap, stacks) + %.1f MiB file-backed (mapped libraries, "
                     "shared with other processes); PSS %.1f MiB" % (
                         fmt(n), s.get("Rss", 0) / 1024, s.get("Anonymous", 0) / 1024,
                         (s.get("Rss", 0) - s.get("Anonymous", 0)) / 1024,
                         s.get("Pss", 0) / 1024))
    L.append("")
    L.extend(default_section(res, plan))
    L.append("### Targets (issue 7)\n")
    L.append("| target | verdict | measured |")
    L.append("|---|---|---|")
    for name, verdict, ev in targets(res, plan):
        L.append("| %s | **%s** | %s |" % (name, verdict, ev))
    L.append("")
    L.append("### Noise\n")
    L.append(noise_tab + "\n")
    L.append("Figures of each run (and the load average around it) are in "
             "`tests/bench/.work/results.json` after a run.\n")
    L.extend(detail_sections(res, plan))
    analysis = os.path.join(HERE, "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            L.append(f.read())
    L.append("## Load average around each run\n")
    L.append("The machine has 2 cores and is shared; the benchmark itself adds about 1–2.\n")
    L.append("| run | load at start | load at end |\n|---|---|---|")
    for label, a, b in res.loads:
        L.append("| %s | %s | %s |" % (label, a, b))
    L.append("")
    return "\n".join(L)
