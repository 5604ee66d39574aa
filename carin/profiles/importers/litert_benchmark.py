"""Importer for the text output of LiteRT's (TFLite's) ``benchmark_model`` tool.

``benchmark_model`` runs on Android phones and Linux boards (``adb shell
/data/local/tmp/benchmark_model --graph=... --num_threads=4 --use_gpu=true``); its
log echoes the parameters it ran with and ends with the timing summary::

    INFO: Graph: [/data/local/tmp/mobilenet_v2_int8.tflite]
    INFO: #threads used for CPU inference: [4]
    INFO: Use xnnpack: [1]
    INFO: count=50 first=8123 curr=7960 min=7801 max=8412 avg=7990.4 std=118 p5=7850 median=7968 p95=8240
    INFO: Inference timings in us: Init: 95210, First inference: 11204, Warmup (avg): 8655.2, Inference (avg): 7990.4
    INFO: Memory footprint delta from the start of the tool (MB): init=24.1 overall=31.6

Each run in a log (a file may hold several, each starting with ``STARTING!``)
becomes one profile row.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pandas as pd

from carin.errors import ProfileError

__all__ = ["NAME", "HELP", "add_arguments", "import_table", "parse_log", "parse_run"]

NAME = "litert-benchmark"
HELP = "LiteRT/TFLite benchmark_model logs (e.g. from Android phones) -> profile rows"

_NUM = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
_TIMINGS = re.compile(
    rf"Inference timings in us:\s*Init:\s*{_NUM},\s*First inference:\s*{_NUM},\s*"
    rf"Warmup \(avg\):\s*{_NUM},\s*Inference \(avg\):\s*{_NUM}"
)
_MEM_DELTA = re.compile(
    rf"(?:Memory footprint delta from the start of the tool|Peak memory footprint) \(MB\):\s*"
    rf"init={_NUM}\s+overall={_NUM}"
)
_MEM_PEAK = re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring:\s*{_NUM}")
_SIZE = re.compile(rf"The input model file size \(MB\):\s*{_NUM}")
_STATS = re.compile(r"\bcount=(\d+)\b(.*)")
_PARAM = re.compile(r"(?:^|\s|:)([A-Za-z#][A-Za-z0-9 #()_/.-]*?):\s*\[([^\]]*)\]\s*$")

# Echoed parameter names (as the tool prints them) -> our field.
_PARAMS = {
    "graph": "graph",
    "num threads": "threads",
    "#threads used for cpu inference": "threads",
    "use gpu": "use_gpu",
    "use nnapi": "use_nnapi",
    "use xnnpack": "use_xnnpack",
    "use hexagon": "use_hexagon",
}

# Precision guessed from the model file name when --precision is not given; the
# first pattern that matches wins (dynamic-range before full integer).
_PRECISION_PATTERNS: tuple[tuple[str, str], ...] = (
    ("int8-dynamic", r"int8[-_]?dyn\w*|dyn\w*[-_]?int8|dynamic[-_]?range|drq"),
    ("fp16", r"fp16|float16|f16"),
    ("int8", r"int8|uint8|quant|w8a8|i8"),
    ("fp32", r"fp32|float32|float|f32"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the importer's arguments: log files and optional key values."""
    parser.add_argument("logs", nargs="+", metavar="LOG", help="benchmark_model output files")
    parser.add_argument("--device", default=None, help="device key, e.g. 'Google Pixel 7'")
    parser.add_argument(
        "--precision",
        default=None,
        help="precision key for every row (default: guessed from the model file name: "
        "fp32, fp16, int8-dynamic, int8; 'unknown' when the name does not tell)",
    )
    parser.add_argument("--task", default=None, help="task key, e.g. image_classification")


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("1", "true", "yes"):
        return True
    if v in ("0", "false", "no"):
        return False
    return None


def guess_precision(graph: str) -> str:
    """Precision label from a model file name, or ``"unknown"``."""
    stem = Path(graph).stem.lower()
    for label, pattern in _PRECISION_PATTERNS:
        if re.search(rf"(?:^|[-_.]){pattern}(?:$|[-_.])", stem):
            return label
    return "unknown"


def _model_name(graph: str, precision: str) -> str:
    stem = Path(graph.replace("\\", "/")).stem
    stripped = re.sub(rf"[-_.]{re.escape(precision)}$", "", stem)
    return stripped or stem


def _stats(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(rf"(\w+)={_NUM}", text)}


