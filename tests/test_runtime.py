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
from carin.runtime import EventsError, PlanError, Switcher, validate_plan

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


def test_processor_names_are_matched_in_lower_case():
    """The spec lower-cases processor names; conditions and plans may use any case."""
    switcher = Switcher.from_dict(PHONE)
    for name in ("NPU", "Npu", "npu"):
        decision = switcher.select({"unavailable": [name]})
        assert (decision.design_id, decision.meets_slo) == ("d1", True)
    assert switcher.select({"unavailable": "NPU"}).design_id == "d1"
    # d1 (gpu, 12 ms) under GPU x2 misses the 20 ms limit: d3 (cpu, 8 ms) is next that holds
    assert switcher.select({"unavailable": ["NPU"], "slowdown": {"GPU": 2.0}}).design_id == "d3"
    # names differing only in case are one processor: the largest factor counts
    both = {"unavailable": ["npu"], "slowdown": {"gpu": 1.0, "GPU": 2.0}}
    assert switcher.select(both).design_id == "d3"
    assert "npu unavailable" in switcher.why_infeasible(0, {"unavailable": ["NPU"]})
    upper = copy.deepcopy(PHONE)
    for design in upper["designs"]:
        for part in design["parts"]:
            part["processor"] = part["processor"].upper()
    shouting = Switcher.from_dict(upper)
    for cond in ({"unavailable": ["npu"]}, {"unavailable": ["NPU", "gpu"], "slowdown": {"cpu": 3}}):
        assert shouting.select(cond).design_id == switcher.select(cond).design_id
    shouting.select({})
    shouting.observe("d0", 80.0)  # the monitor keys its estimates by the lower-case name
    assert list(shouting.estimates()) == ["npu"]


def test_select_observe_and_select_cached_never_raise_on_well_typed_input():
    """Integers beyond the float range, None for the design or the conditions."""
    switcher = Switcher.from_dict(PHONE)
    huge = 10**400
    assert switcher.select({"slowdown": {"npu": huge}}).design_id == "d1"
    assert switcher.select({"slowdown": {"npu": huge}, "latency_budget_ms": 30}).design_id == "d1"
    assert switcher.select({"memory_budget_mb": huge}).design_id == "d0"
    assert switcher.select({"memory_budget_mb": -huge}).design_id == "d3"  # flagged fallback
    assert switcher.select({"latency_budget_ms": huge, "power_mw": -huge}).design_id == "d0"
    # observe(None, ...) after conditions holding such numbers, and odd latencies
    assert switcher.observe(None, 6.0).design_id == "d0"
    for latency in (huge, -huge, None, True, float("nan")):
        assert switcher.observe(None, latency).design_id == "d0"
    assert switcher.estimates()["npu"][0] == pytest.approx(1.0, abs=0.01)
    assert switcher.observe("no-such-id", 6.0).design_id == "d0"
    for cond in (None, {}, {"unavailable": ["NPU"]}, {"slowdown": {"npu": huge}}):
        cached = switcher.select_cached(cond)
        assert cached.design_id == Switcher.from_dict(PHONE).select(cond).design_id
    fresh = Switcher.from_dict(PHONE)
    assert fresh.observe(None, 6.0).design_id == "d0"  # no select before: nominal


