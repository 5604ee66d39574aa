"""Qualcomm AI Hub Models: on-device profiles of published models.

Input: the ``aihub`` folder (or its ``models`` sub-folder) with one folder per
model holding ``perf.yaml``, optionally ``numerics.yaml`` and ``info.yaml``.
Output: one row per (model, component, precision, device, runtime) that has a
timed result:

- ``model`` is the model's folder name; ``variant`` is the component name when
  the model is split into several components (e.g. an encoder and a decoder,
  each a row of its own), and empty for single-component models.
- ``processor`` is the job's primary compute unit in lower case
  (``npu``/``gpu``/``cpu``); it is an outcome of the ``runtime``, the knob a
  user actually picks.
- ``latency_ms`` is ``inference_time_milliseconds``; ``memory_mb`` is the upper
  end of ``estimated_peak_memory_range_mb``.
- ``accuracy`` (percent) is the on-device ``partial_metric`` of numerics.yaml
  for that device, precision and runtime when the model's metric is a
  higher-is-better score on a 0-100 scale (top-1, mAP, mIoU, delta1...); the
  same value applies to every component of a multi-component model. AI Hub
  evaluates accuracy on one device only (Samsung Galaxy S25 in release
  v0.46.1) while it times many; the model files for a precision and runtime
  are the same on every device, so by default a device without its own score
  gets the one measured on another device (first by name) for the same
  precision and runtime (``--same-device-accuracy`` turns this off). PSNR
  (``psnr_db``) and SSIM (``ssim``) of image-restoration models get their own
  columns; other metrics (error rates, angular errors) are left out.
- ``task`` is info.yaml's ``use_case`` in snake_case; ``size_mb`` and
  ``params_m`` (millions of parameters) come from its technical details.
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from carin.errors import ProfileError

NAME = "aihub"
HELP = "Qualcomm AI Hub Models folder (perf.yaml, numerics.yaml, info.yaml per model)"

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_COLUMNS = (
    "model",
    "precision",
    "processor",
    "task",
    "device",
    "runtime",
    "variant",
    "latency_ms",
    "memory_mb",
    "accuracy",
    "psnr_db",
    "ssim",
    "size_mb",
    "params_m",
)

_LOWER_IS_BETTER = re.compile(r"error|loss|distance", re.IGNORECASE)
_SIZE_UNITS = {"kb": 1e-3, "mb": 1.0, "gb": 1e3}
_COUNT_UNITS = {"k": 1e-3, "m": 1.0, "b": 1e3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the input folder argument."""
    parser.add_argument(
        "input", metavar="FOLDER", help="AI Hub models folder (holding <model>/perf.yaml)"
    )
    parser.add_argument(
        "--same-device-accuracy",
        action="store_true",
        help="keep accuracy only where it was measured on the row's own device "
        "(by default a score measured on another device for the same model, precision "
        "and runtime is carried over)",
    )


