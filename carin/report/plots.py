"""Pareto-front plots: static (matplotlib: PNG, SVG, PDF) or interactive HTML (plotly).

A plot shows every configuration of the design space as a point: the Pareto
set highlighted, feasible but dominated designs faded, infeasible designs in
grey. Colour and marker shape show the decisions that vary among the feasible
designs, in the order processor, precision, runtime, threads, CM plan, variant
(so a CPU-only fp32 space is coloured by threads or CM plan; what is the same
in every design is listed in the legend). With two objectives on the axes the
front is drawn as the staircase that bounds what it dominates, in objective
order. Constraint bounds are dashed lines with the excluded side shaded,
anticipated budgets dotted lines; the plan's primary design and the design of
each anticipated condition carry a label. Labels are placed so that no two
overlap (see :mod:`carin.report._labels`). Fronts of three or more objectives
become a grid of objective pairs (row: y objective, column: x objective).
Multi-DNN specs get the app-level front plus one panel per task. A result with
no feasible design is drawn too: every design, coloured, the limits that
exclude them, and its nearest misses labelled.

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
from carin.report._format import condition_text, fmt, unit_of
from carin.report._html import FORMS
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
    "HTML_FORMS",
    "html_figure",
    "html_page",
    "html_traces",
    "write_html",
    "render_html",
    "render_png",
    "FORMATS",
    "format_of",
    "miss_positions",
]

#: Spaces up to this many designs are enumerated in full to find the feasible ones.
ENUMERATE_LIMIT = 2_000_000
#: At most this many designs (plus the Pareto set and plan designs) are drawn.
MAX_POINTS = 20_000
_CHUNK = 250_000
_LABEL_RE = re.compile(r"^\s*(sum|max|min|mean)\s*\(\s*([A-Za-z_]\w*)\s*\)\s*$")


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
        misses: For a result with no feasible design, its nearest misses (closest
            first): ``(k,)`` row positions and a short note of what each breaks.
    """

    space: DesignSpace
    pareto: np.ndarray
    plan: dict[str, Any] | None
    plan_index: dict[str, np.ndarray]
    source: str
    misses: tuple[tuple[np.ndarray, str], ...] = ()


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
    set) can be drawn; the Pareto set and plan are the saved ones. A solve that
    found no feasible design gives an empty Pareto set and its nearest misses.

    Raises:
        CarinError: The folder is not a solve's output, the spec is gone, or the
            profiles changed since the solve.
    """
    from carin.result import load_result_dir
    from carin.space import compile_space
    from carin.spec import load_spec

    folder = Path(result_dir)
    saved = load_result_dir(folder)
    summary = saved["summary.json"]
    space = compile_space(load_spec(recorded_spec(folder, summary)))
    if not summary.get("feasible", True):
        empty = np.zeros((0, len(space.tasks)), dtype=np.int64)
        misses = miss_positions(space, summary.get("nearest_misses", []))
        return FrontData(space, empty, None, {}, str(folder), misses)
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


def miss_positions(
    space: DesignSpace, misses: list[dict[str, Any]], limit: int = 3
) -> tuple[tuple[np.ndarray, str], ...]:
    """Row positions and a short note of the first ``limit`` nearest misses of a summary.

    A miss is matched by its design key among the rows the spec ranks without a
    power level (on power-banded tables the overall rows); misses whose key is not
    found (the profiles changed) are left out.
    """
    lookups = []
    for task in space.tasks:
        rows = task.power_rows(None)
        allowed = np.ones(len(task), bool) if rows is None else rows
        lookup: dict[str, int] = {}
        for i in np.flatnonzero(allowed).tolist():
            lookup.setdefault(str(task.keys[i]), i)
        lookups.append(lookup)
    out = []
    for miss in misses[:limit]:
        parts = str(miss.get("design", "")).split(" + ")
        if len(parts) != len(space.tasks):
            continue
        pos = [lookups[t].get(key) for t, key in enumerate(parts)]
        if any(p is None for p in pos):
            continue
        note = "; ".join(_miss_note(b) for b in miss.get("broken", []))
        out.append((np.array(pos, dtype=np.int64), note))
    return tuple(out)


def _miss_note(broken: dict[str, Any]) -> str:
    """``accuracy off by 6.8 %``: a broken limit's metric and the gap, with its unit."""
    metric = broken["constraint"].split(" <= ")[0].split(" >= ")[0]
    unit = unit_of(metric.split(": ")[-1])
    return f"{metric} off by {fmt(broken['by'])}" + (f" {unit}" if unit else "")


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
        [data.pareto.reshape(-1, len(shape))]
        + [p.reshape(1, -1) for p in data.plan_index.values()]
        + [p.reshape(1, -1) for p, _ in data.misses]
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


