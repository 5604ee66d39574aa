"""The committed example timelines replay through the plans of the example specs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from carin.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs/plan.schema.json").read_text())
SPECS = sorted(p.stem for p in (ROOT / "spaces").glob("*.yaml"))


def test_every_example_spec_has_an_events_file():
    missing = [s for s in SPECS if not (ROOT / "examples/events" / f"{s}.jsonl").is_file()]
    assert not missing, f"no examples/events/<spec>.jsonl for {missing}"


@pytest.mark.parametrize("spec", SPECS)
def test_events_replay_switches_on_conditions_and_on_drift(spec, tmp_path, capsys):
    events = ROOT / "examples/events" / f"{spec}.jsonl"
    if not events.is_file():
        pytest.skip("covered by test_every_example_spec_has_an_events_file")
    assert main(["solve", str(ROOT / "spaces" / f"{spec}.yaml"), "--out", str(tmp_path)]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(plan)
    out = tmp_path / "decisions.jsonl"
    capsys.readouterr()
    assert (
        main(["switch", str(tmp_path / "plan.json"), "--events", str(events), "-o", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == sum(1 for line in events.read_text().splitlines() if line.strip())
    ids = {d["id"] for d in plan["designs"]} | {None}
    assert {r["design"] for r in records} <= ids
    assert all(r["reason"] for r in records)
    # the story: anticipated and unanticipated conditions move the design, and so does the
    # drift monitor, which then lets go again once the latencies are back to normal
    assert any(r["changed"] and r["event"] == "conditions" for r in records)
    if not any(c["metric"] == plan["latency"]["metric"] for c in plan["constraints"]):
        return  # no latency limit: nothing for the drift monitor to protect
    drift = [r for r in records if r["event"] == "observe" and r["monitor_slowdown"]]
    assert drift, "the silent slowdown never engaged the drift monitor"
    assert any(r["changed"] for r in drift)
    last_observe = [r for r in records if r["event"] == "observe"][-1]
    assert last_observe["design"] == plan["primary"] and not last_observe["monitor_slowdown"]
    assert f"{len(records)} events" in printed
