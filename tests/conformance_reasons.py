"""Write the Python switcher's reason texts into the conformance vectors.

Each decision vector's ``expected`` entries carry ``design`` and ``meets_slo``
(derived by hand, see each vector's ``why``) and ``reason``, the text
``Decision.reason`` gives, which ports must reproduce word for word. When the
Python switcher's wording changes on purpose, run

    python tests/conformance_reasons.py

to rewrite the ``reason`` fields. It refuses to touch a vector whose decisions
(design or meets-SLO flag) differ from the Python switcher's: those are the
hand-made answers, and a difference there is a bug, not a wording change.
``--check`` only reports the vectors whose reasons are out of date (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from carin.runtime import MonitorConfig, Switcher  # noqa: E402


def run_vector(vector: dict, *, cached: bool = False) -> tuple[Switcher, list[dict]]:
    """A fresh switcher on ``vector``'s plan and its ``{design, meets_slo, reason}`` after
    each step (condition steps through ``select_cached`` when ``cached``)."""
    monitor = MonitorConfig.from_dict(vector["monitor"]) if "monitor" in vector else None
    switcher = Switcher.from_dict(vector["plan"], monitor=monitor)
    select = switcher.select_cached if cached else switcher.select
    out = []
    for step in vector["steps"]:
        if "conditions" in step:
            decision = select(step["conditions"])
        else:
            obs = step["observe"]
            decision = switcher.observe(obs.get("design"), obs["latency_ms"])
        out.append(
            {
                "design": decision.design_id,
                "meets_slo": decision.meets_slo,
                "reason": decision.reason,
            }
        )
    return switcher, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale reasons only")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted((HERE / "conformance").glob("*.json")):
        vector = json.loads(path.read_text(encoding="utf-8"))
        if "error" in vector:
            continue
        got = run_vector(vector)[1]
        for i, (want, have) in enumerate(zip(vector["expected"], got, strict=True)):
            if (want["design"], want["meets_slo"]) != (have["design"], have["meets_slo"]):
                print(f"{path.name}: step {i}: expected {want}, the switcher gives {have}")
                return 2
        if [e.get("reason") for e in vector["expected"]] == [g["reason"] for g in got]:
            continue
        stale.append(path.name)
        if args.check:
            continue
        for want, have in zip(vector["expected"], got, strict=True):
            want["reason"] = have["reason"]
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(vector, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    verb = "stale" if args.check else "rewritten"
    print(f"{len(stale)} vector(s) {verb}" + (f": {', '.join(stale)}" if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
