"""The solve facade: spec -> design space -> Pareto set -> ranked designs and plan."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carin._files import atomic_write
from carin._result_dir import check_result_file, csv_bytes, load_result_dir, write_result_dir
from carin.errors import InfeasibleError, SearchIncompleteError
from carin.pareto import (
    ParetoSet,
    Preference,
    make_preference,
)
from carin.plan import arrange_designs, build_plan, ineffective_conditions, round_sig
from carin.solvers import Solver, get_solver
from carin.space import DesignSpace, compile_space, indistinguishable_rows
from carin.spec import Spec, load_spec

if TYPE_CHECKING:
    from carin.space import Evaluation

__all__ = [
    "Result",
    "check_plan",
    "check_result_file",
    "load_result_dir",
    "nearest_misses",
    "solve",
    "write_csv",
    "write_result_dir",
]


@dataclass(eq=False)
class Result:
    """Everything a solve produced.

    Attributes:
        spec: The spec solved.
        space: Its compiled design space.
        front: The nominal Pareto set, ranked best first.
        preference: The order used to rank designs.
        designs: ``(n, k)`` row positions of every plan design, best first.
        conditions: ``(condition set, position in designs or None)`` per anticipated
            condition.
        plan: The ``carin-plan/1`` dict.
        timings: Seconds spent compiling, solving and solving the conditions.
        options: The solver options that change its answer (``budget``, ``seed``), as
            given; recorded in ``summary.json``.
        warnings: Things about the spec or the solve a user should know (an
            anticipated condition that changes nothing, say); ``carin solve``
            prints them on standard error.
    """

    spec: Spec
    space: DesignSpace
    front: ParetoSet
    preference: Preference
    designs: np.ndarray
    conditions: list[tuple[dict, int | None]]
    plan: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        """A one-line summary (the whole record would print every design and table row).

        Example:
            >>> import carin
            >>> carin.solve("spaces/phone-classifier.yaml")
            Result('phone-classifier': 5 Pareto designs of 73 (rass, exact), plan of 8 designs, 11 conditions, primary d0 = convnext_base w8a16 npu)
        """
        from carin.report._format import plural

        primary = self.primary
        what = "none"
        if primary is not None:
            parts = []
            for p in primary["parts"]:
                cfg = p["config"]
                bits = [str(cfg.get("model", "?")), str(cfg.get("precision", "")), p["processor"]]
                parts.append(" ".join(b for b in bits if b))
            what = f"{primary['id']} = {' | '.join(parts)}"
        exact = ", exact" if self.front.exact else ""
        return (
            f"Result({self.spec.name!r}: {plural(len(self.front), 'Pareto design')} of "
            f"{self.space.raw_size:,} ({self.front.solver}{exact}), plan of "
            f"{plural(len(self.designs), 'design')}, {plural(len(self.conditions), 'condition')}, "
            f"primary {what})"
        )

    @property
    def pareto(self) -> pd.DataFrame:
        """The Pareto set as a table, best-ranked first.

        Column ``id`` is the design's id in the plan (``d3``) and ``rank`` its rank
        there (3): the plan also holds designs only a condition needs, so the ranks of
        the Pareto designs may skip those.

        Example:
            >>> import carin
            >>> result = carin.solve("spaces/phone-classifier.yaml")
            >>> result.pareto.columns[:4].tolist()
            ['id', 'rank', 'model', 'precision']
        """
        position = {tuple(r): i for i, r in enumerate(self.designs.tolist())}
        ranks = np.array([position[tuple(r)] for r in self.front.index.tolist()], dtype=np.int64)
        frame = self.front.to_frame()
        frame.insert(0, "rank", ranks)
        frame.insert(0, "id", [f"d{r}" for r in ranks])
        return frame

    @property
    def primary(self) -> dict[str, Any] | None:
        """The plan's design to start with (None when nothing is feasible)."""
        pid = self.plan.get("primary")
        return next((d for d in self.plan["designs"] if d["id"] == pid), None)

    def summary(self) -> dict[str, Any]:
        """Counts, timings and the chosen design, as written to ``summary.json``."""
        space = self.space
        return {
            "name": self.spec.name,
            "spec": str(Path(self.spec.path).absolute()) if self.spec.path is not None else None,
            "solver": self.front.solver,
            "solver_options": self.options,
            "exact": self.front.exact,
            "tasks": {t.name: len(t) for t in space.tasks},
            "raw_designs": space.raw_size,
            "evaluations": self.front.evaluations,
            "pareto_designs": len(self.front),
            "plan_designs": len(self.designs),
            "conditions": len(self.conditions),
            "conditions_without_design": sum(1 for _, p in self.conditions if p is None),
            "objectives": space.objective_labels(),
            "constraints": [c.describe(space.single) for c in space.constraints],
            "preference": self.spec.preference,
            "primary": self.primary,
            "feasible": True,
            "timings_s": {k: round(v, 6) for k, v in self.timings.items()},
        }

    def save(self, out_dir: str | Path) -> None:
        """Write ``pareto.csv``, ``plan.json`` and ``summary.json`` into ``out_dir``.

        The three files replace an earlier solve's as one set (see
        :func:`write_result_dir`): a reader sees either the old set or the new one.
        """
        write_result_dir(out_dir, summary=self.summary(), plan=self.plan, pareto=self.pareto)

    def plot(self, out: str | Path | None = None, **kwargs: Any) -> Any:
        """Plot the front; write it to ``out`` (``.png`` or ``.html``) when given.

        Keywords ``x``, ``y``, ``kind``, ``max_points`` and ``seed`` are those of
        :func:`carin.report.plots.plot_front`.

        Returns:
            A matplotlib Figure (PNG, the default) or a plotly Figure (HTML).

        Example:
            >>> import carin
            >>> fig = carin.solve("spaces/local-litert.yaml").plot(kind="html")
            >>> {t.meta["kind"] for t in fig.data} >= {"pareto", "front", "infeasible"}
            True
        """
        from carin import report

        return report.plot_result(self, out, **kwargs)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table atomically; floats in full (shortest text that reads back the same)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, csv_bytes(frame))


