"""Property tests: select agrees with a brute-force scan for random plans and conditions."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_runtime_conformance import ref_feasible, ref_select

from carin.runtime import PlanError, Switcher, validate_plan

PROCS = ["cpu", "gpu", "npu", "dsp"]
# values on a coarse grid so that ties and exact boundaries are common
LAT = st.sampled_from([0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 8.0, 10.0, 12.5, 20.0, 33.3])
MEM = st.sampled_from([1.0, 5.0, 10.0, 12.5, 20.0, 40.0, 80.0])
FACTOR = st.sampled_from([0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 10.0])
POWER = st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.0, 3.5, 10.0])
INF = st.just(float("inf"))


@st.composite
def plans(draw):
    tasks = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    n = draw(st.integers(1, 14))
    designs = []
    for rank in range(n):
        parts = []
        for task in tasks:
            parts.append(
                {
                    "task": task,
                    "processor": draw(st.sampled_from(PROCS + ["CPU", "Gpu"])),
                    "latency_ms": draw(st.one_of(LAT, st.none()) if draw(st.booleans()) else LAT),
                    "memory_mb": draw(st.one_of(MEM, st.none()) if draw(st.booleans()) else MEM),
                    "config": {"model": f"m{rank}"},
                }
            )
        metrics = {"accuracy": draw(st.sampled_from([60.0, 65.0, 70.0, 75.0]))}
        if draw(st.booleans()):
            metrics["latency_ms"] = draw(LAT)
        if draw(st.booleans()):
            metrics["memory_mb"] = draw(MEM)
        design = {
            "id": f"d{rank}",
            "rank": rank,
            "pareto": True,
            "parts": parts,
            "metrics": metrics,
        }
        if draw(st.integers(0, 3)) == 0:
            lo = draw(POWER)
            hi = draw(st.one_of(st.none(), POWER.filter(lambda v, lo=lo: v >= lo)))
            design["power_band_mw"] = [lo, hi]
        designs.append(design)
    constraints = []
    if draw(st.booleans()):
        constraints.append({"metric": "latency_ms", "op": "<=", "value": draw(LAT)})
    if draw(st.booleans()):
        constraints.append({"metric": "latency_ms", "op": "<=", "value": draw(LAT)})
    if draw(st.booleans()):
        constraints.append({"metric": "accuracy", "op": ">=", "value": 65.0})
    if draw(st.booleans()):
        constraints.append({"metric": "memory_mb", "op": "<=", "value": draw(MEM)})
    cpu_only = [d["id"] for d in designs if {p["processor"] for p in d["parts"]} == {"cpu"}]
    return {
        "format": "carin-plan/1",
        "name": "random",
        "objectives": [{"metric": "accuracy", "goal": "max"}],
        "constraints": constraints,
        "latency": {
            "metric": "latency_ms",
            "aggregate": draw(st.sampled_from(["max", "sum", "mean", "min"])),
            "contention": draw(st.sampled_from(["time-share", "none"])),
        },
        "memory": {"metric": "memory_mb", "aggregate": draw(st.sampled_from(["sum", "max"]))},
        "tasks": tasks,
        "designs": designs,
        "primary": "d0",
        "fallback": cpu_only[0] if cpu_only else None,
        "conditions": [],
    }


@st.composite
def conditions(draw):
    cond = {}
    if draw(st.booleans()):
        cond["unavailable"] = draw(st.lists(st.sampled_from(PROCS + ["tpu"]), max_size=3))
    if draw(st.booleans()):
        cond["memory_budget_mb"] = draw(st.one_of(MEM, st.floats(0, 200, allow_nan=False), INF))
    if draw(st.booleans()):
        cond["slowdown"] = draw(st.dictionaries(st.sampled_from(PROCS), FACTOR, max_size=4))
    if draw(st.booleans()):
        cond["latency_budget_ms"] = draw(st.one_of(LAT, st.floats(0, 100, allow_nan=False), INF))
    if draw(st.booleans()):
        cond["power_mw"] = draw(st.one_of(POWER, st.floats(0, 20, allow_nan=False), INF))
    return cond


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), conds=st.lists(conditions(), min_size=1, max_size=6))
def test_select_is_best_ranked_feasible(plan, conds):
    switcher = Switcher.from_dict(plan)
    for cond in conds:
        decision = switcher.select(cond)
        assert (decision.design_id, decision.meets_slo) == ref_select(plan, cond), cond
        assert switcher.current is decision


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), conds=st.lists(conditions(), min_size=1, max_size=4))
def test_plan_condition_table_is_used_and_checked(plan, conds):
    """A plan's precomputed answers filled from the reference load without mismatches."""
    plan = copy.deepcopy(plan)
    # a plan holds finite numbers only (JSON has no infinity) and factors >= 1
    plan["conditions"] = [
        {
            "when": {
                k: v
                for k, v in c.items()
                if (k != "slowdown" or all(f >= 1 for f in v.values()))
                and (not isinstance(v, float) or math.isfinite(v))
            },
            "design": None,
        }
        for c in conds
    ]
    for entry in plan["conditions"]:
        design, meets = ref_select(plan, entry["when"])
        entry["design"] = design if meets else None
    switcher = Switcher.from_dict(plan)
    assert switcher.cache_mismatches == []
    for entry in plan["conditions"]:
        decision = switcher.select_cached(entry["when"])
        assert decision.meets_slo == (entry["design"] is not None)
        if entry["design"] is not None:
            assert decision.design_id == entry["design"]


