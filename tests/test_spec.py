"""SLO spec parsing and the user errors of `carin solve`: one test per bad-input class.

Each bad input must exit 2 (3 when nothing is feasible) with a message that
names the file, the line or row/column, and what is allowed, never a traceback,
and must leave nothing half-written in the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carin.cli import main
from carin.errors import SpecError
from carin.spec import load_spec, parse_spec

SPACES = Path(__file__).resolve().parent.parent / "spaces"

TABLE = (
    "model,precision,processor,task,latency_ms,accuracy,memory_mb\n"
    "a,fp32,cpu,cls,4.0,70,20\n"
    "a,int8,npu,cls,1.0,68,10\n"
    "b,fp32,gpu,cls,2.5,75,30\n"
    "c,fp32,cpu,det,6.0,40,50\n"
    "c,int8,npu,det,2.0,38,25\n"
)


def _write(tmp_path: Path, spec: str, table: str = TABLE, name: str = "app.yaml") -> Path:
    (tmp_path / "t.csv").write_text(table)
    path = tmp_path / name
    path.write_text(spec)
    return path


def _solve(path: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["solve", str(path), "--out", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


GOOD = """profiles: t.csv
where: {task: cls}
objectives:
  - {metric: accuracy, goal: max}
  - {metric: latency_ms, goal: min}
constraints:
  - {metric: latency_ms, max: 3}
