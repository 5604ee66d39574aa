"""Quality indicators of an approximate Pareto set against the exact one.

All indicators work in *normalised cost space*: every objective is turned into
a cost (maximised objectives negated) and scaled so that, on the exact front,
the best value (ideal) maps to 0 and the worst (nadir) to 1. An objective whose
exact-front values are all equal is scaled by ``max(|value|, 1)`` instead.

Reference point of the hypervolume: ``1.1`` in every normalised objective, i.e.
the nadir of the exact front plus 10 % of the front's range. Every exact-front
design then contributes volume, including the extreme ones; a design of an
approximate set that is worse than the exact nadir by more than 10 % of the
range in some objective contributes nothing.

* :func:`hypervolume_ratio`: HV(approx) / HV(exact); 1.0 when the approximation
  covers the exact front's objective vectors (moocore).
* :func:`igd_plus`: IGD+ of the approximation to the exact front (moocore);
  0.0 when every exact point is weakly dominated by the approximation.
* :func:`recovered`: the fraction of exact-front designs (row choices) found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import moocore
import numpy as np

from carin.pareto import hypervolume, nondominated

if TYPE_CHECKING:
    from carin.pareto import ParetoSet

__all__ = [
    "REFERENCE_MARGIN",
    "Normaliser",
    "Indicators",
    "compare",
    "hypervolume_ratio",
    "igd_plus",
    "recovered",
]

#: How far beyond the exact front's nadir the reference point lies, as a share of its range.
REFERENCE_MARGIN = 0.10


@dataclass(frozen=True)
class Normaliser:
    """Maps costs onto the exact front's [ideal, nadir] box.

    Attributes:
        ideal: Best cost per objective on the exact front.
        scale: Per objective, nadir - ideal (or ``max(|ideal|, 1)`` when zero).
    """

    ideal: np.ndarray
    scale: np.ndarray

    @classmethod
    def from_front(cls, exact_costs: np.ndarray) -> Normaliser:
        """Build from the exact front's costs (``(n, m)``, n >= 1)."""
        costs = np.asarray(exact_costs, dtype=np.float64)
        if costs.ndim != 2 or len(costs) == 0:
            raise ValueError("the exact front is empty; indicators need at least one design")
        ideal, nadir = costs.min(axis=0), costs.max(axis=0)
        span = nadir - ideal
        scale = np.where(span > 0, span, np.maximum(np.abs(ideal), 1.0))
        return cls(ideal=ideal, scale=scale)

    def __call__(self, costs: np.ndarray) -> np.ndarray:
        """Normalised costs."""
        costs = np.asarray(costs, dtype=np.float64).reshape(-1, len(self.ideal))
        return (costs - self.ideal) / self.scale

    @property
    def reference(self) -> np.ndarray:
        """The hypervolume reference point in normalised cost space."""
        return np.full(len(self.ideal), 1.0 + REFERENCE_MARGIN)

    def reference_costs(self) -> np.ndarray:
        """The same reference point in the objectives' own cost units."""
        return self.ideal + self.reference * self.scale


def hypervolume_ratio(costs: np.ndarray, exact_costs: np.ndarray) -> float:
    """Hypervolume of ``costs`` divided by that of the exact front (both normalised).

    Args:
        costs: ``(n, m)`` costs of the approximate set (may be empty).
        exact_costs: ``(p, m)`` costs of the exact front.
    """
    norm = Normaliser.from_front(exact_costs)
    exact_hv = _hv(norm(exact_costs), norm.reference)
    if len(costs) == 0 or exact_hv <= 0:
        return 0.0
    return _hv(norm(costs), norm.reference) / exact_hv


def _hv(points: np.ndarray, ref: np.ndarray) -> float:
    if len(points) == 0:
        return 0.0
    if points.shape[1] == 1:
        return float(max(0.0, ref[0] - points[:, 0].min()))
    inside = (points < ref).all(axis=1)
    points = points[inside]
    if len(points) == 0:
        return 0.0
    return hypervolume(points[nondominated(points)], ref)


def igd_plus(costs: np.ndarray, exact_costs: np.ndarray) -> float:
    """IGD+ (moocore) of ``costs`` to the exact front, in normalised cost space.

    Returns ``inf`` for an empty approximation.
    """
    if len(costs) == 0:
        return float("inf")
    norm = Normaliser.from_front(exact_costs)
    return float(moocore.igd_plus(norm(costs), ref=norm(exact_costs)))


def recovered(index: np.ndarray, exact_index: np.ndarray) -> float:
    """Fraction of exact-front designs (rows of ``exact_index``) that ``index`` contains."""
    exact = {tuple(r) for r in np.asarray(exact_index).tolist()}
    if not exact:
        return 1.0
    found = {tuple(r) for r in np.asarray(index).tolist()}
    return len(exact & found) / len(exact)


@dataclass(frozen=True)
class Indicators:
    """An approximate set scored against the exact front.

    Attributes:
        hv_ratio: Hypervolume ratio (1.0 = as good as exact).
        igd_plus: IGD+ (0.0 = every exact point weakly dominated).
        recovered: Fraction of exact-front designs found.
        size: Designs in the approximate set.
        exact_size: Designs in the exact front.
    """

    hv_ratio: float
    igd_plus: float
    recovered: float
    size: int
    exact_size: int


def compare(found: ParetoSet, exact: ParetoSet) -> Indicators:
    """Score ``found`` against ``exact`` (both from the same design space).

    Example:
        >>> from carin.solvers import get_solver  # doctest: +SKIP
        >>> exact = get_solver("rass").solve(space)  # doctest: +SKIP
        >>> compare(get_solver("pymoo-nsga2", budget=500).solve(space), exact).hv_ratio  # doctest: +SKIP
        0.97
    """
    return Indicators(
        hv_ratio=hypervolume_ratio(found.costs, exact.costs),
        igd_plus=igd_plus(found.costs, exact.costs),
        recovered=recovered(found.index, exact.index),
        size=len(found),
        exact_size=len(exact),
    )
