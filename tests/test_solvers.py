"""RASS must return exactly the exhaustive solver's Pareto set.

Checked on every example spec in spaces/ (nominal and under each anticipated
condition) and on random tables built by hypothesis: ties, missing values,
duplicated rows, 1-4 objectives, single- and multi-DNN, with and without
time-share contention, with task-level and app-level constraints.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carin.pareto import nondominated_reference, to_costs
from carin.profiles import validate_profiles
from carin.solvers import available_solvers, get_solver
from carin.space import compile_space, load_space
from carin.spec import load_spec, parse_spec

SPACES = Path(__file__).resolve().parent.parent / "spaces"
# specs whose raw product the exhaustive reference enumerates in a few seconds
EXAMPLES = sorted(p.name for p in SPACES.glob("*.yaml"))


def _rows(index) -> list[tuple[int, ...]]:
    return sorted(tuple(int(v) for v in row) for row in np.asarray(index))


def _check_front(space, condition, index) -> None:
    """The designs are feasible and mutually non-dominated under the reference semantics."""
    index = np.asarray(index, dtype=np.int64).reshape(-1, len(space.tasks))
    if len(index) == 0:
        return
    ev = space.evaluate(index, condition)
    assert ev.feasible.all()
    costs = to_costs(ev.objectives, space.maximise)
    assert nondominated_reference(costs).all()


def test_registry_has_exact_solvers():
    names = available_solvers()
    assert "rass" in names and "exhaustive" in names
    assert get_solver("rass").exact and get_solver("exhaustive").exact


@pytest.mark.parametrize("name", EXAMPLES)
def test_rass_equals_exhaustive_on_examples(name):
    spec = load_spec(SPACES / name)
    space = compile_space(spec)
    if space.raw_size > 3_000_000:
        pytest.skip(f"{name}: raw product {space.raw_size:,} too large to enumerate in tests")
    conditions = [{}] + list(spec.anticipate.condition_sets())
    assert len(conditions) >= 1
    for cond in conditions:
        rass = get_solver("rass").solve(space, condition=cond)
        ex = get_solver("exhaustive").solve(space, condition=cond)
        assert _rows(rass.index) == _rows(ex.index), (name, cond)
        _check_front(space, cond, rass.index)


# -- random tables ----------------------------------------------------------------------

METRICS = ["latency_ms", "accuracy", "memory_mb", "energy_mj"]
PROCS = ["cpu", "gpu", "npu"]


@st.composite
def problems(draw):
    k = draw(st.integers(1, 3))
    n_rows = [draw(st.integers(1, 7)) for _ in range(k)]
    m = draw(st.integers(1, 4))
    objectives = draw(st.permutations(METRICS))[:m]
    # small value grids make ties (and duplicated rows) common
    grid = st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 8.0])
    rows = []
    for t in range(k):
        for i in range(n_rows[t]):
            row = {
                "model": f"m{t}_{i % 3}",  # duplicates keys within a task on purpose
                "precision": draw(st.sampled_from(["fp32", "int8"])),
                "processor": draw(st.sampled_from(PROCS)),
                "task": f"t{t}",
            }
            for metric in METRICS:
                v = draw(grid)
                if metric == "accuracy":
                    v = 10.0 * v
                if draw(st.integers(0, 11)) == 0:
                    v = float("nan")  # missing measurement
                row[metric] = v
            rows.append(row)
            if draw(st.integers(0, 5)) == 0:
                rows.append(dict(row))  # exact duplicate row
    frame = pd.DataFrame(rows)
    multi = k > 1
    aggs = ["sum", "max", "min", "mean"]

    def target(metric):
        if not multi:
            return metric
        return f"{draw(st.sampled_from(aggs))}({metric})"

    spec: dict = {"name": "random", "profiles": "unused.csv"}
    spec["objectives"] = [
        {"metric": target(met), "goal": "max" if met == "accuracy" else "min"} for met in objectives
    ]
    constraints = []
    if draw(st.booleans()):
        lim = draw(st.sampled_from([2.0, 4.0, 6.0, 10.0]))
        constraints.append(f"{target('latency_ms')} <= {lim}")
    if draw(st.booleans()):
        constraints.append(f"{target('accuracy')} >= {draw(st.sampled_from([10, 20, 40]))}")
    if constraints:
        spec["constraints"] = constraints
    if multi:
        tasks = []
        for t in range(k):
            task: dict = {"name": f"t{t}", "where": {"task": f"t{t}"}}
            if draw(st.booleans()):
                task["constraints"] = [f"latency_ms <= {draw(st.sampled_from([2, 4, 8]))}"]
            tasks.append(task)
        spec["tasks"] = tasks
        spec["contention"] = draw(st.sampled_from(["time-share", "none"]))
    else:
        spec["where"] = {"task": "t0"}
    condition: dict = {}
    if draw(st.booleans()):
        condition["unavailable"] = [draw(st.sampled_from(PROCS))]
    if draw(st.booleans()):
        condition["slowdown"] = {draw(st.sampled_from(PROCS)): draw(st.sampled_from([1.5, 2.0]))}
    if draw(st.booleans()):
        condition["memory_budget_mb"] = draw(st.sampled_from([2.0, 4.0, 12.0]))
    if draw(st.booleans()):
        condition["latency_budget_ms"] = draw(st.sampled_from([2.0, 4.0, 9.0]))
    return frame, spec, condition


def _compile(frame, spec_dict, tmp_path):
    spec = parse_spec(spec_dict, path=tmp_path / "random.yaml")
    table = validate_profiles(frame, source="random.csv")
    return compile_space(spec, table)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(problems())
def test_rass_equals_exhaustive_on_random_tables(tmp_path, monkeypatch, problem):
    import carin.solvers.rass as rass_module

    frame, spec_dict, condition = problem
    space = _compile(frame, spec_dict, tmp_path)
    # tiny chunks, so small tables cross every chunk boundary of the search
    monkeypatch.setattr(rass_module, "CHUNK", 5)
    rass = get_solver("rass").solve(space, condition=condition)
    ex = get_solver("exhaustive").solve(space, condition=condition)
    assert _rows(rass.index) == _rows(ex.index)
    if not space.single:
        # the tasks taken in the reverse order give the same set
        reverse = list(range(len(space.tasks)))[::-1]
        index, _, _ = rass_module._MultiProblem(space, condition, order=reverse).solve()
        assert _rows(index) == _rows(ex.index)
    _check_front(space, condition, rass.index)
    # every feasible design that is left out is dominated by one that is kept
    if len(ex.index):
        sizes = [len(t) for t in space.tasks]
        full = np.stack(np.unravel_index(np.arange(np.prod(sizes)), sizes), axis=1)
        ev = space.evaluate(full, condition)
        kept = {tuple(r) for r in _rows(rass.index)}
        costs = to_costs(ev.objectives, space.maximise)
        front_costs = to_costs(
            space.evaluate(np.asarray(rass.index), condition).objectives, space.maximise
        )
        for row, c, ok in zip(full, costs, ev.feasible, strict=True):
            if ok and tuple(int(v) for v in row) not in kept:
                assert ((front_costs <= c).all(axis=1) & (front_costs < c).any(axis=1)).any()


def test_missing_objective_value_is_infeasible(tmp_path):
    frame = pd.DataFrame(
        {
            "model": ["a", "b", "c"],
            "precision": ["fp32"] * 3,
            "processor": ["cpu"] * 3,
            "latency_ms": [1.0, float("nan"), 3.0],
            "accuracy": [50.0, 99.0, 60.0],
        }
    )
    spec = {"profiles": "x.csv", "objectives": ["min latency_ms", "max accuracy"]}
    space = _compile(frame, spec, tmp_path)
    front = get_solver("rass").solve(space)
    models = sorted(space.tasks[0].frame["model"].iloc[np.asarray(front.index)[:, 0]])
    # b would dominate on accuracy but its latency is unknown: never treated as zero
    assert models == ["a", "c"]


def test_identical_objective_vectors_are_all_kept(tmp_path):
    frame = pd.DataFrame(
        {
            "model": ["a", "b", "c"],
            "precision": ["fp32", "int8", "fp32"],
            "processor": ["cpu"] * 3,
            "latency_ms": [1.0, 1.0, 2.0],
            "accuracy": [70.0, 70.0, 60.0],
        }
    )
    spec = {"profiles": "x.csv", "objectives": ["min latency_ms", "max accuracy"]}
    space = _compile(frame, spec, tmp_path)
    front = get_solver("rass").solve(space)
    assert _rows(front.index) == [(0,), (1,)]


def test_rass_does_not_enumerate_large_products():
    space = load_space(SPACES / "phone-multi.yaml")
    front = get_solver("rass").solve(space)
    assert front.evaluations < space.raw_size / 100
    assert front.exact


VALUES = st.sampled_from([0.0, 1.0, 2.0, 3.0, np.inf, -np.inf])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.integers(1, 6).flatmap(
        lambda m: st.tuples(
            st.lists(st.lists(VALUES, min_size=m, max_size=m), min_size=1, max_size=30),
            # fronts beyond the block size take the sweep and divide-and-conquer paths
            st.lists(st.lists(VALUES, min_size=m, max_size=m), min_size=1, max_size=60),
        )
    ),
    st.sampled_from([0, 40, 4_000_000]),
)
def test_dominated_by_any_matches_pairwise_check(data, chunk_cells):
    from carin.pareto import dominated_by_any

    costs, front = (np.array(x, dtype=float) for x in data)
    le = (front[None] <= costs[:, None]).all(axis=2)
    lt = (front[None] < costs[:, None]).any(axis=2)
    expect = (le & lt).any(axis=1)
    assert (dominated_by_any(costs, front, chunk_cells=chunk_cells) == expect).all()


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(VALUES, min_size=3, max_size=3), min_size=1, max_size=40),
    st.lists(st.lists(VALUES, min_size=3, max_size=3), min_size=1, max_size=80),
    st.integers(0, 5),
)
def test_weakly_dominated_3d_matches_pairwise_check(costs, front, block):
    """The blocked sweep of three costs, with blocks small enough that a row reaches
    several whole blocks and part of the next (0: the default block size)."""
    from carin.pareto import _weakly_dominated_3d

    costs, front = np.array(costs, dtype=float), np.array(front, dtype=float)
    front = front[np.argsort(front[:, 0], kind="stable")]
    expect = (front[None] <= costs[:, None]).all(axis=2).any(axis=1)
    assert (_weakly_dominated_3d(costs, front, block) == expect).all()
