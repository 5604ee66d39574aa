"""Baseline searches show progress with an ETA on a terminal, nothing when piped."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from carin.solvers import get_solver
from carin.solvers._baseline import progress_bar
from carin.space import compile_space
from carin.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spaces" / "phone-classifier.yaml"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_on_a_terminal_follows_the_search_to_its_end():
    stream = _Tty()
    solver = get_solver(
        "pymoo-nsga2", budget=300, seed=0, progress=progress_bar("pymoo-nsga2", stream=stream)
    )
    solver.solve(compile_space(load_spec(SPEC)))
    last = stream.getvalue().split("\r")[-1]
    assert "pymoo-nsga2" in last
    assert f"{len(solver.history)}/300" in last


def test_bar_shows_an_eta_while_running():
    stream = _Tty()
    bar = progress_bar("optuna-tpe", stream=stream)
    bar(1, 10)
    assert "1/10" in stream.getvalue() and "ETA" in stream.getvalue()
    bar(10, 10)
    assert stream.getvalue().split("\r")[-1].rstrip().endswith("optuna-tpe")


def test_no_bar_when_piped(tmp_path):
    assert progress_bar("optuna-tpe", stream=io.StringIO()) is None
    proc = subprocess.run(
        [sys.executable, "-m", "carin.cli", "solve", str(SPEC), "--solver", "optuna-tpe"]
        + ["--budget", "30", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ETA" not in proc.stderr and "[#" not in proc.stderr and "/30" not in proc.stderr
