"""Per-design numbers the switcher precomputes, exact and as floats.

Processor names are compared in lower case (``str.lower``): a plan's part on
``"NPU"`` runs on the processor ``npu``.

Feasibility is decided on exact integers (``docs/plan-format.md``, "Exact
decisions"; :mod:`carin.runtime._exact`). Part latencies are integers in units
of ``10**-d`` (``d`` = the plan's decimals of ``latency_ms``) and factors in units
of ``10**-6``, so under per-processor factors ``F`` (every factor not greater
than 1 counts as 1) the app latency of a design is, in units of ``10**-(d + 6)``:

* when every part has a ``latency_ms``: each part's slowed latency is
  ``L_i * F[proc_i]``; with ``time-share`` contention each part then sees
  ``e_i = sum of the slowed latencies of the parts on its processor``, otherwise
  ``e_i`` is its own slowed latency; the app latency is ``aggregate(e)``
  (``max``, ``min``, ``sum``; a ``mean`` over ``k`` parts is kept as the sum and
  compared with ``k`` times the limit);
* otherwise, when ``metrics[latency.metric]`` is known: that value in units
  (a mean times ``k``) times the largest factor among the design's processors;
* otherwise unknown, which fails every latency limit.

A part with ``max_latency_ms`` (a task's own latency limit) is feasible only
while its ``e_i`` stays within that limit.

App memory is ``metrics[memory.metric]`` when known, else the aggregate of the
parts' ``memory_mb`` when all are known (exact; a mean kept as the sum), else
unknown (fails any memory limit).

The float versions (:meth:`DesignModel.latency`, :meth:`DesignModel.latency_gradient`)
serve the drift monitor's probabilistic model and messages: every sum there is a
plain left-to-right loop (not ``sum()``, which Python 3.12 compensates), so the
Java switcher gets the same bits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import PlanError
from ._exact import (
    EXACT_LIMIT,
    FACTOR_ONE,
    FACTOR_PLACES,
    limit_units,
    places_of,
    value_units,
)
from ._validate import to_float

__all__ = ["DesignModel", "PlanUnits", "factor"]

_AGGREGATE_LABEL = re.compile(r"(max|min|sum|mean)\((.+)\)")


def factor(slowdown: Mapping[str, float] | None, processor: str) -> float:
    """The slowdown factor of ``processor``; values not greater than 1 (and NaN) count as 1."""
    if not slowdown:
        return 1.0
    f = slowdown.get(processor, 1.0)
    return f if f > 1.0 else 1.0


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        return to_float(value)
    return None


def _total(values: Iterable[float]) -> float:
    """Left-to-right sum (``sum()`` compensates rounding on Python >= 3.12; ports do not)."""
    acc = 0.0
    for v in values:
        acc += v
    return acc


def _aggregate(values: list[float], how: str) -> float:
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    total = _total(values)
    return total if how == "sum" else total / len(values)


def _exact_aggregate(values: list, how: str) -> Any:
    """max, min, or the sum (also for ``mean``, which is compared as the sum)."""
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    acc = 0
    for v in values:
        acc += v
    return acc


class PlanUnits:
    """The decimal places a plan's numbers are read with, and the scales of its comparisons.

    ``decimals[column]`` from the plan when it has it, else (for ``latency_ms`` and
    ``memory_mb``) the fewest places, at most 12, at which every value of the plan
    for that column is exactly a decimal, fewer when its largest value would not fit
    :data:`EXACT_LIMIT` units.

    Attributes:
        tasks: Number of tasks ``k``.
        lat_places: Places of ``latency_ms`` (part latencies are units of ``10**-lat_places``).
        lat_mult: ``k`` when the latency aggregate is a multi-task ``mean`` (kept as the sum), else 1.
        mem_places: Places of ``memory_mb``.
        mem_mult: As ``lat_mult``, for the memory aggregate.
        decimals: The plan's ``decimals`` object (``{}`` when it has none).
    """

    __slots__ = ("tasks", "lat_places", "lat_mult", "mem_places", "mem_mult", "decimals")

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self.tasks = k = len(plan["tasks"])
        self.decimals: Mapping[str, int] = plan.get("decimals") or {}
        lat, mem = plan["latency"], plan["memory"]
        self.lat_mult = k if lat["aggregate"] == "mean" and k > 1 else 1
        self.mem_mult = k if mem["aggregate"] == "mean" and k > 1 else 1
        designs = plan["designs"]
        self.lat_places = self._places(designs, "latency_ms", lat["metric"], self.lat_mult)
        self.mem_places = self._places(designs, "memory_mb", mem["metric"], self.mem_mult)

    def _places(self, designs: list, column: str, label: str, mult: int) -> int:
        given = self.decimals.get(column)
        if given is not None:
            return given
        parts = [v for d in designs for p in d["parts"] if (v := _number(p[column])) is not None]
        app = [v for d in designs if (v := _number(d["metrics"].get(label))) is not None]
        places = places_of(parts + (app if mult == 1 else []))
        top = max([abs(v) for v in parts] + [abs(v) * mult for v in app], default=0.0)
        while places > 0 and not top * 10.0**places < EXACT_LIMIT:
            places -= 1
        return places

    @property
    def nominal_scale(self) -> int:
        """Units per ms of a nominal app latency."""
        return 10**self.lat_places * self.lat_mult

    @property
    def slowed_scale(self) -> int:
        """Units per ms of a slowed app latency (part units times factor units)."""
        return 10 ** (self.lat_places + FACTOR_PLACES) * self.lat_mult

    @property
    def part_scale(self) -> int:
        """Units per ms of one part's slowed effective latency."""
        return 10 ** (self.lat_places + FACTOR_PLACES)

    @property
    def memory_scale(self) -> int:
        """Units per MB of an app memory."""
        return 10**self.mem_places * self.mem_mult

    def metric_scale(self, label: str) -> int | None:
        """Units of an app-level metric named by a constraint, or None (compared as floats).

        ``agg(column)`` and a single-DNN ``column`` are read at ``decimals[column]``
        places (a multi-task ``mean`` times ``k``); a column the plan gives no
        decimals for is compared as floats.
        """
        match = _AGGREGATE_LABEL.fullmatch(label)
        column, mult = label, 1
        if match:
            column = match.group(2)
            mult = self.tasks if match.group(1) == "mean" and self.tasks > 1 else 1
        places = self.decimals.get(column)
        return None if places is None else 10**places * mult

    def units(self, value: float, scale: int, where: str, column: str, *, positive: bool) -> int:
        """A plan value in units, checked to be in range (and above 0 when ``positive``)."""
        u = value_units(value, scale)
        places = self.lat_places if column == "latency_ms" else self.mem_places
        if not abs(u) < EXACT_LIMIT:
            raise PlanError(
                f"{where}: {value!r} is beyond the switcher's exact range at {places} decimals "
                f"(decimals.{column}; at most {EXACT_LIMIT:,} units of 10^-{places})"
            )
        if positive and u <= 0:
            raise PlanError(
                f"{where}: {value!r} rounds to 0 at {places} decimals (decimals.{column}); "
                "a latency is positive"
            )
        return u


