"""Label placement for the plots: boxes that overlap neither each other nor what matters.

Point-feature label placement in the cartographic way: every label gets a set of
candidate boxes (around its point at growing distances, then a grid over the
whole panel as a last resort; limit labels slide along their line), each
candidate a cost (points and lines it covers, weighted by importance, distance
from its point, leader lines it crosses), and labels are placed greedily in
priority order on the cheapest candidate that stays inside the panel and does
not overlap a label already placed. Everything is in display units (pixels,
``y`` up), so one placement serves matplotlib (measured text) and plotly
(estimated text at a nominal size). Deterministic: no randomness, ties broken by
candidate order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Distances (px) from a point to its label box that are tried, nearest first.
_RADII = (12.0, 20.0, 32.0, 48.0, 68.0, 95.0, 130.0, 175.0, 235.0, 300.0)
_ANGLES = np.deg2rad(np.arange(0.0, 360.0, 22.5))
#: Gap (px) kept between two label boxes and between a box and the panel's edge.
GAP = 2.0


@dataclass(frozen=True)
class Obstacles:
    """What labels should not cover, in display pixels.

    Attributes:
        points: ``(m, 2)`` marker centres.
        weights: ``(m,)`` cost of covering each point.
        vlines: ``(a, 3)`` vertical segments ``x, y0, y1``.
        hlines: ``(b, 3)`` horizontal segments ``y, x0, x1``.
        segments: ``(c, 4)`` other segments ``x0, y0, x1, y1`` (e.g. the front line).
    """

    points: np.ndarray
    weights: np.ndarray
    vlines: np.ndarray
    hlines: np.ndarray
    segments: np.ndarray

    @staticmethod
    def none() -> Obstacles:
        """No obstacles."""
        return Obstacles(
            np.zeros((0, 2)), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 4))
        )


def overlaps(a: np.ndarray, b: np.ndarray, gap: float = 0.0) -> np.ndarray:
    """Whether boxes ``a`` ``(n, 4)`` overlap boxes ``b`` ``(m, 4)`` (``x0, y0, x1, y1``).

    Returns:
        ``(n, m)`` booleans; boxes closer than ``gap`` count as overlapping.
    """
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    return (
        (a[:, None, 0] < b[None, :, 2] + gap)
        & (b[None, :, 0] < a[:, None, 2] + gap)
        & (a[:, None, 1] < b[None, :, 3] + gap)
        & (b[None, :, 1] < a[:, None, 3] + gap)
    )


def _inside(boxes: np.ndarray, area: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = area
    return (
        (boxes[:, 0] >= x0 + GAP)
        & (boxes[:, 1] >= y0 + GAP)
        & (boxes[:, 2] <= x1 - GAP)
        & (boxes[:, 3] <= y1 - GAP)
    )


def _cover_cost(boxes: np.ndarray, obs: Obstacles) -> np.ndarray:
    cost = np.zeros(len(boxes))
    if len(obs.points):
        px, py = obs.points[:, 0], obs.points[:, 1]
        pad = 3.0
        for start in range(0, len(boxes), 64):
            b = boxes[start : start + 64]
            inside = (
                (px[None, :] >= b[:, None, 0] - pad)
                & (px[None, :] <= b[:, None, 2] + pad)
                & (py[None, :] >= b[:, None, 1] - pad)
                & (py[None, :] <= b[:, None, 3] + pad)
            )
            cost[start : start + 64] = inside.astype(float) @ obs.weights
    if len(obs.vlines):
        cost += 12.0 * _line_crossings(boxes, obs.vlines, across=0)
    if len(obs.hlines):
        cost += 12.0 * _line_crossings(boxes, obs.hlines, across=1)
    if len(obs.segments):
        cost += 25.0 * _box_segment_hits(boxes, obs.segments).sum(axis=1)
    return cost


def _line_crossings(boxes: np.ndarray, lines: np.ndarray, across: int) -> np.ndarray:
    """How many axis-parallel lines cross each box's interior.

    ``lines`` rows are ``(position, start, end)``: vertical lines at x from y=start to
    y=end with ``across=0``, horizontal lines at y from x=start to x=end with ``across=1``.
    """
    pos, start, end = lines.T
    along = 1 - across
    hit = (
        (boxes[:, None, across] < pos[None, :])
        & (pos[None, :] < boxes[:, None, across + 2])
        & (boxes[:, None, along] < end[None, :])
        & (start[None, :] < boxes[:, None, along + 2])
    )
    return hit.sum(axis=1)


def _box_segment_hits(boxes: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """``(n, s)`` whether each segment passes through each box (sampled along the segment)."""
    t = np.linspace(0.0, 1.0, 9)
    xs = segs[:, 0, None] + (segs[:, 2] - segs[:, 0])[:, None] * t[None, :]
    ys = segs[:, 1, None] + (segs[:, 3] - segs[:, 1])[:, None] * t[None, :]
    inside = (
        (xs[None] >= boxes[:, None, None, 0])
        & (xs[None] <= boxes[:, None, None, 2])
        & (ys[None] >= boxes[:, None, None, 1])
        & (ys[None] <= boxes[:, None, None, 3])
    )
    return inside.any(axis=2)


def _crossings(p: np.ndarray, tips: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """How many of ``segs`` ``(s, 4)`` each segment ``p``-``tips[i]`` properly crosses."""
    if not len(segs) or not len(tips):
        return np.zeros(len(tips))
    a, b = segs[None, :, 0:2], segs[None, :, 2:4]
    q = tips[:, None, :]

    def side(u, v, w):  # type: ignore[no-untyped-def]
        return (v[..., 0] - u[..., 0]) * (w[..., 1] - u[..., 1]) - (v[..., 1] - u[..., 1]) * (
            w[..., 0] - u[..., 0]
        )

    pp = np.broadcast_to(p, q.shape)
    cross = (side(pp, q, a) * side(pp, q, b) < 0) & (side(a, b, pp) * side(a, b, q) < 0)
    return cross.sum(axis=1).astype(float)


def _leader_cover(p: np.ndarray, tips: np.ndarray, obs: Obstacles) -> np.ndarray:
    """Cost of the points each leader line from ``p`` to ``tips[i]`` passes over."""
    out = np.zeros(len(tips))
    if not len(obs.points) or not len(tips):
        return out
    rel = obs.points - p
    far = np.hypot(rel[:, 0], rel[:, 1]) > 6.0  # not the labelled point itself
    rel, weights = rel[far], obs.weights[far]
    for start in range(0, len(tips), 32):
        d = tips[start : start + 32] - p
        length2 = np.maximum((d * d).sum(axis=1), 1e-12)
        t = np.clip((rel @ d.T) / length2, 0.0, 1.0)  # (m, c)
        gx = rel[:, 0, None] - t * d[None, :, 0]
        gy = rel[:, 1, None] - t * d[None, :, 1]
        near = gx * gx + gy * gy < 16.0
        out[start : start + 32] = weights @ near
    return out


def _nearest_on_box(box: np.ndarray, point: np.ndarray) -> np.ndarray:
    return np.array(
        [np.clip(point[0], box[0], box[2]), np.clip(point[1], box[1], box[3])], dtype=float
    )


def _grid(size: tuple[float, float], area: tuple[float, float, float, float]) -> np.ndarray:
    w, h = size
    x0, y0, x1, y1 = area
    xs = np.arange(x0 + GAP + w / 2, x1 - GAP - w / 2 + 1e-9, max(w / 3, 4.0))
    ys = np.arange(y1 - GAP - h / 2, y0 + GAP + h / 2 - 1e-9, -max(h * 0.6, 4.0))
    if not len(xs) or not len(ys):
        return np.zeros((0, 2))
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def _around(anchor: np.ndarray, size: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate box centres around ``anchor`` and their distance from it."""
    w, h = size
    r = np.repeat(np.asarray(_RADII), len(_ANGLES))
    a = np.tile(_ANGLES, len(_RADII))
    ux, uy = np.cos(a), np.sin(a)
    cx = anchor[0] + ux * r + ux * w / 2
    cy = anchor[1] + uy * r + uy * h / 2
    return np.stack([cx, cy], axis=1), r


