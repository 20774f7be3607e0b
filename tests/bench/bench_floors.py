# The benchmark's floors: what a poll costs without taskwatchd, from the curl CLI down to OpenSSL.
"""Three clients that only fetch the same reply files over one keep-alive connection, with no
signing and no JSON, sequentially (run by bench_runs.Bench.run_floor):

- curl: the curl command line with a --config of one url= line per request (so it also
  parses that list);
- libcurl: floor-libcurl.c, one reused easy handle;
- openssl: floor-openssl.c, a hand-written HTTP/1.1 GET on one TLS connection.

The two C clients are built here, from the sources beside this file, with cc and
pkg-config (nothing is downloaded), into the scratch directory."""

import os
import subprocess

from bench_common import HERE

FLOORS = ("curl", "libcurl", "openssl")
NAMES = {"curl": "curl CLI (floor)", "libcurl": "libcurl, one easy handle (floor)",
         "openssl": "OpenSSL, one connection (floor)"}
SHORT = {"curl": "curl CLI", "libcurl": "libcurl", "openssl": "OpenSSL"}
_SOURCES = {"libcurl": ("floor-libcurl.c", ["libcurl"]),
            "openssl": ("floor-openssl.c", ["libssl", "libcrypto"])}


def build(kind, work):
    """The path of the C floor `kind`, compiled (-O2, as the release daemon) into work/floors/."""
    source, packages = _SOURCES[kind]
    out_dir = os.path.join(work, "floors")
    os.makedirs(out_dir, exist_ok=True)
    binary = os.path.join(out_dir, "floor-" + kind)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", *packages], capture_output=True,
                           text=True, check=True, timeout=30).stdout.split()
    p = subprocess.run(["cc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter",
                        "-o", binary, os.path.join(HERE, source), *flags],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("cannot build %s:\n%s" % (source, p.stderr))
    return binary


def argv(kind, binary, url, ca, id_prefix, n, requests):
    """The command line of a C floor: requests fetches cycling over the first n task ids."""
    return [binary, url, ca, id_prefix, str(n), str(requests)]
