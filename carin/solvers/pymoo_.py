"""pymoo baselines: NSGA-II, NSGA-III and MixedVariableGA on a carin design space.

Each task of the space is one ``Choice`` variable (named after the task) whose
options are the task's row positions, so the algorithms use pymoo's mixed
variable operators (uniform crossover, random choice mutation, duplicate
elimination). Objectives are costs (every objective minimised; a maximised one
negated) and constraints are graded violations ``G <= 0``. The run uses pymoo's
ask-and-tell interface so the budget is exact: the last generation is cut to
the evaluations left. The result is the feasible, mutually non-dominated designs
among everything evaluated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from carin.solvers._baseline import BaselineSolver, Scorer, _Recorder

if TYPE_CHECKING:
    from carin.space import DesignSpace

__all__ = ["PymooNSGA2", "PymooNSGA3", "PymooMixedGA", "SOLVERS"]

#: Generations in a row without a new design after which a run stops early (the
#: algorithm has nothing new to try in a small space).
STALL_GENERATIONS = 20


def _problem(scorer: Scorer) -> Any:
    from pymoo.core.problem import Problem
    from pymoo.core.variable import Choice

    space = scorer.space
    variables = {t.name: Choice(options=np.arange(len(t))) for t in space.tasks}
    return Problem(
        vars=variables,
        n_obj=len(space.objectives),
        n_ieq_constr=scorer.n_constraints,
    )


class _PymooSolver(BaselineSolver):
    """Shared pymoo adapter; subclasses build the algorithm.

    Args:
        seed: Random seed (default 0).
        budget: Number of design evaluations (default 1000).
    """

    algorithm_label: ClassVar[str] = ""

    def population_size(self) -> int:
        """Population: 50, or budget/10 when smaller (at least 4)."""
        return max(4, min(50, self.budget // 10))

    def make_algorithm(self, n_obj: int) -> Any:
        """The pymoo algorithm of this solver."""
        raise NotImplementedError

    def _solve(self, space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
        from pymoo.core.evaluator import Evaluator
        from pymoo.core.termination import NoTermination
        from pymoo.problems.static import StaticProblem

        scorer = Scorer(space, condition)
        problem = _problem(scorer)
        algorithm = self.make_algorithm(len(space.objectives))
        algorithm.setup(problem, termination=NoTermination(), seed=self.seed, verbose=False)
        names = [t.name for t in space.tasks]
        recorder = _Recorder(len(names))
        left = self.budget
        seen: set[tuple[int, ...]] = set()
        stall = 0
        while left > 0 and stall < STALL_GENERATIONS:
            pop = algorithm.ask()
            if pop is None:  # the algorithm has terminated (e.g. a tiny space is exhausted)
                break
            if len(pop) == 0:
                stall += 1
                continue
            if len(pop) > left:
                pop = pop[:left]
            xs = pop.get("X")
            index = np.array([[int(x[n]) for n in names] for x in xs], dtype=np.int64)
            costs, viol, feasible = scorer(index)
            recorder.add(index, feasible)
            left -= len(index)
            if self.progress is not None:
                self.progress(self.budget - left, self.budget)
            fresh = {tuple(r) for r in index.tolist()} - seen
            seen |= fresh
            stall = 0 if fresh else stall + 1
            if left == 0:
                break
            Evaluator().eval(StaticProblem(problem, F=costs, G=viol), pop)
            algorithm.tell(infills=pop)
        index_out, evaluations, stats = self._finish(space, recorder.history())
        stats["algorithm"] = self.algorithm_label
        stats["stopped_early"] = left > 0
        return index_out, evaluations, stats


def _mixed_operators(selection: Any) -> dict[str, Any]:
    """Mixed-variable sampling, mating and duplicate elimination, keeping ``selection``.

    The algorithm's own parent selection is passed on, since pymoo's mixed-variable
    mating would otherwise select parents at random.
    """
    from pymoo.core.mixed import (
        MixedVariableDuplicateElimination,
        MixedVariableMating,
        MixedVariableSampling,
    )

    return {
        "sampling": MixedVariableSampling(),
        "mating": MixedVariableMating(
            selection=selection, eliminate_duplicates=MixedVariableDuplicateElimination()
        ),
        "eliminate_duplicates": MixedVariableDuplicateElimination(),
    }


class PymooNSGA2(_PymooSolver):
    """pymoo's NSGA2 (binary tournament, rank and crowding) with mixed-variable operators."""

    name = "pymoo-nsga2"
    algorithm_label = "NSGA2"

    def make_algorithm(self, n_obj: int) -> Any:  # noqa: D102
        from pymoo.algorithms.moo.nsga2 import NSGA2, binary_tournament
        from pymoo.operators.selection.tournament import TournamentSelection

        selection = TournamentSelection(func_comp=binary_tournament)
        return NSGA2(pop_size=self.population_size(), **_mixed_operators(selection))


def _cv_then_random(pop: Any, P: np.ndarray, random_state: Any = None, **kwargs: Any) -> Any:
    """NSGA3's binary tournament: the lower constraint violation wins, a tie or two
    feasible designs are decided at random, always with the algorithm's seeded
    generator. pymoo's own ``comp_by_cv_then_random`` (0.6.2) breaks a tie of two equal
    violations with a fresh unseeded generator, so two runs with the same seed could
    return different fronts."""
    from pymoo.operators.selection.tournament import compare

    S = np.empty(P.shape[0], dtype=int)
    for i in range(P.shape[0]):
        a, b = P[i, 0], P[i, 1]
        if pop[a].CV > 0.0 or pop[b].CV > 0.0:
            S[i] = compare(
                a,
                pop[a].CV,
                b,
                pop[b].CV,
                method="smaller_is_better",
                return_random_if_equal=True,
                random_state=random_state,
            )
        else:
            S[i] = random_state.choice([a, b])
    return S[:, None]


class PymooNSGA3(_PymooSolver):
    """pymoo's NSGA3 (Das-Dennis reference directions) with mixed-variable operators."""

    name = "pymoo-nsga3"
    algorithm_label = "NSGA3"

    def make_algorithm(self, n_obj: int) -> Any:  # noqa: D102
        from pymoo.algorithms.moo.nsga3 import NSGA3
        from pymoo.operators.selection.tournament import TournamentSelection
        from pymoo.util.ref_dirs import get_reference_directions

        pop = self.population_size()
        if n_obj == 1:
            ref_dirs = np.ones((1, 1))
        else:
            partitions = {2: pop - 1, 3: 8}.get(n_obj, 4)
            ref_dirs = get_reference_directions("das-dennis", n_obj, n_partitions=partitions)
        selection = TournamentSelection(func_comp=_cv_then_random)
        return NSGA3(ref_dirs=ref_dirs, pop_size=pop, **_mixed_operators(selection))


class PymooMixedGA(_PymooSolver):
    """pymoo's MixedVariableGA; with several objectives it keeps rank-and-crowding survival."""

    name = "pymoo-mixed"
    algorithm_label = "MixedVariableGA"

    def make_algorithm(self, n_obj: int) -> Any:  # noqa: D102
        from pymoo.core.mixed import MixedVariableGA

        if n_obj == 1:
            return MixedVariableGA(pop_size=self.population_size())
        from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

        return MixedVariableGA(pop_size=self.population_size(), survival=RankAndCrowding())


SOLVERS = (PymooNSGA2, PymooNSGA3, PymooMixedGA)
