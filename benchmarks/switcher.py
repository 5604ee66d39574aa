"""Time ``Switcher.select`` on synthetic ranked plans and write results/switcher.md.

Plans of 10, 100, 1,000 and 10,000 designs over four processors (cpu, gpu,
npu, dsp) ranked best first, as ``carin solve`` writes them; one family has
single-DNN designs, a second two tasks per design (multi-part designs, whose
latency under a slowdown is evaluated one design at a time). The median is over
batch means (``BATCH`` calls timed together, so the timer's own cost is spread);
the p99 is over single calls, each timed alone, minus the median cost of an
empty timing (so it includes preemption by other processes). A plain dict
lookup (``table.__getitem__(key)``, a call like ``select``) is timed the same
way in the same run as the reference. The Java switcher (android/carin-runtime)
is timed on the same plans and condition sets by ``SelectBenchmark`` on the JVM
(compiled here with ``javac``; skipped, and said so, without a JDK). The last
table is the size of the plan ``carin solve`` writes for each example spec.

Run: ``python benchmarks/switcher.py [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import gzip
import io
import json
import os
import random
import shutil
import statistics
import subprocess
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
PNG = ROOT / "results" / "switcher.png"

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
# no design holds: the answer is the flagged fallback after every candidate is ruled out
NONE_HOLDS = {"unavailable": ["npu"], "memory_budget_mb": 1.0, "slowdown": {"cpu": 2.0}}
JAVA = ROOT / "android" / "carin-runtime" / "src"
JSON_JAR = Path(os.environ.get("ANDROID_JSON_JAR", "/usr/share/java/com.android.json.jar"))


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
    """Median per-call time over batch means and p99 over single timed calls (ns)."""
    clock = time.perf_counter_ns
    means = []
    for _ in range(batches):
        start = clock()
        for _ in range(BATCH):
            fn(arg)
        means.append((clock() - start) / BATCH)
    singles = []
    for _ in range(batches * 5):
        start = clock()
        fn(arg)
        singles.append(clock() - start)
    singles.sort()
    p99 = singles[min(len(singles) - 1, int(0.99 * len(singles)))] - TIMER_NS
    return statistics.median(means), max(p99, 0.0)


def timer_cost() -> float:
    """Median cost (ns) of an empty ``perf_counter_ns`` pair."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(20000):
        start = clock()
        samples.append(clock() - start)
    return statistics.median(samples)


TIMER_NS = 0.0


def fill_table(plan: dict) -> dict:
    """The plan's precomputed answers, as ``carin solve`` would write them."""
    switcher = Switcher(plan=plan, validate=False)  # the table is not filled in yet
    for entry in plan["conditions"]:
        decision = switcher.select(entry["when"])
        entry["design"] = decision.design_id if decision.meets_slo else None
    return plan


def _cell(med: float, p99: float) -> str:
    return f"{med / 1e3:.2f} / {p99 / 1e3:.2f}"


