"""The switcher decides on the decimals as the exact solver does (docs/plan-format.md).

Tie-heavy decimal specs (sums of 0.1 and 0.2, slowdowns 3 x 0.1 against 0.3,
memory budgets at exact sums, time-share and none, task latency limits) are
solved; every plan must be written, and under anticipated and unanticipated
condition sets the switcher must pick the best-ranked plan design that the
solver's own reference semantics (``DesignSpace.evaluate``) calls feasible.
"""

from __future__ import annotations

import itertools
import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import carin
from carin.cli import main
from carin.errors import InfeasibleError
from carin.runtime import PlanError, Switcher
from carin.runtime._exact import factor_units, limit_units, written_decimal

TIE_CSV = """model,precision,processor,task,latency_ms,accuracy
a,int8,npu,t0,0.1,50
b,int8,npu,t1,0.2,60
c,int8,cpu,t1,0.5,40
"""
TIE_SPEC = """name: tie
profiles: t.csv
tasks:
  - {name: t0, where: {task: t0}}
  - {name: t1, where: {task: t1}}
objectives: ["max mean(accuracy)"]
constraints: ["max(latency_ms) <= 0.3"]
anticipate:
  slowdown: {npu: 3}
  latency_budget_ms: [0.3]
"""


def test_the_time_share_tie_is_solved_written_and_switched(tmp_path, capsys):
    """0.1 + 0.2 on the npu meets max(latency_ms) <= 0.3 (binary floats say 0.30000000000000004)."""
    (tmp_path / "t.csv").write_text(TIE_CSV)
    (tmp_path / "s.yaml").write_text(TIE_SPEC)
    assert main(["solve", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]) == 0
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan["decimals"] == {"latency_ms": 1}
    first = plan["designs"][0]
    assert {p["config"]["model"] for p in first["parts"]} == {"a", "b"}
    assert first["metrics"]["max(latency_ms)"] == 0.3
    switcher = Switcher.from_dict(plan)
    assert switcher.select({}).design_id == "d0"
    assert switcher.select({"latency_budget_ms": 0.3}).design_id == "d0"
    assert switcher.select({"latency_budget_ms": 0.29999999999999}).design_id != "d0"
    assert not switcher.select({"slowdown": {"npu": 3.0}}).meets_slo
    for entry in plan["conditions"]:
        decision = switcher.select(entry["when"])
        assert (decision.design_id if decision.meets_slo else None) == entry["design"]


def test_one_part_slowed_three_times_meets_its_limit_exactly(tmp_path):
    """0.1 x 3 is 0.30000000000000004 in binary floats, 0.3 here (spec and run time alike)."""
    (tmp_path / "t.csv").write_text(
        "model,precision,processor,latency_ms,memory_mb,accuracy\n"
        "a,int8,npu,0.1,0.1,70\nb,int8,cpu,0.3,0.2,60\nc,int8,cpu,0.4,0.3,50\n"
    )
    (tmp_path / "s.yaml").write_text(
        "name: one\nprofiles: t.csv\nobjectives: [max accuracy]\n"
        'constraints: ["latency_ms <= 0.3"]\n'
        "anticipate:\n  slowdown: {npu: 3, cpu: 1.5}\n  memory_budget_mb: [0.1]\n"
    )
    result = carin.solve(tmp_path / "s.yaml")
    plan = result.plan
    switcher = Switcher.from_dict(plan)
    by_model = {d["parts"][0]["config"]["model"]: d["id"] for d in plan["designs"]}
    assert switcher.select({"slowdown": {"npu": 3.0}}).design_id == by_model["a"]
    assert switcher.select({"slowdown": {"npu": 3.0000001}}).design_id == by_model["a"]
    assert switcher.select({"slowdown": {"npu": 3.000001}}).design_id == by_model["b"]
    assert (
        switcher.select({"latency_budget_ms": 0.1, "slowdown": {"npu": 1.0000004}}).design_id
        == (by_model["a"])
    )
    _check_against_solver(result, _conditions(plan, random.Random(0), 150))


