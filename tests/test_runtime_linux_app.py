"""examples/linux_app runs real LiteRT inference and switches designs as conditions change."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("ai_edge_litert")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "linux_app"
sys.path.insert(0, str(APP))

import app  # noqa: E402

from carin.runtime import Switcher  # noqa: E402


def test_committed_plan_is_valid_and_covers_the_scenario():
    switcher = Switcher.from_file(str(APP / "plan.json"))
    assert switcher.cache_mismatches == []
    first = switcher.select({})
    assert first.design["parts"][0]["processor"] == "xnnpack"
    lost = switcher.select({"unavailable": ["xnnpack"]})
    assert lost.meets_slo and lost.design["parts"][0]["processor"] == "cpu"
    # every design's model ships with the fixtures
    for design in switcher.plan["designs"]:
        config = design["parts"][0]["config"]
        assert (
            ROOT / "tests/fixtures/models" / f"{config['model']}_{config['precision']}.tflite"
        ).is_file()


def test_app_runs_inference_and_switches(tmp_path):
    frames_n = 100
    log, summary_path = tmp_path / "frames.jsonl", tmp_path / "summary.json"
    assert (
        app.main(
            [
                "--frames",
                str(frames_n),
                "--quiet",
                "--log",
                str(log),
                "--summary",
                str(summary_path),
            ]
        )
        == 0
    )
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    summary = json.loads(summary_path.read_text())
    assert len(frames) == frames_n
    # real inference: the digits models are ~95 % accurate on the held-out data
    assert summary["digits"] == frames_n * 8 and summary["accuracy"] > 85.0
    assert all(f["latency_ms"] > 0 for f in frames if f["design"])
    plan = json.loads((APP / "plan.json").read_text())
    designs = {d["id"]: d for d in plan["designs"]}
    limit = next(c["value"] for c in plan["constraints"] if c["metric"] == "latency_ms")
    lost, throttle_on, throttle_off, back = (int(frames_n * x) for x in (0.2, 0.4, 0.65, 0.85))
    assert frames[0]["processor"] == "xnnpack"
    # the delegate loss is reported: from that frame on nothing runs on it until it is back
    assert all(f["processor"] == "cpu" for f in frames[lost:back])
    # the throttling is not reported: the monitor must leave any design that cannot hold
    # under it within a few frames (or run the fallback flagged when none can)
    settled = frames[throttle_on + 5 : throttle_off]
    for f in settled:
        profiled = designs[f["design"]]["parts"][0]["latency_ms"]
        assert profiled * app.parse_args([]).throttle <= limit or not f["meets_slo"], f
    assert any(f["throttled"] for f in frames) and frames[-1]["processor"] == "xnnpack"
    changes = summary["changes"]
    assert changes[0]["to"] == plan["primary"]
    assert any(c["frame"] == lost for c in changes)
