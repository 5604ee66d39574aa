"""Pareto-front plots: a static PNG (matplotlib, Agg) or an interactive HTML page (plotly).

A plot shows every configuration of the design space as a point: the Pareto
set highlighted and connected, feasible but dominated designs faded, infeasible
designs in grey; colour says the processor and the marker the precision. The
spec's constraint bounds are dashed lines, anticipated budgets dotted lines, and
the plan's primary design and the design of each anticipated condition carry a
label. Fronts of three or more objectives become a grid of objective pairs.
Multi-DNN specs get the app-level front plus one panel per task.

Large spaces are thinned deterministically (fixed seed): spaces of up to
:data:`ENUMERATE_LIMIT` designs are enumerated in full to find every feasible
design; when more than :data:`MAX_POINTS` designs exist, up to half that many
feasible designs and a uniform sample of the infeasible ones are drawn. Spaces
larger than :data:`ENUMERATE_LIMIT` (multi-DNN products) are drawn from a
uniform sample of designs, and the task panels then grey out only rows that
break their own task's limits. The Pareto set and the plan's designs are always
drawn.

Example:
    >>> import tempfile, pathlib
    >>> import carin
    >>> result = carin.solve("spaces/local-litert.yaml")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "front.png"
    >>> fig = result.plot(out)
    >>> out.read_bytes()[:4] == b"\\x89PNG"
    True
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carin.errors import CarinError
from carin.profiles import KEY_COLUMNS
from carin.report._format import base_metric, fmt, with_unit
from carin.spec import Metric
from carin.spec._model import DEFAULT_AGGREGATE

if TYPE_CHECKING:
    from carin.result import Result
    from carin.space import DesignSpace

__all__ = [
    "ENUMERATE_LIMIT",
    "MAX_POINTS",
    "Cloud",
    "FrontData",
    "design_cloud",
    "front_data",
    "load_front_data",
    "plot_front",
    "plot_result",
    "render_html",
    "render_png",
]

#: Spaces up to this many designs are enumerated in full to find the feasible ones.
ENUMERATE_LIMIT = 2_000_000
#: At most this many designs (plus the Pareto set and plan designs) are drawn.
MAX_POINTS = 20_000
_CHUNK = 250_000
_LABEL_RE = re.compile(r"^\s*(sum|max|min|mean)\s*\(\s*([A-Za-z_]\w*)\s*\)\s*$")

_PROC_COLOURS = {
    "cpu": "#1f77b4",
    "gpu": "#2ca02c",
    "npu": "#d62728",
    "dsp": "#9467bd",
    "asic": "#8c564b",
    "fpga": "#e377c2",
}
_EXTRA_COLOURS = ["#ff7f0e", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939"]
_MPL_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p"]
_PLOTLY_MARKERS = [
    "circle",
    "square",
    "triangle-up",
    "diamond",
    "triangle-down",
    "cross",
    "x",
    "star",
    "hexagon",
    "triangle-left",
    "triangle-right",
    "pentagon",
]
_GREY = "#bdbdbd"
_BOUND = "#d62728"


# -- what to draw -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FrontData:
    """What a plot or an explanation needs: a space, its Pareto set and the plan.

    Attributes:
        space: The compiled design space.
        pareto: ``(p, k)`` row positions of the Pareto designs, best-ranked first.
        plan: The ``carin-plan/1`` dict (None when unknown).
        plan_index: Plan design id -> ``(k,)`` row positions.
        source: Where it came from (a result folder or the spec's name).
    """

    space: DesignSpace
    pareto: np.ndarray
    plan: dict[str, Any] | None
    plan_index: dict[str, np.ndarray]
    source: str


def front_data(result: Result) -> FrontData:
    """The plot data of a fresh :class:`~carin.result.Result`."""
    plan_index = {f"d{i}": np.asarray(result.designs[i]) for i in range(len(result.designs))}
    return FrontData(
        space=result.space,
        pareto=np.asarray(result.front.index, dtype=np.int64),
        plan=result.plan,
        plan_index=plan_index,
        source=result.spec.name,
    )


def load_front_data(result_dir: str | Path) -> FrontData:
    """Re-open a ``carin solve`` output folder with the spec recorded in its summary.

    The spec is compiled again so that every configuration (not only the Pareto
    set) can be drawn; the Pareto set and plan are the saved ones.

    Raises:
        CarinError: The folder is not a feasible solve's output, the spec is gone,
            or the profiles changed since the solve.
    """
    from carin.result import load_result_dir
    from carin.space import compile_space
    from carin.spec import load_spec

    folder = Path(result_dir)
    saved = load_result_dir(folder)
    summary = saved["summary.json"]
    if not summary.get("feasible", True):
        raise CarinError(
            f"{folder}: the solve found no feasible design, so there is no front to plot; "
            f"run 'carin explain {folder}' to see which limits to relax"
        )
    space = compile_space(load_spec(recorded_spec(folder, summary)))
    frame = saved.get("pareto.csv")
    if frame is None:
        raise CarinError(f"{folder}: no pareto.csv; re-run 'carin solve'")
    pareto = _rows_to_positions(space, frame, folder / "pareto.csv")
    plan = saved.get("plan.json")
    plan_index = _plan_positions(space, plan, folder / "plan.json") if plan else {}
    return FrontData(space, pareto, plan, plan_index, str(folder))


def recorded_spec(folder: Path, summary: dict[str, Any]) -> Path:
    """The spec file a result folder's ``summary.json`` names, checked to exist."""
    spec = summary.get("spec")
    if not spec:
        raise CarinError(
            f"{folder}/summary.json: no 'spec' path recorded (the spec was built in code); "
            "plot or explain it from Python with carin.solve(spec)"
        )
    path = Path(spec)
    if not path.exists() and not path.is_absolute():
        # 'carin solve' records the path as typed; the default --out is out/<name>, so
        # the folder it ran in is usually two levels above the result folder
        candidate = folder.resolve().parent.parent / path
        if candidate.exists():
            return candidate
    if not path.exists():
        raise CarinError(
            f"{folder}/summary.json: spec: {spec} does not exist (relative paths are read from "
            "the current folder); run this from the folder 'carin solve' ran in"
        )
    return path


def _rows_to_positions(space: DesignSpace, frame: pd.DataFrame, where: Path) -> np.ndarray:
    cols = ["row"] if space.single else [f"{t.name}.row" for t in space.tasks]
    out = np.empty((len(frame), len(space.tasks)), dtype=np.int64)
    for t, (task, col) in enumerate(zip(space.tasks, cols, strict=True)):
        if col not in frame.columns:
            raise CarinError(f"{where}: column '{col}' is missing; re-run 'carin solve'")
        pos = pd.Index(task.frame["_row"]).get_indexer(frame[col].to_numpy())
        if (pos < 0).any():
            raise CarinError(
                f"{where}: rows {frame[col][pos < 0].tolist()[:5]} are not in the spec's "
                "profile table any more; re-run 'carin solve'"
            )
        out[:, t] = pos
    if len(out):
        ev = space.evaluate(out)
        for j, label in enumerate(space.objective_labels()):
            if label in frame.columns and not np.allclose(
                ev.objectives[:, j], frame[label].to_numpy(float), rtol=1e-4, equal_nan=True
            ):
                raise CarinError(
                    f"{where}: column '{label}' no longer matches the profile table "
                    f"{space.table.source}; re-run 'carin solve'"
                )
    return out


def _key_text(values: list[Any]) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]