def _as_spec(spec: Spec | str | Path) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec)


def solve(
    spec: Spec | str | Path,
    *,
    solver: str | Solver = "rass",
    space: DesignSpace | None = None,
    **solver_options: Any,
) -> Result:
    """Solve an SLO spec: the ranked Pareto set, a design per anticipated condition, a plan.

    Args:
        spec: A spec or the path of its YAML file.
        solver: Solver name (``rass``, ``exhaustive``, or a baseline) or instance.
            Designs for anticipated conditions are always solved by RASS, so the plan
            is exact whichever solver produced the nominal front.
        space: A precompiled design space (optional).
        **solver_options: Passed to the solver's constructor (``seed``, ``budget``).

    Returns:
        The :class:`Result`.

    Raises:
        SpecError, ProfileError: Invalid input (exit code 2 in the CLI).
        InfeasibleError: No design meets the constraints (exit code 3); its message
            lists the nearest misses.
        SearchIncompleteError: A non-exact (baseline) solver found no feasible design
            although some exist (exit code 4).

    Example:
        >>> import carin
        >>> result = carin.solve("spaces/phone-classifier.yaml")
        >>> result.plan["format"]
        'carin-plan/1'
    """
    spec = _as_spec(spec)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if space is None:
        space = compile_space(spec)
    timings["compile"] = time.perf_counter() - t0
    engine = solver if isinstance(solver, Solver) else get_solver(solver, **solver_options)
    front = engine.solve(space)
    timings["solve"] = front.seconds
    if len(front) == 0 and not engine.exact:
        exact_front = get_solver("rass").solve(space)
        if len(exact_front):
            raise SearchIncompleteError(
                f"{space.spec.path or space.spec.name}: {engine.name} found no feasible design "
                f"in {front.evaluations:,} evaluations, but the space has "
                f"{len(exact_front)} Pareto-optimal feasible designs (--solver rass finds them "
                "exactly); raise --budget or use --solver rass"
            )
    if len(front) == 0:
        misses = nearest_misses(space)
        raise InfeasibleError(_infeasible_message(space, misses), misses=misses)

    preference = make_preference(space, front.costs)
    front = front.sorted(preference)
    exact = engine if engine.exact else get_solver("rass")
    t1 = time.perf_counter()
    chosen: list[tuple[dict, np.ndarray | None]] = []
    for cond in spec.anticipate.condition_sets():
        cf = exact.solve(space, condition=cond)
        if not len(cf) and cond.get("power_mw") is not None and space.has_overall_power_rows:
            # no plan meets the SLO in this power band: the best overall one, which is what
            # the Switcher runs where no design of the plan holds the power level
            cf = exact.solve(space, condition={**cond, "power_mw": None})
        chosen.append((cond, cf.sorted(preference).index[0] if len(cf) else None))
    # safe fallback: the best design that needs only the CPU
    others = [p for p in space.processors if p != "cpu"]
    fallback_row = None
    if "cpu" in space.processors:
        fb = exact.solve(space, condition={"unavailable": others} if others else {})
        if len(fb):
            fallback_row = fb.sorted(preference).index[0]
    timings["conditions"] = time.perf_counter() - t1

    arranged = arrange_designs(space, front, chosen, fallback_row, preference)
    front, designs, conditions = arranged.front, arranged.designs, arranged.conditions
    plan = build_plan(space, designs, arranged.pareto, 0, arranged.fallback, conditions)
    check_plan(plan, source=spec.path or spec.name)
    return Result(
        spec=spec,
        space=space,
        front=front,
        preference=preference,
        designs=designs,
        conditions=conditions,
        plan=plan,
        timings=timings,
        options={k: v for k, v in solver_options.items() if k in ("budget", "seed")},
        warnings=[
            *indistinguishable_rows(space, designs),
            *arranged.notes,
            *ineffective_conditions(space),
        ],
    )


