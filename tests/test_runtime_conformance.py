"""Conformance vectors in tests/conformance/ and the brute-force reference they are checked by.

The reference below re-implements the feasibility rule of docs/plan-format.md
one design at a time, with no precomputation, in exact rational arithmetic
(``fractions.Fraction``): plan values at the plan's decimals, factors at 6
decimals, limits and budgets as written (Python's ``repr``). Other runtime tests
import it.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path

import conformance_reasons
import pytest

from carin.runtime import PlanError

VECTORS = sorted((Path(__file__).parent / "conformance").glob("*.json"))
DECISIONS = [p for p in VECTORS if "error" not in json.loads(p.read_text())]


def _float(value):
    """A number as a float; integers beyond the float range become infinities."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _num(value):
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return _float(value)
    return None


def _written(x) -> Fraction:
    """A finite limit or budget as written: the shortest decimal that reads back as it."""
    return Fraction(repr(_float(x)))


def _agg(values, how):
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    total = sum(values)
    return total if how == "sum" else total / len(values)


def _decimal_places(value) -> int:
    """Digits after the point of the decimal a float is written as."""
    den = _written(value).denominator
    places = 0
    while 10**places % den:
        places += 1
    return places


def ref_places(plan, column, label, aggregate):
    """Decimal places of a column: the plan's ``decimals``, else the most any of its values is
    written with (at most 12), fewer if the largest value would not fit 2**50 units."""
    given = plan.get("decimals", {}).get(column)
    if given is not None:
        return given
    values = [v for d in plan["designs"] for p in d["parts"] if _num(v := p[column]) is not None]
    app = [v for d in plan["designs"] if _num(v := d["metrics"].get(label)) is not None]
    mean = aggregate == "mean" and len(plan["tasks"]) > 1
    places = min(12, max(map(_decimal_places, values + ([] if mean else app)), default=0))
    top = max(
        [abs(v) for v in values] + [abs(v) * len(plan["tasks"]) ** mean for v in app], default=0
    )
    while places and top * 10**places >= 2**50:
        places -= 1
    return places


def _read(value, places, mult=1):
    """A plan value at ``places`` decimals (a mean over ``mult`` tasks kept as its sum)."""
    scale = 10**places * mult
    return Fraction(round(value * scale), scale)


def ref_factor(slowdown, proc):
    """The factor of ``proc`` at 6 decimals: the largest given for a name equal to it in
    lower case, if > 1; None for an infinite one."""
    best = 1.0
    for name, f in (slowdown or {}).items():
        if isinstance(name, str) and name.lower() == proc and _float(f) > best:
            best = _float(f)
    if best == math.inf or best * 1e6 == math.inf:
        return None
    return Fraction(round(best * 1e6), 10**6)


def ref_latency(plan, design, slowdown):
    """Exact app latency of ``design`` under ``slowdown`` (a Fraction, inf, or None if unknown)."""
    lat = plan["latency"]
    places = ref_places(plan, "latency_ms", lat["metric"], lat["aggregate"])
    parts = design["parts"]
    procs = [p["processor"].lower() for p in parts]
    factors = [ref_factor(slowdown, p) for p in procs]
    if any(_num(p["latency_ms"]) is None for p in parts):
        nominal = _num(design["metrics"].get(lat["metric"]))
        if nominal is None:
            return None
        k = len(plan["tasks"]) if lat["aggregate"] == "mean" else 1
        if any(f is None for f in factors):
            return math.inf
        return _read(nominal, places, k) * max(factors)
    effective = ref_effective(plan, design, slowdown)
    return _agg(effective, lat["aggregate"])


def ref_effective(plan, design, slowdown):
    """Exact effective latency of each part (slowed, then time-shared)."""
    lat = plan["latency"]
    places = ref_places(plan, "latency_ms", lat["metric"], lat["aggregate"])
    parts = design["parts"]
    procs = [p["processor"].lower() for p in parts]
    slowed = []
    for p, proc in zip(parts, procs, strict=True):
        f = ref_factor(slowdown, proc)
        slowed.append(math.inf if f is None else _read(p["latency_ms"], places) * f)
    if lat["contention"] == "time-share":
        return [
            sum(slowed[j] for j in range(len(parts)) if procs[j] == procs[i])
            for i in range(len(parts))
        ]
    return slowed


