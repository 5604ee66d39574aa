"""Task sets: several periodic DNN tasks sharing one intermittently powered device.

A task set is a YAML file::

    name: trio
    device: {capacitance_f: 100e-6}      # optional: field overrides, or a device YAML path
    tasks:
      - name: kws
        model: ../intermittent/kws-tinyconv.yaml   # layer list (.yaml) or .tflite
        period: 6          # s between releases, > 0
        deadline: 6        # s after release, > 0; default: the period
        priority: 1        # fixed-priority rank, 1 = most urgent; default: rate-monotonic
        weight: 1          # value of one successful job (> 0); default 1
        offset: 0          # first release in s (>= 0); default 0
        plan: T            # optional: fix the task's CM plan (one code = uniform)

Paths are relative to the task-set file. A job of a task is released every ``period``
seconds from ``offset`` and succeeds when it completes within ``deadline`` seconds of its
release. A deadline longer than the period is allowed: the next job of the task is then
released while the previous one may still be pending, and both wait in the queue (each
keeps its own deadline). Every mistake (unknown key, zero or negative period or
deadline, unknown layer file, duplicate task name, bad plan) is a :class:`TaskSetError`
naming the file and line.

**FRAM footprint** (:func:`taskset_footprint`). The tasks share the device's FRAM
(``Device.fram_bytes``). Per task: its model's weights; the input sample of each of its
jobs that can be pending at once (``ceil(deadline / period)``, each sampled at its
release); the peak of its plan's feature maps in FRAM
(:func:`~carin.intermittent.cm.fram_footprint`) for each of its jobs that can be in
progress at once -- per task, because a job preempted at a commit point keeps its
committed map in FRAM while other jobs run; one job under a policy that runs a task's
jobs in release order (every named policy: ``fp``, ``edf``, ``ia`` and their pausing and
yielding forms), as many as can be pending under one that may start a later job while an
earlier one of its task waits (``IntermittenceAware(release_order=False)``); and, under
a policy that yields, its task's yield buffer. Shared: one JIT
checkpoint buffer, the largest of the tasks' (a JIT checkpoint belongs to one job, which
restores before any other job runs), and the scheduler record a switch writes
(:data:`SWITCH_RECORD_WORDS` elements). Weights are read-only, so tasks whose models come
from the same file share one copy: the first such task counts them, the others count
none (:func:`weight_owners`). :func:`check_weights_fit` refuses a set whose weights alone
exceed the FRAM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from carin.errors import CarinError, SpecError
from carin.intermittent.cm import (
    CMError,
    FramFootprint,
    compile_plan,
    fram_footprint,
    validate_plan,
)
from carin.intermittent.device import Device, DeviceError
from carin.intermittent.layers import LayerError, LayerTable, load_layers
from carin.intermittent.policies import Policy, make_policy
from carin.spec._yaml import load_yaml

__all__ = [
    "TaskSetError",
    "Task",
    "TaskSet",
    "load_taskset",
    "SWITCH_RECORD_WORDS",
    "TaskSetFootprint",
    "taskset_footprint",
    "weight_owners",
    "pending_jobs",
    "check_weights_fit",
]

#: Elements of the scheduler record a switch between jobs writes to FRAM.
SWITCH_RECORD_WORDS = 4

_TOP_KEYS = ("name", "device", "tasks")
_TASK_KEYS = ("name", "model", "period", "deadline", "priority", "weight", "offset", "plan")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class TaskSetError(CarinError):
    """A task set is malformed; the message names the file, line and field."""


@dataclass(frozen=True, kw_only=True)
class Task:
    """One periodic DNN task.

    Attributes:
        name: Task name (letters, digits, ``_``; unique in its set).
        model: The model's layer table.
        period_s: Seconds between releases.
        deadline_s: Relative deadline in seconds (may exceed the period).
        priority: Fixed-priority rank; 1 is the most urgent.
        weight: Value of one successful job.
        offset_s: Release time of the first job.
        plan: A CM plan fixed by the user, or None (carin chooses).
    """

    name: str
    model: LayerTable
    period_s: float
    deadline_s: float
    priority: int
    weight: float = 1.0
    offset_s: float = 0.0
    plan: str | None = None

    def __post_init__(self) -> None:
        if not self.period_s > 0 or not self.deadline_s > 0:
            raise TaskSetError(
                f"task {self.name!r}: period and deadline must be > 0, got "
                f"{self.period_s} and {self.deadline_s}"
            )
        if not self.weight > 0 or not self.offset_s >= 0:
            raise TaskSetError(f"task {self.name!r}: weight must be > 0 and offset >= 0")


@dataclass(frozen=True, kw_only=True)
class TaskSet:
    """Tasks sharing one device.

    Attributes:
        name: Name of the set (the ``model`` key of its profile rows).
        tasks: The tasks, in file order.
        device: The device they share.
        source: The file it was read from.
    """

    name: str
    tasks: tuple[Task, ...]
    device: Device
    source: str = ""

    def __post_init__(self) -> None:
        if not self.tasks:
            raise TaskSetError(f"task set {self.name!r}: needs at least one task")
        names = [t.name for t in self.tasks]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise TaskSetError(f"task set {self.name!r}: duplicate task name(s) {', '.join(dup)}")

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def names(self) -> list[str]:
        """Task names in order."""
        return [t.name for t in self.tasks]


def _where(path: Path, lines: dict[str, int], key: str, default: int) -> str:
    return f"{path}:{lines.get(key, default)}"


def _known_keys(
    data: dict[str, Any], allowed: tuple[str, ...], path: Path, line: int, what: str
) -> dict[str, int]:
    """The line of each key of ``data``; an unknown key is an error naming its line."""
    lines = dict(getattr(data, "key_lines", {}))
    for key in data:
        if key not in allowed:
            raise TaskSetError(
                f"{_where(path, lines, key, line)}: unknown {what} {key!r}; allowed: "
                + ", ".join(allowed)
            )
    return lines


def _number(v: Any, where: str, field: str, *, positive: bool) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TaskSetError(f"{where}: {field!r} must be a number, got {v!r}")
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        raise TaskSetError(f"{where}: {field!r} must be finite, got {v!r}")
    if positive and not v > 0:
        raise TaskSetError(f"{where}: {field!r} must be > 0, got {v:g}")
    if not positive and v < 0:
        raise TaskSetError(f"{where}: {field!r} must be >= 0, got {v:g}")
    return v


def _device(value: Any, path: Path, line: int) -> Device:
    where = f"{path}:{line}"
    if value is None:
        return Device.msp430fr5994()
    try:
        if isinstance(value, str):
            dev_path = (path.parent / value).resolve()
            if not dev_path.is_file():
                raise TaskSetError(f"{where}: device file {value!r} not found ({dev_path})")
            return Device.from_yaml(dev_path)
        if isinstance(value, dict):
            return Device.from_dict(value, source=str(path), lines=getattr(value, "key_lines", {}))
    except DeviceError as exc:
        msg = str(exc)
        if isinstance(value, dict) and not re.match(rf"{re.escape(str(path))}:\d", msg):
            msg = f"{where}: " + msg.removeprefix(f"{path}: ")
        raise TaskSetError(msg) from None
    raise TaskSetError(f"{where}: 'device' is a mapping of device fields or a device YAML path")


def _task(item: Any, path: Path, line: int) -> dict[str, Any]:
    where0 = f"{path}:{line}"
    if not isinstance(item, dict):
        raise TaskSetError(f"{where0}: each task is a mapping with name, model, period")
    lines = _known_keys(item, _TASK_KEYS, path, line, "task key")
    for key in ("name", "model", "period"):
        if key not in item:
            raise TaskSetError(f"{where0}: task needs {key!r}")
    name = item["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise TaskSetError(
            f"{_where(path, lines, 'name', line)}: task name must start with a letter and "
            f"hold letters, digits or '_', got {name!r}"
        )
    model_ref = item["model"]
    mline = _where(path, lines, "model", line)
    if not isinstance(model_ref, str) or not model_ref.strip():
        raise TaskSetError(f"{mline}: 'model' is the path of a layer list (.yaml) or a .tflite")
    model_path = (path.parent / model_ref).resolve()
    if not model_path.is_file():
        raise TaskSetError(f"{mline}: task {name!r}: layer file {model_ref!r} not found")
    try:
        model = load_layers(model_path)
    except LayerError as exc:
        raise TaskSetError(f"{mline}: task {name!r}: {exc}") from None
    period = _number(item["period"], _where(path, lines, "period", line), "period", positive=True)
    deadline = period
    if "deadline" in item:
        deadline = _number(
            item["deadline"], _where(path, lines, "deadline", line), "deadline", positive=True
        )
    weight = 1.0
    if "weight" in item:
        weight = _number(
            item["weight"], _where(path, lines, "weight", line), "weight", positive=True
        )
    offset = 0.0
    if "offset" in item:
        offset = _number(
            item["offset"], _where(path, lines, "offset", line), "offset", positive=False
        )
    priority = None
    if "priority" in item:
        p = item["priority"]
        if isinstance(p, bool) or not isinstance(p, int) or p < 1:
            raise TaskSetError(
                f"{_where(path, lines, 'priority', line)}: 'priority' must be an integer >= 1 "
                f"(1 = most urgent), got {p!r}"
            )
        priority = p
    plan = None
    if "plan" in item:
        pl = item["plan"]
        try:
            if not isinstance(pl, str):
                raise CMError(f"CM plan must be a string of codes, got {pl!r}")
            plan = validate_plan(pl, len(model))
        except CMError as exc:
            raise TaskSetError(
                f"{_where(path, lines, 'plan', line)}: task {name!r}: {exc}"
            ) from None
    return {
        "name": name,
        "model": model,
        "period_s": period,
        "deadline_s": deadline,
        "priority": priority,
        "weight": weight,
        "offset_s": offset,
        "plan": plan,
    }


def load_taskset(path: str | Path) -> TaskSet:
    """Read a task-set YAML file (see the module docstring for the form).

    Tasks without a ``priority`` are ranked rate-monotonically after those with one:
    shorter period first, ties in file order.

    Raises:
        TaskSetError: Malformed file; the message names the file, line and field.
    """
    path = Path(path)
    try:
        data = load_yaml(path)
    except SpecError as exc:
        raise TaskSetError(str(exc)) from None
    if not isinstance(data, dict):
        raise TaskSetError(f"{path}:1: a task set is a mapping with 'tasks' (and 'name', 'device')")
    lines = _known_keys(data, _TOP_KEYS, path, 1, "key")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise TaskSetError(f"{_where(path, lines, 'name', 1)}: 'name' must be text")
    device = _device(data.get("device"), path, lines.get("device", 1))
    items = data.get("tasks")
    tline = lines.get("tasks", 1)
    if not isinstance(items, list) or not items:
        raise TaskSetError(f"{path}:{tline}: 'tasks' must be a non-empty list of tasks")
    item_lines = list(getattr(items, "item_lines", [tline] * len(items)))
    parsed = []
    seen: dict[str, int] = {}
    for item, line in zip(items, item_lines, strict=True):
        fields = _task(item, path, line)
        if fields["name"] in seen:
            raise TaskSetError(
                f"{path}:{line}: duplicate task name {fields['name']!r} "
                f"(first at line {seen[fields['name']]})"
            )
        seen[fields["name"]] = line
        parsed.append(fields)
    # rate-monotonic ranks after the explicit ones for tasks without a priority
    top = max((f["priority"] for f in parsed if f["priority"] is not None), default=0)
    free = sorted(
        (k for k, f in enumerate(parsed) if f["priority"] is None),
        key=lambda k: (parsed[k]["period_s"], k),
    )
    for rank, k in enumerate(free, start=1):
        parsed[k]["priority"] = top + rank
    tasks = tuple(Task(**f) for f in parsed)
    return TaskSet(name=name.strip(), tasks=tasks, device=device, source=str(path))


@dataclass(frozen=True, kw_only=True)
class TaskSetFootprint:
    """FRAM a task set with one plan per task needs under a policy, in bytes.

    Attributes:
        names: Task names, in order.
        tasks: Each task's terms, for all its jobs that can be pending together
            (``inputs``) or in progress together (``maps``); its ``jit`` is the
            task's own need, the set holds one buffer of the largest (``jit``).
        pending: Per task, how many of its jobs can be pending at once:
            ``ceil(deadline / period)``.
        in_progress: Per task, how many of its jobs can be in progress at once (1 under
            a policy that runs a task's jobs in release order, else ``pending``).
        jit: The shared JIT checkpoint buffer.
        record: The scheduler record.
        weights_of: Per task, the task whose copy of the weights it shares (its
            ``weights`` are then 0), or ``""`` when it counts its own.
    """

    names: tuple[str, ...]
    tasks: tuple[FramFootprint, ...]
    pending: tuple[int, ...]
    in_progress: tuple[int, ...]
    jit: float
    record: float
    weights_of: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        """Sum of the tasks' terms without their JIT needs, plus the shared terms."""
        own = sum(f.total - f.jit for f in self.tasks)
        return own + self.jit + self.record

    @property
    def weights(self) -> float:
        """All tasks' weights."""
        return sum(f.weights for f in self.tasks)

    def terms(self) -> str:
        """Per task and shared terms as text (bytes)."""
        parts = []
        shared = self.weights_of or ("",) * len(self.names)
        for n, f, k, m, o in zip(
            self.names, self.tasks, self.pending, self.in_progress, shared, strict=True
        ):
            jobs = f" ({k} jobs pending, {m} in progress)" if k > 1 else ""
            same = f"; weights shared with {o}" if o else ""
            parts.append(
                f"{n}{jobs}: {f.total - f.jit:,.0f} B ({replace(f, jit=0.0).terms()}{same})"
            )
        if self.jit:
            parts.append(f"JIT buffer {self.jit:,.0f} B")
        parts.append(f"scheduler record {self.record:,.0f} B")
        return "; ".join(parts)


def taskset_footprint(
    taskset: TaskSet, plans: Sequence[str], policy: Policy | str
) -> TaskSetFootprint:
    """The FRAM ``taskset`` needs with ``plans`` (one per task) under ``policy``.

    Per task (module docstring): weights once; the input sample of every job that can be
    pending at once (``ceil(deadline / period)``: each was sampled at its release); the
    peak feature maps of every job that can be in progress at once (one under a policy
    with :attr:`~carin.intermittent.policies.Policy.in_release_order`, else as many as
    can be pending, since a preempted job keeps its committed map); a yield buffer if the
    policy :attr:`~carin.intermittent.policies.Policy.yields`. Shared: one JIT buffer
    (the largest task's) and the scheduler record.

    Args:
        taskset: The task set (its device gives the sizes).
        plans: One CM plan per task, in task order.
        policy: A :class:`~carin.intermittent.policies.Policy` or its name.

    Raises:
        ValueError: Not one plan per task.
        CMError: A plan does not match its model.
    """
    pol = make_policy(policy) if isinstance(policy, str) else policy
    if len(plans) != len(taskset.tasks):
        raise ValueError(f"taskset_footprint: {len(plans)} plans for {len(taskset.tasks)} tasks")
    dev = taskset.device
    owners = weight_owners(taskset)
    fps, pending, progress = [], [], []
    for i, (task, plan) in enumerate(zip(taskset.tasks, plans, strict=True)):
        costs = task.model.costs(dev)
        k = pending_jobs(task.period_s, task.deadline_s)
        atoms = compile_plan(plan, costs, dev)
        f = fram_footprint(atoms, costs, dev, yields=pol.yields, pending=k)
        m = 1 if pol.in_release_order else k
        w = f.weights if owners[i] == i else 0.0
        fps.append(replace(f, weights=w, maps=f.maps * m))
        pending.append(k)
        progress.append(m)
    return TaskSetFootprint(
        names=tuple(taskset.names),
        tasks=tuple(fps),
        pending=tuple(pending),
        in_progress=tuple(progress),
        weights_of=tuple(taskset.names[o] if o != i else "" for i, o in enumerate(owners)),
        jit=max(f.jit for f in fps),
        record=float(SWITCH_RECORD_WORDS * dev.element_bytes),
    )


def pending_jobs(period_s: float | None, deadline_s: float) -> int:
    """How many jobs of a periodic task can be pending at once: ``ceil(deadline /
    period)``, at least 1 (1 when jobs run back to back, ``period_s`` None)."""
    if period_s is None:
        return 1
    return max(1, math.ceil(deadline_s / period_s - 1e-9))


def weight_owners(taskset: TaskSet) -> list[int]:
    """Per task, the index of the task whose copy of the weights it uses.

    A task owns its weights (its own index) unless an earlier task's model was read from
    the same file; models built in Python without a file never share.
    """
    first: dict[str, int] = {}
    owners = []
    for i, task in enumerate(taskset.tasks):
        src = task.model.source
        key = str(Path(src).resolve()) if src else f"#{i}"
        owners.append(first.setdefault(key, i))
    return owners


def check_weights_fit(taskset: TaskSet, *, device_from: str = "") -> None:
    """Refuse a task set whose weights alone exceed the device's FRAM (``fram_bytes``).

    Args:
        taskset: The task set.
        device_from: The device file that replaced the set's device, named in the error.

    Raises:
        TaskSetError: Naming the file, each task's weights and the FRAM size.
    """
    dev = taskset.device
    owners = weight_owners(taskset)
    w = [
        float(t.model.costs(dev).weight_bytes.sum()) if owners[i] == i else 0.0
        for i, t in enumerate(taskset.tasks)
    ]
    if sum(w) <= dev.fram_bytes:
        return
    each = " + ".join(
        f"{t.name} {b:,.0f}"
        for i, (t, b) in enumerate(zip(taskset.tasks, w, strict=True))
        if owners[i] == i
    )
    raise TaskSetError(
        f"{taskset.source or taskset.name}: task set {taskset.name!r} does not fit the "
        f"device's FRAM: the weights alone need {sum(w):,.0f} B ({each}) at "
        f"{dev.element_bytes} B per element, and device field 'fram_bytes'"
        f"{f' (from {device_from})' if device_from else ''} is "
        f"{dev.fram_bytes:,} B ({dev.fram_bytes / 1024:g} KiB); use fewer or smaller "
        "models or a device with more FRAM"
    )
