"""Profiling many models x threads x delegates into canonical profile rows."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from carin.profiler._dataset import check_dataset, load_dataset
from carin.profiler._errors import ProfilingError
from carin.profiler._measure import Measurement, measure_config
from carin.profiler._model import ModelInfo, inspect_model
from carin.profiler._runtime import DELEGATES, RUNTIME_NAMES

__all__ = ["ProfileRun", "profile_models", "METRIC_COLUMNS"]

#: Metric columns of a profiled row, in output order.
METRIC_COLUMNS: tuple[str, ...] = (
    "latency_ms",
    "latency_std_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "first_inference_ms",
    "init_ms",
    "memory_mb",
    "size_mb",
    "accuracy",
)

_KEYS: tuple[str, ...] = ("model", "precision", "processor", "task", "device", "runtime", "threads")


@dataclass
class ProfileRun:
    """Result of :func:`profile_models`.

    Attributes:
        frame: One row per measured configuration, canonical key and metric columns.
        errors: One message per model (or configuration) that could not be measured.
    """

    frame: pd.DataFrame
    errors: list[str] = field(default_factory=list)


def default_device() -> str:
    """The host name of this machine, used as the ``device`` key by default."""
    return platform.node() or "localhost"


def _in_subprocess(job: dict) -> Measurement:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    proc = subprocess.run(
        [sys.executable, "-m", "carin.profiler._measure"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProfilingError(
            f"{job['path']}: the measuring process failed (exit {proc.returncode}: {tail})"
        )
    payload = json.loads(lines[-1])
    if "error" in payload:
        raise ProfilingError(f"{job['path']}: {payload['error']}")
    return Measurement(**payload)


def profile_models(
    paths: Sequence[str | os.PathLike],
    *,
    threads: Sequence[int] = (1,),
    delegates: Sequence[str] = ("xnnpack",),
    runs: int = 50,
    warmup: int = 5,
    dataset: str | os.PathLike | None = None,
    device: str | None = None,
    task: str | None = None,
    isolate: bool = True,
    seed: int = 0,
    progress: Callable[[int, int, str], None] | None = None,
) -> ProfileRun:
    """Measure every model x threads x delegate with LiteRT on this machine.

    Models that cannot be profiled (missing, not a .tflite file, a corrupt
    flatbuffer, a dataset that does not fit) are skipped with a message in
    :attr:`ProfileRun.errors`; the other models are still measured.

    Args:
        paths: The .tflite files.
        threads: CPU thread counts to measure.
        delegates: Any of ``"xnnpack"`` (runtime ``litert-xnnpack``) and ``"none"``
            (runtime ``litert``).
        runs: Timed inferences per configuration (after warm-up).
        warmup: Untimed inferences after the first inference.
        dataset: Optional ``.npz`` (``x``, ``y``) for top-1 accuracy.
        device: Value of the ``device`` key (default: this machine's host name).
        task: Optional value of the ``task`` key.
        isolate: Measure each configuration in a fresh Python process, which makes
            ``memory_mb`` meaningful; with ``False`` ``memory_mb`` is left empty.
        seed: Seed of the random timing input when there is no dataset.
        progress: Called as ``progress(done, total, label)`` after each configuration.

    Returns:
        A :class:`ProfileRun` with the rows and the error messages.

    Raises:
        ProfilingError: Bad arguments, or an unreadable dataset (which concerns every model).
    """
    threads = [int(t) for t in threads]
    if not threads or min(threads) < 1:
        raise ProfilingError(f"threads must be integers >= 1; got {threads}")
    bad = [d for d in delegates if d not in DELEGATES]
    if bad or not delegates:
        raise ProfilingError(
            f"unknown delegate {bad[0] if bad else ''!r}; allowed: {', '.join(DELEGATES)}"
        )
    if runs < 1 or warmup < 0:
        raise ProfilingError(f"runs must be >= 1 and warmup >= 0; got runs={runs}, warmup={warmup}")
    device = device or default_device()
    data = load_dataset(dataset) if dataset is not None else None

    errors: list[str] = []
    models: list[ModelInfo] = []
    for path in paths:
        try:
            info = inspect_model(path)
            if data is not None:
                check_dataset(data[0], info.input_shape, model=str(info.path), dataset=str(dataset))
        except ProfilingError as exc:
            errors.append(str(exc))
            continue
        models.append(info)

    rows: list[dict] = []
    total = len(models) * len(threads) * len(delegates)
    done = 0
    for info in models:
        for t in threads:
            for d in delegates:
                job = {
                    "path": str(info.path),
                    "threads": t,
                    "delegate": d,
                    "runs": int(runs),
                    "warmup": int(warmup),
                    "dataset": None if dataset is None else str(dataset),
                    "seed": int(seed),
                    "track_memory": bool(isolate),
                }
                label = f"{info.path.name} threads={t} delegate={d}"
                done += 1
                try:
                    m = _in_subprocess(job) if isolate else measure_config(**job)
                except ProfilingError as exc:
                    errors.append(str(exc))
                    if progress:
                        progress(done, total, label + " FAILED")
                    continue
                row = {
                    "model": info.name,
                    "precision": info.precision,
                    "processor": "cpu",
                    "task": task or "",
                    "device": device,
                    "runtime": RUNTIME_NAMES[d],
                    "threads": t,
                }
                values = asdict(m)
                row.update({k: values[k] for k in METRIC_COLUMNS if k in values})
                row["size_mb"] = info.size_mb
                rows.append(row)
                if progress:
                    progress(done, total, label)

    columns = [k for k in _KEYS if k != "task" or task] + list(METRIC_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame["threads"] = frame["threads"].astype(np.int64)
        if data is None:
            frame = frame.drop(columns=["accuracy"])
        if not isolate:
            frame = frame.drop(columns=["memory_mb"])
    return ProfileRun(frame=frame, errors=errors)
