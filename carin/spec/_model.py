"""The validated SLO spec: plain frozen records."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

AGGREGATES = ("sum", "max", "min", "mean")
#: Aggregate used for a bare metric name in a multi-DNN spec.
DEFAULT_AGGREGATE = {
    "latency": "max",
    "memory": "sum",
    "energy": "sum",
    "size": "sum",
    "power": "sum",
    "accuracy": "mean",
    "success": "min",
    "throughput": "min",
}


@dataclass(frozen=True, order=True)
class Metric:
    """An app-level metric: an aggregate over the tasks' parts of one profile metric.

    Attributes:
        metric: The profile column, e.g. ``latency_ms``.
        aggregate: ``sum``, ``max``, ``min`` or ``mean`` over the tasks; single-DNN
            specs use ``max`` (the identity for one task).
        task: When set, the metric of that task's part alone (``detect.accuracy``), in
            a multi-DNN spec; ``aggregate`` is then ``max`` (the identity for one part).
    """

    metric: str
    aggregate: str = "max"
    task: str = ""

    def label(self, single: bool) -> str:
        """The name shown to users: ``latency_ms``, ``max(latency_ms)`` or ``detect.latency_ms``."""
        if self.task:
            return f"{self.task}.{self.metric}"
        return self.metric if single else f"{self.aggregate}({self.metric})"


@dataclass(frozen=True)
class Objective:
    """Minimise or maximise an app-level metric.

    ``tolerance`` (lexicographic preference only): values within it of each other
    count as ties when designs are ranked (docs/spec.md, ``preference``).
    """

    target: Metric
    goal: str  # "min" | "max"
    weight: float = 1.0
    tolerance: float | None = None

    @property
    def maximise(self) -> bool:
        """Whether larger values are better."""
        return self.goal == "max"


@dataclass(frozen=True)
class Constraint:
    """A hard limit ``target op value`` with op ``<=`` or ``>=``."""

    target: Metric
    op: str
    value: float

    def describe(self, single: bool = True) -> str:
        """Readable form, e.g. ``latency_ms <= 20``."""
        return f"{self.target.label(single)} {self.op} {self.value:g}"


@dataclass(frozen=True)
class Task:
    """One DNN task of the app: its row filters and its own constraints."""

    name: str
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    constraints: tuple[Constraint, ...] = ()


@dataclass(frozen=True)
class Anticipate:
    """Run-time conditions to precompute designs for."""

    processor_unavailable: tuple[str, ...] = ()
    memory_budget_mb: tuple[float, ...] = ()
    slowdown: tuple[tuple[str, float], ...] = ()
    latency_budget_ms: tuple[float, ...] = ()
    power_mw: tuple[float, ...] = ()
    combinations: bool = True

    def condition_sets(self) -> list[dict]:
        """Every anticipated condition set, singles first, then combinations.

        Each kind contributes "not present" or one of its values; unavailable
        processors contribute every non-empty subset. The empty set (nominal) is
        not included. Order is deterministic.
        """
        unavailable = [()]
        procs = list(self.processor_unavailable)
        for r in range(1, len(procs) + 1):
            unavailable += [tuple(c) for c in itertools.combinations(procs, r)]
        slow = [()]
        for r in range(1, len(self.slowdown) + 1):
            slow += [tuple(c) for c in itertools.combinations(self.slowdown, r)]
        choices = [
            unavailable,
            [None, *self.memory_budget_mb],
            slow,
            [None, *self.latency_budget_ms],
            [None, *self.power_mw],
        ]
        out: list[dict] = []
        for combo in itertools.product(*choices):
            cond: dict = {}
            if combo[0]:
                cond["unavailable"] = list(combo[0])
            if combo[1] is not None:
                cond["memory_budget_mb"] = combo[1]
            if combo[2]:
                cond["slowdown"] = dict(combo[2])
            if combo[3] is not None:
                cond["latency_budget_ms"] = combo[3]
            if combo[4] is not None:
                cond["power_mw"] = combo[4]
            if cond:
                out.append(cond)
        if not self.combinations:
            out = [c for c in out if _kinds(c) == 1]
        out.sort(key=lambda c: (_kinds(c), repr(sorted(c.items()))))
        return out


def _kinds(cond: dict) -> int:
    n = len(cond)
    if "unavailable" in cond:
        n += len(cond["unavailable"]) - 1
    if "slowdown" in cond:
        n += len(cond["slowdown"]) - 1
    return n


@dataclass(frozen=True)
class Spec:
    """A validated SLO spec.

    Attributes:
        name: The app's name.
        path: The YAML file it came from (None when built in code).
        profiles: Path of the profile table.
        where: Equality filters applied to every task, as (column, allowed values).
        tasks: The DNN tasks; a single-DNN spec has one task named ``main``.
        objectives: App-level objectives in priority order.
        constraints: App-level hard limits.
        contention: ``time-share`` or ``none``.
        preference: ``lexicographic`` (default) or ``weighted``.
        anticipate: Conditions to precompute designs for.
    """

    name: str
    profiles: Path
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tasks: tuple[Task, ...] = (Task("main"),)
    contention: str = "time-share"
    preference: str = "lexicographic"
    anticipate: Anticipate = field(default_factory=Anticipate)
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def single(self) -> bool:
        """True for a single-DNN spec."""
        return len(self.tasks) == 1

    def where_is(self, field_path: str) -> str:
        """``file:line`` of a field (e.g. ``objectives[1]``), for error messages."""
        name = str(self.path) if self.path is not None else "<spec>"
        key = field_path
        while key:
            if key in self.lines:
                return f"{name}:{self.lines[key]}"
            key = key.rpartition(".")[0] if "." in key else key.rpartition("[")[0]
        return name
