"""What the baseline (non-exact) solvers share: scoring, constraint violations, history.

A baseline sees a design space as one categorical variable per task (which of the
task's rows to run) and scores designs only through :meth:`DesignSpace.evaluate`,
the same reference semantics RASS must agree with. Each baseline records every
design it scored (:class:`History`) and returns the feasible, mutually
non-dominated designs among them, so its output is a subset of the space that
a user can compare with the exact front.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from carin.errors import CarinError
from carin.pareto import nondominated, to_costs
from carin.solvers._base import Solver
from carin.space import LATENCY

if TYPE_CHECKING:
    from carin.space import DesignSpace

__all__ = ["BaselineSolver", "History", "Scorer", "PENALTY", "progress_bar"]

#: Most evaluations a baseline may be asked for (at a millisecond each, over a day).
MAX_BUDGET = 100_000_000

#: Cost given to an objective a design has no value for (the design is infeasible anyway).
PENALTY = 1e12


@dataclass
class History:
    """Every design a baseline scored, in the order it scored them.

    Attributes:
        index: ``(n, k)`` row positions, one per evaluation (repeats included).
        seconds: ``(n,)`` wall time since the solve started when each was scored.
        feasible: ``(n,)`` feasibility under the solve's condition.
    """

    index: np.ndarray
    seconds: np.ndarray
    feasible: np.ndarray

    def __len__(self) -> int:
        return len(self.index)


@dataclass
class _Recorder:
    k: int
    start: float = field(default_factory=time.perf_counter)
    index: list[np.ndarray] = field(default_factory=list)
    seconds: list[np.ndarray] = field(default_factory=list)
    feasible: list[np.ndarray] = field(default_factory=list)

    def add(self, index: np.ndarray, feasible: np.ndarray, at: float | None = None) -> None:
        now = time.perf_counter() - self.start if at is None else at
        self.index.append(np.asarray(index, dtype=np.int64).reshape(-1, self.k))
        self.seconds.append(np.full(len(index), now))
        self.feasible.append(np.asarray(feasible, dtype=bool))

    def history(self) -> History:
        if not self.index:
            return History(np.zeros((0, self.k), np.int64), np.zeros(0), np.zeros(0, bool))
        return History(
            np.concatenate(self.index), np.concatenate(self.seconds), np.concatenate(self.feasible)
        )


class Scorer:
    """Scores designs for an optimiser: costs, graded constraint violations, feasibility.

    Violations are relative excesses (``(value - limit) / max(|limit|, 1e-9)`` for an
    upper limit), one per app-level constraint, then one summing the task limits,
    then one that is 1 when the design is infeasible for another reason (a missing
    value, or the condition's unavailable processors, budgets or power). A design is
    feasible exactly when every violation is <= 0, which always agrees with
    :meth:`DesignSpace.evaluate`.

    Args:
        space: The design space.
        condition: The run-time condition (``{}`` for nominal).
    """

    def __init__(self, space: DesignSpace, condition: dict) -> None:
        self.space = space
        self.condition = condition
        self.sizes = [len(t) for t in space.tasks]
        self.maximise = space.maximise
        self.n_constraints = len(space.constraints) + 2

    def __call__(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score ``(n, k)`` designs.

        Returns:
            ``(costs (n, m), violations (n, c), feasible (n,))``; costs are finite
            (a missing value is replaced by :data:`PENALTY`).
        """
        space = self.space
        index = np.asarray(index, dtype=np.int64).reshape(-1, len(space.tasks))
        ev = space.evaluate(index, self.condition)
        costs = to_costs(ev.objectives, self.maximise)
        costs = np.where(np.isnan(costs), PENALTY, costs)
        viol = np.zeros((len(index), self.n_constraints))
        for j, c in enumerate(space.constraints):
            viol[:, j] = _excess(ev.constraints[:, j], c.op, c.value)
        if any(t.constraints for t in space.tasks):
            lat = space.part_latency(index, self.condition)
            for t, task in enumerate(space.tasks):
                for c in task.constraints:
                    if c.target.metric == LATENCY:
                        v = lat[:, t]
                    else:
                        v = task.values(c.target.metric)[index[:, t]]
                    viol[:, -2] += np.maximum(_excess(v, c.op, c.value), 0.0)
        graded_ok = (viol[:, :-1] <= 0).all(axis=1)
        viol[:, -1] = np.where(~ev.feasible & graded_ok, 1.0, 0.0)
        viol[ev.feasible] = np.minimum(viol[ev.feasible], 0.0)
        return costs, viol, ev.feasible


def _excess(values: np.ndarray, op: str, limit: float) -> np.ndarray:
    scale = max(abs(limit), 1e-9)
    out = (values - limit) / scale if op == "<=" else (limit - values) / scale
    return np.where(np.isnan(out), 1.0, out)


def progress_bar(label: str, stream: Any = None) -> Callable[[int, int], None] | None:
    """A terminal progress bar with an ETA for a search, or None when not on a terminal.

    Reuses the profiler's bar; redraws at most ten times a second. Piped or redirected
    output stays quiet.
    """
    stream = sys.stderr if stream is None else stream
    if not getattr(stream, "isatty", lambda: False)():
        return None
    from carin.profiler._progress import Progress

    bar = Progress(total=1, stream=stream)
    start = time.monotonic()
    last = [-1.0]

    def update(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        rate = done / max(now - start, 1e-9)
        eta = f"ETA {(total - done) / rate:.0f}s" if 0 < done < total else ""
        bar.update(max(done, 1), total, f"{label} {eta}".rstrip())

    return update


class BaselineSolver(Solver):
    """Base of the Optuna and pymoo adapters: budget, seed, history, final filter.

    Args:
        seed: Random seed (default 0, so runs are reproducible unless asked otherwise).
        budget: Number of design evaluations (default :attr:`default_budget`).
        progress: Called with (evaluations done, budget) as the search goes (see
            :func:`progress_bar`).

    Attributes:
        history: Every design scored by the last :meth:`solve` (None before one).
    """

    exact = False
    default_budget: ClassVar[int] = 1000

    def __init__(
        self,
        *,
        seed: int | None = None,
        budget: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        budget = self.default_budget if budget is None else budget
        if isinstance(budget, bool) or not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
            shown = budget if len(str(budget)) <= 20 else f"a number with {len(str(budget))} digits"
            raise CarinError(
                f"solver {self.name}: --budget must be a whole number from 1 to {MAX_BUDGET:,} "
                f"(got {shown})"
            )
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32
        ):
            shown = seed if len(str(seed)) <= 20 else f"a number with {len(str(seed))} digits"
            raise CarinError(
                f"solver {self.name}: --seed must be a whole number from 0 to 2**32 - 1 "
                f"(got {shown})"
            )
        super().__init__(seed=0 if seed is None else seed, budget=budget)
        self.history: History | None = None
        self.progress = progress

    def _finish(self, space: DesignSpace, history: History) -> tuple[np.ndarray, int, dict]:
        """The feasible, mutually non-dominated designs among everything scored."""
        self.history = history
        idx = history.index[history.feasible]
        if len(idx):
            idx = np.unique(idx, axis=0)
        if len(idx):
            costs = to_costs(space.evaluate(idx).objectives, space.maximise)
            idx = idx[nondominated(costs)]
        unique = len(np.unique(history.index, axis=0)) if len(history) else 0
        stats = {
            "raw": space.raw_size,
            "evaluations": len(history),
            "unique_evaluations": int(unique),
            "feasible_evaluations": int(history.feasible.sum()),
            "seed": self.seed,
            "budget": self.budget,
        }
        return idx, len(history), stats
