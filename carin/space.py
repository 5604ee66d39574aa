"""Spec + profile table -> :class:`DesignSpace`, and the one definition of how a design is scored.

A *design* picks one profiled configuration (a row) per task. Single-DNN specs
have one task, so a design is a row. :meth:`DesignSpace.evaluate` is the
reference semantics every solver must agree with:

* part metrics come from the rows; a ``slowdown`` condition multiplies the
  ``latency_ms`` of parts on the slowed processor;
* with ``contention: time-share`` each part's effective latency is the sum of
  the latencies of all parts on the same processor (they share it in turn);
* app-level metrics aggregate the parts (``sum``, ``max``, ``min``, ``mean``);
* objectives are always evaluated at nominal conditions; constraints, task
  limits and condition budgets at the given conditions;
* a missing (NaN) value of any objective or constrained metric makes the design
  infeasible;
* all of it is exact decimal arithmetic (``carin._exact``): each metric column is
  read as integers in units of its decimal resolution, sums and comparisons are
  exact, and the natural values returned are the floats nearest the exact
  decimals (so equal values are equal and order is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carin._exact import EXACT_LIMIT, column_decimals, factor_units, limit_units, to_units
from carin.errors import ProfileError, SpecError
from carin.profiles import KEY_COLUMNS, ProfileTable, load_profiles
from carin.spec import Constraint, Metric, Objective, Spec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

__all__ = ["DesignSpace", "TaskSpace", "Evaluation", "compile_space", "LATENCY", "MEMORY"]

LATENCY = "latency_ms"
MEMORY = "memory_mb"
POWER_LO = "power_lo_mw"
POWER_HI = "power_hi_mw"


@dataclass(frozen=True, eq=False)
class TaskSpace:
    """The candidate configurations of one task.

    Attributes:
        name: Task name (``main`` for single-DNN specs).
        frame: The task's rows of the profile table after its ``where`` filters,
            with a fresh 0-based index; column ``_row`` holds the row's line in the
            profile file (header = line 1).
        processor: Lower-case processor name per row.
        key_columns: The table's key columns, in canonical order; a row's key text
            (``model/precision/processor/...``, see :meth:`key_text`) breaks ties
            deterministically and names it in displays.
        constraints: The task's own limits (checked on the part's effective value).
        decimals: Decimal places each metric is read with (``carin._exact``); shared
            by all tasks of a space.
    """

    name: str
    frame: pd.DataFrame
    processor: np.ndarray
    key_columns: tuple[str, ...]
    constraints: tuple[Constraint, ...] = ()
    decimals: Mapping[str, int] = field(default_factory=dict)
    _units: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def power_banded(self) -> np.ndarray | None:
        """Which rows carry a power band (``power_lo_mw``/``power_hi_mw``); None: no row does."""
        if POWER_LO not in self.frame.columns and POWER_HI not in self.frame.columns:
            return None
        banded = ~np.isnan(self.values(POWER_LO)) | ~np.isnan(self.values(POWER_HI))
        return banded if banded.any() else None

    def power_rows(self, power: float | None) -> np.ndarray | None:
        """Which rows describe the device at harvested power ``power`` (None: unknown).

        A row with a power band (``power_lo_mw``/``power_hi_mw``) holds a plan's metrics at
        that power; a row without one holds its overall metrics. With no power level the
        overall rows count (all rows if the task has none); at a power level, the banded
        rows whose band holds it (the overall rows if no band does).

        Returns:
            A row mask, or None when the task's rows carry no bands (no restriction).
        """
        banded = self.power_banded
        if banded is None:
            return None
        overall = ~banded
        if power is None:
            return overall if overall.any() else None
        lo, hi = self.values(POWER_LO), self.values(POWER_HI)
        here = banded & ~(lo > power) & ~(hi <= power)
        return here if here.any() or not overall.any() else overall

    def key_text(self, rows: np.ndarray) -> np.ndarray:
        """Key text (``model/precision/processor/...``) of the rows at positions ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        sub = self.frame.iloc[rows]
        out = np.array(sub[self.key_columns[0]].astype(str).tolist(), dtype=object)
        for c in self.key_columns[1:]:
            out = out + "/" + np.array(sub[c].astype(str).tolist(), dtype=object)
        return out.astype(str) if len(out) else np.zeros(0, dtype=str)

    @cached_property
    def keys(self) -> np.ndarray:
        """Key text of every row (built on first use; prefer :meth:`key_text` for a few rows)."""
        return self.key_text(np.arange(len(self.frame)))

    def values(self, metric: str) -> np.ndarray:
        """The metric column as float64 (NaN when the table lacks it)."""
        if metric not in self.frame.columns:
            return np.full(len(self.frame), np.nan)
        return self.frame[metric].to_numpy(dtype=np.float64, na_value=np.nan)

    def places(self, metric: str) -> int:
        """Decimal places ``metric`` is read with (its exact units are ``10**-places``)."""
        d = self.decimals.get(metric)
        if d is None:
            d = column_decimals(self.values(metric))[0]
        return d

    def units(self, metric: str) -> np.ndarray:
        """The metric as exact integers in units of ``10**-places(metric)`` (float64; NaN kept)."""
        hit = self._units.get(metric)
        if hit is None:
            hit = self._units[metric] = to_units(self.values(metric), self.places(metric))
            hit.flags.writeable = False
        return hit


