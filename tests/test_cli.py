"""`carin solve` and `carin show` on the embedded example specs."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from carin.cli import main
from carin.runtime import validate_plan

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
EXAMPLES = sorted(p.name for p in SPACES.glob("*.yaml"))


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    out = {}
    for name in EXAMPLES:
        d = tmp_path_factory.mktemp(Path(name).stem)
        code = main(["solve", str(SPACES / name), "--out", str(d)])
        out[name] = (code, d)
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_solve_example_writes_consistent_outputs(solved, name):
    code, d = solved[name]
    assert code == 0
    plan = json.loads((d / "plan.json").read_text())
    summary = json.loads((d / "summary.json").read_text())
    with open(d / "pareto.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    validate_plan(plan)
    assert plan["format"] == "carin-plan/1"
    assert summary["feasible"] is True
    assert len(rows) == summary["pareto_designs"] >= 1
    # the plan's Pareto designs are the CSV's rows, best first
    pareto_ids = [d_["id"] for d_ in plan["designs"] if d_["pareto"]]
    assert len(pareto_ids) == len(rows)
    assert plan["primary"] == plan["designs"][0]["id"]
    # every objective and constrained metric appears as a CSV column
    header = rows[0].keys()
    for obj in plan["objectives"]:
        assert obj["metric"] in header
    for con in plan["constraints"]:
        assert con["metric"] in header
    # every anticipated condition has an answer: a design of the plan or null
    ids = {d_["id"] for d_ in plan["designs"]}
    for cond in plan["conditions"]:
        assert cond["design"] is None or cond["design"] in ids


@pytest.mark.parametrize("name", ["phone-multi.yaml"])
def test_multi_dnn_columns_are_prefixed_by_task(solved, name):
    _, d = solved[name]
    header = (d / "pareto.csv").read_text().splitlines()[0].split(",")
    for task in ("detect", "segment", "classify"):
        assert f"{task}.model" in header and f"{task}.latency_ms" in header


def test_show_reprints_the_result(solved, capsys):
    _, d = solved["phone-classifier.yaml"]
    plan = json.loads((d / "plan.json").read_text())
    capsys.readouterr()
    assert main(["show", str(d)]) == 0
    text = capsys.readouterr().out
    first = plan["designs"][0]["parts"][0]["config"]["model"]
    assert first in text and plan["primary"] in text


def test_show_missing_dir_exits_2(tmp_path, capsys):
    assert main(["show", str(tmp_path / "nothing")]) == 2
    assert "nothing" in capsys.readouterr().err


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    spec = str(SPACES / "phone-multi.yaml")
    for run in ("a", "b"):
        assert main(["solve", spec, "--out", str(tmp_path / run)]) == 0
    for name in ("plan.json", "pareto.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_exhaustive_solver_gives_the_same_plan(tmp_path):
    spec = str(SPACES / "phone-classifier.yaml")
    assert main(["solve", spec, "--out", str(tmp_path / "r"), "--solver", "rass"]) == 0
    assert main(["solve", spec, "--out", str(tmp_path / "e"), "--solver", "exhaustive"]) == 0
    a = json.loads((tmp_path / "r" / "plan.json").read_text())
    b = json.loads((tmp_path / "e" / "plan.json").read_text())
    assert a["designs"] == b["designs"] and a["conditions"] == b["conditions"]


def test_unknown_solver_exits_2(tmp_path, capsys):
    code = main(
        [
            "solve",
            str(SPACES / "phone-classifier.yaml"),
            "--solver",
            "magic",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "magic" in err and "rass" in err


def test_console_script_runs_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "carin.cli", "solve", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "bad.yaml" in proc.stderr


def test_empty_baseline_result_is_not_reported_as_infeasible():
    import numpy as np

    import carin
    from carin.errors import InfeasibleError, SearchIncompleteError
    from carin.solvers._base import Solver

    class GivesUp(Solver):
        name = "gives-up"
        exact = False

        def _solve(self, space, condition):
            return np.zeros((0, len(space.tasks)), dtype=np.int64), 7, {}

    with pytest.raises(SearchIncompleteError, match="gives-up found no feasible design") as exc:
        carin.solve(SPACES / "phone-classifier.yaml", solver=GivesUp())
    assert not isinstance(exc.value, InfeasibleError)
    assert exc.value.exit_code == 4


def test_unwritable_output_folder_exits_2_without_traceback(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["solve", str(SPACES / "phone-classifier.yaml"), "--out", str(blocker / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "file" in err and "Traceback" not in err


def test_summary_records_an_absolute_spec_path(solved):
    _, d = solved["phone-classifier.yaml"]
    spec = Path(json.loads((d / "summary.json").read_text())["spec"])
    assert spec.is_absolute() and spec.exists()


def test_flagship_example_moves_between_processors(solved):
    """The README's first command: a plan that changes processor under its conditions."""
    _, d = solved["phone-classifier.yaml"]
    plan = json.loads((d / "plan.json").read_text())
    procs = {d_["id"]: {p["processor"] for p in d_["parts"]} for d_ in plan["designs"]}
    assert plan["fallback"] is not None and procs[plan["fallback"]] == {"cpu"}
    assert "cpu" not in procs[plan["primary"]]
    assert all(c["design"] is not None for c in plan["conditions"])
    picked = {json.dumps(c["when"], sort_keys=True): c["design"] for c in plan["conditions"]}
    no_npu = picked[json.dumps({"unavailable": ["npu"]})]
    slower = picked[json.dumps({"slowdown": {"cpu": 2.0}, "unavailable": ["npu"]}, sort_keys=True)]
    assert procs[no_npu] == procs[slower] == {"cpu"} and no_npu != slower


def test_solve_warns_about_conditions_that_change_nothing(tmp_path, capsys):
    spec = tmp_path / "idle.yaml"
    spec.write_text(
        f"profiles: {SPACES / 'aihub.csv'}\n"
        "where: {device: Samsung Galaxy S24, task: image_classification}\n"
        'objectives: ["max accuracy", "min latency_ms"]\n'
        'constraints: ["latency_ms <= 2"]\n'
        "anticipate:\n"
        "  processor_unavailable: [npu, gpu]\n"
        "  slowdown: {cpu: 2.0}\n"
        "  latency_budget_ms: [1, 3]\n"
    )
    assert main(["solve", str(spec), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    warned = [line for line in err if line.startswith("warning: ")]
    assert any(f"{spec}:6:" in w and "no candidate runs on gpu" in w for w in warned)
    assert any(f"{spec}:7:" in w and "no candidate runs on cpu" in w for w in warned)
    assert any("3 ms is not below" in w for w in warned)
    assert len(warned) == 3  # npu is used, and 1 ms is below the limit
    capsys.readouterr()
    assert main(["solve", str(SPACES / "phone-classifier.yaml"), "--out", str(tmp_path / "p")]) == 0
    assert "warning" not in capsys.readouterr().err