@settings(max_examples=100, deadline=None)
@given(plan=plans(), cond=conditions())
def test_reason_names_the_exclusions(plan, cond):
    decision = Switcher.from_dict(plan).select(cond)
    reason = decision.reason
    assert isinstance(reason, str) and reason
    if decision.meets_slo and decision.rank:
        assert "d0 (" in reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), cond=conditions())
def test_why_infeasible_agrees_with_the_scan(plan, cond):
    """The per-design explanation names a reason exactly for the designs the scan rejects."""
    switcher = Switcher.from_dict(plan)
    for rank, design in enumerate(plan["designs"]):
        why = switcher.why_infeasible(rank, cond)
        assert (why is None) == ref_feasible(plan, design, cond), (rank, why)


WILD = st.floats(allow_nan=True, allow_infinity=True)
# integers beyond the float range are well-typed numbers too
HUGE = st.sampled_from([10**400, -(10**400), 10**309, 2**1024 - 1])


@st.composite
def wild_conditions(draw):
    """Well-typed but odd: any float (NaN, infinities, negatives), unknown processor names."""
    names = st.one_of(
        st.sampled_from(PROCS + [p.upper() for p in PROCS] + ["Gpu", "nPu"]),
        st.text(min_size=1, max_size=4),
    )
    cond = {}
    if draw(st.booleans()):
        cond["unavailable"] = draw(st.lists(names, max_size=3))
    if draw(st.booleans()):
        cond["slowdown"] = draw(st.dictionaries(names, st.one_of(WILD, HUGE), max_size=4))
    for key in ("memory_budget_mb", "latency_budget_ms", "power_mw"):
        if draw(st.booleans()):
            cond[key] = draw(st.one_of(WILD, HUGE))
    return cond


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), conds=st.lists(wild_conditions(), min_size=1, max_size=4))
def test_select_never_raises_and_still_agrees_on_odd_values(plan, conds):
    switcher = Switcher.from_dict(plan)
    for cond in conds:
        decision = switcher.select(cond)
        assert (decision.design_id, decision.meets_slo) == ref_select(plan, cond), cond
        assert isinstance(decision.reason, str)


# ---------------------------------------------------------------- validator vs JSON Schema
SCHEMA = jsonschema.Draft202012Validator(
    json.loads((Path(__file__).resolve().parents[1] / "docs/plan.schema.json").read_text())
)
SEEDS = [
    json.loads(p.read_text())["plan"]
    for p in sorted((Path(__file__).parent / "conformance").glob("*.json"))
    if "error" not in json.loads(p.read_text())
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(["", "x", "cpu", "CPU", "d0", "d1", "<=", "max", "main", "carin-plan/1"]),
    st.integers(-3, 3),
    st.sampled_from([-1.5, 0.0, 0.5, 2.0, 1e308, float("nan"), float("inf"), 10**400]),
    # fresh containers each time: a later mutation may edit inside them
    st.builds(list),
    st.builds(dict),
    st.builds(lambda: [1.0, None]),
    st.builds(lambda: {"unavailable": ["npu"]}),
)


def _paths(obj, prefix=()):
    """Every (container path, key) in a JSON-like object."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix, k
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix, i
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated_plans(draw):
    plan = copy.deepcopy(draw(st.one_of(st.sampled_from(SEEDS), plans())))
    for _ in range(draw(st.integers(1, 3))):
        where, key = draw(st.sampled_from(list(_paths(plan))))
        target = plan
        for k in where:
            target = target[k]
        if isinstance(target, dict) and draw(st.integers(0, 4)) == 0:
            del target[key]
        else:
            target[key] = draw(ODD)
    return plan


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=mutated_plans())
def test_every_plan_the_validator_accepts_passes_the_schema(plan):
    """``validate_plan`` is at least as strict as docs/plan.schema.json."""
    try:
        validate_plan(plan)
    except PlanError:
        return
    SCHEMA.validate(plan)
