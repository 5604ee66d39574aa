"""Power bands end to end: profile columns power_lo_mw/power_hi_mw -> carin solve -> Switcher."""

from __future__ import annotations

import json
import math

from test_runtime_conformance import ref_select

from carin.cli import main
from carin.runtime import Switcher

# one keyword-spotting model with three checkpointing choices, each meant for a power band,
# and a small unbanded model as the last resort
PROFILES = """model,precision,processor,cm,latency_ms,accuracy,memory_mb,power_lo_mw,power_hi_mw
kws,int8,mcu,none,800,92,0.25,2,
kws,int8,mcu,layer,2500,92,0.25,0.5,2
kws,int8,mcu,fine,4800,92,0.25,0.1,0.5
tiny,int8,mcu,fine,3000,85,0.1,,
"""
SPEC = """name: power-demo
profiles: profiles.csv
objectives: ["max accuracy", "min latency_ms"]
constraints: ["latency_ms <= 5000"]
anticipate:
  power_mw: [3, 1, 0.2, 0.05]
"""


def _solve(tmp_path, capsys) -> dict:
    (tmp_path / "profiles.csv").write_text(PROFILES)
    (tmp_path / "spec.yaml").write_text(SPEC)
    assert main(["solve", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    return json.loads((tmp_path / "out/plan.json").read_text())


def test_solved_power_bands_drive_select(tmp_path, capsys):
    plan = _solve(tmp_path, capsys)
    switcher = Switcher.from_dict(plan)
    assert switcher.cache_mismatches == []
    cms = {d["id"]: d["parts"][0]["config"].get("cm") for d in plan["designs"]}
    bands = {d["id"]: d.get("power_band_mw") for d in plan["designs"]}
    assert sorted(b for b in bands.values() if b) == [[0.1, 0.5], [0.5, 2.0], [2.0, None]]

    def cm_at(power):
        return cms[switcher.select({"power_mw": power}).design_id]

    assert [cm_at(p) for p in (3.0, 2.0, 1.999, 0.5, 0.2)] == [
        "none",
        "none",
        "layer",
        "layer",
        "fine",
    ]
    # below every band only the unbanded small model remains
    assert switcher.select({"power_mw": 0.05}).design["parts"][0]["config"]["model"] == "tiny"
    # anticipated or not, every power level agrees with the brute-force scan
    for power in (0.0, 0.05, 0.1, 0.3, 0.4999, 0.5, 1.0, 1.9999, 2.0, 2.5, 100.0, math.inf):
        for extra in ({}, {"latency_budget_ms": 3500.0}, {"slowdown": {"mcu": 1.5}}):
            cond = {"power_mw": power, **extra}
            decision = switcher.select(cond)
            assert (decision.design_id, decision.meets_slo) == ref_select(plan, cond), cond


def test_unbanded_designs_run_without_a_power_level_and_yield_inside_a_band(tmp_path, capsys):
    plan = _solve(tmp_path, capsys)
    switcher = Switcher.from_dict(plan)
    # the primary is the overall (unbanded) design and ranks first, whatever the bands score
    primary = plan["designs"][0]
    assert plan["primary"] == primary["id"] and "power_band_mw" not in primary
    assert primary["parts"][0]["config"]["model"] == "tiny"
    assert switcher.select({}).design_id == primary["id"]
    assert switcher.select({"power_mw": float("nan")}).design_id == primary["id"]
    rank_of = {d["id"]: d["rank"] for d in plan["designs"]}
    banded = next(d for d in plan["designs"] if d.get("power_band_mw") == [2.0, None])
    assert "no power level given" in switcher.why_infeasible(rank_of[banded["id"]], {})
    assert "designs without a band yield" in switcher.why_infeasible(0, {"power_mw": 3.0})
    assert switcher.why_infeasible(0, {"power_mw": 0.05}) is None
