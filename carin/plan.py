"""ParetoSet + anticipated conditions -> a ``carin-plan/1`` plan (see docs/plan-format.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from carin.pareto import nondominated, rank_order, to_costs
from carin.profiles import KEY_COLUMNS
from carin.space import LATENCY, MEMORY, POWER_HI, POWER_LO

if TYPE_CHECKING:
    from carin.pareto import ParetoSet, Preference
    from carin.space import DesignSpace
    from carin.spec import Objective

__all__ = [
    "PLAN_FORMAT",
    "PlanDesigns",
    "arrange_designs",
    "build_plan",
    "exact_number",
    "ineffective_conditions",
    "write_json",
    "round_sig",
]

PLAN_FORMAT = "carin-plan/1"


def round_sig(x: Any, digits: int = 6) -> float | None:
    """Round to ``digits`` significant digits; NaN/None -> None (JSON null)."""
    if x is None:
        return None
    x = float(x)
    if not np.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def exact_number(x: Any) -> float | None:
    """A value as JSON writes it in full (the shortest text that reads back as the same
    float, so an exact decimal prints as written); NaN/None -> None (JSON null)."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


@dataclass(frozen=True, eq=False)
class PlanDesigns:
    """The designs of a plan in rank order, and what each is for.

    Attributes:
        designs: ``(n, k)`` row positions, best-ranked first; design ``d<i>`` is row ``i``.
        pareto: ``(n,)`` whether each design is in the Pareto set of the nominal problem.
        front: That Pareto set, ranked (for an exact solver, the solver's front).
        conditions: ``(condition set, position in designs or None)`` per condition.
        fallback: Position of the CPU-only fallback, or None.
        notes: What the arrangement changed in a non-exact solver's front.
    """

    designs: np.ndarray
    pareto: np.ndarray
    front: ParetoSet
    conditions: list[tuple[dict, int | None]]
    fallback: int | None
    notes: list[str]


def arrange_designs(
    space: DesignSpace,
    front: ParetoSet,
    chosen: list[tuple[dict, np.ndarray | None]],
    fallback_row: np.ndarray | None,
    preference: Preference,
) -> PlanDesigns:
    """Merge a solver's front with the designs chosen for conditions, ranked as one plan.

    The plan holds the front, each condition's design and the fallback, ranked by
    ``preference`` (which never puts a design after one that dominates it). The
    primary design, the best-ranked one feasible at nominal conditions, comes first
    even where a design that only a condition admits (a power band's row) ranks
    better. For a non-exact solver the Pareto flags, and the front returned, are
    recomputed over every nominally feasible design of the plan, so a design the
    exact per-condition solves beat is not called Pareto-optimal, and the primary is
    never a design another one of the plan beats on every objective.

    Args:
        space: The design space.
        front: The solver's nominal front (any order).
        chosen: ``(condition set, row positions or None)`` per anticipated condition.
        fallback_row: Row positions of the CPU-only fallback, or None.
        preference: The ranking.

    Returns:
        The arranged designs.
    """
    rows = [tuple(r) for r in front.index.tolist()]
    seen = set(rows)
    extra = [r for _, r in chosen if r is not None]
    if fallback_row is not None:
        extra.append(fallback_row)
    for r in extra:
        t = tuple(r.tolist())
        if t not in seen:
            seen.add(t)
            rows.append(t)
    designs = np.array(rows, dtype=np.int64).reshape(-1, len(space.tasks))
    objectives = space.evaluate(designs).objectives
    costs = to_costs(objectives, space.maximise)
    order = rank_order(costs, space.design_keys(designs), preference)
    designs, objectives, costs = designs[order], objectives[order], costs[order]
    nominal = space.evaluate(designs).feasible
    notes: list[str] = []
    if front.exact:
        in_front = {tuple(r) for r in front.index.tolist()}
        flags = np.array([tuple(r) in in_front for r in designs.tolist()], dtype=bool)
    else:
        flags = np.zeros(len(designs), dtype=bool)
        where = np.flatnonzero(nominal)
        flags[where] = nondominated(costs[where])
        own = {tuple(r) for r in front.index.tolist()}
        mine = [tuple(r) in own for r in designs.tolist()]
        dropped = sum(1 for m, f in zip(mine, flags, strict=True) if m and not f)
        added = sum(1 for m, f in zip(mine, flags, strict=True) if f and not m)
        if dropped or added:
            notes.append(
                f"{front.solver} is not exact: the exact solves for the anticipated conditions "
                f"added {added} nominally feasible design(s) it had not returned"
                + (f", which beat {dropped} of the {len(own)} it returned" if dropped else "")
                + "; the Pareto set and the plan are taken over all of them (--solver rass "
                "gives the exact front)"
            )
    first = int(np.flatnonzero(nominal)[0])
    order = np.array([first, *(i for i in range(len(designs)) if i != first)], dtype=np.int64)
    designs, flags, objectives = designs[order], flags[order], objectives[order]
    position = {tuple(r): i for i, r in enumerate(designs.tolist())}
    conditions = [(c, None if r is None else position[tuple(r.tolist())]) for c, r in chosen]
    fallback = None if fallback_row is None else position[tuple(fallback_row.tolist())]
    if not front.exact:
        front = replace(front, index=designs[flags], objectives=objectives[flags])
    else:
        keep = np.array([position[tuple(r)] for r in front.index.tolist()], dtype=np.int64)
        front = front.take(np.argsort(keep, kind="stable"))
    return PlanDesigns(designs, flags, front, conditions, fallback, notes)


