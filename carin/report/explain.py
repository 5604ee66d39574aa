"""Why a design won, and what to relax when nothing is feasible.

For a feasible solve, :func:`explain_front` says where the primary design ranks
under the spec's preference, what decided it, what the next two designs trade
against it, and which constraints are *active* (dropping one would let another
design win). What decided between the primary and another design is read off the
levels the ranking itself sorts by (:func:`carin.pareto.rank_levels`): the first
objective on which the two differ, after the objectives they tie on (equal values,
or the same step of the objective's ``tolerance``); when every objective ties in its
steps, the exact values, and last the designs' key text.

For an infeasible solve, :func:`explain_infeasible` lists the constraints, how many
designs meet each on its own, the nearest misses, and for each constraint the
smallest relaxation of its bound alone (the others kept) that makes some design
feasible.

Designs are named as ``carin show`` names them: by their plan id and the key columns
that vary over the plan's designs (the columns every design shares are said once, under
the first line); a design outside the plan adds what sets it apart, and nearest misses
are named by the columns that vary among the misses.

Relaxations are exact: spaces of up to
:data:`carin.report.plots.ENUMERATE_LIMIT` designs are scanned in full
(vectorised, in chunks); larger multi-DNN products are solved with RASS using
the constrained metric as the first objective, which covers app-level
constraints (task-level limits of such products are reported as not computed).

Example:
    >>> import carin
    >>> from carin.report.explain import explain, format_explanation
    >>> result = carin.solve("spaces/local-litert.yaml")
    >>> info = explain(result)
    >>> info["primary"]["id"], info["primary"]["rank"]
    ('d0', 0)
    >>> print(format_explanation(info).splitlines()[0])
    local-litert: primary design d0 = cnn_l int8-dynamic litert-xnnpack 2 threads
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from carin._exact import as_decimal
from carin.errors import CarinError
from carin.pareto import Preference, RankLevel, make_preference, rank_levels, rank_order, to_costs
from carin.report._designs import (
    KeyColumns,
    design_label,
    key_columns,
    plan_labels,
    shared_bits,
    space_designs,
)
from carin.report._format import (
    design_text,
    fmt,
    plural,
    short_words,
    unit_of,
    with_unit,
    wrap_text,
)
from carin.report.plots import (
    _CHUNK,
    ENUMERATE_LIMIT,
    FrontData,
    front_data,
    load_front_data,
    miss_positions,
    recorded_spec,
)
from carin.report.text import WIDTH, _pack, condition_groups, group_lines
from carin.space import LATENCY, compile_space
from carin.spec import Constraint, Objective, Spec

if TYPE_CHECKING:
    from carin.result import Result
    from carin.space import DesignSpace

__all__ = [
    "Relaxation",
    "explain",
    "explain_front",
    "explain_infeasible",
    "explain_result_dir",
    "format_explanation",
    "infeasible_lines",
    "infeasible_record",
    "misses_shared",
    "nearest_miss_lines",
    "relaxations",
    "relaxed_spec",
]


@dataclass(frozen=True)
class Relaxation:
    """The smallest change of one constraint's bound that makes some design feasible.

    Attributes:
        constraint: The constraint as written, e.g. ``latency_ms <= 2`` (task-level
            ones prefixed by the task: ``detect: accuracy >= 38``).
        task: Task name for a task-level limit, None for an app-level one.
        position: Index in the spec's (or the task's) constraint list.
        op: ``<=`` or ``>=``.
        value: The current bound.
        needed: The bound that admits the best design meeting every other
            constraint (None when relaxing this constraint alone cannot help, or
            when it was not computed).
        suggest: ``needed`` rounded outward to 4 significant digits, safe to
            write in the spec.
        design: Key text of a design that the suggested bound makes feasible.
        met_by: Designs meeting this constraint on its own (None if not counted).
        computed: False when the space was too large to compute this relaxation.
        rows: Row positions (one per task) of ``design`` in the space, when known.
    """

    constraint: str
    task: str | None
    position: int
    op: str
    value: float
    needed: float | None
    suggest: float | None
    design: str | None
    met_by: int | None
    computed: bool = True
    rows: tuple[int, ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "constraint": self.constraint,
            "task": self.task,
            "op": self.op,
            "value": self.value,
            "needed": self.needed,
            "suggest": self.suggest,
            "design": self.design,
            "met_by": self.met_by,
            "computed": self.computed,
        }


def _outward(value: float, op: str, digits: int = 4) -> float:
    """Round a bound outward (up for ``<=``, down for ``>=``) so it still admits ``value``."""
    d = Decimal(repr(float(value)))
    if d == 0:
        return 0.0
    exp = d.adjusted() - (digits - 1)
    q = Decimal(1).scaleb(exp)
    r = d.quantize(q, rounding=ROUND_CEILING if op == "<=" else ROUND_FLOOR)
    out = float(r)
    if (op == "<=" and out < value) or (op == ">=" and out > value):
        return float(value)
    return out


def _checks(space: DesignSpace) -> list[tuple[str, str | None, int, Constraint]]:
    out: list[tuple[str, str | None, int, Constraint]] = []
    for i, c in enumerate(space.constraints):
        out.append((c.describe(space.single), None, i, c))
    for task in space.tasks:
        for i, c in enumerate(task.constraints):
            label = c.describe() if space.single else f"{task.name}: {c.describe()}"
            out.append((label, task.name, i, c))
    return out


def _check_values(space: DesignSpace, index: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Candidate mask and the value of each check for designs ``index``.

    A candidate has every objective and is one the spec ranks without run-time
    conditions: on power-banded tables only the overall rows (a band row holds a
    plan's metrics at one power level, which the primary design is not chosen on).
    """
    ev = space.evaluate(index)
    base = np.isfinite(ev.objectives).all(axis=1) & space.condition_mask(index, {})
    values = [ev.constraints[:, j] for j in range(len(space.constraints))]
    lat = space.part_latency(index)
    for t, task in enumerate(space.tasks):
        for c in task.constraints:
            if c.target.metric == LATENCY:
                values.append(lat[:, t])
            else:
                values.append(task.values(c.target.metric)[index[:, t]])
    return base, values


