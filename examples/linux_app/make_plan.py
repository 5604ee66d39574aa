"""Derive profiles.csv from spaces/local-litert.csv and solve app.yaml into plan.json.

Keeps the rows whose model file ships in tests/fixtures/models and names the
XNNPACK delegate as processor ``xnnpack`` (rows run with built-in kernels stay on
``cpu``), then runs ``carin solve app.yaml`` and copies the plan next to this file.

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


def derive_profiles(source: Path, models: Path) -> pd.DataFrame:
    """The rows of ``source`` whose ``<model>_<precision>.tflite`` exists in ``models``."""
    table = pd.read_csv(source)
    files = table["model"] + "_" + table["precision"] + ".tflite"
    keep = files.map(lambda name: (models / name).is_file())
    out = table[keep].copy()
    out.loc[out["runtime"] == "litert-xnnpack", "processor"] = "xnnpack"
    return out.sort_values(["model", "precision", "processor", "threads"], kind="stable")


def main() -> int:
    from carin.cli import main as carin

    profiles = derive_profiles(ROOT / "spaces" / "local-litert.csv", MODELS)
    tmp_csv = HERE / ".profiles.csv.tmp"
    profiles.to_csv(tmp_csv, index=False, lineterminator="\n")
    tmp_csv.replace(HERE / "profiles.csv")
    with tempfile.TemporaryDirectory() as tmp:
        code = carin(["solve", str(HERE / "app.yaml"), "--out", tmp])
        if code:
            return code
        shutil.copyfile(Path(tmp) / "plan.json", HERE / ".plan.json.tmp")
        (HERE / ".plan.json.tmp").replace(HERE / "plan.json")
    print(f"wrote {HERE / 'profiles.csv'} ({len(profiles)} rows) and {HERE / 'plan.json'}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