class DesignModel:
    """The numbers of one design that feasibility checks need.

    Attributes:
        index: Rank (position in the plan's ``designs``).
        id: Design id.
        raw: The design object from the plan.
        processors: Processor of each part (lower case), in part order.
        processor_set: The set of them.
        part_latency: Uncontended latency of each part (ms), or None when any is unknown.
        nominal_latency: ``metrics[latency.metric]`` or None.
        memory: App memory in MB or None when unknown.
        band: ``(lo, hi)`` harvested-power band (``hi`` may be ``inf``) or None.
        lat_units: Part latencies in units of ``10**-lat_places`` (None when any is unknown).
        nominal_units: Nominal app latency in units of :attr:`PlanUnits.nominal_scale`, or None.
        mem_units: App memory in units of :attr:`PlanUnits.memory_scale`, or None.
        part_limits: Per part, ``max_latency_ms`` in units of :attr:`PlanUnits.part_scale`
            (None: no limit); None when no part has one.
    """

    __slots__ = (
        "index",
        "id",
        "raw",
        "processors",
        "processor_set",
        "part_latency",
        "nominal_latency",
        "memory",
        "band",
        "lat_units",
        "nominal_units",
        "mem_units",
        "part_limits",
        "_aggregate",
        "_groups",
    )

    def __init__(
        self,
        *,
        index: int,
        raw: Mapping[str, Any],
        plan: Mapping[str, Any],
        units: PlanUnits | None = None,
    ) -> None:
        units = units or PlanUnits(plan)
        self.index = index
        self.raw = raw
        self.id = raw["id"]
        parts = raw["parts"]
        metrics = raw["metrics"]
        self.processors = tuple(part["processor"].lower() for part in parts)
        self.processor_set = frozenset(self.processors)
        lats = [_number(part["latency_ms"]) for part in parts]
        self.part_latency = None if any(v is None for v in lats) else tuple(lats)
        self.nominal_latency = _number(metrics.get(plan["latency"]["metric"]))
        self._aggregate = plan["latency"]["aggregate"]
        if plan["latency"]["contention"] == "time-share":
            self._groups = tuple(
                tuple(j for j, q in enumerate(self.processors) if q == p) for p in self.processors
            )
        else:
            self._groups = tuple((i,) for i in range(len(self.processors)))
        memory = _number(metrics.get(plan["memory"]["metric"]))
        if memory is None:
            mems = [_number(part["memory_mb"]) for part in parts]
            if all(v is not None for v in mems):
                memory = _aggregate(mems, plan["memory"]["aggregate"])  # type: ignore[arg-type]
        self.memory = memory
        band = raw.get("power_band_mw")
        if band is None:
            self.band = None
        else:
            self.band = (float(band[0]), math.inf if band[1] is None else float(band[1]))
        self._exact(plan, units)

    def _exact(self, plan: Mapping[str, Any], units: PlanUnits) -> None:
        where = f"designs[{self.index}]"
        parts = self.raw["parts"]
        metrics = self.raw["metrics"]
        lat_units = self._part_units(units, "latency_ms", units.lat_places)
        self.lat_units = tuple(lat_units) if len(lat_units) == len(parts) else None
        label = plan["latency"]["metric"]
        nominal = _number(metrics.get(label))
        if nominal is not None:
            nominal = units.units(
                nominal,
                units.nominal_scale,
                f"{where}.metrics.{label}",
                "latency_ms",
                positive=True,
            )
        if self.lat_units is not None:
            nominal = _exact_aggregate(self._effective(self.lat_units), self._aggregate)
        self.nominal_units = nominal
        label = plan["memory"]["metric"]
        memory = _number(metrics.get(label))
        mems = self._part_units(units, "memory_mb", units.mem_places)
        if memory is not None:
            self.mem_units = units.units(
                memory, units.memory_scale, f"{where}.metrics.{label}", "memory_mb", positive=False
            )
        elif len(mems) == len(parts):
            self.mem_units = _exact_aggregate(mems, plan["memory"]["aggregate"])
        else:
            self.mem_units = None
        limits = [part.get("max_latency_ms") for part in parts]
        if any(v is not None for v in limits):
            self.part_limits = tuple(
                None if v is None else limit_units(to_float(v), units.part_scale) for v in limits
            )
        else:
            self.part_limits = None

    def _part_units(self, units: PlanUnits, column: str, places: int) -> list[int]:
        """The parts' known values of ``column`` in units of ``10**-places``, in part order."""
        out = []
        for i, part in enumerate(self.raw["parts"]):
            v = _number(part[column])
            if v is not None:
                where = f"designs[{self.index}].parts[{i}].{column}"
                out.append(
                    units.units(v, 10**places, where, column, positive=column == "latency_ms")
                )
        return out

    @property
    def single(self) -> bool:
        """True when the design has one part, so its latency scales with one factor."""
        return len(self.processors) == 1

    # ------------------------------------------------------------------ exact
    def _effective(self, slowed: tuple | list) -> list:
        """What each part sees: its own value, or under time-share its processor's sum."""
        out = []
        for group in self._groups:
            acc = 0
            for j in group:
                acc += slowed[j]
            out.append(acc)
        return out

    def _slowed(self, factors: Mapping[str, int | float] | None) -> list:
        lats = self.lat_units
        if not factors:
            return [v * FACTOR_ONE for v in lats]  # type: ignore[union-attr]
        get = factors.get
        return [v * get(p, FACTOR_ONE) for v, p in zip(lats, self.processors, strict=True)]  # type: ignore[arg-type]

    def latency_units(self, factors: Mapping[str, int | float] | None) -> int | float | None:
        """Exact app latency under ``factors`` ({processor: factor units > 10**6}).

        Units of :attr:`PlanUnits.slowed_scale`; ``math.inf`` when an infinite factor
        applies; None when unknown.
        """
        if self.lat_units is None:
            if self.nominal_units is None:
                return None
            top = FACTOR_ONE
            if factors:
                for p in self.processor_set:
                    f = factors.get(p, FACTOR_ONE)
                    if f > top:
                        top = f
            return self.nominal_units * top
        return _exact_aggregate(self._effective(self._slowed(factors)), self._aggregate)

    def part_failure(self, factors: Mapping[str, int | float] | None) -> int | None:
        """Index of the first part over its own latency limit under ``factors`` (None: none)."""
        limits = self.part_limits
        if limits is None:
            return None
        if self.lat_units is None:
            return next(i for i, v in enumerate(limits) if v is not None)
        effective = self._effective(self._slowed(factors))
        for i, limit in enumerate(limits):
            if limit is not None and not effective[i] <= limit:
                return i
        return None

    def holds(self, factors: Mapping[str, int | float] | None, limit: int | None) -> bool:
        """Whether every part limit holds and the app latency is within ``limit`` units (None: no limit)."""
        if self.part_limits is not None and self.part_failure(factors) is not None:
            return False
        if limit is None:
            return True
        lat = self.latency_units(factors)
        return lat is not None and lat <= limit

    # ------------------------------------------------------------------ floats
    def latency(self, slowdown: Mapping[str, float] | None = None) -> float | None:
        """App latency in ms under ``slowdown`` in floats (messages, drift monitor), or None."""
        if self.part_latency is None:
            if self.nominal_latency is None:
                return None
            return self.nominal_latency * max(factor(slowdown, p) for p in self.processors)
        slowed = [
            lat * factor(slowdown, p)
            for lat, p in zip(self.part_latency, self.processors, strict=True)
        ]
        effective = [_total(slowed[j] for j in group) for group in self._groups]
        return _aggregate(effective, self._aggregate)

    def latency_gradient(self, slowdown: Mapping[str, float]) -> tuple[float | None, dict]:
        """App latency and its partial derivatives with respect to each processor's factor.

        Args:
            slowdown: Factors per processor (missing ones count as 1). Unlike
                :meth:`latency` the factors are used as given (an estimate may be below 1).

        Returns:
            ``(latency, {processor: d latency / d factor})``; ``(None, {})`` when unknown.
        """
        procs = self.processors
        if self.part_latency is None:
            if self.nominal_latency is None:
                return None, {}
            best = max(procs, key=lambda p: slowdown.get(p, 1.0))
            return self.nominal_latency * slowdown.get(best, 1.0), {best: self.nominal_latency}
        lats = self.part_latency
        slowed = [lat * slowdown.get(p, 1.0) for lat, p in zip(lats, procs, strict=True)]
        effective = [_total(slowed[j] for j in group) for group in self._groups]
        how = self._aggregate
        if how in ("max", "min"):
            pick = max if how == "max" else min
            chosen = [effective.index(pick(effective))]
            weight = 1.0
        else:
            chosen = list(range(len(effective)))
            weight = 1.0 if how == "sum" else 1.0 / len(effective)
        grad: dict[str, float] = {}
        for i in chosen:
            for j in self._groups[i]:
                grad[procs[j]] = grad.get(procs[j], 0.0) + weight * lats[j]
        return _aggregate(effective, how), grad
