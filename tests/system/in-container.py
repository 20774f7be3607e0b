#!/usr/bin/env python3
# The system test proper: runs inside the container, under systemd as PID 1, against the installed taskwatchd.service.
"""Started by run-tests.service (see run-system-test.py). Reads /opt/test/params.json,
installs /opt/stage into /, configures the service for the simulator on the host's
loopback, and checks what the service does through systemctl and the journal. Writes TAP
to stdout and /opt/out/results.tap, and the journal to /opt/out/ for post-mortems.

PID 1 logs at debug level during the test, so the journal records every notification the
daemon sends ("Got notification message from PID N (READY=1, STATUS=...)") in the order
systemd acted on them."""

import glob
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import traceback

UNIT = "taskwatchd.service"
CONF_DIR = "/etc/taskwatchd"
DROPIN_DIR = "/run/systemd/system/taskwatchd.service.d"
TASK_MAIN, TASK_SLOW, TASK_ADDED = "T-systest-main", "T-systest-slow", "T-systest-added"

P = json.load(open("/opt/test/params.json"))
OUT = open("/opt/out/results.tap", "w")
results = []


def emit(line):
    print(line, flush=True)
    OUT.write(line + "\n")
    OUT.flush()


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        emit("# " + line)


def check(ok, name, detail=None, todo=None):
    n = len(results) + 1
    results.append(bool(ok) or todo is not None)
    suffix = " # TODO " + todo if todo else ""
    emit("%s %d - %s%s" % ("ok" if ok else "not ok", n, name, suffix))
    if not ok and detail is not None:
        diag(detail)
    return ok


def sh(*cmd, check_rc=True, timeout=60):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p


