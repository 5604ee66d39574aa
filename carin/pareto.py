"""Pareto sets: dominance, ranking by the spec's preference, and indicators.

Dominance and hypervolume use moocore; :func:`nondominated_reference` is a
plain numpy reference kept for tests and for the exhaustive solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

import moocore
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from carin.space import DesignSpace

__all__ = [
    "ParetoSet",
    "nondominated",
    "nondominated_reference",
    "dominated_by_any",
    "RankLevel",
    "rank_levels",
    "rank_order",
    "hypervolume",
]


def to_costs(values: np.ndarray, maximise: np.ndarray) -> np.ndarray:
    """Objective values turned into costs (every objective minimised)."""
    return np.where(np.asarray(maximise, dtype=bool), -values, values)


def nondominated(costs: np.ndarray) -> np.ndarray:
    """Mask of rows no other row dominates; identical rows are all kept (moocore)."""
    costs = np.asarray(costs, dtype=np.float64)
    if len(costs) == 0:
        return np.zeros(0, dtype=bool)
    if costs.shape[1] == 1:
        return costs[:, 0] == costs[:, 0].min()
    return moocore.is_nondominated(_finite(costs), keep_weakly=True)


def _finite(costs: np.ndarray) -> np.ndarray:
    """``costs`` with each column replaced by its dense ranks when it holds infinities.

    Dominance depends only on each column's order, and moocore needs finite values.
    """
    if np.isfinite(costs).all():
        return costs
    return _finite_ranks(costs)


def _finite_ranks(costs: np.ndarray) -> np.ndarray:
    """Each column of ``costs`` replaced by its dense ranks (0 = smallest)."""
    out = np.empty(costs.shape)
    for j in range(costs.shape[1]):
        out[:, j] = np.unique(costs[:, j], return_inverse=True)[1].reshape(-1)
    return out


def nondominated_reference(costs: np.ndarray, block: int = 256) -> np.ndarray:
    """Plain numpy reference of :func:`nondominated` (simple cull against a growing front).

    Kept for tests and the exhaustive solver so that they do not share code with
    the fast path. Rows are visited in lexicographic order, so a row can only be
    dominated by rows visited before it or in its own block.
    """
    costs = np.asarray(costs, dtype=np.float64)
    n = len(costs)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    order = np.lexsort(costs.T[::-1])
    front = np.zeros((0, costs.shape[1]))
    for start in range(0, n, block):
        chunk = order[start : start + block]
        chunk = chunk[~_dominated_blocks(costs[chunk], front)]
        c = costs[chunk]
        le = (c[:, None, :] <= c[None, :, :]).all(axis=2)  # le[i, j]: i weakly better than j
        lt = (c[:, None, :] < c[None, :, :]).any(axis=2)
        chunk = chunk[~(le & lt).any(axis=0)]
        keep[chunk] = True
        front = np.concatenate([front, costs[chunk]])
    return keep


def dominated_by_any(
    costs: np.ndarray, front: np.ndarray, chunk_cells: int = 4_000_000
) -> np.ndarray:
    """For each row of ``costs``, whether some row of ``front`` strictly dominates it.

    Exact for any values (``-inf``/``inf`` included). ``front`` is first cut to its
    distinct non-dominated rows (a row strictly dominated by the front is strictly
    dominated by one of those). One and two objectives then use a sort-and-search
    (prefix minima of the front sorted by the first cost; ``O((n + f) log f)``);
    three cut the front sorted by the first cost into about ``sqrt(f)`` blocks: a row
    looks up, in the whole blocks it reaches sorted by the second cost, the least third
    cost (one binary search), and is compared with each row of the block it reaches in
    part (``O(n (log f + sqrt f) + f^1.5 log f)``, in ``O(sqrt f)`` vectorised
    steps); four or more split the front at the median of the
    first cost (rows at or above it are then weakly dominated by the lower half
    exactly when the other costs are: one cost fewer), down to three costs or to
    vectorised blocks of at most ``chunk_cells`` cells.
    """
    costs = np.asarray(costs, dtype=np.float64)
    front = np.asarray(front, dtype=np.float64)
    if len(front) == 0 or len(costs) == 0:
        return np.zeros(len(costs), dtype=bool)
    m = costs.shape[1]
    if m == 1:
        return costs[:, 0] > front[:, 0].min()
    front = np.unique(front, axis=0)  # lexicographic order, duplicates dropped
    if len(front) > 1:
        front = front[moocore.is_nondominated(_finite(front), keep_weakly=False)]
    if m == 2:
        return _dominated_2d(costs, front)
    weak = _weakly_dominated(costs, front, chunk_cells)
    # the front is an antichain of distinct rows: a row it weakly dominates is strictly
    # dominated unless it is itself one of the front's rows
    pos = np.flatnonzero(weak)
    weak[pos] = ~_is_row_of(costs[pos], front)
    return weak


def _weakly_dominated(costs: np.ndarray, front: np.ndarray, chunk_cells: int) -> np.ndarray:
    """Whether some front row is <= each row in every cost (divide and conquer)."""
    n, m = costs.shape
    out = np.zeros(n, dtype=bool)
    if n == 0 or len(front) == 0:
        return out
    if m == 1:
        return costs[:, 0] >= front[:, 0].min()
    front = front[np.argsort(front[:, 0], kind="stable")]
    if m == 2:
        k = np.searchsorted(front[:, 0], costs[:, 0], side="right")
        prefix = np.concatenate([[np.inf], np.minimum.accumulate(front[:, 1])])
        return (k > 0) & (prefix[k] <= costs[:, 1])
    if m == 3:
        return _weakly_dominated_3d(costs, front)
    if len(front) * n <= min(chunk_cells, 20_000) or len(front) <= 16:
        return _dominated_blocks(costs, front, chunk_cells, strict=False)
    first = front[:, 0]
    if first[0] == first[-1]:  # one first cost: it settles nothing but which rows reach it
        at = np.flatnonzero(costs[:, 0] >= first[0])
        out[at] = _weakly_dominated(costs[at, 1:], front[:, 1:], chunk_cells)
        return out
    split = first[len(front) // 2 - 1]
    if split == first[-1]:  # the upper half must not be empty
        split = first[np.searchsorted(first, first[-1], side="left") - 1]
    lower, upper = front[first <= split], front[first > split]
    above = np.flatnonzero(costs[:, 0] >= split)
    out[above] = _weakly_dominated(costs[above, 1:], lower[:, 1:], chunk_cells)
    below = np.flatnonzero(costs[:, 0] < split)
    out[below] = _weakly_dominated(costs[below], lower, chunk_cells)
    rest = above[~out[above]]
    out[rest] = _weakly_dominated(costs[rest], upper, chunk_cells)
    return out


def _dominated_2d(costs: np.ndarray, front: np.ndarray) -> np.ndarray:
    f1, prefix = front[:, 0], np.minimum.accumulate(front[:, 1])
    le = np.searchsorted(f1, costs[:, 0], side="right")  # fronts with f1 <= c1
    lt = np.searchsorted(f1, costs[:, 0], side="left")  # fronts with f1 < c1
    pad = np.concatenate([[np.inf], prefix])
    # dominated: some f1 <= c1 with f2 < c2, or some f1 < c1 with f2 <= c2
    return ((le > 0) & (pad[le] < costs[:, 1])) | ((lt > 0) & (pad[lt] <= costs[:, 1]))


def _weakly_dominated_3d(costs: np.ndarray, front: np.ndarray, block: int = 0) -> np.ndarray:
    """Whether some front row is <= each row in all three costs (front sorted by cost 1).

    The front is cut along its first cost into blocks of ``block`` rows (default: about
    the square root of its size). A row reaches the front rows whose first cost is at
    most its own: some whole blocks, then part of the next one. Over the whole blocks
    it looks up, in those rows sorted by the second cost, the least third cost among
    the rows whose second cost is at most its own; the part block is compared row by row.
    """
    n, f = len(costs), len(front)
    out = np.zeros(n, dtype=bool)
    block = block or max(8, math.isqrt(f))
    reach = np.searchsorted(front[:, 0], costs[:, 0], side="right")
    whole = reach // block
    order = np.argsort(whole, kind="stable")
    bounds = np.searchsorted(whole[order], np.arange(f // block + 2), side="left")
    for b in range(1, f // block + 1):
        rows = order[bounds[b] : bounds[b + 1]]
        if len(rows):
            seen = front[: b * block]
            by2 = np.argsort(seen[:, 1], kind="stable")
            least3 = np.minimum.accumulate(seen[by2, 2])
            k = np.searchsorted(seen[by2, 1], costs[rows, 1], side="right")
            out[rows] = (k > 0) & (least3[np.maximum(k - 1, 0)] <= costs[rows, 2])
    part = np.flatnonzero(~out & (reach > whole * block))
    step = max(1, 250_000 // block)
    for s in range(0, len(part), step):
        rows = part[s : s + step]
        at = whole[rows, None] * block + np.arange(block)[None, :]
        live = at < reach[rows, None]
        at = np.minimum(at, f - 1)
        live &= front[at, 1] <= costs[rows, 1, None]
        live &= front[at, 2] <= costs[rows, 2, None]
        out[rows] = live.any(axis=1)
    return out


def _is_row_of(costs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Whether each row of ``costs`` equals one of ``rows`` (exact; hashed, then confirmed)."""
    from carin._lookup import KeyTable, tuple_keys

    table = KeyTable(tuple_keys([rows[:, j] for j in range(rows.shape[1])]))
    query, pos = table.matches(tuple_keys([costs[:, j] for j in range(costs.shape[1])]))
    same = (rows[pos] == costs[query]).all(axis=1)
    out = np.zeros(len(costs), dtype=bool)
    out[query[same]] = True
    return out


