"""A Linux app that classifies digits with LiteRT and lets carin's switcher pick the model.

The loop reads frames of ``--batch`` digits from the held-out data of the model
fixtures, runs each digit through the current design's model with real LiteRT
inference (``ai_edge_litert``), times every ``invoke()`` and reports the frame's
median to the drift monitor. The switcher (``carin.runtime``, standard library
only) is loaded from ``plan.json``; when it changes its decision, the app loads
the new design's model: ``<model>_<precision>.tflite`` from ``--models``, with the
design's thread count, and the XNNPACK delegate when the design runs on the
``xnnpack`` processor (built-in kernels when it runs on ``cpu``).

Two things happen to the app during the run (fractions of ``--frames``):

* at 20 % the XNNPACK delegate is lost (as when a phone's GPU or NPU delegate
  goes away); the app is told, and reports ``{"unavailable": ["xnnpack"]}``;
* from 40 % to 65 % the CPU is throttled ``--throttle`` times slower. Nobody
  tells the app: the throttling is emulated by spinning after each ``invoke()``
  on a ``cpu`` design so that it takes that many times its real time, and only
  the drift monitor, watching the latencies, can notice;
* at 85 % the delegate is back (``{}``).

Run from the repository root::

    python examples/linux_app/app.py                 # 600 frames of 8 digits
    python examples/linux_app/app.py --frames 200 --log /tmp/app.jsonl
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # an app would ship carin/runtime/ copied into its own package

from carin.runtime import MonitorConfig, Switcher  # noqa: E402

# a single invoke() of these models takes a few microseconds, so timer and scheduling
# noise is large: the monitor expects ~10 % jitter per frame, and waits 30 good frames
# before it trusts a recovery (the default 10 lets load spikes on a shared machine make
# it alternate between two designs whose measured/profiled ratios differ)
MONITOR = MonitorConfig(r=0.01, revert_after=30)


class Model:
    """One loaded design: a LiteRT interpreter and its input quantisation."""

    def __init__(self, design: dict[str, Any], models: Path) -> None:
        part = design["parts"][0]
        config = part["config"]
        self.design_id = design["id"]
        self.processor = part["processor"]
        self.path = models / f"{config['model']}_{config['precision']}.tflite"
        resolver = (
            OpResolverType.AUTO
            if self.processor == "xnnpack"
            else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        )
        self.interpreter = Interpreter(
            model_path=str(self.path),
            num_threads=int(config.get("threads", 1)),
            experimental_op_resolver_type=resolver,
        )
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def prepare(self, x: np.ndarray) -> np.ndarray:
        """The input tensor for one digit (quantised for integer-input models)."""
        dtype = np.dtype(self.input["dtype"])
        if np.issubdtype(dtype, np.integer):
            scale, zero = self.input["quantization"]
            info = np.iinfo(dtype)
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        return x.reshape(self.input["shape"]).astype(dtype)

    def classify(self, x: np.ndarray, slowdown: float) -> tuple[int, float]:
        """Class of one digit and the time ``invoke()`` took in ms (times ``slowdown``)."""
        interpreter = self.interpreter
        interpreter.set_tensor(self.input["index"], self.prepare(x))
        clock = time.perf_counter_ns
        start = clock()
        interpreter.invoke()
        took = clock() - start
        if (
            slowdown > 1.0
        ):  # emulated throttling: spin until the invoke took `slowdown` times longer
            end = start + int(took * slowdown)
            while clock() < end:
                pass
            took = clock() - start
        label = int(np.argmax(interpreter.get_tensor(self.output["index"])))
        return label, took / 1e6


def scenario(frames: int) -> dict[int, tuple[str, Any]]:
    """Frame index -> what happens then: ``("conditions", {...})`` or ``("throttle", on)``."""
    return {
        int(frames * 0.20): ("conditions", {"unavailable": ["xnnpack"]}),
        int(frames * 0.40): ("throttle", True),
        int(frames * 0.65): ("throttle", False),
        int(frames * 0.85): ("conditions", {}),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the loop; return a summary (also printed)."""
    data = np.load(args.models / "data.npz")
    xs, ys = data["x"].astype(np.float32), data["y"]
    switcher = Switcher.from_file(str(args.plan), monitor=MONITOR)
    loaded: dict[str, Model] = {}
    log: list[dict[str, Any]] = []
    state = {"frame": 0, "throttled": False}

    def record(decision: Any, previous: Any) -> dict[str, Any]:
        entry = {
            "frame": state["frame"],
            "from": previous.design_id if previous else None,
            "to": decision.design_id,
            "meets_slo": decision.meets_slo,
            "reason": decision.reason,
            "monitor_slowdown": {p: round(f, 4) for p, f in switcher.monitor_slowdown.items()},
        }
        log.append(entry)
        return entry

    def load(decision: Any, previous: Any) -> None:
        # the only place the app reacts: the switcher calls this when its design changes
        if decision.design is not None and decision.design_id not in loaded:
            loaded[decision.design_id] = Model(decision.design, args.models)
        entry = record(decision, previous)
        if not args.quiet:
            print(f"frame {entry['frame']:>4}: {entry['from']} -> {entry['to']}: {entry['reason']}")

    def flagged(decision: Any, previous: Any) -> None:
        # the same design with a new SLO verdict (the fallback): on_change is not called
        entry = record(decision, previous)
        if not args.quiet:
            verdict = "meets the SLO again" if decision.meets_slo else "no longer meets the SLO"
            print(f"frame {entry['frame']:>4}: {entry['to']} {verdict}: {entry['reason']}")

    switcher.on_change(load)
    switcher.select({})
    events = scenario(args.frames)
    frames: list[dict[str, Any]] = []
    sample = 0
    for frame in range(args.frames):
        state["frame"] = frame
        if frame in events:
            kind, value = events[frame]
            if kind == "conditions":
                if not args.quiet:
                    print(f"frame {frame:>4}: the app reports conditions {json.dumps(value)}")
                switcher.select(value)
            else:
                state["throttled"] = value
                if not args.quiet:
                    print(
                        f"frame {frame:>4}: CPU throttling {'starts' if value else 'ends'} "
                        f"(x{args.throttle:g}, not reported to the app)"
                    )
        decision = switcher.current
        if decision is None or decision.design_id is None:
            frames.append({"frame": frame, "design": None, "meets_slo": False})
            continue
        model = loaded[decision.design_id]
        slow = args.throttle if state["throttled"] and model.processor == "cpu" else 1.0
        times, correct = [], 0
        for _ in range(args.batch):
            label, ms = model.classify(xs[sample % len(xs)], slow)
            correct += label == int(ys[sample % len(xs)])
            times.append(ms)
            sample += 1
        latency = statistics.median(times)
        frames.append(
            {
                "frame": frame,
                "design": decision.design_id,
                "processor": model.processor,
                "meets_slo": decision.meets_slo,
                # the drift monitor's slowdown condition this frame's decision was made under
                "monitor": dict(sorted(decision.monitor.items())),
                "latency_ms": latency,
                "correct": correct,
                "throttled": state["throttled"],
            }
        )
        after = switcher.observe(decision.design_id, latency)
        if after.design_id == decision.design_id and after.meets_slo != decision.meets_slo:
            flagged(after, decision)

    ran = [f for f in frames if f["design"] is not None]
    moves = sum(1 for c in log if c["from"] is not None and c["from"] != c["to"])
    summary = {
        "frames": len(frames),
        "digits": len(ran) * args.batch,
        "accuracy": 100.0 * sum(f["correct"] for f in ran) / max(1, len(ran) * args.batch),
        "changes": log,
        "frames_per_design": {
            d: sum(1 for f in ran if f["design"] == d) for d in sorted({f["design"] for f in ran})
        },
        "median_latency_ms": {
            d: statistics.median(f["latency_ms"] for f in ran if f["design"] == d)
            for d in sorted({f["design"] for f in ran})
        },
    }
    if args.log:
        with open(args.log, "w", encoding="utf-8") as fh:
            for f in frames:
                fh.write(json.dumps(f) + "\n")
    print(
        f"{summary['frames']} frames, {summary['digits']} digits, "
        f"accuracy {summary['accuracy']:.1f} %, {moves} design changes; "
        f"frames per design {summary['frames_per_design']}; median latency per digit (ms) "
        + ", ".join(f"{d} {v:.4f}" for d, v in summary["median_latency_ms"].items())
    )
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (defaults: the committed plan, the model fixtures, 600 frames)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, default=HERE / "plan.json")
    parser.add_argument("--models", type=Path, default=ROOT / "tests" / "fixtures" / "models")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--batch", type=int, default=8, help="digits per frame")
    parser.add_argument("--throttle", type=float, default=2.5, help="emulated CPU slowdown")
    parser.add_argument("--log", help="write one JSON line per frame")
    parser.add_argument("--summary", help="write the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = run(args)
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
