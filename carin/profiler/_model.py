"""Checking a .tflite file and reading what the profiler needs from it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from carin.profiler._errors import ProfilingError
from carin.profiler._runtime import make_interpreter

__all__ = ["PRECISIONS", "ModelInfo", "detect_precision", "inspect_model"]

#: Precision labels the profiler writes, from the model's tensor types.
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8-dynamic", "int8")

_INT8 = (np.int8, np.uint8)


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """What the profiler knows about a model before measuring it.

    Attributes:
        path: The .tflite file.
        name: The ``model`` key: the file stem without a trailing ``_<precision>``.
        precision: One of :data:`PRECISIONS`.
        size_mb: File size in megabytes (10**6 bytes).
        input_shape: Shape of the first input tensor.
        input_dtype: Numpy dtype name of the first input tensor.
    """

    path: Path
    name: str
    precision: str
    size_mb: float
    input_shape: tuple[int, ...]
    input_dtype: str


def detect_precision(interpreter) -> str:
    """Classify a model's precision from its tensor and op types.

    * ``int8``: full-integer quantisation (integer input, or QUANTIZE ops feeding
      int8 activations).
    * ``int8-dynamic``: int8 weights with float activations and float input/output.
    * ``fp16``: float16 weights dequantised to float32 at load.
    * ``fp32``: everything else that computes in float32.

    Args:
        interpreter: A LiteRT interpreter of the model.

    Returns:
        One of :data:`PRECISIONS`.
    """
    dtypes = {np.dtype(t["dtype"]) for t in interpreter.get_tensor_details()}
    input_dtype = np.dtype(interpreter.get_input_details()[0]["dtype"])
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    has_int8 = any(np.dtype(d) in dtypes for d in _INT8)
    if input_dtype in (np.dtype(np.int8), np.dtype(np.uint8)):
        return "int8"
    if has_int8 and "QUANTIZE" in ops:
        return "int8"
    if np.dtype(np.float16) in dtypes:
        return "fp16"
    if has_int8:
        return "int8-dynamic"
    return "fp32"


def _model_name(stem: str, precision: str) -> str:
    suffix = re.escape(precision)
    stripped = re.sub(rf"[_.-]{suffix}$", "", stem)
    return stripped or stem


def inspect_model(path: str | os.PathLike) -> ModelInfo:
    """Check that ``path`` is a loadable .tflite model and read its precision and input.

    Args:
        path: The model file.

    Returns:
        A :class:`ModelInfo`.

    Raises:
        ProfilingError: The file is missing, not a .tflite flatbuffer, or LiteRT
            cannot load it; the message names the file.
    """
    p = Path(path)
    if not p.exists():
        raise ProfilingError(f"{p}: no such model file")
    if p.is_dir():
        raise ProfilingError(f"{p}: is a folder; expected a .tflite model file")
    if p.suffix.lower() != ".tflite":
        raise ProfilingError(f"{p}: not a .tflite file; carin profile measures LiteRT models")
    with p.open("rb") as fh:
        head = fh.read(8)
    # A TFLite flatbuffer carries the file identifier "TFL3" at bytes 4..8.
    if len(head) < 8 or head[4:8] != b"TFL3":
        raise ProfilingError(
            f"{p}: not a TFLite flatbuffer (missing the 'TFL3' identifier at byte 4)"
        )
    try:
        interp = make_interpreter(p, threads=1, delegate="none")
        interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProfilingError(f"{p}: LiteRT cannot load the model ({first})") from exc
    precision = detect_precision(interp)
    inp = interp.get_input_details()[0]
    return ModelInfo(
        path=p,
        name=_model_name(p.stem, precision),
        precision=precision,
        size_mb=p.stat().st_size / 1e6,
        input_shape=tuple(int(s) for s in inp["shape"]),
        input_dtype=np.dtype(inp["dtype"]).name,
    )