def _load_yaml(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ProfileError(f"{where}: not valid YAML ({exc.problem})") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML ({exc})") from exc


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def _snake(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")


def _parse_quantity(text: Any, units: dict[str, float]) -> float:
    """``"13.3 MB"`` -> 13.3 (in the unit scaled to 1.0); ``"~3.5M"`` -> 3.5."""
    match = re.fullmatch(r"\s*~?\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]+)\s*", str(text))
    if not match:
        return math.nan
    scale = units.get(match.group(2).lower())
    return float(match.group(1)) * scale if scale is not None else math.nan


def _technical(info: dict, what: str, component: str | None, precision: str | None) -> Any:
    """Look up ``<what> (<component>) (<precision>)`` with the parts that exist."""
    details = _mapping(info.get("technical_details"))
    names = []
    if component is not None and precision is not None:
        names.append(f"{what} ({component}) ({precision})")
    if component is not None:
        names.append(f"{what} ({component})")
    if precision is not None:
        names.append(f"{what} ({precision})")
    names.append(what)
    for name in names:
        if name in details:
            return details[name]
    return None


def _numerics(path: Path, skipped: Counter) -> tuple[str | None, dict]:
    """The accuracy-like column this model's metric maps to, and its device metrics."""
    if not path.is_file():
        return None, {}
    metrics = _load_yaml(path)
    metrics = metrics.get("metrics") if isinstance(metrics, dict) else None
    if not isinstance(metrics, list) or not metrics or not isinstance(metrics[0], dict):
        skipped["numerics.yaml files without a metrics list"] += 1
        return None, {}
    metric = metrics[0]
    unit = str(metric.get("metric_unit") or "")
    name = str(metric.get("metric_name") or "")
    upper = _number(_mapping(metric.get("metric_range")).get("max"))
    if unit == "dB":
        column = "psnr_db"
    elif unit == "SSIM":
        column = "ssim"
    elif upper == 100.0 and not _LOWER_IS_BETTER.search(name):
        column = "accuracy"
    else:
        skipped[f"models whose metric is not a 0-100 score ({name or unit or '?'})"] += 1
        return None, {}
    return column, _mapping(metric.get("device_metric"))


def _score(
    device_metric: dict, device: str, precision: str, runtime: str, carry_over: bool
) -> float:
    """The on-device score for this device, else (carry_over) one measured elsewhere."""

    def measured(on: Any) -> float:
        entry = _mapping(_mapping(_mapping(device_metric.get(on)).get(precision)).get(runtime))
        return _number(entry.get("partial_metric"))

    score = measured(device)
    if math.isnan(score) and carry_over:
        for other in sorted(str(d) for d in device_metric):
            score = measured(other)
            if not math.isnan(score):
                break
    return score


def _model_rows(folder: Path, skipped: Counter, carry_over: bool) -> list[dict]:
    perf_path = folder / "perf.yaml"
    if not perf_path.is_file():
        skipped["model folders without perf.yaml"] += 1
        return []
    perf = _mapping(_load_yaml(perf_path))
    info_path = folder / "info.yaml"
    info = _mapping(_load_yaml(info_path)) if info_path.is_file() else {}
    task = _snake(str(info.get("use_case") or ""))
    metric_column, device_metric = _numerics(folder / "numerics.yaml", skipped)

    precisions = _mapping(perf.get("precisions"))
    multi = any(len(_mapping(_mapping(p).get("components"))) > 1 for p in precisions.values())
    rows = []
    for precision, pdata in precisions.items():
        for component, cdata in _mapping(_mapping(pdata).get("components")).items():
            variant = str(component) if multi else ""
            size_key = str(component) if multi else None
            size_mb = _parse_quantity(
                _technical(info, "Model size", size_key, str(precision)), _SIZE_UNITS
            )
            params_m = _parse_quantity(
                _technical(info, "Number of parameters", size_key, None), _COUNT_UNITS
            )
            for device, ddata in _mapping(_mapping(cdata).get("performance_metrics")).items():
                for runtime, job in _mapping(ddata).items():
                    job = _mapping(job)
                    latency = _number(job.get("inference_time_milliseconds"))
                    status = str(job.get("job_status") or "").lower()
                    unit = str(job.get("primary_compute_unit") or "").strip().lower()
                    if status != "passed" or math.isnan(latency):
                        skipped["jobs without a passed, timed result"] += 1
                        continue
                    if not unit:
                        skipped["jobs without a primary compute unit"] += 1
                        continue
                    memory = _number(_mapping(job.get("estimated_peak_memory_range_mb")).get("max"))
                    row = {
                        "model": folder.name,
                        "precision": str(precision),
                        "processor": unit,
                        "task": task,
                        "device": str(device),
                        "runtime": str(runtime),
                        "variant": variant,
                        "latency_ms": latency,
                        "memory_mb": memory,
                        "size_mb": size_mb,
                        "params_m": params_m,
                    }
                    if metric_column is not None:
                        row[metric_column] = _score(
                            device_metric, str(device), str(precision), str(runtime), carry_over
                        )
                    rows.append(row)
    if not rows:
        skipped["model folders without any timed result"] += 1
    return rows


def _models_folder(path: Path) -> Path:
    if not path.is_dir():
        raise ProfileError(f"{path}: no such folder; expected the AI Hub models folder")
    if (path / "models").is_dir() and not (path / "perf.yaml").exists():
        return path / "models"
    return path


def read_aihub(path: str | Path, *, carry_over: bool = True) -> pd.DataFrame:
    """Read every model folder under ``path`` into the canonical long format.

    Args:
        path: The ``aihub`` folder, its ``models`` sub-folder, or one model folder.
        carry_over: Give a device without its own accuracy measurement the score
            measured on another device for the same precision and runtime.

    Returns:
        One row per timed (model, component, precision, device, runtime); the
        frame's ``attrs["skipped"]`` counts what was left out and why.

    Raises:
        ProfileError: The folder is missing, holds no model, or a YAML file is invalid.
    """
    root = _models_folder(Path(path))
    skipped: Counter = Counter()
    if (root / "perf.yaml").is_file():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir())
    rows = [row for folder in folders for row in _model_rows(folder, skipped, carry_over)]
    if not rows:
        raise ProfileError(
            f"{root}: no timed result found; expected <model>/perf.yaml files with "
            "precisions.<precision>.components.<component>.performance_metrics"
        )
    frame = pd.DataFrame(rows, columns=list(_COLUMNS))
    frame = frame.dropna(axis="columns", how="all")
    frame.attrs["skipped"] = dict(skipped)
    return frame


def import_table(args: argparse.Namespace) -> pd.DataFrame:
    """Import the AI Hub folder named by ``args.input``."""
    return read_aihub(args.input, carry_over=not args.same_device_accuracy)