def check_plan(plan: dict[str, Any], *, source: Any = "plan") -> None:
    """Refuse a plan the runtime would not load as written, or would decide differently.

    Every plan :func:`solve` returns (and so every plan ``carin solve`` writes) passes
    the runtime's validator and makes the same decision for each anticipated condition
    as the plan's own table, so ``carin switch`` and an app accept it.

    Raises:
        PlanError: naming the field and why; nothing has been written then.
    """
    from carin.errors import PlanError
    from carin.runtime import Switcher

    try:
        text = json.dumps(plan, allow_nan=False)
        switcher = Switcher(plan=json.loads(text))
    except (ValueError, PlanError) as exc:  # ValueError: NaN or inf in the plan
        raise PlanError(
            f"{source}: the plan computed is not one the runtime accepts ({exc}); nothing "
            "was written. This is a bug in carin: please report it with the spec."
        ) from None
    if switcher.cache_mismatches:
        raise PlanError(
            f"{source}: the plan's condition table disagrees with the runtime's decision "
            f"({'; '.join(switcher.cache_mismatches[:3])}); nothing was written. This is a "
            "bug in carin: please report it with the spec."
        )


def limit_checks(
    space: DesignSpace, index: np.ndarray, ev: Evaluation | None = None
) -> list[tuple[str, str, np.ndarray, str, float]]:
    """Every limit of the spec and each design's value of it (nominal conditions).

    Args:
        space: The design space.
        index: ``(n, k)`` row positions.
        ev: ``space.evaluate(index)`` when already computed.

    Returns:
        ``(text, metric, values, op, limit)`` per app-level constraint, then per task
        limit (``detect: accuracy >= 38`` in a multi-DNN spec); ``metric`` is the label
        whose unit the values carry.
    """
    if ev is None:
        ev = space.evaluate(index)
    out: list[tuple[str, str, np.ndarray, str, float]] = []
    for j, c in enumerate(space.constraints):
        label = c.target.label(space.single)
        out.append((c.describe(space.single), label, ev.constraints[:, j], c.op, c.value))
    if not any(task.constraints for task in space.tasks):
        return out
    lat = space.part_latency(index)
    for t, task in enumerate(space.tasks):
        for c in task.constraints:
            v = (
                lat[:, t]
                if c.target.metric == "latency_ms"
                else task.values(c.target.metric)[index[:, t]]
            )
            text = c.describe() if space.single else f"{task.name}: {c.describe()}"
            out.append((text, c.target.metric, v, c.op, c.value))
    return out