def _boxes(centres: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    w, h = size
    return np.stack(
        [
            centres[:, 0] - w / 2,
            centres[:, 1] - h / 2,
            centres[:, 0] + w / 2,
            centres[:, 1] + h / 2,
        ],
        axis=1,
    )


def place_point_labels(
    anchors: np.ndarray,
    sizes: list[tuple[float, float]],
    area: tuple[float, float, float, float],
    obstacles: Obstacles,
    taken: np.ndarray | None = None,
) -> np.ndarray:
    """Boxes for labels of points, in priority order (the first label chooses first).

    Args:
        anchors: ``(n, 2)`` the labelled points.
        sizes: Width and height of each label's box.
        area: The panel ``(x0, y0, x1, y1)``; boxes stay inside it.
        obstacles: Points and lines to avoid covering.
        taken: ``(k, 4)`` boxes already placed (e.g. limit labels) not to overlap.

    Returns:
        ``(n, 4)`` boxes ``x0, y0, x1, y1``.
    """
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    placed = [np.asarray(b, dtype=float) for b in (taken if taken is not None else [])]
    leaders: list[tuple[float, float, float, float]] = []
    out = np.zeros((len(anchors), 4))
    # every labelled point is an obstacle of high weight for every other label's box
    own = Obstacles(
        np.concatenate([obstacles.points, anchors]),
        np.concatenate([obstacles.weights, np.full(len(anchors), 400.0)]),
        obstacles.vlines,
        obstacles.hlines,
        obstacles.segments,
    )
    for i, (anchor, size) in enumerate(zip(anchors, sizes, strict=True)):
        centres, dist = _around(anchor, size)
        grid = _grid(size, area)
        gdist = np.hypot(grid[:, 0] - anchor[0], grid[:, 1] - anchor[1]) if len(grid) else []
        centres = np.concatenate([centres, grid])
        dist = np.concatenate([dist, gdist])
        boxes = _boxes(centres, size)
        ok = _inside(boxes, area)
        if placed:
            ok &= ~overlaps(boxes, np.array(placed), GAP).any(axis=1)
        if not ok.any():  # crowded beyond repair: least overlap
            ok = _inside(boxes, area) if _inside(boxes, area).any() else np.ones(len(boxes), bool)
        cand = np.flatnonzero(ok)
        cost = _cover_cost(boxes[cand], own) + 0.12 * dist[cand]
        # the cheapest boxes, with the cost of their leader line added
        pick = cand[np.argsort(cost, kind="stable")[:200]]
        base = np.sort(cost, kind="stable")[:200]
        tips = np.stack(
            [
                np.clip(anchor[0], boxes[pick, 0], boxes[pick, 2]),
                np.clip(anchor[1], boxes[pick, 1], boxes[pick, 3]),
            ],
            axis=1,
        )
        total = base + 150.0 * _crossings(anchor, tips, np.asarray(leaders).reshape(-1, 4))
        total += _leader_cover(anchor, tips, own)
        total += 25.0 * _crossings(anchor, tips, own.segments)
        if placed:
            lines = np.concatenate([np.broadcast_to(anchor, tips.shape), tips], axis=1)
            total += 150.0 * _box_segment_hits(np.array(placed), lines).sum(axis=0)
        best = pick[int(np.argmin(total))]
        out[i] = boxes[best]
        placed.append(boxes[best])
        tip = _nearest_on_box(boxes[best], anchor)
        leaders.append((anchor[0], anchor[1], tip[0], tip[1]))
    return out


def place_line_labels(
    lines: list[tuple[str, float]],
    sizes: list[tuple[float, float]],
    area: tuple[float, float, float, float],
    obstacles: Obstacles,
) -> np.ndarray:
    """Boxes for labels of limit lines: beside their line, as near its far end as free.

    Args:
        lines: ``("v", x)`` for a vertical line, ``("h", y)`` for a horizontal one.
        sizes: Width and height of each label's box.
        area: The panel ``(x0, y0, x1, y1)``.
        obstacles: Points and lines to avoid covering.

    Returns:
        ``(n, 4)`` boxes, placed in the order given.
    """
    x0, y0, x1, y1 = area
    placed: list[np.ndarray] = []
    out = np.zeros((len(lines), 4))
    for i, ((axis, value), (w, h)) in enumerate(zip(lines, sizes, strict=True)):
        if axis == "v":
            ys = np.arange(y1 - GAP - h / 2, y0 + GAP + h / 2 - 1e-9, -max(h / 2, 2.0))
            right = np.stack([np.full(len(ys), value + 3 + w / 2), ys], axis=1)
            left = np.stack([np.full(len(ys), value - 3 - w / 2), ys], axis=1)
            centres = np.stack([right, left], axis=1).reshape(-1, 2)
            dist = np.repeat(y1 - ys, 2)
        else:
            xs = np.arange(x1 - GAP - w / 2, x0 + GAP + w / 2 - 1e-9, -max(w / 4, 2.0))
            above = np.stack([xs, np.full(len(xs), value + 2 + h / 2)], axis=1)
            below = np.stack([xs, np.full(len(xs), value - 2 - h / 2)], axis=1)
            centres = np.stack([above, below], axis=1).reshape(-1, 2)
            dist = np.repeat(x1 - xs, 2)
        if not len(centres):
            centres, dist = np.array([[(x0 + x1) / 2, (y0 + y1) / 2]]), np.zeros(1)
        boxes = _boxes(centres, (w, h))
        ok = _inside(boxes, area)
        if placed:
            ok &= ~overlaps(boxes, np.array(placed), GAP).any(axis=1)
        if not ok.any():
            ok = np.ones(len(boxes), dtype=bool)
        cand = np.flatnonzero(ok)
        cost = _cover_cost(boxes[cand], obstacles) + 0.05 * dist[cand]
        best = cand[int(np.argmin(cost))]
        out[i] = boxes[best]
        placed.append(boxes[best])
    return out