def show(*props):
    out = sh("systemctl", "show", UNIT, "-p", ",".join(props)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def wait_for(cond, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def journal(*matches, unit=True, since_cursor=None):
    """Entries as dicts, oldest first."""
    sh("journalctl", "--sync")
    cmd = ["journalctl", "--no-pager", "-o", "json", "--output-fields=" + ",".join([
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "TASKWATCH_EVENT", "TASK_ID", "CLUSTER_ID",
        "TASK_TYPE", "TASK_STATE", "TASK_PREVIOUS_STATE", "TASK_STAGE", "TASK_PREVIOUS_STAGE",
        "INSTANCE_ID", "INSTANCE_STATUS", "INSTANCE_PREVIOUS_STATUS", "ERROR_CODE",
        "ERROR_MESSAGE", "REQUEST_ID", "HTTP_STATUS", "INSTANCES_SUCCEEDED",
        "INSTANCES_FAILED", "INSTANCES_PENDING", "RETRY_IN", "_PID", "JOB_RESULT", "JOB_TYPE",
        "UNIT", "_SYSTEMD_UNIT", "__MONOTONIC_TIMESTAMP", "SYSLOG_IDENTIFIER"])]
    if unit:
        # Not _SYSTEMD_UNIT=: journald cannot attribute the last entries of a process that
        # exited before it read them.
        cmd.append("SYSLOG_IDENTIFIER=taskwatchd")
    if since_cursor:
        cmd.append("--after-cursor=" + since_cursor)
    cmd.extend(matches)
    out = sh(*cmd).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def events(kind=None, task=None, **more):
    m = []
    if kind:
        m.append("TASKWATCH_EVENT=" + kind)
    if task:
        m.append("TASK_ID=" + task)
    m.extend("%s=%s" % kv for kv in more.items())
    return journal(*m)


def cursor():
    sh("journalctl", "--sync")
    out = sh("journalctl", "-n", "1", "--show-cursor", "-q", "-o", "cat").stdout
    m = re.search(r"-- cursor: (\S+)", out)
    return m.group(1) if m else None


def pid1_messages(pattern, since_cursor=None):
    """Messages PID 1 logged about the unit, matching pattern, as (monotonic, message)."""
    sh("journalctl", "--sync")
    cmd = ["journalctl", "--no-pager", "-o", "json", "_PID=1", "UNIT=" + UNIT]
    if since_cursor:
        cmd.append("--after-cursor=" + since_cursor)
    entries = [json.loads(l) for l in sh(*cmd).stdout.splitlines() if l.strip()]
    rx = re.compile(pattern)
    return [(int(e["__MONOTONIC_TIMESTAMP"]), e.get("MESSAGE", "")) for e in entries
            if isinstance(e.get("MESSAGE"), str) and rx.search(e["MESSAGE"])]


def sim(method, path, body=None):
    ctx = ssl.create_default_context(cafile=CONF_DIR + "/ca.pem")
    c = http.client.HTTPSConnection("127.0.0.1", P["port"], context=ctx, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def advance(task):
    status, reply = sim("POST", "/_sim/advance", {"task": task})
    if status != 200:
        raise RuntimeError("advance %s: %s %s" % (task, status, reply))


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def config(tasks, extra=""):
    return ("[API]\nEndpoint=https://127.0.0.1:%d\nCAFile=%s/ca.pem\nRequestTimeout=5s\n"
            "[Poll]\nMinInterval=200ms\nMaxInterval=1s\n%s[Tasks]\n%s" %
            (P["port"], CONF_DIR, extra, "".join("Task=%s\n" % t for t in tasks)))


def daemon_reload():
    sh("systemctl", "daemon-reload")


# ---- the phases ---------------------------------------------------------------------------

def phase_install():
    sh("cp", "-a", "/opt/stage/.", "/")
    missing = [f for f in P["installed"] if not os.path.exists(f)]
    check(not missing, "meson install put every file in place (%d files)" % len(P["installed"]),
          "missing: %s" % missing)
    names = {os.path.basename(f) for f in P["installed"]}
    for want in ("taskwatchd", "taskwatchd.service", "taskwatchd.catalog", "taskwatchd.8",
                 "taskwatchd.conf.5", "taskwatchd.conf"):
        check(want in names, "the installation includes %s" % want,
              "installed: %s" % sorted(names))
    unit = sh("systemctl", "cat", UNIT, check_rc=False).stdout
    check("ExecStart=%s/taskwatchd" % P["sbindir"] in unit,
          "the unit's ExecStart= is the installed binary", unit)
    r = sh("journalctl", "--update-catalog", check_rc=False)
    listed = sh("journalctl", "--list-catalog").stdout
    check(r.returncode == 0 and "3803630912004d618ec9e789fc361476" in listed,
          "journalctl --update-catalog takes the installed catalog", r.stderr)
    daemon_reload()


def phase_configure():
    write(CONF_DIR + "/ca.pem", open("/opt/test/ca.pem").read(), 0o644)
    write(CONF_DIR + "/taskwatchd.conf", config([TASK_MAIN, TASK_SLOW]))
    write(CONF_DIR + "/environment", "ALIBABA_CLOUD_ACCESS_KEY_ID=%s\n"
          "ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s\n" % (P["key_id"], P["key_secret"]), 0o600)
    # Both credentials files exist, so LoadCredential= has something to pass on.
    write(CONF_DIR + "/credentials/access-key-id", P["cred_key_id"], 0o600)
    write(CONF_DIR + "/credentials/access-key-secret", P["cred_key_secret"], 0o600)


def phase_bad_config():
    """A broken configuration fails the start with status 4 and is not restarted."""
    write(CONF_DIR + "/taskwatchd.conf.d/90-broken.conf", "[Poll]\nMinInterval=soon\n")
    r = sh("systemctl", "start", UNIT, check_rc=False, timeout=60)
    time.sleep(1.5)  # longer than a RestartSec= would be in a loop: nothing may happen
    s = show("ActiveState", "Result", "ExecMainStatus", "NRestarts")
    check(r.returncode != 0 and s["ActiveState"] == "failed" and s["ExecMainStatus"] == "4"
          and s["NRestarts"] == "0",
          "an invalid configuration fails the start with status 4, without restarts", s)
    os.unlink(CONF_DIR + "/taskwatchd.conf.d/90-broken.conf")
    sh("systemctl", "reset-failed", UNIT, check_rc=False)


def phase_start():
    c = cursor()
    t0 = time.monotonic()
    r = sh("systemctl", "start", UNIT, check_rc=False, timeout=60)
    took = time.monotonic() - t0
    s = show("ActiveState", "SubState", "Type", "MainPID", "StatusText", "NotifyAccess",
             "WatchdogUSec", "User", "DynamicUser", "ExecMainStartTimestampMonotonic",
             "ActiveEnterTimestampMonotonic")
    if not check(r.returncode == 0 and s["ActiveState"] == "active" and s["SubState"] == "running",
                 "systemctl start succeeds (%.2fs)" % took,
                 "%s\n%s\n%s" % (r.stderr, s, sh("journalctl", "-u", UNIT, "-n", "30",
                                                  "--no-pager").stdout)):
        raise RuntimeError("the service does not start; nothing else can be tested")
    check(s["Type"] == "notify" and s["WatchdogUSec"] == "30s",
          "Type=notify with WatchdogSec=30s", s)

    ready = pid1_messages(r"notification message.*READY=1", c)
    started = pid1_messages(r"(Started |Job .*start finished, result=done)", c)
    daemon_started = events("daemon-started")
    check(ready and started and ready[0][0] <= started[0][0],
          "the start job completes only after READY=1",
          "READY=1 at %s, job done at %s" % (ready[:1], started[:1]))
    check(daemon_started, "the daemon logged daemon-started", daemon_started)
    return int(s["MainPID"])


def status_text():
    return show("StatusText")["StatusText"]


def phase_transitions():
    st = wait_for(lambda: (lambda t: t if "2 tasks: 2 running" in t and "instances" in t else None)(
        status_text()), 20)
    check(st, "StatusText shows the task summary: %r" % st, status_text())

    base = wait_for(lambda: events("task-baseline", TASK_MAIN), 10)
    check(len(base) == 1 and base[0].get("TASK_STATE") == "running" and
          base[0].get("CLUSTER_ID") == "c-systest" and base[0].get("INSTANCES_PENDING") == "2" and
          base[0].get("MESSAGE_ID") == "0e4d72d625694610bebaca17b22a5a89",
          "task-baseline entry with TASK_STATE, CLUSTER_ID, INSTANCES_* and its MESSAGE_ID", base)

    advance(TASK_MAIN)  # i-sys1 succeeds, the stage moves
    ok = wait_for(lambda: events("instance-succeeded", TASK_MAIN, INSTANCE_ID="i-sys1"), 10)
    check(ok and ok[0].get("INSTANCE_STATUS") == "success" and
          ok[0].get("INSTANCE_PREVIOUS_STATUS") == "initial",
          "instance-succeeded with INSTANCE_ID, INSTANCE_STATUS, INSTANCE_PREVIOUS_STATUS", ok)
    stage = events("task-stage-changed", TASK_MAIN)
    check(stage and stage[0].get("TASK_STAGE") == "JoinNodes" and
          stage[0].get("TASK_PREVIOUS_STAGE") == "CreateInstances",
          "task-stage-changed with TASK_STAGE and TASK_PREVIOUS_STAGE", stage)

    advance(TASK_MAIN)  # i-sys2 fails, the task fails
    failed = wait_for(lambda: events("task-failed", TASK_MAIN), 10)
    check(failed and failed[0].get("ERROR_CODE") == "NodeJoinFailed" and
          failed[0].get("TASK_PREVIOUS_STATE") == "running" and failed[0].get("PRIORITY") == "3",
          "task-failed with ERROR_CODE, TASK_PREVIOUS_STATE, PRIORITY=3", failed)
    inst = events("instance-failed", TASK_MAIN, INSTANCE_ID="i-sys2")
    check(len(inst) == 1 and inst[0].get("MESSAGE_ID") == "a9034e5c1d444d8283e497a911d37eaa" and
          inst[0].get("INSTANCES_FAILED") == "1",
          "instance-failed with its MESSAGE_ID and INSTANCES_FAILED", inst)

    x = sh("journalctl", "-x", "--no-pager", "-u", UNIT, "TASKWATCH_EVENT=instance-failed").stdout
    check("Find the instance in the ECS console" in x and "Instance i-sys2 of task %s" % TASK_MAIN in x,
          "journalctl -x shows the catalog text, fields substituted, for a failed instance", x)

    st = wait_for(lambda: (lambda t: t if "1 failed" in t and "1 running" in t else None)(
        status_text()), 10)
    check(st, "StatusText follows: %r" % st, status_text())


def phase_reload(pid):
    c = cursor()
    n_base = {t: len(events("task-baseline", t)) for t in (TASK_MAIN, TASK_SLOW)}
    write(CONF_DIR + "/taskwatchd.conf", config([TASK_MAIN, TASK_SLOW, TASK_ADDED]))
    r = sh("systemctl", "reload", UNIT, check_rc=False)
    check(r.returncode == 0, "systemctl reload succeeds", r.stderr)
    added = wait_for(lambda: events("task-baseline", TASK_ADDED), 10)
    check(events("task-added", TASK_ADDED) and added,
          "the task added by the reload is watched (task-added, then its baseline)", added)
    check(events("config-reloaded"), "config-reloaded is logged")
    after = {t: len(events("task-baseline", t)) for t in (TASK_MAIN, TASK_SLOW)}
    check(after == n_base and show("MainPID")["MainPID"] == str(pid) and
          len(events("daemon-started")) == 1,
          "the reload kept the other tasks' state: no second baseline, same process",
          "baselines before %s after %s" % (n_base, after))
    notes = [m for _, m in pid1_messages(r"notification message", c)]
    i_rel = next((i for i, m in enumerate(notes) if "RELOADING=1" in m), None)
    check(i_rel is not None and "MONOTONIC_USEC=" in notes[i_rel] and
          any("READY=1" in m for m in notes[i_rel + 1:]),
          "the daemon sent RELOADING=1 with MONOTONIC_USEC=, then READY=1", notes)
    st = wait_for(lambda: (lambda t: t if t.startswith("3 tasks:") else None)(status_text()), 10)
    check(st, "StatusText counts the added task: %r" % st, status_text())

    # An invalid configuration is reported, and the old one stays.
    write(CONF_DIR + "/taskwatchd.conf", config([TASK_MAIN]) + "Bogus=1\n")
    sh("systemctl", "reload", UNIT, check_rc=False)
    bad = wait_for(lambda: events("config-reload-failed"), 10)
    s = show("ActiveState", "MainPID")
    check(bad and "Bogus" in bad[0].get("ERROR_MESSAGE", "") and s["ActiveState"] == "active"
          and s["MainPID"] == str(pid) and status_text().startswith("3 tasks:"),
          "an invalid reload is reported (config-reload-failed) and the old configuration kept",
          "%s %s %s" % (bad, s, status_text()))
    write(CONF_DIR + "/taskwatchd.conf", config([TASK_MAIN, TASK_SLOW, TASK_ADDED]))
    sh("systemctl", "reload", UNIT)


def service_identity(pid):
    """(uid of the process, owner of the state directory, its mode, the user's name)."""
    with open("/proc/%d/status" % pid) as f:
        uid = int(re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1))
    st = os.stat("/var/lib/private/taskwatchd")
    name = sh("getent", "passwd", str(uid), check_rc=False).stdout.split(":")[0]
    return uid, st.st_uid, oct(st.st_mode & 0o777), name


def phase_identity(pid):
    uid, owner, mode, name = service_identity(pid)
    link = os.path.realpath("/var/lib/taskwatchd")
    check(uid >= 61184 and uid == owner and mode == "0o700" and name == "taskwatchd" and
          link == "/var/lib/private/taskwatchd",
          "DynamicUser= runs it as %s (uid %d), owner of StateDirectory= (mode %s)" %
          (name, uid, mode), "uid %d owner %d mode %s name %r link %s" % (uid, owner, mode, name,
                                                                          link))
    # LoadCredential=: the files reach the service, readable by its dynamic user only.
    environ = open("/proc/%d/environ" % pid, "rb").read().split(b"\0")
    creds = [e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"CREDENTIALS_DIRECTORY=")]
    ok = False
    detail = "no $CREDENTIALS_DIRECTORY"
    if creds:
        d = creds[0]
        files = sorted(os.listdir(d))
        st = os.stat(os.path.join(d, "access-key-secret"))
        ok = (files == ["access-key-id", "access-key-secret"] and st.st_uid == uid and
              (st.st_mode & 0o077) == 0 and
              open(os.path.join(d, "access-key-secret")).read() == P["cred_key_secret"])
        detail = "%s: %s, owner %d mode %o" % (d, files, st.st_uid, st.st_mode & 0o777)
    check(ok, "LoadCredential= passes both files in $CREDENTIALS_DIRECTORY, private to the service",
          detail)


def phase_credentials_only():
    """The secret from LoadCredential= authenticates. The daemon reads only the environment
    today (issue 3 adds $CREDENTIALS_DIRECTORY), so a drop-in bridges the two; the key used
    here reaches the service nowhere else."""
    c = cursor()
    write(DROPIN_DIR + "/60-credentials-only.conf",
          "[Service]\nEnvironmentFile=\nExecStart=\nExecStart=/bin/sh -c '"
          "ALIBABA_CLOUD_ACCESS_KEY_ID=$(cat \"$CREDENTIALS_DIRECTORY/access-key-id\") "
          "ALIBABA_CLOUD_ACCESS_KEY_SECRET=$(cat \"$CREDENTIALS_DIRECTORY/access-key-secret\") "
          "exec %s/taskwatchd'\n" % P["sbindir"])
    daemon_reload()
    r = sh("systemctl", "restart", UNIT, check_rc=False)
    started = wait_for(lambda: [e for e in journal(since_cursor=c) if
                                e.get("TASKWATCH_EVENT") == "task-baseline"], 10)
    auth = [e for e in journal(since_cursor=c) if e.get("TASKWATCH_EVENT") == "api-auth-error"]
    ds = [e for e in journal(since_cursor=c) if e.get("TASKWATCH_EVENT") == "daemon-started"]
    check(r.returncode == 0 and started and not auth and ds and
          P["cred_key_id"] in ds[0].get("MESSAGE", ""),
          "the key delivered only through LoadCredential= authenticates with the API",
          "%s %s %s" % (r.stderr, auth, ds))
    os.unlink(DROPIN_DIR + "/60-credentials-only.conf")
    daemon_reload()
    sh("systemctl", "restart", UNIT)
    wait_for(lambda: show("ActiveState")["ActiveState"] == "active", 10)


def phase_environment_only():
    """Without the credentials files the service still starts: an empty default stands in."""
    shutil.rmtree(CONF_DIR + "/credentials")
    r = sh("systemctl", "restart", UNIT, check_rc=False)
    s = show("ActiveState", "MainPID")
    files = {}
    if s["ActiveState"] == "active":
        environ = open("/proc/%s/environ" % s["MainPID"], "rb").read().split(b"\0")
        d = [e.split(b"=", 1)[1].decode() for e in environ if e.startswith(b"CREDENTIALS_DIRECTORY=")]
        if d:
            files = {f: open(os.path.join(d[0], f)).read() for f in os.listdir(d[0])}
    check(r.returncode == 0 and s["ActiveState"] == "active" and
          sorted(files) == ["access-key-id", "access-key-secret"] and
          not "".join(files.values()).strip(),
          "without the LoadCredential= files the service starts, with blank credentials",
          "%s %s %s" % (r.stderr, s, files))


def phase_watchdog():
    write(DROPIN_DIR + "/50-watchdog.conf",
          "[Unit]\nStartLimitIntervalSec=0\n[Service]\nWatchdogSec=2s\nRestartSec=1\n")
    daemon_reload()
    sh("systemctl", "restart", UNIT)
    s = show("MainPID", "NRestarts", "WatchdogUSec")
    pid = int(s["MainPID"])
    check(s["WatchdogUSec"] == "2s" and s["NRestarts"] == "0",
          "restarted with the test's WatchdogSec=2s", s)
    # The daemon pings on time while it runs: 4 s without a kill.
    c = cursor()
    time.sleep(4)
    pings = pid1_messages(r"notification message.*WATCHDOG=1", c)
    check(show("MainPID")["MainPID"] == str(pid) and len(pings) >= 3,
          "a running daemon pings the watchdog (%d WATCHDOG=1 in 4 s)" % len(pings))
    before = service_identity(pid)

    c = cursor()
    os.kill(pid, 19)  # SIGSTOP
    t0 = time.monotonic()
    restarted = wait_for(lambda: (lambda s: s if s["NRestarts"] == "1" and
                                  s["ActiveState"] == "active" and s["MainPID"] not in ("0", str(pid))
                                  else None)(show("NRestarts", "ActiveState", "MainPID")), 20)
    took = time.monotonic() - t0
    timeout = wait_for(lambda: pid1_messages(r"[Ww]atchdog timeout"), 5)
    check(restarted and timeout,
          "SIGSTOP: the watchdog kills the daemon and it is restarted (NRestarts=1, %.1fs)" % took,
          "%s %s" % (show("NRestarts", "ActiveState", "MainPID", "Result"), timeout))
    if not restarted:
        return
    newpid = int(restarted["MainPID"])
    after = service_identity(newpid)
    check(after[0] == after[1] and after[2] == "0o700" and after[3] == "taskwatchd",
          "DynamicUser= and StateDirectory= work across the restart (uid %d, was %d)" %
          (after[0], before[0]), "%s -> %s" % (before, after))
    wait_for(lambda: events("task-baseline", TASK_ADDED) and
             len(events("task-baseline", TASK_MAIN)) >= 2, 10)

    # Each transition once, restarts or not. Needs the persisted state of issue 4.
    seen = {}
    for e in journal("TASKWATCH_EVENT=task-failed", "TASKWATCH_EVENT=instance-failed",
                     "TASKWATCH_EVENT=instance-succeeded"):
        key = (e.get("TASKWATCH_EVENT"), e.get("TASK_ID"), e.get("INSTANCE_ID"))
        seen[key] = seen.get(key, 0) + 1
    twice = {k: v for k, v in seen.items() if v > 1}
    check(not twice, "after the restart no transition is reported twice", twice,
          todo="issue 4: persisted state; today a restart starts with a fresh baseline")

    os.unlink(DROPIN_DIR + "/50-watchdog.conf")
    daemon_reload()


def phase_stop():
    pid = int(show("MainPID")["MainPID"])
    n_stopping = len(events("daemon-stopping"))
    c = cursor()
    t0 = time.monotonic()
    r = sh("systemctl", "stop", UNIT, check_rc=False)
    took = time.monotonic() - t0
    s = show("ActiveState", "Result", "ExecMainStatus")
    stopping = pid1_messages(r"notification message.*STOPPING=1", c)
    ev = wait_for(lambda: events("daemon-stopping")[n_stopping:], 5)
    check(r.returncode == 0 and took < 3 and s["ActiveState"] == "inactive" and
          s["Result"] == "success" and s["ExecMainStatus"] == "0",
          "systemctl stop is prompt (%.2fs) and clean (status 0)" % took, s)
    check(stopping and ev, "the daemon sent STOPPING=1 and logged daemon-stopping",
          "%s %s" % (stopping, ev))
    check(not os.path.exists("/proc/%d" % pid), "the process is gone")


def phase_security():
    r = sh("systemd-analyze", "security", "--no-pager", UNIT, check_rc=False)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    score = float(m.group(1)) if m else None
    diag("systemd-analyze security %s: exposure %s" % (UNIT, score))
    for line in r.stdout.splitlines():
        if line.startswith("✗"):
            diag("  " + re.sub(r"\s{2,}", "  ", line).strip())
    check(score is not None and score <= 1.5,
          "systemd-analyze security rates the unit at %s (at most 1.5)" % score, r.stdout[-2000:])


def main():
    # Every sd_notify message the daemon sends is logged by PID 1 from here on.
    sh("systemd-analyze", "log-level", "debug")
    try:
        phase_install()
        phase_configure()
        phase_bad_config()
        pid = phase_start()
        phase_transitions()
        phase_reload(pid)
        phase_identity(pid)
        phase_credentials_only()
        phase_environment_only()
        phase_watchdog()
        phase_stop()
        phase_security()
    except Exception:
        check(False, "the test ran to its end", traceback.format_exc())
    finally:
        sh("systemd-analyze", "log-level", "info", check_rc=False)
        emit("1..%d" % len(results))
        for name, cmd in (("journal-unit.txt", ["journalctl", "-x", "--no-pager", "-u", UNIT]),
                          ("journal.json", ["journalctl", "--no-pager", "-o", "json"])):
            with open("/opt/out/" + name, "w") as f:
                subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, timeout=60)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
