"""The exhaustive reference solver: score every design, keep the non-dominated ones.

It enumerates the full product of the tasks' candidates in chunks, scores each
chunk with :meth:`DesignSpace.evaluate` (the reference semantics) and keeps a
running front with the plain numpy dominance check, sharing no search code
with RASS. Exact but slow on large products; it exists to check RASS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from carin.pareto import nondominated_reference, to_costs
from carin.solvers._base import Solver

if TYPE_CHECKING:
    from carin.space import DesignSpace

CHUNK = 500_000


class ExhaustiveSolver(Solver):
    """Enumerate every design; exact reference for RASS."""

    name = "exhaustive"
    exact = True

    def _solve(self, space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
        sizes = [len(t) for t in space.tasks]
        total = int(np.prod(sizes, dtype=object))
        maximise = space.maximise
        front_idx = np.zeros((0, len(sizes)), dtype=np.int64)
        front_cost = np.zeros((0, len(space.objectives)))
        for start in range(0, total, CHUNK):
            flat = np.arange(start, min(total, start + CHUNK), dtype=np.int64)
            index = np.stack(np.unravel_index(flat, sizes), axis=1).astype(np.int64)
            ev = space.evaluate(index, condition)
            keep = ev.feasible
            cand_idx = np.concatenate([front_idx, index[keep]])
            cand_cost = np.concatenate([front_cost, to_costs(ev.objectives[keep], maximise)])
            mask = nondominated_reference(cand_cost)
            front_idx, front_cost = cand_idx[mask], cand_cost[mask]
        return front_idx, total, {"raw": total}


SOLVERS = (ExhaustiveSolver,)