LAT = ["0.1", "0.2", "0.3", "0.4", "0.6", "0.7", "1.1", "2.2"]
MEM = ["0.1", "0.2", "0.3", "0.7", "1.1"]
FACTORS = [3, 1.5, 1.1, 2, 1.25]


def _tie_spec(tmp_path: Path, seed: int) -> Path:
    """A random decimal table and spec whose limits are exact sums of its values."""
    rng = random.Random(seed)
    tasks = rng.choice([1, 2, 3])
    procs = ["npu", "gpu", "cpu"]
    rows = ["model,precision,processor,task,latency_ms,memory_mb,accuracy"]
    for t in range(tasks):
        for i in range(rng.randint(3, 6)):
            rows.append(
                f"m{t}{i},int8,{rng.choice(procs)},t{t},{rng.choice(LAT)},{rng.choice(MEM)},"
                f"{rng.choice(['50', '60.1', '60.3', '70.2', '80'])}"
            )
    rows.append("fb,int8,cpu,t0,0.1,0.1,40")
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    agg = rng.choice(["max", "sum", "mean"])
    limit = {"max": "0.3", "sum": "0.6", "mean": "0.2"}[agg] if tasks > 1 else "0.3"
    lat = f"{agg}(latency_ms)" if tasks > 1 else "latency_ms"
    mem = "sum(memory_mb)" if tasks > 1 else "memory_mb"
    constraints = [f"{lat} <= {rng.choice([limit, '1.1', '3.3'])}"]
    if rng.random() < 0.5:
        constraints.append(f"{mem} <= {rng.choice(['0.3', '0.6', '1.1'])}")
    objectives = ["max mean(accuracy)" if tasks > 1 else "max accuracy", f"min {lat}"]
    lines = [f"name: tie{seed}", "profiles: t.csv"]
    if tasks > 1:
        lines.append("tasks:")
        for t in range(tasks):
            limited = t == 0 and rng.random() < 0.4
            extra = ', constraints: ["latency_ms <= 0.3"]' if limited else ""
            lines.append(f"  - {{name: t{t}, where: {{task: t{t}}}{extra}}}")
        lines.append(f"contention: {rng.choice(['time-share', 'none'])}")
    else:
        lines.append("where: {task: t0}")
    lines += [f"objectives: {json.dumps(objectives)}", f"constraints: {json.dumps(constraints)}"]
    lines += [
        "anticipate:",
        "  slowdown: {npu: 3, gpu: 1.5}",
        "  memory_budget_mb: [0.3, 0.6]",
        "  latency_budget_ms: [0.3]",
        "  processor_unavailable: [npu]",
    ]
    (tmp_path / "s.yaml").write_text("\n".join(lines) + "\n")
    return tmp_path / "s.yaml"


def _exact_values(plan: dict) -> tuple[list[float], list[float]]:
    """Exact latencies (nominal and under a few factors) and memories of the plan's parts'
    sums, as floats: budgets that tie with some design only in exact arithmetic."""
    lats, mems = set(), set()
    for design in plan["designs"]:
        parts = design["parts"]
        for r in range(1, len(parts) + 1):
            for combo in itertools.combinations(parts, r):
                mems.add(sum(Fraction(repr(p["memory_mb"])) for p in combo))
                for f in [1, *FACTORS]:
                    lats.add(sum(Fraction(repr(p["latency_ms"])) for p in combo) * Fraction(f))
    short = [v for v in lats | mems if (v * 1000).denominator == 1]
    return sorted(float(v) for v in short if v in lats), sorted(float(v) for v in mems)


def _conditions(plan: dict, rng: random.Random, count: int) -> list[dict]:
    """The plan's anticipated condition sets, then random unanticipated combinations."""
    lats, mems = _exact_values(plan)
    procs = sorted({p["processor"] for d in plan["designs"] for p in d["parts"]})
    out = [entry["when"] for entry in plan["conditions"]]
    for _ in range(count):
        cond: dict = {}
        if rng.random() < 0.3:
            cond["unavailable"] = rng.sample(procs, rng.randint(1, len(procs)))
        if rng.random() < 0.4:
            cond["memory_budget_mb"] = rng.choice(mems)
        if rng.random() < 0.6:
            cond["slowdown"] = {p: float(rng.choice(FACTORS)) for p in rng.sample(procs, 1)}
        if rng.random() < 0.5:
            cond["latency_budget_ms"] = rng.choice(lats)
        out.append(cond)
    return out