def _dominated_blocks(
    costs: np.ndarray, front: np.ndarray, chunk_cells: int = 4_000_000, strict: bool = True
) -> np.ndarray:
    """Plain vectorised check of every row against every front row (reference)."""
    out = np.zeros(len(costs), dtype=bool)
    if len(front) == 0 or len(costs) == 0:
        return out
    step = max(1, chunk_cells // max(1, len(front) * costs.shape[1]))
    for s in range(0, len(costs), step):
        c = costs[s : s + step, None, :]
        le = (front[None, :, :] <= c).all(axis=2)
        if strict:
            le &= (front[None, :, :] < c).any(axis=2)
        out[s : s + step] = le.any(axis=1)
    return out


@dataclass(frozen=True)
class Preference:
    """How designs are ordered: lexicographic, or a weighted sum of normalised costs.

    For ``weighted``, each objective's cost is scaled to [0, 1] between the best and
    worst value on the nominal Pareto front (``lo``/``hi``), so the order is a fixed
    total order that does not change when conditions shrink the feasible set.

    For ``lexicographic`` with tolerances (epsilon-lexicographic), an objective with
    tolerance ``t`` is first compared in steps of ``t`` counted from its best value on
    the nominal front (``lo``): values in ``[best, best + t]`` form step 0,
    ``(best + t, best + 2t]`` step 1, and so on (for costs; a maximised objective
    counts down from its best). Designs in the same step tie on that objective and the
    next objective decides; the exact values then break what remains. The steps are
    computed exactly on the decimals (``scale``: units per natural unit of each
    objective, ``tolerance``: the spec's tolerances, 0 = none).
    """

    method: str
    weights: np.ndarray
    lo: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hi: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tolerance: tuple[float, ...] = ()
    scale: tuple[int, ...] = ()

    def score(self, costs: np.ndarray) -> np.ndarray:
        """Weighted score (lower is better); only meaningful for ``weighted``."""
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        return ((costs - self.lo) / span * self.weights).sum(axis=1)

    def steps(self, costs: np.ndarray) -> list[np.ndarray]:
        """Per objective with a tolerance, each design's step (see the class docstring)."""
        from fractions import Fraction
        from math import ceil

        from carin._exact import as_decimal

        out = []
        for j, tol in enumerate(self.tolerance):
            if not tol:
                continue
            scale = self.scale[j]
            width = as_decimal(tol) * scale  # the tolerance in exact units
            best = round(float(self.lo[j]) * scale)
            step = []
            for c in costs[:, j]:
                if not np.isfinite(c):
                    step.append(2**62)
                    continue
                gap = Fraction(round(float(c) * scale) - best) / width
                step.append(ceil(gap) - 1 if gap > 0 else -ceil(-gap))
            out.append(np.array(step, dtype=np.int64))
        return out


def make_preference(space: DesignSpace, front_costs: np.ndarray) -> Preference:
    """The spec's preference, normalised on the nominal front's costs."""
    from carin.space import LATENCY

    weights = np.array([o.weight for o in space.objectives], dtype=np.float64)
    if len(front_costs):
        lo, hi = front_costs.min(axis=0), front_costs.max(axis=0)
    else:
        lo = hi = np.zeros(len(weights))
    tolerance = tuple(o.tolerance or 0.0 for o in space.objectives)
    scale: tuple[int, ...] = ()
    if any(tolerance):
        lat_scale = 10 ** space.places(LATENCY)
        scale = tuple(space.scale(o.target, lat_scale) for o in space.objectives)
    return Preference(space.spec.preference, weights, lo, hi, tolerance, scale)


class RankLevel(NamedTuple):
    """One column designs are ordered by (see :func:`rank_levels`).

    Attributes:
        kind: ``score`` (the weighted score), ``step`` (an objective's tolerance step),
            ``value`` (an objective's value, compared before any exact pass) or ``exact``
            (an objective's exact value, after the steps of every objective).
        objective: Position of the objective (-1 for the weighted score).
        values: One entry per design; lower ranks first.
    """

    kind: str
    objective: int
    values: np.ndarray


def rank_levels(costs: np.ndarray, preference: Preference) -> list[RankLevel]:
    """The columns :func:`rank_order` sorts by, most significant first (key text comes last).

    Two designs are ordered by the first level on which they differ, which is the
    objective that decided between them (``carin explain`` reports it).
    """
    m = costs.shape[1]
    values = [RankLevel("value", j, costs[:, j]) for j in range(m)]
    if preference.method == "weighted":
        return [RankLevel("score", -1, np.round(preference.score(costs), 12)), *values]
    if any(preference.tolerance) and len(costs):
        # each objective's step, then the exact values; the steps of objectives without a
        # tolerance are their values themselves
        steps = iter(preference.steps(costs))
        firsts = [
            RankLevel("step", j, next(steps)) if tol else values[j]
            for j, tol in enumerate(preference.tolerance)
        ]
        return firsts + [RankLevel("exact", j, costs[:, j]) for j in range(m)]
    return values


def rank_order(costs: np.ndarray, keys: np.ndarray, preference: Preference) -> np.ndarray:
    """Positions of the designs from best to worst.

    Lexicographic: by the first objective, ties by the second, and so on; with
    tolerances, by each objective's step first (:class:`Preference`). Weighted: by the
    weighted normalised score, ties lexicographically. Remaining ties are broken by
    the designs' key text, then by input order, so the order is total and
    deterministic. A design is never placed after one that dominates it.
    """
    columns = [np.arange(len(costs)), np.asarray(keys, dtype=str)]
    columns += [level.values for level in rank_levels(costs, preference)[::-1]]
    return np.lexsort(columns)


@dataclass(frozen=True, eq=False)
class ParetoSet:
    """The result of a solve: Pareto-optimal designs of a design space.

    Attributes:
        space: The design space solved.
        index: ``(n, k)`` row positions, one column per task.
        objectives: ``(n, m)`` nominal objective values (natural units).
        solver: Name of the solver that produced it.
        condition: The run-time condition it was solved under (None = nominal).
        evaluations: How many designs the solver scored.
        seconds: Wall time of the solve.
        exact: Whether the solver guarantees the exact front.
    """

    space: DesignSpace
    index: np.ndarray
    objectives: np.ndarray
    solver: str
    condition: dict | None = None
    evaluations: int = 0
    seconds: float = 0.0
    exact: bool = True
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def costs(self) -> np.ndarray:
        """Objective values as costs (all minimised)."""
        return to_costs(self.objectives, self.space.maximise)

    def keys(self) -> np.ndarray:
        """Key text of each design."""
        return self.space.design_keys(self.index)

    def sorted(self, preference: Preference) -> ParetoSet:
        """The same set ordered best first by ``preference``."""
        return self.take(rank_order(self.costs, self.keys(), preference))

    def canonical(self) -> ParetoSet:
        """Ordered by row positions, for comparing sets from different solvers."""
        order = np.lexsort(self.index.T[::-1]) if len(self.index) else np.zeros(0, dtype=int)
        return self.take(order)

    def take(self, order: np.ndarray) -> ParetoSet:
        """The designs at positions ``order``, everything else unchanged."""
        return replace(self, index=self.index[order], objectives=self.objectives[order])

    def to_frame(self) -> pd.DataFrame:
        """One row per design: key columns and every objective and constrained metric.

        Multi-DNN columns are prefixed by the task name (``detect.model``); app-level
        metrics keep their labels (``max(latency_ms)``).
        """
        return design_frame(self.space, self.index)

    def hypervolume(self, ref: np.ndarray) -> float:
        """Hypervolume of the set's costs against a reference point in cost space."""
        return hypervolume(self.costs, ref)


def design_frame(
    space: DesignSpace, index: np.ndarray, condition: dict | None = None
) -> pd.DataFrame:
    """Describe designs as a table: per-task keys and metrics, then app-level metrics."""
    from carin.profiles import KEY_COLUMNS

    index = np.asarray(index, dtype=np.int64).reshape(len(index), len(space.tasks))
    ev = space.evaluate(index, condition)
    cols: dict[str, np.ndarray] = {}
    single = space.single
    lat = space.part_latency(index)
    part_metrics = sorted(
        {o.target.metric for o in space.objectives}
        | {c.target.metric for c in space.constraints}
        | {c.target.metric for t in space.tasks for c in t.constraints}
    )
    for t, task in enumerate(space.tasks):
        prefix = "" if single else f"{task.name}."
        sub = task.frame.iloc[index[:, t]]
        for c in KEY_COLUMNS:
            if c in sub.columns:
                cols[prefix + c] = sub[c].to_numpy()
        if not single:
            for m in part_metrics:
                cols[prefix + m] = lat[:, t] if m == "latency_ms" else task.values(m)[index[:, t]]
        cols[prefix + "row"] = sub["_row"].to_numpy()
    for j, label in enumerate(space.objective_labels()):
        cols[label] = ev.objectives[:, j]
    for j, label in enumerate(space.constraint_labels()):
        if label not in cols:
            cols[label] = ev.constraints[:, j]
    return pd.DataFrame(cols)


def hypervolume(costs: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume (moocore) of cost vectors against ``ref``; points beyond ``ref`` add nothing."""
    costs = np.asarray(costs, dtype=np.float64)
    if len(costs) == 0:
        return 0.0
    return float(moocore.hypervolume(costs, ref=np.asarray(ref, dtype=np.float64)))