def _row_band(lo: float, hi: float) -> tuple[float, float | None] | None:
    """A row's power band as a plan writes it (None: an overall row)."""
    from carin.plan import round_sig

    if not (np.isfinite(lo) or np.isfinite(hi)):
        return None
    return (
        round_sig(lo) if np.isfinite(lo) else 0.0,
        round_sig(hi) if np.isfinite(hi) else None,
    )


def _plan_positions(space: DesignSpace, plan: dict[str, Any], where: Path) -> dict[str, np.ndarray]:
    from carin.space import POWER_HI, POWER_LO

    lookups = []
    columns = []
    bands = []
    for task in space.tasks:
        cols = [c for c in KEY_COLUMNS if c in task.frame.columns]
        texts = [
            task.processor.tolist()
            if c == "processor"
            else _key_text(task.frame[c].astype(object).tolist())
            for c in cols
        ]
        lookup: dict[tuple[str, ...], list[int]] = {}
        for i, key in enumerate(zip(*texts, strict=True)):
            lookup.setdefault(key, []).append(i)
        lookups.append(lookup)
        columns.append(cols)
        lo, hi = task.values(POWER_LO), task.values(POWER_HI)
        bands.append([_row_band(a, b) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])
    out: dict[str, np.ndarray] = {}
    for design in plan.get("designs", []):
        band = design.get("power_band_mw")
        band = tuple(band) if band is not None else None
        pos = []
        for t, part in enumerate(design["parts"]):
            cfg = part.get("config", {})
            key = tuple(
                str(part["processor"]) if c == "processor" else _key_text([cfg.get(c, "")])[0]
                for c in columns[t]
            )
            if key not in lookups[t]:
                raise CarinError(
                    f"{where}: design {design['id']} ({', '.join(key)}) is not in the spec's "
                    "profile table any more; re-run 'carin solve'"
                )
            rows = lookups[t][key]
            # rows that differ only in their power band: the one of the design's band
            same = [r for r in rows if bands[t][r] == band]
            pos.append((same or rows)[0])
        out[design["id"]] = np.array(pos, dtype=np.int64)
    return out


@dataclass(frozen=True, eq=False)
class Cloud:
    """The designs a plot draws.

    Attributes:
        index: ``(n, k)`` row positions.
        feasible: ``(n,)`` whether each design meets every constraint.
        pareto: ``(n,)`` whether each design is in the Pareto set.
        total: Designs in the space.
        feasible_total: Feasible designs in the space (None when not enumerated).
        sampled: Whether ``index`` is a sample rather than the whole space.
        usable: Per task, whether each row is part of some feasible design (None
            when the space was too large to enumerate).
    """

    index: np.ndarray
    feasible: np.ndarray
    pareto: np.ndarray
    total: int
    feasible_total: int | None
    sampled: bool
    usable: list[np.ndarray] | None