def _check_against_solver(result, conditions: list[dict]) -> None:
    """For each condition set, the switcher's design is the best-ranked plan design that the
    solver's exact semantics (``DesignSpace.evaluate``) calls feasible under it."""
    switcher = Switcher.from_dict(result.plan)
    space, designs = result.space, np.asarray(result.designs)
    for cond in conditions:
        feasible = np.flatnonzero(space.evaluate(designs, cond).feasible)
        want = f"d{feasible[0]}" if len(feasible) else None
        decision = switcher.select(cond)
        assert (decision.design_id if decision.meets_slo else None) == want, cond


@pytest.mark.parametrize("seed", range(24))
def test_tie_heavy_specs_plan_and_switch_as_the_solver_decides(tmp_path, seed):
    spec = _tie_spec(tmp_path, seed)
    try:
        result = carin.solve(spec)
    except InfeasibleError:
        pytest.skip("nothing feasible for this seed")
    plan = result.plan
    assert plan["decimals"]["latency_ms"] == 1 and plan["decimals"]["memory_mb"] == 1
    for (_, pos), entry in zip(result.conditions, plan["conditions"], strict=True):
        assert entry["design"] == (None if pos is None else f"d{pos}")
    _check_against_solver(result, _conditions(plan, random.Random(seed), 60))


def test_most_tie_specs_are_feasible_and_hold_part_limits(tmp_path):
    """The parametrised cases above are not mostly skipped, and cover a task's own limit."""
    solved = limited = 0
    for seed in range(24):
        folder = tmp_path / str(seed)
        folder.mkdir()
        try:
            plan = carin.solve(_tie_spec(folder, seed)).plan
        except InfeasibleError:
            continue
        solved += 1
        limited += any("max_latency_ms" in p for p in plan["designs"][0]["parts"])
    assert solved >= 18 and limited >= 3, (solved, limited)


# ---------------------------------------------------------------- the reading rules


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("0.3", (3, 1)),
        ("25", (25, 0)),
        ("-1.25", (-125, 2)),
        ("123456.789012345", (123456789012345, 9)),
        ("1e-7", (1, 7)),
        ("0.30000000000000004", None),  # 17 significant digits: read as the binary value
        ("1e+300", None),
    ],
)
def test_a_limit_is_read_as_written(text, decimal):
    assert written_decimal(float(text)) == decimal
    if decimal is not None:
        assert Fraction(decimal[0], 10 ** decimal[1]) == Fraction(repr(float(text)))


def test_limit_units_floor_and_ceil_as_written():
    assert limit_units(0.3, 10) == 3 and limit_units(0.3, 10, ">=") == 3
    assert limit_units(0.35, 10) == 3 and limit_units(0.35, 10, ">=") == 4
    assert limit_units(4.35, 100) == 435  # 4.35 * 100 is 434.99999999999994 in binary floats
    assert limit_units(0.2, 3 * 10) == 6  # a mean over 3 tasks, compared as the sum
    assert limit_units(-0.5, 10) == -5 and limit_units(float("inf"), 10) == float("inf")
    # a value that is no short decimal is read as its exact binary value
    x = 0.1 + 0.2
    assert limit_units(x, 10**17) == (Fraction(x) * 10**17).__floor__()


