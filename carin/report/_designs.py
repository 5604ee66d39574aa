"""How every report names a design: by the key columns that vary among the designs it shows.

``carin solve``/``show`` print the key columns every plan design shares (the device,
the task, often the precision) once in a header and give the others a column of the
table. ``carin explain``, ``carin switch`` and the nearest misses of an infeasible solve
name designs the same way: a label is the values of the columns that vary over a
reference set of designs (the plan's, or the misses'), plus any column on which a
design outside that set differs from what the set shares. So ``d4`` reads
``regnet w8a8 cpu onnx`` in each of them, and a design the plan does not hold is named
by what sets it apart.

A design here is the plan's form (``{"parts": [{"task", "processor", "config"}]}``);
:func:`space_designs` builds it for rows of a design space. Nothing here imports the
numeric stack, so ``carin switch`` stays light.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from carin.space import DesignSpace

#: Key columns named first, in this order; the others follow by name.
FIRST = ("model", "precision", "processor")

Designs = list[dict[str, Any]]
KeyColumns = tuple[dict[str, list[str]], dict[str, dict[str, str]]]


def _values(part: dict[str, Any]) -> dict[str, str]:
    """A part's key columns as text (empty and missing values left out)."""
    values = {**(part.get("config") or {}), "processor": part.get("processor")}
    out = {}
    for k, v in values.items():
        if v is None or v == "" or (isinstance(v, float) and math.isnan(v)):
            continue
        out[k] = str(v)
    return out


def _threads(value: str) -> str:
    return f"{value} thread" if value == "1" else f"{value} threads"


def _order(columns: Any) -> list[str]:
    return [k for k in FIRST if k in columns] + sorted(k for k in columns if k not in FIRST)


def key_columns(designs: Designs) -> KeyColumns:
    """Per task: the key columns that vary over ``designs``, and those with one value.

    A column missing from some designs counts as varying. When nothing varies in a
    task the model is named anyway (a design is never nameless).

    Returns:
        ``(varying, constant)``: task -> column names, and task -> column -> value.
    """
    seen: dict[str, dict[str, list[str]]] = {}
    for d in designs:
        for p in d["parts"]:
            task = seen.setdefault(p.get("task", "main"), {})
            for k, v in _values(p).items():
                task.setdefault(k, []).append(v)
    varying: dict[str, list[str]] = {}
    constant: dict[str, dict[str, str]] = {}
    for task, cols in seen.items():
        order = _order(cols)
        n = max(len(v) for v in cols.values())
        varying[task] = [k for k in order if len(set(cols[k])) > 1 or len(cols[k]) < n]
        if not varying[task] and "model" in cols:
            varying[task] = ["model"]  # a set with no varying key still names the model
        constant[task] = {k: cols[k][0] for k in order if k not in varying[task]}
    return varying, constant


def shared_bits(constant: dict[str, dict[str, str]], sep: str = ": ") -> list[str]:
    """Header items for the columns every design shares: ``device: X``, then per task.

    A column shared by every task is said once (``processor: npu``, or ``processor npu``
    with ``sep=" "``); a task's own shared columns follow as
    ``detect: precision w8a16, runtime qnn_dlc``.
    """
    tasks = list(constant)
    if not tasks:
        return []
    shared = {
        k: v for k, v in constant[tasks[0]].items() if all(constant[t].get(k) == v for t in tasks)
    }
    bits = [f"{k}{sep}{v}" for k, v in shared.items()]
    if len(tasks) > 1:
        for t in tasks:
            own = [f"{k} {v}" for k, v in constant[t].items() if k not in shared]
            if own:
                bits.append(f"{t}: {', '.join(own)}")
    return bits


def design_label(design: dict[str, Any], columns: KeyColumns) -> str:
    """A design named by the columns of ``columns`` that vary, and where it differs.

    Args:
        design: A design in the plan's form.
        columns: :func:`key_columns` of the reference set (which need not hold ``design``).

    Returns:
        ``regnet w8a8 cpu onnx``; multi-DNN parts as ``detect: yolov6 | segment: ffnet_40s``.
    """
    varying, constant = columns
    parts = design["parts"]
    single = len(parts) == 1 and parts[0].get("task", "main") == "main"
    texts = []
    for p in parts:
        values = _values(p)
        task = p.get("task", "main")
        vary = varying.get(task)
        same = constant.get(task, {})
        bits = []
        for k in _order(values):
            if (
                vary is None
                or k in vary
                or (k in same and same[k] != values[k])
                or (k not in same and k not in vary)
            ):
                bits.append(_threads(values[k]) if k == "threads" else values[k])
        text = " ".join(bits)
        texts.append(text if single else f"{task}: {text}")
    return " | ".join(texts)


def band_text(design: dict[str, Any]) -> str:
    """A plan design's power band as ``carin show`` prints it: ``1-3``, ``>=3``, ``overall``."""
    band = design.get("power_band_mw")
    if band is None:
        return "overall"
    lo, hi = band
    return f"{lo:g}-{hi:g}" if hi is not None else f">={lo:g}"


def plan_labels(plan: dict[str, Any]) -> dict[str, str]:
    """Label of every plan design by id: the cells of its row in ``carin show``.

    On power-banded plans the band follows: ``lenet5 (1-3 mW)``, ``lenet5 (overall)``.
    """
    columns = key_columns(plan["designs"])
    banded = any(d.get("power_band_mw") is not None for d in plan["designs"])
    out = {}
    for d in plan["designs"]:
        label = design_label(d, columns)
        if banded:
            band = band_text(d)
            label += f" ({band}{'' if band == 'overall' else ' mW'})"
        out[d["id"]] = label
    return out


def space_designs(space: DesignSpace, index: np.ndarray) -> Designs:
    """Designs ``index`` (``(n, k)`` row positions) of ``space`` in the plan's form."""
    from carin.plan import _config

    out = []
    for row in index.tolist():
        parts = [
            {
                "task": task.name,
                "processor": str(task.processor[r]),
                "config": _config(space, t, r),
            }
            for t, (task, r) in enumerate(zip(space.tasks, row, strict=True))
        ]
        out.append({"parts": parts})
    return out
