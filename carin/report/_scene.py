"""What both plot renderers draw: panels, points, the encoding of decisions, limits, titles.

A :class:`Scene` is renderer-neutral: the panels and where they sit in the grid,
the points of each panel with their status (Pareto, dominated, infeasible) and
the decisions they carry, which decision each visual channel encodes, the limit
lines, and the title. :mod:`carin.report._mpl` and :mod:`carin.report._plotly`
turn it into a figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carin.report._format import base_metric, name_and_unit, unit_of, with_unit
from carin.report._labels import Obstacles
from carin.report.plots import (
    Cloud,
    FrontData,
    default_axes,
    design_cloud,
    design_labels,
    metric_values,
)

if TYPE_CHECKING:
    from carin.space import DesignSpace

#: Decisions a plot can encode, in the order they claim colour, then marker shape.
DECISIONS = ("processor", "precision", "runtime", "threads", "cm", "variant")
#: At most this many levels get a colour or a marker shape of their own.
MAX_LEVELS = 10

PROC_COLOURS = {
    "cpu": "#1f77b4",
    "gpu": "#2ca02c",
    "npu": "#d62728",
    "dsp": "#9467bd",
    "asic": "#8c564b",
    "fpga": "#e377c2",
}
#: Colours of other decisions' levels (Okabe-Ito, then Tableau; no greys, which mean
#: infeasible), in level order.
PALETTE = [
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#d55e00",
    "#56b4e9",
    "#332288",
    "#bcbd22",
    "#8c564b",
    "#17becf",
]
GREY = "#bdbdbd"
BOUND = "#d62728"
BUDGET = "#555555"

#: Marker size (area, points^2) and opacity of each status; legends use the same.
STYLE = {
    "pareto": {"size": 56.0, "alpha": 1.0, "edge": 0.6},
    "dominated": {"size": 22.0, "alpha": 0.35, "edge": 0.0},
    "infeasible": {"size": 9.0, "alpha": 0.5, "edge": 0.0},
    "band": {"size": 16.0, "alpha": 0.7, "edge": 0.0},
}
BAND_GREY = "#8a8a8a"
#: Legend names of the statuses.
STATUS_NAMES = {
    "dominated": "dominated (faded)",
    "band": "power-band row (for its power level)",
}


@dataclass(frozen=True)
class Panel:
    """One subplot.

    Attributes:
        title: Subplot title.
        x: Metric label on the x axis.
        y: Metric label on the y axis.
        task: Task position for a task panel, None for the app level.
        row: Grid row.
        col: Grid column.
    """

    title: str
    x: str
    y: str
    task: int | None
    row: int
    col: int


@dataclass(frozen=True, eq=False)
class Points:
    """The points of one panel.

    Attributes:
        x: ``(n,)`` x values.
        y: ``(n,)`` y values.
        kind: ``(n,)`` ``pareto``, ``dominated`` or ``infeasible``.
        rows: ``(n, k)`` design positions (app panel) or ``(n, 1)`` rows (task panel).
        decisions: Decision column -> ``(n,)`` level text of each point.
        labels: Point position -> label text (plan designs, nearest misses).
    """

    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray
    rows: np.ndarray
    decisions: dict[str, np.ndarray]
    labels: dict[int, str]

    @property
    def finite(self) -> np.ndarray:
        """Points with both coordinates known."""
        return np.isfinite(self.x) & np.isfinite(self.y)

    @property
    def focus(self) -> np.ndarray:
        """Points a zoomed view must show: the feasible ones and every labelled one."""
        out = (self.kind != "infeasible") & (self.kind != "band")
        out[list(self.labels)] = True
        return out & self.finite


@dataclass(frozen=True, eq=False)
class Encoding:
    """Which decision each visual channel shows.

    Attributes:
        colour: Decision shown by colour (a column name).
        colours: Level -> colour.
        marker: Decisions shown by marker shape, joined (empty: none).
        markers: Level -> index into the renderer's marker list.
        constant: Decision -> its one level, for decisions the same in every design drawn.
        infeasible_coloured: Infeasible points carry colour and shape (nothing is feasible).
    """

    colour: str
    colours: dict[str, str]
    marker: tuple[str, ...]
    markers: dict[str, int]
    constant: dict[str, str]
    infeasible_coloured: bool

    def colour_of(self, pts: Points) -> np.ndarray:
        """Colour level of each point."""
        return pts.decisions.get(self.colour, np.full(len(pts.x), "", dtype=object))

    def marker_of(self, pts: Points) -> np.ndarray:
        """Marker level of each point (``""`` when no decision is shown by shape)."""
        return _joined(pts, self.marker)

    def groups(self, pts: Points) -> PointGroups:
        """The points split as every renderer draws them: grey kinds, then coloured ones."""
        ok = pts.finite
        greys = {"band": BAND_GREY} | ({} if self.infeasible_coloured else {"infeasible": GREY})
        kinds = ("dominated", "pareto")
        if self.infeasible_coloured:
            kinds = ("infeasible", *kinds)
        return PointGroups(
            colour=self.colour_of(pts),
            marker=self.marker_of(pts),
            grey=[(kind, grey, ok & (pts.kind == kind)) for kind, grey in greys.items()],
            coloured=[(kind, ok & (pts.kind == kind)) for kind in kinds],
        )

    @property
    def title(self) -> str:
        """Legend heading naming the channels."""
        text = f"colour: {self.colour}"
        if self.marker:
            text += f"\nshape: {' / '.join(self.marker)}"
        return text


@dataclass(frozen=True, eq=False)
class PointGroups:
    """A panel's points as the renderers draw them (:meth:`Encoding.groups`).

    Attributes:
        colour: Colour level of each point.
        marker: Marker level of each point.
        grey: ``(kind, colour, selection)`` of the kinds drawn in one grey, without shapes.
        coloured: ``(kind, selection)`` of the kinds drawn by colour and shape, bottom first.
    """

    colour: np.ndarray
    marker: np.ndarray
    grey: list[tuple[str, str, np.ndarray]]
    coloured: list[tuple[str, np.ndarray]]


def _joined(pts: Points, columns: tuple[str, ...]) -> np.ndarray:
    if not columns:
        return np.full(len(pts.x), "", dtype=object)
    parts = [pts.decisions.get(c, np.full(len(pts.x), "", dtype=object)) for c in columns]
    out = parts[0].astype(object)
    for p in parts[1:]:
        out = out + " / " + p.astype(object)
    return out


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything a renderer draws.

    Attributes:
        data: The front.
        cloud: The designs drawn.
        panels: The subplots.
        points: The points of each panel.
        encoding: Decisions shown by colour and shape.
        nrows: Grid rows.
        ncols: Grid columns.
        legend_cell: ``(row, col)`` of an empty grid cell that holds the legend, or None
            (legend beside the grid).
        front_line: Per panel, whether the Pareto front is connected (the two objectives
            of a two-objective spec on its axes).
        title: Figure title.
        notes: Second title line (limits not on the axes), may be empty.
    """

    data: FrontData
    cloud: Cloud
    panels: list[Panel]
    points: list[Points]
    encoding: Encoding
    nrows: int
    ncols: int
    legend_cell: tuple[int, int] | None
    front_line: list[bool]
    title: str
    notes: str

    @property
    def feasible(self) -> bool:
        """Whether the result has a feasible design."""
        return len(self.data.pareto) > 0


