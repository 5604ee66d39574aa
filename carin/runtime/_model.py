"""Per-design numbers the switcher precomputes, and the app-latency model.

Processor names are compared in lower case (``str.lower``): a plan's part on
``"NPU"`` runs on the processor ``npu``.

App latency of a design under per-processor slowdown factors ``f`` (every
factor that is not greater than 1 counts as 1):

* when every part has a ``latency_ms``: each part's slowed latency is
  ``l_i * f[proc_i]``; with ``time-share`` contention each part then sees
  ``e_i = sum of the slowed latencies of the parts on its processor`` (summed
  in part order), otherwise ``e_i`` is its own slowed latency; the app latency
  is ``aggregate(e)`` (``max``, ``min``, ``sum`` in part order, or
  ``mean = sum / n``). Every sum is a plain left-to-right loop (not ``sum()``,
  which Python 3.12 compensates), so the Java switcher gets the same bits;
* otherwise, when ``metrics[latency.metric]`` is known: that value times the
  largest factor among the design's processors;
* otherwise unknown, which fails every latency limit.

App memory is ``metrics[memory.metric]`` when known, else the aggregate of the
parts' ``memory_mb`` when all are known, else unknown (fails any memory limit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ._validate import to_float

__all__ = ["DesignModel", "factor"]


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


class DesignModel:
    """The numbers of one design that feasibility checks need.

    Attributes:
        index: Rank (position in the plan's ``designs``).
        id: Design id.
        raw: The design object from the plan.
        processors: Processor of each part (lower case), in part order.
        part_latency: Uncontended latency of each part, or None when any is unknown.
        nominal_latency: ``metrics[latency.metric]`` or None.
        memory: App memory in MB or None when unknown.
        band: ``(lo, hi)`` harvested-power band (``hi`` may be ``inf``) or None.
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
        "_aggregate",
        "_groups",
    )

    def __init__(self, *, index: int, raw: Mapping[str, Any], plan: Mapping[str, Any]) -> None:
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

    @property
    def single(self) -> bool:
        """True when the design has one part, so its latency scales with one factor."""
        return len(self.processors) == 1

    def latency(self, slowdown: Mapping[str, float] | None = None) -> float | None:
        """App latency in ms under ``slowdown`` (see the module docstring), or None if unknown."""
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
