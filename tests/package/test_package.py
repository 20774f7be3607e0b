#!/usr/bin/env python3
# The package suite: the .deb builds from the tree, has what the issue lists, and lintian passes it.
"""test_package.py BUILD_DIR SOURCE_DIR MESON_VERSION

Builds taskwatchd_<version>_<arch>.deb with build_deb.py into BUILD_DIR/package (cached:
the system suite installs the same file) and checks, as TAP: debian/changelog's version is
meson.build's; every file the package promises is in it, with its mode; the conffile; the
maintainer scripts enable the unit without starting it; `lintian` reports no error and no
warning (the ones left are overridden in debian/taskwatchd.lintian-overrides, each with its
reason). Exit status 77 (skip) when the Debian packaging tools are missing."""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
results = []


def check(ok, name, detail=None):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name), flush=True)
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
    return ok


def deb_members(deb):
    """{path: (mode, type)} of the data archive, paths without the leading '.'."""
    p = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], check=True, capture_output=True)
    with tempfile.TemporaryFile() as f:
        f.write(p.stdout)
        f.seek(0)
        with tarfile.open(fileobj=f) as t:
            return {m.name.lstrip(".").rstrip("/"): (m.mode, m.type) for m in t.getmembers()}


def control_file(deb, name):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-e", deb, d], check=True)
        p = os.path.join(d, name)
        return open(p).read() if os.path.exists(p) else ""


def main(argv):
    build, source, version = argv[1], argv[2], argv[3]
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        if not shutil.which(tool):
            print("1..0 # SKIP %s is missing (tests/install-deps.sh installs it)" % tool)
            return 77

    v = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(source, "debian/changelog"),
                        "-S", "Version"], capture_output=True, text=True).stdout.strip()
    check(v == version, "debian/changelog's version %s is meson.build's %s" % (v, version))

    r = subprocess.run([sys.executable, os.path.join(HERE, "build_deb.py"), source,
                        os.path.join(build, "package")], capture_output=True, text=True)
    deb = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else None
    if not check(deb and os.path.basename(deb).startswith("taskwatchd_%s_" % version),
                 "dpkg-buildpackage -us -uc -b builds taskwatchd_%s_<arch>.deb" % version,
                 r.stderr[-3000:]):
        print("1..%d" % len(results))
        return 1

    m = deb_members(deb)
    want = ["/usr/sbin/taskwatchd", "/usr/bin/taskwatch", "/lib/systemd/system/taskwatchd.service",
            "/lib/systemd/system/taskwatchd@.service", "/usr/lib/systemd/catalog/taskwatchd.catalog",
            "/usr/share/man/man8/taskwatchd.8.gz", "/usr/share/man/man5/taskwatchd.conf.5.gz",
            "/usr/share/man/man1/taskwatch.1.gz", "/usr/share/bash-completion/completions/taskwatch",
            "/etc/taskwatchd/taskwatchd.conf", "/usr/share/doc/taskwatchd/examples/taskwatchd.conf",
            "/usr/share/doc/taskwatchd/copyright"]
    missing = [w for w in want if w not in m]
    check(not missing, "the package has the programs, both units, the catalog, the man pages, "
          "the completion, the conffile and the example", "missing: %s" % missing)
    cred = m.get("/etc/taskwatchd/credentials")
    check(cred and cred[1] == tarfile.DIRTYPE and cred[0] & 0o777 == 0o700,
          "/etc/taskwatchd/credentials/ is a directory of mode 0700", cred)

    conffiles = control_file(deb, "conffiles").split()
    check(conffiles == ["/etc/taskwatchd/taskwatchd.conf"],
          "/etc/taskwatchd/taskwatchd.conf is the one conffile", conffiles)
    postinst = control_file(deb, "postinst")
    check("deb-systemd-helper" in postinst and "enable" in postinst and
          "deb-systemd-invoke start" not in postinst and "_dh_action=start" not in postinst,
          "postinst enables taskwatchd.service and starts nothing on installation", postinst)
    check("deb-systemd-invoke try-restart 'taskwatchd.service'" in postinst and
          "'taskwatchd@*.service'" in postinst,
          "postinst try-restarts taskwatchd.service and the running instances on upgrade",
          postinst)
    # --no-enable: the socket is enabled again on upgrade only where the operator had
    # enabled it ("debian-installed"), never on a first installation.
    check("deb-systemd-helper debian-installed 'taskwatchd-metrics.socket'" in postinst and
          "try-restart 'taskwatchd-metrics.socket'" not in postinst,
          "postinst leaves the metrics socket off until the operator enables it", postinst)
    check("deb-systemd-invoke stop taskwatchd-metrics.socket" in control_file(deb, "prerm"),
          "prerm stops the metrics socket on removal")
    prerm = control_file(deb, "prerm")
    check("deb-systemd-invoke stop taskwatchd.service" in prerm and "taskwatchd@*.service" in prerm,
          "prerm stops taskwatchd.service and the running instances on removal", prerm)
    check("purge" in control_file(deb, "postrm") and
          "/var/lib/private/taskwatchd" in control_file(deb, "postrm"),
          "postrm purges the state directory")

    r = subprocess.run(["lintian", "--fail-on", "error,warning", "--no-tag-display-limit", deb],
                       capture_output=True, text=True, timeout=300)
    tags = [l for l in r.stdout.splitlines() if l[:2] in ("E:", "W:")]
    print("# " + "\n# ".join(r.stdout.splitlines() or ["lintian: no tags"]))
    check(r.returncode == 0 and not tags, "lintian reports no error and no warning",
          r.stdout + r.stderr)

    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
