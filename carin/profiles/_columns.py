"""Canonical column names of a profile table."""

from __future__ import annotations

KEY_COLUMNS: tuple[str, ...] = (
    "model",
    "precision",
    "processor",
    "task",
    "device",
    "runtime",
    "threads",
    "cm",
    "variant",
    "asset",
)
"""Key columns in canonical order: together they name one measured configuration.

``asset`` (optional) is the model file an app loads for the configuration (for
example ``mobilenet_v2_int8.tflite``, a path inside the app's assets); like every key
column but ``processor`` it is copied into the plan's ``designs[].parts[].config``."""

REQUIRED_KEYS: tuple[str, ...] = ("model", "precision", "processor")
"""Key columns every profile table must have, with a non-empty value in every row."""

KNOWN_METRICS: dict[str, str] = {
    "latency_ms": "mean (or median) inference latency, milliseconds",
    "latency_std_ms": "standard deviation of the latency, milliseconds",
    "latency_p95_ms": "95th percentile of the latency, milliseconds",
    "accuracy": "task accuracy in percent (0-100), the model's own metric",
    "energy_mj": "energy per inference, millijoules",
    "memory_mb": "peak memory, megabytes",
    "size_mb": "model file size, megabytes",
    "power_mw": "average power, milliwatts",
    "throughput_fps": "inferences per second",
    "success_rate": "share of jobs that complete, percent (0-100)",
}
"""Metric columns with a documented meaning; any other numeric column is a metric too."""

NON_NEGATIVE_METRICS: tuple[str, ...] = ("energy_mj", "memory_mb", "size_mb", "power_mw")
"""Metrics that may not be negative (besides every ``latency_*`` column)."""

PERCENT_METRICS: tuple[str, ...] = ("accuracy", "success_rate")
"""Metrics in percent, bounded to [0, 100] (also every ``accuracy_*`` column)."""


def is_non_negative_metric(name: str) -> bool:
    """Whether a metric column may not hold negative values."""
    return name.startswith("latency_") or name in NON_NEGATIVE_METRICS


def is_percent_metric(name: str) -> bool:
    """Whether a metric column holds a percentage bounded to [0, 100]."""
    return name in PERCENT_METRICS or name.startswith("accuracy_")