def parse_run(text: str, *, source: str = "<log>") -> dict:
    """Parse one benchmark_model run into echoed parameters and metrics.

    Args:
        text: The log text of one run.
        source: Name used in error messages.

    Returns:
        A dict with ``graph``, ``threads`` (int or None), ``use_gpu``,
        ``use_nnapi``, ``use_xnnpack``, ``use_hexagon`` (bool or None),
        ``xnnpack_applied`` (bool) and metric values in ms / MB.

    Raises:
        ProfileError: The run has no ``Inference timings in us`` summary.
    """
    out: dict = {"graph": None, "threads": None}
    stats_lines: list[dict[str, float]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _PARAM.search(line)
        if m:
            key = _PARAMS.get(m.group(1).strip().lower())
            if key == "graph":
                out["graph"] = m.group(2).strip()
            elif key == "threads":
                try:
                    out["threads"] = int(m.group(2))
                except ValueError:
                    pass
            elif key:
                out[key] = _flag(m.group(2))
            continue
        m = _STATS.search(line)
        if m and "=" in m.group(2):
            stats_lines.append(_stats("count=" + m.group(1) + m.group(2)))
    m = _TIMINGS.search(text)
    if not m:
        raise ProfileError(
            f"{source}: no 'Inference timings in us: Init: ..., First inference: ..., "
            "Warmup (avg): ..., Inference (avg): ...' line; expected the output of "
            "benchmark_model (did the run fail or stop early?)"
        )
    init_us, first_us, warmup_us, avg_us = (float(g) for g in m.groups())
    out.update(
        init_ms=init_us / 1e3,
        first_inference_ms=first_us / 1e3,
        warmup_ms=warmup_us / 1e3,
        latency_ms=avg_us / 1e3,
    )
    # The last statistics line before the summary is the timed (non-warm-up) run.
    regular = stats_lines[-1] if stats_lines else {}
    out["latency_std_ms"] = regular["std"] / 1e3 if "std" in regular else np.nan
    out["latency_p50_ms"] = regular["median"] / 1e3 if "median" in regular else np.nan
    out["latency_p95_ms"] = regular["p95"] / 1e3 if "p95" in regular else np.nan
    out["runs"] = regular.get("count", np.nan)
    m = _MEM_DELTA.search(text)
    out["memory_init_mb"] = float(m.group(1)) if m else np.nan
    out["memory_mb"] = float(m.group(2)) if m else np.nan
    m = _MEM_PEAK.search(text)
    out["memory_peak_mb"] = float(m.group(1)) if m else np.nan
    m = _SIZE.search(text)
    out["size_mb"] = float(m.group(1)) if m else np.nan
    out["xnnpack_applied"] = bool(
        re.search(
            r"XNNPACK delegate created|Applied XNNPACK delegate|"
            r"Created TensorFlow Lite XNNPACK delegate",
            text,
        )
    )
    return out


def _split_runs(text: str) -> list[str]:
    parts = re.split(r"(?m)^.*\bSTARTING!\s*$", text)
    runs = [p for p in parts if "Inference timings in us" in p]
    return runs or [text]


def parse_log(path: str | Path) -> list[dict]:
    """Parse every run of one benchmark_model log file.

    Raises:
        ProfileError: The file is missing or holds no complete run.
    """
    p = Path(path)
    if not p.exists():
        raise ProfileError(f"{p}: no such log file")
    if p.is_dir():
        raise ProfileError(f"{p}: is a folder; expected a benchmark_model log file")
    if not p.is_file():  # a FIFO would block, a device never ends
        raise ProfileError(f"{p}: not a regular file; save the log to a file first")
    if p.stat().st_size > 256 * 1024 * 1024:
        raise ProfileError(f"{p}: larger than 256 MB; not a benchmark_model log")
    try:
        text = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ProfileError(f"{p}: cannot read the log ({exc})") from exc
    runs = _split_runs(text)
    return [parse_run(run, source=f"{p} (run {i + 1})") for i, run in enumerate(runs)]


def _processor_runtime(run: dict) -> tuple[str, str]:
    if run.get("use_gpu"):
        return "gpu", "litert-gpu"
    if run.get("use_nnapi"):
        return "npu", "litert-nnapi"
    if run.get("use_hexagon"):
        return "dsp", "litert-hexagon"
    xnn = run.get("use_xnnpack")
    if xnn is None:
        xnn = run.get("xnnpack_applied", False)
    return "cpu", "litert-xnnpack" if xnn else "litert"


_METRICS = (
    "latency_ms",
    "latency_std_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "first_inference_ms",
    "warmup_ms",
    "init_ms",
    "memory_mb",
    "memory_init_mb",
    "memory_peak_mb",
    "size_mb",
)


def import_table(args: argparse.Namespace) -> pd.DataFrame:
    """Parse the logs named by ``args.logs`` into canonical profile rows.

    Keys: ``model`` (the graph's file stem without a precision suffix),
    ``precision`` (``--precision`` or guessed from the file name), ``processor``
    (``gpu`` with use_gpu, ``npu`` with use_nnapi, ``dsp`` with use_hexagon, else
    ``cpu``), ``runtime`` (``litert-gpu``, ``litert-nnapi``, ``litert-hexagon``,
    ``litert-xnnpack`` or ``litert``), ``threads`` and the optional ``device`` and
    ``task``. Metrics in ms and MB; ``memory_mb`` is the tool's overall footprint
    delta, ``memory_peak_mb`` its periodically monitored peak.
    """
    rows: list[dict] = []
    for log in args.logs:
        for i, run in enumerate(parse_log(log)):
            graph = run["graph"]
            if not graph:
                raise ProfileError(
                    f"{log} (run {i + 1}): no 'Graph: [...]' line; run benchmark_model with "
                    "--graph so the log names the model"
                )
            precision = args.precision or guess_precision(graph)
            processor, runtime = _processor_runtime(run)
            threads = run["threads"]
            row = {
                "model": _model_name(graph, precision),
                "precision": precision,
                "processor": processor,
                "runtime": runtime,
                # -1 (the tool's default) means "implementation default": not a count.
                "threads": threads if threads is not None and threads > 0 else None,
            }
            if args.device:
                row["device"] = args.device
            if args.task:
                row["task"] = args.task
            row.update({k: run[k] for k in _METRICS})
            rows.append(row)
    frame = pd.DataFrame(rows)
    if frame["threads"].notna().all():
        frame["threads"] = frame["threads"].astype(np.int64)
    else:
        frame["threads"] = frame["threads"].map(lambda t: "" if pd.isna(t) else str(int(t)))
    # Drop metric columns no log reported, so a table does not carry empty columns.
    empty = [c for c in _METRICS if c in frame.columns and frame[c].isna().all()]
    return frame.drop(columns=empty)
