"""examples/linux_app runs real LiteRT inference and switches designs as conditions change."""

from __future__ import annotations

import json
import math
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

# the emulated, unreported CPU throttling, at least: well above the plan's anticipated 2.5x
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


def _patience() -> int:
    """Frames within which the drift monitor must act on a sustained miss by 25 % or more.

    At steady state the filter of a processor observed every frame has prior variance
    ``a = (q + sqrt(q**2 + 4 q r)) / 2`` and gain ``K = a / (a + r)``; it flags a
    single-part design once its estimate ``x`` passes ``L - z * sqrt(a + r)`` (``L`` =
    limit / profiled latency). With every ratio at ``y >= 1.25 L`` the estimate, starting
    anywhere in ``[0, L)``, is there once ``(1 - K)**n <= (y - L) / y``, i.e. within
    ``log(0.2) / log(1 - K)`` frames (6 with the app's MONITOR). Twice that is allowed.
    """
    cfg = app.MONITOR
    a = (cfg.q + math.sqrt(cfg.q**2 + 4 * cfg.q * cfg.r)) / 2
    gain = a / (a + cfg.r)
    return 2 * math.ceil(math.log(0.2) / math.log(1 - gain))


def _runs(frames: list[dict]) -> list[list[dict]]:
    """Maximal runs of consecutive frames under one decision (design and SLO verdict)."""
    out: list[list[dict]] = []
    for f in frames:
        if out and (out[-1][-1]["design"], out[-1][-1]["meets_slo"]) == (
            f["design"],
            f["meets_slo"],
        ):
            out[-1].append(f)
        else:
            out.append([f])
    return out


def test_app_runs_inference_and_switches(tmp_path, host_plan):
    info, plan = host_plan
    frames_n = 100
    designs = {d["id"]: d for d in plan["designs"]}
    limit = next(c["value"] for c in plan["constraints"] if c["metric"] == "latency_ms")
    assert limit == pytest.approx(info["latency_limit_ms"])
    # the throttling is not reported; it is made strong enough that the design running
    # when the delegate is lost misses the limit about twice over (by the host's own
    # timings), so the run shows the monitor at work on any host
    switcher = Switcher(plan=plan)
    on_loss = switcher.select({"unavailable": ["xnnpack"]}).design
    throttle = max(THROTTLE, 2 * limit / on_loss["metrics"]["latency_ms"])
    log, summary_path = tmp_path / "frames.jsonl", tmp_path / "summary.json"
    argv = ["--frames", str(frames_n), "--throttle", str(throttle), "--quiet", "--log", str(log)]
    assert app.main([*argv, "--summary", str(summary_path), "--plan", info["plan"]]) == 0
    frames = [json.loads(line) for line in log.read_text().splitlines()]
    summary = json.loads(summary_path.read_text())
    assert len(frames) == frames_n
    # real inference: the digits models are ~95 % accurate on the held-out data
    assert summary["digits"] == frames_n * 8 and summary["accuracy"] > 85.0
    assert all(f["latency_ms"] > 0 for f in frames if f["design"])
    lost, throttle_on, throttle_off, back = (int(frames_n * x) for x in (0.2, 0.4, 0.65, 0.85))
    primary = designs[plan["primary"]]["parts"][0]["processor"]
    assert frames[0]["design"] == plan["primary"] and frames[0]["processor"] == primary

    # the delegate loss is reported: from that frame on nothing runs on it until it is
    # back, and the switcher leaves it at that very frame
    assert all(f["processor"] != "xnnpack" for f in frames[lost:back])
    if frames[lost - 1]["processor"] == "xnnpack":
        assert frames[lost]["design"] != frames[lost - 1]["design"]
        assert any(c["frame"] == lost for c in summary["changes"])

    # Everything below is relative to what the monitor saw: the latencies measured in
    # this run, whatever the speed or load of the machine. First: a design the switcher
    # says meets the SLO is never kept for `patience` frames that all measure over 1.25x
    # the limit (the monitor leaves it, or the switcher flags the fallback).
    patience = _patience()
    phases = [(0, lost), (lost, throttle_on), (throttle_on, throttle_off), (throttle_off, back)]
    phases.append((back, frames_n))
    for start, end in phases:
        for run in _runs(frames[start:end]):
            streak = 0
            for f in run:
                streak = streak + 1 if f["meets_slo"] and f["latency_ms"] > 1.25 * limit else 0
                assert streak < patience, (f["frame"], run)

    # the unreported throttling: if the design running when it starts misses the limit at
    # the throttled speed, the monitor acts (a move to another design, or the fallback
    # flagged as missing the SLO) under a slowdown condition of its own on the CPU
    throttled = frames[throttle_on:throttle_off]
    first = _runs(throttled)[0]
    pre = frames[throttle_on - 1]
    missed = statistics.median(f["latency_ms"] for f in first) if pre["meets_slo"] else 0.0
    if missed > limit:
        assert len(first) < len(throttled), first
        reaction = throttled[len(first)]
        assert reaction["monitor"].get("cpu", 1.0) > 1.0, reaction
    if missed > 1.25 * limit:
        assert len(first) < patience, first
    assert any(f["throttled"] for f in frames)

    # with the delegate back the app runs the plan's best design for no reported
    # condition under the monitor's slowdown at that frame: the primary unless the
    # monitor holds the delegate itself to be slow
    expected = Switcher(plan=plan).select({"slowdown": frames[back]["monitor"]}).design_id
    assert frames[back]["design"] == expected
    if frames[back]["monitor"].get("xnnpack", 1.0) <= 1.0:
        assert frames[back]["design"] == plan["primary"]
