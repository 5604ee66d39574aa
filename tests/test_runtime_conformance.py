"""Conformance vectors in tests/conformance/ and the brute-force reference they are checked by.

The reference below re-implements the feasibility rule of docs/plan-format.md
one design at a time, with no precomputation; other runtime tests import it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from carin.runtime import MonitorConfig, PlanError, Switcher

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


def _agg(values, how):
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    total = sum(values)
    return total if how == "sum" else total / len(values)


def ref_factor(slowdown, proc):
    """The factor of ``proc``: the largest given for a name equal to it in lower case, if > 1."""
    best = 1.0
    for name, f in (slowdown or {}).items():
        if isinstance(name, str) and name.lower() == proc and _float(f) > best:
            best = _float(f)
    return best


def ref_latency(plan, design, slowdown):
    """App latency of ``design`` under ``slowdown`` per docs/plan-format.md, or None if unknown."""
    parts = design["parts"]
    procs = [p["processor"].lower() for p in parts]
    lats = [_num(p["latency_ms"]) for p in parts]
    if any(v is None for v in lats):
        nominal = _num(design["metrics"].get(plan["latency"]["metric"]))
        if nominal is None:
            return None
        return nominal * max(ref_factor(slowdown, p) for p in procs)
    slowed = [lat * ref_factor(slowdown, p) for lat, p in zip(lats, procs, strict=True)]
    if plan["latency"]["contention"] == "time-share":
        effective = [
            sum(slowed[j] for j in range(len(parts)) if procs[j] == procs[i])
            for i in range(len(parts))
        ]
    else:
        effective = slowed
    return _agg(effective, plan["latency"]["aggregate"])


def ref_memory(plan, design):
    value = _num(design["metrics"].get(plan["memory"]["metric"]))
    if value is not None:
        return value
    mems = [_num(p["memory_mb"]) for p in design["parts"]]
    if any(v is None for v in mems):
        return None
    return _agg(mems, plan["memory"]["aggregate"])


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
        else:
            value = _num(design["metrics"].get(c["metric"]))
            if value is None and c["metric"] == plan["memory"]["metric"]:
                value = ref_memory(plan, design)
        if value is None:
            return False
        if c["op"] == "<=" and not value <= c["value"]:
            return False
        if c["op"] == ">=" and not value >= c["value"]:
            return False
    if "memory_budget_mb" in cond:
        memory = ref_memory(plan, design)
        if memory is None or not memory <= _float(cond["memory_budget_mb"]):
            return False
    if "latency_budget_ms" in cond:
        if latency is None or not latency <= _float(cond["latency_budget_ms"]):
            return False
    power = cond.get("power_mw")
    if not ref_power_ok(plan, design, None if power is None else _float(power)):
        return False
    return True


def _holds(band, power) -> bool:
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
    if any(b is not None and _holds(b, power) for b in bands):
        return band is not None and _holds(band, power)
    return band is None


def ref_select(plan, conditions):
    """(design id, meets_slo) by scanning the designs best first."""
    for design in plan["designs"]:
        if ref_feasible(plan, design, conditions):
            return design["id"], True
    return plan["fallback"], False


def _run(vector):
    monitor = MonitorConfig.from_dict(vector["monitor"]) if "monitor" in vector else None
    switcher = Switcher.from_dict(vector["plan"], monitor=monitor)
    got = []
    for step in vector["steps"]:
        if "conditions" in step:
            decision = switcher.select(step["conditions"])
        else:
            obs = step["observe"]
            decision = switcher.observe(obs.get("design"), obs["latency_ms"])
        got.append({"design": decision.design_id, "meets_slo": decision.meets_slo})
    return switcher, got


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
        if {"design": vector["plan"]["fallback"], "meets_slo": False} in vector["expected"]:
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
        return
    switcher, got = _run(vector)
    assert got == vector["expected"]
    assert switcher.cache_mismatches == []


@pytest.mark.parametrize("path", DECISIONS, ids=[p.stem for p in DECISIONS])
def test_vector_expectations_match_reference(path):
    """The hand-derived expectations of condition steps agree with the brute-force scan."""
    vector = json.loads(path.read_text())
    plan = vector["plan"]
    for step, expected in zip(vector["steps"], vector["expected"], strict=True):
        if "conditions" in step:
            design, meets = ref_select(plan, step["conditions"])
            assert {"design": design, "meets_slo": meets} == expected, step
    for entry in plan["conditions"]:
        assert ref_select(plan, entry["when"])[0] == entry["design"] or (
            entry["design"] is None and not ref_select(plan, entry["when"])[1]
        )
