"""Time ``Switcher.select`` on synthetic ranked plans and write results/switcher.md.

Plans of 10, 100, 1,000 and 10,000 designs over four processors (cpu, gpu,
npu, dsp) ranked best first, as ``carin solve`` writes them; most designs are
single-DNN, and a second family has two tasks per design (multi-part, the slow
path). Each select is timed with ``time.perf_counter_ns`` over batches of
``BATCH`` calls; the median and 99th percentile are over batch means. A plain
dict lookup (``table.__getitem__(key)``, a call like ``select``) is timed in the
same loop as the reference.

Run: ``python benchmarks/switcher.py [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carin.runtime import Switcher  # noqa: E402

PROCS = ["npu", "gpu", "dsp", "cpu"]
SPEED = {"npu": 0.15, "gpu": 0.4, "dsp": 0.3, "cpu": 1.0}
BATCH = 20

CONDITIONS = {
    1: {"unavailable": ["npu"]},
    3: {"unavailable": ["npu"], "memory_budget_mb": 60.0, "slowdown": {"cpu": 2.0}},
    6: {
        "unavailable": ["npu", "dsp"],
        "memory_budget_mb": 60.0,
        "slowdown": {"cpu": 2.0, "gpu": 1.5},
        "latency_budget_ms": 25.0,
    },
}


def synthetic_plan(n: int, *, tasks: int = 1, seed: int = 0) -> dict:
    """A ranked plan of ``n`` designs (deterministic for a seed)."""
    rng = random.Random(seed)
    names = ["main"] if tasks == 1 else [f"task{i}" for i in range(tasks)]
    rows = []
    for _ in range(n):
        parts = []
        for task in names:
            proc = rng.choice(PROCS)
            work = rng.uniform(5.0, 60.0)
            parts.append(
                {
                    "task": task,
                    "processor": proc,
                    "latency_ms": round(work * SPEED[proc], 3),
                    "memory_mb": round(rng.uniform(5.0, 120.0), 2),
                    "config": {"model": f"model{rng.randrange(40)}", "precision": "w8a8"},
                }
            )
        accuracy = round(rng.uniform(60.0, 85.0), 2)
        rows.append((accuracy, parts))
    rows.sort(key=lambda r: -r[0])  # ranked best first by accuracy
    designs = []
    for rank, (accuracy, parts) in enumerate(rows):
        by_proc: dict[str, float] = {}
        for p in parts:
            by_proc[p["processor"]] = by_proc.get(p["processor"], 0.0) + p["latency_ms"]
        latency = max(by_proc[p["processor"]] for p in parts)
        memory = sum(p["memory_mb"] for p in parts)
        designs.append(
            {
                "id": f"d{rank}",
                "rank": rank,
                "pareto": True,
                "parts": parts,
                "metrics": {
                    "accuracy": accuracy,
                    "latency_ms": round(latency, 3),
                    "memory_mb": round(memory, 2),
                },
            }
        )
    cpu_only = [d["id"] for d in designs if {p["processor"] for p in d["parts"]} == {"cpu"}]
    return {
        "format": "carin-plan/1",
        "name": f"synthetic-{n}",
        "objectives": [{"metric": "accuracy", "goal": "max"}],
        "constraints": [{"metric": "latency_ms", "op": "<=", "value": 40.0 * tasks}],
        "latency": {"metric": "latency_ms", "aggregate": "max", "contention": "time-share"},
        "memory": {"metric": "memory_mb", "aggregate": "sum"},
        "tasks": names,
        "designs": designs,
        "primary": "d0",
        "fallback": cpu_only[0] if cpu_only else None,
        "conditions": [{"when": c, "design": None} for c in CONDITIONS.values()],
    }


def time_calls(fn, arg, *, batches: int) -> tuple[float, float]:
    """Median and p99 of the per-call time (ns) over batch means."""
    samples = []
    clock = time.perf_counter_ns
    for _ in range(batches):
        start = clock()
        for _ in range(BATCH):
            fn(arg)
        samples.append((clock() - start) / BATCH)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.99 * len(samples)))]


def fill_table(plan: dict) -> dict:
    """The plan's precomputed answers, as ``carin solve`` would write them."""
    switcher = Switcher.from_dict(plan)
    for entry in plan["conditions"]:
        decision = switcher.select(entry["when"])
        entry["design"] = decision.design_id if decision.meets_slo else None
    return plan


