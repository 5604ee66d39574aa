"""The plotly renderer of a :class:`~carin.report._scene.Scene` (interactive HTML).

Legend entries are the traces themselves (one per status, colour and shape), so
they show exactly the marks drawn, and clicking one hides its points. The page
has no fixed width; labels are placed for a window :data:`NOMINAL_WIDTH` pixels
wide, anchored to the panel, so they keep clear of each other in any wider
window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from carin.report._format import (
    base_metric,
    fmt,
    name_and_unit,
    part_text,
    with_value,
)
from carin.report._labels import place_line_labels, place_point_labels
from carin.report._scene import (
    BOUND,
    BUDGET,
    STATUS_NAMES,
    STYLE,
    Panel,
    Points,
    Scene,
    axis_title,
    bounds,
    front_order,
    label_frame,
    maximised,
    step_style,
    view,
    zoom_note,
    zoomed,
)

MARKERS = [
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
#: Width (px) of the window the labels are placed for; wider windows only spread them.
NOMINAL_WIDTH = 1000
ROW_HEIGHT = 430
LABEL_FONT = 10
LIMIT_FONT = 9
_SHADE = "rgba(214, 39, 40, 0.07)"


def text_box(text: str, size: float) -> tuple[float, float]:
    """Estimated pixel size of an annotation box (plotly measures text only in the browser).

    Generous on purpose: 0.62 em per character (wider than the average of the
    default sans-serif fonts), 1.4 em per line, plus border and padding.
    """
    lines = text.split("<br>")
    width = max(len(line) for line in lines) * 0.62 * size
    return width + 2 * 3 + 2, len(lines) * 1.4 * size + 2 * 3 + 2


def render(scene: Scene, zoom: bool) -> Any:
    """Draw the scene; returns a ``plotly.graph_objects.Figure``."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    space = scene.data.space
    enc = scene.encoding
    used = {(p.row, p.col): n for n, p in enumerate(scene.panels)}
    specs = [
        [{} if (r, c) in used else None for c in range(scene.ncols)] for r in range(scene.nrows)
    ]
    titles = [
        scene.panels[used[(r, c)]].title if (r, c) in used else ""
        for r in range(scene.nrows)
        for c in range(scene.ncols)
    ]
    fig = make_subplots(
        rows=scene.nrows,
        cols=scene.ncols,
        specs=specs,
        subplot_titles=[t for t in titles if t],
        horizontal_spacing=0.09,
        vertical_spacing=0.14 if scene.nrows > 1 else 0.1,
    )
    in_cell = scene.legend_cell is not None
    margin = dict(l=70, r=30 if in_cell else 250, t=90 if scene.notes else 70, b=60)
    height = ROW_HEIGHT * scene.nrows + margin["t"] + margin["b"]
    n_app = sum(p.task is None for p in scene.panels)
    any_zoom = False
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    line_any = any(scene.front_line)
    for panel, pts, line in zip(scene.panels, scene.points, scene.front_line, strict=True):
        row, col = panel.row + 1, panel.col + 1
        xaxis = fig.get_subplot(row, col).xaxis
        yaxis = fig.get_subplot(row, col).yaxis
        xref = xaxis.plotly_name.replace("axis", "")
        yref = yaxis.plotly_name.replace("axis", "")
        if panel.task is not None:
            pname = space.tasks[panel.task].name
        else:
            pname = "app" if n_app == 1 else f"app: {panel.y} vs {panel.x}"
        hover = hover_text(scene, panel, pts)
        _add_points(fig, scene, pts, hover, pname, row, col, line_any)
        if line:
            order = front_order(pts, maximised(space, panel.x))
            fig.add_trace(
                go.Scatter(
                    x=pts.x[order].tolist(),
                    y=pts.y[order].tolist(),
                    mode="lines",
                    line=dict(
                        color="black",
                        width=1.2,
                        shape="vh" if step_style(space, panel) == "steps-pre" else "hv",
                    ),
                    hoverinfo="skip",
                    meta={"kind": "front", "panel": pname},
                    name="Pareto front (staircase)",
                    legendgroup="pareto",
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
        focus = pts.focus
        ranges = {}
        for axis, values, label in (("x", pts.x, panel.x), ("y", pts.y, panel.y)):
            marks = [b[0] for b in bounds(space, label, panel.task)]
            scale, limits = view(values[pts.finite], focus[pts.finite], marks, zoom)
            any_zoom |= zoomed(values[pts.finite], limits)
            rng = [float(np.log10(v)) for v in limits] if scale == "log" else list(limits)
            ranges[axis] = (scale, rng)
            update = fig.update_xaxes if axis == "x" else fig.update_yaxes
            title = axis_title(space, panel, axis)
            update(row=row, col=col, title_text=title, type=scale, range=rng)
        lo_hi = {a: _data_range(*ranges[a]) for a in ("x", "y")}
        shapes += _add_limits(fig, scene, panel, lo_hi, (xref, yref), pname, (row, col))
        geometry = _geometry(fig, xaxis, yaxis, margin, height, ranges)
        annotations += _labels(scene, panel, pts, line, geometry, xref, yref, pname)
        if pts.labels:
            pos = np.array([p for p in pts.labels if pts.finite[p]], dtype=np.int64)
            fig.add_trace(
                go.Scatter(
                    x=pts.x[pos].tolist(),
                    y=pts.y[pos].tolist(),
                    mode="markers",
                    marker=dict(symbol="circle-open", size=16, color="black", line=dict(width=1.2)),
                    text=[pts.labels[int(i)] for i in pos],
                    hovertext=hover[pos].tolist(),
                    hovertemplate="%{hovertext}<extra></extra>",
                    meta={"kind": "design", "panel": pname},
                    name="plan design (labelled)" if scene.feasible else "nearest miss (labelled)",
                    legendgroup="design",
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
    _legend_only_entries(fig, scene)
    title = scene.title + (zoom_note(scene) if any_zoom else "")
    if scene.notes:
        title += f"<br><sup>{scene.notes}</sup>"
    # the decisions shown by colour and shape, then those every design shares (one per line,
    # keeping the legend narrow); a colour that stands for one shared level is not named
    heading = enc.title if enc.colour not in enc.constant else enc.title.partition("\n")[2]
    if enc.constant:
        heading += "\nsame in every design:" + "".join(
            f"\n  {col}: {level}" for col, level in enc.constant.items()
        )
    heading = heading.strip("\n")
    legend: dict[str, Any] = dict(
        title=dict(text=heading.replace("\n", "<br>")), font=dict(size=10), tracegroupgap=8
    )
    if in_cell:
        r, c = scene.legend_cell  # type: ignore[misc]
        x0, _x1, _y0, y1 = _cell_paper(fig, scene, r, c)
        legend.update(x=x0, y=y1, xanchor="left", yanchor="top")
    fig.update_layout(
        title=dict(text=title, font=dict(size=15)),
        template="plotly_white",
        autosize=True,
        height=height,
        margin=margin,
        legend=legend,
        # dark text on white whatever the point's colour (a coloured box hides grey text)
        hoverlabel=dict(align="left", bgcolor="white", bordercolor="#444444", font_color="black"),
        shapes=shapes,
        annotations=list(fig.layout.annotations) + annotations,
    )
    return fig


def _add_limits(
    fig: Any,
    scene: Scene,
    panel: Panel,
    lo_hi: dict[str, tuple[float, float]],
    refs: tuple[str, str],
    pname: str,
    cell: tuple[int, int],
) -> list[dict[str, Any]]:
    """Draw a panel's limit lines; returns the shapes shading what constraints exclude."""
    import plotly.graph_objects as go

    xref, yref = refs
    shapes: list[dict[str, Any]] = []
    for axis, label in (("x", panel.x), ("y", panel.y)):
        for value, text, hard, op in bounds(scene.data.space, label, panel.task):
            other = list(lo_hi["y" if axis == "x" else "x"])
            xs, ys = ([value, value], other) if axis == "x" else (other, [value, value])
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line=dict(
                        color=BOUND if hard else BUDGET, width=1, dash="dash" if hard else "dot"
                    ),
                    name="constraint (shaded: excluded)" if hard else "anticipated budget",
                    legendgroup="constraint" if hard else "budget",
                    showlegend=False,
                    hovertemplate=f"{_limit_hover(label, text, hard)}<extra></extra>",
                    meta={"kind": "bound", "panel": pname},
                ),
                row=cell[0],
                col=cell[1],
            )
            if not hard:
                continue
            own = lo_hi[axis]
            a, b = (value, own[1]) if op == "<=" else (own[0], value)
            shape = dict(type="rect", fillcolor=_SHADE, line=dict(width=0), layer="below")
            if axis == "x":
                shape.update(xref=xref, x0=a, x1=b, yref=f"{yref} domain", y0=0, y1=1)
            else:
                shape.update(yref=yref, y0=a, y1=b, xref=f"{xref} domain", x0=0, x1=1)
            shapes.append(shape)
    return shapes


def _data_range(scale: str, rng: list[float]) -> tuple[float, float]:
    return (10.0 ** rng[0], 10.0 ** rng[1]) if scale == "log" else (rng[0], rng[1])


def _cell_paper(fig: Any, scene: Scene, r: int, c: int) -> tuple[float, float, float, float]:
    """Paper coordinates of an empty grid cell, from its row's and column's panels."""
    xs = [p for p in scene.panels if p.col == c]
    ys = [p for p in scene.panels if p.row == r]
    xd = fig.get_subplot(xs[0].row + 1, c + 1).xaxis.domain if xs else (0.0, 0.3)
    yd = fig.get_subplot(r + 1, ys[0].col + 1).yaxis.domain if ys else (0.0, 0.3)
    return xd[0], xd[1], yd[0], yd[1]


def _add_points(
    fig: Any,
    scene: Scene,
    pts: Points,
    text: np.ndarray,
    pname: str,
    row: int,
    col: int,
    line: bool,
) -> None:
    import plotly.graph_objects as go

    enc = scene.encoding
    groups = enc.groups(pts)
    colour, shape = groups.colour, groups.marker
    for kind, grey, sel in groups.grey:
        if kind == "band" and not sel.any():
            continue
        style = STYLE[kind]
        fig.add_trace(
            go.Scattergl(
                x=pts.x[sel].tolist(),
                y=pts.y[sel].tolist(),
                mode="markers",
                marker=dict(
                    color=grey, size=float(np.sqrt(style["size"])) * 1.4, opacity=style["alpha"]
                ),
                text=text[sel].tolist(),
                hovertemplate="%{text}<extra></extra>",
                meta={"kind": kind, "panel": pname},
                name=STATUS_NAMES.get(kind, kind),
                legendgroup=kind,
                showlegend=False,
            ),
            row=row,
            col=col,
        )
    for kind, sel_kind in groups.coloured:
        style = STYLE[kind]
        for level in [lv for lv in enc.colours if (sel_kind & (colour == lv)).any()]:
            for sh in [
                s for s in enc.markers if (sel_kind & (colour == level) & (shape == s)).any()
            ]:
                sel = sel_kind & (colour == level) & (shape == sh)
                name = " · ".join(v for v in (level, sh) if v) or kind
                trace_cls = go.Scatter if kind == "pareto" else go.Scattergl
                fig.add_trace(
                    trace_cls(
                        x=pts.x[sel].tolist(),
                        y=pts.y[sel].tolist(),
                        mode="markers",
                        marker=dict(
                            color=enc.colours[level],
                            size=float(np.sqrt(style["size"])) * 1.4,
                            opacity=style["alpha"],
                            symbol=MARKERS[enc.markers.get(sh, 0) % len(MARKERS)],
                            line=dict(color="black", width=1 if style["edge"] else 0),
                        ),
                        text=text[sel].tolist(),
                        hovertemplate="%{text}<extra></extra>",
                        meta={"kind": kind, "panel": pname},
                        name=name,
                        legendgroup=kind,
                        showlegend=False,
                    ),
                    row=row,
                    col=col,
                )


def _legend_only_entries(fig: Any, scene: Scene) -> None:
    """Show one legend entry per (status, colour, shape) group: the first trace of each."""
    enc = scene.encoding
    line = any(scene.front_line)
    group_titles = STATUS_NAMES | {
        "pareto": "Pareto front" if line else "Pareto set",
        "infeasible": "breaks a limit" if enc.infeasible_coloured else "infeasible",
    }
    seen: set[tuple[str, str]] = set()
    for trace in fig.data:
        kind = trace.meta["kind"]
        if kind == "front" or (trace.legendgroup, trace.name) in seen:
            continue
        update: dict[str, Any] = {"showlegend": True}
        grey = kind == "band" or (kind == "infeasible" and not enc.infeasible_coloured)
        first = not any(group == trace.legendgroup for group, _ in seen)
        if first and kind in group_titles and not grey:
            update["legendgrouptitle"] = dict(text=group_titles[kind])
        seen.add((trace.legendgroup, trace.name))
        ranks = {"pareto": 100, "dominated": 200, "infeasible": 300, "band": 320, "design": 350}
        update["legendrank"] = ranks.get(kind, 400)
        trace.update(**update)


def _geometry(
    fig: Any, xaxis: Any, yaxis: Any, margin: dict[str, int], height: int, ranges: dict
) -> dict[str, Any]:
    """Pixel frame of a panel at the nominal window width."""
    plot_w = NOMINAL_WIDTH - margin["l"] - margin["r"]
    plot_h = height - margin["t"] - margin["b"]
    xd, yd = xaxis.domain, yaxis.domain
    area = (
        margin["l"] + xd[0] * plot_w,
        margin["b"] + yd[0] * plot_h,
        margin["l"] + xd[1] * plot_w,
        margin["b"] + yd[1] * plot_h,
    )
    return {"area": area, "ranges": ranges}


def _to_px(geo: dict[str, Any], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = geo["area"]
    out = []
    for axis, v, a, b in (("x", x, x0, x1), ("y", y, y0, y1)):
        scale, (lo, hi) = geo["ranges"][axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.log10(v) if scale == "log" else np.asarray(v, dtype=float)
        out.append(a + (u - lo) / (hi - lo) * (b - a))
    return np.stack(out, axis=1)


def _from_px(geo: dict[str, Any], px: float, py: float) -> tuple[float, float]:
    """Axis coordinates (log10 on log axes, as plotly annotations expect) of a pixel."""
    x0, y0, x1, y1 = geo["area"]
    out = []
    for axis, p, a, b in (("x", px, x0, x1), ("y", py, y0, y1)):
        _scale, (lo, hi) = geo["ranges"][axis]
        out.append(lo + (p - a) / (b - a) * (hi - lo))
    return out[0], out[1]


def _axis_value(geo: dict[str, Any], axis: str, v: float) -> float:
    scale, _ = geo["ranges"][axis]
    return float(np.log10(v)) if scale == "log" else float(v)


def _labels(
    scene: Scene,
    panel: Panel,
    pts: Points,
    line: bool,
    geo: dict[str, Any],
    xref: str,
    yref: str,
    pname: str,
) -> list[dict[str, Any]]:
    area = geo["area"]
    ok = pts.finite
    frame = label_frame(scene, panel, pts, line, lambda x, y: _to_px(geo, x, y), area)
    xy, obstacles, lines, texts = frame.xy, frame.obstacles, frame.limit_lines, frame.limit_texts
    out: list[dict[str, Any]] = []
    limit_boxes = place_line_labels(
        lines, [text_box(t, LIMIT_FONT) for t, _ in texts], area, obstacles
    )
    for (text, colour), box in zip(texts, limit_boxes, strict=True):
        cx, cy = _from_px(geo, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        out.append(
            dict(
                x=cx,
                y=cy,
                xref=xref,
                yref=yref,
                text=text,
                showarrow=False,
                font=dict(size=LIMIT_FONT, color=colour),
                bgcolor="rgba(255,255,255,0.8)",
                borderpad=2,
                name=f"limit:{pname}",
            )
        )
    order = [p for p in pts.labels if ok[p]]
    if not order:
        return out
    texts2 = [pts.labels[p] for p in order]
    boxes = place_point_labels(
        xy[order], [text_box(t, LABEL_FONT) for t in texts2], area, obstacles, taken=limit_boxes
    )
    for p, text, box in zip(order, texts2, boxes, strict=True):
        cx, cy = _from_px(geo, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        out.append(
            dict(
                text=text,
                x=_axis_value(geo, "x", float(pts.x[p])),
                y=_axis_value(geo, "y", float(pts.y[p])),
                ax=cx,
                ay=cy,
                xref=xref,
                yref=yref,
                axref=xref,
                ayref=yref,
                showarrow=True,
                arrowhead=2,
                arrowsize=1,
                arrowwidth=0.8,
                arrowcolor="#444444",
                standoff=4,
                font=dict(size=LABEL_FONT),
                bgcolor="rgba(255,255,255,0.92)",
                bordercolor="#888888",
                borderwidth=1,
                borderpad=2,
                name=f"design:{pname}",
            )
        )
    return out


# -- hover text ---------------------------------------------------------------------------

_SOFT = "#666666"
_POWER_BAND = ("power_lo_mw", "power_hi_mw")


def _join(a: np.ndarray, b: np.ndarray, sep: str) -> np.ndarray:
    """Element-wise ``a + sep + b``, leaving out empty pieces."""
    both = (a != "") & (b != "")
    return np.where(both, a + sep + b, np.where(a == "", b, a))


def _metric_text(space: Any, t: int, rows: np.ndarray, skip: set[str], sep: str) -> np.ndarray:
    """Each row's metrics as ``name: value unit``, joined by ``sep`` (missing values left out)."""
    frame = space.tasks[t].frame
    out = np.full(len(rows), "", dtype=object)
    for m in space.table.metric_columns:
        if m not in frame.columns or m in skip or m in _POWER_BAND:
            continue
        vals = frame[m].to_numpy(dtype=float)[rows]
        shown = np.array([with_value(m, v) for v in vals.tolist()], dtype=object)
        out = _join(out, np.where(np.isfinite(vals), shown, ""), sep)
    if all(c in frame.columns for c in _POWER_BAND):
        lo = frame[_POWER_BAND[0]].to_numpy(dtype=float)[rows]
        hi = frame[_POWER_BAND[1]].to_numpy(dtype=float)[rows]
        band = np.array(
            [
                f"power band: {fmt(a)}-{fmt(b)} mW"
                if np.isfinite(b)
                else f"power band: >= {fmt(a)} mW"
                for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
            ],
            dtype=object,
        )
        out = _join(np.where(np.isfinite(lo), band, ""), out, sep)
    return out


def _part_head(space: Any, t: int, rows: np.ndarray, shared: bool = True) -> np.ndarray:
    """One part of each design in words, and (greyed) the key values every row shares."""
    task = space.tasks[t]
    names, constant = part_text(task, rows)
    head = np.array(names, dtype=object)
    if not space.single:
        head = f"<b>{task.name}</b>: " + head
    if constant and shared:
        shared = " · ".join(f"{col}: {value}" for col, value in constant.items())
        head = head + f"<br><span style='color:{_SOFT}'>{shared}</span>"
    return head


def _broken(checks: list[tuple[str, str, np.ndarray, str, float]]) -> np.ndarray:
    """What each design breaks, in words (``breaks latency <= 16 ms (is 691 ms)``)."""
    out: np.ndarray | None = None
    for text, metric, values, op, limit in checks:
        prefix = text.split(": ", 1)[0] + ": " if ": " in text else ""
        name, unit = name_and_unit(metric)
        u = f" {unit}" if unit else ""
        with np.errstate(invalid="ignore"):
            bad = values > limit if op == "<=" else values < limit
        shown = np.array([fmt(v) for v in values.tolist()], dtype=object)
        piece = np.where(
            np.isnan(values),
            f"no value of {prefix}{name}",
            np.where(bad, f"breaks {prefix}{name} {op} {limit:g}{u} (is " + shown + f"{u})", ""),
        )
        out = piece if out is None else _join(out, piece, "<br>")
    return out if out is not None else np.zeros(0, dtype=object)


def _design_ids(scene: Scene) -> dict[tuple[int, ...], str]:
    """Plan design id of each design the plan holds, by its row positions."""
    return {tuple(rows.tolist()): did for did, rows in scene.data.plan_index.items()}


def hover_text(scene: Scene, panel: Panel, pts: Points) -> np.ndarray:
    """What hovering each point of a panel shows, as plotly HTML.

    A first line says what the point is: its plan id or label in bold and its
    status (on the Pareto front, dominated, or the limits it breaks); then the
    design in words, the values on the panel's axes and every metric, each with
    its unit.
    """
    from carin.result import limit_checks

    space = scene.data.space
    n = len(pts.x)
    kind = pts.kind
    line = scene.front_line[scene.panels.index(panel)]
    if panel.task is None:
        index = pts.rows
        ids = _design_ids(scene)
        names = np.array([ids.get(tuple(r), "") for r in index.tolist()], dtype=object)
        status = {
            "pareto": "on the Pareto front" if line else "in the Pareto set",
            "dominated": "feasible, dominated",
            "band": "power-band row: a plan for the power levels of its band only",
        }
        why = np.full(n, "", dtype=object)
        bad = kind == "infeasible"
        if bad.any():
            ev = space.evaluate(index[bad])
            reasons = _broken(limit_checks(space, index[bad], ev))
            missing = ~np.isfinite(ev.objectives).all(axis=1)
            reasons = np.where((reasons == "") & missing, "an objective has no value", reasons)
            why[bad] = reasons
    else:
        t = panel.task
        rows = pts.rows[:, 0]
        users: dict[int, list[str]] = {}
        for did, design in scene.data.plan_index.items():
            users.setdefault(int(design[t]), []).append(did)
        names = np.array([_few(users.get(r, [])) for r in rows.tolist()], dtype=object)
        status = {
            "pareto": "used by a Pareto design",
            "dominated": "meets its limits; in no Pareto design",
            "infeasible": "in no feasible design",
        }
        task = space.tasks[t]
        checks = [
            (f"{task.name}: {c.describe()}", c.target.metric, task.values(c.target.metric)[rows])
            + (c.op, c.value)
            for c in task.constraints
        ]
        why = _broken(checks) if checks else np.full(n, "", dtype=object)
    if panel.task is None:
        for pos, label in pts.labels.items():
            names[pos] = label
    state = np.array([status.get(k, "infeasible") for k in kind.tolist()], dtype=object)
    state = np.where(why != "", "infeasible:<br>" + why.astype(object), state)
    first = np.where(names != "", "<b>" + names.astype(object) + "</b> · " + state, state)
    axes = np.array(
        [
            f"<b>{with_value(panel.y, y)}</b><br><b>{with_value(panel.x, x)}</b>"
            for x, y in zip(pts.x.tolist(), pts.y.tolist(), strict=True)
        ],
        dtype=object,
    )
    if panel.task is None and not space.single:
        # the app-level values on the axes, then each part and all its metrics on a line
        text = first + "<br>" + axes
        for t in range(len(space.tasks)):
            rows = pts.rows[:, t]
            # the key values a task shares (its device, say) show in the task's own panel
            part = _join(
                _part_head(space, t, rows, shared=False),
                _metric_text(space, t, rows, set(), " · "),
                "<br>",
            )
            text = text + "<br>" + part
        return text
    t = 0 if panel.task is None else panel.task
    rows = pts.rows[:, 0]
    rest = _metric_text(space, t, rows, {base_metric(panel.x), base_metric(panel.y)}, "<br>")
    return _join(first + "<br>" + _part_head(space, t, rows) + "<br>" + axes, rest, "<br>")


def _few(ids: list[str], most: int = 6) -> str:
    """``d0, d2, d5``: the plan designs a part is in, the first few of them."""
    more = f" (+{len(ids) - most} more)" if len(ids) > most else ""
    return ", ".join(ids[:most]) + more


def _limit_hover(label: str, text: str, hard: bool) -> str:
    """Hover text of a limit line: the limit in words and what it means."""
    name, _unit = name_and_unit(label)
    what = "constraint: the shaded side is excluded" if hard else "anticipated budget"
    return f"{name} {text}<br>{what}"
