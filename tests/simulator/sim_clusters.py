# The simulator's cluster model: which tasks DescribeClusterTasks lists, in what order, how paged.
"""A scenario's "clusters" maps a cluster id to its list settings; its tasks are the
scenario's tasks whose "cluster_id" is that id (tasks added at runtime through /_sim/tasks
join it: tasks created over time). Each list request pages a snapshot taken at that moment,
so tasks created or changed between two page requests move between pages as on the real API.

    "clusters": {"c-1": {
        "page_size_max": 50,     # the cap on page_size (page_info says the size used)
        "default_page_size": 10, # when the request has no page_size
        "lag_seconds": 0,        # the list shows each task as it was this long ago (a task
                                 # younger than that is not listed yet); DescribeTaskInfo
                                 # always shows it as it is
        "order": "created_desc", # or "created_asc", "updated_desc" (a changed task jumps to
                                 # the head of the list, which moves the others down a page)
        "time_format": "rfc3339",# updated/created as "2024-01-01T10:00:03+08:00";
                                 # "rfc3339_ms" with milliseconds, "epoch_ms" as integers
        "forbidden": false,      # every list is 403 Forbidden.RAM (a RAM policy refusing it)
        "faults": []             # faults (sim_tasks.FAULTS) served to the next list requests,
                                 # each {"fault": ..., "count": N}, before any reply
    }}

A cluster id that is not in "clusters" is 404 ErrorClusterNotFound. Faults can also be
injected at runtime: POST /_sim/inject {"cluster": "c-1", "fault": {...}, "count": N}."""

import datetime

from sim_tasks import TZ, ScenarioError, validate_fault

ORDERS = {"created_desc", "created_asc", "updated_desc"}
TIME_FORMATS = {"rfc3339", "rfc3339_ms", "epoch_ms"}
SETTINGS = {"page_size_max", "default_page_size", "lag_seconds", "order", "time_format",
            "forbidden", "faults"}


def injection_key(cluster_id):
    """The key injected faults for this cluster are kept under in Sim.injected."""
    return "cluster:" + cluster_id


def validate_cluster(cluster_id, spec):
    if not isinstance(spec, dict):
        raise ScenarioError("cluster %s: not an object" % cluster_id)
    unknown = set(spec) - SETTINGS
    if unknown:
        raise ScenarioError("cluster %s: unknown keys %s" % (cluster_id,
                                                             ", ".join(sorted(unknown))))
    for key in ("page_size_max", "default_page_size"):
        if key in spec and (not isinstance(spec[key], int) or spec[key] < 1):
            raise ScenarioError("cluster %s: %s must be a positive integer" % (cluster_id, key))
    if spec.get("order", "created_desc") not in ORDERS:
        raise ScenarioError("cluster %s: order must be one of %s" % (cluster_id,
                                                                    ", ".join(sorted(ORDERS))))
    if spec.get("time_format", "rfc3339") not in TIME_FORMATS:
        raise ScenarioError("cluster %s: time_format must be one of %s"
                            % (cluster_id, ", ".join(sorted(TIME_FORMATS))))
    if not isinstance(spec.get("lag_seconds", 0), (int, float)) or spec.get("lag_seconds", 0) < 0:
        raise ScenarioError("cluster %s: lag_seconds must be a number >= 0" % cluster_id)
    faults = spec.get("faults", [])
    if not isinstance(faults, list):
        raise ScenarioError("cluster %s: faults must be a list" % cluster_id)
    for f in faults:
        validate_fault(f)


class Cluster:
    def __init__(self, cluster_id, spec):
        self.id = cluster_id
        self.page_size_max = int(spec.get("page_size_max", 50))
        self.default_page_size = min(int(spec.get("default_page_size", 10)), self.page_size_max)
        self.lag = float(spec.get("lag_seconds", 0))
        self.order = spec.get("order", "created_desc")
        self.time_format = spec.get("time_format", "rfc3339")
        self.forbidden = bool(spec.get("forbidden", False))
        self.faults = [dict(f) for f in spec.get("faults", [])]

    def initial_faults(self):
        """(fault, count) pairs for Sim.injected, each fault without its "count"."""
        out = []
        for f in self.faults:
            fault = {k: v for k, v in f.items() if k != "count"}
            out.append((fault, int(f.get("count", 1))))
        return out

    def parse_paging(self, query):
        """(page_number, page_size) from the query's pairs, or raise ValueError with the
        API's message. page_size above the cap is cut to it, as the API does."""
        number, size = 1, self.default_page_size
        for key, value in query:
            if key not in ("page_number", "page_size"):
                continue
            try:
                n = int(value, 10)
            except ValueError:
                raise ValueError("Specified parameter %s is not valid." % key) from None
            if n < 1:
                raise ValueError("Specified parameter %s is not valid." % key)
            if key == "page_number":
                number = n
            else:
                size = min(n, self.page_size_max)
        return number, size

    def _time(self, iso, epoch):
        if iso is None:
            return None
        if self.time_format == "epoch_ms":
            return int(epoch * 1000)
        if self.time_format == "rfc3339_ms":
            return datetime.datetime.fromtimestamp(epoch, TZ).isoformat(timespec="milliseconds")
        return iso

    def listing(self, tasks, now_wall):
        """The views of this cluster's tasks as the list shows them at now_wall, ordered."""
        views = []
        for t in tasks:
            if t.body.get("cluster_id") != self.id:
                continue
            v = t.listed_as_of(now_wall - self.lag)
            if v is not None:
                views.append(v)
        if self.order == "updated_desc":
            views.sort(key=lambda v: (-v["updated_epoch"], v["task_id"]))
        elif self.order == "created_asc":
            views.sort(key=lambda v: (v["created_epoch"], v["task_id"]))
        else:
            views.sort(key=lambda v: (-v["created_epoch"], v["task_id"]))
        return views

    def page(self, tasks, now_wall, page_number, page_size, request_id):
        """One DescribeClusterTasks reply body."""
        views = self.listing(tasks, now_wall)
        start = (page_number - 1) * page_size
        entries = []
        for v in views[start:start + page_size]:
            e = {"task_id": v["task_id"], "task_type": v["task_type"], "state": v["state"],
                 "created": self._time(v["created"], v["created_epoch"]),
                 "updated": self._time(v["updated"], v["updated_epoch"])}
            if "error" in v:
                e["error"] = v["error"]
            entries.append(e)
        return {"tasks": entries,
                "page_info": {"page_number": page_number, "page_size": page_size,
                              "total_count": len(views)},
                "requestId": request_id}