@dataclass(frozen=True)
class Evaluation:
    """Scores of a batch of designs.

    Attributes:
        objectives: ``(n, m)`` nominal values of the spec's objectives, natural units.
        constraints: ``(n, c)`` values of the app-level constrained metrics under the
            conditions.
        feasible: ``(n,)`` whether every constraint, task limit and condition holds
            and no needed value is missing.
    """

    objectives: np.ndarray
    constraints: np.ndarray
    feasible: np.ndarray


@dataclass(frozen=True, eq=False)
class DesignSpace:
    """A compiled design space: one candidate list per task plus the spec's goals.

    Build it with :func:`compile_space`. Solvers read ``tasks``, ``objectives``
    and ``constraints``; :meth:`evaluate` scores any batch of designs.
    """

    spec: Spec
    table: ProfileTable
    tasks: tuple[TaskSpace, ...]
    processors: tuple[str, ...]
    latency_target: Metric
    memory_target: Metric
    metadata: dict = field(default_factory=dict)

    @property
    def objectives(self) -> tuple[Objective, ...]:
        """App-level objectives in priority order."""
        return self.spec.objectives

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """App-level constraints."""
        return self.spec.constraints

    @property
    def single(self) -> bool:
        """True for single-DNN spaces."""
        return len(self.tasks) == 1

    @property
    def time_share(self) -> bool:
        """True when parts on one processor share it in turn (and there are several tasks)."""
        return self.spec.contention == "time-share" and len(self.tasks) > 1

    @property
    def raw_size(self) -> int:
        """Number of designs before any filtering: the product of the task sizes."""
        return prod(len(t) for t in self.tasks)

    @property
    def maximise(self) -> np.ndarray:
        """Per objective, whether larger is better."""
        return np.array([o.maximise for o in self.objectives], dtype=bool)

    def objective_labels(self) -> list[str]:
        """Objective names as users write them."""
        return [o.target.label(self.single) for o in self.objectives]

    def constraint_labels(self) -> list[str]:
        """Constrained metric names as users write them."""
        return [c.target.label(self.single) for c in self.constraints]

    # -- the reference semantics -------------------------------------------------

    def task_index(self, name: str) -> int:
        """Position of the task called ``name``."""
        return next(t for t, task in enumerate(self.tasks) if task.name == name)

    def places(self, metric: str) -> int:
        """Decimal places ``metric`` is read with in this space."""
        return self.tasks[0].places(metric)

    def scale(self, target: Metric, latency_scale: int | None = None) -> int:
        """Units per natural unit of ``target``'s exact app-level value.

        ``latency_scale`` is the scale of (possibly slowed) part latencies; a ``mean``
        is kept as the sum over the tasks, so its scale is multiplied by their number.
        """
        if target.metric == LATENCY and latency_scale is not None:
            base = latency_scale
        else:
            base = 10 ** self.places(target.metric)
        return base * len(self.tasks) if target.aggregate == "mean" and not self.single else base

    def latency_factors(self, condition: dict | None) -> tuple[int, np.ndarray | None]:
        """A condition's slowdown as integers: ``(places, factor per task row)`` per task.

        Returns ``(0, None)`` without a slowdown; otherwise the factors' decimal
        places and, per task, each row's factor times ``10**places``.

        Raises:
            SpecError: The slowed latencies could exceed the exact range.
        """
        slow = (condition or {}).get("slowdown") or {}
        places, factors = factor_units(slow)
        if not factors:
            return 0, None
        one = 10**places
        top = max([one, *factors.values()])
        lat_top = max(
            (float(np.nanmax(np.abs(t.units(LATENCY)), initial=0.0)) for t in self.tasks),
            default=0.0,
        )
        if lat_top * top * len(self.tasks) > EXACT_LIMIT:
            raise SpecError(
                f"{self.spec.where_is('anticipate.slowdown')}: slowdown {slow}: latencies of "
                f"{lat_top / 10 ** self.places(LATENCY):g} ms times the factor overflow the exact "
                f"range ({EXACT_LIMIT:.3g} units); write the factor or the latency column with "
                "fewer decimals"
            )
        per_task = []
        for task in self.tasks:
            f = np.full(len(task), float(one))
            for p, fu in factors.items():
                f[task.processor == p] = float(fu)
            per_task.append(f)
        return places, per_task

    def part_latency_units(
        self, index: np.ndarray, condition: dict | None = None
    ) -> tuple[np.ndarray, int]:
        """Effective latency of each part in exact units, ``(n, k)``, and its scale.

        Slowed down (``latency * factor``, exact), then time-shared (summed per processor).
        """
        places, factors = self.latency_factors(condition)
        lat = np.empty(index.shape, dtype=np.float64)
        for t, task in enumerate(self.tasks):
            v = task.units(LATENCY)[index[:, t]]
            lat[:, t] = v if factors is None else v * factors[t][index[:, t]]
        scale = 10 ** (self.places(LATENCY) + places)
        if not self.time_share:
            return lat, scale
        procs = np.stack([task.processor[index[:, t]] for t, task in enumerate(self.tasks)], axis=1)
        eff = np.zeros_like(lat)
        k = len(self.tasks)
        for t in range(k):
            for u in range(k):
                eff[:, t] += np.where(procs[:, u] == procs[:, t], lat[:, u], 0.0)
        return eff, scale

    def part_latency(self, index: np.ndarray, condition: dict | None = None) -> np.ndarray:
        """Effective latency of each part, ``(n, k)``: slowed down, then time-shared."""
        index = np.asarray(index, dtype=np.int64)
        units, scale = self.part_latency_units(index, condition)
        return units / scale

    def aggregate_units(
        self, target: Metric, index: np.ndarray, latency_units: np.ndarray | None = None
    ) -> np.ndarray:
        """Exact app-level value of ``target`` in units (a mean kept as the sum; NaN if missing).

        ``latency_units`` are the parts' effective latencies in units
        (:meth:`part_latency_units`); nominal ones are computed when omitted.
        """
        if target.task:  # one task's part alone
            t = self.task_index(target.task)
            if target.metric == LATENCY:
                lat = self.part_latency_units(index)[0] if latency_units is None else latency_units
                return lat[:, t].copy()
            return self.tasks[t].units(target.metric)[index[:, t]]
        if target.metric == LATENCY:
            parts = self.part_latency_units(index)[0] if latency_units is None else latency_units
        else:
            parts = np.stack(
                [task.units(target.metric)[index[:, t]] for t, task in enumerate(self.tasks)],
                axis=1,
            )
        if parts.shape[1] == 1:
            return parts[:, 0].copy()
        fn = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.sum}[target.aggregate]
        return fn(parts, axis=1)

    def aggregate(
        self,
        target: Metric,
        index: np.ndarray,
        part_latency: np.ndarray | None = None,
        *,
        condition: dict | None = None,
    ) -> np.ndarray:
        """App-level value of ``target`` for each design (NaN if any part lacks it).

        The value is the float nearest the exact decimal result. Latency is that of
        ``condition`` (nominal by default); ``part_latency`` is accepted for older
        callers and ignored (latency is always recomputed exactly from the rows).
        """
        index = np.asarray(index, dtype=np.int64)
        if index.ndim == 1:
            index = index[:, None]
        lat_units, lat_scale = (
            self.part_latency_units(index, condition) if target.metric == LATENCY else (None, None)
        )
        units = self.aggregate_units(target, index, lat_units)
        return units / self.scale(target, lat_scale)

    def evaluate(self, index: np.ndarray, condition: dict | None = None) -> Evaluation:
        """Score designs.

        Args:
            index: ``(n, k)`` row positions, one column per task (``(n,)`` allowed
                for single-DNN spaces).
            condition: Optional run-time condition set (see docs/plan-format.md).

        Returns:
            The nominal objective values, the constrained values under the
            condition, and feasibility. Values are the floats nearest the exact
            decimal results; feasibility is decided exactly.
        """
        index = np.asarray(index, dtype=np.int64)
        if index.ndim == 1:
            index = index[:, None]
        condition = condition or {}
        uses_lat = self._uses_latency
        nominal, s_nom = self.part_latency_units(index) if uses_lat else (None, 1)
        if condition.get("slowdown") and uses_lat:
            cond_lat, s_cond = self.part_latency_units(index, condition)
        else:
            cond_lat, s_cond = nominal, s_nom
        obj = np.empty((len(index), len(self.objectives)))
        for j, o in enumerate(self.objectives):
            obj[:, j] = self.aggregate_units(o.target, index, nominal) / self.scale(o.target, s_nom)
        feasible = ~np.isnan(obj).any(axis=1)
        cons = np.empty((len(index), len(self.constraints)))
        for j, c in enumerate(self.constraints):
            scale = self.scale(c.target, s_cond)
            u = self.aggregate_units(c.target, index, cond_lat)
            cons[:, j] = u / scale
            feasible &= _holds(u, c.op, limit_units(c.value, scale, c.op))
        for t, task in enumerate(self.tasks):
            for c in task.constraints:
                if c.target.metric == LATENCY:
                    u, scale = cond_lat[:, t], s_cond
                else:
                    u, scale = (
                        task.units(c.target.metric)[index[:, t]],
                        10 ** task.places(c.target.metric),
                    )
                feasible &= _holds(u, c.op, limit_units(c.value, scale, c.op))
        feasible &= self._condition_mask(index, condition, cond_lat, s_cond)
        return Evaluation(objectives=obj, constraints=cons, feasible=feasible)

    @cached_property
    def _uses_latency(self) -> bool:
        return any(m == LATENCY for m in self.used_metrics)

    @cached_property
    def used_metrics(self) -> frozenset[str]:
        """Metrics the objectives, constraints and task limits name."""
        return frozenset(
            [o.target.metric for o in self.objectives]
            + [c.target.metric for c in self.constraints]
            + [c.target.metric for t in self.tasks for c in t.constraints]
        )

    @property
    def has_overall_power_rows(self) -> bool:
        """Whether some task mixes power-banded rows with overall (unbanded) rows."""
        return any(t.power_banded is not None and not t.power_banded.all() for t in self.tasks)

    def condition_mask(self, index: np.ndarray, condition: dict) -> np.ndarray:
        """Which designs the condition's unavailable processors, budgets and power allow."""
        index = np.asarray(index, dtype=np.int64)
        if index.ndim == 1:
            index = index[:, None]
        return self._condition_mask(index, condition, None, None)

    def _condition_mask(
        self,
        index: np.ndarray,
        condition: dict,
        cond_lat: np.ndarray | None,
        lat_scale: int | None,
    ) -> np.ndarray:
        ok = np.ones(len(index), dtype=bool)
        unavailable = condition.get("unavailable") or ()
        power = condition.get("power_mw")
        for t, task in enumerate(self.tasks):
            if unavailable:
                ok &= ~np.isin(task.processor[index[:, t]], list(unavailable))
            rows = task.power_rows(power)
            if rows is not None:
                ok &= rows[index[:, t]]
        budget = condition.get("memory_budget_mb")
        if budget is not None:
            mem = self.aggregate_units(self.memory_target, index)
            ok &= _holds(mem, "<=", limit_units(budget, self.scale(self.memory_target), "<="))
        budget = condition.get("latency_budget_ms")
        if budget is not None:
            if cond_lat is None:
                cond_lat, lat_scale = self.part_latency_units(index, condition)
            lat = self.aggregate_units(self.latency_target, index, cond_lat)
            scale = self.scale(self.latency_target, lat_scale)
            ok &= _holds(lat, "<=", limit_units(budget, scale, "<="))
        return ok

    def design_keys(self, index: np.ndarray) -> np.ndarray:
        """Key text of each design (task keys joined by `` + ``)."""
        index = np.asarray(index, dtype=np.int64)
        if index.ndim == 1:
            index = index[:, None]
        out = self.tasks[0].key_text(index[:, 0]).astype(object)
        for t in range(1, len(self.tasks)):
            out = out + " + " + self.tasks[t].key_text(index[:, t]).astype(object)
        return out.astype(str) if len(out) else np.zeros(0, dtype=str)


