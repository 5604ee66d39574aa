"""The matplotlib renderer of a :class:`~carin.report._scene.Scene` (PNG, SVG, PDF)."""

from __future__ import annotations

from typing import Any

import numpy as np

from carin.report._labels import place_line_labels, place_point_labels
from carin.report._scene import (
    BAND_GREY,
    BOUND,
    BUDGET,
    GREY,
    STATUS_NAMES,
    STYLE,
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

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p"]
LABEL_FONT = 7.5
LIMIT_FONT = 7.0
_SHADE = 0.07
#: Marker area of the ring around labelled designs.
RING = 130.0


def render(scene: Scene, zoom: bool) -> Any:
    """Draw the scene; returns a ``matplotlib.figure.Figure`` (Agg canvas attached)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    legend_beside = scene.legend_cell is None
    grid = scene.nrows > 1 and scene.legend_cell is not None
    cell_w, cell_h = (4.7, 4.0) if grid else (5.6, 4.4)
    legend_w = 3.0 if legend_beside else 0.0
    title_lines = 1 + bool(scene.notes)
    title_h = 0.3 + 0.22 * title_lines
    fig = Figure(figsize=(cell_w * scene.ncols + legend_w, cell_h * scene.nrows + title_h), dpi=100)
    FigureCanvasAgg(fig)
    grid_axes = fig.subplots(scene.nrows, scene.ncols, squeeze=False)
    used = {(p.row, p.col) for p in scene.panels}
    for r in range(scene.nrows):
        for c in range(scene.ncols):
            if (r, c) not in used:
                grid_axes[r][c].set_axis_off()
    any_zoom = False
    statuses: dict[str, set[str]] = {"pareto": set(), "dominated": set(), "infeasible": set()}
    kinds_of_limit: set[bool] = set()
    drawn_axes = []
    for panel, pts, line in zip(scene.panels, scene.points, scene.front_line, strict=True):
        ax = grid_axes[panel.row][panel.col]
        drawn_axes.append(ax)
        _draw_points(ax, scene, pts, statuses)
        ringed = [p for p in pts.labels if pts.finite[p]]
        if ringed:  # the plan's designs (and nearest misses) stand out even when faded
            ax.scatter(
                pts.x[ringed],
                pts.y[ringed],
                s=RING,
                facecolors="none",
                edgecolors="black",
                linewidths=0.9,
                zorder=5,
            )
            statuses.setdefault("ring", set()).add("")
        space = scene.data.space
        if line:
            order = front_order(pts, maximised(space, panel.x))
            style = step_style(space, panel)
            ax.plot(pts.x[order], pts.y[order], color="black", lw=1.1, zorder=3, drawstyle=style)
        focus = pts.focus
        for axis, values, label in (("x", pts.x, panel.x), ("y", pts.y, panel.y)):
            marks = [b[0] for b in bounds(space, label, panel.task)]
            scale, limits = view(values[pts.finite], focus[pts.finite], marks, zoom)
            if axis == "x":
                ax.set_xscale(scale)
                ax.set_xlim(*limits)
            else:
                ax.set_yscale(scale)
                ax.set_ylim(*limits)
            any_zoom |= zoomed(values[pts.finite], limits)
        for axis, label in (("x", panel.x), ("y", panel.y)):
            for value, _text, hard, op in bounds(space, label, panel.task):
                kinds_of_limit.add(hard)
                style = dict(color=BOUND if hard else BUDGET, lw=1.0, ls="--" if hard else ":")
                (ax.axvline if axis == "x" else ax.axhline)(value, zorder=2, **style)
                if hard:  # shade the side the limit excludes
                    lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
                    span = ax.axvspan if axis == "x" else ax.axhspan
                    excluded = (value, hi) if op == "<=" else (lo, value)
                    span(*excluded, color=BOUND, alpha=_SHADE, lw=0, zorder=0)
        ax.set_xlabel(axis_title(space, panel, "x"))
        ax.set_ylabel(axis_title(space, panel, "y"))
        ax.set_title(panel.title, fontsize=9.5)
        ax.grid(True, which="major", alpha=0.25)
    title = scene.title + (zoom_note(scene) if any_zoom else "")
    fig.suptitle(title + ("\n" + scene.notes if scene.notes else ""), fontsize=10.5)
    handles, labels, handler_map, headers = _legend_entries(scene, statuses, kinds_of_limit)
    # a legend taller than the figure goes to two columns (and, beside the grid, wider)
    rows_fit = int((fig.get_figheight() - 0.6) * 72 / 14)
    ncol = 1 if len(handles) <= rows_fit else 2
    if ncol == 2 and legend_beside:
        fig.set_figwidth(fig.get_figwidth() + 2.2)
        legend_w += 2.2
    legend_kw: dict[str, Any] = dict(
        handles=handles,
        labels=labels,
        handler_map=handler_map,
        fontsize=8,
        frameon=False,
        handlelength=2.6,
        ncols=ncol,
    )
    if legend_beside:
        legend = fig.legend(loc="center right", **legend_kw)
    else:
        r, c = scene.legend_cell  # type: ignore[misc]
        legend = grid_axes[r][c].legend(loc="center", **legend_kw)
    for text in legend.get_texts():
        if text.get_text() in headers:
            text.set_fontweight("bold")
    # tight_layout keeps room for the suptitle itself
    fig.tight_layout(rect=(0, 0, 1 - legend_w / fig.get_figwidth(), 1))
    renderer = fig.canvas.get_renderer()
    for ax, panel, pts, line in zip(
        drawn_axes, scene.panels, scene.points, scene.front_line, strict=True
    ):
        _label(ax, renderer, scene, panel, pts, line)
    return fig


def _draw_points(ax: Any, scene: Scene, pts: Points, statuses: dict[str, set[str]]) -> None:
    enc = scene.encoding
    groups = enc.groups(pts)
    colour, marker = groups.colour, groups.marker
    for kind, grey, sel in groups.grey:
        if not sel.any():
            continue
        style = STYLE[kind]
        ax.scatter(
            pts.x[sel],
            pts.y[sel],
            s=style["size"],
            c=grey,
            alpha=style["alpha"],
            linewidths=0,
            zorder=1,
            rasterized=sel.sum() > 2000,
        )
        statuses.setdefault(kind, set()).add("")
    for z, (kind, sel_kind) in enumerate(groups.coloured, start=1):
        style = STYLE[kind]
        for level in sorted(set(colour[sel_kind].tolist())):
            for shape in sorted(set(marker[sel_kind & (colour == level)].tolist())):
                sel = sel_kind & (colour == level) & (marker == shape)
                ax.scatter(
                    pts.x[sel],
                    pts.y[sel],
                    s=style["size"],
                    c=enc.colours.get(level, GREY),
                    alpha=style["alpha"],
                    marker=MARKERS[enc.markers.get(shape, 0) % len(MARKERS)],
                    zorder=z + 1 if kind != "pareto" else 4,
                    edgecolors="black" if style["edge"] else "none",
                    linewidths=style["edge"],
                    rasterized=sel.sum() > 2000,
                )
                statuses[kind].add(level)


def _legend_entries(
    scene: Scene, statuses: dict[str, set[str]], limits: set[bool]
) -> tuple[list[Any], list[str], dict[Any, Any], set[str]]:
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    enc = scene.encoding
    handles: list[Any] = []
    labels: list[str] = []
    headers: set[str] = set()
    handler_map: dict[Any, Any] = {}

    def header(text: str) -> None:
        handles.append(Line2D([], [], ls="", marker=""))
        labels.append(text)
        headers.add(text)

    def side_by_side(parts: list[Any], label: str) -> None:
        entry = tuple(parts)
        handles.append(entry)
        labels.append(label)
        handler_map[entry] = HandlerTuple(ndivide=len(parts), pad=0.0)

    shown = set().union(*statuses.values())
    levels = [lv for lv in enc.colours if lv in shown]
    if len(levels) > 1 or (levels and enc.colour not in enc.constant):
        header(enc.colour)
        for lv in levels:
            handles.append(
                Line2D([], [], ls="", marker="o", markersize=7, color=enc.colours[lv], mew=0)
            )
            labels.append(lv or "(none)")
    if enc.marker and len(enc.markers) > 1:
        header(" / ".join(enc.marker))
        for lv, i in enc.markers.items():
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="",
                    marker=MARKERS[i % len(MARKERS)],
                    markersize=7,
                    mfc="white",
                    mec="#333333",
                )
            )
            labels.append(lv or "(none)")
    header("status")
    line = any(scene.front_line)
    names = STATUS_NAMES | {
        "pareto": "Pareto front" if line else "Pareto set",
        "infeasible": "infeasible" if not enc.infeasible_coloured else "breaks a limit",
    }
    for kind in ("pareto", "dominated", "infeasible", "band"):
        if not statuses.get(kind):
            continue
        style = STYLE[kind]
        parts = []
        for lv in [lv for lv in enc.colours if lv in statuses[kind]] or [""]:
            coloured = kind in ("pareto", "dominated") or (
                kind == "infeasible" and enc.infeasible_coloured
            )
            grey = BAND_GREY if kind == "band" else GREY
            parts.append(
                Line2D(
                    [],
                    [],
                    ls="-" if (kind == "pareto" and line) else "",
                    color="black",
                    lw=1.1,
                    marker="o",
                    markersize=float(np.sqrt(style["size"])),
                    mfc=enc.colours.get(lv, GREY) if coloured else grey,
                    mec="black" if style["edge"] else "none",
                    mew=style["edge"],
                    alpha=style["alpha"] if kind != "pareto" else None,
                )
            )
        side_by_side(parts, names[kind])
    if statuses.get("ring"):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                markersize=float(np.sqrt(RING)),
                mfc="none",
                mec="black",
                mew=0.9,
            )
        )
        labels.append("plan design (labelled)" if scene.feasible else "nearest miss (labelled)")
    if True in limits:
        entry = (
            Patch(facecolor=BOUND, alpha=_SHADE, lw=0),
            Line2D([], [], ls="--", color=BOUND, lw=1.0),
        )
        handles.append(entry)
        labels.append("constraint (shaded: excluded)")
        handler_map[entry] = HandlerTuple(ndivide=None)
    if False in limits:
        handles.append(Line2D([], [], ls=":", color=BUDGET, lw=1.0))
        labels.append("anticipated budget")
    if enc.constant:
        header("same in every design")
        for col, level in enc.constant.items():
            handles.append(Line2D([], [], ls="", marker=""))
            labels.append(f"{col}: {level}")
    return handles, labels, handler_map, headers


def _label(ax: Any, renderer: Any, scene: Scene, panel: Any, pts: Points, line: bool) -> None:
    """Place the limit labels, then the design labels, so that no two boxes overlap."""
    from matplotlib.text import Text

    fig = ax.figure
    bbox = ax.get_window_extent(renderer)
    area = (bbox.x0, bbox.y0, bbox.x1, bbox.y1)
    frame = label_frame(
        scene, panel, pts, line, lambda x, y: ax.transData.transform(np.column_stack([x, y])), area
    )
    xy, obstacles = frame.xy, frame.obstacles
    limit_lines, limit_texts = frame.limit_lines, frame.limit_texts
    ok = pts.finite

    def size(text: str, fontsize: float) -> tuple[float, float]:
        t = Text(0, 0, text, fontsize=fontsize)
        t.set_figure(fig)
        ext = t.get_window_extent(renderer)
        p = 0.2 * fontsize * fig.dpi / 72
        return float(ext.width + 2 * p + 1), float(ext.height + 2 * p + 1)

    to_axes = ax.transAxes.inverted()
    limit_boxes = place_line_labels(
        limit_lines, [size(t, LIMIT_FONT) for t, _ in limit_texts], area, obstacles
    )
    for (text, colour), box in zip(limit_texts, limit_boxes, strict=True):
        cx, cy = to_axes.transform(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        ax.text(
            cx,
            cy,
            text,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=LIMIT_FONT,
            color=colour,
            zorder=6,
            bbox=dict(boxstyle=f"round,pad={0.2}", fc="white", ec="none", alpha=0.8),
        )
    order = [pos for pos in pts.labels if ok[pos]]  # the primary design first
    if not order:
        return
    anchors = xy[order]
    texts = [pts.labels[pos] for pos in order]
    boxes = place_point_labels(
        anchors, [size(t, LABEL_FONT) for t in texts], area, obstacles, taken=limit_boxes
    )
    for pos, text, box in zip(order, texts, boxes, strict=True):
        cx, cy = to_axes.transform(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        ax.annotate(
            text,
            (pts.x[pos], pts.y[pos]),
            xytext=(cx, cy),
            textcoords="axes fraction",
            ha="center",
            va="center",
            fontsize=LABEL_FONT,
            zorder=7,
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#888888", alpha=0.92),
            arrowprops=dict(arrowstyle="->", color="#444444", lw=0.7, shrinkA=0, shrinkB=3),
        )