def _holds(v: np.ndarray, op: str, limit: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return v <= limit if op == "<=" else v >= limit


def relaxations(space: DesignSpace) -> list[Relaxation]:
    """For each constraint, the smallest relaxation of it alone that makes a design feasible.

    Args:
        space: A compiled design space (usually one with no feasible design).

    Returns:
        One :class:`Relaxation` per app-level constraint, then per task-level limit.
    """
    checks = _checks(space)
    if not checks:
        return []
    shape = tuple(len(t) for t in space.tasks)
    total = space.raw_size
    n = len(checks)
    if total > ENUMERATE_LIMIT:
        return [_relax_by_solving(space, c) for c in checks]
    best = [np.inf if c[3].op == "<=" else -np.inf for c in checks]
    best_id = [-1] * n
    met = [0] * n
    for start in range(0, total, _CHUNK):
        ids = np.arange(start, min(total, start + _CHUNK), dtype=np.int64)
        index = np.stack(np.unravel_index(ids, shape), axis=1)
        base, values = _check_values(space, index)
        oks = [_holds(v, c[3].op, c[3].value) for v, c in zip(values, checks, strict=True)]
        fails = np.sum([~ok for ok in oks], axis=0)
        for i, (v, c, ok) in enumerate(zip(values, checks, oks, strict=True)):
            met[i] += int((ok & base).sum())
            others = base & (fails - (~ok) == 0) & np.isfinite(v)
            if not others.any():
                continue
            cand = np.flatnonzero(others)
            pick = cand[np.argmin(v[cand])] if c[3].op == "<=" else cand[np.argmax(v[cand])]
            better = v[pick] < best[i] if c[3].op == "<=" else v[pick] > best[i]
            if better:
                best[i] = float(v[pick])
                best_id[i] = int(ids[pick])
    out = []
    for i, (label, task, pos, c) in enumerate(checks):
        if best_id[i] < 0:
            out.append(Relaxation(label, task, pos, c.op, c.value, None, None, None, met[i]))
            continue
        design = np.array(np.unravel_index(best_id[i], shape), dtype=np.int64)[None, :]
        key = design_text(space, design)[0]
        rows = tuple(int(r) for r in design[0])
        suggest = _outward(best[i], c.op)
        out.append(
            Relaxation(label, task, pos, c.op, c.value, best[i], suggest, key, met[i], rows=rows)
        )
    return out


def _relax_by_solving(
    space: DesignSpace, check: tuple[str, str | None, int, Constraint]
) -> Relaxation:
    from carin.solvers import get_solver

    label, task, pos, c = check
    if task is not None:
        return Relaxation(label, task, pos, c.op, c.value, None, None, None, None, computed=False)
    spec = space.spec
    goal = "min" if c.op == "<=" else "max"
    objectives = (Objective(c.target, goal),) + tuple(
        o for o in spec.objectives if o.target != c.target
    )
    others = tuple(x for j, x in enumerate(spec.constraints) if j != pos)
    probe = compile_space(
        replace(
            spec, objectives=objectives, constraints=others, anticipate=type(spec.anticipate)()
        ),
        space.table,
    )
    front = get_solver("rass").solve(probe)
    if len(front) == 0:
        return Relaxation(label, task, pos, c.op, c.value, None, None, None, None)
    vals = front.objectives[:, 0]
    k = int(np.argmin(vals) if goal == "min" else np.argmax(vals))
    key = design_text(space, front.index[k : k + 1])[0]
    needed = float(vals[k])
    rows = tuple(int(r) for r in front.index[k])
    return Relaxation(
        label, task, pos, c.op, c.value, needed, _outward(needed, c.op), key, None, rows=rows
    )


def relaxed_spec(spec: Spec, relaxation: Relaxation) -> Spec:
    """The spec with one constraint's bound moved to ``relaxation.suggest``.

    Raises:
        CarinError: The relaxation has no suggested bound.
    """
    if relaxation.suggest is None:
        raise CarinError(f"{relaxation.constraint}: relaxing it alone makes nothing feasible")
    if relaxation.task is None:
        cons = list(spec.constraints)
        cons[relaxation.position] = replace(cons[relaxation.position], value=relaxation.suggest)
        return replace(spec, constraints=tuple(cons))
    tasks = []
    for t in spec.tasks:
        if t.name == relaxation.task:
            cons = list(t.constraints)
            cons[relaxation.position] = replace(cons[relaxation.position], value=relaxation.suggest)
            t = replace(t, constraints=tuple(cons))
        tasks.append(t)
    return replace(spec, tasks=tuple(tasks))


# -- infeasible ----------------------------------------------------------------------


def explain_infeasible(space: DesignSpace, misses: list[dict[str, Any]] | None = None) -> dict:
    """Why nothing is feasible: constraints, nearest misses and the relaxation of each.

    Args:
        space: The compiled design space.
        misses: Nearest misses as saved by ``carin solve`` (recomputed when None).

    Returns:
        A JSON-ready dict (see :func:`format_explanation`).
    """
    from carin.result import nearest_misses

    if misses is None:
        misses = nearest_misses(space)
    relax = relaxations(space)
    columns = _miss_columns(space, misses)
    binding = [r.constraint for r in relax if r.needed is not None]
    return {
        "name": space.spec.name,
        "feasible": False,
        "designs": space.raw_size,
        "considered": _considered(space),
        "enumerated": space.raw_size <= ENUMERATE_LIMIT,
        "binding": binding,
        "relaxations": [_labelled(space, r, columns) for r in relax],
        "nearest_misses": misses,
        "shared": misses_shared(space, misses),
    }


def _considered(space: DesignSpace) -> int:
    """Designs a constraint's count is out of: with power bands, the overall rows only."""
    considered = 1
    for task in space.tasks:
        rows = task.power_rows(None)
        considered *= len(task) if rows is None else int(rows.sum())
    return considered


def _miss_columns(space: DesignSpace, misses: list[dict[str, Any]]) -> KeyColumns | None:
    """The key columns that vary among the nearest misses, and those they share."""
    found = [pos for pos, _ in miss_positions(space, misses, limit=len(misses))]
    if not found:
        return None
    return key_columns(space_designs(space, np.stack(found)))


def misses_shared(space: DesignSpace, misses: list[dict[str, Any]]) -> list[str]:
    """The key columns every nearest miss shares, as ``processor npu`` items."""
    columns = _miss_columns(space, misses)
    return shared_bits(columns[1], sep=" ") if columns else []


def _labelled(space: DesignSpace, r: Relaxation, columns: KeyColumns | None) -> dict[str, Any]:
    """A relaxation's dict with ``label``: its design named as the misses are."""
    out = r.as_dict()
    if r.rows is not None and columns is not None:
        design = space_designs(space, np.array([r.rows], dtype=np.int64))[0]
        out["label"] = design_label(design, columns)
    return out


def infeasible_record(space: DesignSpace, misses: list[dict[str, Any]]) -> dict[str, Any]:
    """What ``carin solve`` records in ``summary.json`` when nothing is feasible.

    Enough for ``carin show`` to reprint the message ``carin solve`` gave without the
    spec: the size of the space, the key columns every nearest miss shares, and the
    smallest relaxation of each constraint alone (designs named as the misses are).
    """
    columns = _miss_columns(space, misses)
    return {
        "raw_designs": space.raw_size,
        "considered": _considered(space),
        "shared": shared_bits(columns[1], sep=" ") if columns else [],
        "relaxations": [_labelled(space, r, columns) for r in relaxations(space)],
    }


def infeasible_lines(
    subject: str, record: dict[str, Any], note: str | None = None, width: int = WIDTH
) -> list[str]:
    """The message of an infeasible solve, as ``carin solve`` and ``carin show`` print it.

    Args:
        subject: What was solved (the spec's path, or the app's name).
        record: ``nearest_misses`` and, when known, ``raw_designs``, ``shared`` and
            ``relaxations`` (:func:`infeasible_record`; an older summary lacks them).
        note: A line said between the misses and the relaxations.
        width: Columns the lines fit in.
    """
    size = record.get("raw_designs")
    counted = f" ({size:,} designs considered)" if size is not None else ""
    lines = [f"{subject}: no design meets the constraints{counted}."]
    misses = record.get("nearest_misses") or []
    lines += nearest_miss_lines(misses, record.get("shared"), width)
    if not misses:
        lines.append(
            "Nearest misses: none (every design lacks a value the objectives or constraints need)"
        )
    if note:
        lines += wrap_text(note, 0, 2, width)
    relax = record.get("relaxations") or []
    if relax:
        lines.append("Smallest single relaxations (each alone, the other limits kept):")
        for r in relax:
            lines += wrap_text(_relax_line(r), 2, 6, width)
    return lines


def _relax_line(d: dict[str, Any]) -> str:
    metric = d["constraint"].rsplit(d["op"], 1)[0].strip()
    if not d["computed"]:
        return f"{d['constraint']}: not computed (space too large to scan task limits)"
    if d["suggest"] is None:
        return f"{d['constraint']}: relaxing it alone makes nothing feasible"
    unit = unit_of(metric)
    return (
        f"{d['constraint']} -> {metric} {d['op']} {d['suggest']:g}"
        f"{' ' + unit if unit else ''} (admits {d.get('label') or d['design']})"
    )


def _metric_of(constraint: str) -> str:
    """The metric of a constraint as written: ``classify: accuracy >= 78`` -> ``accuracy``."""
    return constraint.split(" <= ")[0].split(" >= ")[0].split(": ")[-1]


def nearest_miss_lines(
    misses: list[dict[str, Any]], shared: list[str] | None = None, width: int = WIDTH
) -> list[str]:
    """The nearest misses as text: a heading, what they share, one design per line.

    Args:
        misses: As :func:`carin.result.nearest_misses` gives them (``label`` names a
            design by the key columns that vary among the misses; ``design`` is used
            when a summary predates labels).
        shared: The key columns every miss shares, as ``processor npu`` items.
        width: Columns the lines fit in.
    """
    if not misses:
        return []
    lines = ["Nearest misses (closest to feasible first):"]
    if shared:
        lines += wrap_text("all have " + "; ".join(shared), 2, 4, width)
    for m in misses:
        broken = "; ".join(
            f"{b['constraint']} (is {_value(_metric_of(b['constraint']), b['value'])}, "
            f"off by {fmt(b['by'])})"
            for b in m["broken"]
        )
        lines += wrap_text(f"{m.get('label') or m['design']} breaks {broken}", 2, 6, width)
    return lines


# -- feasible -------------------------------------------------------------------------


def _name(label: str) -> str:
    """A metric label in words, its unit left out: ``max(latency_ms)`` -> ``max latency``."""
    text = with_unit(label)
    return text.rsplit(" (", 1)[0] if unit_of(label) else text


def _objective_phrase(space: DesignSpace, j: int, value: float) -> str:
    o = space.objectives[j]
    label = o.target.label(space.single)
    return f"{'highest' if o.maximise else 'lowest'} {_name(label)} ({_value(label, value)})"


def _number(x: float) -> str:
    """A tolerance or a multiple of it as written (``0.1``, ``2.7``), not as binary noise."""
    return f"{float(x):.12g}"


def _shortest(x: float) -> str:
    """``x`` in the fewest digits (4 or more) that read back as it: a best value as written."""
    for digits in range(4, 13):
        text = f"{float(x):.{digits}g}"
        if float(text) == x:
            return text
    return f"{float(x):.6g}"


def _pair(label: str, a: float, b: float) -> str:
    """``80.5 vs 80.6 %``: enough digits that different values read differently."""
    digits = 4
    while digits < 15 and a != b and fmt(float(a), digits) == fmt(float(b), digits):
        digits += 1
    unit = unit_of(label)
    return f"{fmt(float(a), digits)} vs {fmt(float(b), digits)}{' ' + unit if unit else ''}"


def _band(step: int, tol: float, best: str, maximise: bool, *, it: bool = False) -> str:
    """Where a tolerance step lies: ``within 0.1 of the best 80.6`` or ``0.2-0.3 below it``."""
    if step == 0:
        return f"within {_number(tol)} of the best {best}"
    t = as_decimal(tol)
    side = "below" if maximise else "above"
    where = "it" if it else f"the best {best}"
    return f"{_number(t * step)}-{_number(t * (step + 1))} {side} {where}"


def _compared(
    space: DesignSpace,
    pref: Preference,
    level: RankLevel,
    objs: np.ndarray,
    p: int,
    r: int,
) -> dict[str, Any]:
    """One rank level of two designs, JSON-ready: the values, and the steps when stepped."""
    j = level.objective
    if j < 0:
        return {
            "level": "score",
            "objective": None,
            "tie": bool(level.values[p] == level.values[r]),
        }
    o = space.objectives[j]
    out: dict[str, Any] = {
        "level": level.kind,
        "objective": o.target.label(space.single),
        "primary": float(objs[p, j]),
        "other": float(objs[r, j]),
        "tie": bool(level.values[p] == level.values[r]),
    }
    if level.kind == "step":
        out["tolerance"] = float(pref.tolerance[j])
        out["best"] = float(-pref.lo[j] if o.maximise else pref.lo[j])
        out["steps"] = [int(level.values[p]), int(level.values[r])]
    return out


def _decision(
    space: DesignSpace,
    pref: Preference,
    levels: list[RankLevel],
    objs: np.ndarray,
    p: int,
    r: int,
) -> dict[str, Any]:
    """Why design ``p`` ranks before design ``r``: the first rank level they differ on.

    The levels are those :func:`carin.pareto.rank_order` sorts by, so the objective
    named here is the one the ranking rule used; the levels before it are ties (equal
    values, or the same step of a tolerance). No differing level: the objective values
    are the same and the designs' key text decided.

    Returns:
        ``by`` (the deciding objective's label, None for the weighted score or the key
        text), ``stage`` (``objective``; ``exact`` when every objective tied in its
        tolerance steps and an exact value decided; ``score``; ``key``), ``compared``
        (each level up to the deciding one, see :func:`_compared`) and ``text``.
    """
    compared = []
    decided = None
    for level in levels:
        c = _compared(space, pref, level, objs, p, r)
        if level.kind == "exact" and c["tie"]:
            continue  # equal exact values after the steps add nothing to say
        compared.append(c)
        if not c["tie"]:
            decided = c
            break
    if decided is None:
        stage = "key"
    elif decided["level"] == "score":
        stage = "score"
    elif decided["level"] == "exact":
        stage = "exact"
    else:
        stage = "objective"
    text = "; ".join(_compared_text(space, pref, c, objs, p, r) for c in compared)
    if stage == "key":
        text = (text + "; " if text else "") + "the same objective values: the key text decides"
    return {
        "by": decided["objective"] if decided else None,
        "stage": stage,
        "compared": compared,
        "text": text,
    }


def _compared_text(
    space: DesignSpace, pref: Preference, c: dict[str, Any], objs: np.ndarray, p: int, r: int
) -> str:
    if c["level"] == "score":
        scores = pref.score(to_costs(objs[[p, r]], space.maximise))
        pair = f"{scores[0]:.3g} vs {scores[1]:.3g}"
        return f"the same weighted score ({pair})" if c["tie"] else f"weighted score {pair}"
    label = c["objective"]
    name = _name(label)
    pair = _pair(label, c["primary"], c["other"])
    if c["level"] == "exact":
        return f"then the exact values decide: {name} {pair}"
    if c["level"] == "value":
        return (
            f"{name} {_value(label, c['primary'])} for both"
            if c["tie"]
            else (f"{name} decides, {pair}")
        )
    maximise = space.objectives[space.objective_labels().index(label)].maximise
    best = _shortest(c["best"])
    sp, so = c["steps"]
    if c["tie"] and c["primary"] == c["other"]:
        return f"{name} {_value(label, c['primary'])} for both"
    if c["tie"]:
        return f"{name} {pair}, both {_band(sp, c['tolerance'], best, maximise)}, a tie"
    if sp == 0:
        where = (
            f"within {_number(c['tolerance'])} of the best {best} vs "
            f"{_band(so, c['tolerance'], best, maximise, it=True)}"
        )
    else:
        lo = _band(sp, c["tolerance"], best, maximise).split(" ")[0]
        where = f"{lo} vs {_band(so, c['tolerance'], best, maximise)}"
    return f"{name} decides, {pair} ({where})"


def _tie_phrase(space: DesignSpace, c: dict[str, Any]) -> str:
    """How the primary's design set is tied on one objective: ``the same accuracy (80.5 %)``."""
    label = c["objective"]
    if c["level"] == "value":
        return f"the same {_name(label)} ({_value(label, c['primary'])})"
    maximise = space.objectives[space.objective_labels().index(label)].maximise
    unit = unit_of(label)
    best = f"{_shortest(c['best'])}{' ' + unit if unit else ''}"
    band = _band(c["steps"][0], c["tolerance"], best, maximise)
    return f"{_name(label)} {band}"


def _lexicographic_reason(
    space: DesignSpace,
    pref: Preference,
    primary: np.ndarray,
    decision: dict[str, Any] | None,
    runner_up: str | None,
) -> str:
    """The "why it won" sentence, from the decision against the runner-up.

    The runner-up is the design ranked second; every Pareto design that ties with the
    primary on the objectives before the deciding one ranks between them, so the
    primary is the best of those on the deciding objective.
    """
    other = f"the runner-up {runner_up}" if runner_up else "the runner-up"
    if decision is None or (decision["stage"] == "objective" and len(decision["compared"]) == 1):
        j = 0 if decision is None else space.objective_labels().index(decision["by"])
        text = f"has the {_objective_phrase(space, j, primary[j])}, the spec's first objective"
        if decision is not None and decision["compared"][0]["level"] == "step":
            tol = _number(decision["compared"][0]["tolerance"])
            text += f", and no other Pareto design is within its tolerance ({tol}) of it"
        return text
    if decision["stage"] == "key":
        return f"has the same objective values as {other}; the designs' key text breaks the tie"
    ties = [c for c in decision["compared"] if c["tie"] and c["level"] != "score"]
    last = decision["compared"][-1]
    label = last["objective"]
    j = space.objective_labels().index(label)
    rule = "objectives are compared in the order the spec lists them" + (
        ", those with a tolerance in steps of it" if any(pref.tolerance) else ""
    )
    if decision["stage"] == "exact":
        better = "higher" if space.objectives[j].maximise else "lower"
        return (
            f"ties with {other} on every objective (both have "
            + " and ".join(_tie_phrase(space, c) for c in ties)
            + f"), and then has the {better} exact {_name(label)} "
            f"({_pair(label, last['primary'], last['other'])}); {rule}"
        )
    phrase = _objective_phrase(space, j, primary[j])[:-1]  # the bracket is continued
    if last["level"] == "step":
        tol = _number(last["tolerance"])
        phrase += f"; {other}: {_value(label, last['other'])}, a later step of the tolerance {tol})"
    else:
        phrase += f"; {other}: {_value(label, last['other'])})"
    return (
        f"has the {phrase} of the Pareto designs with "
        + " and ".join(_tie_phrase(space, c) for c in ties)
        + f"; {rule}"
    )


def _trade(space: DesignSpace, primary: np.ndarray, other: np.ndarray) -> dict[str, Any]:
    gains, losses, same = [], [], []
    for j, o in enumerate(space.objectives):
        label = o.target.label(space.single)
        delta = float(other[j] - primary[j])
        rel = f", {delta / abs(primary[j]) * 100:+.1f}%" if primary[j] else ""
        text = f"{_name(label)} {_value(label, other[j])} ({delta:+.4g}{rel})"
        if delta == 0:
            same.append(f"{_name(label)} {_value(label, other[j])}")
        elif (delta > 0) == o.maximise:
            gains.append(text)
        else:
            losses.append(text)
    return {"gains": gains, "losses": losses, "same": same}


def _active_constraints(
    data: FrontData, primary_key: str, columns: KeyColumns
) -> list[dict[str, Any]]:
    """Constraints whose removal would let another design win (named as the plan's are)."""
    from carin.solvers import get_solver

    space = data.space
    spec = space.spec
    out = []
    idx = data.pareto[:1]
    _, values = _check_values(space, idx)
    for n, (label, task, pos, c) in enumerate(_checks(space)):
        v = float(values[n][0])
        if task is None:
            probe_spec = replace(
                spec,
                constraints=tuple(x for j, x in enumerate(spec.constraints) if j != pos),
                anticipate=type(spec.anticipate)(),
            )
        else:
            probe_spec = replace(
                spec,
                anticipate=type(spec.anticipate)(),
                tasks=tuple(
                    replace(
                        t,
                        constraints=tuple(x for j, x in enumerate(t.constraints) if j != pos),
                    )
                    if t.name == task
                    else t
                    for t in spec.tasks
                ),
            )
        probe = compile_space(probe_spec, space.table)
        front = get_solver("rass").solve(probe)
        winner = None
        if len(front):
            pref = make_preference(probe, front.costs)
            top = front.sorted(pref)
            key = str(top.keys()[0])
            if key != primary_key:
                winner = {
                    "design": design_text(space, top.index[:1])[0],
                    "label": design_label(space_designs(space, top.index[:1])[0], columns),
                    "objectives": {
                        lab: float(top.objectives[0, j])
                        for j, lab in enumerate(probe.objective_labels())
                    },
                    # the probe lacks the dropped check: read it in the full space
                    "value": float(_check_values(space, top.index[:1])[1][n][0]),
                }
        out.append(
            {
                "constraint": label,
                "value": v,
                "slack": abs(c.value - v),
                "active": winner is not None,
                "without_it": winner,
            }
        )
    return out


def explain_front(data: FrontData, *, active: bool = True) -> dict[str, Any]:
    """Why the primary design won: its rank, the deciding objective, the next two trades.

    ``reason["decision"]`` (against the runner-up) and each next design's ``decision``
    name the objective the ranking rule decided on, the levels compared before it
    (ties, with the tolerance steps where an objective has a tolerance) and a text.

    Args:
        data: The front to explain (:func:`~carin.report.plots.front_data`).
        active: Also re-solve without each constraint to tell which are active.

    Returns:
        A JSON-ready dict (see :func:`format_explanation`).
    """
    space = data.space
    if len(data.pareto) == 0:
        raise CarinError(f"{data.source}: the Pareto set is empty; nothing to explain")
    ev = space.evaluate(data.pareto)
    objs = ev.objectives
    costs = to_costs(objs, space.maximise)
    keys = space.design_keys(data.pareto)
    short = design_text(space, data.pareto)
    pref = make_preference(space, costs)
    order = rank_order(costs, keys, pref)
    levels = rank_levels(costs, pref)  # what rank_order sorts by: who decided between two
    ids = {tuple(v.tolist()): k for k, v in data.plan_index.items()}
    plan = data.plan or {}
    primary_id = plan.get("primary")
    p = int(order[0])
    labels = space.objective_labels()
    # designs are named as 'carin show' names them: by the key columns that vary over the plan
    columns = key_columns(plan["designs"] if plan else space_designs(space, data.pareto))
    names = plan_labels(plan) if plan else {}

    def describe(i: int) -> dict[str, Any]:
        did = ids.get(tuple(data.pareto[i].tolist()))
        label = names.get(did or "") or design_label(
            space_designs(space, data.pareto[i : i + 1])[0], columns
        )
        return {
            "id": did,
            # the plan's rank (d3 is rank 3); the position on the front without a plan
            "rank": int(did[1:]) if did else int(np.flatnonzero(order == i)[0]),
            "design": str(short[i]),
            "label": label,
            "objectives": {lab: float(objs[i, j]) for j, lab in enumerate(labels)},
        }

    reason: dict[str, Any] = {"preference": pref.method}
    if pref.method == "weighted":
        scores = pref.score(costs)
        reason["weights"] = {lab: float(w) for lab, w in zip(labels, pref.weights, strict=True)}
        reason["scores"] = [float(scores[i]) for i in order[:3]]
        reason["text"] = (
            f"lowest weighted score {scores[p]:.3g} (each objective scaled to 0-1 between its "
            f"best and worst value on the front, weights "
            + ", ".join(f"{lab} {w:g}" for lab, w in zip(labels, pref.weights, strict=True))
            + ")"
        )
    else:
        runner_up = describe(int(order[1]))["id"] if len(order) > 1 else None
        decision = (
            _decision(space, pref, levels, objs, p, int(order[1])) if len(order) > 1 else None
        )
        reason["deciding_objective"] = labels[0] if decision is None else decision["by"]
        reason["runner_up"] = runner_up
        reason["decision"] = decision
        reason["text"] = _lexicographic_reason(space, pref, objs[p], decision, runner_up)
    nxt = []
    for i in order[1:3]:
        d = describe(int(i))
        d["trade"] = _trade(space, objs[p], objs[int(i)])
        d["decision"] = _decision(space, pref, levels, objs, p, int(i))
        nxt.append(d)
    primary = describe(p)
    if primary_id is not None:
        primary["id"] = primary_id
        primary["label"] = names.get(primary_id, primary["label"])
    # grouped as 'carin show' groups them: by design, best-ranked first, none last
    cond_out = [
        {"design": did, "label": names.get(did) if did else None, "when": whens}
        for did, whens in condition_groups(plan)
    ]
    return {
        "name": space.spec.name,
        "feasible": True,
        "pareto_designs": len(data.pareto),
        "designs": space.raw_size,
        "shared": shared_bits(columns[1]),
        "reason": reason,
        "primary": primary,
        "next": nxt,
        "constraints": _active_constraints(data, str(keys[p]), columns) if active else [],
        "conditions": cond_out,
    }


# -- entry points ---------------------------------------------------------------------


def explain(result: Result, *, active: bool = True) -> dict[str, Any]:
    """Explain a fresh :class:`~carin.result.Result` (see :func:`explain_front`)."""
    return explain_front(front_data(result), active=active)


def explain_result_dir(result_dir: str | Path) -> dict[str, Any]:
    """Explain a ``carin solve`` output folder, feasible or not.

    Raises:
        CarinError: The folder or the spec it records cannot be read.
    """
    from carin.result import load_result_dir
    from carin.spec import load_spec

    folder = Path(result_dir)
    saved = load_result_dir(folder)
    summary = saved["summary.json"]
    if summary.get("feasible", True):
        return explain_front(load_front_data(folder))
    misses = summary.get("nearest_misses", [])
    try:
        spec_path = recorded_spec(folder, summary)
    except CarinError as exc:  # what solve recorded, without the spec
        relax = summary.get("relaxations", [])
        info = {
            "name": summary.get("name", str(folder)),
            "feasible": False,
            "binding": [r["constraint"] for r in relax if r.get("needed") is not None],
            "relaxations": relax,
            "nearest_misses": misses,
            "shared": summary.get("shared", []),
            "note": str(exc),
        }
        for key, saved in (("designs", "raw_designs"), ("considered", "considered")):
            if summary.get(saved) is not None:
                info[key] = summary[saved]
        return info
    return explain_infeasible(compile_space(load_spec(spec_path)), misses)


def _value(label: str, v: float) -> str:
    unit = unit_of(label)
    return f"{fmt(v)}{' ' + unit if unit else ''}"


def _quantities(objectives: dict[str, float]) -> str:
    """``accuracy 83.2 %, latency 7.715 ms``: each unit said once, after its value."""
    return ", ".join(f"{_name(k)} {_value(k, v)}" for k, v in objectives.items())


def format_explanation(info: dict[str, Any], width: int = WIDTH) -> str:
    """Render an explanation dict as text that fits ``width`` columns.

    Designs are named by their plan id and the key columns that vary over the plan
    (the columns of ``carin show``'s table); the columns every plan design shares are
    said once under the first line, and conditions in the one wording of every report.
    """
    if not info["feasible"]:
        return "\n".join(_format_infeasible(info, width))
    p = info["primary"]
    pref = info["reason"]["preference"]
    verb = "" if pref == "weighted" else "it "
    lines = wrap_text(f"{info['name']}: primary design {p['id']} = {p['label']}", 0, 4, width)
    lines += _pack(info.get("shared", []), width)
    lines += wrap_text(_quantities(p["objectives"]), 2, 4, width)
    lines.append("")
    lines += wrap_text(
        f"Why it won: of {plural(info['pareto_designs'], 'Pareto design')} "
        f"({plural(info['designs'], 'design')} in the space), it ranks first under the {pref} "
        f"preference: {verb}{info['reason']['text']}.",
        0,
        2,
        width,
    )
    if info["next"]:
        lines += ["", "The next designs trade:"]
        pad = max(len(d["id"] or "-") for d in info["next"])
        for d in info["next"]:
            t = d["trade"]
            lines += wrap_text(f"{d['id'] or '-':<{pad}}  {d['label']}", 2, 4 + pad, width)
            for head, items in (
                ("gives up:", t["losses"]),
                ("for:", t["gains"]),
                ("same:", t["same"]),
            ):
                if items:
                    lines += wrap_text(f"{head:<9} {'; '.join(items)}", 4 + pad, 14 + pad, width)
            if d.get("decision"):
                # what the ranking rule decided on: ties within a tolerance, then the decider
                ranked = f"after {p['id'] or 'the primary'}: {d['decision']['text']}"
                lines += wrap_text(f"{'ranked:':<9} {ranked}", 4 + pad, 14 + pad, width)
    if info["constraints"]:
        lines += ["", "Constraints at the primary design:"]
        for c in info["constraints"]:
            metric = _metric_of(c["constraint"])
            state = (
                f"active: without it {c['without_it']['label']} would win "
                f"({_quantities(c['without_it']['objectives'])})"
                if c["active"]
                else "not active: dropping it changes nothing"
            )
            lines += wrap_text(
                f"{c['constraint']}: is {_value(metric, c['value'])}, slack "
                f"{_value(metric, c['slack'])}; {state}",
                2,
                6,
                width,
            )
    if info["conditions"]:
        groups = [(c["design"], c["when"]) for c in info["conditions"]]
        labels = {
            c["design"]: short_words(c["label"]) for c in info["conditions"] if c.get("label")
        }
        lines += ["", *group_lines(groups, width, labels)]
    return "\n".join(lines)


def _format_infeasible(info: dict[str, Any], width: int) -> list[str]:
    lines = [f"{info['name']}: no design meets the constraints."]
    if info.get("note"):
        lines += wrap_text(f"({info['note']})", 2, 3, width)
    relax = info.get("relaxations", [])
    if relax:
        considered = info.get("considered", info.get("designs", 0))
        head = "Constraints (designs meeting each on its own):"
        if considered != info.get("designs", considered):
            head = (
                "Constraints (overall rows meeting each on its own; band rows count at a power "
                "level):"
            )
        lines += ["", *wrap_text(head, 0, 2, width)]
        for r in relax:
            met = f"met by {r['met_by']:,}" if r.get("met_by") is not None else "met by ?"
            lines.append(f"  {r['constraint']}: {met} of {considered:,}")
        binding = info.get("binding", [])
        if binding:
            lines += ["", "Binding: relaxing any one of these alone makes a design feasible:"]
            lines += [f"  {b}" for b in binding]
        else:
            lines += [
                "",
                *wrap_text(
                    "No single constraint is binding on its own: relax several together "
                    "(see the nearest misses).",
                    0,
                    2,
                    width,
                ),
            ]
        lines += ["", "Smallest single relaxations (the other limits kept):"]
        for r in relax:
            lines += wrap_text(_relax_line(r), 2, 6, width)
    misses = info.get("nearest_misses", [])
    if misses:
        lines += ["", *nearest_miss_lines(misses, info.get("shared"), width)]
    return lines
