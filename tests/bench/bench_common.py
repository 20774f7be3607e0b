# What every part of the benchmark shares: paths, the key, the CPUs, the daemon's defaults.
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
ACKSIM = os.path.join(ROOT, "tests", "simulator", "acksim.py")
KEY_ID, KEY_SECRET = "LTAIbench00000000000000", "bench-secret-not-a-real-key"
CLIENT_CPU, SERVER_CPU = "0", "1"
DEFAULT_MIN, DEFAULT_MAX = 5.0, 120.0  # taskwatchd's default intervals


def log(fmt, *args):
    print("bench: " + (fmt % args if args else fmt), file=sys.stderr, flush=True)


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])