def design_cloud(data: FrontData, *, max_points: int = MAX_POINTS, seed: int = 0) -> Cloud:
    """Pick the designs to draw (see the module docstring for the sampling rule)."""
    space = data.space
    shape = tuple(len(t) for t in space.tasks)
    total = space.raw_size
    must = np.concatenate(
        [data.pareto.reshape(-1, len(shape))] + [p.reshape(1, -1) for p in data.plan_index.values()]
    ).astype(np.int64)
    rng = np.random.default_rng(seed)
    usable: list[np.ndarray] | None = None
    feasible_total: int | None = None
    if total <= ENUMERATE_LIMIT:
        found = []
        for start in range(0, total, _CHUNK):
            ids = np.arange(start, min(total, start + _CHUNK), dtype=np.int64)
            idx = np.stack(np.unravel_index(ids, shape), axis=1)
            found.append(ids[space.evaluate(idx).feasible])
        feasible_ids = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        feasible_total = len(feasible_ids)
        parts = np.unravel_index(feasible_ids, shape)
        usable = []
        for t, n in enumerate(shape):
            mask = np.zeros(n, dtype=bool)
            mask[parts[t]] = True
            usable.append(mask)
        if total <= max_points:
            chosen = np.arange(total, dtype=np.int64)
            sampled = False
        else:
            half = max_points // 2
            if len(feasible_ids) > half:
                feasible_ids = np.sort(rng.choice(feasible_ids, half, replace=False))
            mask = np.ones(total, dtype=bool)
            mask[feasible_ids] = False
            infeasible_ids = np.flatnonzero(mask)
            budget = max(0, max_points - len(feasible_ids))
            if len(infeasible_ids) > budget:
                infeasible_ids = rng.choice(infeasible_ids, budget, replace=False)
            chosen = np.concatenate([feasible_ids, infeasible_ids])
            sampled = True
        if len(must):
            chosen = np.concatenate([chosen, np.ravel_multi_index(must.T, shape)])
        chosen = np.unique(chosen)
        index = np.stack(np.unravel_index(chosen, shape), axis=1).astype(np.int64)
    else:
        draws = np.stack([rng.integers(0, n, size=max_points) for n in shape], axis=1)
        index = np.unique(np.concatenate([draws, must]), axis=0)
        sampled = True
    ev = space.evaluate(index)
    in_front = {tuple(r) for r in data.pareto.tolist()}
    pareto = np.fromiter((tuple(r) in in_front for r in index.tolist()), bool, len(index))
    return Cloud(index, ev.feasible, pareto, total, feasible_total, sampled, usable)


# -- metrics on the axes --------------------------------------------------------------


def _target(space: DesignSpace, label: str) -> Metric:
    known = [o.target for o in space.objectives] + [c.target for c in space.constraints]
    for m in known:
        if m.label(space.single) == label:
            return m
    m = _LABEL_RE.match(label)
    metric = m.group(2) if m else label.strip()
    if metric not in space.table.metric_columns:
        choices = ", ".join(sorted(space.table.metric_columns))
        raise CarinError(
            f"axis metric {label!r}: the profile table has no such metric; choose one of: {choices}"
        )
    if m:
        if space.single:
            return Metric(metric, "max")
        return Metric(metric, m.group(1))
    for t in known:
        if t.metric == metric:
            return t
    return Metric(
        metric, "max" if space.single else DEFAULT_AGGREGATE.get(metric.split("_")[0], "sum")
    )


def axis_label(space: DesignSpace, label: str) -> str:
    """The label a user's axis metric stands for (``latency_ms`` -> ``max(latency_ms)``)."""
    return _target(space, label).label(space.single)


def metric_values(space: DesignSpace, index: np.ndarray, label: str) -> np.ndarray:
    """App-level values of a metric label for designs ``index`` (nominal conditions)."""
    target = _target(space, label)
    return space.aggregate(target, index, space.part_latency(index))


def default_axes(space: DesignSpace, x: str | None, y: str | None) -> list[tuple[str, str]]:
    """The (x, y) metric pairs to draw: one pair, or every objective pair for 3+ objectives."""
    labels = space.objective_labels()
    objectives = list(space.objectives)
    if x is not None and y is not None:
        return [(axis_label(space, x), axis_label(space, y))]
    if x is None and y is None and len(labels) >= 3:
        return [
            (labels[j], labels[i]) for i in range(len(labels)) for j in range(i + 1, len(labels))
        ]
    if len(labels) == 1:
        other = space.latency_target.label(space.single)
        if other == labels[0]:
            other = space.memory_target.label(space.single)
        fx, fy = other, labels[0]
    else:
        mins = [o for o in objectives[:2] if not o.maximise]
        first_min = mins[0] if len(mins) == 1 else objectives[1]
        fx = first_min.target.label(space.single)
        fy = next(lab for lab in labels[:2] if lab != fx)
    if x is not None:
        fx = axis_label(space, x)
        fy = next((lab for lab in labels if lab != fx), fy)
    if y is not None:
        fy = axis_label(space, y)
        fx = next((lab for lab in [fx, *labels] if lab != fy), fx)
    if fx == fy:
        raise CarinError(f"x and y are both {fx!r}; give two different metrics")
    return [(fx, fy)]


# -- shared pieces of both renderers ------------------------------------------------------


