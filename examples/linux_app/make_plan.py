"""Derive profiles.csv from spaces/local-litert.csv and solve app.yaml into plan.json.

Keeps the rows whose model file ships in tests/fixtures/models and names the
XNNPACK delegate as processor ``xnnpack`` (rows run with built-in kernels stay on
``cpu``), then runs ``carin solve app.yaml`` and copies the plan next to this file.
android/example-app/plan/make_plan.py derives the Android app's plan the same way.

Run from anywhere: ``python examples/linux_app/make_plan.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODELS = ROOT / "tests" / "fixtures" / "models"


def derive_profiles(source: Path, models: Path, asset_dir: str | None = None) -> pd.DataFrame:
    """The rows of ``source`` whose ``<model>_<precision>.tflite`` exists in ``models``.

    With ``asset_dir`` (``"models/"``), an ``asset`` column after ``threads`` names each
    row's model file under that folder, which ``carin solve`` copies into the plan.
    """
    table = pd.read_csv(source)
    files = table["model"] + "_" + table["precision"] + ".tflite"
    keep = files.map(lambda name: (models / name).is_file())
    out = table[keep].copy()
    out.loc[out["runtime"] == "litert-xnnpack", "processor"] = "xnnpack"
    if asset_dir is not None:
        out.insert(out.columns.get_loc("threads") + 1, "asset", asset_dir + files[keep])
    return out.sort_values(["model", "precision", "processor", "threads"], kind="stable")


def write_profiles_and_plan(profiles: pd.DataFrame, csv: Path, spec: Path, plan: Path) -> int:
    """Write ``profiles`` to ``csv``, solve ``spec`` (whose ``profiles:`` is that file) and
    copy its plan to ``plan``; each file is written beside its target and renamed in.

    Returns:
        The exit code of ``carin solve`` (0: both files written).
    """
    from carin.cli import main as carin

    tmp_csv = csv.with_name(f".{csv.name}.tmp")
    profiles.to_csv(tmp_csv, index=False, lineterminator="\n")
    tmp_csv.replace(csv)
    with tempfile.TemporaryDirectory() as tmp:
        code = carin(["solve", str(spec), "--out", tmp])
        if code:
            return code
        tmp_plan = plan.with_name(f".{plan.name}.tmp")
        shutil.copyfile(Path(tmp) / "plan.json", tmp_plan)
        tmp_plan.replace(plan)
    print(f"wrote {csv} ({len(profiles)} rows) and {plan}")
    return 0


def main() -> int:
    profiles = derive_profiles(ROOT / "spaces" / "local-litert.csv", MODELS)
    return write_profiles_and_plan(
        profiles, HERE / "profiles.csv", HERE / "app.yaml", HERE / "plan.json"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
