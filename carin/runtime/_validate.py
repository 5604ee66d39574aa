"""Hand-written validation of ``carin-plan/1`` plans and of condition sets.

The JSON Schema in ``docs/plan.schema.json`` describes the same structure; this
module exists because the runtime may use only the standard library. It is at
least as strict as the schema (every plan it accepts passes the schema) and also
checks what a schema cannot: every number is finite, ranks equal list
positions, ids are unique, ``parts`` follow ``tasks``, every referenced design
id exists, the primary is the rank-0 design, the fallback runs on the CPU only,
an objective's tolerance is not negative and its weight positive, latencies are positive and memory is not negative. Whether the plan's precomputed
``conditions`` agree with the switcher is checked by
:func:`carin.runtime.validate_plan`, which builds a switcher.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._errors import PlanError

PLAN_FORMAT = "carin-plan/1"
GOALS = ("min", "max")
OPS = ("<=", ">=")
PREFERENCES = ("lexicographic", "weighted")
AGGREGATES = ("max", "sum", "mean", "min")
CONTENTIONS = ("time-share", "none")
CONDITION_KEYS = ("unavailable", "memory_budget_mb", "slowdown", "latency_budget_ms", "power_mw")

__all__ = ["PLAN_FORMAT", "CONDITION_KEYS", "check_conditions", "check_plan_structure", "to_float"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fail(where: str, what: str) -> PlanError:
    return PlanError(f"{where}: {what}")


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "expected an object")
    return value


def _list(value: Any, where: str, *, nonempty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "expected a list")
    if nonempty and not value:
        raise _fail(where, "expected a non-empty list")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "expected a string")
    if not value:
        raise _fail(where, "expected a non-empty string")
    return value


def to_float(value: int | float) -> float:
    """``float(value)``, with integers beyond the float range mapped to an infinity."""
    if type(value) is float:
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _num(
    value: Any,
    where: str,
    *,
    nullable: bool = False,
    finite: bool = True,
    minimum: float | None = None,
    positive: bool = False,
) -> float | None:
    if value is None and nullable:
        return None
    if not _is_number(value):
        raise _fail(where, "expected a number or null" if nullable else "expected a number")
    number = to_float(value)
    if finite and not math.isfinite(number):
        raise _fail(where, f"expected a finite number, got {_show(value)}")
    if minimum is not None and not number >= minimum:
        raise _fail(where, f"expected a number >= {minimum:g}, got {_show(value)}")
    if positive and not number > 0.0:
        raise _fail(where, f"expected a number > 0, got {_show(value)}")
    return number


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(where, f"expected one of {', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value


def _required(obj: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise _fail(f"{where}.{key}" if where else key, "missing required field")
    return obj[key]


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def check_conditions(
    obj: Any, where: str = "conditions", *, error: type = PlanError, finite: bool = False
) -> dict:
    """Validate a condition set and return it as a plain dict with normalised values.

    Args:
        obj: The condition set: an object with any of ``unavailable`` (list of
            processor names), ``memory_budget_mb`` (number), ``slowdown`` (object
            processor -> number), ``latency_budget_ms`` (number) and ``power_mw`` (number).
        where: The field path used in error messages.
        error: The exception class to raise (``PlanError`` for plans, ``EventsError``
            for timelines).
        finite: Refuse infinite numbers (plans: JSON has no infinity); otherwise an
            infinite budget or power level (or an integer beyond the float range) is allowed.

    Returns:
        A new dict holding the same keys, numbers as floats and lists as lists of strings.

    Raises:
        PlanError: (or ``error``) naming the field that is wrong and what is allowed.
    """
    try:
        cond = _obj(obj, where)
        out: dict[str, Any] = {}
        for key, value in cond.items():
            here = _join(where, str(key))
            if key == "unavailable":
                names = _list(value, here)
                out[key] = [_str(name, f"{here}[{i}]") for i, name in enumerate(names)]
            elif key == "slowdown":
                factors = _obj(value, here)
                out[key] = {}
                for proc, factor in factors.items():
                    number = _num(factor, f"{here}.{proc}", finite=finite)
                    if not number >= 1.0:
                        raise _fail(f"{here}.{proc}", f"expected a factor >= 1, got {factor!r}")
                    out[key][_str(proc, here)] = number
            elif key in ("memory_budget_mb", "latency_budget_ms", "power_mw"):
                number = _num(value, here, finite=finite)
                if math.isnan(number):
                    raise _fail(here, "expected a number, got NaN")
                out[key] = number
            else:
                raise _fail(here, f"unknown condition; allowed: {', '.join(CONDITION_KEYS)}")
        return out
    except PlanError as exc:
        if error is PlanError:
            raise
        raise error(str(exc)) from None


def _check_metrics(value: Any, where: str, lat_metric: str, mem_metric: str) -> None:
    metrics = _obj(value, where)
    for key, number in metrics.items():
        minimum = 0.0 if key == mem_metric else None
        _num(number, f"{where}.{key}", nullable=True, minimum=minimum, positive=key == lat_metric)


def _check_part(part: Any, where: str, task: str) -> None:
    part = _obj(part, where)
    got = _str(_required(part, "task", where), f"{where}.task")
    if got != task:
        raise _fail(f"{where}.task", f"expected {task!r} (parts follow the order of tasks)")
    _str(_required(part, "processor", where), f"{where}.processor")
    # a latency is positive (a slowdown multiplies it: 0 x inf has no value), memory >= 0
    _num(_required(part, "latency_ms", where), f"{where}.latency_ms", nullable=True, positive=True)
    _num(_required(part, "memory_mb", where), f"{where}.memory_mb", nullable=True, minimum=0.0)
    _num(part.get("max_latency_ms"), f"{where}.max_latency_ms", nullable=True)
    if "config" in part:
        config = _obj(part["config"], f"{where}.config")
        if "asset" in config:
            _str(config["asset"], f"{where}.config.asset")


def _check_design(
    design: Any, where: str, rank: int, tasks: list[str], metrics: tuple[str, str]
) -> str:
    design = _obj(design, where)
    design_id = _str(_required(design, "id", where), f"{where}.id")
    got_rank = _required(design, "rank", where)
    if not isinstance(got_rank, int) or isinstance(got_rank, bool):
        raise _fail(f"{where}.rank", "expected an integer")
    if got_rank != rank:
        raise _fail(f"{where}.rank", f"expected {rank} (designs are listed best first)")
    if not isinstance(_required(design, "pareto", where), bool):
        raise _fail(f"{where}.pareto", "expected true or false")
    parts = _list(_required(design, "parts", where), f"{where}.parts", nonempty=True)
    if len(parts) != len(tasks):
        raise _fail(f"{where}.parts", f"expected {len(tasks)} parts, one per task")
    for i, part in enumerate(parts):
        _check_part(part, f"{where}.parts[{i}]", tasks[i])
    _check_metrics(_required(design, "metrics", where), f"{where}.metrics", *metrics)
    if "power_band_mw" in design:
        here = f"{where}.power_band_mw"
        band = _list(design["power_band_mw"], here)
        if len(band) != 2:
            raise _fail(here, "expected [lo, hi]")
        lo = _num(band[0], f"{here}[0]")
        hi = _num(band[1], f"{here}[1]", nullable=True)
        if hi is not None and not hi >= lo:
            raise _fail(here, "expected lo <= hi")
    return design_id


def check_plan_structure(obj: Any) -> None:
    """Check that ``obj`` is a well-formed ``carin-plan/1`` plan (all but self-consistency).

    Unknown keys are ignored so that later minor additions stay readable.
    :func:`carin.runtime.validate_plan` runs this and then checks that the plan's
    ``conditions`` entries agree with the switcher.

    Args:
        obj: The decoded JSON plan.

    Raises:
        PlanError: naming the first offending field, e.g.
            ``designs[3].parts[0].processor: expected a string``.
    """
    plan = _obj(obj, "plan")
    fmt = _required(plan, "format", "")
    if fmt != PLAN_FORMAT:
        raise _fail("format", f"expected {PLAN_FORMAT!r}, got {fmt!r}")
    _str(_required(plan, "name", ""), "name")
    for i, objective in enumerate(_list(_required(plan, "objectives", ""), "objectives")):
        where = f"objectives[{i}]"
        objective = _obj(objective, where)
        _str(_required(objective, "metric", where), f"{where}.metric")
        _choice(_required(objective, "goal", where), f"{where}.goal", GOALS)
        # optional: the ranking's tolerance (absent or null = none, as in plans before it)
        _num(objective.get("tolerance"), f"{where}.tolerance", nullable=True, minimum=0.0)
        # optional: the weight of a weighted ranking (absent or null = none given)
        _num(objective.get("weight"), f"{where}.weight", nullable=True, positive=True)
    # optional: how the designs were ranked (absent or null = not recorded, as in older plans)
    preference = plan.get("preference")
    if preference is not None:
        _choice(preference, "preference", PREFERENCES)
    # weights belong to a weighted ranking, and a weighted ranking has one per objective
    for i, objective in enumerate(plan["objectives"]):
        weight = objective.get("weight")
        if weight is not None and preference != "weighted":
            raise _fail(
                f"objectives[{i}].weight",
                f"a weight belongs to a weighted ranking; the plan's preference is {preference!r}",
            )
        if weight is None and preference == "weighted":
            raise _fail(
                f"objectives[{i}].weight",
                "missing; a weighted ranking gives every objective a weight",
            )
    for i, constraint in enumerate(_list(_required(plan, "constraints", ""), "constraints")):
        where = f"constraints[{i}]"
        constraint = _obj(constraint, where)
        _str(_required(constraint, "metric", where), f"{where}.metric")
        _choice(_required(constraint, "op", where), f"{where}.op", OPS)
        _num(_required(constraint, "value", where), f"{where}.value")
    latency = _obj(_required(plan, "latency", ""), "latency")
    lat_metric = _str(_required(latency, "metric", "latency"), "latency.metric")
    _choice(_required(latency, "aggregate", "latency"), "latency.aggregate", AGGREGATES)
    _choice(_required(latency, "contention", "latency"), "latency.contention", CONTENTIONS)
    memory = _obj(_required(plan, "memory", ""), "memory")
    # app latency is positive and memory not negative (as a part's, in _check_part)
    app_metrics = (lat_metric, _str(_required(memory, "metric", "memory"), "memory.metric"))
    _choice(_required(memory, "aggregate", "memory"), "memory.aggregate", AGGREGATES)
    if "decimals" in plan:
        decimals = _obj(plan["decimals"], "decimals")
        for column in sorted(decimals):
            places = decimals[column]
            if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 12:
                raise _fail(
                    f"decimals.{column}", f"expected an integer from 0 to 12, got {_show(places)}"
                )
    tasks = _list(_required(plan, "tasks", ""), "tasks", nonempty=True)
    for i, task in enumerate(tasks):
        _str(task, f"tasks[{i}]")
    if len(set(tasks)) != len(tasks):
        raise _fail("tasks", "expected unique task names")
    designs = _list(_required(plan, "designs", ""), "designs", nonempty=True)
    ids: set[str] = set()
    for rank, design in enumerate(designs):
        design_id = _check_design(design, f"designs[{rank}]", rank, tasks, app_metrics)
        if design_id in ids:
            raise _fail(f"designs[{rank}].id", f"duplicate id {design_id!r}")
        ids.add(design_id)
    primary = _str(_required(plan, "primary", ""), "primary")
    if primary not in ids:
        raise _fail("primary", f"unknown design id {primary!r}")
    if primary != designs[0]["id"]:
        raise _fail("primary", f"expected {designs[0]['id']!r}, the rank-0 design, got {primary!r}")
    fallback = _required(plan, "fallback", "")
    if fallback is not None:
        _str(fallback, "fallback")
        if fallback not in ids:
            raise _fail("fallback", f"unknown design id {fallback!r}")
        design = next(d for d in designs if d["id"] == fallback)
        others = sorted({p["processor"].lower() for p in design["parts"]} - {"cpu"})
        if others:
            raise _fail(
                "fallback",
                f"design {fallback!r} runs on {', '.join(others)}; the fallback must run "
                "on the cpu only",
            )
    for i, entry in enumerate(_list(_required(plan, "conditions", ""), "conditions")):
        where = f"conditions[{i}]"
        entry = _obj(entry, where)
        check_conditions(_required(entry, "when", where), f"{where}.when", finite=True)
        design = _required(entry, "design", where)
        if design is not None:
            _str(design, f"{where}.design")
            if design not in ids:
                raise _fail(f"{where}.design", f"unknown design id {design!r}")
