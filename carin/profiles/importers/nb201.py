"""NAS-Bench-201 architectures x hardware targets (HELP / HW-NAS-Bench latencies).

Input: ``nb201_latency_accuracy.csv`` with one row per architecture
(``arch_index, arch, acc_cifar10, acc_cifar100, acc_imagenet16`` and one
``latency_ms_<target>`` column per hardware target). Output: one row per
(architecture, target) with ``model = nb201-<arch_index>``, the architecture
string in ``variant``, ``precision = fp32``, ``task = image_classification``,
``device = <target>`` and the processor kind of that target.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from carin.errors import ProfileError

NAME = "nb201"
HELP = "NAS-Bench-201 latency/accuracy table (15,625 architectures x 27 targets)"

_LATENCY_PREFIX = "latency_ms_"
_ACCURACY = {
    "acc_cifar10": "accuracy",
    "acc_cifar100": "accuracy_cifar100",
    "acc_imagenet16": "accuracy_imagenet16",
}
_REQUIRED = ("arch_index", "arch", *_ACCURACY)

# Processor kind by target-name prefix; GPU targets carry the batch size as a suffix.
_PROCESSOR_BY_PREFIX = (
    ("1080ti", "gpu"),
    ("2080ti", "gpu"),
    ("titan", "gpu"),
    ("eyeriss", "asic"),
    ("fpga", "fpga"),
    ("gold_", "cpu"),
    ("silver_", "cpu"),
    ("raspi", "cpu"),
    ("pixel", "cpu"),
    ("samsung_", "cpu"),
    ("essential_", "cpu"),
)


def target_processor(target: str) -> str:
    """Processor kind of an NB201 hardware target (phones, boards, server CPUs -> cpu)."""
    for prefix, processor in _PROCESSOR_BY_PREFIX:
        if target.startswith(prefix):
            return processor
    raise ProfileError(
        f"unknown NB201 target {target!r}; known target prefixes are "
        f"{', '.join(p for p, _ in _PROCESSOR_BY_PREFIX)}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the input path argument."""
    parser.add_argument("input", metavar="CSV", help="path to nb201_latency_accuracy.csv")


def read_nb201(path: str | Path) -> pd.DataFrame:
    """Read the NB201 wide table into the canonical long format (vectorised)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError(f"{path}: no such file; expected nb201_latency_accuracy.csv")
    try:
        wide = pd.read_csv(path, dtype={"arch": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the table ({exc})") from exc
    missing = [c for c in _REQUIRED if c not in wide.columns]
    if missing:
        raise ProfileError(f"{path}: missing column(s) {', '.join(missing)}")
    targets = [c[len(_LATENCY_PREFIX) :] for c in wide.columns if c.startswith(_LATENCY_PREFIX)]
    if not targets:
        raise ProfileError(f"{path}: no {_LATENCY_PREFIX}<target> columns")
    n_arch, n_target = len(wide), len(targets)

    arch_index = pd.to_numeric(wide["arch_index"], errors="coerce")
    if arch_index.isna().any():
        row = int(np.flatnonzero(arch_index.isna().to_numpy())[0]) + 2
        raise ProfileError(f"{path}: row {row}, column 'arch_index': not an integer")
    models = "nb201-" + arch_index.astype(np.int64).astype(str)
    processors = np.array([target_processor(t) for t in targets], dtype=object)
    latency = wide[[_LATENCY_PREFIX + t for t in targets]].apply(pd.to_numeric, errors="coerce")

    # Architecture-major order: row a * n_target + t is architecture a on target t.
    long = {
        "model": np.repeat(models.to_numpy(dtype=object), n_target),
        "precision": np.full(n_arch * n_target, "fp32", dtype=object),
        "processor": np.tile(processors, n_arch),
        "task": np.full(n_arch * n_target, "image_classification", dtype=object),
        "device": np.tile(np.array(targets, dtype=object), n_arch),
        "variant": np.repeat(wide["arch"].to_numpy(dtype=object), n_target),
        "latency_ms": latency.to_numpy(dtype=float).reshape(-1),
    }
    for source, column in _ACCURACY.items():
        values = pd.to_numeric(wide[source], errors="coerce").to_numpy(dtype=float)
        long[column] = np.repeat(values, n_target)
    frame = pd.DataFrame(long)
    no_latency = int(np.isnan(frame["latency_ms"].to_numpy()).sum())
    if no_latency:
        frame.attrs["skipped"] = {"(architecture, target) pairs kept without latency": no_latency}
    return frame


def import_table(args: argparse.Namespace) -> pd.DataFrame:
    """Import the NB201 table named by ``args.input``."""
    return read_nb201(args.input)