def ref_memory(plan, design):
    mem = plan["memory"]
    places = ref_places(plan, "memory_mb", mem["metric"], mem["aggregate"])
    k = len(plan["tasks"]) if mem["aggregate"] == "mean" else 1
    value = _num(design["metrics"].get(mem["metric"]))
    if value is not None:
        return _read(value, places, k)
    mems = [_num(p["memory_mb"]) for p in design["parts"]]
    if any(v is None for v in mems):
        return None
    return _agg([_read(v, places) for v in mems], mem["aggregate"])


def _metric(plan, design, metric):
    """An app-level metric named by a constraint: exact when the plan gives its decimals."""
    value = _num(design["metrics"].get(metric))
    match = re.fullmatch(r"(max|min|sum|mean)\((.+)\)", metric)
    column = match.group(2) if match else metric
    places = plan.get("decimals", {}).get(column)
    if value is None or places is None:
        return value
    k = len(plan["tasks"]) if match and match.group(1) == "mean" else 1
    return _read(value, places, k)


def _within(value, budget) -> bool:
    """``value <= budget`` with the budget as written (an infinite one as it is)."""
    if value is None or budget != budget:
        return False
    return value <= budget if math.isinf(budget) else value <= _written(budget)


def _holds(value, op, limit):
    if isinstance(value, float) and math.isfinite(value):
        return value <= limit if op == "<=" else value >= limit
    return value <= _written(limit) if op == "<=" else value >= _written(limit)


def ref_feasible(plan, design, conditions):
    cond = conditions or {}
    procs = {p["processor"].lower() for p in design["parts"]}
    gone = cond.get("unavailable", ())
    if isinstance(gone, str):
        gone = [gone]
    if procs & {name.lower() for name in gone if isinstance(name, str)}:
        return False
    slowdown = cond.get("slowdown")
    latency = ref_latency(plan, design, slowdown)
    for c in plan["constraints"]:
        if c["metric"] == plan["latency"]["metric"]:
            # an upper limit holds the slowed latency; a lower one the nominal latency
            value = latency if c["op"] == "<=" else ref_latency(plan, design, None)
        elif c["metric"] == plan["memory"]["metric"]:
            value = ref_memory(plan, design)
        else:
            value = _metric(plan, design, c["metric"])
        if value is None or not _holds(value, c["op"], c["value"]):
            return False
    for part, effective in zip(
        design["parts"], ref_effective_or_none(plan, design, slowdown), strict=True
    ):
        limit = part.get("max_latency_ms")
        if limit is not None and (effective is None or not effective <= _written(limit)):
            return False
    if "memory_budget_mb" in cond:
        if not _within(ref_memory(plan, design), _float(cond["memory_budget_mb"])):
            return False
    if "latency_budget_ms" in cond:
        if not _within(latency, _float(cond["latency_budget_ms"])):
            return False
    power = cond.get("power_mw")
    if not ref_power_ok(plan, design, None if power is None else _float(power)):
        return False
    return True


def ref_effective_or_none(plan, design, slowdown):
    if any(_num(p["latency_ms"]) is None for p in design["parts"]):
        return [None] * len(design["parts"])
    return ref_effective(plan, design, slowdown)


def _in_band(band, power) -> bool:
    # [lo, hi) with hi null meaning no upper bound, so even an infinite power is in
    return band[0] <= power and (band[1] is None or power < band[1])


def ref_power_ok(plan, design, power) -> bool:
    """Banded designs whose band holds the power level win over unbanded ones; with no
    power level (None or NaN) the unbanded ones count (all, if the plan has none)."""
    bands = [d.get("power_band_mw") for d in plan["designs"]]
    if (
        all(b is None for b in bands)
        or all(b is not None for b in bands)
        and (power is None or power != power)
    ):
        return True
    band = design.get("power_band_mw")
    if power is None or power != power:
        return band is None
    if any(b is not None and _in_band(b, power) for b in bands):
        return band is not None and _in_band(band, power)
    return band is None


