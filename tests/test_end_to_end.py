"""End to end on this machine: zoo fixtures -> carin profile -> carin solve -> plan -> switcher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carin.cli import main
from carin.profiles import load_profiles
from carin.runtime import Switcher

pytest.importorskip("ai_edge_litert.interpreter")

MODELS = Path(__file__).parent / "fixtures" / "models"
CONFIG_KEYS = ("model", "precision", "runtime", "threads")


def _best(frame: pd.DataFrame, feasible: np.ndarray) -> tuple:
    """Lexicographic optimum (max accuracy, then min latency) among feasible rows."""
    rows = frame[feasible].sort_values(["accuracy", "latency_ms"], ascending=[False, True])
    assert len(rows) > 0
    return tuple(rows.iloc[0][k] for k in CONFIG_KEYS)


def _config(decision) -> tuple:
    config = decision.design["parts"][0]["config"]
    return tuple(config[k] for k in CONFIG_KEYS)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    profiles = work / "profiles.csv"
    models = sorted(MODELS.glob("*.tflite"))
    code = main(
        [
            "profile",
            *map(str, models),
            "--threads",
            "1",
            "--delegate",
            "xnnpack,none",
            "--runs",
            "5",
            "--warmup",
            "1",
            "--dataset",
            str(MODELS / "data.npz"),
            "--device",
            "this-host",
            "--quiet",
            "-o",
            str(profiles),
        ]
    )
    assert code == 0
    frame = load_profiles(profiles).frame
    assert len(frame) == 2 * len(models)
    # Bounds from the measured table itself, so the test holds on any machine: the
    # latency bound keeps about the faster half, the memory budget the leaner half
    # (3 significant digits, so the plan's 6-digit rounding cannot move a row across).
    latency_bound = float(f"{np.median(frame['latency_ms']):.3g}")
    budget = float(f"{np.median(frame['memory_mb']):.3g}")
    spec = work / "spec.yaml"
    spec.write_text(
        "name: e2e\n"
        "profiles: profiles.csv\n"
        "where: {device: this-host}\n"
        "objectives: [{metric: accuracy, goal: max}, 'min latency_ms']\n"
        f"constraints: [{{metric: latency_ms, max: {latency_bound!r}}}, 'accuracy >= 50']\n"
        f"anticipate: {{memory_budget_mb: [{budget!r}], slowdown: {{cpu: 2.0}}}}\n"
    )
    out = work / "out"
    assert main(["solve", str(spec), "--out", str(out)]) == 0
    return frame, latency_bound, budget, out / "plan.json"


def test_plan_is_written_and_loads_in_switcher(solved):
    _, _, _, plan_path = solved
    plan = json.loads(plan_path.read_text())
    assert plan["format"] == "carin-plan/1"
    switcher = Switcher.from_file(str(plan_path))
    decision = switcher.select({})
    assert decision.meets_slo
    assert decision.design_id == plan["primary"]


def test_nominal_choice_is_the_best_measured_configuration(solved):
    frame, bound, _, plan_path = solved
    switcher = Switcher.from_file(str(plan_path))
    feasible = (frame["latency_ms"] <= bound) & (frame["accuracy"] >= 50)
    assert _config(switcher.select({})) == _best(frame, feasible.to_numpy())


def test_memory_budget_switches_to_a_leaner_configuration(solved):
    frame, bound, budget, plan_path = solved
    switcher = Switcher.from_file(str(plan_path))
    decision = switcher.select({"memory_budget_mb": budget})
    feasible = (frame["latency_ms"] <= bound) & (frame["accuracy"] >= 50)
    feasible &= frame["memory_mb"] <= budget
    if not feasible.any():
        assert not decision.meets_slo
        return
    assert decision.meets_slo
    assert _config(decision) == _best(frame, feasible.to_numpy())
    assert decision.design["metrics"]["memory_mb"] <= budget


def test_cpu_slowdown_keeps_the_latency_bound(solved):
    frame, bound, _, plan_path = solved
    switcher = Switcher.from_file(str(plan_path))
    decision = switcher.select({"slowdown": {"cpu": 2.0}})
    feasible = (2.0 * frame["latency_ms"] <= bound) & (frame["accuracy"] >= 50)
    assert decision.meets_slo == bool(feasible.any())
    if feasible.any():
        assert _config(decision) == _best(frame, feasible.to_numpy())