def _holds(values: np.ndarray, op: str, limit: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return values <= limit if op == "<=" else values >= limit


def compile_space(spec: Spec, table: ProfileTable | None = None) -> DesignSpace:
    """Compile a spec over its profile table into a design space.

    Args:
        spec: A validated spec.
        table: The profile table; loaded from ``spec.profiles`` when omitted.

    Returns:
        The design space, one candidate list per task.

    Raises:
        SpecError: A metric or key column the spec names is not in the table, a
            filter matches nothing, or a condition needs a missing metric.
        ProfileError: The profile table is missing or malformed.
    """
    if table is None:
        if not Path(spec.profiles).exists():
            raise ProfileError(
                f"{spec.where_is('profiles')}: profiles: no such profile table "
                f"{spec.profiles}; the path is relative to the spec file"
            )
        table = load_profiles(spec.profiles)
    frame = table.frame
    columns = set(frame.columns)
    metrics = set(table.metric_columns)

    def unknown_metric(field_path: str, metric: str) -> SpecError:
        listed = ", ".join(sorted(metrics)) or "(none)"
        return SpecError(
            f"{spec.where_is(field_path)}: {field_path}: unknown metric '{metric}'; "
            f"the profile table {table.source} has: {listed}"
        )

    for i, o in enumerate(spec.objectives):
        if o.target.metric not in metrics:
            raise unknown_metric(f"objectives[{i}]", o.target.metric)
    for i, c in enumerate(spec.constraints):
        if c.target.metric not in metrics:
            raise unknown_metric(f"constraints[{i}]", c.target.metric)
    for ti, task in enumerate(spec.tasks):
        for i, c in enumerate(task.constraints):
            if c.target.metric not in metrics:
                raise unknown_metric(f"tasks[{ti}].constraints[{i}]", c.target.metric)
    if len(spec.tasks) > 1 and spec.contention == "time-share":
        for i, o in enumerate(spec.objectives):
            if o.target.metric == LATENCY and o.maximise:
                raise SpecError(
                    f"{spec.where_is(f'objectives[{i}]')}: objectives[{i}]: maximising latency "
                    "is not supported with contention: time-share"
                )
        for i, c in enumerate(spec.constraints):
            if c.target.metric == LATENCY and c.op == ">=":
                raise SpecError(
                    f"{spec.where_is(f'constraints[{i}]')}: constraints[{i}]: a lower bound on "
                    "latency is not supported with contention: time-share"
                )
    lat_aggs = {c.target.aggregate for c in spec.constraints if c.target.metric == LATENCY}
    if len(lat_aggs) > 1:
        raise SpecError(
            f"{spec.where_is('constraints')}: constraints: latency limits must all use one "
            f"aggregate (got {', '.join(sorted(lat_aggs))}), so the runtime can re-check them"
        )
    single = len(spec.tasks) == 1
    latency_target = Metric(LATENCY, lat_aggs.pop() if lat_aggs else "max")
    memory_target = Metric(MEMORY, "max" if single else "sum")
    ant = spec.anticipate
    if ant.memory_budget_mb and MEMORY not in metrics:
        raise unknown_metric("anticipate.memory_budget_mb", MEMORY)
    if (ant.slowdown or ant.latency_budget_ms) and LATENCY not in metrics:
        raise unknown_metric("anticipate.slowdown", LATENCY)
    if ant.power_mw and POWER_LO not in metrics and POWER_HI not in metrics:
        raise SpecError(
            f"{spec.where_is('anticipate.power_mw')}: anticipate.power_mw: the profile table has "
            f"no {POWER_LO}/{POWER_HI} columns to tell which designs suit which power level"
        )

    used = {LATENCY, MEMORY} | {o.target.metric for o in spec.objectives}
    used |= {c.target.metric for c in spec.constraints}
    used |= {c.target.metric for t in spec.tasks for c in t.constraints}
    decimals = _metric_decimals(spec, table, used)
    base = _apply_where(spec, frame, spec.where, "where", columns)
    keys = [c for c in KEY_COLUMNS if c in columns]
    tasks = []
    for ti, task in enumerate(spec.tasks):
        sub = _apply_where(spec, base, task.where, f"tasks[{ti}].where", columns)
        if sub.empty:
            what = "the spec's filters" if single else f"task '{task.name}'"
            raise SpecError(
                f"{spec.where_is(f'tasks[{ti}]' if not single else 'where')}: no profiled "
                f"configuration matches {what}; check the values against the table {table.source}"
            )
        sub = sub.reset_index(drop=False).rename(columns={"index": "_row"})
        sub["_row"] = sub["_row"].to_numpy() + 2
        # processor names lower-cased once per distinct value, not per row
        codes, names = pd.factorize(sub["processor"])
        proc = np.array([str(v).lower() for v in names], dtype=str)[codes]
        tasks.append(
            TaskSpace(
                name=task.name,
                frame=sub,
                processor=proc,
                key_columns=tuple(keys),
                constraints=task.constraints,
                decimals=decimals,
            )
        )
    processors = tuple(sorted({p for t in tasks for p in np.unique(t.processor).tolist()}))
    return DesignSpace(
        spec=spec,
        table=table,
        tasks=tuple(tasks),
        processors=processors,
        latency_target=latency_target,
        memory_target=memory_target,
    )


def _metric_decimals(spec: Spec, table: ProfileTable, used: set[str]) -> dict[str, int]:
    """Decimal places of every metric column, checked to keep exact sums in range.

    A column written with up to ``places`` decimals is read exactly at that many. A
    column of computed floats (more than ``MAX_DECIMALS`` places) is rounded to the
    finest resolution at which its sums over the tasks still fit; a column of exact
    decimals that does not fit is refused.
    """
    k = max(1, len(spec.tasks))
    out: dict[str, int] = {}
    for name in table.metric_columns:
        places, exact = table.decimals(name)
        col = table.frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        top = float(np.nanmax(np.abs(col), initial=0.0)) if len(col) else 0.0
        while top * 10.0**places * k > EXACT_LIMIT and places > 0 and not exact:
            places -= 1
        if top * 10.0**places * k > EXACT_LIMIT and name in used:
            raise ProfileError(
                f"{table.source}: column {name!r}: values up to {top:g} written with {places} "
                f"decimals do not fit exact arithmetic over {k} task(s) (at most "
                f"{EXACT_LIMIT:.3g} units of 10^-{places}); round the column to fewer decimals"
            )
        out[name] = places
    return out


def where_mask(frame: pd.DataFrame, column: str, values: Sequence[str]) -> np.ndarray:
    """Rows whose ``column`` is one of ``values`` as text; ignoring case if none is exact."""
    col = frame[column].astype(str)
    hit = col.isin(values).to_numpy()
    if not hit.any():
        hit = col.str.lower().isin({v.lower() for v in values}).to_numpy()
    return hit


def where_rows(
    frame: pd.DataFrame,
    where: Iterable[tuple[str, Sequence[str]]],
    check: Callable[[str], object],
    no_match: Callable[[str, Sequence[str], str], Exception],
) -> pd.DataFrame:
    """The rows every ``(column, values)`` filter keeps, as a spec's ``where`` does.

    Args:
        frame: The rows to filter.
        where: The filters, in order.
        check: Called with each filter's column first; raises for one that may not filter.
        no_match: Builds the error raised for a filter that keeps no row, from its column,
            its values and a sample of up to 12 values the column has.
    """
    mask = np.ones(len(frame), dtype=bool)
    for column, values in where:
        check(column)
        hit = where_mask(frame, column, values)
        if not hit.any():
            sample = ", ".join(sorted(frame[column].astype(str).unique().tolist())[:12])
            raise no_match(column, values, sample)
        mask &= hit
    return frame[mask]


def _apply_where(
    spec: Spec, frame: pd.DataFrame, where: Sequence, field_path: str, columns: set[str]
) -> pd.DataFrame:
    def check(column: str) -> None:
        if column not in columns or column not in KEY_COLUMNS:
            present = ", ".join(c for c in KEY_COLUMNS if c in columns)
            raise SpecError(
                f"{spec.where_is(f'{field_path}.{column}')}: {field_path}.{column}: unknown key "
                f"column '{column}'; filters may use: {present}"
            )

    def no_match(column: str, values: Sequence[str], sample: str) -> SpecError:
        return SpecError(
            f"{spec.where_is(f'{field_path}.{column}')}: {field_path}.{column}: no row has "
            f"{column} in {list(values)}; values include: {sample}"
        )

    return where_rows(frame, where, check, no_match)


def load_space(spec_path: str | Path) -> DesignSpace:
    """Load a spec file and compile its design space (convenience)."""
    from carin.spec import load_spec

    return compile_space(load_spec(spec_path))


def indistinguishable_rows(
    space: DesignSpace, designs: np.ndarray | None = None, *, limit: int = 3
) -> list[str]:
    """Rows that no key column (nor power band) tells apart, as warning texts.

    Two rows of a task with the same key values (``model``, ``precision``, ...; for
    intermittent rows also the same ``power_lo_mw``/``power_hi_mw`` band) become
    designs that tables, plots and the plan show under the same name: usually two
    measurements of one configuration appended to one table, or a key column left out.

    Args:
        space: A compiled design space.
        designs: ``(n, tasks)`` row positions of the designs a result shows: only rows
            alike to one of those are reported (a cheap check on any table size; the
            candidates are first cut to the designs' models). None: every row.
        limit: At most this many groups named per task; the rest are counted.

    Returns:
        One text per task that has such rows, naming the profile table, the rows' lines
        in it and their key values.
    """
    out = []
    single = len(space.tasks) == 1
    for k, t in enumerate(space.tasks):
        f = t.frame
        cols = list(t.key_columns) + [c for c in (POWER_LO, POWER_HI) if c in f.columns]
        shown = None
        if designs is not None:
            shown = set(np.unique(np.asarray(designs)[:, k]).tolist())
            models = f[cols[0]].iloc[sorted(shown)].tolist()
            f = f[f[cols[0]].isin(models).to_numpy()]
        dup = f.duplicated(subset=cols, keep=False).to_numpy()
        if not dup.any():
            continue
        sub = f.loc[dup, cols].astype(str).agg("/".join, axis=1)
        groups: dict[str, list[int]] = {}
        members: dict[str, list[int]] = {}
        for key, row, pos in zip(
            sub.tolist(), f.loc[dup, "_row"].tolist(), f.index[dup].tolist(), strict=True
        ):
            groups.setdefault(key, []).append(int(row))
            members.setdefault(key, []).append(int(pos))
        if shown is not None:
            groups = {g: r for g, r in groups.items() if shown.intersection(members[g])}
        if not groups:
            continue
        named = [
            f"lines {', '.join(map(str, rows))} ({key})"
            for key, rows in list(groups.items())[:limit]
        ]
        more = len(groups) - len(named)
        task = "" if single else f"task '{t.name}': "
        out.append(
            f"{space.table.source}: {task}{'; '.join(named)}"
            + (f"; and {more} more group(s)" if more > 0 else "")
            + f" have the same {'/'.join(cols)}, so they become designs no table, plot "
            "or plan can tell apart; give them a key column that differs (runtime, "
            "threads, variant) or keep one row per configuration"
        )
    return out
