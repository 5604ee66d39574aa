"""Write an example timeline (events file) for each example spec in spaces/.

Each timeline tells one story through the spec's plan, in this order:

1. nominal conditions and a few frames at the profiled speed;
2. each condition set the spec anticipated (the plan's ``conditions``, at most eight);
3. a combination nobody anticipated: the primary design's processor three times
   slower and the memory budget cut below the primary's memory;
4. back to nominal, then a *silent* slowdown of the primary's processor that only
   the latencies reveal (the drift monitor has to notice it), then recovery;
5. every processor of the primary design lost at once, then nominal again.

Observed latencies are simulated: the current design's modelled latency under the
true (hidden) slowdown, times ``1 + 3 %`` Gaussian jitter from a generator seeded
by the spec name, so the files are reproducible byte for byte.

Usage (from the repository root)::

    python examples/events/make_events.py            # every spaces/*.yaml
    python examples/events/make_events.py local-litert
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
FRAME_S = 0.1  # one observation per frame
JITTER = 0.03


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def solve_plan(spec: Path) -> dict:
    """The plan ``carin solve spec`` writes (solved in a temporary folder)."""
    from carin.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        code = main(["solve", str(spec), "--out", tmp])
        if code != 0:
            raise SystemExit(f"carin solve {spec} failed with exit code {code}")
        return json.loads((Path(tmp) / "plan.json").read_text())


class _Timeline:
    def __init__(self, plan: dict, seed: str) -> None:
        from carin.runtime import Switcher

        self.switcher = Switcher.from_dict(plan)
        self.rng = random.Random(seed)
        self.t = 0.0
        self.lines: list[dict] = []
        self.conditions: dict = {}

    def condition(self, conditions: dict, note: str) -> None:
        self.conditions = conditions
        self.switcher.select(conditions)
        self.lines.append({"t": _sig(self.t), "conditions": conditions, "note": note})
        self.t += 1.0

    def frames(self, n: int, true_slowdown: dict, note: str) -> None:
        for i in range(n):
            current = self.switcher.current
            if current is None or current.rank is None:
                break
            model = self.switcher._models[current.rank]
            latency = model.latency(true_slowdown)
            if latency is None:
                break
            measured = latency * max(0.5, 1.0 + self.rng.gauss(0.0, JITTER))
            line = {"t": _sig(self.t), "observe": {"latency_ms": _sig(measured)}}
            if i == 0:
                line["note"] = note
            self.lines.append(line)
            self.switcher.observe(None, measured)
            self.t += FRAME_S
        self.t = float(round(self.t + 1.0))


def timeline(name: str, plan: dict) -> list[dict]:
    """The events of the story above for one plan."""
    tl = _Timeline(plan, seed=name)
    designs = {d["id"]: d for d in plan["designs"]}
    primary = designs[plan["primary"]]
    procs = sorted({p["processor"] for p in primary["parts"]})
    main_proc = primary["parts"][0]["processor"]
    limit = min(
        (c["value"] for c in plan["constraints"] if c["metric"] == plan["latency"]["metric"]),
        default=None,
    )
    nominal = tl.switcher._models[tl.switcher._ids[primary["id"]]].latency()
    memory = tl.switcher._models[tl.switcher._ids[primary["id"]]].memory

    tl.condition({}, "nominal conditions: the primary design")
    tl.frames(5, {}, "frames at the profiled speed")
    for entry in sorted(plan["conditions"], key=lambda e: (len(e["when"]), json.dumps(e["when"])))[
        :8
    ]:
        tl.condition(entry["when"], "anticipated by the spec")
    surprise: dict = {"slowdown": {main_proc: 3.0}}
    if memory is not None:
        surprise["memory_budget_mb"] = _sig(memory * 0.8)
    tl.condition(surprise, "not anticipated: processor 3x slower and less memory")
    tl.condition({}, "back to nominal")
    if limit is not None and nominal:
        # slow enough that the primary misses; when a faster design exists, a quarter of
        # the way to the factor at which that one misses too (at most x2.5)
        fastest = min(
            (lat for m in tl.switcher._models if (lat := m.latency()) is not None),
            default=nominal,
        )
        even = limit / nominal
        factor = _sig(max(1.1 * even, 1.2))
        if fastest < nominal * 0.99:
            factor = _sig(min(even + 0.25 * (limit / fastest - even), max(2.5, 1.1 * even)))
        tl.frames(
            15,
            {main_proc: factor},
            f"silent {main_proc} slowdown x{factor:g}: only the latencies show it",
        )
    tl.frames(40, {}, f"{main_proc} back to its profiled speed")
    tl.condition({"unavailable": procs}, f"lost {', '.join(procs)}")
    tl.condition({}, "everything back")
    return tl.lines


def write_events(path: Path, lines: list[dict]) -> None:
    """Write JSON Lines atomically."""
    text = "".join(json.dumps(line) + "\n" for line in lines)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="spec names (default: every spaces/*.yaml)")
    args = parser.parse_args(argv)
    names = args.specs or sorted(p.stem for p in (ROOT / "spaces").glob("*.yaml"))
    for name in names:
        plan = solve_plan(ROOT / "spaces" / f"{name}.yaml")
        path = OUT / f"{name}.jsonl"
        write_events(path, timeline(name, plan))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
