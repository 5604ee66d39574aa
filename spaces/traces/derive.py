"""Derive the compact traces in this folder from ../shared/datasets/energy with carin's importers.

Run from the project root: ``python spaces/traces/derive.py``. The output is
byte-identical on every run (gzip without a timestamp, fixed number formats).
"""

from __future__ import annotations

import sys
from pathlib import Path

from carin.intermittent.traces import load_mementos, load_solar, write_power_csv

ROOT = Path(__file__).resolve().parents[2]
ENERGY = ROOT.parent / "shared" / "datasets" / "energy"
HERE = Path(__file__).resolve().parent


def main() -> int:
    """Write rf-mementos-2.csv.gz and solar-2023jun-01.csv.gz."""
    if not ENERGY.is_dir():
        print(f"{ENERGY}: not found (the traces are derived from ../shared)", file=sys.stderr)
        return 2
    rf = load_mementos(ENERGY / "rf-mementos" / "2.txt").resample(0.01)
    write_power_csv(
        rf,
        HERE / "rf-mementos-2.csv.gz",
        notes={
            "source": "Mementos (Ransford, Sorber, Fu; ASPLOS 2011) RF trace 2.txt as "
            "distributed with mspsim: WISP 4.1 front end, 30 kOhm load, 1 kHz; "
            "carin.intermittent.traces.load_mementos (clock decoded, 1 timestamp glitch "
            "repaired), then resampled to 10 ms keeping the energy of each interval",
            "licence": "BSD-3-Clause, Copyright (c) 2007 Swedish Institute of Computer "
            "Science (mspsim LICENSE, distributed with the traces)",
        },
    )
    solar = load_solar(ENERGY / "solar-nrel" / "2023jun.txt", days=1.0)
    write_power_csv(
        solar,
        HERE / "solar-2023jun-01.csv.gz",
        notes={
            "source": "NREL Baseline Measurement System, Golden CO, global irradiance "
            "(CM3, corrected), 1 June 2023, 1-minute samples, as packaged by the Simba "
            "simulator; carin.intermittent.traces.load_solar (negative night readings "
            "clipped to 0) with a 1 cm^2 panel at 15 % efficiency",
            "licence": "MIT, Copyright (c) 2024 Hannah Brunner, Graz University of "
            "Technology (Simba LICENSE); NREL BMS data are public",
        },
    )
    print(f"wrote {rf.power_w.size} + {solar.power_w.size} samples to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
