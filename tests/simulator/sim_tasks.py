# The simulator's task model: scenario validation and each task's scripted timeline.
"""A scenario's "tasks" maps a task id to its fields and a "timeline" of steps; a step
holds for "polls" requests, "seconds", or until released ("hold"), and either merges its
fields into the reply or names a fault (FAULTS; served by sim_control).

A step's "generate_instances": {"count": N, "status": S, "id_width": W} sets task_result to
N instances i-000…1 .. i-…N (ids zero-padded to W digits) of status S, built once: a reply
of 100 000 instances (8 MiB) is served without copying the list per request."""

import copy
import datetime
import json
import time

TZ = datetime.timezone(datetime.timedelta(hours=8))

FAULTS = {"throttle", "error", "reset", "stall", "truncated", "short_body", "huge", "deep",
          "nul", "wrong_types", "other_task", "not_found", "html", "expired_signature",
          "forbidden"}
STEP_CONTROL_KEYS = {"polls", "seconds", "hold", "fault", "reply_extra", "generate_instances"}
TERMINAL = {"success", "fail", "failed", "canceled", "cancelled", "timeout"}


def iso8601(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), TZ).isoformat(timespec="seconds")


def stage_time(epoch):
    return datetime.datetime.fromtimestamp(int(epoch), TZ).strftime("%Y-%m-%d %H:%M:%S")


class ScenarioError(Exception):
    pass


def validate_fault(fault):
    if not isinstance(fault, dict) or fault.get("fault") not in FAULTS:
        raise ScenarioError("unknown fault %r (known: %s)" % (
            fault.get("fault") if isinstance(fault, dict) else fault, ", ".join(sorted(FAULTS))))


def validate_task(task_id, spec):
    if not isinstance(spec, dict):
        raise ScenarioError("task %s: not an object" % task_id)
    timeline = spec.get("timeline", [])
    if not isinstance(timeline, list):
        raise ScenarioError("task %s: timeline is not a list" % task_id)
    for i, step in enumerate(timeline):
        if not isinstance(step, dict):
            raise ScenarioError("task %s step %d: not an object" % (task_id, i))
        if "fault" in step:
            validate_fault(step)


