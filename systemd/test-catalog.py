#!/usr/bin/env python3
# Checks that taskwatchd.catalog has exactly one entry for every MESSAGE_ID in event.c, and that journalctl accepts it.
"""test-catalog.py EVENT_C CATALOG [JOURNALCTL]

TAP output. The catalog is compared with the kinds[] table of src/report/event.c: every
MESSAGE_ID there has exactly one entry, no entry has an id the daemon does not emit, and
each entry has the headers journalctl -x shows. Then journalctl compiles the catalog into a
scratch root (--root=DIR --update-catalog) and must list every id (--list-catalog)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ID_RE = re.compile(r"^[0-9a-f]{32}$")
# [EVENT_TASK_FAILED] = { "task-failed", "3803630912004d618ec9e789fc361476", LOG_ERR },
KIND_RE = re.compile(r'\[(EVENT_[A-Z_]+)\]\s*=\s*\{\s*"([a-z-]+)"\s*,\s*"([0-9a-fA-F]{32})"\s*,\s*(LOG_[A-Z]+)')
REQUIRED_HEADERS = ("Subject", "Defined-By", "Support")
FIELD_RE = re.compile(r"@([A-Z0-9_]+)@")
# The journal fields send_to_journal() in src/report/event.c can set.
KNOWN_FIELDS = {
    "MESSAGE", "TASKWATCH_EVENT", "TASK_ID", "CLUSTER_ID", "TASK_TYPE", "TASK_STATE",
    "TASK_PREVIOUS_STATE", "TASK_STAGE", "TASK_PREVIOUS_STAGE", "INSTANCE_ID",
    "INSTANCE_STATUS", "INSTANCE_PREVIOUS_STATUS", "ERROR_CODE", "ERROR_MESSAGE", "REQUEST_ID",
    "HTTP_STATUS", "INSTANCES_SUCCEEDED", "INSTANCES_FAILED", "INSTANCES_PENDING", "RETRY_IN",
    "CREDENTIALS_SOURCE", "TASKS_AFFECTED", "FAILURE_KIND",
}

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))
    return ok


def parse_kinds(path):
    with open(path) as f:
        text = f.read()
    return [(m.group(1), m.group(2), m.group(3).lower(), m.group(4)) for m in KIND_RE.finditer(text)]


def parse_catalog(path):
    """[(id, language, headers dict, body text, line)] in file order."""
    entries = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("-- "):
                words = line[3:].split()
                cur = {"id": words[0] if words else "", "lang": words[1] if len(words) > 1 else None,
                       "headers": {}, "body": [], "line": n, "in_body": False}
                entries.append(cur)
            elif cur is None:
                if line and not line.startswith("#"):
                    raise ValueError("%s:%d: text before the first entry" % (path, n))
            elif not cur["in_body"]:
                if line == "":
                    cur["in_body"] = True
                elif ":" in line:
                    k, v = line.split(":", 1)
                    cur["headers"][k.strip()] = v.strip()
                else:
                    raise ValueError("%s:%d: expected a header or an empty line" % (path, n))
            else:
                cur["body"].append(line)
    return entries


def main(argv):
    if len(argv) < 3:
        print("usage: test-catalog.py EVENT_C CATALOG [JOURNALCTL]", file=sys.stderr)
        return 2
    event_c, catalog = argv[1], argv[2]
    journalctl = argv[3] if len(argv) > 3 else shutil.which("journalctl")

    kinds = parse_kinds(event_c)
    check(len(kinds) >= 20, "event.c kinds[] parsed", "found %d kinds" % len(kinds))
    ids = [k[2] for k in kinds]
    check(len(set(ids)) == len(ids), "MESSAGE_IDs in event.c are unique")

    try:
        entries = parse_catalog(catalog)
    except (OSError, ValueError) as e:
        check(False, "catalog parses", str(e))
        entries = []
    by_id = {}
    for e in entries:
        by_id.setdefault(e["id"], []).append(e)

    for name, kind, mid, _prio in kinds:
        n = len(by_id.get(mid, []))
        check(n == 1, "%s (%s) has exactly one catalog entry" % (kind, mid), "found %d" % n)

    for e in entries:
        where = "catalog line %d" % e["line"]
        check(ID_RE.match(e["id"]), "%s: id %s is 32 lowercase hex digits" % (where, e["id"]))
        check(e["id"] in ids, "%s: id %s is emitted by the daemon" % (where, e["id"]))
        missing = [h for h in REQUIRED_HEADERS if not e["headers"].get(h)]
        check(not missing, "%s: has %s" % (where, ", ".join(REQUIRED_HEADERS)),
              "missing " + ", ".join(missing))
        check(e["headers"].get("Defined-By") == "taskwatchd", "%s: Defined-By: taskwatchd" % where)
        body = "\n".join(e["body"]).strip()
        check(len(body) > 40, "%s: explains what happened" % where)
        text = e["headers"].get("Subject", "") + "\n" + body
        unknown = sorted(set(FIELD_RE.findall(text)) - KNOWN_FIELDS)
        check(not unknown, "%s: substitutes only fields the daemon sends" % where,
              "unknown: " + ", ".join(unknown))

    if not journalctl:
        results.append((True, "journalctl compiles the catalog # SKIP journalctl not found", ""))
    else:
        with tempfile.TemporaryDirectory(prefix="taskwatchd-catalog.") as root:
            d = os.path.join(root, "usr/lib/systemd/catalog")
            os.makedirs(d)
            shutil.copy(catalog, os.path.join(d, "taskwatchd.catalog"))
            p = subprocess.run([journalctl, "--root", root, "--update-catalog"],
                               capture_output=True, text=True, timeout=60)
            check(p.returncode == 0 and not p.stderr.strip(),
                  "journalctl --update-catalog accepts the catalog",
                  "rc %d: %s" % (p.returncode, p.stderr.strip()))
            p = subprocess.run([journalctl, "--root", root, "--list-catalog"],
                               capture_output=True, text=True, timeout=60)
            listed = {line.split()[0] for line in p.stdout.splitlines() if line.strip()}
            missing = sorted(set(ids) - listed)
            check(p.returncode == 0 and not missing, "journalctl --list-catalog lists every id",
                  "missing: " + " ".join(missing))

    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok and detail:
            print("# " + detail)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
