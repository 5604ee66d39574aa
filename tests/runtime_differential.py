"""Differential cases for runtime ports: random plans, steps and the Python switcher's decisions.

A seeded generator writes random ``carin-plan/1`` plans (one to three tasks, up
to 40 designs, ties, unknown values, power bands, every aggregate and
contention, precomputed condition tables, random monitor settings) with a
sequence of steps each: condition sets (names in any case, unknown processors,
factors below 1, budgets anywhere) and latency observations (of the current
design, of a named one, of an unknown id, non-positive ones). For each step it
records the Python switcher's decision (design id, meets-SLO flag, fallback
flag), and after the last step the monitor's estimates as exact decimal strings
(``repr``), so a port can check every decision and every bit of its filters.

Run ``python tests/runtime_differential.py --out FILE [--cases 1000] [--seed 15]``;
the same seed writes byte-identical output. The Java tests in
``android/carin-runtime`` read the file (see ``docs/android.md``); the Python
tests in ``tests/test_runtime_differential.py`` check the generator.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carin.runtime import MonitorConfig, Switcher  # noqa: E402

FORMAT = "carin-differential/1"
PROCS = ["cpu", "gpu", "npu", "dsp"]
NAMES = PROCS + ["CPU", "Gpu", "NPU", "tpu"]
GRID = [0.5, 1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 8.0, 10.0, 12.5, 20.0, 33.3]
MEM = [1.0, 5.0, 10.0, 12.5, 20.0, 40.0, 80.0]
FACTORS = [0.5, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 10.0]


def _value(rng: random.Random, grid: list[float], lo: float, hi: float) -> float:
    """A grid value (ties and exact boundaries), a 6-digit one or a full-precision one."""
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(grid)
    value = rng.uniform(lo, hi)
    return float(f"{value:.6g}") if kind < 0.8 else value


def random_plan(rng: random.Random) -> dict[str, Any]:
    """A valid plan whose conditions table is still empty."""
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


def random_conditions(rng: random.Random, *, strict: bool = False) -> dict[str, Any]:
    """A condition set; ``strict`` = as a plan's table may hold it (factors >= 1, no odd names)."""
    cond: dict[str, Any] = {}
    names = PROCS if strict else NAMES
    if rng.random() < 0.5:
        cond["unavailable"] = rng.sample(names, rng.randint(0 if not strict else 1, 3))
    if rng.random() < 0.4:
        cond["memory_budget_mb"] = _value(rng, MEM, 0.0, 120.0)
    if rng.random() < 0.5:
        factors = {}
        for name in rng.sample(names, rng.randint(1, 3)):
            f = rng.choice(FACTORS) if rng.random() < 0.7 else rng.uniform(0.5, 6.0)
            factors[name] = max(f, 1.0) if strict else f
        cond["slowdown"] = factors
    if rng.random() < 0.3:
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
    return [decision.design_id, decision.meets_slo, fallback]


def random_case(rng: random.Random, index: int) -> dict[str, Any]:
    """One plan with steps and the Python switcher's decision after each."""
    plan = random_plan(rng)
    table = [random_conditions(rng, strict=True) for _ in range(rng.randint(0, 4))]
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
    for _ in range(rng.randint(5, 40)):
        if rng.random() < 0.35 or switcher.current is None:
            step: dict[str, Any] = {"conditions": random_conditions(rng)}
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
    return case


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
