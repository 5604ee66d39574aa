"""Write the Python switcher's texts and miss probabilities into the conformance vectors.

Each decision vector's ``expected`` entries carry ``design`` and ``meets_slo``
(derived by hand, see each vector's ``why``) and ``reason``, the text
``Decision.reason`` gives, which ports must reproduce word for word. Vectors with
an ``observe`` step also carry ``miss_probabilities``: ``Switcher.miss_probability``
of every rank after the step, which ports must reproduce to within
``MISS_TOLERANCE`` (1e-12, absolute; each computes its own normal distribution
function). A malformed-plan vector whose ``error`` has ``cache_mismatches`` lists
``Switcher.cache_mismatches`` of the plan loaded without validation (texts, word
for word). When the Python switcher's wording or monitor changes on purpose, run

    python tests/conformance_reasons.py

to rewrite those fields. It refuses to touch a vector whose decisions
(design or meets-SLO flag) differ from the Python switcher's: those are the
hand-made answers, and a difference there is a bug, not a wording change.
``--check`` only reports the vectors that are out of date (exit 1).
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

# miss probabilities of a port and of the Python switcher agree to this (absolute)
MISS_TOLERANCE = 1e-12


def has_miss_probabilities(vector: dict) -> bool:
    """Whether ``vector``'s expected entries carry ``miss_probabilities`` (it observes)."""
    return "error" not in vector and any("observe" in step for step in vector["steps"])


def run_vector(vector: dict, *, cached: bool = False) -> tuple[Switcher, list[dict]]:
    """A fresh switcher on ``vector``'s plan and its ``{design, meets_slo, reason}`` after
    each step (condition steps through ``select_cached`` when ``cached``), with
    ``miss_probabilities`` (one per rank) when the vector observes."""
    monitor = MonitorConfig.from_dict(vector["monitor"]) if "monitor" in vector else None
    switcher = Switcher.from_dict(vector["plan"], monitor=monitor)
    select = switcher.select_cached if cached else switcher.select
    ranks = range(len(vector["plan"]["designs"])) if has_miss_probabilities(vector) else None
    out = []
    for step in vector["steps"]:
        if "conditions" in step:
            decision = select(step["conditions"])
        else:
            obs = step["observe"]
            decision = switcher.observe(obs.get("design"), obs["latency_ms"])
        entry = {
            "design": decision.design_id,
            "meets_slo": decision.meets_slo,
            "reason": decision.reason,
        }
        if ranks is not None:
            entry["miss_probabilities"] = [switcher.miss_probability(r) for r in ranks]
        out.append(entry)
    return switcher, out


def mismatches(vector: dict) -> list[str]:
    """``cache_mismatches`` of ``vector``'s plan loaded without validation."""
    monitor = MonitorConfig.from_dict(vector["monitor"]) if "monitor" in vector else None
    return Switcher(plan=vector["plan"], monitor=monitor, validate=False).cache_mismatches


def _close(want: list[float] | None, have: list[float] | None) -> bool:
    if want is None or have is None:
        return want is have
    return len(want) == len(have) and all(
        abs(a - b) <= MISS_TOLERANCE for a, b in zip(want, have, strict=True)
    )


def _current(vector: dict, got: list[dict]) -> bool:
    """Whether the vector's reasons and miss probabilities are what the switcher gives."""
    return all(
        want.get("reason") == have["reason"]
        and _close(want.get("miss_probabilities"), have.get("miss_probabilities"))
        for want, have in zip(vector["expected"], got, strict=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale reasons only")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted((HERE / "conformance").glob("*.json")):
        vector = json.loads(path.read_text(encoding="utf-8"))
        if "error" in vector:
            if "cache_mismatches" not in vector["error"]:
                continue
            texts = mismatches(vector)
            if vector["error"]["cache_mismatches"] == texts:
                continue
            vector["error"]["cache_mismatches"] = texts
        else:
            got = run_vector(vector)[1]
            for i, (want, have) in enumerate(zip(vector["expected"], got, strict=True)):
                if (want["design"], want["meets_slo"]) != (have["design"], have["meets_slo"]):
                    print(f"{path.name}: step {i}: expected {want}, the switcher gives {have}")
                    return 2
            if _current(vector, got):
                continue
            for want, have in zip(vector["expected"], got, strict=True):
                want["reason"] = have["reason"]
                want.pop("miss_probabilities", None)
                if "miss_probabilities" in have:
                    want["miss_probabilities"] = have["miss_probabilities"]
        stale.append(path.name)
        if args.check:
            continue
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(vector, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    verb = "stale" if args.check else "rewritten"
    print(f"{len(stale)} vector(s) {verb}" + (f": {', '.join(stale)}" if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