def ref_select(plan, conditions):
    """(design id, meets_slo) by scanning the designs best first."""
    for design in plan["designs"]:
        if ref_feasible(plan, design, conditions):
            return design["id"], True
    return plan["fallback"], False


_run = conformance_reasons.run_vector


def _decision(expected):
    return {"design": expected["design"], "meets_slo": expected["meets_slo"]}


def test_there_are_enough_vectors():
    assert len(VECTORS) >= 30
    assert len(VECTORS) - len(DECISIONS) >= 15  # malformed plans, each naming its field
    kinds = set()
    for path in DECISIONS:
        vector = json.loads(path.read_text())
        for step in vector["steps"]:
            kinds.update(step.get("conditions", {}).keys())
            if "observe" in step:
                kinds.add("observe")
        if len(vector["plan"]["tasks"]) > 1:
            kinds.add("multi-dnn")
        if vector["plan"]["fallback"] is None:
            kinds.add("no-fallback")
        if {"design": vector["plan"]["fallback"], "meets_slo": False} in map(
            _decision, vector["expected"]
        ):
            kinds.add("flagged-fallback")
        if any(
            not e["meets_slo"]
            for e, s in zip(vector["expected"], vector["steps"], strict=True)
            if "observe" in s
        ):
            kinds.add("monitor-to-fallback")
    assert kinds >= {
        "unavailable",
        "memory_budget_mb",
        "slowdown",
        "latency_budget_ms",
        "power_mw",
        "observe",
        "multi-dnn",
        "no-fallback",
        "flagged-fallback",
        "monitor-to-fallback",
    }


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path):
    vector = json.loads(path.read_text())
    assert vector["why"], "each vector explains how its expectations were derived"
    assert len(vector["steps"]) == len(vector["expected"])
    if "error" in vector:
        field = vector["error"]["field"]
        with pytest.raises(PlanError) as info:
            _run(vector)
        assert str(info.value).startswith(field + ": "), str(info.value)
        if "message" in vector["error"]:  # the whole text, where a port must give it too
            assert str(info.value) == vector["error"]["message"]
        return
    switcher, got = _run(vector)
    assert got == vector["expected"]
    assert switcher.cache_mismatches == []
    # select_cached gives the same decisions (and reasons), table hit or not
    assert _run(vector, cached=True)[1] == vector["expected"]


@pytest.mark.parametrize("path", DECISIONS, ids=[p.stem for p in DECISIONS])
def test_vector_expectations_match_reference(path):
    """The hand-derived expectations of condition steps agree with the brute-force scan."""
    vector = json.loads(path.read_text())
    plan = vector["plan"]
    for step, expected in zip(vector["steps"], vector["expected"], strict=True):
        if "conditions" in step:
            design, meets = ref_select(plan, step["conditions"])
            assert {"design": design, "meets_slo": meets} == _decision(expected), step
    for entry in plan["conditions"]:
        assert ref_select(plan, entry["when"])[0] == entry["design"] or (
            entry["design"] is None and not ref_select(plan, entry["when"])[1]
        )


def test_reason_script_checks_and_rewrites(tmp_path, monkeypatch, capsys):
    """tests/conformance_reasons.py finds a stale reason and restores the file exactly."""
    import shutil

    vector = next(p for p in DECISIONS if '"reason"' in p.read_text())
    folder = tmp_path / "conformance"
    folder.mkdir()
    copy = folder / vector.name
    shutil.copy(vector, copy)
    monkeypatch.setattr(conformance_reasons, "HERE", tmp_path)
    assert conformance_reasons.main(["--check"]) == 0
    data = json.loads(copy.read_text())
    data["expected"][0]["reason"] = "stale wording"
    copy.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    assert conformance_reasons.main(["--check"]) == 1
    assert conformance_reasons.main([]) == 0
    assert copy.read_bytes() == vector.read_bytes()
    data["expected"][0]["design"] = "no-such-design"
    copy.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    assert conformance_reasons.main([]) == 2  # a hand-made answer is never overwritten
    assert "step 0" in capsys.readouterr().out
