#!/usr/bin/env python3
# Host side of the system test: builds the .deb, starts the simulators, boots a container with systemd as PID 1.
"""run-system-test.py BUILD_DIR SOURCE_DIR

1. the Debian 12 rootfs tarball from make-rootfs.sh (cached; built on first use),
2. the package, twice, with tests/package/build_deb.py (cached in BUILD_DIR/package, which
   the package suite shares): taskwatchd_<version>_<arch>.deb from the tree, and
   taskwatchd_<version>+systest1_<arch>.deb from the same tree with a changelog entry of
   that higher version written by build_deb.py --version, for the upgrade,
3. two HTTPS simulators (tests/simulator/acksim.py) on the host's loopback, which the
   container shares: one for the main unit and instance "hangzhou", one for instance
   "beijing", each knowing its own access keys,
4. `systemd-nspawn --boot --volatile=overlay` in a cgroup of its own, with in-container.py
   run by run-tests.service once the system is up; its TAP output is the test's.

Everything is removed afterwards, whatever happens: the container, its cgroups, the
simulators and the scratch directory (kept with TASKWATCHD_TEST_KEEP=1). Exit status 77
(skip) when not root or systemd-nspawn is missing. TASKWATCHD_TEST_CACHE names the rootfs
cache (default /var/cache/taskwatchd-test)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
CONTAINER_TIMEOUT = 540  # seconds; meson's own timeout for the test is 900 (with the builds)
KEY_ID = "LTAIsystemtest"
KEY_SECRET = "system-test-secret-do-not-log"
# A second key, known to the simulator, that only reaches the daemon through LoadCredential=.
CRED_KEY_ID = "LTAIcredentialtest"
CRED_KEY_SECRET = "credential-test-secret-do-not-log"
# Each instance's own key, which only its simulator knows, delivered only by LoadCredential=
# from /etc/taskwatchd/NAME/credentials/.
HZ_KEY_ID, HZ_KEY_SECRET = "LTAIhangzhoutest", "hangzhou-test-secret-do-not-log"
BJ_KEY_ID, BJ_KEY_SECRET = "LTAIbeijingtest", "beijing-test-secret-do-not-log"
UPGRADE_SUFFIX = "+systest1"

# The simulator's timelines. "hold" steps wait for the in-container test to release them
# (POST /_sim/advance), so every transition happens when the test expects it.
SCENARIO = {
    "credentials": [
        {"access_key_id": KEY_ID, "access_key_secret": KEY_SECRET},
        {"access_key_id": CRED_KEY_ID, "access_key_secret": CRED_KEY_SECRET},
        {"access_key_id": HZ_KEY_ID, "access_key_secret": HZ_KEY_SECRET},
    ],
    "tasks": {
        "T-systest-main": {
            "cluster_id": "c-systest",
            "task_type": "nodepool_scaleout",
            "timeline": [
                {"state": "running", "current_stage": "CreateInstances",
                 "task_result": [{"data": "i-sys1", "status": "initial"},
                                 {"data": "i-sys2", "status": "initial"}], "hold": True},
                {"current_stage": "JoinNodes",
                 "task_result": [{"data": "i-sys1", "status": "success"},
                                 {"data": "i-sys2", "status": "initial"}], "hold": True},
                {"state": "failed", "current_stage": "JoinNodes",
                 "error": {"code": "NodeJoinFailed", "message": "node i-sys2 did not join"},
                 "task_result": [{"data": "i-sys1", "status": "success"},
                                 {"data": "i-sys2", "status": "failed"}]},
            ],
        },
        "T-systest-slow": {
            "cluster_id": "c-systest",
            "task_type": "cluster_upgrade",
            "timeline": [{"state": "running", "current_stage": "Upgrade"}],
        },
        # Added with `taskwatch add`; its first step is released while the daemon is frozen
        # and killed by the watchdog, so only the restored daemon can report it.
        "T-systest-persist": {
            "cluster_id": "c-systest",
            "task_type": "nodepool_scaleout",
            "timeline": [
                {"state": "running", "current_stage": "CreateInstances",
                 "task_result": [{"data": "i-per1", "status": "initial"}], "hold": True},
                {"current_stage": "JoinNodes",
                 "task_result": [{"data": "i-per1", "status": "success"}], "hold": True},
                {"state": "success", "current_stage": "Done",
                 "task_result": [{"data": "i-per1", "status": "success"}]},
            ],
        },
        "T-systest-added": {
            "cluster_id": "c-systest",
            "task_type": "nodepool_scaleout",
            "timeline": [{"state": "running", "current_stage": "CreateInstances",
                          "task_result": [{"data": "i-sys9", "status": "initial"}]}],
        },
        # Instance hangzhou's: one fails before the upgrade (its alert must not repeat after
        # it), one is added by a reload.
        "T-hz-fail": {
            "cluster_id": "c-hangzhou",
            "task_type": "nodepool_scaleout",
            "timeline": [
                {"state": "running", "current_stage": "CreateInstances",
                 "task_result": [{"data": "i-hz1", "status": "initial"}], "hold": True},
                {"state": "failed", "current_stage": "CreateInstances",
                 "error": {"code": "QuotaExceeded", "message": "no quota in cn-hangzhou"},
                 "task_result": [{"data": "i-hz1", "status": "failed"}]},
            ],
        },
        "T-hz-added": {
            "cluster_id": "c-hangzhou",
            "task_type": "cluster_upgrade",
            "timeline": [{"state": "running", "current_stage": "Upgrade"}],
        },
    },
}

# Instance beijing's simulator: another account, whose key the first simulator does not know.
SCENARIO_BJ = {
    "credentials": [{"access_key_id": BJ_KEY_ID, "access_key_secret": BJ_KEY_SECRET}],
    "tasks": {
        "T-bj-scale": {
            "cluster_id": "c-beijing",
            "task_type": "nodepool_scaleout",
            "timeline": [
                {"state": "running", "current_stage": "CreateInstances",
                 "task_result": [{"data": "i-bj1", "status": "initial"}], "hold": True},
                {"current_stage": "JoinNodes",
                 "task_result": [{"data": "i-bj1", "status": "success"}]},
            ],
        },
        "T-bj-added": {
            "cluster_id": "c-beijing",
            "task_type": "cluster_upgrade",
            "timeline": [{"state": "running", "current_stage": "Upgrade"}],
        },
        # Added and removed again with taskwatch --instance beijing.
        "T-bj-extra": {
            "cluster_id": "c-beijing",
            "task_type": "cluster_upgrade",
            "timeline": [{"state": "running", "current_stage": "Upgrade"}],
        },
    },
}


def log(msg):
    print("# " + msg, flush=True)


def skip(msg):
    print("1..0 # SKIP " + msg, flush=True)
    sys.exit(SKIP)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


class Cgroup:
    """A cgroup of our own in each hierarchy nspawn uses (v1 "systemd" + v2, or pure v2)."""

    def __init__(self, name):
        base = "/sys/fs/cgroup"
        if os.path.isdir(base + "/unified"):
            roots = [base + "/systemd", base + "/unified"]
        elif os.path.exists(base + "/cgroup.controllers"):
            roots = [base]
        else:
            roots = [base + "/systemd"]
        self.paths = [os.path.join(r, name) for r in roots if os.path.isdir(r)]
        for p in self.paths:
            os.makedirs(p, exist_ok=True)

    def join(self):
        """preexec_fn: the child moves itself in before it execs nspawn."""
        for p in self.paths:
            with open(os.path.join(p, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def _pids(self):
        pids = set()
        for p in self.paths:
            for d, _, files in os.walk(p):
                if "cgroup.procs" in files:
                    try:
                        with open(os.path.join(d, "cgroup.procs")) as f:
                            pids.update(int(x) for x in f.read().split())
                    except OSError:
                        pass
        return pids

    def destroy(self):
        # Whatever nspawn left behind when it was killed lives in here, and only that.
        for _ in range(50):
            pids = self._pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        for p in self.paths:
            for d, _, _ in sorted(os.walk(p), key=lambda t: -len(t[0])):
                for _ in range(20):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.1)


def wait_file(path, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def build_deb(source, build, version=None):
    """The path of the .deb build_deb.py built (or had cached), or None after saying why."""
    cmd = [sys.executable, os.path.join(source, "tests/package/build_deb.py"), source,
           os.path.join(build, "package")]
    if version:
        cmd += ["--version", version]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        sys.stdout.write("".join("# " + l + "\n" for l in r.stderr.splitlines()[-30:]))
        return None
    deb = r.stdout.strip().splitlines()[-1]
    log("%s in %.1fs" % (os.path.basename(deb), time.monotonic() - t0))
    return deb


def deb_files(deb):
    """The regular files and symlinks the package installs, as absolute paths."""
    out = subprocess.run(["dpkg-deb", "-c", deb], check=True, capture_output=True,
                         text=True).stdout
    files = []
    for line in out.splitlines():
        mode, path = line.split()[0], line.split(None, 5)[5].split(" -> ")[0]
        if not mode.startswith("d"):
            files.append(path.lstrip("."))
    return sorted(files)


def start_simulator(source, scenario, simdir, logfile):
    """(process, ready.json) of a simulator serving scenario; (process, None) if it failed."""
    os.makedirs(simdir, exist_ok=True)
    with open(os.path.join(simdir, "scenario.json"), "w") as f:
        json.dump(scenario, f, indent=1)
    proc = subprocess.Popen([sys.executable, os.path.join(source, "tests/simulator/acksim.py"),
                             "--scenario", os.path.join(simdir, "scenario.json"),
                             "--dir", simdir, "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=open(logfile, "w"))
    if not wait_file(os.path.join(simdir, "ready.json"), 60, proc):
        return proc, None
    with open(os.path.join(simdir, "ready.json")) as f:
        return proc, json.load(f)


def main(argv):
    if len(argv) != 3:
        print("usage: run-system-test.py BUILD_DIR SOURCE_DIR", file=sys.stderr)
        return 2
    build, source = os.path.abspath(argv[1]), os.path.abspath(argv[2])

    if os.geteuid() != 0:
        skip("the system test boots a container: run it as root")
    for tool in ("systemd-nspawn", "tar", "zstd", "dpkg-buildpackage", "dh"):
        if not shutil.which(tool):
            skip("%s is missing (tests/install-deps.sh installs it)" % tool)

    r = subprocess.run([os.path.join(HERE, "make-rootfs.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        if "not installed" in r.stderr:
            skip("cannot build the container rootfs: " + r.stderr.strip().splitlines()[-1])
        print("Bail out! make-rootfs.sh failed", flush=True)
        return 1
    tarball = r.stdout.strip().splitlines()[-1]

    tag = uuid.uuid4().hex[:10]
    keep = os.environ.get("TASKWATCHD_TEST_KEEP") == "1"
    work = tempfile.mkdtemp(prefix="taskwatchd-system.", dir="/var/tmp")
    cgroup = None
    sims = []
    nspawn = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        root, test, out = (os.path.join(work, d) for d in ("root", "test", "out"))
        for d in (root, test, out):
            os.makedirs(d)

        version = subprocess.run(["dpkg-parsechangelog", "-l",
                                  os.path.join(source, "debian/changelog"), "-S", "Version"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        # Each is copied at once: a build of a changed tree removes the builds of the old one.
        debs = []
        for v in (None, version + UPGRADE_SUFFIX):
            deb = build_deb(source, build, v)
            if deb is None:
                print("Bail out! the .deb did not build", flush=True)
                return 1
            shutil.copy(deb, test)
            debs.append(os.path.join(test, os.path.basename(deb)))

        t0 = time.monotonic()
        run(["tar", "--zstd", "-C", root, "--numeric-owner", "-xf", tarball])
        log("rootfs unpacked in %.1fs from %s" % (time.monotonic() - t0, tarball))

        readies = []
        for name, scenario in (("sim", SCENARIO), ("sim-bj", SCENARIO_BJ)):
            sim, ready = start_simulator(source, scenario, os.path.join(work, name),
                                         os.path.join(work, name + ".log"))
            sims.append(sim)
            if ready is None:
                print("Bail out! the simulator %s did not start" % name, flush=True)
                sys.stdout.write(open(os.path.join(work, name + ".log")).read())
                return 1
            readies.append(ready)
        ready, ready_bj = readies

        shutil.copy(os.path.join(HERE, "in-container.py"), test)
        shutil.copy(ready["ca"], os.path.join(test, "ca.pem"))
        shutil.copy(ready_bj["ca"], os.path.join(test, "ca-bj.pem"))
        params = {
            "port": ready["port"],
            "bj_port": ready_bj["port"],
            "key_id": KEY_ID, "key_secret": KEY_SECRET,
            "cred_key_id": CRED_KEY_ID, "cred_key_secret": CRED_KEY_SECRET,
            "hz_key_id": HZ_KEY_ID, "hz_key_secret": HZ_KEY_SECRET,
            "bj_key_id": BJ_KEY_ID, "bj_key_secret": BJ_KEY_SECRET,
            "deb": os.path.basename(debs[0]),
            "upgrade_deb": os.path.basename(debs[1]),
            "version": version,
            "upgrade_version": version + UPGRADE_SUFFIX,
            "installed": deb_files(debs[0]),
            "sbindir": "/usr/sbin",
            "bindir": "/usr/bin",
        }
        with open(os.path.join(test, "params.json"), "w") as f:
            json.dump(params, f, indent=1)
        with open(os.path.join(test, "run-tests.service"), "w") as f:
            f.write("[Unit]\n"
                    "Description=taskwatchd system test\n"
                    "After=multi-user.target\n"
                    "SuccessAction=exit-force\n"
                    "FailureAction=exit-force\n"
                    "[Service]\n"
                    "Type=oneshot\n"
                    "ExecStart=/usr/bin/python3 -u /opt/test/in-container.py\n"
                    "StandardOutput=journal+console\n"
                    "StandardError=journal+console\n"
                    "TimeoutStartSec=%d\n" % (CONTAINER_TIMEOUT - 30))

        cgroup = Cgroup("taskwatchd-test-" + tag)
        cmd = ["systemd-nspawn", "-q", "-D", root, "-M", "twtest-" + tag,
               "--register=no", "--keep-unit", "--volatile=overlay", "--console=read-only",
               "--bind-ro=%s:/opt/test" % test,
               "--bind=%s:/opt/out" % out,
               "--bind-ro=%s:/etc/systemd/system/run-tests.service" %
               os.path.join(test, "run-tests.service"),
               "--boot", "--", "systemd.wants=run-tests.service", "systemd.show_status=0"]
        log("booting: " + " ".join(cmd))
        t0 = time.monotonic()
        nspawn = subprocess.Popen(cmd, preexec_fn=cgroup.join, stdin=subprocess.DEVNULL)
        try:
            rc = nspawn.wait(timeout=CONTAINER_TIMEOUT)
        except subprocess.TimeoutExpired:
            log("the container did not finish within %ds: stopping it" % CONTAINER_TIMEOUT)
            rc = None
        log("container exited with %s after %.1fs" % (rc, time.monotonic() - t0))

        tap = os.path.join(out, "results.tap")
        if not os.path.exists(tap):
            print("Bail out! the in-container test left no results (container exit %s)" % rc,
                  flush=True)
            return 1
        with open(tap) as f:
            text = f.read()
        # The console already showed it, interleaved with boot noise: print it clean.
        print(text, end="", flush=True)
        failed = [l for l in text.splitlines()
                  if l.startswith("not ok") and "# TODO" not in l and "# SKIP" not in l]
        complete = any(l.startswith("1..") for l in text.splitlines())
        if rc not in (0, None) and not failed:
            log("container exit status %s" % rc)
        return 0 if complete and not failed and rc == 0 else 1
    except KeyboardInterrupt as e:
        log("interrupted (%s): cleaning up" % e)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if nspawn is not None and nspawn.poll() is None:
            nspawn.terminate()  # nspawn asks the container's systemd to exit
            try:
                nspawn.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nspawn.kill()
                nspawn.wait()
        if cgroup is not None:
            cgroup.destroy()
        for sim in sims:
            sim.terminate()
            try:
                sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait()
        if keep:
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
