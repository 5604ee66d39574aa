"""Differential cases for runtime ports: random plans, steps and the Python switcher's decisions.

A seeded generator writes random ``carin-plan/1`` plans (one to three tasks, up
to 40 designs, ties, unknown values, power bands, every aggregate and
contention, precomputed condition tables, random monitor settings) with a
sequence of steps each. Four cases in ten are decimal plans built for exact
ties: values such as 0.1, 0.2 and 0.3 (so ``0.1 + 0.2`` meets a limit of
``0.3`` only in exact arithmetic), slowdown factors such as 3 and 1.5, limits and
budgets equal to some design's exact latency or memory under some factors,
tasks' own part limits (``max_latency_ms``), and a ``decimals`` field in most of
them (the others derive it). Steps are condition sets (names in any case, unknown processors,
factors below 1, budgets anywhere) and latency observations (of the current
design, of a named one, of an unknown id, non-positive ones); half the condition
sets are marked ``"cached": true`` and answered by ``select_cached``, some of them
a condition set of the plan's table. For each step it records the Python
switcher's decision (design id, meets-SLO flag, fallback flag, and its
``reason`` text), and after the last step the monitor's estimates as exact
decimal strings (``repr``), so a port can check every decision, every reason
and every bit of its filters, and each design's ``miss_probability`` (a port computes
its own normal distribution function: equal to within 1e-12). A grid of Python's
normal distribution function (``normal_cdf``) checks a port's at 3,000 points.

Run ``python tests/runtime_differential.py --out FILE [--cases 1000] [--seed 15]``;
the same seed writes byte-identical output. The Java tests in
``android/carin-runtime`` read the file (see ``docs/android.md``); the Python
tests in ``tests/test_runtime_differential.py`` check the generator.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carin.runtime import MonitorConfig, Switcher  # noqa: E402

FORMAT = "carin-differential/2"
PROCS = ["cpu", "gpu", "npu", "dsp"]
NAMES = PROCS + ["CPU", "Gpu", "NPU", "tpu"]
GRID = [0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 8.0, 10.0, 12.5, 20.0, 33.3]
MEM = [1.0, 5.0, 10.0, 12.5, 20.0, 40.0, 80.0]
FACTORS = [0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 10.0]
# decimal plans: values whose float sums and products miss their exact decimal results
TIE_LAT = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 1.1, 2.2, 3.3, 0.05, 0.15, 1.35]
TIE_MEM = [0.1, 0.2, 0.3, 0.7, 1.1, 12.3, 4.5]
TIE_FACTORS = [1.1, 1.5, 3.0, 3, 1.2, 2.5, 1.0000004, 1.000001, 7.1]


def _exact(x: float) -> Fraction:
    return Fraction(repr(float(x)))


def _tie_latency(plan: dict, design: dict, factors: dict) -> Fraction | None:
    """Exact app latency of a design whose part latencies are known, under decimal factors."""
    lats = [p["latency_ms"] for p in design["parts"]]
    if any(v is None for v in lats):
        return None
    procs = [p["processor"].lower() for p in design["parts"]]
    # a factor is applied at 6 decimals (docs/plan-format.md)
    slowed = [
        _exact(v) * Fraction(round(max(factors.get(q, 1.0), 1.0) * 1e6), 10**6)
        for v, q in zip(lats, procs, strict=True)
    ]
    if plan["latency"]["contention"] == "time-share":
        slowed = [sum(s for s, q in zip(slowed, procs, strict=True) if q == p) for p in procs]
    how = plan["latency"]["aggregate"]
    if how in ("max", "min"):
        return (max if how == "max" else min)(slowed)
    total = sum(slowed)
    return total if how == "sum" else total / len(slowed)


def _tie_memory(plan: dict, design: dict) -> Fraction | None:
    mems = [p["memory_mb"] for p in design["parts"]]
    if any(v is None for v in mems):
        return None
    values = [_exact(v) for v in mems]
    how = plan["memory"]["aggregate"]
    if how in ("max", "min"):
        return (max if how == "max" else min)(values)
    return sum(values) if how == "sum" else sum(values) / len(values)


def tie_values(plan: dict, rng: random.Random, kind: str) -> list[tuple[float, dict]]:
    """``(value, factors)``: the exact latency (``kind='latency'``) of some of the plan's
    designs under those factors, or their memory (no factors), as floats: limits and budgets
    that tie with a design only in exact arithmetic."""
    out = []
    for design in rng.sample(plan["designs"], min(8, len(plan["designs"]))):
        factors: dict[str, float] = {}
        if kind == "memory":
            value = _tie_memory(plan, design)
        else:
            procs = sorted({p["processor"].lower() for p in design["parts"]})
            if rng.random() < 0.6:
                factors = {rng.choice(procs): rng.choice(TIE_FACTORS)}
            value = _tie_latency(plan, design, factors)
        if value is not None and (value * 10**9).denominator == 1:  # a short decimal
            out.append((float(value), factors))
    return out


def _value(rng: random.Random, grid: list[float], lo: float, hi: float) -> float:
    """A grid value (ties and exact boundaries), a 6-digit one or a full-precision one."""
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(grid)
    value = rng.uniform(lo, hi)
    return float(f"{value:.6g}") if kind < 0.8 else value


def decimal_plan(rng: random.Random) -> dict[str, Any]:
    """A valid plan of short decimals built for exact ties; its conditions table is empty."""
    tasks = ["main"] if rng.random() < 0.4 else [f"t{i}" for i in range(rng.randint(2, 3))]
    procs = rng.sample(PROCS[:3], rng.randint(1, 3)) + ["cpu"]
    designs = []
    for rank in range(rng.randint(2, 30)):
        parts = []
        for task in tasks:
            parts.append(
                {
                    "task": task,
                    "processor": rng.choice(procs),
                    "latency_ms": None if rng.random() < 0.03 else rng.choice(TIE_LAT),
                    "memory_mb": None if rng.random() < 0.03 else rng.choice(TIE_MEM),
                    "config": {"model": f"m{rng.randrange(12)}"},
                }
            )
        metrics: dict[str, Any] = {"accuracy": rng.choice([60.1, 60.3, 65.2, 70.0, 80.4])}
        designs.append(
            {"id": f"d{rank}", "rank": rank, "pareto": True, "parts": parts, "metrics": metrics}
        )
    plan: dict[str, Any] = {
        "format": "carin-plan/1",
        "name": "differential-decimal",
        "objectives": [{"metric": "accuracy", "goal": "max"}],
        "constraints": [],
        "latency": {
            "metric": "latency_ms",
            "aggregate": rng.choice(["max", "sum", "mean", "min"]),
            "contention": rng.choice(["time-share", "time-share", "none"]),
        },
        "memory": {"metric": "memory_mb", "aggregate": rng.choice(["sum", "max", "mean"])},
        "tasks": tasks,
        "designs": designs,
        "primary": "d0",
        "fallback": None,
        "conditions": [],
    }
    if rng.random() < 0.25:
        limit = rng.choice([0.3, 0.6, 0.33, 1.1, 0.45, 0.9])
        for design in designs:
            design["parts"][rng.randrange(len(tasks))]["max_latency_ms"] = limit
    for d in designs:  # app-level values as the solver writes them (parts all known)
        latency, memory = _tie_latency(plan, d, {}), _tie_memory(plan, d)
        if latency is not None and rng.random() < 0.5:
            d["metrics"]["latency_ms"] = float(latency)
        if memory is not None and rng.random() < 0.5:
            d["metrics"]["memory_mb"] = float(memory)
    ties = tie_values(plan, rng, "latency")
    nominal = [v for v, f in ties if not f]
    if nominal and rng.random() < 0.7:
        plan["constraints"].append(
            {"metric": "latency_ms", "op": "<=", "value": rng.choice(nominal)}
        )
    mems = tie_values(plan, rng, "memory")
    if mems and rng.random() < 0.4:
        plan["constraints"].append(
            {"metric": "memory_mb", "op": "<=", "value": rng.choice(mems)[0]}
        )
    if rng.random() < 0.4:
        plan["constraints"].append({"metric": "accuracy", "op": ">=", "value": 60.3})
    if rng.random() < 0.8:
        plan["decimals"] = {"latency_ms": rng.choice([2, 3, 12]), "memory_mb": rng.choice([1, 2])}
        if rng.random() < 0.5:
            plan["decimals"]["accuracy"] = 1
    cpu_only = [d["id"] for d in designs if {p["processor"] for p in d["parts"]} == {"cpu"}]
    plan["fallback"] = cpu_only[0] if cpu_only and rng.random() < 0.8 else None
    plan["tie_budgets"] = {"latency": ties, "memory": mems}
    return plan


def random_plan(rng: random.Random) -> dict[str, Any]:
    """A valid plan whose conditions table is still empty (four in ten: :func:`decimal_plan`)."""
    if rng.random() < 0.4:
        return decimal_plan(rng)
    tasks = ["main"] if rng.random() < 0.5 else [f"t{i}" for i in range(rng.randint(2, 3))]
    n = rng.randint(1, 40)
    procs = rng.sample(PROCS, rng.randint(1, 4))
    if rng.random() < 0.7 and "cpu" not in procs:
        procs.append("cpu")
    banded = rng.random() < 0.25
    designs = []
    for rank in range(n):
        parts = []
        for task in tasks:
            proc = rng.choice(procs)
            if rng.random() < 0.05:
                proc = proc.upper()
            lat = None if rng.random() < 0.08 else _value(rng, GRID, 0.1, 40.0)
            mem = None if rng.random() < 0.08 else _value(rng, MEM, 0.5, 100.0)
            config = {"model": f"m{rng.randrange(12)}", "precision": rng.choice(["fp32", "int8"])}
            if rng.random() < 0.5:
                config["asset"] = f"{config['model']}_{config['precision']}.tflite"
            parts.append(
                {
                    "task": task,
                    "processor": proc,
                    "latency_ms": lat,
                    "memory_mb": mem,
                    "config": config,
                }
            )
        metrics: dict[str, Any] = {"accuracy": rng.choice([60.0, 65.0, 70.0, 75.0, 80.0])}
        if rng.random() < 0.4:
            metrics["latency_ms"] = _value(rng, GRID, 0.1, 60.0)
        if rng.random() < 0.3:
            metrics["memory_mb"] = _value(rng, MEM, 0.5, 150.0)
        design: dict[str, Any] = {
            "id": f"d{rank}",
            "rank": rank,
            "pareto": rng.random() < 0.7,
            "parts": parts,
            "metrics": metrics,
        }
        if banded and rng.random() < 0.6:
            lo = rng.choice([0.0, 0.1, 0.5, 1.0, 2.0, 3.5])
            hi = rng.choice([None, lo, lo + 0.5, lo + 2.0, 10.0 if lo < 10 else None])
            design["power_band_mw"] = [lo, hi]
        designs.append(design)
    constraints = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        constraints.append(
            {"metric": "latency_ms", "op": "<=", "value": _value(rng, GRID, 1.0, 60.0)}
        )
    if rng.random() < 0.4:
        constraints.append({"metric": "accuracy", "op": ">=", "value": 65.0})
    if rng.random() < 0.3:
        constraints.append({"metric": "memory_mb", "op": "<=", "value": rng.choice(MEM)})
    if rng.random() < 0.05:
        constraints.append({"metric": "latency_ms", "op": ">=", "value": 0.5})
    cpu_only = [d["id"] for d in designs if {p["processor"].lower() for p in d["parts"]} == {"cpu"}]
    return {
        "format": "carin-plan/1",
        "name": "differential",
        "objectives": [{"metric": "accuracy", "goal": "max"}],
        "constraints": constraints,
        "latency": {
            "metric": "latency_ms",
            "aggregate": rng.choice(["max", "sum", "mean", "min"]),
            "contention": rng.choice(["time-share", "none"]),
        },
        "memory": {"metric": "memory_mb", "aggregate": rng.choice(["sum", "max", "mean", "min"])},
        "tasks": tasks,
        "designs": designs,
        "primary": "d0",
        "fallback": cpu_only[0] if cpu_only and rng.random() < 0.85 else None,
        "conditions": [],
    }


def random_conditions(
    rng: random.Random, *, strict: bool = False, ties: dict | None = None
) -> dict[str, Any]:
    """A condition set; ``strict`` = as a plan's table may hold it (factors >= 1, no odd names);
    ``ties`` = a decimal plan's exact latencies and memories, used as budgets."""
    cond: dict[str, Any] = {}
    names = PROCS if strict else NAMES
    if rng.random() < 0.5:
        cond["unavailable"] = rng.sample(names, rng.randint(0 if not strict else 1, 3))
    if rng.random() < 0.4:
        if ties and ties["memory"] and rng.random() < 0.7:
            cond["memory_budget_mb"] = rng.choice(ties["memory"])[0]
        else:
            cond["memory_budget_mb"] = _value(rng, MEM, 0.0, 120.0)
    if rng.random() < 0.5:
        factors = {}
        for name in rng.sample(names, rng.randint(1, 3)):
            if ties and rng.random() < 0.7:
                f = rng.choice(TIE_FACTORS)
            else:
                f = rng.choice(FACTORS) if rng.random() < 0.7 else rng.uniform(0.5, 6.0)
            factors[name] = max(f, 1.0) if strict else f
        cond["slowdown"] = factors
    if rng.random() < (0.5 if ties else 0.3):
        if ties and ties["latency"] and rng.random() < 0.8:
            # a budget the design it came from meets with equality under its factors
            budget, factors = rng.choice(ties["latency"])
            cond["latency_budget_ms"] = budget
            if factors:
                cond["slowdown"] = {**cond.get("slowdown", {}), **factors}
        else:
            cond["latency_budget_ms"] = _value(rng, GRID, 0.0, 60.0)
    if rng.random() < 0.3:
        cond["power_mw"] = rng.choice([0.0, 0.1, 0.5, 1.0, 2.0, 3.5, 10.0, rng.uniform(0, 12)])
    return cond


