# What a run measures besides nginx's log: per-process CPU clock and RSS, wait4, perf, strace.
"""Sampler polls a process's CPU clock and VmRSS/VmHWM in a thread; wait_rusage() and
kill_rusage() give its total CPU from wait4; NotifySocket catches READY=1; perf_record()
and strace_count() are the profile phase's samplers."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_clock_id(pid):
    """The process-wide CPU clock of another process, as clock_getcpuclockid() returns it
    (Linux's CPUCLOCK_SCHED process clock: ns precision, every thread, live and exited)."""
    return ((~pid) << 3) | 2


def proc_cpu(pid):
    """user+sys seconds of a live process (all its threads), or None once it is gone. From
    the process CPU clock (ns); /proc/PID/stat (clock ticks, 10 ms) if that is refused."""
    try:
        return time.clock_gettime(cpu_clock_id(pid))
    except OSError:
        pass
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_mem(pid):
    """(VmRSS, VmHWM) in KiB, or (None, None)."""
    rss = hwm = None
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


def proc_smaps(pid):
    """/proc/PID/smaps_rollup in KiB: what the RSS is made of (heap vs mapped libraries)."""
    out = {}
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                p = line.split()
                if len(p) == 3 and p[2] == "kB":
                    out[p[0].rstrip(":")] = int(p[1])
    except OSError:
        pass
    return out


def wait_rusage(proc, timeout):
    """Waits for proc; returns (exit status, user+sys seconds, ru_maxrss KiB) or None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        time.sleep(0.02)
    return None


def kill_rusage(proc):
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    r = wait_rusage(proc, 10)
    if r is None:
        proc.kill()
        r = wait_rusage(proc, 10)
    return r


class Sampler:
    """Samples CPU and memory of a process every `period` seconds in a thread."""

    def __init__(self, pid, period=0.25):
        self.pid, self.period = pid, period
        self.samples = []  # (wall time, cpu s, rss KiB, hwm KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        cpu = proc_cpu(self.pid)
        rss, hwm = proc_mem(self.pid)
        if cpu is not None and rss is not None:
            s = (time.time(), cpu, rss, hwm)
            self.samples.append(s)
            return s
        return None

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def peak(self):
        """VmHWM (KiB) at the last sample: the peak RSS of the program since its exec (unlike
        ru_maxrss, which keeps the forking Python's RSS across the exec)."""
        return max((s[3] for s in self.samples), default=None)

    def at(self, t):
        """The sample closest to wall time t."""
        return min(self.samples, key=lambda s: abs(s[0] - t)) if self.samples else None


class NotifySocket:
    """An AF_UNIX datagram socket for NOTIFY_SOCKET; records (time, datagram)."""

    def __init__(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if b"READY=1" in data.split(b"\n"):
                return time.time()

    def close(self):
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def perf_record(path):
    def run(pid, seconds):
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "499", "--call-graph",
                        "dwarf,16384", "-p", str(pid), "-o", path, "--", "sleep", str(seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds + 60)
        return path
    return run


def perf_reports(path):
    """(self, inclusive, per-library) top lists from perf report, as text."""
    def report(*extra, limit=40, keep=None):
        p = subprocess.run(["perf", "report", "-i", path, "--stdio", "-g", "none",
                            "--percent-limit", "0.5", *extra],
                           capture_output=True, text=True, timeout=600)
        lines = [re.sub(r"\s+-\s+-\s*$", "", ln.rstrip()) for ln in p.stdout.splitlines()
                 if ln.strip() and not ln.startswith("#")]
        # unresolved addresses inside stripped libraries say nothing
        lines = [ln for ln in lines if not re.search(r"\] 0x[0-9a-f]+$", ln)]
        if keep:
            lines = [ln for ln in lines if re.search(keep, ln)]
        return "\n".join(lines[:limit])
    entry_points = (r"\] (curl_\w+|Curl_\w+|yajl_\w+|HMAC\w*|EVP_\w+|SSL_\w+|BIO_\w+|"
                    r"sd_event_\w+|sd_journal\w*|malloc|free|cfree\S*|__libc_\w+|epoll_wait|"
                    r"timerfd_settime|__x64_sys_\w+)$")
    return {"self": report("--no-children", "--sort", "dso,symbol"),
            "ours": report("--children", "--sort", "dso,symbol", keep=r"taskwatchd\s", limit=45),
            "libs": report("--children", "--sort", "symbol", keep=entry_points, limit=45),
            "dso": report("--no-children", "--sort", "dso")}


def strace_count(path):
    def run(pid, seconds):
        p = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        p.send_signal(signal.SIGINT)
        p.wait(30)
        return path
    return run


def parse_strace(path, polls):
    """[(syscall, calls per poll)] from strace -c output."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 5 and p[0][0].isdigit() and p[-1] != "total":
                    try:
                        calls = int(p[3])
                    except ValueError:
                        continue
                    out.append((p[-1], calls / polls if polls else 0.0))
    except OSError:
        pass
    return sorted(out, key=lambda x: -x[1])
