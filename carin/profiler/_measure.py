"""Measuring one configuration (model x threads x delegate), usually in a fresh process.

Memory: in a fresh process the peak resident set (``VmHWM``) is reset through
``/proc/self/clear_refs`` once the interpreter module and the data are loaded;
``memory_mb`` is the peak reached while creating the interpreter, allocating its
tensors and running every timed inference, minus the resident set just before.
Where ``/proc`` cannot reset the peak, ``resource.getrusage`` gives the peak of
the whole process instead, and the growth over the resident set before is used.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Measurement", "measure_config", "main"]


@dataclass(frozen=True, kw_only=True)
class Measurement:
    """Timings and memory of one configuration (milliseconds and megabytes)."""

    init_ms: float
    first_inference_ms: float
    latency_ms: float
    latency_std_ms: float
    latency_p50_ms: float
    latency_p95_ms: float
    memory_mb: float
    accuracy: float
    delegated: bool


def _proc_status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _maxrss_kb() -> float:
    rss = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return rss / 1024.0 if sys.platform == "darwin" else rss


def measure_config(
    path: str,
    *,
    threads: int,
    delegate: str,
    runs: int,
    warmup: int,
    dataset: str | None = None,
    seed: int = 0,
    track_memory: bool = True,
) -> Measurement:
    """Measure one configuration in the current process.

    Args:
        path: The .tflite file (already checked by :func:`inspect_model`).
        threads: CPU threads.
        delegate: ``"xnnpack"`` or ``"none"``.
        runs: Timed inferences (after warm-up).
        warmup: Untimed inferences after the first one.
        dataset: Optional ``.npz`` for top-1 accuracy (evaluated after timing).
        seed: Seed of the random input used for timing when there is no dataset.
        track_memory: Measure peak memory growth (meaningful in a fresh process only).

    Returns:
        A :class:`Measurement`; ``memory_mb``/``accuracy`` are NaN when not measured.
    """
    from carin.profiler._dataset import load_dataset, quantize_input, top1_accuracy
    from carin.profiler._runtime import interpreter_module, make_interpreter

    interpreter_module()  # load the runtime's shared libraries before the baseline
    data = load_dataset(dataset) if dataset else None
    rss_before = _proc_status_kb("VmRSS") if track_memory else None
    reset = _reset_peak() if track_memory and rss_before is not None else False
    if track_memory and rss_before is None:
        rss_before = _maxrss_kb()

    t0 = time.perf_counter_ns()
    interp = make_interpreter(path, threads=threads, delegate=delegate)
    interp.allocate_tensors()
    init_ms = (time.perf_counter_ns() - t0) / 1e6
    delegated = any(op["op_name"] == "DELEGATE" for op in interp._get_ops_details())

    inp = interp.get_input_details()[0]
    shape = tuple(int(s) for s in inp["shape"])
    if data is not None:
        sample = data[0][:1].reshape(shape)
    else:
        sample = np.random.default_rng(seed).random(shape, dtype=np.float32)
    if np.issubdtype(np.asarray(sample).dtype, np.floating):
        sample = quantize_input(sample, inp)
    interp.set_tensor(inp["index"], sample.astype(np.dtype(inp["dtype"])))

    t0 = time.perf_counter_ns()
    interp.invoke()
    first_ms = (time.perf_counter_ns() - t0) / 1e6
    for _ in range(warmup):
        interp.invoke()
    times = np.empty(runs, dtype=np.float64)
    clock = time.perf_counter_ns
    for i in range(runs):
        t0 = clock()
        interp.invoke()
        times[i] = clock() - t0
    times /= 1e6

    memory_mb = float("nan")
    if track_memory:
        peak = _proc_status_kb("VmHWM") if reset else None
        if peak is None:
            peak = _maxrss_kb()
        memory_mb = max(0.0, peak - float(rss_before)) / 1024.0

    accuracy = float("nan")
    if data is not None:
        accuracy = top1_accuracy(interp, data[0], data[1])
    return Measurement(
        init_ms=init_ms,
        first_inference_ms=first_ms,
        latency_ms=float(times.mean()),
        latency_std_ms=float(times.std(ddof=1)) if runs > 1 else 0.0,
        latency_p50_ms=float(np.percentile(times, 50)),
        latency_p95_ms=float(np.percentile(times, 95)),
        memory_mb=memory_mb,
        accuracy=accuracy,
        delegated=delegated,
    )


def main() -> int:
    """Worker entry point: read one job as JSON on stdin, print a Measurement as JSON."""
    job = json.loads(sys.stdin.read())
    try:
        result = measure_config(**job)
    except Exception as exc:  # reported to the parent, which names the model
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps(asdict(result)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