# -- labels ------------------------------------------------------------------------------


_condition_short = condition_text  # one wording of a condition in every report


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


# -- renderers -------------------------------------------------------------------------


def render_png(
    data: FrontData,
    *,
    x: str | None = None,
    y: str | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
    zoom: bool = True,
) -> Any:
    """Draw the front with matplotlib (Agg, no display needed); also for SVG and PDF.

    Returns:
        A ``matplotlib.figure.Figure`` (shown inline by notebooks).
    """
    from carin.report import _mpl
    from carin.report._scene import build_scene

    return _mpl.render(build_scene(data, x, y, max_points, seed), zoom)


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
    ``bound`` (a limit) and ``design`` (labelled plan designs and nearest misses).
    The figure has no fixed width: the page fills the browser window.

    Returns:
        A ``plotly.graph_objects.Figure``.
    """
    from carin.report import _plotly
    from carin.report._scene import build_scene

    return _plotly.render(build_scene(data, x, y, max_points, seed), zoom)


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


#: Output formats and the file suffixes that choose them.
FORMATS = {"png": (".png",), "svg": (".svg",), "pdf": (".pdf",), "html": (".html", ".htm")}


def format_of(out: Path | None, kind: str | None) -> str:
    """The output format: ``kind`` if given (checked against ``out``'s suffix), else the suffix.

    Raises:
        CarinError: Unknown format or suffix, or a suffix that contradicts ``kind``.
    """
    allowed = ", ".join(FORMATS)
    by_suffix = {sfx: k for k, sfxs in FORMATS.items() for sfx in sfxs}
    suffix = out.suffix.lower() if out is not None else ""
    if kind is not None:
        if kind not in FORMATS:
            raise CarinError(f"plot format {kind!r}: allowed: {allowed}")
        if suffix and suffix in by_suffix and by_suffix[suffix] != kind:
            raise CarinError(f"{out}: the suffix {suffix} says {by_suffix[suffix]}, not {kind}")
        return kind
    if out is None:
        return "png"
    if suffix not in by_suffix:
        raise CarinError(
            f"{out}: unknown plot file type {suffix or '(none)'}; use "
            + ", ".join(f".{k}" for k in FORMATS)
        )
    return by_suffix[suffix]


def _save_static(fig: Any, path: Path, which: str) -> None:
    """Write a matplotlib figure; the same figure always gives the same bytes."""
    import matplotlib

    metadata = {
        "png": {"Software": None},
        "svg": {"Date": None, "Creator": None},
        "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    }[which]
    with matplotlib.rc_context({"svg.hashsalt": "carin", "svg.fonttype": "path"}):
        _atomic_write(path, lambda tmp: fig.savefig(tmp, format=which, dpi=110, metadata=metadata))


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
    html_form: str = "packed",
) -> Any:
    """Draw a front and optionally write it (PNG, SVG, PDF or HTML, chosen by suffix).

    Args:
        data: What to draw (:func:`front_data` or :func:`load_front_data`).
        out: File to write; an HTML page works offline (see ``html_form``).
        x: Metric on the x axis (an objective, constraint or any profile metric).
        y: Metric on the y axis.
        kind: ``png``, ``svg``, ``pdf`` (matplotlib) or ``html`` (plotly); default
            from ``out``'s suffix, else ``png``.
        max_points: At most this many designs besides the Pareto set and the plan.
        seed: Seed of the deterministic thinning of large spaces.
        zoom: Narrow an axis to the feasible designs and limits (plus a margin) when
            far outliers would squeeze them into a corner; False shows every point.
        html_form: HTML only: ``packed`` (one file; plotly.js and the data gzip-packed
            in it, unpacked by the browser when the page opens: browsers from 2023
            on), ``plain`` (one file, nothing packed: any browser, 3-4 MB more)
            or ``beside`` (plotly.js written once as ``plotly-VERSION.min.js`` in the
            page's folder, which the page loads: keep the two files together).

    Returns:
        The matplotlib or plotly figure.
    """
    path = Path(out) if out is not None else None
    which = format_of(path, kind)
    if which != "html":
        fig = render_png(data, x=x, y=y, max_points=max_points, seed=seed, zoom=zoom)
        if path is not None:
            _save_static(fig, path, which)
        return fig
    fig = render_html(data, x=x, y=y, max_points=max_points, seed=seed, zoom=zoom)
    if path is not None:
        write_html(fig, path, form=html_form)
    return fig


#: The forms of an HTML page: plotly.js and the data packed inside it, plain inside it, or
#: plotly.js in a file beside it (see :mod:`carin.report._html`).
HTML_FORMS = FORMS


def html_page(fig: Any, *, form: str = "packed") -> tuple[str, str | None]:
    """The HTML page of a plotly figure and, for ``form="beside"``, the file name of the
    plotly.js it loads (see :mod:`carin.report._html` for how the page is kept small).

    Raises:
        CarinError: ``form`` is not one of :data:`HTML_FORMS`.
    """
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    from carin.report import _html

    if form not in HTML_FORMS:
        raise CarinError(f"HTML form {form!r}: allowed: {', '.join(HTML_FORMS)}")
    figure = json.loads(fig.to_json()) | {"config": {"responsive": True}}
    # the browser tab and bookmarks name the plot, not the file
    title = str(fig.layout.title.text or "carin plot").split("<br>")[0]
    height = int(fig.layout.height or 500)
    js_file = f"plotly-{get_plotlyjs_version()}.min.js"
    html = _html.page(figure, title, height, form, get_plotlyjs(), js_file)
    return html, js_file if form == "beside" else None


def write_html(fig: Any, path: str | Path, *, form: str = "packed") -> None:
    """Write a plotly figure as an offline HTML page (and plotly.js beside it if asked)."""
    from plotly.offline import get_plotlyjs

    path = Path(path)
    html, js_file = html_page(fig, form=form)
    if js_file is not None:
        js = path.parent / js_file
        bundle = get_plotlyjs().encode("utf-8")
        # once per folder: every page there shares it
        if not js.is_file() or js.read_bytes() != bundle:
            _atomic_write(js, lambda tmp: Path(tmp).write_bytes(bundle))
    _atomic_write(path, lambda tmp: Path(tmp).write_text(html, encoding="utf-8"))


def plot_result(result: Result, out: str | Path | None = None, **kwargs: Any) -> Any:
    """Draw a fresh result's front (see :func:`plot_front` for the keywords)."""
    return plot_front(front_data(result), out, **kwargs)


def html_figure(path: str | Path) -> dict[str, Any]:
    """The figure an HTML plot written by :func:`plot_front` draws, as plain JSON (``data``,
    ``layout``, ``config``), with every point's hover text joined back (for checks and tests).

    Pages written by plotly's own ``to_html`` (carin before the compact pages) are read too.

    Raises:
        CarinError: The file is not such a page.
    """
    from carin.report import _html

    text = Path(path).read_text(encoding="utf-8")
    figure = _html.read(text)
    if figure is not None:
        return figure
    start = text.find("Plotly.newPlot(")
    if start < 0:
        raise CarinError(f"{path}: not a carin plot (no figure data, no Plotly.newPlot call)")
    decoder = json.JSONDecoder()
    parts = []
    pos = text.find("[", start)
    for _ in ("data", "layout", "config"):
        value, end = decoder.raw_decode(text, pos)
        parts.append(value)
        pos = text.find(",", end) + 1
        while text[pos].isspace():
            pos += 1
    return dict(zip(("data", "layout", "config"), parts, strict=True))


def html_traces(path: str | Path) -> list[dict[str, Any]]:
    """The traces of an HTML plot written by :func:`plot_front` (for checks and tests)."""
    return html_figure(path)["data"]
