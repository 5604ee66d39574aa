"""android/: the example app's shipped plan (the Java side is tested by .ci/android.sh)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from carin.cli import main
from carin.runtime import Switcher

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "android" / "example-app"
PLAN = json.loads((APP / "assets" / "plan.json").read_text())


def _make_plan():
    spec = importlib.util.spec_from_file_location("make_plan", APP / "plan" / "make_plan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_plan_loads_and_names_a_model_file_for_every_design():
    switcher = Switcher.from_dict(PLAN)
    for design in PLAN["designs"]:
        for part in design["parts"]:
            asset = part["config"]["asset"]
            assert asset.startswith("models/")
            assert (ROOT / "tests/fixtures/models" / asset.removeprefix("models/")).is_file()
    assert switcher.select({}).design["parts"][0]["processor"] == "xnnpack"
    fallback = switcher.select({"unavailable": ["xnnpack"]})
    assert fallback.design_id == PLAN["fallback"] and fallback.meets_slo


def test_shipped_plan_and_profiles_are_what_make_plan_writes(tmp_path, capsys):
    profiles = _make_plan().derive_profiles(
        ROOT / "spaces" / "local-litert.csv", ROOT / "tests" / "fixtures" / "models"
    )
    written = profiles.to_csv(index=False, lineterminator="\n")
    assert written == (APP / "plan" / "profiles.csv").read_text()
    assert main(["solve", str(APP / "plan" / "app.yaml"), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    assert (tmp_path / "out" / "plan.json").read_text() == (
        APP / "assets" / "plan.json"
    ).read_text()
