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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carin.errors import CarinError, SpecError
from carin.intermittent.cm import CMError, validate_plan
from carin.intermittent.device import Device, DeviceError
from carin.intermittent.layers import LayerError, LayerTable, load_layers
from carin.spec._yaml import load_yaml

__all__ = ["TaskSetError", "Task", "TaskSet", "load_taskset"]

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