def run(quick: bool) -> str:
    sizes = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    batches = 200 if quick else 1000
    lines = [
        "# Runtime switcher: time of `select`",
        "",
        "Written by `benchmarks/switcher.py` (CPython "
        f"{sys.version.split()[0]}, {os.cpu_count()} cores shared with other jobs). Each entry "
        f"is the per-call time over batches of {BATCH} calls, {batches} batches: median / p99 of "
        "the batch means, in microseconds. `dict` is a plain `table.__getitem__(key)` call timed "
        "in the same loop; `ratio` = median select / median dict. Conditions: 1 = npu "
        "unavailable; 3 = + memory budget 60 MB + cpu x2 slowdown; 6 = npu and dsp unavailable, "
        "memory 60 MB, cpu x2 and gpu x1.5 slowdown, latency budget 25 ms. `cached` is "
        "`select_cached` (the plan's precomputed table, which holds these condition sets).",
        "",
    ]
    table = {("a", "key"): 1, ("b", "key"): 2}
    key = ("a", "key")
    gc.disable()
    try:
        for tasks in (1, 2):
            label = "single-DNN designs (one part)" if tasks == 1 else "two-DNN designs (two parts)"
            lines += [
                f"## {label}",
                "",
                "| designs | load ms | nominal | 1 cond | 3 conds | 6 conds | 6 cached | dict | ratio (6 conds) | answer (6) |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            for n in sizes:
                plan = fill_table(synthetic_plan(n, tasks=tasks, seed=n))
                start = time.perf_counter()
                switcher = Switcher.from_dict(plan)
                load_ms = (time.perf_counter() - start) * 1e3
                cells = []
                dict_med, _ = time_calls(table.__getitem__, key, batches=batches)
                med, p99 = time_calls(switcher.select, None, batches=batches)
                cells.append(f"{med / 1e3:.2f} / {p99 / 1e3:.2f}")
                for k in (1, 3, 6):
                    med, p99 = time_calls(switcher.select, CONDITIONS[k], batches=batches)
                    cells.append(f"{med / 1e3:.2f} / {p99 / 1e3:.2f}")
                    six = med
                cmed, cp99 = time_calls(switcher.select_cached, CONDITIONS[6], batches=batches)
                cells.append(f"{cmed / 1e3:.2f} / {cp99 / 1e3:.2f}")
                answer = switcher.select(CONDITIONS[6])
                shown = f"{answer.design_id}" + ("" if answer.meets_slo else " (fallback)")
                lines.append(
                    f"| {n} | {load_ms:.1f} | "
                    + " | ".join(cells)
                    + f" | {dict_med / 1e3:.3f} | {six / dict_med:.0f}x | {shown} |"
                )
            lines.append("")
    finally:
        gc.enable()
    lines += plan_sizes()
    return "\n".join(lines) + "\n"


def plan_sizes() -> list[str]:
    rows = []
    for path in sorted(ROOT.glob("results/**/*.json")) + sorted(ROOT.glob("spaces/**/*.json")):
        try:
            obj = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(obj, dict) and obj.get("format") == "carin-plan/1":
            rows.append((str(path.relative_to(ROOT)), path.stat().st_size, len(obj["designs"])))
    for path in sorted((ROOT / "tests/conformance").glob("*.json")):
        plan = json.loads(path.read_text())["plan"]
        text = json.dumps(plan, sort_keys=True, indent=1)
        rows.append((f"{path.relative_to(ROOT)} (plan, indent=1)", len(text), len(plan["designs"])))
    for n in (10, 100, 1000):
        text = json.dumps(fill_table(synthetic_plan(n, seed=n)), sort_keys=True, indent=1)
        rows.append((f"synthetic {n}-design plan (indent=1)", len(text), n))
    out = [
        "## Plan size on disk",
        "",
        "Plan files found under results/ and spaces/ when the benchmark ran, the conformance "
        "vectors' plans and the synthetic plans above.",
        "",
        "| plan | designs | bytes |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| {name} | {n} | {size:,} |" for name, size, n in rows]
    return out + [""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and batches")
    parser.add_argument("-o", "--output", default=str(ROOT / "results/switcher.md"))
    args = parser.parse_args()
    text = run(args.quick)
    folder = os.path.dirname(os.path.abspath(args.output))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.output)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
