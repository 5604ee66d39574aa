"""Derive profiles.csv from spaces/local-litert.csv and solve app.yaml into ../assets/plan.json.

Keeps the rows whose model file ships in tests/fixtures/models, names the XNNPACK
delegate as processor ``xnnpack`` (rows run with built-in kernels stay on ``cpu``) and
adds the ``asset`` column: the path of the model inside the APK's assets
(``models/<model>_<precision>.tflite``), which ``carin solve`` copies into each
design's config. android/example-app/build.sh packs those files into the APK.

Run from anywhere: ``python android/example-app/plan/make_plan.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MODELS = ROOT / "tests" / "fixtures" / "models"


def derive_profiles(source: Path, models: Path) -> pd.DataFrame:
    """The rows of ``source`` whose model file exists in ``models``, with an asset column."""
    table = pd.read_csv(source)
    files = table["model"] + "_" + table["precision"] + ".tflite"
    keep = files.map(lambda name: (models / name).is_file())
    out = table[keep].copy()
    out.loc[out["runtime"] == "litert-xnnpack", "processor"] = "xnnpack"
    out.insert(out.columns.get_loc("threads") + 1, "asset", "models/" + files[keep])
    return out.sort_values(["model", "precision", "processor", "threads"], kind="stable")


def main() -> int:
    from carin.cli import main as carin

    profiles = derive_profiles(ROOT / "spaces" / "local-litert.csv", MODELS)
    tmp_csv = HERE / ".profiles.csv.tmp"
    profiles.to_csv(tmp_csv, index=False, lineterminator="\n")
    tmp_csv.replace(HERE / "profiles.csv")
    target = HERE.parent / "assets" / "plan.json"
    with tempfile.TemporaryDirectory() as tmp:
        code = carin(["solve", str(HERE / "app.yaml"), "--out", tmp])
        if code:
            return code
        shutil.copyfile(Path(tmp) / "plan.json", target.with_suffix(".json.tmp"))
        target.with_suffix(".json.tmp").replace(target)
    print(f"wrote {HERE / 'profiles.csv'} ({len(profiles)} rows) and {target}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
