"""Derive profiles.csv from spaces/local-litert.csv and solve app.yaml into ../assets/plan.json.

Keeps the rows whose model file ships in tests/fixtures/models, names the XNNPACK
delegate as processor ``xnnpack`` (rows run with built-in kernels stay on ``cpu``) and
adds the ``asset`` column: the path of the model inside the APK's assets
(``models/<model>_<precision>.tflite``), which ``carin solve`` copies into each
design's config. android/example-app/build.sh packs those files into the APK.

Run from anywhere: ``python android/example-app/plan/make_plan.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MODELS = ROOT / "tests" / "fixtures" / "models"
sys.path.insert(0, str(ROOT / "examples"))  # the Linux app's make_plan: the same derivation

from linux_app import make_plan as linux_app  # noqa: E402


def derive_profiles(source: Path, models: Path) -> pd.DataFrame:
    """The rows of ``source`` whose model file exists in ``models``, with an asset column."""
    return linux_app.derive_profiles(source, models, asset_dir="models/")


def main() -> int:
    profiles = derive_profiles(ROOT / "spaces" / "local-litert.csv", MODELS)
    target = HERE.parent / "assets" / "plan.json"
    return linux_app.write_profiles_and_plan(
        profiles, HERE / "profiles.csv", HERE / "app.yaml", target
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