def _colours(names: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    extra = iter(_EXTRA_COLOURS * 10)
    for name in names:
        out[name] = _PROC_COLOURS.get(name, None) or next(extra)
    return out


def _design_processors(space: DesignSpace, index: np.ndarray) -> np.ndarray:
    procs = np.stack([t.processor[index[:, i]] for i, t in enumerate(space.tasks)], axis=1)
    if procs.shape[1] == 1:
        return procs[:, 0].astype(str)
    return np.array(["+".join(sorted(set(r))) for r in procs.tolist()], dtype=str)


def _precisions(space: DesignSpace, t: int, rows: np.ndarray) -> np.ndarray:
    frame = space.tasks[t].frame
    if "precision" not in frame.columns:
        return np.full(len(rows), "", dtype=str)
    return frame["precision"].astype(str).to_numpy()[rows].astype(str)


def _condition_short(when: dict[str, Any]) -> str:
    bits = []
    for key, value in when.items():
        if key == "unavailable":
            bits.append("no " + "+".join(value))
        elif key == "memory_budget_mb":
            bits.append(f"mem<={value:g}MB")
        elif key == "latency_budget_ms":
            bits.append(f"lat<={value:g}ms")
        elif key == "power_mw":
            bits.append(f"power {value:g}mW")
        elif key == "slowdown":
            bits.append(" ".join(f"{p} x{f:g} slower" for p, f in value.items()))
        else:
            bits.append(f"{key}={value}")
    return ", ".join(bits)


def design_labels(plan: dict[str, Any] | None) -> dict[str, str]:
    """Label text for the primary design and each design an anticipated condition picks."""
    if not plan:
        return {}
    conds: dict[str, list[str]] = {}
    for entry in plan.get("conditions", []):
        if entry.get("design"):
            conds.setdefault(entry["design"], []).append(_condition_short(entry["when"]))
    out: dict[str, str] = {}
    ids = ([plan["primary"]] if plan.get("primary") else []) + sorted(
        conds, key=lambda d: int(d[1:]) if d[1:].isdigit() else 0
    )
    for did in dict.fromkeys(ids):
        items = conds.get(did, [])
        if did == plan.get("primary"):
            head = f"{did} primary"
            if items:
                head += f" (+{len(items)} condition{'s' if len(items) > 1 else ''})"
        else:
            more = f" (+{len(items) - 1} more)" if len(items) > 1 else ""
            head = f"{did}: {items[0]}{more}"
        out[did] = head
    return out


def _bounds(
    space: DesignSpace, label: str, task: int | None = None
) -> list[tuple[float, str, bool]]:
    """(value, text, is_constraint) of limits on a metric: constraints, then anticipated budgets."""
    out: list[tuple[float, str, bool]] = []
    if task is None:
        for c in space.constraints:
            if c.target.label(space.single) == label:
                out.append((c.value, f"{c.op} {c.value:g}", True))
        ant = space.spec.anticipate
        if label == space.latency_target.label(space.single):
            out += [(v, f"budget {v:g}", False) for v in ant.latency_budget_ms]
        if label == space.memory_target.label(space.single):
            out += [(v, f"budget {v:g}", False) for v in ant.memory_budget_mb]
    else:
        for c in space.tasks[task].constraints:
            if c.target.metric == base_metric(label):
                out.append((c.value, f"{c.op} {c.value:g}", True))
    return out


def _log_scale(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return bool(len(v) and (v > 0).all() and v.max() / v.min() > 50)


def _view(
    values: np.ndarray, focus: np.ndarray, marks: list[float], zoom: bool
) -> tuple[str, tuple[float, float] | None]:
    """Scale (``linear``/``log``) and limits of one axis.

    With ``zoom``, an axis whose feasible points and limit lines (``focus``,
    ``marks``) span under 40 % of all points' range is narrowed to them plus a
    margin, so that a few far outliers do not squeeze the front into a corner.
    """
    v = values[np.isfinite(values)]
    if not len(v):
        return "linear", None
    log = _log_scale(v)
    f = np.concatenate([values[focus & np.isfinite(values)], np.asarray(marks, dtype=float)])
    if log:
        f = f[f > 0]
    if not zoom or not len(f):
        return ("log" if log else "linear"), None
    t = np.log10 if log else (lambda a: a)
    lo_all, hi_all = float(t(v.min())), float(t(v.max()))
    lo_f, hi_f = float(t(f.min())), float(t(f.max()))
    span_all, span_f = hi_all - lo_all, hi_f - lo_f
    if span_all <= 0 or span_f >= 0.4 * span_all:
        return ("log" if log else "linear"), None
    margin = max(0.6 * span_f, 0.04 * span_all)
    lo, hi = max(lo_all, lo_f - margin), min(hi_all, hi_f + margin)
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    if log:
        lo, hi = 10.0**lo, 10.0**hi
        if hi / lo < 50:
            log = False
    return ("log" if log else "linear"), (lo, hi)


def _hover_parts(space: DesignSpace, index: np.ndarray) -> list[str]:
    """Whole configuration per design as HTML text (keys and every metric of each part)."""
    lines: list[np.ndarray] = []
    metric_cols = [c for c in space.table.metric_columns]
    for t, task in enumerate(space.tasks):
        sub = task.frame.iloc[index[:, t]]
        keys = [c for c in KEY_COLUMNS if c in sub.columns]
        text = pd.Series([""] * len(sub), dtype=object)
        prefix = "" if space.single else f"<b>{task.name}</b>: "
        for c in keys:
            col = sub[c].astype(str).to_numpy()
            text = text + np.where(col == "", "", f"{c}=" + col + " ")
        text = prefix + text
        for m in metric_cols:
            if m not in sub.columns:
                continue
            vals = sub[m].to_numpy(dtype=float)
            shown = np.array([fmt(v) for v in vals], dtype=object)
            text = text + np.where(np.isfinite(vals), f"<br>  {m}=" + shown, "")
        lines.append(text.to_numpy(dtype=object))
    return ["<br>".join(parts) for parts in zip(*lines, strict=True)]


@dataclass(frozen=True)
class _Panel:
    title: str
    x: str
    y: str
    task: int | None  # None = app level


def _panels(data: FrontData, x: str | None, y: str | None) -> list[_Panel]:
    space = data.space
    pairs = default_axes(space, x, y)
    app = "app-level front" if not space.single else "front"
    panels = [_Panel(f"{app}: {py} vs {px}", px, py, None) for px, py in pairs]
    if not space.single:
        px, py = base_metric(pairs[0][0]), base_metric(pairs[0][1])
        for t, task in enumerate(space.tasks):
            panels.append(_Panel(f"task {task.name}: {len(task)} configurations", px, py, t))
    return panels


@dataclass(frozen=True, eq=False)
class _Points:
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray  # "pareto" | "dominated" | "infeasible"
    proc: np.ndarray
    prec: np.ndarray
    rows: np.ndarray  # (n, k) positions (app) or (n, 1) rows (task)
    labels: dict[int, str]  # point position -> design label


def _app_points(data: FrontData, cloud: Cloud, panel: _Panel) -> _Points:
    space = data.space
    idx = cloud.index
    kind = np.where(cloud.pareto, "pareto", np.where(cloud.feasible, "dominated", "infeasible"))
    proc = _design_processors(space, idx)
    prec = _precisions(space, 0, idx[:, 0]) if space.single else np.full(len(idx), "", dtype=str)
    where = {tuple(r): i for i, r in enumerate(idx.tolist())}
    labels = {}
    for did, text in design_labels(data.plan).items():
        pos = where.get(tuple(data.plan_index[did].tolist())) if did in data.plan_index else None
        if pos is not None:
            labels[pos] = text
    return _Points(
        metric_values(space, idx, panel.x),
        metric_values(space, idx, panel.y),
        kind.astype(str),
        proc,
        prec,
        idx,
        labels,
    )


def _task_points(data: FrontData, cloud: Cloud, panel: _Panel) -> _Points:
    space = data.space
    t = panel.task
    assert t is not None
    task = space.tasks[t]
    rows = np.arange(len(task))
    in_front = np.zeros(len(task), dtype=bool)
    in_front[data.pareto[:, t]] = True
    if cloud.usable is not None:
        ok = cloud.usable[t]
    else:
        ok = np.ones(len(task), dtype=bool)
        for c in task.constraints:
            v = task.values(c.target.metric)
            with np.errstate(invalid="ignore"):
                ok &= v <= c.value if c.op == "<=" else v >= c.value
    kind = np.where(in_front, "pareto", np.where(ok, "dominated", "infeasible"))
    labels: dict[int, str] = {}
    for did in design_labels(data.plan):
        if did in data.plan_index:
            r = int(data.plan_index[did][t])
            labels[r] = labels[r] + ", " + did if r in labels else did
    return _Points(
        task.values(panel.x),
        task.values(panel.y),
        kind.astype(str),
        task.processor.astype(str),
        _precisions(space, t, rows),
        rows[:, None],
        labels,
    )


def _points(data: FrontData, cloud: Cloud, panel: _Panel) -> _Points:
    return (
        _app_points(data, cloud, panel) if panel.task is None else _task_points(data, cloud, panel)
    )


def _suptitle(data: FrontData, cloud: Cloud, zoomed: bool = False) -> str:
    space = data.space
    feas = f"{cloud.feasible_total:,} feasible of " if cloud.feasible_total is not None else ""
    text = f"{space.spec.name}: {len(data.pareto)} Pareto designs, {feas}{cloud.total:,} designs"
    if cloud.sampled:
        text += f" (showing a sample of {len(cloud.index):,})"
    if zoomed:
        text += "; zoomed to the feasible region"
    return text


def _front_order(p: _Points, mask: np.ndarray) -> np.ndarray:
    pos = np.flatnonzero(mask & np.isfinite(p.x) & np.isfinite(p.y))
    return pos[np.lexsort((p.y[pos], p.x[pos]))]


# -- matplotlib ----------------------------------------------------------------------


def render_png(
    data: FrontData,
    *,
    x: str | None = None,
    y: str | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    zoom: bool = True,
) -> Any:
    """Draw the front with matplotlib (Agg, no display needed).

    Returns:
        A ``matplotlib.figure.Figure`` (shown inline by notebooks).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    space = data.space
    panels = _panels(data, x, y)
    cloud = design_cloud(data, max_points=max_points, seed=seed)
    ncols = min(len(panels), 2 if len(panels) == 4 else 3)
    nrows = -(-len(panels) // ncols)
    fig = Figure(figsize=(5.6 * ncols + 2.6, 4.4 * nrows), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    all_procs: list[str] = []
    all_precs: list[str] = []
    drawn = [_points(data, cloud, p) for p in panels]
    n_app = sum(p.task is None for p in panels)
    for p in drawn:
        coloured = p.kind != "infeasible"
        all_procs += [v for v in np.unique(p.proc[coloured]).tolist() if v not in all_procs]
        all_precs += [v for v in np.unique(p.prec[coloured]).tolist() if v and v not in all_precs]
    all_procs = sorted(all_procs, key=lambda s: (s not in _PROC_COLOURS, s))
    all_precs = sorted(all_precs)
    colours = _colours(all_procs)
    markers = {p: _MPL_MARKERS[i % len(_MPL_MARKERS)] for i, p in enumerate(all_precs)}
    any_bound = any_budget = False
    zoomed = False
    for ax, panel, pts in zip(axes, panels, drawn, strict=False):
        ok = np.isfinite(pts.x) & np.isfinite(pts.y)
        inf = ok & (pts.kind == "infeasible")
        ax.scatter(
            pts.x[inf],
            pts.y[inf],
            s=9,
            c=_GREY,
            alpha=0.5,
            linewidths=0,
            zorder=1,
            rasterized=inf.sum() > 2000,
        )
        for kind, size, alpha, z in (("dominated", 22, 0.35, 2), ("pareto", 56, 1.0, 4)):
            sel_kind = ok & (pts.kind == kind)
            for proc in np.unique(pts.proc[sel_kind]).tolist():
                for prec in np.unique(pts.prec[sel_kind & (pts.proc == proc)]).tolist():
                    sel = sel_kind & (pts.proc == proc) & (pts.prec == prec)
                    ax.scatter(
                        pts.x[sel],
                        pts.y[sel],
                        s=size,
                        c=colours[proc],
                        alpha=alpha,
                        marker=markers.get(prec, "o"),
                        zorder=z,
                        edgecolors="black" if kind == "pareto" else "none",
                        linewidths=0.6 if kind == "pareto" else 0,
                    )
        if panel.task is None and n_app == 1:
            order = _front_order(pts, pts.kind == "pareto")
            ax.plot(pts.x[order], pts.y[order], color="black", lw=1.1, zorder=3)
        for axis, label in (("x", panel.x), ("y", panel.y)):
            for value, text, hard in _bounds(space, label, panel.task):
                style = dict(
                    color=_BOUND if hard else "#555555", lw=1.0, ls="--" if hard else ":", zorder=2
                )
                if axis == "x":
                    ax.axvline(value, **style)
                    ax.annotate(
                        text,
                        (value, 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(2, -10),
                        textcoords="offset points",
                        fontsize=7,
                        zorder=5,
                        color=style["color"],
                    )
                else:
                    ax.axhline(value, **style)
                    ax.annotate(
                        text,
                        (1.0, value),
                        xycoords=("axes fraction", "data"),
                        xytext=(-40, 2),
                        textcoords="offset points",
                        fontsize=7,
                        zorder=5,
                        color=style["color"],
                    )
                any_bound |= hard
                any_budget |= not hard
        focus = ok & (pts.kind != "infeasible")
        for axis, values, label in (("x", pts.x, panel.x), ("y", pts.y, panel.y)):
            marks = [b[0] for b in _bounds(space, label, panel.task)]
            scale, limits = _view(values, focus, marks, zoom)
            if axis == "x":
                ax.set_xscale(scale)
                if limits:
                    ax.set_xlim(*limits)
                    zoomed = True
            else:
                ax.set_yscale(scale)
                if limits:
                    ax.set_ylim(*limits)
                    zoomed = True
        to_axes = ax.transData + ax.transAxes.inverted()
        placed = [
            (pos, text, *to_axes.transform((pts.x[pos], pts.y[pos])))
            for pos, text in sorted(pts.labels.items())
            if np.isfinite(pts.x[pos]) and np.isfinite(pts.y[pos])
        ]
        if placed:
            # labels go in a column on the emptier side, ordered like their points
            # from top to bottom so that the arrows do not cross
            right = float(np.mean([p[2] for p in placed])) < 0.5
            placed.sort(key=lambda p: (-p[3], p[0]))
            step = min(0.09, 0.8 / len(placed))
            for n, (pos, text, _fx, _fy) in enumerate(placed):
                ax.annotate(
                    text,
                    (pts.x[pos], pts.y[pos]),
                    xytext=(0.62 if right else 0.38, 0.92 - n * step),
                    textcoords="axes fraction",
                    ha="left" if right else "right",
                    va="center",
                    fontsize=7.5,
                    zorder=6,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#888888", alpha=0.9),
                    arrowprops=dict(arrowstyle="->", color="#444444", lw=0.7),
                )
        suffix = " of the part alone" if panel.task is not None else ""
        ax.set_xlabel(with_unit(panel.x) + (suffix if base_metric(panel.x) == "latency_ms" else ""))
        ax.set_ylabel(with_unit(panel.y))
        ax.set_title(panel.title, fontsize=9.5)
        ax.grid(True, which="major", alpha=0.25)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", color=colours[p], label=p) for p in all_procs]
    handles += [
        Line2D([], [], ls="", marker=markers[p], mfc="white", mec="black", label=p)
        for p in all_precs
    ]
    handles += [
        Line2D(
            [],
            [],
            ls="-" if n_app == 1 else "",
            color="black",
            marker="o",
            mfc="white",
            mec="black",
            label="Pareto front" if n_app == 1 else "Pareto set",
        ),
        Line2D([], [], ls="", marker="o", color="#777777", alpha=0.35, label="dominated"),
        Line2D([], [], ls="", marker="o", color=_GREY, label="infeasible"),
    ]
    if any_bound:
        handles.append(Line2D([], [], ls="--", color=_BOUND, label="constraint"))
    if any_budget:
        handles.append(Line2D([], [], ls=":", color="#555555", label="anticipated budget"))
    fig.legend(
        handles=handles,
        loc="center right",
        fontsize=8,
        frameon=False,
        title="processor / precision",
        title_fontsize=8,
    )
    fig.suptitle(_suptitle(data, cloud, zoomed), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 2.4 / fig.get_figwidth(), 0.96))
    return fig


# -- plotly ---------------------------------------------------------------------------


def render_html(
    data: FrontData,
    *,
    x: str | None = None,
    y: str | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    zoom: bool = True,
) -> Any:
    """Draw the front with plotly; hovering a point shows its whole configuration.

    Every trace carries ``meta`` ``{"kind": ..., "panel": ...}`` with kind one of
    ``infeasible``, ``dominated``, ``pareto``, ``front`` (the connecting line),
    ``bound`` (a limit) and ``design`` (labelled plan designs).

    Returns:
        A ``plotly.graph_objects.Figure``.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    space = data.space
    panels = _panels(data, x, y)
    cloud = design_cloud(data, max_points=max_points, seed=seed)
    ncols = min(len(panels), 2 if len(panels) == 4 else 3)
    nrows = -(-len(panels) // ncols)
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=[p.title for p in panels],
        horizontal_spacing=0.08,
        vertical_spacing=0.12,
    )
    drawn = [_points(data, cloud, p) for p in panels]
    n_app = sum(p.task is None for p in panels)
    procs = sorted(
        {v for p in drawn for v in p.proc[p.kind != "infeasible"].tolist()},
        key=lambda s: (s not in _PROC_COLOURS, s),
    )
    precs = sorted({v for p in drawn for v in p.prec[p.kind != "infeasible"].tolist() if v})
    colours = _colours(procs)
    symbols = {p: _PLOTLY_MARKERS[i % len(_PLOTLY_MARKERS)] for i, p in enumerate(precs)}
    shown: set[str] = set()
    zoomed = False
    app_hover = _hover_parts(space, cloud.index)
    for n, (panel, pts) in enumerate(zip(panels, drawn, strict=True)):
        row, col = n // ncols + 1, n % ncols + 1
        if panel.task is not None:
            pname = space.tasks[panel.task].name
        else:
            pname = "app" if n_app == 1 else f"app: {panel.y} vs {panel.x}"
        ok = np.isfinite(pts.x) & np.isfinite(pts.y)
        if panel.task is None:
            hover = np.array(app_hover, dtype=object)
        else:
            t = panel.task
            idx = np.zeros((len(pts.rows), len(space.tasks)), dtype=np.int64)
            idx[:, t] = pts.rows[:, 0]
            sub = _single_task_hover(space, t, pts.rows[:, 0])
            hover = np.array(sub, dtype=object)
        metric_text = (
            f"<br>{panel.x}="
            + np.array([fmt(v) for v in pts.x], dtype=object)
            + f"<br>{panel.y}="
            + np.array([fmt(v) for v in pts.y], dtype=object)
        )

        def add(trace: Any, legend: str | None, row: int = row, col: int = col) -> None:
            if legend is not None:
                trace.update(legendgroup=legend, showlegend=legend not in shown, name=legend)
                shown.add(legend)
            else:
                trace.update(showlegend=False)
            fig.add_trace(trace, row=row, col=col)

        sel = ok & (pts.kind == "infeasible")
        add(
            go.Scattergl(
                x=pts.x[sel].tolist(),
                y=pts.y[sel].tolist(),
                mode="markers",
                marker=dict(color=_GREY, size=5, opacity=0.5),
                text=(hover[sel] + metric_text[sel]).tolist(),
                hovertemplate="infeasible<br>%{text}<extra></extra>",
                meta={"kind": "infeasible", "panel": pname},
            ),
            "infeasible",
        )
        for kind, size, opacity in (("dominated", 7, 0.35), ("pareto", 11, 1.0)):
            sel_kind = ok & (pts.kind == kind)
            for proc in procs:
                for prec in sorted(set(pts.prec[sel_kind & (pts.proc == proc)].tolist())):
                    sel = sel_kind & (pts.proc == proc) & (pts.prec == prec)
                    name = f"{proc} {prec}".strip()
                    trace_cls = go.Scatter if kind == "pareto" else go.Scattergl
                    add(
                        trace_cls(
                            x=pts.x[sel].tolist(),
                            y=pts.y[sel].tolist(),
                            mode="markers",
                            marker=dict(
                                color=colours[proc],
                                size=size,
                                opacity=opacity,
                                symbol=symbols.get(prec, "circle"),
                                line=dict(color="black", width=1 if kind == "pareto" else 0),
                            ),
                            text=(hover[sel] + metric_text[sel]).tolist(),
                            hovertemplate=f"{kind}<br>%{{text}}<extra></extra>",
                            meta={"kind": kind, "panel": pname},
                        ),
                        (name if kind == "pareto" else f"{name} (dominated)"),
                    )
        if panel.task is None and n_app == 1:
            order = _front_order(pts, pts.kind == "pareto")
            add(
                go.Scatter(
                    x=pts.x[order].tolist(),
                    y=pts.y[order].tolist(),
                    mode="lines",
                    line=dict(color="black", width=1.2),
                    hoverinfo="skip",
                    meta={"kind": "front", "panel": pname},
                ),
                "Pareto front",
            )
        finite_x, finite_y = pts.x[ok], pts.y[ok]
        for axis, label in (("x", panel.x), ("y", panel.y)):
            for value, text, hard in _bounds(space, label, panel.task):
                other = finite_y if axis == "x" else finite_x
                lo, hi = (float(other.min()), float(other.max())) if len(other) else (0.0, 1.0)
                xs, ys = ([value, value], [lo, hi]) if axis == "x" else ([lo, hi], [value, value])
                add(
                    go.Scatter(
                        x=xs,
                        y=ys,
                        mode="lines",
                        line=dict(
                            color=_BOUND if hard else "#555555",
                            width=1,
                            dash="dash" if hard else "dot",
                        ),
                        name=f"{label} {text}",
                        hovertemplate=f"{label} {text}<extra></extra>",
                        meta={"kind": "bound", "panel": pname},
                    ),
                    "constraint" if hard else "anticipated budget",
                )
        if pts.labels:
            pos = np.array(sorted(pts.labels), dtype=np.int64)
            pos = pos[ok[pos]]
            add(
                go.Scatter(
                    x=pts.x[pos].tolist(),
                    y=pts.y[pos].tolist(),
                    mode="markers+text",
                    marker=dict(symbol="star-open", size=16, color="black"),
                    text=[pts.labels[int(i)] for i in pos],
                    textposition="top right",
                    textfont=dict(size=10),
                    hovertext=(hover[pos] + metric_text[pos]).tolist(),
                    hovertemplate="%{text}<br>%{hovertext}<extra></extra>",
                    meta={"kind": "design", "panel": pname},
                ),
                "plan designs",
            )
        focus = ok & (pts.kind != "infeasible")
        for axis, values, label in (("x", pts.x, panel.x), ("y", pts.y, panel.y)):
            marks = [b[0] for b in _bounds(space, label, panel.task)]
            scale, limits = _view(values, focus, marks, zoom)
            options: dict[str, Any] = {"title_text": with_unit(label), "type": scale}
            if limits:
                lo, hi = limits
                options["range"] = [np.log10(lo), np.log10(hi)] if scale == "log" else [lo, hi]
                zoomed = True
            update = fig.update_xaxes if axis == "x" else fig.update_yaxes
            update(row=row, col=col, **options)
    fig.update_layout(
        title=_suptitle(data, cloud, zoomed),
        template="plotly_white",
        width=560 * ncols + 260,
        height=460 * nrows + 80,
        legend=dict(title="processor / precision", font=dict(size=10)),
        hoverlabel=dict(align="left"),
    )
    return fig


def _single_task_hover(space: DesignSpace, t: int, rows: np.ndarray) -> list[str]:
    task = space.tasks[t]
    sub = task.frame.iloc[rows]
    keys = [c for c in KEY_COLUMNS if c in sub.columns]
    text = pd.Series([f"<b>{task.name}</b>: "] * len(sub), dtype=object)
    for c in keys:
        col = sub[c].astype(str).to_numpy()
        text = text + np.where(col == "", "", f"{c}=" + col + " ")
    for m in space.table.metric_columns:
        if m in sub.columns:
            vals = sub[m].to_numpy(dtype=float)
            shown = np.array([fmt(v) for v in vals], dtype=object)
            text = text + np.where(np.isfinite(vals), f"<br>  {m}=" + shown, "")
    return text.tolist()


# -- writing ---------------------------------------------------------------------------


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _kind_of(out: Path | None, kind: str | None) -> str:
    if kind is not None:
        if kind not in ("png", "html"):
            raise CarinError(f"plot kind {kind!r}: allowed: png, html")
        return kind
    if out is None:
        return "png"
    suffix = out.suffix.lower()
    if suffix in (".png",):
        return "png"
    if suffix in (".html", ".htm"):
        return "html"
    raise CarinError(f"{out}: unknown plot file type {suffix or '(none)'}; use .png or .html")


def plot_front(
    data: FrontData,
    out: str | Path | None = None,
    *,
    x: str | None = None,
    y: str | None = None,
    kind: str | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    zoom: bool = True,
) -> Any:
    """Draw a front and optionally write it (``.png`` or ``.html``, chosen by suffix).

    Args:
        data: What to draw (:func:`front_data` or :func:`load_front_data`).
        out: File to write; the HTML embeds plotly.js, so it works offline.
        x: Metric on the x axis (an objective, constraint or any profile metric).
        y: Metric on the y axis.
        kind: ``png`` (matplotlib) or ``html`` (plotly); default from ``out``'s suffix.
        max_points: At most this many designs besides the Pareto set and the plan.
        seed: Seed of the deterministic thinning of large spaces.
        zoom: Narrow an axis to the feasible designs and limits (plus a margin) when
            far outliers would squeeze them into a corner; False shows every point.

    Returns:
        The matplotlib or plotly figure.
    """
    path = Path(out) if out is not None else None
    which = _kind_of(path, kind)
    if which == "png":
        fig = render_png(data, x=x, y=y, max_points=max_points, seed=seed, zoom=zoom)
        if path is not None:
            _atomic_write(
                path,
                lambda tmp: fig.savefig(tmp, format="png", dpi=110, metadata={"Software": None}),
            )
        return fig
    fig = render_html(data, x=x, y=y, max_points=max_points, seed=seed, zoom=zoom)
    if path is not None:
        html = fig.to_html(include_plotlyjs=True, full_html=True, div_id="carin-front")
        _atomic_write(path, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))
    return fig


def plot_result(result: Result, out: str | Path | None = None, **kwargs: Any) -> Any:
    """Draw a fresh result's front (see :func:`plot_front` for the keywords)."""
    return plot_front(front_data(result), out, **kwargs)


def html_traces(path: str | Path) -> list[dict[str, Any]]:
    """The traces of an HTML plot written by :func:`plot_front` (for checks and tests)."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.find("Plotly.newPlot(")
    if start < 0:
        raise CarinError(f"{path}: not a carin plot (no Plotly.newPlot call)")
    start = text.find("[", start)
    traces, _ = json.JSONDecoder().raw_decode(text, start)
    return traces
