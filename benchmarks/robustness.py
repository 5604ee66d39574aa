"""Robustness of the carin CLI: bad inputs, fuzzing, kills during writes, a flaky test, budgets.

Writes results/robustness.md with:

* the hand-made bad inputs of tests/badinputs.py per command: how many, the
  exit-code histogram, tracebacks (target 0) and hangs (target 0);
* the hypothesis fuzz cases run by the ``slow`` fuzz tests of
  tests/test_cli_robustness.py, and how many failed (target 0);
* kills during result-folder writes: folders left mixed (target 0), old-or-new,
  refused as incomplete;
* tests/test_runtime_linux_app.py run 50 times with both CPUs kept busy (target 50/50);
* two ``carin solve`` processes sharing one Optuna study on SQLite, a journal file and
  PostgreSQL (when ``CARIN_TEST_POSTGRES_URL`` is set, as .ci/postgres.sh does):
  complete trials against the budget, and trials added by a resumed run.

Run from the repository root: ``python benchmarks/robustness.py`` (about 20 min on
2 cores); ``--quick`` runs fewer repeats.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import badinputs  # noqa: E402


def bad_inputs(tmp: Path) -> tuple[list[str], dict]:
    rows = []
    totals = {"inputs": 0, "tracebacks": 0, "hangs": 0, "codes": collections.Counter()}
    for command, argvs in badinputs.cases(tmp / "bad").items():
        codes: collections.Counter = collections.Counter()
        tracebacks = hangs = 0
        for argv in argvs:
            outcome = badinputs.run_case(argv, timeout=120, cwd=tmp)
            if outcome.timed_out:
                hangs += 1
                codes["hang"] += 1
            else:
                codes[str(outcome.code)] += 1
            tracebacks += outcome.traceback is not None or "Traceback" in outcome.stderr
        hist = ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))
        rows.append(f"| {command} | {len(argvs)} | {hist} | {tracebacks} | {hangs} |")
        totals["inputs"] += len(argvs)
        totals["tracebacks"] += tracebacks
        totals["hangs"] += hangs
        totals["codes"].update(codes)
    return rows, totals


def fuzz() -> tuple[list[str], int, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "slow"]
        + ["-k", "many", "tests/test_cli_robustness.py", "--hypothesis-show-statistics"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    rows, total, failed = [], 0, 0
    name = None
    for line in proc.stdout.splitlines():
        m = re.search(r"::(test_fuzz_\w+?)_many", line)
        if m:
            name = m.group(1).removeprefix("test_fuzz_")
        m = re.search(r"(\d+) passing(?: examples?)?, (\d+) failing", line)
        if m and name:
            passing, failing = int(m.group(1)), int(m.group(2))
            rows.append(f"| {name} | {passing + failing} | {failing} |")
            total += passing + failing
            failed += failing
            name = None
    if proc.returncode != 0:
        failed = max(failed, 1)
        rows.append(f"| (pytest exit {proc.returncode}) | | see the slow fuzz tests |")
    return rows, total, failed


def kills(tmp: Path, trials: int) -> dict:
    import test_result_dir as t

    from carin.result import solve

    tmp.mkdir(parents=True, exist_ok=True)
    two = {}
    for name, limit in (("wide", "0.012"), ("tight", "0.0016")):
        solve(t._spec(tmp, name, limit)).save(tmp / name)
        two[name] = tmp / name
    return t.kill_trials(two, tmp / "killed", trials, seed=7)


def linux_app_under_load(runs: int) -> tuple[int, int, float]:
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    passed = 0
    start = time.monotonic()
    try:
        for _ in range(runs):
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                + ["tests/test_runtime_linux_app.py::test_app_runs_inference_and_switches"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            passed += proc.returncode == 0
    finally:
        for p in busy:
            p.kill()
            p.wait()
    return passed, runs, time.monotonic() - start


def shared_study(kind: str, tmp: Path, budget: int) -> str:
    import optuna

    from carin.solvers.optuna_ import open_storage

    tmp.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        storage = f"sqlite:///{tmp / 'study.db'}"
    elif kind == "journal":
        storage = f"journal:{tmp / 'study.log'}"
    else:
        storage = os.environ.get("CARIN_TEST_POSTGRES_URL", "")
        if not storage:
            return f"| {kind} | {budget} | not run (no CARIN_TEST_POSTGRES_URL) | | | |"
    name = f"bench-{uuid.uuid4().hex[:8]}"
    spec = ROOT / "spaces" / "phone-classifier.yaml"

    def run(i: int, workers: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "carin.cli", "solve", str(spec), "--solver", "optuna-tpe"]
            + ["--budget", str(budget), "--storage", storage, "--study-name", name]
            + ["--workers", str(workers), "--out", str(tmp / f"o{i}")],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    procs = [run(0, 1), run(1, 2)]
    codes = [p.wait() for p in procs]
    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    workers = {t.user_attrs.get("carin_worker") for t in complete}
    before = len(study.get_trials(deepcopy=False))
    run(2, 1).wait()
    added = len(study.get_trials(deepcopy=False)) - before
    exits = ", ".join(map(str, codes))
    return f"| {kind} | {budget} | {len(complete)} | {len(workers)} | {added} | {exits} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "robustness.md")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else 50
    kill_n = 10 if args.quick else 40
    lines = ["# Robustness", ""]
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        t0 = time.monotonic()
        rows, totals = bad_inputs(tmp)
        print(f"bad inputs: {totals['inputs']} in {time.monotonic() - t0:.0f}s", file=sys.stderr)
        hist = ", ".join(f"{k}: {v}" for k, v in sorted(totals["codes"].items()))
        lines += [
            "## Hand-made bad inputs (tests/badinputs.py)",
            "",
            "Each command line runs in a forked child with a 120 s limit. Allowed exit codes:",
            "0 (the input is usable after all), 2 (bad input), 3 (infeasible), 4 (a baseline",
            "found nothing).",
            "",
            "| command | inputs tried | exit codes | tracebacks (target 0) | hangs (target 0) |",
            "| --- | ---: | --- | ---: | ---: |",
            *rows,
            f"| **all** | {totals['inputs']} | {hist} | {totals['tracebacks']} | {totals['hangs']} |",
            "",
        ]
        t0 = time.monotonic()
        frows, fuzz_total, fuzz_failed = fuzz()
        print(f"fuzz: {fuzz_total} cases in {time.monotonic() - t0:.0f}s", file=sys.stderr)
        lines += [
            "## Fuzzing (hypothesis, the slow tests of tests/test_cli_robustness.py)",
            "",
            "Each case: exit code in {0, 2, 3, 4}, no exception escapes `carin.cli.main`.",
            "",
            "| entry point | cases run | failing (target 0) |",
            "| --- | ---: | ---: |",
            *frows,
            f"| **all** | {fuzz_total} | {fuzz_failed} |",
            "",
        ]
        t0 = time.monotonic()
        k = kills(tmp / "kills", kill_n)
        print(f"kills: {kill_n} in {time.monotonic() - t0:.0f}s", file=sys.stderr)
        lines += [
            "## Kills during result-folder writes",
            "",
            "A writer alternates two different solves into one folder and is killed (SIGKILL)",
            "at a random moment; then `load_result_dir` (what show/plot/explain/switch use)",
            "reads the folder. Mixed = a reader accepted files of two solves.",
            "",
            "| kills | mixed (target 0) | old or new set, complete | refused as incomplete | staging left after the next write |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {kill_n} | {k['mixed']} | {k['old_or_new']} | {k['refused']} | {k['staging_left_after_next_write']} |",
            "",
        ]
        passed, n, seconds = linux_app_under_load(runs)
        print(f"linux_app: {passed}/{n} in {seconds:.0f}s", file=sys.stderr)
        lines += [
            "## tests/test_runtime_linux_app.py under load",
            "",
            f"`test_app_runs_inference_and_switches` run {n} times in a row while "
            f"{os.cpu_count()} busy-loop processes keep every CPU busy ({seconds:.0f} s).",
            "",
            "| runs | passed (target all) |",
            "| ---: | ---: |",
            f"| {n} | {passed} |",
            "",
        ]
        rows = [
            shared_study(kind, tmp / f"study-{kind}", 150)
            for kind in ("sqlite", "journal", "postgres")
        ]
        lines += [
            "## Two processes sharing one Optuna study",
            "",
            "`carin solve --solver optuna-tpe --budget 150 --study-name S` started twice at",
            "once on the same storage (one with `--workers 1`, one with `--workers 2`), then",
            "once more to resume.",
            "",
            "| storage | budget | complete trials (target = budget) | workers seen | trials added by the resumed run (target 0) | exit codes of the two runs |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            *rows,
            "",
        ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