"""


def test_issue_example_form_parses(tmp_path):
    spec = load_spec(
        _write(
            tmp_path,
            GOOD
            + "  - {metric: accuracy, min: 60}\n"
            + "anticipate:\n  processor_unavailable: [npu, gpu]\n"
            + "  memory_budget_mb: [100, 50]\n  slowdown: {cpu: 2.0}\n",
        )
    )
    assert [o.goal for o in spec.objectives] == ["max", "min"]
    assert [(c.target.metric, c.op, c.value) for c in spec.constraints] == [
        ("latency_ms", "<=", 3.0),
        ("accuracy", ">=", 60.0),
    ]
    assert spec.anticipate.processor_unavailable == ("npu", "gpu")
    assert spec.anticipate.memory_budget_mb == (100.0, 50.0)
    assert spec.anticipate.slowdown == (("cpu", 2.0),)
    # every combination of the anticipated conditions, the nominal one excluded
    sets = list(spec.anticipate.condition_sets())
    # unavailable: none, {npu}, {gpu}, {npu, gpu}; memory: none, 100, 50; slowdown: none, cpu
    assert len(sets) == 4 * 3 * 2 - 1
    assert {"unavailable": ["gpu"]} in sets


def test_string_sugar_equals_mapping_form(tmp_path):
    a = load_spec(_write(tmp_path, GOOD, name="a.yaml"))
    b = load_spec(
        _write(
            tmp_path,
            "profiles: t.csv\nwhere: {task: cls}\n"
            'objectives: ["max accuracy", "min latency_ms"]\n'
            'constraints: ["latency_ms <= 3"]\n',
            name="b.yaml",
        )
    )
    assert a.objectives == b.objectives and a.constraints == b.constraints


def test_solve_writes_outputs(tmp_path, capsys):
    code, _ = _solve(_write(tmp_path, GOOD), tmp_path / "out", capsys)
    assert code == 0
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert plan["format"] == "carin-plan/1"
    # a (1.0 ms, 68) and b (2.5 ms, 75) are both Pareto; b ranks first on accuracy
    assert [d["parts"][0]["config"]["model"] for d in plan["designs"]] == ["b", "a"]
    assert plan["primary"] == plan["designs"][0]["id"]


@pytest.mark.parametrize(
    ("spec", "table", "expect"),
    [
        pytest.param(
            "profiles: t.csv\nobjectives: [min latency_ms\n",
            TABLE,
            ["app.yaml:", "malformed YAML"],
            id="malformed-yaml",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives:\n  - min latency_mss\n",
            TABLE,
            ["app.yaml:3", "unknown metric 'latency_mss'", "latency_ms"],
            id="unknown-metric",
        ),
        pytest.param(
            "profiles: t.csv\nwhere: {devise: x}\nobjectives: [min latency_ms]\n",
            TABLE,
            ["app.yaml:2", "where.devise", "unknown key column", "model"],
            id="unknown-key-column",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [min latency_ms]\n"
            "constraints:\n  - {metric: latency_ms, max: fast}\n",
            TABLE,
            ["app.yaml:4", "constraints[0].max", "expected a number"],
            id="wrong-type",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [{metric: latency_ms, goal: smallest}]\n",
            TABLE,
            ["app.yaml:2", "goal", "min", "max"],
            id="wrong-goal",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [min latency_ms]\nsolver: rass\n",
            TABLE,
            ["app.yaml:3", "unknown key", "allowed keys"],
            id="unknown-top-key",
        ),
        pytest.param(
            "profiles: nothere.csv\nobjectives: [min latency_ms]\n",
            TABLE,
            ["app.yaml:1", "nothere.csv", "no such profile table"],
            id="missing-profile-file",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [min latency_ms]\n",
            "model,precision,processor,latency_ms\n",
            ["t.csv", "no rows"],
            id="empty-table",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [min latency_ms]\n",
            "model,precision,processor,latency_ms\na,fp32,cpu,1\nb,fp32,cpu,-2\n",
            ["t.csv", "row 3", "latency_ms", "negative"],
            id="negative-latency",
        ),
        pytest.param(
            "profiles: t.csv\nwhere: {task: nothing}\nobjectives: [min latency_ms]\n",
            TABLE,
            ["app.yaml:2", "where", "nothing"],
            id="filter-matches-nothing",
        ),
        pytest.param(
            "profiles: t.csv\ntasks:\n  - {name: a}\n  - {name: a}\n"
            "objectives: [min max(latency_ms)]\n",
            TABLE,
            ["app.yaml:4", "tasks[1]", "'a'"],
            id="duplicate-task-name",
        ),
        pytest.param(
            "profiles: t.csv\nobjectives: [min max(latency_ms)]\n",
            TABLE,
            ["app.yaml:2", "objectives[0]", "multi-DNN", "bare column name"],
            id="aggregate-in-single-dnn",
        ),
    ],
)
def test_bad_input_exits_2_with_location(tmp_path, capsys, spec, table, expect):
    out = tmp_path / "out"
    code, err = _solve(_write(tmp_path, spec, table), out, capsys)
    assert code == 2
    assert err.startswith("error: ")
    for piece in expect:
        assert piece in err, (piece, err)
    assert not out.exists() or not any(out.iterdir())


def test_infeasible_spec_exits_3_with_nearest_misses(tmp_path, capsys):
    spec = GOOD.replace("max: 3", "max: 0.5")
    code, err = _solve(_write(tmp_path, spec), tmp_path / "out", capsys)
    assert code == 3
    assert "no design meets the constraints" in err
    # the nearest miss is the 1.0 ms design, off by 0.5 ms
    assert "latency_ms <= 0.5 (is 1 ms, off by 0.5)" in err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["feasible"] is False
    assert summary["nearest_misses"]
    assert not (tmp_path / "out" / "plan.json").exists()


def test_failed_solve_keeps_previous_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    path = _write(tmp_path, GOOD)
    assert _solve(path, out, capsys)[0] == 0
    before = (out / "plan.json").read_bytes()
    path.write_text("profiles: t.csv\nobjectives: [min nothing_ms]\n")
    assert _solve(path, out, capsys)[0] == 2
    assert (out / "plan.json").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_multi_dnn_default_aggregates(tmp_path):
    spec = load_spec(
        _write(
            tmp_path,
            "profiles: t.csv\ntasks:\n  - {name: a, where: {task: cls}}\n"
            "  - {name: b, where: {task: det}}\n"
            "objectives: [min latency_ms, max accuracy, min memory_mb]\n",
        )
    )
    got = [(o.target.metric, o.target.aggregate) for o in spec.objectives]
    assert got == [("latency_ms", "max"), ("accuracy", "mean"), ("memory_mb", "sum")]


def test_parse_spec_rejects_non_mapping():
    with pytest.raises(SpecError, match="expected a mapping"):
        parse_spec(["profiles", "x"])


@pytest.mark.parametrize("name", sorted(p.name for p in SPACES.glob("*.yaml")))
def test_example_specs_load(name):
    spec = load_spec(SPACES / name)
    assert spec.objectives and spec.profiles.exists()