def run(quick: bool) -> str:
    global TIMER_NS
    sizes = [10, 100, 1000] if quick else [10, 100, 1000, 10000]
    batches = 200 if quick else 1000
    load_before = os.getloadavg()[0]
    TIMER_NS = timer_cost()
    table = {("a", "key"): 1, ("b", "key"): 2}
    key = ("a", "key")
    results: dict[tuple[int, int], dict] = {}
    sections: list[str] = []
    gc.disable()
    try:
        for tasks in (1, 2):
            label = "single-DNN designs (one part)" if tasks == 1 else "two-DNN designs (two parts)"
            sections += [
                f"## {label}",
                "",
                "| designs | load ms | nominal | 1 cond | 3 conds | 6 conds | 6, cached "
                "| none holds | dict | 6 conds / dict | answer (6) |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            for n in sizes:
                plan = fill_table(synthetic_plan(n, tasks=tasks, seed=n))
                start = time.perf_counter()
                switcher = Switcher.from_dict(plan)
                load_ms = (time.perf_counter() - start) * 1e3
                dict_med, dict_p99 = time_calls(table.__getitem__, key, batches=batches)
                cells = [_cell(*time_calls(switcher.select, None, batches=batches))]
                times = {}
                for k in (1, 3, 6):
                    times[k] = time_calls(switcher.select, CONDITIONS[k], batches=batches)
                    cells.append(_cell(*times[k]))
                cells.append(
                    _cell(*time_calls(switcher.select_cached, CONDITIONS[6], batches=batches))
                )
                cells.append(_cell(*time_calls(switcher.select, NONE_HOLDS, batches=batches)))
                answer = switcher.select(CONDITIONS[6])
                shown = (
                    str(answer.design_id) if answer.meets_slo else f"{answer.design_id} (flagged)"
                )
                if answer.design_id is None:
                    shown = "none (flagged, no fallback)"
                results[(tasks, n)] = {"times": times, "dict": dict_med, "plan": plan}
                sections.append(
                    f"| {n:,} | {load_ms:.1f} | "
                    + " | ".join(cells)
                    + f" | {_cell(dict_med, dict_p99)} | {times[6][0] / dict_med:.0f}x | {shown} |"
                )
            sections.append("")
    finally:
        gc.enable()
    jvm_lines, jvm_worst = jvm_section(results, sizes, batches)
    load_after = os.getloadavg()[0]
    target = results[(1, 1000)]
    worst = max(t[0] for t in target["times"].values())
    ratio = worst / target["dict"]
    multi = max(t[0] for t in results[(2, 1000)]["times"].values())
    verdict = "met" if worst < 5000 else "NOT met"
    lines = [
        "# Runtime switcher: time of `select`",
        "",
        f"Written by `benchmarks/switcher.py` (CPython {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores shared with other jobs: load average {load_before:.1f} before, "
        f"{load_after:.1f} after). Entries are median / p99 time per call in microseconds: the "
        f"median over {batches} batches of {BATCH} calls, the p99 over {batches * 5} single "
        f"timed calls minus the timer's own median cost ({TIMER_NS:.0f} ns); the p99 includes "
        "preemption by the other jobs (for calls as short as a dict lookup it is within the "
        "timer's own noise). `dict` is a plain `table.__getitem__(key)` call timed "
        "the same way in the same run. Conditions: 1 = npu unavailable; 3 = npu unavailable, "
        "memory budget 60 MB, cpu x2 slowdown; 6 = npu and dsp unavailable, memory 60 MB, "
        "cpu x2 and gpu x1.5 slowdown, latency budget 25 ms (six entries, four kinds). "
        "`6, cached` is `select_cached`, which looks the condition set up in the plan's "
        "precomputed table. `load ms` is `Switcher.from_dict` (validation and precomputation).",
        "",
        "## Against the target",
        "",
        f"Target: median under 5 us for a 1,000-design plan, about 20x a dict lookup. Measured "
        f"for 1,000 single-DNN designs: at most {worst / 1e3:.2f} us median over 1, 3 and 6 "
        f"conditions, so the 5 us target is {verdict}; that is {ratio:.0f}x the "
        f"{target['dict']:.0f} ns dict lookup of this run, "
        + (
            "within the 20x ratio."
            if ratio <= 20
            else f"{ratio / 20:.1f} times the 20x ratio (a dict lookup call here costs "
            f"{target['dict']:.0f} ns, not the ~250 ns that 5 us / 20 assumes)."
        )
        + f" Two-DNN plans of 1,000 designs: at most {multi / 1e3:.2f} us, because a slowdown or "
        "latency budget makes the switcher evaluate multi-part designs one by one from the top "
        "of the ranking until one holds. `none holds` = npu unavailable, memory 1 MB, cpu x2: "
        "no design fits, the answer is the flagged fallback.",
        "",
    ]
    if jvm_worst is not None:
        lines += [
            f"JVM target: median under 1 us at 1,000 designs with 6 conditions. Measured: at most "
            f"{jvm_worst / 1e3:.2f} us over 1, 3 and 6 conditions for single- and two-DNN plans of "
            f"1,000 designs, so the target is {'met' if jvm_worst < 1000 else 'NOT met'} "
            "(see the JVM tables below).",
            "",
        ]
    lines += sections
    lines += jvm_lines
    lines += ["![median select time](switcher.png)", ""]
    lines += plan_sizes()
    plot(results, sizes, PNG)
    return "\n".join(lines) + "\n"


def jvm_section(results: dict, sizes: list[int], batches: int) -> tuple[list[str], float | None]:
    """Time the Java switcher on the same plans; markdown lines and the worst 1,000-design median."""
    head = ["## JVM: the Java switcher (android/carin-runtime)", ""]
    javac, java = shutil.which("javac"), shutil.which("java")
    if not (javac and java and JSON_JAR.is_file()):
        return head + [
            "Not measured: no JDK or no org.json jar (Debian libandroid-json-java).",
            "",
        ], None
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        sources = sorted(str(p) for p in (JAVA / "main").rglob("*.java"))
        sources += [
            str(JAVA / "test/java/carin/runtime" / f)
            for f in ("SelectBenchmark.java", "TestFiles.java")
        ]
        subprocess.run(
            [
                javac,
                "--release",
                "8",
                "-Xlint:-options",
                "-cp",
                str(JSON_JAR),
                "-d",
                str(classes),
                *sources,
            ],
            check=True,
        )
        sets = {"1": CONDITIONS[1], "3": CONDITIONS[3], "6": CONDITIONS[6], "none": NONE_HOLDS}
        (Path(tmp) / "conditions.json").write_text(json.dumps(sets))
        version = subprocess.run(
            [java, "-version"], capture_output=True, text=True
        ).stderr.splitlines()[0]
        lines = head + [
            f"`SelectBenchmark` on {version}: the same plans and condition sets as above, each "
            "after 300,000 warm-up calls (the JIT compiles `select`); median over "
            f"{batches} batches of 1,000 calls, p99 over {batches * 5} single timed calls minus the "
            "timer's median cost. Entries in microseconds (median / p99).",
            "",
        ]
        worst = 0.0
        for tasks in (1, 2):
            lines += [
                f"### {'single-DNN' if tasks == 1 else 'two-DNN'} designs, JVM",
                "",
                "| designs | 1 cond | 3 conds | 6 conds | none holds | Python / JVM (6 conds) | answer (6) |",
                "| ---: | ---: | ---: | ---: | ---: | ---: | --- |",
            ]
            for n in sizes:
                plan_path = Path(tmp) / f"plan-{tasks}-{n}.json"
                plan_path.write_text(json.dumps(results[(tasks, n)]["plan"]))
                out = subprocess.run(
                    [
                        java,
                        "-cp",
                        f"{classes}{os.pathsep}{JSON_JAR}",
                        "carin.runtime.SelectBenchmark",
                        str(plan_path),
                        str(Path(tmp) / "conditions.json"),
                        str(batches),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                rows = {r["conditions"]: r for r in map(json.loads, out.splitlines())}
                python = results[(tasks, n)]["times"]
                if n == 1000:
                    worst = max(worst, *(rows[k]["median_ns"] for k in ("1", "3", "6")))
                answer = (
                    rows["6"]["design"]
                    if rows["6"]["meets_slo"]
                    else f"{rows['6']['design']} (flagged)"
                )
                if rows["6"]["design"] is None:
                    answer = "none (flagged, no fallback)"
                lines.append(
                    f"| {n:,} | "
                    + " | ".join(
                        _cell(rows[k]["median_ns"], rows[k]["p99_ns"])
                        for k in ("1", "3", "6", "none")
                    )
                    + f" | {python[6][0] / rows['6']['median_ns']:.0f}x | {answer} |"
                )
            lines.append("")
    return lines, worst


def plot(results: dict, sizes: list[int], path: Path) -> None:
    """Median select time against plan size, one line per condition count and family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for tasks, style in ((1, "-o"), (2, "--s")):
        for k, color in ((1, "tab:blue"), (3, "tab:orange"), (6, "tab:green")):
            ys = [results[(tasks, n)]["times"][k][0] / 1e3 for n in sizes]
            label = f"{k} cond{'s' if k > 1 else ''}, {'one' if tasks == 1 else 'two'} DNN"
            ax.plot(sizes, ys, style, color=color, label=label)
    ax.plot(sizes, [results[(1, n)]["dict"] / 1e3 for n in sizes], ":", color="gray", label="dict")
    ax.axhline(5.0, color="red", linewidth=0.8, label="5 us target")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("designs in the plan")
    ax.set_ylabel("median time per select (us)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)


def plan_sizes() -> list[str]:
    """Solve every example spec and report the size of the plan.json it writes."""
    from carin.cli import main as carin

    specs = sorted((ROOT / "spaces").glob("*.yaml")) + sorted(ROOT.glob("examples/*/*.yaml"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            out = Path(tmp) / spec.stem
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                code = carin(["solve", str(spec), "--out", str(out)])
            name = str(spec.relative_to(ROOT))
            if code != 0:
                rows.append(f"| {name} | - | - | - | solve failed (exit {code}) |")
                continue
            data = (out / "plan.json").read_bytes()
            plan = json.loads(data)
            rows.append(
                f"| {name} | {len(plan['designs'])} | {len(plan['conditions'])} | "
                f"{len(data):,} | {len(gzip.compress(data, mtime=0)):,} |"
            )
    out = [
        "## Plan size on disk",
        "",
        "`plan.json` as `carin solve SPEC --out DIR` writes it for each example spec.",
        "",
        "| spec | designs | condition entries | bytes | gzip bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    return out + rows + [""]


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
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.output)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