def nearest_misses(space: DesignSpace, limit: int = 5) -> list[dict[str, Any]]:
    """Designs closest to feasible, with each broken constraint and by how much.

    Closeness is the sum over broken limits of the relative excess
    ``|value - limit| / max(|limit|, 1e-9)``. Single-DNN specs scan every
    configuration; multi-DNN specs scan the Pareto set of the spec without its
    constraints (the designs that trade best), found by RASS. On power-banded
    tables only the overall rows are candidates (as in the solve without a power
    level), so every miss breaks at least one constraint.
    """
    from dataclasses import replace

    if space.single:
        index = np.arange(len(space.tasks[0]))[:, None]
    else:
        relaxed_spec = replace(
            space.spec,
            constraints=(),
            tasks=tuple(replace(t, constraints=()) for t in space.spec.tasks),
        )
        relaxed = compile_space(relaxed_spec, space.table)
        index = get_solver("rass").solve(relaxed).index
        if len(index) == 0:
            return []
    # on power-banded tables only the overall rows compete without a power level
    index = index[space.condition_mask(index, {})]
    ev = space.evaluate(index)
    checks = [(label, v, op, lim) for label, _metric, v, op, lim in limit_checks(space, index, ev)]
    if not checks:
        return []
    excess = np.zeros(len(index))
    unknown = ~np.isfinite(ev.objectives).all(axis=1)
    for _, v, op, lim in checks:
        over = (v - lim) if op == "<=" else (lim - v)
        unknown |= np.isnan(v)
        excess += np.where(over > 0, over, 0.0) / max(abs(lim), 1e-9)
    excess[unknown] = np.inf
    order = np.lexsort((np.arange(len(index)), excess))[:limit]
    order = order[np.isfinite(excess[order])]
    out = []
    keys = space.design_keys(index[order])
    # 'design' is the key plots and explain find the design by; 'label' is what people read
    labels = _miss_labels(space, index[order])
    for pos, key, text in zip(order, keys, labels, strict=True):
        broken = []
        for label, v, op, lim in checks:
            val = v[pos]
            over = (val - lim) if op == "<=" else (lim - val)
            if over > 0:
                broken.append({"constraint": label, "value": round_sig(val), "by": round_sig(over)})
        out.append({"design": str(key), "label": text, "broken": broken})
    return out


def _miss_labels(space: DesignSpace, index: np.ndarray) -> list[str]:
    """Designs named by the key columns that vary among them, as the reports do."""
    from carin.report._designs import design_label, key_columns, space_designs

    designs = space_designs(space, index)
    columns = key_columns(designs)
    return [design_label(d, columns) for d in designs]


def _infeasible_message(space: DesignSpace, misses: list[dict[str, Any]]) -> str:
    from carin.report.explain import infeasible_lines, misses_shared

    record = {
        "raw_designs": space.raw_size,
        "nearest_misses": misses,
        "shared": misses_shared(space, misses),
    }
    return "\n".join(infeasible_lines(str(space.spec.path or space.spec.name), record))