def _config(space: DesignSpace, t: int, row: int) -> dict[str, Any]:
    frame = space.tasks[t].frame
    out: dict[str, Any] = {}
    for c in KEY_COLUMNS:
        if c in frame.columns and c != "processor":
            v = frame[c].iloc[row]
            if isinstance(v, str) and v == "":
                continue
            out[c] = v.item() if hasattr(v, "item") else v
    return out


def _objective(objective: Objective, single: bool, weighted: bool) -> dict[str, Any]:
    """A plan objective; ``tolerance`` only where the spec gives one and ``weight`` only
    under ``preference: weighted``, so other plans read as before (docs/plan-format.md)."""
    out: dict[str, Any] = {"metric": objective.target.label(single), "goal": objective.goal}
    if objective.tolerance:
        out["tolerance"] = exact_number(objective.tolerance)
    if weighted:
        out["weight"] = exact_number(objective.weight)
    return out


def build_plan(
    space: DesignSpace,
    designs: np.ndarray,
    pareto_flags: np.ndarray,
    primary: int | None,
    fallback: int | None,
    conditions: list[tuple[dict, int | None]],
) -> dict[str, Any]:
    """Assemble the plan dict.

    Args:
        space: The design space.
        designs: ``(n, k)`` row positions of every plan design, best-ranked first.
        pareto_flags: ``(n,)`` whether each design is in the nominal Pareto set.
        primary: Position in ``designs`` of the design to start with.
        fallback: Position of the safe fallback, or None.
        conditions: ``(condition set, position or None)`` per anticipated condition.

    Returns:
        A JSON-ready dict in the ``carin-plan/1`` format.
    """
    spec = space.spec
    single = space.single
    ev = space.evaluate(designs) if len(designs) else None
    metric_labels = space.objective_labels() + [
        c for c in space.constraint_labels() if c not in space.objective_labels()
    ]
    out_designs = []
    for i in range(len(designs)):
        parts = []
        band_lo, band_hi = -np.inf, np.inf
        for t, task in enumerate(space.tasks):
            row = int(designs[i, t])
            part: dict[str, Any] = {
                "task": task.name,
                "processor": str(task.processor[row]),
                LATENCY: exact_number(task.values(LATENCY)[row]),
                MEMORY: exact_number(task.values(MEMORY)[row]),
                "config": _config(space, t, row),
            }
            limits = [
                c.value for c in task.constraints if c.target.metric == LATENCY and c.op == "<="
            ]
            if limits:
                part["max_latency_ms"] = exact_number(min(limits))
            lo, hi = task.values(POWER_LO)[row], task.values(POWER_HI)[row]
            if np.isfinite(lo):
                band_lo = max(band_lo, lo)
            if np.isfinite(hi):
                band_hi = min(band_hi, hi)
            parts.append(part)
        metrics: dict[str, Any] = {}
        values = list(ev.objectives[i]) + [
            ev.constraints[i, j]
            for j, c in enumerate(space.constraint_labels())
            if c not in space.objective_labels()
        ]
        for label, v in zip(metric_labels, values, strict=True):
            metrics[label] = exact_number(v)
        lat_label = space.latency_target.label(single)
        if lat_label not in metrics and LATENCY in space.table.metric_columns:
            lat = space.aggregate(
                space.latency_target, designs[i : i + 1], space.part_latency(designs[i : i + 1])
            )
            metrics[lat_label] = exact_number(lat[0])
        mem_label = space.memory_target.label(single)
        if mem_label not in metrics and MEMORY in space.table.metric_columns:
            metrics[mem_label] = exact_number(
                space.aggregate(space.memory_target, designs[i : i + 1])[0]
            )
        design: dict[str, Any] = {
            "id": f"d{i}",
            "rank": i,
            "pareto": bool(pareto_flags[i]),
            "parts": parts,
            "metrics": metrics,
        }
        if np.isfinite(band_lo) or np.isfinite(band_hi):
            design["power_band_mw"] = [
                exact_number(band_lo) if np.isfinite(band_lo) else 0.0,
                exact_number(band_hi) if np.isfinite(band_hi) else None,
            ]
        out_designs.append(design)
    constraints = [
        {"metric": c.target.label(single), "op": c.op, "value": exact_number(c.value)}
        for c in spec.constraints
    ]
    # the decimal places the solver read each compared column with, so the switchers decide
    # on the same integers (docs/plan-format.md, "Exact decisions")
    compared = {LATENCY, MEMORY} | {c.target.metric for c in spec.constraints}
    decimals = {m: space.places(m) for m in sorted(compared) if m in space.table.metric_columns}
    return {
        "format": PLAN_FORMAT,
        "name": spec.name,
        "objectives": [
            _objective(o, single, spec.preference == "weighted") for o in spec.objectives
        ],
        "preference": spec.preference,
        "constraints": constraints,
        "latency": {
            "metric": space.latency_target.label(single),
            "aggregate": space.latency_target.aggregate,
            "contention": spec.contention if not single else "none",
        },
        "memory": {
            "metric": space.memory_target.label(single),
            "aggregate": space.memory_target.aggregate,
        },
        "decimals": decimals,
        "tasks": [t.name for t in space.tasks],
        "designs": out_designs,
        "primary": f"d{primary}" if primary is not None else None,
        "fallback": f"d{fallback}" if fallback is not None else None,
        "conditions": [
            {"when": cond, "design": f"d{pos}" if pos is not None else None}
            for cond, pos in conditions
        ],
    }