class Task:
    """One task's timeline. Steps advance lazily, when a request is served."""

    def __init__(self, task_id, spec, now_wall):
        self.id = task_id
        self.spec = spec
        self.timeline = list(spec.get("timeline") or [{}])
        self.idx = -1
        self.step_served = 0
        self.step_started = 0.0
        self.released = False
        self.pending_releases = 0
        body = {
            "task_id": task_id,
            "cluster_id": spec.get("cluster_id", "c-simulated"),
            "task_type": spec.get("task_type", "nodepool_scaleout"),
            "state": "running",
            "created": iso8601(now_wall),
            "updated": iso8601(now_wall),
            "current_stage": "",
            "target": spec.get("target", {"id": "np-simulated", "type": "nodepool"}),
            "task_result": [],
            "stages": [],
            "events": [],
            "parameters": {},
            "outputs": {},
        }
        for key, value in spec.items():
            if key not in ("timeline", "cluster_id", "task_type", "target"):
                body[key] = value
        self.body = body
        self.updated_epoch = now_wall
        self.created_epoch = now_wall
        # What DescribeClusterTasks may show, oldest first: (wall time of the change, the
        # list's view then). The list lags behind by reading an older entry (sim_clusters).
        self.history = [(now_wall, self.list_view())]

    def step(self):
        return self.timeline[self.idx] if self.idx >= 0 else None

    def _expired(self, now):
        st = self.timeline[self.idx]
        if st.get("hold"):
            return self.released and self.step_served >= 1
        if "polls" in st:
            return self.step_served >= int(st["polls"])
        if "seconds" in st:
            return now - self.step_started >= float(st["seconds"])
        return False

    def _enter(self, idx, now):
        self.idx = idx
        self.step_served = 0
        self.step_started = now
        self.released = False
        st = self.timeline[idx]
        if st.get("hold") and self.pending_releases > 0:
            self.pending_releases -= 1
            self.released = True
        if "fault" not in st:
            self._merge(st)

    def _merge(self, st):
        before = json.dumps(self.body, sort_keys=True)
        now_wall = time.time()
        fields = {k: copy.deepcopy(v) for k, v in st.items() if k not in STEP_CONTROL_KEYS}
        gen = st.get("generate_instances")
        if isinstance(gen, dict):
            width = int(gen.get("id_width", 1))
            fields["task_result"] = [{"data": "i-%0*d" % (width, i), "status": gen["status"]}
                                     for i in range(1, int(gen["count"]) + 1)]
        new_stage = fields.get("current_stage")
        if ("stages" not in fields and new_stage is not None
                and new_stage != self.body.get("current_stage")):
            self._close_stage("success", now_wall)
            if new_stage:
                self.body["stages"].append({"state": "running",
                                            "start_time": stage_time(now_wall),
                                            "end_time": "", "message": new_stage,
                                            "outputs": {}})
        self.body.update(fields)
        if "stages" not in fields and self.body.get("state") in TERMINAL:
            self._close_stage("success" if self.body["state"] == "success" else "failed",
                              now_wall)
        if json.dumps(self.body, sort_keys=True) != before:
            # strictly increasing, so that a change is always visible in "updated"
            self.updated_epoch = max(now_wall, self.updated_epoch + 1)
            self.body["updated"] = iso8601(self.updated_epoch)
            self.history.append((now_wall, self.list_view()))
            del self.history[:-64]  # a lag of minutes needs a few entries, not all

    def _close_stage(self, state, now_wall):
        stages = self.body.get("stages")
        if isinstance(stages, list) and stages and isinstance(stages[-1], dict) \
                and stages[-1].get("state") == "running":
            stages[-1]["state"] = state
            stages[-1]["end_time"] = stage_time(now_wall)

    def serve(self, now):
        """Account one served request; returns the step to serve."""
        if self.idx < 0:
            self._enter(0, now)
        while self.idx + 1 < len(self.timeline) and self._expired(now):
            self._enter(self.idx + 1, now)
        self.step_served += 1
        return self.timeline[self.idx]

    def tick(self, now):
        """Advance the steps that time or a release ended, without serving a request: what a
        list call does (it is no poll, so "polls" steps wait for DescribeTaskInfo)."""
        if self.idx < 0:
            self._enter(0, now)
        while self.idx + 1 < len(self.timeline):
            st = self.timeline[self.idx]
            if st.get("hold"):
                done = self.released
            elif "seconds" in st and "polls" not in st:
                done = now - self.step_started >= float(st["seconds"])
            else:
                done = False
            if not done:
                break
            self._enter(self.idx + 1, now)

    def list_view(self):
        """This task as a DescribeClusterTasks entry shows it now (no task_result)."""
        b = self.body
        view = {"task_id": self.id, "task_type": b.get("task_type"), "state": b.get("state"),
                "created": b.get("created"), "updated": b.get("updated"),
                "updated_epoch": self.updated_epoch, "created_epoch": self.created_epoch,
                "cluster_id": b.get("cluster_id")}
        if isinstance(b.get("error"), dict):
            view["error"] = copy.deepcopy(b["error"])
        return view

    def listed_as_of(self, wall):
        """The list's view of this task at wall time wall, or None if it was not listed yet."""
        found = None
        for when, view in self.history:
            if when <= wall:
                found = view
            else:
                break
        return found

    def reply(self, step=None):
        # task_result is replaced whole by a step, never changed in place: shared, not
        # copied, so that a huge instance list costs nothing per request.
        body = {k: v if k == "task_result" else copy.deepcopy(v) for k, v in self.body.items()}
        if step and isinstance(step.get("reply_extra"), dict):
            body.update(copy.deepcopy(step["reply_extra"]))
        return body

    def advance(self):
        st = self.step()
        if st is not None and st.get("hold") and not self.released:
            self.released = True
            return "released"
        self.pending_releases += 1
        return "pending"

    def describe(self):
        st = self.step()
        return {"step": self.idx, "step_served": self.step_served,
                "holding": bool(st and st.get("hold") and not self.released),
                "state": self.body.get("state")}
