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
    assert content["format"] == "carin-differential/2" and len(content["cases"]) == 20
    assert generate(20, seed=4)["cases"] != content["cases"]


def test_condition_decisions_agree_with_the_brute_force_scan():
    """Before the monitor acts, every decision is the best-ranked feasible design."""
    checked = 0
    for case in CASES:
        for step, (design, meets, fallback, _) in zip(case["steps"], case["expected"], strict=True):
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
        table = [e["when"] for e in plan["conditions"]]
        for step, (design, _, fallback, reason) in zip(
            case["steps"], case["expected"], strict=True
        ):
            seen["fallback"] += fallback
            seen["select_cached"] += step.get("cached", False)
            seen["select_cached, a table entry"] += step.get("cached", False) and (
                step["conditions"] in table
            )
            # the reasons the port must reproduce cover every kind of exclusion
            for kind in ("unavailable", "> budget", "outside band", "(slowdown", "its limit"):
                seen[f"reason {kind}"] += kind in reason
            seen["reason drift monitor"] += "[drift monitor" in reason
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


def _float_select(plan, cond):
    """The decision binary floating point would give (sums and products in doubles, as the
    switchers decided before decisions were exact) for a plan without power bands; used only
    to show that the cases tell the two apart."""

    def total(values):
        acc = 0.0
        for v in values:
            acc += v
        return acc

    def aggregate(values, how):
        if how in ("max", "min"):
            return (max if how == "max" else min)(values)
        return total(values) if how == "sum" else total(values) / len(values)

    def effective(design, slowdown):
        procs = [p["processor"].lower() for p in design["parts"]]
        slowed = [
            p["latency_ms"] * max([1.0] + [f for n, f in slowdown.items() if n.lower() == q])
            for p, q in zip(design["parts"], procs, strict=True)
        ]
        if plan["latency"]["contention"] != "time-share":
            return slowed
        return [total(s for s, r in zip(slowed, procs, strict=True) if r == q) for q in procs]

    def feasible(design):
        parts = design["parts"]
        gone = {n.lower() for n in cond.get("unavailable", [])}
        if gone & {p["processor"].lower() for p in parts}:
            return False
        known = all(p["latency_ms"] is not None for p in parts)
        eff = effective(design, cond.get("slowdown") or {}) if known else None
        lat = aggregate(eff, plan["latency"]["aggregate"]) if known else None
        mems = [p["memory_mb"] for p in parts]
        mem = design["metrics"].get("memory_mb")
        if mem is None and None not in mems:
            mem = aggregate(mems, plan["memory"]["aggregate"])
        for i, p in enumerate(parts):
            if "max_latency_ms" in p and (eff is None or eff[i] > p["max_latency_ms"]):
                return False
        for c in plan["constraints"]:
            value = {"latency_ms": lat, "memory_mb": mem}.get(c["metric"])
            value = design["metrics"]["accuracy"] if c["metric"] == "accuracy" else value
            if value is None or (value > c["value"] if c["op"] == "<=" else value < c["value"]):
                return False
        if "memory_budget_mb" in cond and (mem is None or mem > cond["memory_budget_mb"]):
            return False
        return (
            "latency_budget_ms" not in cond or lat is not None and lat <= cond["latency_budget_ms"]
        )

    return next((d["id"] for d in plan["designs"] if feasible(d)), None)


def test_decimal_cases_hold_ties_that_binary_floats_decide_wrongly():
    """The decimal plans give the Java port decisions that only exact arithmetic gets right."""
    decimal = [c for c in CASES if c["plan"]["name"] == "differential-decimal"]
    assert len(decimal) >= 60
    assert sum("decimals" in c["plan"] for c in decimal) >= 30
    limited = [
        c
        for c in decimal
        if any("max_latency_ms" in p for d in c["plan"]["designs"] for p in d["parts"])
    ]
    assert len(limited) >= 10
    differ = 0
    for case in decimal:
        plan = case["plan"]
        for entry in plan["conditions"]:
            differ += _float_select(plan, entry["when"]) != entry["design"]
        for step, (design, meets, *_) in zip(case["steps"], case["expected"], strict=True):
            if "observe" in step:
                break
            differ += _float_select(plan, step["conditions"]) != (design if meets else None)
    assert differ >= 10, differ
