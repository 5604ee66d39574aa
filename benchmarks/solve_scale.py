"""Regenerate results/solve_scale.md: how RASS scales, checked against independent methods.

Usage (from the repository root)::

    python benchmarks/solve_scale.py            # every case; exhaustive where it fits
    python benchmarks/solve_scale.py --quick    # small cases only (a smoke run)
    python benchmarks/solve_scale.py --before REV   # also time REV's solver on the marked cases
    python benchmarks/solve_scale.py --only "4 objectives" -o /tmp/x.md   # a subset

Cases:

* single-DNN over all 27 nb201 targets at once (421,875 configurations), plus
  ``carin solve`` end to end on it (load, compile, solve, plan, files);
* multi-DNN products on one aihub phone (Samsung Galaxy S24), from the real app
  of spaces/phone-multi.yaml up to products above 10^8;
* two and three nb201 tasks on one Pixel 3 (2.4 x 10^8 and 3.8 x 10^12 raw);
* synthetic multi-DNN tables (:func:`synthetic_table`: 4 processors, 3
  precisions, values at 0.1 resolution, 2 % missing cells) with 3 to 5 tasks
  of 100 to 10,000 rows and 2 to 4 objectives, under time-share contention.

Every case runs in a fresh process, which reports the solve's wall and CPU time
(median of ``--repeat`` runs) and the process's peak memory (resident set size,
table and space included). The machine may be shared, so CPU time is the
steadier number. Each front is checked by an independent method: the exhaustive
solver when the raw product is at most ``--exhaustive-max`` designs (it shares
no search code with RASS), otherwise RASS with the tasks taken in the reverse
order, which must give the same set. Above that size the exhaustive time is
estimated from the designs per second it reached in the same run (marked ~).

With ``--before REV``, the cases marked ``before`` are also solved, each in a
fresh process, by the carin package of git revision ``REV`` (extracted with
``git archive`` into a temporary directory, loaded in place of the installed one),
in the same run, so the speed-up is a ratio against a reference on the same
loaded machine; both fronts must be the same set of designs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
OUT = ROOT / "results" / "solve_scale.md"

S24 = {"device": "Samsung Galaxy S24"}
VISION = ["image_classification", "object_detection", "semantic_segmentation"]
APP_OBJ = ["max mean(accuracy)", "min max(latency_ms)", "min sum(memory_mb)"]
SYN_OBJ = ["max mean(accuracy)", "min max(latency_ms)", "min sum(energy_mj)", "min sum(memory_mb)"]


def _nb201(k: int) -> dict:
    return {
        "label": f"nb201 pixel3, {k} tasks (any of 15,625 cells each)",
        "table": "nb201.csv.gz",
        "quick": False,
        "spec": {
            "where": {"device": "pixel3"},
            "tasks": [{"name": n} for n in "abc"[:k]],
            "objectives": ["max mean(accuracy)", "min max(latency_ms)"],
            "constraints": ["max(latency_ms) <= 30"],
        },
    }


def _synthetic(k: int, rows: int, m: int, quick: bool = False, before: bool = False) -> dict:
    return {
        "label": f"synthetic {k} tasks x {rows:,} rows, {m} objectives",
        "table": f"synthetic:{k}:{rows}",
        "quick": quick,
        "before": before,
        "spec": {
            "tasks": [{"name": f"t{t}", "where": {"task": f"t{t}"}} for t in range(k)],
            "objectives": SYN_OBJ[:m],
            "constraints": ["max(latency_ms) <= 40"],
        },
    }


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
    _nb201(2),
    _nb201(3),
    _synthetic(3, 100, 2, quick=True),
    _synthetic(3, 100, 3),
    _synthetic(4, 40, 3),
    _synthetic(3, 1000, 2),
    _synthetic(3, 1000, 3),
    _synthetic(3, 10_000, 2),
    _synthetic(3, 10_000, 3),
    _synthetic(4, 100, 2),
    _synthetic(4, 1000, 2),
    _synthetic(4, 1000, 3, before=True),
    _synthetic(5, 1000, 2),
    _synthetic(5, 1000, 3, before=True),
    _synthetic(3, 1000, 4, before=True),
    _synthetic(4, 100, 4, before=True),
    _synthetic(4, 1000, 4, before=True),
]

PROCESSORS = {"cpu": (1.0, 2.4), "gpu": (0.35, 3.1), "npu": (0.12, 1.6), "dsp": (0.2, 1.2)}
PRECISIONS = {"fp32": (1.0, 0.0, 4), "fp16": (0.6, 0.1, 2), "int8": (0.35, 0.8, 1)}


def synthetic_table(n_tasks: int, rows: int, seed: int = 1, missing: float = 0.02) -> pd.DataFrame:
    """A multi-DNN profile table: ``rows`` configurations for each of ``n_tasks`` tasks.

    Each task has models of random size (12 rows each: 3 precisions x 4
    processors). Bigger models are more accurate and slower; lower precision and
    faster processors cut latency (int8 and fp16 cost some accuracy); energy is
    latency times the processor's power; memory follows the model's size and
    precision. Each row gets noise, values are rounded to 0.1 (so aggregates tie
    often) and ``missing`` of the metric cells are left empty.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for t in range(n_tasks):
        i = np.arange(rows)
        model = i // 12
        n_models = int(model.max()) + 1
        size = rng.uniform(0.02, 1.0, n_models) ** 1.5
        acc0 = 55 + 35 * size**0.4 + rng.normal(0, 2, n_models)
        lat0 = 1 + 60 * size * rng.uniform(0.5, 1.5, n_models)
        mem0 = 4 + 120 * size
        prec = np.array(list(PRECISIONS))[(i // 4) % 3]
        proc = np.array(list(PROCESSORS))[i % 4]
        speed = np.array([PRECISIONS[p][0] for p in prec])
        speed = speed * np.array([PROCESSORS[p][0] for p in proc])
        lat = lat0[model] * speed * rng.uniform(0.85, 1.15, rows)
        acc = acc0[model] - np.array([PRECISIONS[p][1] for p in prec]) * rng.uniform(0, 2, rows)
        mem = mem0[model] * np.array([PRECISIONS[p][2] for p in prec]) / 4 + rng.uniform(0, 3, rows)
        power = np.array([PROCESSORS[p][1] for p in proc])
        energy = lat * power * rng.uniform(0.9, 1.1, rows)
        frame = pd.DataFrame(
            {
                "model": [f"t{t}m{m}" for m in model],
                "precision": prec,
                "processor": proc,
                "task": f"t{t}",
                "latency_ms": np.round(lat, 1).clip(0.1),
                "accuracy": np.round(acc.clip(0, 100), 1),
                "memory_mb": np.round(mem, 1),
                "energy_mj": np.round(energy, 1).clip(0.1),
            }
        )
        for c in ["latency_ms", "accuracy", "memory_mb", "energy_mj"]:
            frame.loc[rng.random(rows) < missing, c] = np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _table(name: str):
    from carin.profiles import load_profiles, validate_profiles

    if name.startswith("synthetic:"):
        _, k, rows = name.split(":")
        return validate_profiles(synthetic_table(int(k), int(rows)), source=name)
    return load_profiles(SPACES / name)


def _spec(case: dict, tmp: Path):
    from carin.spec import load_spec, parse_spec

    if "file" in case:
        return load_spec(SPACES / case["file"])
    data = {"name": "bench", "profiles": str(SPACES / "unused.csv"), **case["spec"]}
    return parse_spec(data, path=tmp / "bench.yaml")


def _rows(index: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(int(v) for v in row) for row in np.asarray(index)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _digest(index: np.ndarray) -> str:
    """A fingerprint of a set of designs (row tuples), independent of their order."""
    return hashlib.sha256(repr(sorted(_rows(index))).encode()).hexdigest()


def _solve_timed(case: dict, repeat: int):
    """Load and compile ``case``, then solve it ``repeat`` times with RASS."""
    from carin.solvers import get_solver
    from carin.space import compile_space

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        table = _table(case["table"])
        load_s = time.perf_counter() - t0
        spec = _spec(case, Path(tmp))
        t0 = time.perf_counter()
        space = compile_space(spec, table)
        compile_s = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        front = get_solver("rass").solve(space)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return space, front, load_s, compile_s, walls, cpus


def _run_case(case: dict, repeat: int, exhaustive_max: int, queue) -> None:
    """Child process: solve one case, check it, report timings and peak memory."""
    from carin.solvers import get_solver
    from carin.solvers.rass import _MultiProblem

    base_mb = _peak_mb()
    space, front, load_s, compile_s, walls, cpus = _solve_timed(case, repeat)
    row = {
        "label": case["label"],
        "tasks": len(space.tasks),
        "rows": [len(t) for t in space.tasks],
        "raw": space.raw_size,
        "load_s": load_s,
        "compile_s": compile_s,
        "rass_s": statistics.median(walls),
        "rass_cpu_s": statistics.median(cpus),
        "peak_mb": _peak_mb(),
        "base_mb": base_mb,
        "pareto": len(front.index),
        "digest": _digest(front.index),
        "evaluations": front.evaluations,
        "stats": front.stats,
    }
    if space.raw_size <= exhaustive_max:
        t0 = time.perf_counter()
        ex = get_solver("exhaustive").solve(space)
        row["exhaustive_s"] = time.perf_counter() - t0
        row["check"] = "exhaustive"
        row["agree"] = _rows(ex.index) == _rows(front.index)
    elif not space.single:
        order = list(range(len(space.tasks)))[::-1]
        index, _, _ = _MultiProblem(space, {}, order=order).solve()
        row["check"] = "reverse order"
        row["agree"] = _rows(index) == _rows(front.index)
    queue.put(row)


def _run_before(tree: str, case: dict, repeat: int, queue) -> None:
    """Child process: time the carin package unpacked in ``tree`` (an older revision)."""
    sys.path.insert(0, tree)
    import carin

    if not Path(carin.__file__).resolve().is_relative_to(Path(tree).resolve()):
        queue.put({"error": f"--before: carin was loaded from {carin.__file__}, not {tree}"})
        return
    _, front, _, _, walls, cpus = _solve_timed(case, repeat)
    queue.put(
        {
            "rass_s": statistics.median(walls),
            "rass_cpu_s": statistics.median(cpus),
            "digest": _digest(front.index),
        }
    )


def _unpack(rev: str, dest: Path) -> str:
    """Extract the ``carin`` package of git revision ``rev`` into ``dest``; its full hash."""
    import io
    import tarfile

    def git(*args: str) -> bytes:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=False)
        if out.returncode:
            raise SystemExit(f"--before {rev}: git {args[0]} failed: {out.stderr.decode().strip()}")
        return out.stdout

    full = git("rev-parse", "--verify", f"{rev}^{{commit}}").decode().strip()
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", full, "carin"))) as tar:
        tar.extractall(dest, filter="data")
    return full


def _run_end_to_end(repeat: int, queue) -> None:
    """Child process: `carin solve` on all 421,875 nb201 rows, after the imports."""
    t0, c0 = time.perf_counter(), time.process_time()
    import carin.commands.solve  # noqa: F401
    import carin.result  # noqa: F401
    from carin.cli import main

    import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "nb201-all.yaml"
        spec.write_text(
            f"name: nb201-all\nprofiles: {SPACES / 'nb201.csv.gz'}\n"
            'objectives: ["max accuracy", "min latency_ms"]\n'
            'constraints: ["latency_ms <= 20"]\n',
            encoding="utf-8",
        )
        for i in range(repeat):
            out = Path(tmp) / f"out{i}"
            t0, c0 = time.perf_counter(), time.process_time()
            stdout = sys.stdout
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            try:
                code = main(["solve", str(spec), "--out", str(out)])
            finally:
                sys.stdout.close()
                sys.stdout = stdout
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            if code != 0 or not (out / "plan.json").exists():
                raise SystemExit(f"carin solve failed ({code})")
    queue.put(
        {
            "import_s": import_s,
            "import_cpu_s": import_cpu,
            "solve_s": statistics.median(walls),
            "solve_cpu_s": statistics.median(cpus),
            "first_s": walls[0],
            "peak_mb": _peak_mb(),
        }
    )


def _in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def run(
    quick: bool,
    exhaustive_max: int,
    repeat: int,
    only: str | None = None,
    before: str | None = None,
) -> tuple[list[dict], dict | None]:
    rows = []
    for case in CASES:
        if (quick and not case["quick"]) or (only and only not in case["label"]):
            continue
        print(f"{case['label']} ...", file=sys.stderr, flush=True)
        row = _in_child(_run_case, case, repeat, exhaustive_max)
        print(
            f"  rass {row['rass_s']:.3f} s (cpu {row['rass_cpu_s']:.3f}), "
            f"{row['pareto']} Pareto, peak {row['peak_mb']:.0f} MB, "
            f"{row.get('check')}: {row.get('agree')}",
            file=sys.stderr,
            flush=True,
        )
        if before and case.get("before"):
            ref = _in_child(_run_before, before, case, repeat)
            if "error" in ref:
                raise SystemExit(ref["error"])
            row["before"] = ref
            row["before_agree"] = ref["digest"] == row["digest"]
            print(
                f"  before {ref['rass_s']:.3f} s (cpu {ref['rass_cpu_s']:.3f}), "
                f"same designs: {row['before_agree']}",
                file=sys.stderr,
                flush=True,
            )
        rows.append(row)
    # exhaustive estimate for the big cases: its rate on the largest product it ran
    ran = [r for r in rows if "exhaustive_s" in r and r["tasks"] > 1]
    rate = max(ran, key=lambda r: r["raw"]) if ran else None
    for r in rows:
        if "exhaustive_s" not in r and rate is not None:
            r["exhaustive_s"] = r["raw"] / (rate["raw"] / rate["exhaustive_s"])
            r["estimated"] = True
    e2e = None if only else _in_child(_run_end_to_end, repeat)
    return rows, e2e


def _fmt_s(v: float) -> str:
    return f"{v:.3f}" if v < 10 else f"{v:,.1f}"


def render(
    rows: list[dict],
    e2e: dict | None,
    repeat: int,
    exhaustive_max: int,
    before_rev: str | None = None,
) -> str:
    lines = [
        "# Solve scale: RASS vs exhaustive",
        "",
        "Generated by `python benchmarks/solve_scale.py"
        + (f" --before {before_rev[:10]}" if before_rev else "")
        + "`. Machine: "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Each case runs in a fresh process; solve times are the median of "
        f"{repeat} run(s), wall-clock and CPU seconds (the machine is shared with other "
        "work, so CPU time is the steadier number). Peak memory is the process's peak "
        "resident set (Python, libraries, table and space included; the process peaks at "
        f"{statistics.median(r['base_mb'] for r in rows):.0f} MB before it loads the table). "
        "Loading the table and "
        "compiling the space are listed apart. Each front is checked by an independent "
        f"method: the exhaustive solver when the raw product is at most {exhaustive_max:,} "
        "designs, otherwise RASS with the tasks in the reverse order. Above that size "
        "the exhaustive time is an estimate (marked ~) from the designs per second it "
        "reached on the largest product it ran.",
        "",
        "| case | tasks | rows per task | raw product | Pareto designs | RASS s | RASS CPU s "
        "| peak MB | exhaustive s | speed-up | checked by | same front |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        ex = r.get("exhaustive_s")
        if ex is None:
            ex_txt, sp_txt = "not run", ""
        else:
            mark = "~" if r.get("estimated") else ""
            ex_txt = mark + _fmt_s(ex)
            sp_txt = mark + f"{ex / r['rass_s']:,.0f}x"
        agree = {True: "yes", False: "**NO**", None: "n/a"}[r.get("agree")]
        rows_txt = " x ".join(f"{n:,}" for n in r["rows"])
        lines.append(
            f"| {r['label']} | {r['tasks']} | {rows_txt} | {r['raw']:,} | {r['pareto']:,} | "
            f"{_fmt_s(r['rass_s'])} | {_fmt_s(r['rass_cpu_s'])} | {r['peak_mb']:,.0f} | "
            f"{ex_txt} | {sp_txt} | {r.get('check', 'n/a')} | {agree} |"
        )
    timed = [r for r in rows if "before" in r]
    if timed:
        lines += [
            "",
            f"Before and after: the same cases solved by the RASS of commit `{before_rev[:10]}` "
            "(its carin package unpacked with `git archive`), each in a fresh process of this "
            f"run right after the case above, median of {repeat} run(s); the speed-up is the "
            "ratio of the CPU times. Both must return the same set of designs.",
            "",
            "| case | before s | before CPU s | after s | after CPU s | speed-up (CPU) "
            "| same designs |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in timed:
            b = r["before"]
            same = "yes" if r["before_agree"] else "**NO**"
            lines.append(
                f"| {r['label']} | {_fmt_s(b['rass_s'])} | {_fmt_s(b['rass_cpu_s'])} | "
                f"{_fmt_s(r['rass_s'])} | {_fmt_s(r['rass_cpu_s'])} | "
                f"{b['rass_cpu_s'] / r['rass_cpu_s']:.1f}x | {same} |"
            )
    lines += [
        "",
        "Load and compile times (s, wall):",
        "",
        "| case | load table | compile space |",
        "| --- | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | {r['load_s']:.2f} | {r['compile_s']:.2f} |")
    if e2e is not None:
        lines += [
            "",
            "`carin solve` end to end on the 421,875-row nb201 table (all 27 targets, "
            "single-DNN; load, validate, compile, solve nominal and the CPU fallback, "
            "plan, pareto.csv/plan.json/summary.json), in a fresh process after importing "
            "the command's modules (start-up, not counted: "
            f"{e2e['import_s']:.2f} s wall, {e2e['import_cpu_s']:.2f} s CPU):",
            "",
            "| median of runs, wall s | CPU s | first run, wall s | peak MB |",
            "| ---: | ---: | ---: | ---: |",
            f"| {e2e['solve_s']:.2f} | {e2e['solve_cpu_s']:.2f} | {e2e['first_s']:.2f} "
            f"| {e2e['peak_mb']:,.0f} |",
        ]
    lines += [
        "",
        "RASS internals per multi-DNN case: feasible candidate rows per task; rows per "
        "task on its per-processor part front; incumbent vectors (objective vectors of "
        "real designs from a quick greedy pass, used to prune); suffix states kept per "
        "depth (combinations of the last tasks, after pruning) and of those the ones "
        "that can still reach the front; front vectors; partial and full designs scored "
        "in all; candidate rows per task left for step 2 (recovering every design that "
        "attains a front vector).",
        "",
        "| case | candidates | part fronts | incumbents | suffix states | useful suffix "
        "states | front vectors | states scored | step-2 candidates |",
        "| --- | --- | --- | ---: | --- | --- | ---: | ---: | --- |",
    ]
    for r in rows:
        s = r["stats"]
        if "front_vectors" not in s:
            continue
        lines.append(
            f"| {r['label']} | {s['candidates']} | {s.get('part_fronts', '')} | "
            f"{s.get('incumbents', '')} | {s.get('suffix_states', '')} | "
            f"{s.get('useful_suffix_states', '')} | {s['front_vectors']:,} | "
            f"{r['evaluations']:,} | {s.get('step2_candidates', '')} |"
        )
    lines += [
        "",
        "Targets (issue 12): nb201 3 tasks x 15,625 under 1 s; synthetic 3 tasks x 10,000 "
        "rows with 2 and 3 objectives under 2 s; 4 and 5 tasks x 1,000 rows under 10 s "
        "and 1 GB; `carin solve` end to end on 421,875 rows under 1.5 s without start-up.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--repeat", type=int, default=3, help="RASS runs per case (median)")
    parser.add_argument(
        "--exhaustive-max", type=int, default=5_000_000, help="largest product to enumerate"
    )
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument(
        "--only", metavar="TEXT", help="only the cases whose label contains TEXT (needs -o)"
    )
    parser.add_argument(
        "--before", metavar="REV", help="also time git revision REV's RASS on the marked cases"
    )
    parser.add_argument("-o", "--out", type=Path, default=None)
    args = parser.parse_args()
    if args.only and args.out is None:
        parser.error("--only writes a partial table: give -o/--out (not results/solve_scale.md)")
    out = args.out or OUT
    with tempfile.TemporaryDirectory() as tree:
        rev = _unpack(args.before, Path(tree)) if args.before else None
        rows, e2e = run(args.quick, args.exhaustive_max, args.repeat, args.only, rev and tree)
    text = render(rows, e2e, args.repeat, args.exhaustive_max, rev)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "e2e": e2e}, indent=1, default=str))
    print(text)


if __name__ == "__main__":
    main()
