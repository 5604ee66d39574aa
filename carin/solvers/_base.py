"""The solver interface: every solver turns a DesignSpace into a ParetoSet."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from carin.pareto import ParetoSet

if TYPE_CHECKING:
    from carin.space import DesignSpace

__all__ = ["Solver"]


class Solver(ABC):
    """Base class of solvers.

    Subclasses implement :meth:`_solve`; :meth:`solve` times it and packs the
    result. A solver returns feasible designs only (under the given condition),
    none of which dominates another.

    Attributes:
        name: Registry name, used by ``carin solve --solver``.
        exact: Whether the solver guarantees the exact Pareto set.
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False

    def __init__(self, *, seed: int | None = None, budget: int | None = None) -> None:
        self.seed = seed
        self.budget = budget

    def solve(self, space: DesignSpace, *, condition: dict | None = None) -> ParetoSet:
        """Solve ``space`` at nominal conditions, or under ``condition``.

        Args:
            space: The compiled design space.
            condition: Optional run-time condition set (docs/plan-format.md); the
                objectives stay nominal, feasibility is judged under the condition.

        Returns:
            The Pareto set found, in canonical (row) order.
        """
        start = time.perf_counter()
        index, evaluations, stats = self._solve(space, dict(condition or {}))
        seconds = time.perf_counter() - start
        index = np.asarray(index, dtype=np.int64).reshape(-1, len(space.tasks))
        objectives = (
            space.evaluate(index).objectives if len(index) else np.zeros((0, len(space.objectives)))
        )
        return ParetoSet(
            space=space,
            index=index,
            objectives=objectives,
            solver=self.name,
            condition=condition or None,
            evaluations=int(evaluations),
            seconds=seconds,
            exact=self.exact,
            stats=stats,
        ).canonical()

    @abstractmethod
    def _solve(self, space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
        """Return ``(index (n, k), designs evaluated, stats)`` of the Pareto designs."""
