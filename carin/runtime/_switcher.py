"""The runtime switcher: pick the best-ranked design feasible under current conditions."""

from __future__ import annotations

import math
import os
from bisect import bisect_right
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from ._errors import PlanError
from ._exact import FACTOR_ONE, factor_units, limit_units
from ._model import DesignModel, PlanUnits, factor
from ._monitor import MonitorConfig, SlowdownFilter, miss_probability
from ._read import parse_json, read_text
from ._validate import CONDITION_KEYS, check_conditions, check_plan_structure, to_float

__all__ = ["Decision", "Switcher", "validate_plan"]

_KEYS = frozenset(CONDITION_KEYS)
_INF = math.inf
_EMPTY: Mapping[str, Any] = MappingProxyType({})
# budgets read as written, in units, per scale: a few entries are all an app uses
_CACHE_SIZE = 256
# conditions after normalisation: (unavailable processors of the plan, memory budget,
# slowdown {processor: factor > 1}, latency budget, power level); None = not given
_NOMINAL: tuple = ((), None, None, None, None)


def validate_plan(obj: Any) -> None:
    """Check that ``obj`` is a ``carin-plan/1`` plan the switcher loads.

    Checks the structure (every plan accepted here also passes
    ``docs/plan.schema.json``), the rules a schema cannot express (finite numbers,
    ranks, unique and existing ids, rank-0 primary, CPU-only fallback, positive
    latencies, non-negative memory) and self-consistency: every ``conditions`` entry names
    the design that :meth:`Switcher.select` gives for its ``when``.

    Raises:
        PlanError: naming the first offending field and what is allowed.
    """
    Switcher(plan=obj)


def _lower(name: Any) -> Any:
    return name.lower() if isinstance(name, str) else name


