"""Regenerate results/solve_scale.md: how RASS scales against the exhaustive reference.

Usage (from the repository root)::

    python benchmarks/solve_scale.py            # every case; exhaustive where it fits
    python benchmarks/solve_scale.py --quick    # small cases only (a smoke run)

Cases (all on the embedded tables of spaces/):

* single-DNN over all 27 nb201 targets at once (421,875 configurations);
* multi-DNN products of 3 and 4 tasks on one aihub phone (Samsung Galaxy S24),
  from the real app of spaces/phone-multi.yaml up to products above 10^8;
* two and three nb201 tasks on one Pixel 3 (2.4 x 10^8 and 3.8 x 10^12 raw).

Each case is solved by RASS and, when its raw product is at most
``--exhaustive-max`` designs, by the exhaustive solver in the same run; the two
fronts are compared design by design. Above that size the exhaustive time is
estimated from the throughput (designs per second) it reached on the largest
case it did run, and marked as an estimate. Times are wall-clock seconds of the
solve itself (the table is loaded and the space compiled beforehand; both are
reported separately), best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from carin.profiles import load_profiles
from carin.solvers import get_solver
from carin.space import compile_space
from carin.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
OUT = ROOT / "results" / "solve_scale.md"

S24 = {"device": "Samsung Galaxy S24"}
VISION = ["image_classification", "object_detection", "semantic_segmentation"]
APP_OBJ = ["max mean(accuracy)", "min max(latency_ms)", "min sum(memory_mb)"]

CASES: list[dict] = [
    {
        "label": "nb201, all 27 targets, single-DNN",
        "table": "nb201.csv.gz",
        "quick": True,
        "spec": {
            "objectives": ["max accuracy", "min latency_ms"],
            "constraints": ["latency_ms <= 20"],
        },
    },
    {
        "label": "aihub S24, 3 tasks: phone-multi app (spaces/phone-multi.yaml)",
        "table": "aihub.csv",
        "quick": True,
        "file": "phone-multi.yaml",
    },
    {
        "label": "aihub S24, 3 tasks: detect x segment x classify, 3 objectives",
        "table": "aihub.csv",
        "quick": False,
        "spec": {
            "where": S24,
            "tasks": [
                {"name": "detect", "where": {"task": "object_detection"}},
                {"name": "segment", "where": {"task": "semantic_segmentation"}},
                {"name": "classify", "where": {"task": "image_classification"}},
            ],
            "objectives": APP_OBJ,
            "constraints": ["max(latency_ms) <= 40"],
        },
    },
    {
        "label": "aihub S24, 3 tasks: each any vision model (stress)",
        "table": "aihub.csv",
        "quick": False,
        "spec": {
            "where": S24,
            "tasks": [{"name": n, "where": {"task": VISION}} for n in ("a", "b", "c")],
            "objectives": APP_OBJ,
            "constraints": ["max(latency_ms) <= 40"],
        },
    },
    {
        "label": "aihub S24, 4 tasks: detect x segment x classify x pose",
        "table": "aihub.csv",
        "quick": False,
        "spec": {
            "where": S24,
            "tasks": [
                {"name": "detect", "where": {"task": "object_detection"}},
                {"name": "segment", "where": {"task": "semantic_segmentation"}},
                {"name": "classify", "where": {"task": "image_classification"}},
                {"name": "pose", "where": {"task": "pose_estimation"}},
            ],
            "objectives": APP_OBJ,
            "constraints": ["max(latency_ms) <= 40"],
        },
    },
    {
        "label": "nb201 pixel3, 2 tasks (any of 15,625 cells each)",
        "table": "nb201.csv.gz",
        "quick": False,
        "spec": {
            "where": {"device": "pixel3"},
            "tasks": [{"name": "a"}, {"name": "b"}],
            "objectives": ["max mean(accuracy)", "min max(latency_ms)"],
            "constraints": ["max(latency_ms) <= 30"],
        },
    },
    {
        "label": "nb201 pixel3, 3 tasks (any of 15,625 cells each)",
        "table": "nb201.csv.gz",
        "quick": False,
        "spec": {
            "where": {"device": "pixel3"},
            "tasks": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "objectives": ["max mean(accuracy)", "min max(latency_ms)"],
            "constraints": ["max(latency_ms) <= 30"],
        },
    },
]


def _spec(case: dict, tmp: Path):
    if "file" in case:
        from carin.spec import load_spec

        return load_spec(SPACES / case["file"])
    data = {"name": "bench", "profiles": str(SPACES / case["table"]), **case["spec"]}
    return parse_spec(data, path=tmp / "bench.yaml")


def _best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _rows(index: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in row) for row in np.asarray(index)}


def run(quick: bool, exhaustive_max: int, repeat: int) -> list[dict]:
    tables: dict[str, object] = {}
    out = []
    throughput = None
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            if quick and not case["quick"]:
                continue
            name = case["table"]
            t0 = time.perf_counter()
            if name not in tables:
                tables[name] = load_profiles(SPACES / name)
            load_s = time.perf_counter() - t0
            spec = _spec(case, Path(tmp))
            t0 = time.perf_counter()
            space = compile_space(spec, tables[name])
            compile_s = time.perf_counter() - t0
            raw = space.raw_size
            print(f"{case['label']}: raw {raw:,}", file=sys.stderr, flush=True)
            rass_s, front = _best_of(lambda s=space: get_solver("rass").solve(s), repeat)
            row = {
                "label": case["label"],
                "tasks": len(space.tasks),
                "rows": [len(t) for t in space.tasks],
                "raw": raw,
                "load_s": load_s,
                "compile_s": compile_s,
                "rass_s": rass_s,
                "pareto": len(front.index),
                "evaluations": front.evaluations,
                "stats": front.stats,
            }
            if raw <= exhaustive_max:
                ex_s, ex = _best_of(lambda s=space: get_solver("exhaustive").solve(s), 1)
                row["exhaustive_s"] = ex_s
                row["estimated"] = False
                row["agree"] = _rows(ex.index) == _rows(front.index)
                throughput = raw / ex_s
            elif throughput is not None:
                row["exhaustive_s"] = raw / throughput
                row["estimated"] = True
                row["agree"] = None
            out.append(row)
            print(f"  rass {rass_s:.3f} s, {len(front.index)} Pareto", file=sys.stderr)
    return out


def _fmt_s(v: float) -> str:
    return f"{v:.3f}" if v < 10 else f"{v:,.1f}"


def render(rows: list[dict], repeat: int, exhaustive_max: int) -> str:
    lines = [
        "# Solve scale: RASS vs exhaustive",
        "",
        "Generated by `python benchmarks/solve_scale.py`. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        f"Solve times are wall-clock seconds, best of {repeat} run(s) for RASS and one run of "
        "the exhaustive reference in the same process; loading the table and compiling the "
        f"space are listed apart. The exhaustive solver runs when the raw product is at most "
        f"{exhaustive_max:,} designs; above that its time is an estimate (marked ~) from "
        "the designs per second it reached on the largest case it did run.",
        "",
        "| case | tasks | rows per task | raw product | Pareto designs | RASS s "
        "| exhaustive s | speed-up | same front |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        ex = r.get("exhaustive_s")
        if ex is None:
            ex_txt, sp_txt = "not run", ""
        else:
            mark = "~" if r["estimated"] else ""
            ex_txt = mark + _fmt_s(ex)
            sp_txt = mark + f"{ex / r['rass_s']:,.0f}x"
        agree = {True: "yes", False: "**NO**", None: "n/a"}[r["agree"]] if ex else "n/a"
        lines.append(
            f"| {r['label']} | {r['tasks']} | {' x '.join(str(n) for n in r['rows'])} | "
            f"{r['raw']:,} | {r['pareto']:,} | {_fmt_s(r['rass_s'])} | {ex_txt} | {sp_txt} "
            f"| {agree} |"
        )
    lines += [
        "",
        "Load and compile times (s):",
        "",
        "| case | load table | compile space |",
        "| --- | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | {r['load_s']:.2f} | {r['compile_s']:.2f} |")
    lines += [
        "",
        "RASS internals per multi-DNN case: feasible candidate rows per task, rows per task "
        "on its per-processor part front (step 1 builds the exact front vectors from these), "
        "partial and full designs scored in all (both steps and the candidate refinement), "
        "candidate rows per task left for step 2 (recovering every design that attains a "
        "front vector).",
        "",
        "| case | candidates | part fronts | front vectors | states scored | step-2 candidates |",
        "| --- | --- | --- | ---: | ---: | --- |",
    ]
    for r in rows:
        s = r["stats"]
        if "front_vectors" not in s:
            continue
        lines.append(
            f"| {r['label']} | {s['candidates']} | {s.get('part_fronts', '')} | "
            f"{s['front_vectors']:,} | {r['evaluations']:,} | {s['step2_candidates']} |"
        )
    lines += [
        "",
        "Targets (issue 2): single-DNN 420k configurations in under 1 s; a 3-task product "
        "of over 10^8 raw combinations solved exactly in under 5 s. The solve times above "
        "are the solver alone; a `carin solve` run on the 421,875-row nb201 table also "
        "spends the load and compile times listed (reading the gzip CSV dominates).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--repeat", type=int, default=3, help="RASS runs per case (best of)")
    parser.add_argument(
        "--exhaustive-max", type=int, default=5_000_000, help="largest product to enumerate"
    )
    parser.add_argument("-o", "--out", type=Path, default=OUT)
    args = parser.parse_args()
    rows = run(args.quick, args.exhaustive_max, args.repeat)
    text = render(rows, args.repeat, args.exhaustive_max)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, args.out)
    print(text)


if __name__ == "__main__":
    main()