# -- panels --------------------------------------------------------------------------


def _panels(data: FrontData, x: str | None, y: str | None) -> tuple[list[Panel], int, int]:
    space = data.space
    pairs = default_axes(space, x, y)
    app = "app-level front" if not space.single else "front"
    labels = space.objective_labels()
    out: list[Panel] = []
    if len(pairs) > 1:
        # a grid of objective pairs: row = y objective, column = x objective (upper triangle)
        n = len(labels)
        for px, py in pairs:
            i, j = labels.index(py), labels.index(px)
            out.append(Panel(f"{_name(py)} vs {_name(px)}", px, py, None, i, j - 1))
        nrows = ncols = n - 1
    else:
        px, py = pairs[0]
        out.append(Panel(f"{app}: {_name(py)} vs {_name(px)}", px, py, None, 0, 0))
        nrows = ncols = 1
    if not space.single:
        px, py = base_metric(pairs[0][0]), base_metric(pairs[0][1])
        tasks = [
            (f"task {task.name}: {len(task)} configurations", t)
            for t, task in enumerate(space.tasks)
        ]
        total = len(out) + len(tasks)
        if len(pairs) > 1:
            ncols = max(ncols, 2)
            start = nrows
            for n, (title, t) in enumerate(tasks):
                out.append(Panel(title, px, py, t, start + n // ncols, n % ncols))
            nrows = start + -(-len(tasks) // ncols)
        else:
            ncols = min(total, 2 if total == 4 else 3)
            nrows = -(-total // ncols)
            for n, (title, t) in enumerate(tasks, start=1):
                out.append(Panel(title, px, py, t, n // ncols, n % ncols))
    return out, nrows, ncols


def _name(label: str) -> str:
    """A metric label as people read it in a title: ``max(latency_ms)`` -> ``max latency``."""
    return name_and_unit(label)[0]


def _legend_cell(panels: list[Panel], nrows: int, ncols: int) -> tuple[int, int] | None:
    used = {(p.row, p.col) for p in panels}
    free = [(r, c) for r in range(nrows) for c in range(ncols) if (r, c) not in used]
    # the lower-left cell of a pair grid (below the first row, left of the diagonal)
    free = [cell for cell in free if cell[0] > 0 and cell[1] < cell[0]]
    return free[-1] if free else None


# -- points --------------------------------------------------------------------------


def _level_text(values: np.ndarray) -> np.ndarray:
    """Key values as level text: integers without ``.0``, missing as ``""``."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and v != v):
            out[i] = ""
        elif isinstance(v, float) and v.is_integer():
            out[i] = str(int(v))
        else:
            out[i] = str(v)
    return out


def _task_decisions(space: DesignSpace, t: int) -> dict[str, np.ndarray]:
    task = space.tasks[t]
    out: dict[str, np.ndarray] = {}
    for col in DECISIONS:
        if col == "processor":
            out[col] = task.processor.astype(object)
        elif col in task.frame.columns:
            out[col] = _level_text(task.frame[col].to_numpy(dtype=object))
    return out


def _app_decisions(space: DesignSpace, index: np.ndarray) -> dict[str, np.ndarray]:
    per_task = [_task_decisions(space, t) for t in range(len(space.tasks))]
    if space.single:
        return {c: v[index[:, 0]] for c, v in per_task[0].items()}
    out: dict[str, np.ndarray] = {}
    for col in DECISIONS:
        if not any(col in d for d in per_task):
            continue
        parts = [
            d[col][index[:, t]] if col in d else np.full(len(index), "", dtype=object)
            for t, d in enumerate(per_task)
        ]
        # a multi-DNN design's level: the processors its parts use ("cpu+npu"); for the
        # other decisions the parts' common level, or "mixed" when they differ
        levels = []
        for row in zip(*parts, strict=True):
            found = sorted({v for v in row if v})
            if col == "processor" or len(found) <= 1:
                levels.append("+".join(found))
            else:
                levels.append("mixed")
        out[col] = np.array(levels, dtype=object)
    return out


def _app_points(data: FrontData, cloud: Cloud, panel: Panel) -> Points:
    space = data.space
    idx = cloud.index
    kind = np.where(cloud.pareto, "pareto", np.where(cloud.feasible, "dominated", "infeasible"))
    if space.has_overall_power_rows:
        # a power-band row holds a plan's metrics at one power level: not a candidate
        # without a power level, but what a power condition picks from
        kind = np.where((kind == "infeasible") & ~space.condition_mask(idx, {}), "band", kind)
    where = {tuple(r): i for i, r in enumerate(idx.tolist())}
    labels: dict[int, str] = {}
    for did, text in design_labels(data.plan).items():
        pos = where.get(tuple(data.plan_index[did].tolist())) if did in data.plan_index else None
        if pos is not None:
            labels[pos] = text
    for n, (miss, note) in enumerate(data.misses):
        pos = where.get(tuple(np.asarray(miss).tolist()))
        if pos is not None and pos not in labels:
            labels[pos] = f"miss {n + 1}: {note}" if note else f"miss {n + 1}"
    return Points(
        metric_values(space, idx, panel.x),
        metric_values(space, idx, panel.y),
        kind.astype(str),
        idx,
        _app_decisions(space, idx),
        labels,
    )


def _task_points(data: FrontData, cloud: Cloud, panel: Panel) -> Points:
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
    return Points(
        task.values(panel.x),
        task.values(panel.y),
        kind.astype(str),
        rows[:, None],
        _task_decisions(space, t),
        labels,
    )


# -- encoding ------------------------------------------------------------------------


def _order(col: str, levels: set[str]) -> list[str]:
    def key(s: str) -> tuple:
        if col == "processor":
            first = s.split("+")[0]
            return (
                first not in PROC_COLOURS,
                list(PROC_COLOURS).index(first) if first in PROC_COLOURS else 0,
                s,
            )
        if s == "mixed":
            return (2, 0.0, s)
        try:
            return (0, float(s), s)
        except ValueError:
            return (1, 0.0, s)

    return sorted(levels, key=key)


def _encoding(points: list[Points], infeasible_coloured: bool) -> Encoding:
    def levels_of(columns: tuple[str, ...]) -> set[str]:
        """Levels of the decisions (joined) over the points that carry colour."""
        out: set[str] = set()
        for p in points:
            shown = p.finite & (p.kind != "band") & (infeasible_coloured | (p.kind != "infeasible"))
            out.update(str(v) for v in _joined(p, columns)[shown].tolist())
        return out

    present = {c for p in points for c in p.decisions}
    levels = {c: levels_of((c,)) for c in DECISIONS if c in present}
    varying = [c for c in DECISIONS if len(levels.get(c, ())) > 1]
    constant = {
        c: next(iter(levels[c]))
        for c in DECISIONS
        if len(levels.get(c, ())) == 1 and "" not in levels[c]
    }
    colour = next((c for c in varying if len(levels[c]) <= MAX_LEVELS), "processor")
    rest = tuple(c for c in varying if c != colour)
    marker: tuple[str, ...] = ()
    if rest and len(levels_of(rest)) <= MAX_LEVELS:
        marker = rest
    elif rest:
        marker = next(((c,) for c in rest if len(levels[c]) <= MAX_LEVELS), ())
    colour_levels = _order(colour, levels.get(colour, set()))
    if colour == "processor":
        extra = iter(PALETTE * 2)
        colours = {lv: PROC_COLOURS.get(lv) or next(extra) for lv in colour_levels}
    else:
        colours = {lv: PALETTE[i % len(PALETTE)] for i, lv in enumerate(colour_levels)}
    shapes = _order(marker[0] if len(marker) == 1 else "", levels_of(marker)) if marker else [""]
    return Encoding(
        colour,
        colours,
        marker,
        {lv: i for i, lv in enumerate(shapes)},
        constant,
        infeasible_coloured,
    )


# -- limits, scales, titles ------------------------------------------------------------


def bounds(
    space: DesignSpace, label: str, task: int | None = None
) -> list[tuple[float, str, bool, str]]:
    """``(value, text, is_constraint, op)`` of the limits on a metric: constraints, then budgets.

    The text is the limit with its unit (``<= 16 ms``, ``budget 50 MB``).
    """
    out: list[tuple[float, str, bool, str]] = []
    u = f" {unit_of(label)}" if unit_of(label) else ""
    if task is None:
        for c in space.constraints:
            if c.target.label(space.single) == label:
                out.append((c.value, f"{c.op} {c.value:g}{u}", True, c.op))
        ant = space.spec.anticipate
        if label == space.latency_target.label(space.single):
            out += [(v, f"budget {v:g}{u}", False, "<=") for v in ant.latency_budget_ms]
        if label == space.memory_target.label(space.single):
            out += [(v, f"budget {v:g}{u}", False, "<=") for v in ant.memory_budget_mb]
    else:
        for c in space.tasks[task].constraints:
            if c.target.metric == base_metric(label):
                out.append((c.value, f"{c.op} {c.value:g}{u}", True, c.op))
    return out


def _off_axes(space: DesignSpace, panels: list[Panel]) -> list[str]:
    """Constraints of the spec that no panel's axes show."""
    app_axes = {m for p in panels if p.task is None for m in (p.x, p.y)}
    out = [
        c.describe(space.single)
        for c in space.constraints
        if c.target.label(space.single) not in app_axes
    ]
    for t, task in enumerate(space.tasks):
        axes = {base_metric(m) for p in panels if p.task == t for m in (p.x, p.y)}
        for c in task.constraints:
            if c.target.metric not in axes:
                out.append(c.describe() if space.single else f"{task.name}: {c.describe()}")
    return out


def log_scale(values: np.ndarray) -> bool:
    """Whether an axis over ``values`` reads better on a log scale (positive, > 50x range)."""
    v = values[np.isfinite(values)]
    return bool(len(v) and (v > 0).all() and v.max() / v.min() > 50)


def view(
    values: np.ndarray, focus: np.ndarray, marks: list[float], zoom: bool
) -> tuple[str, tuple[float, float]]:
    """Scale (``linear``/``log``) and limits of one axis.

    With ``zoom``, an axis whose feasible points and limit lines (``focus``,
    ``marks``) span under 40 % of all points' range is narrowed to them plus a
    margin, so that a few far outliers do not squeeze the front into a corner.
    Without feasible points there is nothing to zoom to and every point shows.

    Returns:
        The scale and the ``(lo, hi)`` limits (data units, padded by 5 %).
    """
    v = values[np.isfinite(values)]
    marks_a = np.asarray(marks, dtype=float)
    if not len(v):
        v = marks_a if len(marks_a) else np.array([0.0, 1.0])
    log = log_scale(v)
    t = np.log10 if log else (lambda a: a)
    inv = (lambda a: 10.0**a) if log else (lambda a: a)
    every = np.concatenate([v, marks_a[marks_a > 0] if log else marks_a])
    lo_all, hi_all = float(t(every.min())), float(t(every.max()))
    f = values[focus & np.isfinite(values)]
    if zoom and len(f):
        f = np.concatenate([f, marks_a])
        if log:
            f = f[f > 0]
        lo_f, hi_f = float(t(f.min())), float(t(f.max()))
        span_all, span_f = hi_all - lo_all, hi_f - lo_f
        if span_all > 0 and span_f < 0.4 * span_all:
            margin = max(0.6 * span_f, 0.04 * span_all)
            lo, hi = max(lo_all, lo_f - margin), min(hi_all, hi_f + margin)
            pad = 0.04 * (hi - lo)
            lo, hi = lo - pad, hi + pad
            if log and hi - lo < np.log10(50):
                return "linear", (float(inv(lo)), float(inv(hi)))
            return ("log" if log else "linear"), (float(inv(lo)), float(inv(hi)))
    span = hi_all - lo_all
    pad = 0.05 * span if span > 0 else (0.5 if not log else 0.1) + 0.05 * abs(lo_all)
    return ("log" if log else "linear"), (float(inv(lo_all - pad)), float(inv(hi_all + pad)))


def zoomed(values: np.ndarray, limits: tuple[float, float]) -> bool:
    """Whether some finite value falls outside the axis limits."""
    v = values[np.isfinite(values)]
    return bool(len(v) and ((v < limits[0]) | (v > limits[1])).any())


def _title(data: FrontData, cloud: Cloud) -> str:
    space = data.space
    if not len(data.pareto):
        text = f"{space.spec.name}: no feasible design among {cloud.total:,} designs"
        if data.misses:
            text += "; nearest misses labelled"
        return text
    n = len(data.pareto)
    feas = f"{cloud.feasible_total:,} feasible of " if cloud.feasible_total is not None else ""
    text = f"{space.spec.name}: {n} Pareto design{'s' if n != 1 else ''}, {feas}{cloud.total:,} designs"
    if cloud.sampled:
        text += f" (showing a sample of {len(cloud.index):,})"
    return text


def front_order(pts: Points, maximise_x: bool) -> np.ndarray:
    """Positions of the Pareto points along the front, in order of the x objective.

    Ties in x are ordered by y so that the staircase through them stays monotone.
    """
    pos = np.flatnonzero((pts.kind == "pareto") & pts.finite)
    x = -pts.x[pos] if maximise_x else pts.x[pos]
    return pos[np.lexsort((pts.y[pos], x))]


def build_scene(data: FrontData, x: str | None, y: str | None, max_points: int, seed: int) -> Scene:
    """Panels, points and encodings of a front (see :func:`carin.report.plots.plot_front`)."""
    space = data.space
    panels, nrows, ncols = _panels(data, x, y)
    cloud = design_cloud(data, max_points=max_points, seed=seed)
    points = [
        _app_points(data, cloud, p) if p.task is None else _task_points(data, cloud, p)
        for p in panels
    ]
    feasible = len(data.pareto) > 0
    encoding = _encoding(points, infeasible_coloured=not feasible)
    objectives = space.objective_labels()
    line = [
        feasible
        and p.task is None
        and len(objectives) == 2
        and {p.x, p.y} == set(objectives)
        and sum(q.task is None for q in panels) == 1
        for p in panels
    ]
    legend_cell = _legend_cell(panels, nrows, ncols)
    off = _off_axes(space, panels)
    notes = [("limits not on these axes: " + "; ".join(off))] if off else []
    app = next((pts for p, pts in zip(panels, points, strict=True) if p.task is None), None)
    if app is not None and not app.finite.all():
        missing = [
            label
            for label, v in ((panels[0].x, app.x), (panels[0].y, app.y))
            if not np.isfinite(v).all()
        ]
        n = int((~app.finite).sum())
        notes.append(
            f"{n:,} design{'s' if n != 1 else ''} without {' or '.join(missing)} not drawn"
        )
    return Scene(
        data,
        cloud,
        panels,
        points,
        encoding,
        nrows,
        ncols,
        legend_cell,
        line,
        _title(data, cloud),
        "; ".join(notes),
    )


def maximised(space: DesignSpace, label: str) -> bool:
    """Whether the spec maximises the metric on an axis (False for non-objectives)."""
    for o in space.objectives:
        if o.target.label(space.single) == label:
            return bool(o.maximise)
    return False


def zoom_note(scene: Scene) -> str:
    """What a zoomed view shows, for the title."""
    if scene.feasible:
        return "; zoomed to the feasible region"
    return "; zoomed to the nearest misses and limits"


def axis_title(space: DesignSpace, panel: Panel, axis: str) -> str:
    """Axis title: the metric with its unit, and which way is better for an objective."""
    label = panel.x if axis == "x" else panel.y
    title = with_unit(label)
    if axis == "x" and panel.task is not None and base_metric(label) == "latency_ms":
        title += " of the part alone"
    for o in space.objectives:
        target = o.target.label(space.single)
        if target == label or (panel.task is not None and o.target.metric == base_metric(label)):
            return title + (", higher is better" if o.maximise else ", lower is better")
    return title


def staircase(xy: np.ndarray, style: str) -> np.ndarray:
    """Vertices of a step line through ``xy`` drawn ``steps-pre`` or ``steps-post``."""
    out = [xy[0]]
    for a, b in zip(xy[:-1], xy[1:], strict=True):
        corner = (a[0], b[1]) if style == "steps-pre" else (b[0], a[1])
        out += [np.asarray(corner), b]
    return np.asarray(out)


def step_style(space: DesignSpace, panel: Panel) -> str:
    """How the front's staircase turns: x then y when x is minimised, y then x otherwise."""
    return "steps-pre" if maximised(space, panel.x) else "steps-post"


#: Cost of covering a point with a label, by status.
LABEL_WEIGHTS = {"pareto": 25.0, "dominated": 3.0, "infeasible": 0.3, "band": 1.0}


@dataclass(frozen=True, eq=False)
class LabelFrame:
    """A panel in display pixels, for label placement.

    Attributes:
        xy: ``(n, 2)`` pixel position of each point (NaN when unknown).
        obstacles: Points, limit lines and the front line to keep labels off.
        limit_lines: ``("v", x)`` / ``("h", y)`` pixel position of each limit drawn.
        limit_texts: ``(text, colour)`` of each limit drawn.
    """

    xy: np.ndarray
    obstacles: Obstacles
    limit_lines: list[tuple[str, float]]
    limit_texts: list[tuple[str, str]]


def label_frame(
    scene: Scene,
    panel: Panel,
    pts: Points,
    line: bool,
    to_px: Callable[[np.ndarray, np.ndarray], np.ndarray],
    area: tuple[float, float, float, float],
) -> LabelFrame:
    """Pixel positions of a panel's points, limits and front line (``to_px``: data -> px)."""
    space = scene.data.space
    ok = pts.finite
    xy = np.full((len(pts.x), 2), np.nan)
    if ok.any():
        xy[ok] = to_px(pts.x[ok], pts.y[ok])
    inside = ok & (xy[:, 0] >= area[0]) & (xy[:, 0] <= area[2])
    inside &= (xy[:, 1] >= area[1]) & (xy[:, 1] <= area[3])
    weights = np.array([LABEL_WEIGHTS.get(k, 1.0) for k in pts.kind[inside].tolist()])
    if scene.encoding.infeasible_coloured:
        weights = np.maximum(weights, 1.0)
    vlines, hlines = [], []
    lines: list[tuple[str, float]] = []
    texts: list[tuple[str, str]] = []
    for axis, label in (("x", panel.x), ("y", panel.y)):
        for value, text, hard, _op in bounds(space, label, panel.task):
            one = np.array([1.0])
            if axis == "x":
                at = float(to_px(np.array([value]), one)[0, 0])
                if not area[0] <= at <= area[2]:
                    continue
                vlines.append((at, area[1], area[3]))
                lines.append(("v", at))
            else:
                at = float(to_px(one, np.array([value]))[0, 1])
                if not area[1] <= at <= area[3]:
                    continue
                hlines.append((at, area[0], area[2]))
                lines.append(("h", at))
            texts.append((text, BOUND if hard else BUDGET))
    segments = np.zeros((0, 4))
    order = front_order(pts, maximised(space, panel.x)) if line else np.zeros(0, np.int64)
    if len(order) > 1:
        steps = staircase(xy[order], step_style(space, panel))
        segments = np.column_stack([steps[:-1], steps[1:]])
    obstacles = Obstacles(
        xy[inside],
        weights,
        np.asarray(vlines, dtype=float).reshape(-1, 3),
        np.asarray(hlines, dtype=float).reshape(-1, 3),
        segments,
    )
    return LabelFrame(xy, obstacles, lines, texts)