def _broken(edit):
    plan = copy.deepcopy(PHONE)
    edit(plan)
    return plan


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["constraints"][0].update(value=float("nan")),
            "constraints[0].value: expected a finite number, got nan",
        ),
        (
            lambda p: p["constraints"][1].update(value=float("-inf")),
            "constraints[1].value: expected a finite number, got -inf",
        ),
        (
            lambda p: p["constraints"][0].update(value=10**400),
            "constraints[0].value: expected a finite number",
        ),
        (
            lambda p: p["designs"][2]["parts"][0].update(latency_ms=-1.0),
            "designs[2].parts[0].latency_ms: expected a number > 0, got -1.0",
        ),
        (
            lambda p: p["designs"][2]["parts"][0].update(latency_ms=0),
            "designs[2].parts[0].latency_ms: expected a number > 0, got 0",
        ),
        (
            lambda p: p["designs"][2]["parts"][0].update(memory_mb=-0.5),
            "designs[2].parts[0].memory_mb: expected a number >= 0",
        ),
        (
            lambda p: p["designs"][1]["metrics"].update(latency_ms=-12.0),
            "designs[1].metrics.latency_ms: expected a number > 0",
        ),
        (
            lambda p: p["designs"][1]["metrics"].update(accuracy=float("inf")),
            "designs[1].metrics.accuracy: expected a finite number",
        ),
        (
            lambda p: p["designs"][0].update(power_band_mw=[0.0, float("inf")]),
            "designs[0].power_band_mw[1]: expected a finite number",
        ),
        (
            lambda p: p["conditions"][1]["when"].update(memory_budget_mb=float("inf")),
            "conditions[1].when.memory_budget_mb: expected a finite number",
        ),
        (
            lambda p: p.update(primary="d1"),
            "primary: expected 'd0', the rank-0 design, got 'd1'",
        ),
        (
            lambda p: p.update(fallback="d1"),
            "fallback: design 'd1' runs on gpu; the fallback must run on the cpu only",
        ),
        (
            lambda p: p["designs"][0]["parts"][0]["config"].update(asset=""),
            "designs[0].parts[0].config.asset: expected a non-empty string",
        ),
        (
            lambda p: p["conditions"][0].update(design="d2"),
            "conditions[0].design: the plan says 'd2', but the feasibility rule gives 'd1' "
            "(d2 is infeasible: npu unavailable)",
        ),
        (
            lambda p: p["conditions"][1].update(design="d3"),
            "conditions[1].design: the plan says 'd3', but the feasibility rule gives 'd0' "
            "(d0 holds under these conditions and is ranked higher)",
        ),
        (
            lambda p: p["conditions"][4].update(design=None),
            "conditions[4].design: the plan says None, but the feasibility rule gives 'd4' "
            "(d4 holds under these conditions)",
        ),
    ],
)
def test_validator_refuses_plans_the_switcher_would_disagree_with(edit, message):
    """Non-finite limits, negative latencies, a primary that is not rank 0, a non-CPU
    fallback and a condition table that disagrees with select are refused at load."""
    plan = _broken(edit)
    with pytest.raises(PlanError) as info:
        Switcher.from_dict(plan)
    assert str(info.value).startswith(message), str(info.value)
    with pytest.raises(PlanError):
        validate_plan(plan)
    # without validation the same plan loads, and the disagreement is listed
    if message.startswith("conditions[") and ".design:" in message:
        assert Switcher(plan=plan, validate=False).cache_mismatches == [message]


def test_every_mismatch_is_counted_in_the_message():
    plan = _broken(lambda p: [c.update(design="d3") for c in p["conditions"][:3]])
    with pytest.raises(PlanError, match=r"; and 2 more such entries$"):
        validate_plan(plan)


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


def test_asset_column_flows_into_the_plan(tmp_path, capsys):
    """An app finds the model file of every part in ``config.asset`` of the plan."""
    (tmp_path / "p.csv").write_text(
        "model,precision,processor,threads,asset,latency_ms,accuracy\n"
        "mnv2,int8,npu,,models/mnv2_int8.tflite,2.0,71\n"
        "mnv2,fp16,gpu,,models/mnv2_fp16.tflite,4.0,72\n"
        "mnv2,int8,cpu,4,models/mnv2_int8.tflite,9.0,71\n"
        "tiny,int8,cpu,2,,3.0,60\n"
    )
    (tmp_path / "s.yaml").write_text(
        "name: assets\nprofiles: p.csv\nobjectives: ['max accuracy', 'min latency_ms']\n"
        "constraints: ['latency_ms <= 10']\nanticipate: {processor_unavailable: [npu, gpu]}\n"
    )
    assert main(["solve", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    plan = json.loads((tmp_path / "out/plan.json").read_text())
    switcher = Switcher.from_dict(plan)
    assets = {
        d["id"]: (d["parts"][0]["processor"], d["parts"][0]["config"].get("asset"))
        for d in plan["designs"]
    }
    assert assets[switcher.select({}).design_id] == ("gpu", "models/mnv2_fp16.tflite")
    lost = switcher.select({"unavailable": ["gpu", "npu"]})
    assert assets[lost.design_id] == ("cpu", "models/mnv2_int8.tflite")
    # threads is text here because a row has none (a column of whole numbers stays a number)
    assert int(lost.design["parts"][0]["config"]["threads"]) == 4
    # a row without an asset has none in its config
    assert all(
        "asset" not in d["parts"][0]["config"]
        for d in plan["designs"]
        if d["parts"][0]["config"]["model"] == "tiny"
    )