def random_monitor(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.4:
        return None
    threshold = rng.choice([0.1, 0.05, 0.2, rng.uniform(0.01, 0.45)])
    return {
        "q": rng.choice([1e-3, 1e-4, rng.uniform(0.0, 0.01)]),
        "r": rng.choice([2.5e-3, 1e-2, rng.uniform(1e-4, 0.05)]),
        "p0": rng.choice([1e-2, rng.uniform(0.0, 0.1)]),
        "threshold": threshold,
        "release": rng.choice([min(0.02, threshold), threshold * rng.uniform(0.05, 1.0)]),
        "revert_after": rng.randint(1, 12),
        "relax": rng.choice([0.95, 1.0, rng.uniform(0.5, 1.0)]),
    }


def _decision(decision) -> list:
    fallback = not decision.meets_slo and decision.design_id is not None
    return [decision.design_id, decision.meets_slo, fallback, decision.reason]


def random_case(rng: random.Random, index: int) -> dict[str, Any]:
    """One plan with steps and the Python switcher's decision after each."""
    plan = random_plan(rng)
    ties = plan.pop("tie_budgets", None)
    table = [random_conditions(rng, strict=True, ties=ties) for _ in range(rng.randint(0, 4))]
    plan["conditions"] = [{"when": when, "design": None} for when in table]
    filler = Switcher(plan=plan, validate=False)
    for entry in plan["conditions"]:
        decision = filler.select(entry["when"])
        entry["design"] = decision.design_id if decision.meets_slo else None
    monitor = random_monitor(rng)
    switcher = Switcher.from_dict(plan, monitor=MonitorConfig.from_dict(monitor or {}))
    steps: list[dict[str, Any]] = []
    expected = []
    slow = {p: rng.choice([1.0, 1.0, 1.5, 2.5, 4.0]) for p in PROCS}
    # a decimal plan opens with a run of condition sets (exact ties before the monitor acts)
    lead = rng.randint(4, 12) if ties else 1
    # which condition steps go through select_cached, some with a condition set of the table:
    # a generator of their own, so the cases' other draws are those of the plain generator
    cached = random.Random(index)
    for index in range(rng.randint(5, 40) + lead):
        if index < lead or rng.random() < 0.35:
            step: dict[str, Any] = {"conditions": random_conditions(rng, ties=ties)}
            if cached.random() < 0.5:
                step["cached"] = True
                if table and cached.random() < 0.5:
                    step["conditions"] = json.loads(json.dumps(cached.choice(table)))
                decision = switcher.select_cached(step["conditions"])
            else:
                decision = switcher.select(step["conditions"])
        else:
            current = switcher.current
            design_id = None
            roll = rng.random()
            if roll < 0.15:
                design_id = rng.choice(plan["designs"])["id"]
            elif roll < 0.2:
                design_id = "no-such-design"
            shown = current.design_id if design_id is None else design_id
            design = switcher.design(shown) if shown in {d["id"] for d in plan["designs"]} else None
            if design is None:
                latency = rng.uniform(1.0, 30.0)
            else:
                lats = [p["latency_ms"] or 5.0 for p in design["parts"]]
                base = max(
                    lat * slow[p["processor"].lower()]
                    for lat, p in zip(lats, design["parts"], strict=True)
                )
                latency = base * (1.0 + rng.gauss(0.0, 0.05))
            if rng.random() < 0.03:
                latency = rng.choice([0.0, -1.0])
            if rng.random() < 0.1:
                slow = {p: rng.choice([1.0, 1.0, 1.5, 2.5, 4.0]) for p in PROCS}
            observe: dict[str, Any] = {"latency_ms": latency}
            if design_id is not None:
                observe["design"] = design_id
            step = {"observe": observe}
            decision = switcher.observe(design_id, latency)
        steps.append(step)
        expected.append(_decision(decision))
    case: dict[str, Any] = {"name": f"case{index}", "plan": plan, "steps": steps}
    if monitor is not None:
        case["monitor"] = monitor
    case["expected"] = expected
    case["estimates"] = {p: [repr(x), repr(v)] for p, (x, v) in switcher.estimates().items()}
    case["monitor_slowdown"] = {p: repr(f) for p, f in sorted(switcher.monitor_slowdown.items())}
    case["miss_probabilities"] = [
        repr(switcher.miss_probability(rank)) for rank in range(len(plan["designs"]))
    ]
    return case


def normal_cdf_grid() -> list[list[str]]:
    """``[repr(x), repr(NormalDist().cdf(x)), repr(0.5 * erfc(-x / sqrt(2)))]`` from -37.5 to 9:
    the normal distribution function a port's miss probabilities use. The first value is what
    the switcher computes (absolute precision only: its lower tail cancels), the second keeps
    its relative precision in the lower tail (to the rounding of ``x / sqrt(2)``)."""
    normal = NormalDist()
    xs = [k / 64 for k in range(-2400, 577)]  # -37.5 .. 9 in steps of 1/64
    xs += [-37.519, -8.3, -5.656854249492381, -0.66291, -1e-17, 0.0, 1e-17, 0.66291, 5.7, 8.572]
    xs += [-(10.0**-k) for k in range(1, 16)] + [10.0**-k for k in range(1, 16)]
    return [[repr(x), repr(normal.cdf(x)), repr(0.5 * math.erfc(-x / math.sqrt(2.0)))] for x in xs]


def formats(rng: random.Random, count: int = 400) -> list[list[str]]:
    """``[repr(x), format(x, "g"), format(x, ".4g"), format(x, ".3g")]`` for numbers of every
    magnitude, halfway cases and non-finite ones: how a port must write numbers in reasons."""
    values = [0.0, -0.0, math.inf, -math.inf, math.nan, 0.5, 2.5, 1234565.0, 999999.5, 9.9999995]
    values += [
        0.00012345,
        0.000012345,
        1e16,
        123456789.0,
        -1.5e-7,
        1e-300,
        5e-324,
        1.7976931348623157e308,
    ]
    while len(values) < count:
        mantissa = rng.choice(
            [rng.uniform(1.0, 10.0), round(rng.uniform(1.0, 10.0), rng.randint(0, 6))]
        )
        values.append(rng.choice([1.0, -1.0]) * mantissa * 10.0 ** rng.randint(-12, 22))
    return [[repr(x), format(x, "g"), format(x, ".4g"), format(x, ".3g")] for x in values]


def reprs() -> list[list[str]]:
    """``[text, repr(text)]`` for design ids of every kind: how a port quotes ids in messages
    (``cache_mismatches``, the validator's)."""
    texts = ["d0", "it's", 'say "hi"', "both ' and \"", "back\\slash", "tab\tnl\ncr\r", "\x00\x1f\x7f",
             "\x85\xa0\xad", "caf\u00e9 \u03bb \u4e2d", "\u2028\u2029\u200b\ufeff", "\ue000",
             "\U0001f600", "\U0010ffff", "a long design id with more than twenty-four characters"]  # fmt: skip
    return [[t, repr(t)] for t in texts]


def generate(cases: int, seed: int) -> dict[str, Any]:
    """The differential file's content for ``cases`` cases drawn with ``seed``."""
    rng = random.Random(seed)
    levels = [0.1, 0.05, 0.02, 0.2, 0.01, 0.001, 0.3, 0.45]
    return {
        "format": FORMAT,
        "seed": seed,
        "why": "decisions of the Python switcher (carin.runtime) for seeded random plans and "
        "steps; a port must reproduce every decision and the monitor's final estimates bit "
        "for bit (numbers as Python repr strings)",
        "quantiles": {repr(level): repr(MonitorConfig().z(level)) for level in levels},
        "formats": formats(random.Random(f"formats-{seed}")),
        "normal_cdf": normal_cdf_grid(),
        "reprs": reprs(),
        "cases": [random_case(rng, i) for i in range(cases)],
    }


def write(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    content = generate(args.cases, args.seed)
    write(args.out, content)
    steps = sum(len(c["steps"]) for c in content["cases"])
    print(f"{args.out}: {len(content['cases'])} cases, {steps} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
