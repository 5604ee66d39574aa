"""The differential generator that the Java switcher's tests replay (tests/runtime_differential.py)."""

from __future__ import annotations

import json
from collections import Counter

import jsonschema
from runtime_differential import generate, main
from test_runtime_conformance import ref_select
from test_runtime_schema import SCHEMA

CASES = generate(250, seed=15)["cases"]


def test_same_seed_same_bytes_and_the_cli_writes_it(tmp_path):
    out = tmp_path / "d.json"
    assert main(["--out", str(out), "--cases", "20", "--seed", "3"]) == 0
    first = out.read_bytes()
    assert main(["--out", str(out), "--cases", "20", "--seed", "3"]) == 0
    assert out.read_bytes() == first
    content = json.loads(first)
    assert content["format"] == "carin-differential/1" and len(content["cases"]) == 20
    assert generate(20, seed=4)["cases"] != content["cases"]


def test_condition_decisions_agree_with_the_brute_force_scan():
    """Before the monitor acts, every decision is the best-ranked feasible design."""
    checked = 0
    for case in CASES:
        for step, (design, meets, fallback) in zip(case["steps"], case["expected"], strict=True):
            if "observe" in step:
                break  # from here on the monitor's own condition may apply
            assert (design, meets) == ref_select(case["plan"], step["conditions"]), (
                case["name"],
                step,
            )
            assert fallback == (not meets and design is not None)
            checked += 1
    assert checked > 300


def test_plans_are_valid_and_cover_every_kind_of_decision():
    validator = jsonschema.Draft202012Validator(SCHEMA)
    seen: Counter = Counter()
    for case in CASES:
        validator.validate(case["plan"])
        plan = case["plan"]
        seen["multi-task"] += len(plan["tasks"]) > 1
        seen["bands"] += any("power_band_mw" in d for d in plan["designs"])
        seen["table"] += bool(plan["conditions"])
        seen["no fallback"] += plan["fallback"] is None
        seen["monitor settings"] += "monitor" in case
        seen["monitor active at the end"] += bool(case["monitor_slowdown"])
        previous = None
        for step, (design, _, fallback) in zip(case["steps"], case["expected"], strict=True):
            seen["fallback"] += fallback
            seen["nothing"] += design is None
            seen["switch on observe"] += (
                "observe" in step and previous is not None and design != previous
            )
            seen["odd names"] += any(
                n not in ("cpu", "gpu", "npu", "dsp")
                for n in step.get("conditions", {}).get("unavailable", [])
            )
            previous = design
    assert min(seen.values()) >= 10, seen
