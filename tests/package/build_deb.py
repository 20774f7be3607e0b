#!/usr/bin/env python3
# Builds taskwatchd's .deb from a copy of the source tree, out of the way of its meson build dirs.
"""build_deb.py SOURCE_DIR OUT_DIR [--version VERSION]

Copies SOURCE_DIR (without .git and without any meson build directory in it) into
OUT_DIR/<hash>/src and runs `dpkg-buildpackage -us -uc -b` there with
DEB_BUILD_OPTIONS="nocheck parallel=2": the unit suite, which a plain build runs, is run by
the suites themselves. Prints the path of taskwatchd_<version>_<arch>.deb on stdout.

--version VERSION first writes a changelog entry for VERSION at the top of the copy's
debian/changelog (the system test's upgrade builds 0.1.0+systest1 this way: the same tree,
a higher version). The result is cached under the hash of the tree's contents and the
version, so the package suite and the system suite build each package once; a lock keeps
two builders apart. Exit status 77 (skip) when dpkg-buildpackage is missing."""

import email.utils
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time


def tree_files(source):
    """Every file of the tree, relative, sorted; build directories and .git left out."""
    out = []
    for d, dirs, files in os.walk(source):
        keep = []
        for x in sorted(dirs):
            p = os.path.join(d, x)
            if x in (".git", "__pycache__") or os.path.isdir(os.path.join(p, "meson-private")) \
                    or (d == source and x.startswith("obj-")):
                continue
            keep.append(x)
        dirs[:] = keep
        for f in sorted(files):
            out.append(os.path.relpath(os.path.join(d, f), source))
    return out


def tree_hash(source, files, version):
    h = hashlib.sha256((version or "").encode() + b"\0")
    for rel in files:
        p = os.path.join(source, rel)
        h.update(rel.encode() + b"\0")
        if os.path.islink(p):
            h.update(b"L" + os.readlink(p).encode())
        else:
            h.update(b"%o" % (os.stat(p).st_mode & 0o111))
            with open(p, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()[:16]


def copy_tree(source, files, dest):
    for rel in files:
        s, d = os.path.join(source, rel), os.path.join(dest, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
        else:
            shutil.copy2(s, d)


def add_changelog_entry(src, version):
    """What `dch -v VERSION` would write, without devscripts."""
    path = os.path.join(src, "debian/changelog")
    with open(path) as f:
        old = f.read()
    maint = subprocess.run(["dpkg-parsechangelog", "-l", path, "-S", "Maintainer"],
                           check=True, capture_output=True, text=True).stdout.strip()
    entry = ("taskwatchd (%s) unstable; urgency=medium\n\n"
             "  * Rebuilt from the same tree with a higher version (tests/package/build_deb.py).\n\n"
             " -- %s  %s\n\n" % (version, maint, email.utils.formatdate(time.time())))
    with open(path, "w") as f:
        f.write(entry + old)


def main(argv):
    args = argv[1:]
    version = None
    if "--version" in args:
        i = args.index("--version")
        version = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, out = (os.path.abspath(a) for a in args)
    if not shutil.which("dpkg-buildpackage"):
        print("dpkg-buildpackage is missing (apt-get install dpkg-dev debhelper)", file=sys.stderr)
        return 77

    files = tree_files(source)
    key = tree_hash(source, files, version)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        work = os.path.join(out, key)
        debs = [f for f in os.listdir(work)] if os.path.isdir(work) else []
        debs = [f for f in debs if f.startswith("taskwatchd_") and f.endswith(".deb")]
        if debs:
            print(os.path.join(work, debs[0]))
            return 0
        # Builds of other trees are dead weight; both versions of this tree are kept (the
        # system test's upgrade pair), marked with the hash of the tree alone.
        marker = ".source-" + tree_hash(source, files, None)
        for old in os.listdir(out):
            p = os.path.join(out, old)
            if os.path.isdir(p) and not os.path.exists(os.path.join(p, marker)):
                shutil.rmtree(p, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        open(os.path.join(work, marker), "w").close()
        src = os.path.join(work, "src")
        copy_tree(source, files, src)
        if version:
            add_changelog_entry(src, version)
        env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2")
        t0 = time.monotonic()
        with open(os.path.join(work, "build.log"), "w") as log:
            r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            with open(os.path.join(work, "build.log")) as log:
                sys.stderr.write("".join(log.readlines()[-40:]))
            print("dpkg-buildpackage failed (exit %d); the log is %s/build.log" %
                  (r.returncode, work), file=sys.stderr)
            return 1
        print("built in %.0fs" % (time.monotonic() - t0), file=sys.stderr)
        shutil.rmtree(src, ignore_errors=True)  # big, and done with
        debs = sorted(f for f in os.listdir(work)
                      if f.startswith("taskwatchd_") and f.endswith(".deb"))
        if not debs:
            print("dpkg-buildpackage made no taskwatchd_*.deb", file=sys.stderr)
            return 1
        print(os.path.join(work, debs[0]))
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
