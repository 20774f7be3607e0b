# The benchmark's figures: the rows of every run, and medians, spreads and their formatting.
import statistics

from bench_common import loadavg


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def spread(v):
    v = [x for x in v if x is not None]
    return (min(v), max(v)) if v else (None, None)


def fmt(x, nd=0):
    if x is None:
        return "–"
    if isinstance(x, float) and nd == 0 and abs(x) < 10:
        return "%.1f" % x
    return ("{:,.%df}" % nd).format(x)


def mib(kib):
    return None if kib is None else kib / 1024.0


def noise(v, nd=0):
    lo, hi = spread(v)
    if lo is None:
        return "–"
    m = med(v)
    rel = 100.0 * (hi - lo) / m if m else 0.0
    return "%s–%s (±%.0f%%)" % (fmt(lo, nd), fmt(hi, nd), rel / 2)


class Results:
    def __init__(self):
        self.rows = []        # interval runs and curl runs
        self.full = []        # full-speed runs
        self.default = []     # interval runs at the default interval (phase "default")
        self.loads = []       # (label, load at start, load at end)
        self.extra = {}

    def add(self, kind, row, label, load0):
        row["load"] = (load0, loadavg())
        self.loads.append((label, load0, row["load"][1]))
        {"full": self.full, "default": self.default}.get(kind, self.rows).append(row)

    def cell(self, client, n, key, rows=None):
        return [r.get(key) for r in (rows if rows is not None else self.rows)
                if r["client"] == client and r["n"] == n]

    def full_cell(self, client, n, key):
        return [r.get(key) for r in self.full
                if r["client"] == client and r["n"] == n and r.get("max_conn", 4) == 4
                and not r.get("extra")]


def per_poll(res, client, n, rows=None):
    """(µs per poll, footnote): the steady figure, else the whole-run one marked '*' (a
    client that never reached a steady state: it could not keep up)."""
    v = med(res.cell(client, n, "us_per_poll", rows))
    if v is not None:
        return v, ""
    v = med(res.cell(client, n, "us_per_poll_total", rows))
    return v, ("*" if v is not None else "")