def ineffective_conditions(space: DesignSpace) -> list[str]:
    """Anticipated conditions that cannot change any candidate, as warning texts.

    A processor that no candidate runs on cannot become unavailable or slower for
    any design; a memory budget at or above every candidate's memory, or a latency
    budget at or above the spec's own latency limit, excludes nothing. Such a
    condition is harmless but usually a mistake in the spec (a processor the
    profiles do not have on that device, say).

    Returns:
        One ``file:line: anticipate.KEY: ...`` text per such condition.
    """
    spec = space.spec
    ant = spec.anticipate
    used = set(space.processors)
    listed = ", ".join(sorted(used)) or "none"
    out = []
    for key, procs in (
        ("processor_unavailable", list(ant.processor_unavailable)),
        ("slowdown", [p for p, _ in ant.slowdown]),
    ):
        for proc in procs:
            if proc.lower() not in used:
                out.append(
                    f"{spec.where_is(f'anticipate.{key}')}: anticipate.{key}: no candidate "
                    f"runs on {proc} (the candidates use: {listed}), so this condition "
                    "changes nothing"
                )
    if ant.memory_budget_mb and MEMORY in space.table.metric_columns:
        per_task = [t.values(MEMORY) for t in space.tasks]
        if all(np.isfinite(v).all() for v in per_task):
            tops = [float(v.max()) for v in per_task]
            most = sum(tops) if space.memory_target.aggregate == "sum" else max(tops)
            for budget in ant.memory_budget_mb:
                if budget >= most:
                    out.append(
                        f"{spec.where_is('anticipate.memory_budget_mb')}: "
                        f"anticipate.memory_budget_mb: {budget:g} MB is at least the memory "
                        f"of every candidate ({most:g} MB at most), so it changes nothing"
                    )
    limits = [
        c.value
        for c in spec.constraints
        if c.target.metric == LATENCY and c.op == "<=" and c.target == space.latency_target
    ]
    if limits:
        for budget in ant.latency_budget_ms:
            if budget >= min(limits):
                out.append(
                    f"{spec.where_is('anticipate.latency_budget_ms')}: "
                    f"anticipate.latency_budget_ms: {budget:g} ms is not below the spec's "
                    f"latency limit ({min(limits):g} ms), so it changes nothing"
                )
    return out


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON atomically and deterministically (sorted keys, 2-space indent)."""
    from carin._files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(path, text)
