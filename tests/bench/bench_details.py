# The benchmark report's details: full speed, state directory, simulator, start-up, latency, profile.
from bench_stats import fmt, med, spread


def detail_sections(res, plan):
    """The report's lines after the summary tables, for the phases that ran."""
    L = []
    L.append("### Full speed, one core\n")
    L.append("| client | tasks | polls/s | client CPU | µs/poll | handshakes | RSS start → end KiB |")
    L.append("|---|---|---|---|---|---|---|")
    for r in res.full:
        L.append("| %s%s | %s | %s | %.0f%% | %s | %d | %d → %d |" % (
            r["client"], " (long run)" if r.get("long") else "", fmt(r["n"]),
            fmt(r["polls_per_s"]), 100 * r["cpu_util"], fmt(r["us_per_poll"]), r["handshakes"],
            r["rss_start"], r["rss_end"]))
    L.append("")
    for r in res.full:
        if r.get("long"):
            L.append("RSS of the long run, %s tasks (seconds into the measurement: KiB): %s\n"
                     % (fmt(r["n"]), ", ".join("%g: %d" % (t, k) for t, k in r["rss_series"])))
    st = res.extra.get("state")
    if st:
        plain = [r for r in res.rows if r["client"] == "taskwatchd" and r["n"] == st["n"]]
        L.append("### With a state directory\n")
        L.append("The matrix's %s-task run again with `--state-dir` (on %s): every task's record "
                 "is written at its baseline and again when all of them finish at once. "
                 "CPU per poll %s µs steady, %s µs over the whole run; from the flip of every "
                 "task to `success` to the daemon's exit %.1f s; peak RSS %.1f MiB; %d records on "
                 "disk at the end. The same run without a state directory: %s.\n"
                 % (fmt(st["n"]), st.get("fs", "?"), fmt(st["us_per_poll"]),
                    fmt(st["us_per_poll_total"]), st["finish_s"], st["maxrss"] / 1024.0,
                    st["records"],
                    "; ".join("%s µs steady, %s µs whole run, finish %.1f s, peak %.1f MiB" % (
                        fmt(r["us_per_poll"]), fmt(r["us_per_poll_total"]), r["finish_s"],
                        r["maxrss"] / 1024.0) for r in plain) or "not run"))
        if st.get("restart_ready_ms") is not None:
            L.append("Restarted on those %s records (every task ended): exec → `READY=1` in %.0f ms, "
                     "since the records are read after it, in 10 ms slices of the loop; the daemon "
                     "had read them all, found every task ended and exited (status %s) %s after "
                     "the exec.\n" % (fmt(st["records"]), st["restart_ready_ms"], st["restart_exit"],
                                      "%.2f s" % st["restart_exit_s"] if st["restart_exit_s"]
                                      else "not within 60 s"))
    sim = res.extra.get("simulator")
    if sim:
        L.append("### Against the simulator (every signature verified)\n")
        L.append("taskwatchd, %d tasks, 200 ms interval, 5 s running then `success`: exit status "
                 "%s; %d requests, %d refused by the signature check; %d connections, %d TLS "
                 "handshakes; %.0f µs CPU per poll over the whole run (the simulator is Python "
                 "and slow, so this is a check, not a speed figure); peak RSS %.1f MiB.\n"
                 % (sim["n"], sim["exit"], sim["requests"], sim["auth_failures"],
                    sim["connections"], sim["handshakes"], sim["us_per_poll"],
                    sim["maxrss"] / 1024))
    st = res.extra.get("startup")
    if st:
        L.append("### Start-up and the first polls\n")
        L.append("exec → `READY=1` with 10 000 tasks in the configuration (NOTIFY_SOCKET bound "
                 "by the script): %s ms." % ", ".join("%.0f" % (1000 * x) for x in st["ready_s"]))
        sp = st["spread"]
        if sp and sp["polls"]:
            L.append(" First polls per 0.5 s slice of the first MinInterval (5 s): %s; "
                     "%d within the first second; %d after the first interval; %d TLS "
                     "handshakes for them.\n" % (" ".join(map(str, sp["buckets"])),
                                                 sp["within_1s_of_ready"],
                                                 sp["beyond_interval"], sp["handshakes"]))
        if st.get("default_budget"):
            db = st["default_budget"]
            L.append("These runs lift the account-wide budget (`MaxRequestsPerSecond=100000`), "
                     "as every other taskwatchd run here does. With the default budget (50 "
                     "requests/s) the same start polled %d tasks in its first %g s: the first "
                     "round of 10 000 tasks then takes about %.0f s, whatever MinInterval "
                     "says.\n" % (db["polls"], db["seconds"], 10000 / 50.0))
    lat = res.extra.get("latency")
    if lat and lat["latency"]:
        q = sorted(lat["latency"])
        L.append("### Detection latency at the default intervals (5 s → 2 min)\n")
        L.append("%d tasks, each flipped to `success` at a random moment %g–%g s after "
                 "READY=1; %d of %d detected. Latency from the flip to the daemon's stderr line "
                 "`task succeeded`: median %.1f s, 90th percentile %.1f s, max %.1f s. The poll "
                 "interval in force at the flip (gap between the polls around it): median "
                 "%.1f s, range %.1f–%.1f s; the expectation for a flip at a random moment is "
                 "half that interval on average, the whole of it at worst. From the poll that "
                 "got the success reply (nginx's log time) to the stderr line: median %.2f ms.\n"
                 % (lat["n"], lat["flip_window"][0], lat["flip_window"][1], lat["detected"],
                    lat["flipped"], med(q), q[int(0.9 * (len(q) - 1))], q[-1],
                    med(lat["interval_at_flip"]) or 0, *(spread(lat["interval_at_flip"])
                                                          if lat["interval_at_flip"] else (0, 0)),
                    1000 * (med(lat["reaction"]) or 0)))
    perf = res.extra.get("perf")
    if perf:
        pr = res.extra["perf_run"]
        L.append("## Profile\n")
        L.append("`perf record -e cpu-clock -F 499 --call-graph dwarf` on taskwatchd at full "
                 "speed, 1000 tasks, %.0f polls/s at %.0f%% of one core, for %g s "
                 "(hardware counters are not available in this VM, so `perf stat` gives no "
                 "instructions/cycles; cpu-clock sampling works).\n"
                 % (pr["polls_per_s"], 100 * pr["cpu_util"], plan.profile_s))
        L.append("Self time by library:\n\n```\n%s\n```\n" % perf["dso"])
        L.append("Self time by function (top; stripped libraries' internals are left out):"
                 "\n\n```\n%s\n```\n" % perf["self"])
        L.append("Inclusive time (children, self) of taskwatchd's own functions:\n\n```\n%s\n```\n"
                 % perf["ours"])
        L.append("Inclusive time of library entry points and system calls:\n\n```\n%s\n```\n"
                 % perf["libs"])
    stc = res.extra.get("strace")
    if stc and stc["per_poll"]:
        L.append("System calls per poll (`strace -c -f` for 3 s at full speed; strace slows the "
                 "daemon, the counts per poll are what matters):\n")
        L.append("| syscall | calls per poll |\n|---|---|")
        for name, per in stc["per_poll"][:14]:
            L.append("| %s | %.2f |" % (name, per))
        L.append("")
    return L
