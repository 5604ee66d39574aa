"""Re-profile the app's candidate designs on this host and solve a plan for it.

``profiles.csv`` was measured on another machine. An app deployed on a faster or
slower host meets latencies its plan did not expect, and the drift monitor then
(correctly) moves off designs before anything else happens. This script does what
a deployment would do first: it times every candidate row of ``profiles.csv`` in
the app's own loop (:meth:`app.Model.classify`, so per-call overheads are the
app's), writes those latencies into a host profile table, scales the latency
limit of ``app.yaml`` by the host's median speed ratio (so the SLO asks the same
of this host as of the profiling machine), and solves the host plan with carin.

Run from the repository root::

    python examples/linux_app/calibrate.py --out /tmp/host
    python examples/linux_app/app.py --plan /tmp/host/plan.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import app  # noqa: E402


def measure_row(row: pd.Series, xs: np.ndarray, models: Path, frames: int, batch: int) -> float:
    """Median over ``frames`` of each frame's median invoke time (ms), as the app reports."""
    design = {
        "id": "calibration",
        "parts": [
            {
                "processor": row["processor"],
                "config": {
                    "model": row["model"],
                    "precision": row["precision"],
                    "threads": int(row["threads"]),
                },
            }
        ],
    }
    model = app.Model(design, models)
    for i in range(batch):  # warm-up, not timed
        model.classify(xs[i % len(xs)], 1.0)
    medians = []
    sample = 0
    for _ in range(frames):
        times = []
        for _ in range(batch):
            times.append(model.classify(xs[sample % len(xs)], 1.0)[1])
            sample += 1
        medians.append(statistics.median(times))
    return statistics.median(medians)


def calibrate(
    out: Path,
    *,
    spec: Path = HERE / "app.yaml",
    models: Path = ROOT / "tests" / "fixtures" / "models",
    frames: int = 40,
    batch: int = 8,
) -> dict[str, Any]:
    """Measure, write ``out/profiles.csv``, ``out/app.yaml`` and solve into ``out/plan.json``.

    Returns:
        ``{"plan": path, "spec": path, "ratio": host/profile median ratio,
        "latency_limit_ms": the scaled limit}``.
    """
    from carin.cli import main as carin

    out.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    table = pd.read_csv(spec.parent / raw["profiles"])
    for column, value in (raw.get("where") or {}).items():
        table = table[table[column].astype(str) == str(value)]
    data = np.load(models / "data.npz")
    xs = data["x"].astype(np.float32)
    host = table.copy()
    host["latency_ms"] = [measure_row(r, xs, models, frames, batch) for _, r in table.iterrows()]
    for column in ("latency_std_ms", "latency_p50_ms", "latency_p95_ms"):
        host = host.drop(columns=column, errors="ignore")
    ratio = float(np.median(host["latency_ms"] / table["latency_ms"]))
    host.to_csv(out / "profiles.csv", index=False, lineterminator="\n", float_format="%.6g")
    limit = None
    for c in raw["constraints"]:
        if isinstance(c, dict) and c.get("metric") == "latency_ms" and "max" in c:
            c["max"] = limit = round(c["max"] * ratio, 9)
    raw["profiles"] = "profiles.csv"
    raw["name"] = "linux-app-digits-host"
    (out / "app.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    code = carin(["solve", str(out / "app.yaml"), "--out", str(out / "solve")])
    if code:
        raise SystemExit(f"carin solve exited {code} on the host profiles")
    plan = out / "solve" / "plan.json"
    info = {
        "plan": str(plan),
        "spec": str(out / "app.yaml"),
        "ratio": ratio,
        "latency_limit_ms": limit,
    }
    (out / "calibration.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the host plan")
    parser.add_argument("--frames", type=int, default=40, help="timed frames per candidate")
    args = parser.parse_args(argv)
    info = calibrate(args.out, frames=args.frames)
    print(
        f"host/profile latency ratio {info['ratio']:.3g}; latency limit "
        f"{info['latency_limit_ms']:g} ms; plan {info['plan']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
