"""The solve facade: spec -> design space -> Pareto set -> ranked designs and plan."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carin.errors import CarinError, InfeasibleError, SearchIncompleteError
from carin.pareto import (
    ParetoSet,
    Preference,
    make_preference,
    rank_order,
    to_costs,
)
from carin.plan import _umask, build_plan, ineffective_conditions, round_sig, write_json
from carin.solvers import Solver, get_solver
from carin.space import DesignSpace, compile_space
from carin.spec import Spec, load_spec

if TYPE_CHECKING:
    pass

__all__ = ["Result", "check_plan", "solve", "nearest_misses", "write_csv"]


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
    warnings: list[str] = field(default_factory=list)

    @property
    def pareto(self) -> pd.DataFrame:
        """The Pareto set as a table, best-ranked first, with a ``rank`` column.

        Example:
            >>> import carin
            >>> result = carin.solve("spaces/phone-classifier.yaml")
            >>> result.pareto.columns[:3].tolist()
            ['rank', 'model', 'precision']
        """
        frame = self.front.to_frame()
        frame.insert(0, "rank", np.arange(len(frame)))
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
        """Write ``pareto.csv``, ``plan.json`` and ``summary.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(self.pareto, out / "pareto.csv")
        write_json(self.plan, out / "plan.json")
        write_json(self.summary(), out / "summary.json")

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
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # full precision: values are the floats nearest the exact decimals, so they print
        # as written (13.9, not 13.900000000000002)
        frame.to_csv(tmp, index=False, lineterminator="\n")
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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

    designs, pareto_flags = _merge_designs(space, front, chosen, fallback_row, preference)
    # the design to start with, the nominal front's best, ranks first even where a design
    # chosen for a condition scores better (a power band's row is not a nominal design).
    # A baseline's front is not exact: a design an exact condition solve found can beat
    # its best nominally too, and must then rank first, or the switcher would keep the
    # baseline's design where the plan's condition table names the better one.
    if engine.exact:
        first = [tuple(r) for r in designs.tolist()].index(tuple(front.index[0].tolist()))
        order = [first, *(i for i in range(len(designs)) if i != first)]
        designs, pareto_flags = designs[order], pareto_flags[order]
    position = {tuple(r): i for i, r in enumerate(designs.tolist())}
    conditions = [(c, None if r is None else position[tuple(r.tolist())]) for c, r in chosen]
    fallback = None if fallback_row is None else position[tuple(fallback_row.tolist())]
    plan = build_plan(space, designs, pareto_flags, 0, fallback, conditions)
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
        warnings=ineffective_conditions(space),
    )


def _merge_designs(
    space: DesignSpace,
    front: ParetoSet,
    chosen: list[tuple[dict, np.ndarray | None]],
    fallback_row: np.ndarray | None,
    preference: Preference,
) -> tuple[np.ndarray, np.ndarray]:
    rows = [tuple(r) for r in front.index.tolist()]
    in_front = set(rows)
    extra = [r for _, r in chosen if r is not None]
    if fallback_row is not None:
        extra.append(fallback_row)
    for r in extra:
        t = tuple(r.tolist())
        if t not in in_front and t not in rows:
            rows.append(t)
    designs = np.array(rows, dtype=np.int64).reshape(-1, len(space.tasks))
    costs = to_costs(space.evaluate(designs).objectives, space.maximise)
    order = rank_order(costs, space.design_keys(designs), preference)
    designs = designs[order]
    flags = np.array([tuple(r) in in_front for r in designs.tolist()], dtype=bool)
    return designs, flags


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
    checks: list[tuple[str, np.ndarray, str, float]] = []
    for j, c in enumerate(space.constraints):
        checks.append((c.describe(space.single), ev.constraints[:, j], c.op, c.value))
    lat = space.part_latency(index)
    for t, task in enumerate(space.tasks):
        for c in task.constraints:
            v = (
                lat[:, t]
                if c.target.metric == "latency_ms"
                else task.values(c.target.metric)[index[:, t]]
            )
            label = c.describe() if space.single else f"{task.name}: {c.describe()}"
            checks.append((label, v, c.op, c.value))
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
    out = []
    keys = space.design_keys(index[order])
    for pos, key in zip(order, keys, strict=True):
        if not np.isfinite(excess[pos]):
            continue
        broken = []
        for label, v, op, lim in checks:
            val = v[pos]
            over = (val - lim) if op == "<=" else (lim - val)
            if over > 0:
                broken.append({"constraint": label, "value": round_sig(val), "by": round_sig(over)})
        out.append({"design": str(key), "broken": broken})
    return out


def _infeasible_message(space: DesignSpace, misses: list[dict[str, Any]]) -> str:
    src = space.spec.path or space.spec.name
    lines = [
        f"{src}: no design meets the constraints "
        f"({space.raw_size} designs considered). Nearest misses:"
    ]
    for m in misses:
        broken = "; ".join(
            f"{b['constraint']} (is {b['value']:g}, off by {b['by']:g})" for b in m["broken"]
        )
        lines.append(f"  {m['design']}: {broken}")
    if not misses:
        lines.append("  (none: every design lacks a value the objectives or constraints need)")
    return "\n".join(lines)


def load_result_dir(path: str | Path) -> dict[str, Any]:
    """Read a solve's output folder (``summary.json``, ``plan.json``, ``pareto.csv``)."""
    p = Path(path)
    if not p.is_dir():
        raise CarinError(f"{p}: no such folder; give the --out folder of a 'carin solve' run")
    out: dict[str, Any] = {}
    for name in ("summary.json", "plan.json"):
        f = p / name
        if f.exists():
            try:
                out[name] = json.loads(f.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise CarinError(f"{f}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if "summary.json" not in out:
        raise CarinError(f"{p}: no summary.json; is this the --out folder of 'carin solve'?")
    csv = p / "pareto.csv"
    out["pareto.csv"] = pd.read_csv(csv) if csv.exists() else None
    return out
