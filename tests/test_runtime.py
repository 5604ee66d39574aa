"""Runtime switcher API, plan validation, embedding and the ``carin switch`` command."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import carin.errors
from carin.cli import main
from carin.runtime import EventsError, PlanError, Switcher

ROOT = Path(__file__).resolve().parents[1]
PHONE = json.loads((ROOT / "tests/conformance/single_unavailable.json").read_text())["plan"]


def test_import_pulls_in_only_the_standard_library():
    code = (
        "import sys; before = set(sys.modules); import carin.runtime; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "bad = sorted(new - set(sys.stdlib_module_names) - {'carin'}); "
        "assert not bad, bad; "
        "assert not [m for m in ('numpy', 'pandas', 'yaml') if m in sys.modules]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_copied_folder_works_without_carin(tmp_path):
    """The folder copied under another name imports and runs with no carin on the path."""
    shutil.copytree(ROOT / "carin/runtime", tmp_path / "app_runtime")
    (tmp_path / "plan.json").write_text(json.dumps(PHONE))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import app_runtime as rt; "
        "s = rt.Switcher.from_file(sys.argv[1] + '/plan.json'); "
        "print(s.select({'unavailable': ['npu']}).design_id); "
        "print('carin.errors' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout.split()
    assert out == ["d1", "False"]


def test_plan_error_is_the_carin_error():
    assert PlanError is carin.errors.PlanError
    assert issubclass(EventsError, carin.errors.CarinError)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "carin-plan/2", "format: expected 'carin-plan/1'"),
        (
            ("designs", 3, "parts", 0, "processor"),
            7,
            "designs[3].parts[0].processor: expected a string",
        ),
        (("designs", 1, "rank"), 5, "designs[1].rank: expected 1"),
        (("designs", 2, "id"), "d0", "designs[2].id: duplicate id 'd0'"),
        (
            ("designs", 0, "parts", 0, "latency_ms"),
            "6",
            "designs[0].parts[0].latency_ms: expected a number",
        ),
        (("latency", "aggregate"), "median", "latency.aggregate: expected one of"),
        (("constraints", 0, "op"), "<", "constraints[0].op: expected one of"),
        (("primary",), "d9", "primary: unknown design id 'd9'"),
        (("conditions", 2, "when", "slowdown", "cpu"), 0.5, "conditions[2].when.slowdown.cpu"),
        (("conditions", 1, "when", "memory"), 1, "conditions[1].when.memory: unknown condition"),
        (("designs",), [], "designs: expected a non-empty list"),
    ],
)
def test_malformed_plan_names_the_field(path, value, message):
    plan = copy.deepcopy(PHONE)
    target = plan
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(PlanError) as info:
        Switcher.from_dict(plan)
    assert message in str(info.value)


def test_missing_field_is_named(tmp_path):
    plan = copy.deepcopy(PHONE)
    del plan["designs"][2]["parts"][0]["memory_mb"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    with pytest.raises(
        PlanError, match=r"plan\.json: designs\[2\]\.parts\[0\]\.memory_mb: missing"
    ):
        Switcher.from_file(str(path))
    path.write_text("{not json")
    with pytest.raises(PlanError, match=r"plan\.json:1:2: not valid JSON"):
        Switcher.from_file(str(path))


def test_current_and_on_change_fire_only_on_changes():
    switcher = Switcher.from_dict(PHONE)
    assert switcher.current is None
    seen = []
    switcher.on_change(lambda new, old: seen.append((old and old.design_id, new.design_id)))
    switcher.select({})
    switcher.select({"unavailable": ["cpu"]})  # d0 still best: no callback
    switcher.select({"unavailable": ["npu"]})
    switcher.select({"unavailable": ["npu"], "memory_budget_mb": 100.0})
    assert seen == [(None, "d0"), ("d0", "d1")]
    assert switcher.current.design_id == "d1"
    assert switcher.current.design is switcher.design("d1")


def test_select_never_raises_on_well_typed_odd_values():
    switcher = Switcher.from_dict(PHONE)
    odd = [
        {"memory_budget_mb": float("nan")},
        {"memory_budget_mb": -1.0},
        {"memory_budget_mb": float("inf")},
        {"slowdown": {"cpu": float("inf"), "npu": float("nan")}},
        {"latency_budget_ms": float("nan")},
        {"latency_budget_ms": 0.0},
        {"power_mw": float("nan")},
        {"power_mw": float("inf")},
        {"unavailable": []},
        {"unavailable": ("npu",)},
        {"slowdown": {}},
        None,
        {},
    ]
    for cond in odd:
        decision = switcher.select(cond)
        assert decision.design_id in {"d0", "d1", "d2", "d3", "d4"}
        assert isinstance(decision.reason, str)
    with pytest.raises(ValueError, match="unknown condition 'slowdonw'"):
        switcher.select({"slowdonw": {"cpu": 2.0}})


def _write(path, lines):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return str(path)


def test_switch_command_replays_and_writes_jsonl(tmp_path, capsys):
    plan = _write(tmp_path / "plan.json", [PHONE])
    events = _write(
        tmp_path / "events.jsonl",
        [
            {"t": 0.0, "conditions": {}},
            {"t": 1.0, "conditions": {"unavailable": ["npu"]}},
            {"t": 2.0, "observe": {"latency_ms": 12.5}},
            {"t": 3.0, "conditions": {"unavailable": ["npu", "gpu", "cpu"]}},
        ],
    )
    out = tmp_path / "decisions.jsonl"
    assert main(["switch", plan, "--events", events, "-o", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["design"] for r in records] == ["d0", "d1", "d1", "d3"]
    assert [r["meets_slo"] for r in records] == [True, True, True, False]
    assert [r["changed"] for r in records] == [True, True, False, True]
    printed = capsys.readouterr().out
    assert "npu unavailable" in printed and "NO DESIGN MEETS" in printed


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"t": 0, "conditions": {}}', "{oops"], "events.jsonl:2: not valid JSON"),
        (
            ['{"t": 0, "conditions": {"unavailable": "npu"}}'],
            "events.jsonl:1: conditions.unavailable",
        ),
        (['{"t": 1, "conditions": {}}', '{"t": 0, "conditions": {}}'], "events.jsonl:2: t:"),
        (['{"t": 0, "observe": {"latency_ms": -3}}'], "events.jsonl:1: observe.latency_ms"),
        (['{"t": 0}'], "events.jsonl:1: expected exactly one"),
        (
            ['{"t": 0, "observe": {"latency_ms": 3, "design": "d99"}}'],
            "events.jsonl:1: observe.design",
        ),
        (
            ['{"t": 0, "conditions": {"slowdown": {"cpu": 0.5}}}'],
            "events.jsonl:1: conditions.slowdown.cpu",
        ),
    ],
)
def test_switch_command_bad_events_exit_2(tmp_path, capsys, lines, message):
    plan = _write(tmp_path / "plan.json", [PHONE])
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    assert main(["switch", plan, "--events", str(events)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_switch_command_bad_plan_exit_2(tmp_path, capsys):
    plan = copy.deepcopy(PHONE)
    plan["designs"][3]["parts"][0]["processor"] = None
    path = _write(tmp_path / "plan.json", [plan])
    events = _write(tmp_path / "events.jsonl", [{"t": 0, "conditions": {}}])
    assert main(["switch", path, "--events", events]) == 2
    assert "designs[3].parts[0].processor: expected a string" in capsys.readouterr().err


def test_switch_command_monitor_settings(tmp_path, capsys):
    """--monitor KEY=VALUE reaches the drift monitor; bad settings exit 2 naming the option."""
    plan = _write(tmp_path / "plan.json", [PHONE])
    # d0 (npu, 6 ms of 20) runs 4x slower: the default monitor reacts on the first one,
    # one that expects a lot of jitter (r=1) does not
    lat = PHONE["designs"][0]["parts"][0]["latency_ms"] * 4.0
    events = _write(
        tmp_path / "events.jsonl",
        [{"t": 0.0, "conditions": {}}, {"t": 1.0, "observe": {"latency_ms": lat}}],
    )
    out = tmp_path / "d.jsonl"
    assert main(["switch", plan, "--events", events, "-o", str(out)]) == 0
    assert json.loads(out.read_text().splitlines()[1])["changed"]
    assert main(["switch", plan, "--events", events, "-o", str(out), "--monitor", "r=1"]) == 0
    assert not json.loads(out.read_text().splitlines()[1])["changed"]
    capsys.readouterr()
    assert main(["switch", plan, "--events", events, "--monitor", "rr=1"]) == 2
    assert "--monitor: unknown monitor settings ['rr']" in capsys.readouterr().err
    assert main(["switch", plan, "--events", events, "--monitor", "threshold=0.9"]) == 2
    assert "MonitorConfig.threshold=0.9 is out of range" in capsys.readouterr().err
