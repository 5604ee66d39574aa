"""Real measurement of .tflite models with LiteRT on this machine.

:func:`profile_models` measures every model x threads x delegate (latency mean,
spread and percentiles, first-inference and init time, peak memory growth, size,
and top-1 accuracy on an ``.npz`` dataset) into canonical profile rows.
"""

from __future__ import annotations

from carin.profiler._dataset import (
    dequantize_output,
    load_dataset,
    quantize_input,
    top1_accuracy,
)
from carin.profiler._errors import ProfilingError
from carin.profiler._measure import Measurement, measure_config
from carin.profiler._model import PRECISIONS, ModelInfo, detect_precision, inspect_model
from carin.profiler._profile import METRIC_COLUMNS, ProfileRun, default_device, profile_models
from carin.profiler._runtime import DELEGATES, RUNTIME_NAMES, make_interpreter

__all__ = [
    "DELEGATES",
    "METRIC_COLUMNS",
    "PRECISIONS",
    "RUNTIME_NAMES",
    "Measurement",
    "ModelInfo",
    "ProfileRun",
    "ProfilingError",
    "default_device",
    "dequantize_output",
    "detect_precision",
    "inspect_model",
    "load_dataset",
    "make_interpreter",
    "measure_config",
    "profile_models",
    "quantize_input",
    "top1_accuracy",
]
