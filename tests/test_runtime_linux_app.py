"""examples/linux_app runs real LiteRT inference and switches designs as conditions change."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import pytest

pytest.importorskip("ai_edge_litert")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "linux_app"
sys.path.insert(0, str(APP))

import app  # noqa: E402

from carin.runtime import Switcher  # noqa: E402

# the emulated, unreported CPU throttling: well above the plan's anticipated 2.5x, so that
# the design running before it misses the limit by far whatever the load of the machine
THROTTLE = 4.0


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


@pytest.fixture(scope="module")
def host_plan(tmp_path_factory):
    """The app's designs re-profiled on this host, and the plan solved from them.

    The committed profiles come from another machine; on a faster or slower host the
    monitor rightly moves off designs on its own, so the scenario is run on a plan
    calibrated here (as a deployment would) and every check below is relative to it.
    """
    import calibrate

    info = calibrate.calibrate(tmp_path_factory.mktemp("host"), frames=30)
    plan = json.loads(Path(info["plan"]).read_text())
    return info, plan


def test_app_runs_inference_and_switches(tmp_path, host_plan):
    info, plan = host_plan
    frames_n = 100
    log, summary_path = tmp_path / "frames.jsonl", tmp_path / "summary.json"
    argv = ["--frames", str(frames_n), "--throttle", str(THROTTLE), "--quiet", "--log", str(log)]
    assert app.main([*argv, "--summary", str(summary_path), "--plan", info["plan"]]) == 0
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    summary = json.loads(summary_path.read_text())
    assert len(frames) == frames_n
    # real inference: the digits models are ~95 % accurate on the held-out data
    assert summary["digits"] == frames_n * 8 and summary["accuracy"] > 85.0
    assert all(f["latency_ms"] > 0 for f in frames if f["design"])
    designs = {d["id"]: d for d in plan["designs"]}
    limit = next(c["value"] for c in plan["constraints"] if c["metric"] == "latency_ms")
    assert limit == pytest.approx(info["latency_limit_ms"])
    lost, throttle_on, throttle_off, back = (int(frames_n * x) for x in (0.2, 0.4, 0.65, 0.85))
    primary = designs[plan["primary"]]["parts"][0]["processor"]
    assert frames[0]["design"] == plan["primary"] and frames[0]["processor"] == primary
    # the delegate loss is reported: from that frame on nothing runs on it until it is back,
    # and the switcher leaves it at that very frame
    assert all(f["processor"] != "xnnpack" for f in frames[lost:back])
    changes = summary["changes"]
    assert changes[0]["to"] == plan["primary"]
    if frames[lost - 1]["processor"] == "xnnpack":
        assert any(c["frame"] == lost for c in changes)
    # the throttling is not reported; the checks use what the monitor saw, the latencies
    # measured in this run: a few frames into it, each design that runs meets the limit
    # at the throttled speed (median of its frames, with room for timer noise), or the
    # running design is the flagged fallback
    settled = frames[throttle_on + 5 : throttle_off]
    for design in {f["design"] for f in settled}:
        mine = [f for f in settled if f["design"] == design]
        measured = statistics.median(f["latency_ms"] for f in mine)
        assert measured <= 1.25 * limit or not any(f["meets_slo"] for f in mine), mine
    # ... and the monitor did have to act: the design running before could not hold
    pre = [
        f
        for f in frames[lost + 2 : throttle_on]
        if f["design"] == frames[throttle_on - 1]["design"]
    ]
    before = statistics.median(f["latency_ms"] for f in pre)
    if frames[throttle_on - 1]["processor"] == "cpu" and before * THROTTLE > 1.25 * limit:
        assert any(throttle_on <= c["frame"] < throttle_on + 5 for c in changes), changes
    assert any(f["throttled"] for f in frames)
    # with the delegate back the app returns to the plan's primary
    assert frames[-1]["design"] == plan["primary"]
