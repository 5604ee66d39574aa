"""Evaluation data (``.npz`` with ``x`` and ``y``) and top-1 accuracy through LiteRT."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from carin.profiler._errors import ProfilingError

__all__ = ["check_dataset", "load_dataset", "quantize_input", "dequantize_output", "top1_accuracy"]


def load_dataset(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Load an evaluation set: ``x`` (samples first) and integer class labels ``y``.

    Args:
        path: A ``.npz`` file with arrays ``x`` and ``y``.

    Returns:
        ``(x, y)`` with ``y`` as int64.

    Raises:
        ProfilingError: The file is missing or unreadable, an array is missing,
            or the shapes do not agree; the message names the file and array.
    """
    p = Path(path)
    if not p.exists():
        raise ProfilingError(f"{p}: no such dataset file")
    try:
        with p.open("rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ProfilingError(f"{p}: cannot read the dataset ({exc.strerror or exc})") from exc
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):  # np.load would try .npy or pickle
        what = "a single .npy array" if head == b"\x93NUM" else "not an .npz archive"
        raise ProfilingError(
            f"{p}: {what}; a dataset is an .npz archive with arrays 'x' (inputs, samples "
            "first) and 'y' (integer labels), e.g. numpy.savez(path, x=x, y=y)"
        )
    try:
        with np.load(p, allow_pickle=False) as data:
            missing = [k for k in ("x", "y") if k not in data.files]
            if missing:
                raise ProfilingError(
                    f"{p}: dataset has no array {missing[0]!r}; expected arrays 'x' "
                    f"(inputs, samples first) and 'y' (integer labels); found {data.files}"
                )
            x, y = data["x"], data["y"]
    except ProfilingError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ProfilingError(f"{p}: cannot read the dataset as .npz ({exc})") from exc
    if x.ndim < 1 or len(x) == 0:
        raise ProfilingError(f"{p}: array 'x' is empty; expected one sample per row")
    if y.ndim != 1 or len(y) != len(x):
        raise ProfilingError(
            f"{p}: array 'y' has shape {tuple(y.shape)}; expected one label per sample, "
            f"shape ({len(x)},)"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise ProfilingError(f"{p}: array 'y' has dtype {y.dtype}; expected integer labels")
    return x, y.astype(np.int64)


def check_dataset(x: np.ndarray, input_shape: tuple[int, ...], *, model: str, dataset: str) -> None:
    """Raise when the samples of ``x`` do not fit the model's input shape (batch excluded).

    Raises:
        ProfilingError: Names the dataset, the model and both shapes.
    """
    want = tuple(input_shape[1:])
    got = tuple(x.shape[1:])
    if got != want:
        raise ProfilingError(
            f"{dataset}: array 'x' has samples of shape {got}, but {model} expects "
            f"{want} (its input is {tuple(input_shape)}, batch first)"
        )


def _quant(detail: dict) -> tuple[float, int]:
    scale, zero = detail.get("quantization", (0.0, 0))
    return float(scale), int(zero)


def quantize_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """Convert float samples to the input tensor's type (quantising with its scale and zero point).

    Args:
        x: Float samples.
        detail: The input's entry of ``interpreter.get_input_details()``.

    Returns:
        Samples of the tensor's dtype.
    """
    dtype = np.dtype(detail["dtype"])
    scale, zero = _quant(detail)
    if np.issubdtype(dtype, np.integer) and scale > 0:
        info = np.iinfo(dtype)
        q = np.round(np.asarray(x, dtype=np.float64) / scale) + zero
        return np.clip(q, info.min, info.max).astype(dtype)
    return np.asarray(x).astype(dtype)


def dequantize_output(y: np.ndarray, detail: dict) -> np.ndarray:
    """Convert an output tensor to float (``(q - zero_point) * scale`` when quantised)."""
    scale, zero = _quant(detail)
    if np.issubdtype(np.asarray(y).dtype, np.integer) and scale > 0:
        return (np.asarray(y, dtype=np.float64) - zero) * scale
    return np.asarray(y, dtype=np.float64)


def top1_accuracy(interpreter, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy (percent) of an allocated interpreter on ``(x, y)``, one sample per call.

    Inputs are quantised and outputs dequantised with the tensors' own parameters,
    so integer and float models are scored the same way.

    Args:
        interpreter: An interpreter with tensors allocated for batch size 1.
        x: Samples (float, or already of the input dtype).
        y: Integer labels.

    Returns:
        The share of samples whose largest output is the label, in percent.
    """
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    if np.issubdtype(np.asarray(x).dtype, np.floating):
        xq = quantize_input(x, inp)
    else:
        xq = np.asarray(x).astype(np.dtype(inp["dtype"]))
    shape = tuple(int(s) for s in inp["shape"])
    pred = np.empty(len(y), dtype=np.int64)
    for i in range(len(y)):
        interpreter.set_tensor(inp["index"], xq[i : i + 1].reshape(shape))
        interpreter.invoke()
        scores = dequantize_output(interpreter.get_tensor(out["index"]), out)
        pred[i] = int(np.argmax(scores.reshape(-1)))
    return float(np.mean(pred == y) * 100.0)