def test_factor_rule_is_six_decimals_half_even_and_never_raises():
    assert factor_units(3.0) == 3_000_000 and factor_units(1.5) == 1_500_000
    assert factor_units(1.0000004) == 1_000_000 and factor_units(1.0000006) == 1_000_001
    assert factor_units(0.5) == factor_units(float("nan")) == 1_000_000
    assert factor_units(float("inf")) == float("inf") and factor_units(1e308) == float("inf")
    limit = [{"metric": "latency_ms", "op": "<=", "value": 1.0}]
    switcher = Switcher.from_dict(_small_plan(constraints=limit))
    for f in (10**400, float("inf"), 1e308, 1e300, 2.0**60):
        decision = switcher.select({"slowdown": {"npu": f}, "latency_budget_ms": 10**400})
        assert decision.design_id == "d1"  # the npu design is (infinitely) slowed, the cpu holds
        assert switcher.select({"slowdown": {"npu": f}}).design_id == "d1"
    # with no limit at all, a slowdown (even an infinite one) excludes nothing
    free = Switcher.from_dict(_small_plan())
    assert free.select({"slowdown": {"npu": float("inf")}}).design_id == "d0"
    big = free.select({"slowdown": {"npu": 1e300}, "latency_budget_ms": 1e300})
    assert big.design_id == "d0"  # about 1e299 ms, within a budget of 1e300
    assert free.select(
        {"slowdown": {"npu": float("inf")}, "latency_budget_ms": 1e300}
    ).design_id == ("d1")


def _small_plan(**extra) -> dict:
    designs = []
    for i, (proc, lat, mem) in enumerate([("npu", 0.1, 0.2), ("cpu", 0.3, 0.1)]):
        designs.append(
            {
                "id": f"d{i}",
                "rank": i,
                "pareto": True,
                "parts": [{"task": "main", "processor": proc, "latency_ms": lat, "memory_mb": mem}],
                "metrics": {"latency_ms": lat, "memory_mb": mem},
            }
        )
    plan = {
        "format": "carin-plan/1",
        "name": "small",
        "objectives": [{"metric": "latency_ms", "goal": "min"}],
        "constraints": [],
        "latency": {"metric": "latency_ms", "aggregate": "max", "contention": "none"},
        "memory": {"metric": "memory_mb", "aggregate": "max"},
        "tasks": ["main"],
        "designs": designs,
        "primary": "d0",
        "fallback": "d1",
        "conditions": [],
    }
    plan.update(extra)
    return plan


def test_plans_without_decimals_derive_them_and_decide_alike():
    plan = _small_plan()
    with_field = Switcher.from_dict({**plan, "decimals": {"latency_ms": 3, "memory_mb": 1}})
    without = Switcher.from_dict(plan)
    for cond in [
        {"slowdown": {"npu": 3.0}, "latency_budget_ms": 0.3},
        {"slowdown": {"npu": 3.0}, "latency_budget_ms": 0.2999},
        {"memory_budget_mb": 0.2},
        {"memory_budget_mb": 0.19},
    ]:
        assert with_field.select(cond).design_id == without.select(cond).design_id
    assert without.select({"slowdown": {"npu": 3.0}, "latency_budget_ms": 0.3}).design_id == "d0"
    assert without.select({"memory_budget_mb": 0.19}).design_id == "d1"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"decimals": {"latency_ms": 13}},
            "decimals.latency_ms",
            "expected an integer from 0 to 12",
        ),
        ({"decimals": {"memory_mb": True}}, "decimals.memory_mb", "expected an integer"),
        ({"decimals": [1]}, "decimals", "expected an object"),
        ({"decimals": {"latency_ms": 0}}, "designs[0].parts[0].latency_ms", "rounds to 0"),
        ({"decimals": {"latency_ms": 12}, "name": "x"}, None, None),
    ],
)
def test_the_decimals_field_is_checked(change, field, message):
    plan = _small_plan(**change)
    if field is None:
        Switcher.from_dict(plan)
        return
    with pytest.raises(PlanError) as info:
        Switcher.from_dict(plan)
    assert str(info.value).startswith(f"{field}: ") and message in str(info.value)


def test_values_beyond_the_exact_range_are_refused():
    plan = _small_plan(decimals={"latency_ms": 12, "memory_mb": 1})
    plan["designs"][1]["parts"][0]["latency_ms"] = 5000.0  # 5e15 units of 10^-12
    with pytest.raises(PlanError, match=r"^designs\[1\]\.parts\[0\]\.latency_ms: .*exact range"):
        Switcher.from_dict(plan)
    del plan["decimals"]  # derived: fewer places are taken, and 5000 fits
    assert Switcher.from_dict(plan).select({"latency_budget_ms": 0.1}).design_id == "d0"