class Decision:
    """What the switcher decided.

    Attributes:
        design_id: Id of the design to run, or None when nothing meets the SLOs and
            the plan declares no fallback.
        design: The design object from the plan (None with ``design_id``).
        rank: The design's rank, or None.
        meets_slo: True when the design is feasible under the conditions; False when
            it is the declared fallback returned because no design is.
        conditions: The conditions the decision was made under, including the drift
            monitor's slowdown when it is active.
        monitor: The drift monitor's slowdown condition that was applied ({} if none).
        reason: A one-line explanation (computed on first access).
    """

    __slots__ = ("rank", "meets_slo", "conditions", "monitor", "_switcher", "_reason")

    def __init__(
        self,
        switcher: Switcher,
        rank: int | None,
        meets_slo: bool,
        conditions: Mapping[str, Any] | None,
        monitor: Mapping[str, float] | None = None,
    ) -> None:
        # positional and minimal: one Decision is built per select() call
        self._switcher = switcher
        self.rank = rank
        self.meets_slo = meets_slo
        self.conditions = conditions or _EMPTY
        self.monitor = monitor or _EMPTY
        self._reason: str | None = None

    @property
    def design_id(self) -> str | None:
        """Id of the design to run (None when there is none)."""
        rank = self.rank
        return None if rank is None else self._switcher._id_list[rank]

    @property
    def design(self) -> dict[str, Any] | None:
        """The design object from the plan (None with ``design_id``)."""
        rank = self.rank
        return None if rank is None else self._switcher.plan["designs"][rank]

    @property
    def reason(self) -> str:
        """Why this design: which better-ranked designs were excluded and by what."""
        if self._reason is None:
            self._reason = self._switcher.explain(self)
        return self._reason

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: design, rank, meets_slo, reason."""
        return {
            "design": self.design_id,
            "rank": self.rank,
            "meets_slo": self.meets_slo,
            "reason": self.reason,
        }

    def __repr__(self) -> str:
        return f"Decision(design_id={self.design_id!r}, meets_slo={self.meets_slo})"


def _prefix_masks(order: list[int]) -> list[int]:
    """``masks[k]`` = bits of the first ``k`` designs of ``order``."""
    masks = [0]
    acc = 0
    for i in order:
        acc |= 1 << i
        masks.append(acc)
    return masks


def _factors(slowdown: Mapping[str, float] | None) -> dict[str, int | float]:
    """Factors above 1 in units of ``10**-6`` (those that round to 1 are left out)."""
    out: dict[str, int | float] = {}
    if slowdown:
        for proc, f in slowdown.items():
            if f > 1.0:
                u = factor_units(f)
                if u > FACTOR_ONE:
                    out[proc] = u
    return out


def _merge(a: Mapping[str, float] | None, b: Mapping[str, float]) -> dict[str, float]:
    out = dict(a) if a else {}
    for proc, f in b.items():
        if not out.get(proc, 1.0) >= f:
            out[proc] = f
    return out


class Switcher:
    """Selects designs of a ``carin-plan/1`` plan as run-time conditions change.

    Build it with :meth:`from_file` or :meth:`from_dict`. :meth:`select` answers
    for a condition set; :meth:`observe` feeds measured latencies to the drift
    monitor, which may add a slowdown condition of its own.

    Feasibility follows ``docs/plan-format.md`` and is decided exactly, on integers
    (section "Exact decisions"; :mod:`carin.runtime._exact`): plan values in units of
    the plan's ``decimals``, factors at 6 decimals, limits and budgets as written.
    The work is done at load time: every design gets a bit (bit ``i`` = rank ``i``,
    so the lowest set bit is the best design); the designs that meet the
    constraints at nominal conditions form one mask, each processor a mask of the
    designs that use it, and sorted integer memory, power-band and per-processor
    latency thresholds map a number to a mask by bisection. Only multi-part designs
    (and designs with a part limit) under a slowdown or latency budget are evaluated
    one by one, and only those ranked above the answer that bounds from their
    nominal latency do not already settle.
    """

    def __init__(
        self,
        *,
        plan: Mapping[str, Any],
        monitor: MonitorConfig | None = None,
        validate: bool = True,
    ) -> None:
        """Load a plan.

        Args:
            plan: The decoded plan.
            monitor: Drift monitor parameters (defaults of :class:`MonitorConfig`).
            validate: Validate the plan first (turn off only for plans already validated).

        Raises:
            PlanError: When the plan is malformed; the message names the field.
        """
        if validate:
            check_plan_structure(plan)
        self.plan = plan
        self.monitor_config = monitor or MonitorConfig()
        self._callbacks: list[Callable[[Decision, Decision | None], Any]] = []
        self._current: Decision | None = None
        self._build(plan)
        self._conditions: Mapping[str, Any] | None = None
        self._norm = _NOMINAL
        self.reset_monitor()
        self._cache: dict[tuple, int | None] = {}
        self.cache_mismatches: list[str] = []
        for i, entry in enumerate(plan["conditions"]):
            when = check_conditions(entry["when"], f"conditions[{i}].when")
            norm = self._normalise(when)
            rank = self._choose(norm, None)
            self._cache[self._key(norm)] = rank
            got = None if rank is None else self._models[rank].id
            want = entry["design"]
            if got != want:
                why = None if want is None else self.why_infeasible(self._ids[want], when)
                if why is not None:
                    why = f"{want} is infeasible: {why}"
                elif want is None:
                    why = f"{got} holds under these conditions"
                else:
                    why = f"{got} holds under these conditions and is ranked higher"
                self.cache_mismatches.append(
                    f"conditions[{i}].design: the plan says {want!r}, but the feasibility "
                    f"rule gives {got!r} ({why})"
                )
        if validate and self.cache_mismatches:
            more = len(self.cache_mismatches) - 1
            raise PlanError(
                self.cache_mismatches[0]
                + (f"; and {more} more such entr{'y' if more == 1 else 'ies'}" if more else "")
            )

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], *, monitor: MonitorConfig | None = None) -> Switcher:
        """Validate and load a plan given as a decoded JSON object."""
        return cls(plan=obj, monitor=monitor)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, monitor: MonitorConfig | None = None
    ) -> Switcher:
        """Read, validate and load ``plan.json``.

        Only a regular UTF-8 file of at most :data:`MAX_FILE_BYTES` (16 MiB) is read:
        a FIFO, a device or a larger file is refused without blocking or reading it whole.

        Raises:
            PlanError: When the file cannot be read or parsed, or the plan is malformed;
                the message starts with the path.
        """
        name = os.fspath(path)
        text = read_text(name, what="plan", error=PlanError)
        obj = parse_json(text, name, what="plan", error=PlanError)
        try:
            return cls(plan=obj, monitor=monitor)
        except PlanError as exc:
            raise PlanError(f"{name}: {exc}") from None

    def _build(self, plan: Mapping[str, Any]) -> None:
        units = PlanUnits(plan)
        self._units = units
        models = [
            DesignModel(index=i, raw=d, plan=plan, units=units)
            for i, d in enumerate(plan["designs"])
        ]
        self._models = models
        self._ids = {m.id: m.index for m in models}
        n = len(models)
        self._all = (1 << n) - 1
        lat_metric = plan["latency"]["metric"]
        limit = _INF
        lu: int | None = None
        others = []
        for c in plan["constraints"]:
            if c["metric"] == lat_metric and c["op"] == "<=":
                value = to_float(c["value"])
                limit = min(limit, value)
                u = limit_units(value, units.slowed_scale)
                lu = u if lu is None or u < lu else lu
            else:
                others.append((c["metric"], c["op"], to_float(c["value"])))
        self._limit = limit  # ms, for the drift monitor and messages
        self._lu = lu  # the same limit exactly, in units of units.slowed_scale (None: no limit)
        self._others = others
        self._budget_cache: dict[float, int | None] = {}
        self._memory_cache: dict[float, int | float] = {}
        static = 0
        for m in models:
            if self._static_failure(m) is None:
                static |= 1 << m.index
        self._static = static
        # processor -> mask of designs that do NOT use it
        procs = sorted({p for m in models for p in m.processors})
        self._keep = {
            p: self._all & ~sum(1 << m.index for m in models if p in m.processor_set) for p in procs
        }
        # memory budget: designs sorted by exact app memory
        with_mem = sorted((m.mem_units, m.index) for m in models if m.mem_units is not None)
        self._mem_values = [v for v, _ in with_mem]
        self._mem_masks = _prefix_masks([i for _, i in with_mem])
        # power bands: masks per segment between consecutive band endpoints
        no_band = sum(1 << m.index for m in models if m.band is None)
        self._no_band = no_band
        breaks = sorted({x for m in models if m.band for x in m.band if x != _INF})
        self._power_breaks = breaks
        self._has_bands = no_band != self._all
        # a power level goes to the banded designs whose band holds it, and to the unbanded
        # ones only where no band does; without a power level the unbanded ones count
        seg_masks = [no_band]
        for k in range(len(breaks)):
            lo = breaks[k]
            hi = breaks[k + 1] if k + 1 < len(breaks) else _INF
            mask = 0
            for m in models:
                if m.band and m.band[0] <= lo and hi <= m.band[1]:
                    mask |= 1 << m.index
            seg_masks.append(mask or no_band)
        self._power_masks = seg_masks
        # latency: single-part designs (without a part limit) sorted by exact base latency per
        # processor; the others (several parts, or a part limit) are checked one by one
        singles: dict[str, list[tuple[int, int]]] = {}
        multi = 0
        limited = 0
        for m in models:
            if m.part_limits is not None:
                limited |= 1 << m.index
            if m.single and m.part_limits is None:
                if m.nominal_units is not None:
                    singles.setdefault(m.processors[0], []).append((m.nominal_units, m.index))
            else:
                multi |= 1 << m.index
        self._multi = multi
        self._limited = limited
        # nominal app latency, units of nominal_scale, of the designs checked one by one
        multi_rows = sorted(
            (m.nominal_units, m.index)
            for m in models
            if (multi >> m.index) & 1 and m.nominal_units is not None
        )
        self._multi_lats = [v for v, _ in multi_rows]
        self._multi_masks = _prefix_masks([i for _, i in multi_rows])
        free = [(v, i) for v, i in multi_rows if not (limited >> i) & 1]
        self._free_lats = [v for v, _ in free]
        self._free_masks = _prefix_masks([i for _, i in free])
        self._uses = {p: self._all & ~keep for p, keep in self._keep.items()}
        self._singles = [
            (p, [v for v, _ in rows], _prefix_masks([i for _, i in rows]))
            for p, rows in sorted((p, sorted(rows)) for p, rows in singles.items())
        ]
        self._single_by_proc = {
            p: (
                lats,
                masks,
                self._all
                & ~sum(
                    1 << m.index
                    for m in models
                    if m.single and m.part_limits is None and m.processors[0] == p
                ),
            )
            for p, lats, masks in self._singles
        }
        self._id_list = [m.id for m in models]
        # an unknown latency fails every latency limit, even an infinite budget
        self._lat_known = sum(1 << m.index for m in models if m.nominal_units is not None)
        fallback = plan["fallback"]
        self._fallback = None if fallback is None else self._ids[fallback]

    def _budget_units(self, budget: float) -> int | None:
        """A latency budget (not NaN) read as written, in units of the slowed scale.

        None for an infinite budget (no limit); -1 when none holds (latencies are positive).
        """
        cache = self._budget_cache
        if budget in cache:
            return cache[budget]
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        u = None if budget == _INF else limit_units(budget, self._units.slowed_scale)
        cache[budget] = u = None if u is None else max(u, -1)
        return u

    def _memory_units(self, budget: float) -> int | float:
        """A memory budget (not NaN) read as written, in units of the memory scale."""
        cache = self._memory_cache
        u = cache.get(budget)
        if u is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            u = cache[budget] = limit_units(budget, self._units.memory_scale)
        return u

    def _static_failure(self, m: DesignModel) -> str | None:
        """Why ``m`` fails at nominal conditions (None when it does not)."""
        units = self._units
        nominal = m.nominal_units
        if self._lu is not None and (nominal is None or not nominal * FACTOR_ONE <= self._lu):
            shown = "unknown" if nominal is None else f"{nominal / units.nominal_scale:g} ms"
            return f"latency {shown} > limit {self._limit:g} ms"
        part = m.part_failure(None)
        if part is not None:
            return self._part_message(m, part, None)
        metrics = m.raw["metrics"]
        lat_metric = self.plan["latency"]["metric"]
        mem_metric = self.plan["memory"]["metric"]
        for metric, op, value in self._others:
            if metric == lat_metric:
                got, scale = nominal, units.nominal_scale
            elif metric == mem_metric:
                got, scale = m.mem_units, units.memory_scale
            else:
                got = metrics.get(metric)
                if not isinstance(got, int | float) or isinstance(got, bool) or math.isnan(got):
                    got = None
                scale = units.metric_scale(metric)
                if got is not None:
                    got = to_float(got)
                    if scale is not None:
                        got = round(got * scale)
            if got is None:
                return f"{metric} unknown (constraint {metric} {op} {value:g})"
            if scale is None:
                ok = got <= value if op == "<=" else got >= value
            else:
                ok = (
                    got <= limit_units(value, scale, op)
                    if op == "<="
                    else (got >= limit_units(value, scale, op))
                )
                got = got / scale
            if not ok:
                return f"{metric} {got:g} violates {metric} {op} {value:g}"
        return None

    def _part_message(self, m: DesignModel, part: int, factors: Mapping | None) -> str:
        task = self.plan["tasks"][part]
        limit = to_float(m.raw["parts"][part]["max_latency_ms"])
        if m.lat_units is None:
            return f"{task} latency unknown (its limit {limit:g} ms)"
        lat = m._effective(m._slowed(factors))[part] / self._units.part_scale
        return f"{task} latency {lat:.4g} ms > its limit {limit:g} ms"

    def _power_mask(self, power: float | None) -> int:
        """Designs a power level (None or NaN: none given) leaves in play."""
        if power is not None and power == power:
            return self._power_masks[bisect_right(self._power_breaks, power)]
        return self._no_band or self._all

    # ------------------------------------------------------------------ selection
    def _normalise(self, conditions: Mapping[str, Any] | None) -> tuple:
        """Conditions as ``_NOMINAL`` holds them: names lower-cased and kept only when a
        design uses them, numbers as floats (integers beyond the float range become
        infinities), slowdown factors only above 1 (the largest of names that differ
        only in case)."""
        if not conditions:
            return _NOMINAL
        if not conditions.keys() <= _KEYS:
            bad = sorted(set(conditions) - _KEYS)
            raise ValueError(f"unknown condition {bad[0]!r}; allowed: {', '.join(CONDITION_KEYS)}")
        get = conditions.get
        procs = self._keep
        names: Any = ()
        gone = get("unavailable")
        if gone:
            if isinstance(gone, str):
                gone = (gone,)
            for p in gone:
                if p not in procs:
                    names = tuple({n for p in gone if (n := _lower(p)) in procs})
                    break
            else:  # the usual case: names of the plan's processors, as written
                names = gone
        slowdown = None
        slow = get("slowdown")
        if slow:
            for p, f in slow.items():
                if type(f) is not float or not f > 1.0 or p not in procs:
                    break
            else:  # the usual case: float factors > 1 of the plan's processors
                slow = None
                slowdown = get("slowdown")
        if slow:
            for p, f in slow.items():
                if type(f) is not float:
                    f = to_float(f)
                if f > 1.0:
                    if p not in procs:
                        p = _lower(p)
                        if p not in procs:
                            continue
                    if slowdown is None:
                        slowdown = {p: f}
                    elif not slowdown.get(p, 1.0) >= f:
                        slowdown[p] = f
        mem = get("memory_budget_mb")
        if mem is not None and type(mem) is not float:
            mem = to_float(mem)
        budget = get("latency_budget_ms")
        if budget is not None and type(budget) is not float:
            budget = to_float(budget)
        power = get("power_mw")
        if power is not None and type(power) is not float:
            power = to_float(power)
        return (names, mem, slowdown, budget, power)

    @staticmethod
    def _key(norm: tuple) -> tuple:
        gone, mem, slowdown, budget, power = norm
        slow = tuple(sorted(slowdown.items())) if slowdown else ()
        return (frozenset(gone), mem, slow, budget, power)

    def _choose(self, norm: tuple, extra: Mapping | None) -> int | None:
        """Rank of the best feasible design, or None.

        ``norm`` = normalised conditions (:meth:`_normalise`), ``extra`` = monitor slowdown.
        Every comparison is exact (units; see :mod:`carin.runtime._model`).
        """
        gone, mem, slowdown, budget, power = norm
        mask = self._static
        if gone:
            keep = self._keep
            for proc in gone:
                mask &= keep[proc]
        if mem is not None:
            if mem == mem:
                mu = self._memory_cache.get(mem)
                if mu is None:
                    mu = self._memory_units(mem)
                mask &= self._mem_masks[bisect_right(self._mem_values, mu)]
            else:
                mask = 0
        if self._has_bands:
            mask &= self._power_mask(power)
        if extra:
            slowdown = _merge(slowdown, extra)
        if not mask or not (slowdown or budget is not None):
            return (mask & -mask).bit_length() - 1 if mask else None
        # factors are taken at 6 decimals, round(f * 10**6) (carin.runtime._exact.factor_units,
        # inlined below where select is hot); every factor here is above 1
        lu = self._lu
        if budget is not None:
            mask &= self._lat_known
            if budget != budget:
                b = -1  # latencies are positive: -1 holds none
            elif budget in self._budget_cache:
                b = self._budget_cache[budget]
            else:
                b = self._budget_units(budget)
            if b is not None and (lu is None or b < lu):
                lu = b
        if lu is not None:
            if budget is None or lu == self._lu:
                # nominal limits already hold (static mask): re-cut slowed processors only
                ok = self._all
                if slowdown:
                    for proc, f in slowdown.items():
                        info = self._single_by_proc.get(proc)
                        if info is not None:
                            lats, masks, drop = info
                            u = f * 1e6
                            cut = 0 if u == _INF else bisect_right(lats, lu // round(u))
                            ok = (ok & drop) | masks[cut]
            else:
                # slowdowns only lengthen latencies, so a design checked one by one whose
                # nominal latency is over the limit is out without being evaluated
                nominal = lu // FACTOR_ONE
                ok = self._multi_masks[bisect_right(self._multi_lats, nominal)]
                get = slowdown.get if slowdown else None
                for proc, lats, masks in self._singles:
                    f = get(proc) if get else None
                    if f is None:
                        ok |= masks[bisect_right(lats, nominal)]
                    else:
                        u = f * 1e6
                        if u != _INF:  # an infinitely slowed part holds no limit
                            ok |= masks[bisect_right(lats, lu // round(u))]
            mask &= ok
        multi = self._multi
        if slowdown and mask & multi:
            factors = _factors(slowdown)
            # a design on no slowed processor runs at its nominal latency, which the masks
            # above already held to the limits; nor can one without part limits whose
            # nominal latency times the largest factor is within the limit
            touched = 0
            uses = self._uses
            for proc in factors:
                touched |= uses.get(proc, 0)
            top = max(factors.values(), default=FACTOR_ONE)
            if lu is None:
                sure = self._all & ~self._limited
            elif top == _INF:
                sure = 0
            else:
                sure = self._free_masks[bisect_right(self._free_lats, lu // top)]
            models = self._models
            while mask & multi:
                low = mask & -mask
                if not low & multi or not low & touched or low & sure:
                    break
                if models[low.bit_length() - 1].holds(factors, lu):
                    break
                mask ^= low
        if mask:
            return (mask & -mask).bit_length() - 1
        return None

    def select(self, conditions: Mapping[str, Any] | None = None) -> Decision:
        """Pick the design to run under ``conditions``.

        Args:
            conditions: A condition set (see ``docs/plan-format.md``): any of
                ``unavailable`` (iterable of processor names), ``memory_budget_mb``,
                ``slowdown`` (processor -> factor; factors <= 1 count as 1),
                ``latency_budget_ms`` and ``power_mw``. None or ``{}`` = nominal.

        Returns:
            The best-ranked feasible design, or the plan's fallback with
            ``meets_slo=False`` when none is feasible. The drift monitor's slowdown is
            applied on top when it is active.

        Raises:
            ValueError: Only for an unknown condition key (a typo); well-typed input never raises.
        """
        norm = self._normalise(conditions)
        self._conditions = conditions
        self._norm = norm
        extra = self._active or None
        rank = self._choose(norm, extra)
        return self._decide(rank, conditions, extra)

    def _decide(
        self, rank: int | None, conditions: Mapping | None, extra: Mapping | None
    ) -> Decision:
        if extra:
            effective = dict(conditions) if conditions else {}
            effective["slowdown"] = _merge(effective.get("slowdown"), extra)
            conditions = effective
        if rank is None:
            decision = Decision(self, self._fallback, False, conditions, extra)
        else:
            decision = Decision(self, rank, True, conditions, extra)
        previous = self._current
        self._current = decision
        if self._callbacks and (previous is None or previous.rank != decision.rank):
            for callback in self._callbacks:
                callback(decision, previous)
        return decision

    def select_cached(self, conditions: Mapping[str, Any] | None) -> Decision:
        """Like :meth:`select`, answering anticipated condition sets from the plan's table.

        The table holds the answers the feasibility rule gives for the plan's
        ``conditions`` entries (checked at load; see ``cache_mismatches``). Building
        the lookup key costs about as much as the mask path, so this pays off
        only for plans with many multi-part designs.
        """
        if self._active:
            return self.select(conditions)
        norm = self._normalise(conditions)
        self._conditions = conditions
        self._norm = norm
        key = self._key(norm)
        if key in self._cache:
            return self._decide(self._cache[key], conditions, None)
        return self._decide(self._choose(norm, None), conditions, None)

    @property
    def current(self) -> Decision | None:
        """The last decision (None before the first :meth:`select` or :meth:`observe`)."""
        return self._current

    def on_change(
        self, callback: Callable[[Decision, Decision | None], Any]
    ) -> Callable[[Decision, Decision | None], Any]:
        """Call ``callback(new, previous)`` whenever the selected design changes.

        Also usable as a decorator; returns ``callback``.
        """
        self._callbacks.append(callback)
        return callback

    def design(self, design_id: str) -> dict[str, Any]:
        """The design object with this id (``KeyError`` if unknown)."""
        return self._models[self._ids[design_id]].raw

    # ------------------------------------------------------------------ explanation
    def why_infeasible(self, rank: int, conditions: Mapping[str, Any] | None) -> str | None:
        """Why the design of ``rank`` is infeasible under ``conditions`` (None if feasible)."""
        m = self._models[rank]
        gone, mem, slowdown, budget, power = self._normalise(conditions)
        lost = sorted(set(gone) & m.processor_set)
        if lost:
            return f"{', '.join(lost)} unavailable"
        failure = self._static_failure(m)
        if failure:
            return failure
        if mem is not None and (
            m.mem_units is None or mem != mem or not m.mem_units <= self._memory_units(mem)
        ):
            shown = "unknown" if m.mem_units is None else f"{m.memory:g} MB"
            return f"memory {shown} > budget {mem:g} MB"
        if self._has_bands and not (self._power_mask(power) >> m.index) & 1:
            if m.band is None:
                if power is None or power != power:
                    return "no power level given; designs without a band apply"
                return f"a design's power band holds {power:g} mW; designs without a band yield"
            lo, hi = m.band
            if power is None or power != power:
                return f"power band [{lo:g}, {hi:g}): no power level given"
            return f"power {power:g} mW outside band [{lo:g}, {hi:g})"
        factors = _factors(slowdown)
        slowed = {p: factor(slowdown, p) for p in m.processor_set if p in factors}
        note = ", ".join(f"{p} x{f:g}" for p, f in sorted(slowed.items()))
        note = f" (slowdown {note})" if note else ""
        part = m.part_failure(factors) if slowed else None
        if part is not None:
            return self._part_message(m, part, factors) + note
        limit, lu = self._limit, self._lu
        if budget is not None:
            b = self._budget_units(budget) if budget == budget else -1
            if b is not None and (lu is None or b < lu):
                limit, lu = budget, b
        if budget is not None or (lu is not None and slowed):
            lat = m.latency_units(factors)
            if lat is None or lu is not None and not lat <= lu:
                shown = "unknown" if lat is None else f"{lat / self._units.slowed_scale:.4g} ms"
                return f"latency {shown} > {limit:g} ms{note}"
        return None

    def explain(self, decision: Decision) -> str:
        """A one-line reason for ``decision``."""
        cond = decision.conditions
        upto = (
            len(self._models) if decision.rank is None or not decision.meets_slo else decision.rank
        )
        skipped = []
        for rank in range(upto):
            why = self.why_infeasible(rank, cond)
            if why is not None:
                skipped.append(f"{self._models[rank].id} ({why})")
            if len(skipped) == 3:
                break
        more = upto - len(skipped)
        tail = "; ".join(skipped) + (f"; +{more} more" if more > 0 and skipped else "")
        note = ""
        if decision.monitor:
            shown = ", ".join(f"{p} x{f:.3g}" for p, f in sorted(decision.monitor.items()))
            note = f" [drift monitor: slowdown {shown}]"
        if decision.meets_slo:
            if decision.rank == 0:
                return f"{decision.design_id}: best-ranked design, feasible{note}"
            return (
                f"{decision.design_id}: best feasible design; better-ranked excluded: {tail}{note}"
            )
        if decision.rank is None:
            return f"no design meets the SLOs and the plan declares no fallback: {tail}{note}"
        return f"no design meets the SLOs; running declared fallback {decision.design_id}: {tail}{note}"

    # ------------------------------------------------------------------ drift monitor
    def reset_monitor(self) -> None:
        """Forget all drift estimates and drop the monitor's condition."""
        cfg = self.monitor_config
        self._z_threshold = cfg.z(cfg.threshold)
        self._z_release = cfg.z(cfg.release)
        self._filters: dict[str, SlowdownFilter] = {}
        self._active: dict[str, float] = {}
        self._streak = 0

    @property
    def monitor_slowdown(self) -> dict[str, float]:
        """The slowdown condition the monitor currently adds ({} when inactive)."""
        return dict(self._active)

    def estimates(self) -> dict[str, tuple[float, float]]:
        """Per-processor slowdown estimates as ``{processor: (mean, variance)}``."""
        return {p: (f.x, f.p) for p, f in sorted(self._filters.items())}

    def _means(self) -> dict[str, float]:
        return {p: f.x for p, f in self._filters.items()}

    def _filter(self, proc: str) -> SlowdownFilter:
        f = self._filters.get(proc)
        if f is None:
            f = self._filters[proc] = SlowdownFilter(p=self.monitor_config.p0)
        return f

    def _prediction(self, rank: int) -> tuple[float, float | None, float]:
        """``(limit, mean, variance)`` of the next app latency of design ``rank``."""
        cfg = self.monitor_config
        limit = self._limit
        budget = self._norm[3]
        if budget is not None:
            limit = -_INF if budget != budget else min(limit, budget)
        if limit == _INF:
            return limit, None, 0.0
        mean, grad = self._models[rank].latency_gradient(self._means())
        variance = 0.0
        for proc, g in grad.items():
            f = self._filters.get(proc)
            p = cfg.p0 if f is None else f.p
            variance += g * g * (p + cfg.q + cfg.r)
        return limit, mean, variance

    def miss_probability(self, rank: int) -> float:
        """Predicted probability that the next run of design ``rank`` misses its latency limit."""
        limit, mean, variance = self._prediction(rank)
        if limit == _INF:
            return 0.0
        if mean is None:
            return 1.0
        return miss_probability(mean, variance, limit)

    def _misses(self, rank: int) -> bool:
        """Whether the miss probability of ``rank`` is above ``threshold``, decided as
        ``(limit - mean) / sd < z_(1-threshold)`` (see :mod:`carin.runtime._monitor`)."""
        limit, mean, variance = self._prediction(rank)
        if limit == _INF:
            return False
        if mean is None:
            return True
        if variance <= 0.0:
            return mean > limit
        return (limit - mean) / math.sqrt(variance) < self._z_threshold

    def _quantiles(self, z: float, running: frozenset[str]) -> dict[str, float]:
        """Upper quantiles > 1 of the processors the running design uses or that look slow.

        A processor the running design does not use enters only when its estimate is
        above 1 by more than ``z`` standard deviations of the estimate: one that merely
        has uncertainty (not observed lately) is left out, so a slowdown seen on one
        processor does not also hold back designs on processors with no sign of one.
        """
        cfg = self.monitor_config
        out = {}
        for proc, f in sorted(self._filters.items()):
            if proc in running or f.x - 1.0 > z * math.sqrt(f.p):
                value = f.quantile(z, q=cfg.q, r=cfg.r)
                if value > 1.0:
                    out[proc] = value
        return out

    def observe(self, design_id: str | None, latency_ms: float) -> Decision:
        """Feed one measured app latency of a design to the drift monitor.

        Updates the per-processor filters (see :mod:`carin.runtime._monitor` for
        the equations and how a multi-part design's latency is attributed), then:

        * when the current design's miss probability exceeds ``threshold``, the
          monitor's condition becomes (at least) the per-processor upper quantiles
          at that level and the switcher re-selects; except that, in a plan with no
          fallback, a condition under which no design at all remains is not applied
          (nothing would run, so no latency could ever show that the slowdown ended),
          and the current design keeps running;
        * while the condition is active (also while the flagged fallback runs and
          misses its limit itself), when a better-ranked design would hold
          at the ``release`` level for ``revert_after`` consecutive observations,
          the condition is lowered to the ``release`` quantiles (or dropped when
          that changes nothing) and the switcher re-selects.

        Args:
            design_id: The design that ran (None = the current one).
            latency_ms: Its measured app latency. Non-positive or non-finite values
                are ignored.

        Returns:
            The current decision after the observation.
        """
        cfg = self.monitor_config
        if self._current is None:
            self.select(self._conditions)
        if design_id is None:
            rank = None if self._current is None else self._current.rank
        else:
            rank = self._ids.get(design_id)
        ok = isinstance(latency_ms, int | float) and not isinstance(latency_ms, bool)
        if ok:
            latency_ms = to_float(latency_ms)
            ok = 0.0 < latency_ms < _INF
        if rank is not None and ok:
            model = self._models[rank]
            means = self._means()
            predicted, grad = model.latency_gradient(means)
            if predicted is not None and predicted > 0.0:
                ratio = latency_ms / predicted
                seen = set()
                for proc, g in grad.items():
                    share = g * means.get(proc, 1.0) / predicted
                    if share > 0.0:
                        f = self._filter(proc)
                        f.update(f.x * ratio, q=cfg.q, noise=cfg.r / share)
                        seen.add(proc)
                for proc, f in self._filters.items():
                    if proc not in seen:
                        f.relax(rho=cfg.relax, q=cfg.q)
        current = self._current
        if current is None or current.rank is None:
            return self.select(self._conditions)
        if self._misses(current.rank):
            raised = _merge(
                self._active,
                self._quantiles(self._z_threshold, self._models[current.rank].processor_set),
            )
            # in a plan with no fallback, a condition that leaves no design is not applied:
            # nothing would run, so no latency could ever show that the slowdown ended
            if raised != self._active and (
                self._fallback is not None or self._choose(self._norm, raised) is not None
            ):
                self._streak = 0
                self._active = raised
                return self.select(self._conditions)
            if current.meets_slo:
                self._streak = 0
                return current
            # the flagged fallback is running and misses too: only a release can help
        if self._active:
            release = self._quantiles(self._z_release, self._models[current.rank].processor_set)
            candidate = self._choose(self._norm, release)
            better = candidate is not None and (not current.meets_slo or candidate < current.rank)
            self._streak = self._streak + 1 if better else 0
            if self._streak >= cfg.revert_after:
                self._streak = 0
                plain = self._choose(self._norm, None)
                self._active = {} if plain == candidate else release
                return self.select(self._conditions)
        return current
