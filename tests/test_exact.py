"""Exactness on decimal data: RASS == exhaustive == an independent exact reference.

Profiles hold decimals (latency 0.1 ms, accuracy 74.08 %). Sums and means of
such values tie exactly far more often than binary floating point says (0.1 +
0.2 != 0.3 in floats), and a sum taken in another order can differ in the last
bit. The contract (docs/spec.md, "Exact arithmetic") is that "identical" and
"better" are decided on the decimals as written. The reference below is written
from the spec's semantics with :class:`fractions.Fraction`, sharing no code with
carin's own evaluation, and every solver must return exactly its Pareto set.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carin.profiles import validate_profiles
from carin.solvers import get_solver
from carin.space import compile_space
from carin.spec import parse_spec

PROCS = ["cpu", "gpu", "npu"]
METRICS = ["latency_ms", "accuracy", "memory_mb", "energy_mj"]
# decimal grids: many sums and means tie exactly, and few do in binary floats
GRIDS = {
    "latency_ms": ["0.1", "0.2", "0.3", "0.7", "1.1", "1.3", "2.2"],
    "accuracy": ["70.1", "70.2", "70.3", "74.08", "70.4", "70.5", "0.1", "0.2"],
    "memory_mb": ["0.1", "0.2", "0.3", "0.6", "1.7"],
    "energy_mj": ["0.01", "0.02", "0.03", "0.07", "0.1"],
}
# limits at tied values, and with more decimals than the data (taken as written)
LIMITS = {
    "latency_ms": ["0.3", "0.6", "0.9", "1.3", "2.4", "0.35", "0.95"],
    "accuracy": ["70.2", "70.3", "47.2", "35.1", "70.25"],
    "memory_mb": ["0.3", "0.6", "0.9", "0.45"],
    "energy_mj": ["0.03", "0.06", "0.1", "0.055"],
}


# -- the independent reference ---------------------------------------------------------


def _frac(text):
    return None if text is None else Fraction(text)


def _aggregate(values, how):
    if any(v is None for v in values):
        return None
    if how == "sum":
        return sum(values, Fraction(0))
    if how == "mean":
        return sum(values, Fraction(0)) / len(values)
    return max(values) if how == "max" else min(values)


def _holds(value, op, limit):
    if value is None:
        return False
    return value <= limit if op == "<=" else value >= limit


def reference_front(case):
    """The exact Pareto set of ``case`` by enumeration in rational arithmetic.

    Returns:
        ``{design (row per task): exact objective values}`` of the Pareto designs.

    Semantics (docs/spec.md): objectives at nominal conditions; a slowdown
    multiplies the latency of parts on its processor; with time-share each
    part's latency is the sum over the parts on its processor; app metrics
    aggregate the parts; a missing value of anything needed is infeasible.
    """
    tasks, spec, cond = case["tasks"], case["spec"], case["condition"]
    k = len(tasks)
    single = k == 1
    time_share = not single and spec.get("contention", "time-share") == "time-share"
    slow = {p: Fraction(repr(f)) for p, f in (cond.get("slowdown") or {}).items()}
    gone = set(cond.get("unavailable") or ())
    lat_aggs = {c[1] for c in case["constraints"] if c[0] == "latency_ms"}
    lat_how = lat_aggs.pop() if lat_aggs else "max"

    def app_value(parts, metric, how, slowed):
        if metric == "latency_ms":
            own = [
                None
                if r["latency_ms"] is None
                else _frac(r["latency_ms"]) * (slow.get(r["processor"], 1) if slowed else 1)
                for r in parts
            ]
            if time_share:
                eff = []
                for r in parts:
                    same = [
                        o
                        for o, q in zip(own, parts, strict=True)
                        if q["processor"] == r["processor"]
                    ]
                    eff.append(None if any(v is None for v in same) else sum(same, Fraction(0)))
                own = eff
            values = own
        else:
            values = [_frac(r[metric]) for r in parts]
        if single:
            return values[0], values
        if how.startswith("@"):  # one task's own part
            return values[int(how[1:])], values
        return _aggregate(values, how), values

    designs = []
    for choice in itertools.product(*[range(len(t)) for t in tasks]):
        parts = [tasks[t][i] for t, i in enumerate(choice)]
        objs = []
        for metric, how, _goal in case["objectives"]:
            v, _ = app_value(parts, metric, how, False)
            objs.append(v)
        ok = all(v is not None for v in objs)
        for metric, how, op, limit in case["constraints_full"]:
            v, _ = app_value(parts, metric, how, True)
            ok &= _holds(v, op, Fraction(limit))
        for t, limits in enumerate(case["task_limits"]):
            for metric, op, limit in limits:
                _, vals = app_value(parts, metric, "max", True)
                ok &= _holds(vals[t], op, Fraction(limit))
        if gone and any(r["processor"] in gone for r in parts):
            ok = False
        if cond.get("memory_budget_mb") is not None:
            v, _ = app_value(parts, "memory_mb", "max" if single else "sum", True)
            ok &= _holds(v, "<=", Fraction(repr(cond["memory_budget_mb"])))
        if cond.get("latency_budget_ms") is not None:
            v, _ = app_value(parts, "latency_ms", lat_how, True)
            ok &= _holds(v, "<=", Fraction(repr(cond["latency_budget_ms"])))
        if ok:
            costs = tuple(
                -v if goal == "max" else v
                for v, (_, _, goal) in zip(objs, case["objectives"], strict=True)
            )
            designs.append((choice, costs, objs))
    front = {}
    for choice, c, objs in designs:
        dominated = any(
            all(a <= b for a, b in zip(o, c, strict=True))
            and any(a < b for a, b in zip(o, c, strict=True))
            for _, o, _ in designs
        )
        if not dominated:
            front[choice] = objs
    return front


# -- cases -----------------------------------------------------------------------------


def make_case(rng: random.Random, k: int, n_objectives: int, time_share: bool, rows=(3, 7)):
    """A random decimal table and spec built so that many aggregates tie exactly."""
    tasks = []
    for _ in range(k):
        rows_t = []
        for _ in range(rng.randint(*rows)):
            r = {"processor": rng.choice(PROCS)}
            for m in METRICS:
                r[m] = None if rng.random() < 0.05 else rng.choice(GRIDS[m])
            rows_t.append(r)
        tasks.append(rows_t)
    aggs = ["sum", "max", "min", "mean"]
    metrics = rng.sample(METRICS, n_objectives)
    objectives = [(m, rng.choice(aggs), "max" if m == "accuracy" else "min") for m in metrics]
    if k > 1 and rng.random() < 0.3:
        # per-task objectives: each task's own accuracy, or one task's own latency
        own = [("accuracy", f"@{t}", "max") for t in rng.sample(range(k), 2)]
        if rng.random() < 0.5:
            own[1] = ("latency_ms", f"@{rng.randrange(k)}", "min")
        objectives = own + [o for o in objectives if o[0] not in ("accuracy", "latency_ms")][:2]
    constraints = []
    for m in METRICS:
        if rng.random() < 0.3:
            op = ">=" if m == "accuracy" else "<="
            constraints.append((m, rng.choice(aggs), op, rng.choice(LIMITS[m])))
    # one aggregate for every latency limit (the spec requires it)
    lat = [c for c in constraints if c[0] == "latency_ms"]
    if lat:
        constraints = [c for c in constraints if c[0] != "latency_ms"] + [lat[0]]
    task_limits = [
        [("latency_ms", "<=", rng.choice(LIMITS["latency_ms"]))]
        if k > 1 and rng.random() < 0.3
        else []
        for _ in range(k)
    ]
    condition = {}
    if rng.random() < 0.4:
        condition["slowdown"] = {rng.choice(PROCS): rng.choice([1.5, 2.0, 1.1, 0.5])}
    if rng.random() < 0.3:
        condition["latency_budget_ms"] = float(rng.choice(LIMITS["latency_ms"]))
    if rng.random() < 0.3:
        condition["memory_budget_mb"] = float(rng.choice(LIMITS["memory_mb"]))
    if rng.random() < 0.2:
        condition["unavailable"] = [rng.choice(PROCS)]
    return _finish(tasks, objectives, constraints, task_limits, condition, time_share)


def _finish(tasks, objectives, constraints, task_limits, condition, time_share):
    k = len(tasks)
    single = k == 1

    def label(m, how):
        if how.startswith("@"):
            return f"t{how[1:]}.{m}"
        return m if single else f"{how}({m})"

    spec = {
        "name": "exact",
        "profiles": "unused.csv",
        "objectives": [f"{goal} {label(m, how)}" for m, how, goal in objectives],
    }
    if constraints:
        spec["constraints"] = [f"{label(m, how)} {op} {lim}" for m, how, op, lim in constraints]
    rows = []
    for t, rows_t in enumerate(tasks):
        for i, r in enumerate(rows_t):
            row = {
                "model": f"m{t}_{i}",
                "precision": "fp32",
                "processor": r["processor"],
                "task": f"t{t}",
            }
            for m in METRICS:
                row[m] = float("nan") if r[m] is None else float(r[m])
            rows.append(row)
    if single:
        spec["where"] = {"task": "t0"}
    else:
        spec["tasks"] = [
            {"name": f"t{t}", "where": {"task": f"t{t}"}}
            | (
                {"constraints": [f"{m} {op} {lim}" for m, op, lim in task_limits[t]]}
                if task_limits[t]
                else {}
            )
            for t in range(k)
        ]
        spec["contention"] = "time-share" if time_share else "none"
    # single-DNN: aggregates do not apply; the reference evaluates the bare value
    full = [(m, how, op, lim) for m, how, op, lim in constraints]
    return {
        "tasks": tasks,
        "spec": spec,
        "objectives": objectives,
        "constraints": constraints,
        "constraints_full": full,
        "task_limits": task_limits if not single else [[]],
        "condition": condition,
        "frame": pd.DataFrame(rows),
    }


def _space(case, tmp_path):
    spec = parse_spec(case["spec"], path=tmp_path / "exact.yaml")
    return compile_space(spec, validate_profiles(case["frame"], source="exact.csv"))


def _rows(index):
    return sorted(tuple(int(v) for v in row) for row in np.asarray(index))


def _check(case, tmp_path, solvers=("rass", "exhaustive")):
    """Every solver returns the reference's designs, valued at the floats nearest the exact ones."""
    space = _space(case, tmp_path)
    front = reference_front(case)
    expect = sorted(front)
    for name in solvers:
        got = get_solver(name).solve(space, condition=case["condition"])
        assert _rows(got.index) == expect, (name, case["spec"], case["condition"])
        for row, values in zip(_rows(got.index), got.canonical().objectives.tolist(), strict=True):
            assert values == [float(v) for v in front[row]]
    return expect


# -- the failures the issue reported, reproduced ---------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_time_share_sum_latency_matches_reference(seed, tmp_path):
    """Time-shared latency summed per processor vs per task must not split ties."""
    rng = random.Random(1000 + seed)
    tasks = []
    for _ in range(3):
        tasks.append(
            [
                {
                    "processor": rng.choice(["cpu", "gpu"]),
                    "latency_ms": rng.choice(["0.1", "0.2", "0.3", "0.7"]),
                    "accuracy": rng.choice(["70.1", "70.2", "70.3"]),
                    "memory_mb": rng.choice(["0.1", "0.2"]),
                    "energy_mj": "0.1",
                }
                for _ in range(8)
            ]
        )
    case = _finish(
        tasks,
        [("latency_ms", "sum", "min"), ("accuracy", "mean", "max")],
        [("latency_ms", "sum", "<=", "1.3")],
        [[], [], []],
        {},
        True,
    )
    _check(case, tmp_path)


def test_tied_sums_are_kept(tmp_path):
    """0.1 + 0.2 and 0.3 + 0.0 are one value: both designs tie and both are kept."""

    def row(proc, lat, mem):
        return {
            "processor": proc,
            "latency_ms": lat,
            "accuracy": "70.1",
            "memory_mb": mem,
            "energy_mj": "0.1",
        }

    tasks = [
        [row("cpu", "0.1", "0.1"), row("cpu", "0.3", "0.0")],
        [row("gpu", "0.2", "0.0"), row("gpu", "0.0", "0.1")],
    ]
    objectives = [("latency_ms", "sum", "min"), ("memory_mb", "sum", "min")]
    case = _finish(tasks, objectives, [("latency_ms", "sum", "<=", "0.3")], [[], []], {}, False)
    # (0, 0) = (0.1 + 0.2, 0.1) ties (1, 1) = (0.3 + 0.0, 0.1), also at the limit 0.3
    assert _check(case, tmp_path) == [(0, 0), (0, 1), (1, 1)]


# -- random decimal tables ---------------------------------------------------------------


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(1, 3),
    m=st.integers(1, 4),
    time_share=st.booleans(),
)
def test_solvers_match_exact_reference(tmp_path, seed, k, m, time_share):
    case = make_case(random.Random(seed), k, m, time_share)
    _check(case, tmp_path)


# -- representation details ------------------------------------------------------------


def _table(tmp_path, frame, spec):
    return compile_space(
        parse_spec(spec, path=tmp_path / "s.yaml"), validate_profiles(frame, source="t.csv")
    )


def test_limit_with_more_decimals_than_data_is_taken_as_written(tmp_path):
    frame = pd.DataFrame(
        {
            "model": ["a", "b", "c"],
            "precision": ["fp32"] * 3,
            "processor": ["cpu"] * 3,
            "latency_ms": [0.3, 0.4, 0.2],
            "accuracy": [70.1, 70.2, 70.0],
        }
    )
    spec = {
        "profiles": "t.csv",
        "objectives": ["max accuracy"],
        "constraints": ["latency_ms <= 0.35"],
    }
    space = _table(tmp_path, frame, spec)
    assert space.evaluate(np.arange(3)).feasible.tolist() == [True, False, True]
    spec["constraints"] = ["accuracy >= 70.15"]
    space = _table(tmp_path, frame, spec)
    assert space.evaluate(np.arange(3)).feasible.tolist() == [False, True, False]


def test_computed_floats_are_rounded_to_the_decimal_cap(tmp_path):
    """A column of binary-float results (0.1 + 0.2) is read at MAX_DECIMALS places: it ties 0.3."""
    from carin._exact import MAX_DECIMALS

    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "precision": ["fp32"] * 2,
            "processor": ["cpu"] * 2,
            "latency_ms": [0.1 + 0.2, 0.3],
            "accuracy": [70.0, 70.0],
        }
    )
    space = _table(
        tmp_path, frame, {"profiles": "t.csv", "objectives": ["min latency_ms", "max accuracy"]}
    )
    assert space.places("latency_ms") == MAX_DECIMALS
    front = get_solver("rass").solve(space)
    assert _rows(front.index) == [(0,), (1,)]
    assert front.objectives[:, 0].tolist() == [0.3, 0.3]


def test_exact_column_out_of_range_is_refused(tmp_path):
    from carin.errors import ProfileError

    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "precision": ["fp32"] * 2,
            "processor": ["cpu"] * 2,
            "task": ["t0", "t1"],
            "latency_ms": [9876543.21098765, 1.0],
        }
    )
    spec = {
        "profiles": "t.csv",
        "objectives": ["min sum(latency_ms)"],
        "tasks": [{"name": "a", "where": {"task": "t0"}}, {"name": "b", "where": {"task": "t1"}}],
    }
    with pytest.raises(ProfileError, match=r"t.csv: column 'latency_ms': .*8 decimals"):
        _table(tmp_path, frame, spec)
    # one task fits: 9.9e14 units < 2**50
    single = {"profiles": "t.csv", "objectives": ["min latency_ms"]}
    assert _table(tmp_path, frame, single).places("latency_ms") == 8


def test_reported_values_are_the_exact_decimals(tmp_path):
    """pareto.csv and plan.json print a sum of 0.1 + 0.2 as 0.3."""
    import json

    import carin

    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "precision": ["fp32"] * 2,
            "processor": ["cpu", "gpu"],
            "task": ["t0", "t1"],
            "latency_ms": [0.1, 0.2],
            "memory_mb": [13.7, 0.2],
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    spec = {
        "profiles": "t.csv",
        "objectives": ["min sum(latency_ms)", "min sum(memory_mb)"],
        "tasks": [{"name": "a", "where": {"task": "t0"}}, {"name": "b", "where": {"task": "t1"}}],
    }
    result = carin.solve(parse_spec(spec, path=tmp_path / "s.yaml"))
    result.save(tmp_path / "out")
    text = (tmp_path / "out" / "pareto.csv").read_text()
    assert text.splitlines()[1].endswith(",0.3,13.9")
    metrics = json.loads((tmp_path / "out" / "plan.json").read_text())["designs"][0]["metrics"]
    assert metrics["sum(latency_ms)"] == 0.3 and metrics["sum(memory_mb)"] == 13.9


def test_missing_latency_breaks_only_the_limits_of_its_processor(tmp_path):
    """Time-share with a task latency limit: a part without a latency on another processor is fine."""

    def row(proc, lat):
        return {
            "processor": proc,
            "latency_ms": lat,
            "accuracy": "70.1",
            "memory_mb": "0.1",
            "energy_mj": "0.1",
        }

    tasks = [[row("cpu", None), row("gpu", None)], [row("gpu", "0.3")]]
    case = _finish(
        tasks, [("accuracy", "mean", "max")], [], [[], [("latency_ms", "<=", "0.5")]], {}, True
    )
    # (0, 0): the unknown cpu latency does not touch the gpu part's limit; (1, 0) shares the gpu
    assert _check(case, tmp_path) == [(0, 0)]


@pytest.mark.parametrize("seed", range(6))
def test_medium_products_match_exhaustive_in_any_task_order(seed, tmp_path, monkeypatch):
    """4 tasks x 12 rows on 4 processors: the search's pruning, chunks and order at work."""
    import carin.solvers.rass as rass_module

    rng = random.Random(seed)
    procs = ["cpu", "gpu", "npu", "dsp"]
    tasks = []
    for _ in range(4):
        rows = []
        for _ in range(12):
            r = {"processor": rng.choice(procs)}
            for m in METRICS:
                r[m] = None if rng.random() < 0.03 else rng.choice(GRIDS[m])
            rows.append(r)
        tasks.append(rows)
    objectives = [("accuracy", "mean", "max"), ("latency_ms", "max", "min")]
    objectives += [("energy_mj", "sum", "min"), ("memory_mb", "sum", "min")][: seed % 3]
    limits = [[("latency_ms", "<=", "2.4")] if seed % 2 and t == 1 else [] for t in range(4)]
    condition = [{}, {"slowdown": {"gpu": 1.5}}, {"latency_budget_ms": 2.4}][seed % 3]
    case = _finish(
        tasks, objectives, [("latency_ms", "max", "<=", "3.3")], limits, condition, seed < 4
    )
    space = _space(case, tmp_path)
    monkeypatch.setattr(rass_module, "CHUNK", 97)
    ex = _rows(get_solver("exhaustive").solve(space, condition=condition).index)
    assert ex  # the case has a front to find
    for order in ([0, 1, 2, 3], [3, 1, 0, 2]):
        index, _, _ = rass_module._MultiProblem(space, condition, order=order).solve()
        assert _rows(index) == ex, order


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    keys=st.lists(st.integers(0, 40), min_size=0, max_size=300),
    want=st.lists(st.integers(-5, 45), min_size=1, max_size=100),
)
def test_key_table_finds_every_position_of_a_key(keys, want):
    from carin._lookup import KeyTable, tuple_keys

    k = tuple_keys([np.array(keys, dtype=float)])
    w = tuple_keys([np.array(want, dtype=float)])
    query, pos = KeyTable(k).matches(w)
    got = sorted(zip(query.tolist(), pos.tolist(), strict=True))
    expect = sorted((q, p) for q, v in enumerate(want) for p, x in enumerate(keys) if x == v)
    assert got == expect


def test_tuple_keys_count_negative_zero_as_zero():
    from carin._lookup import tuple_keys

    a = tuple_keys([np.array([0.0, 1.5]), np.array([2.0, -0.0])])
    b = tuple_keys([np.array([-0.0, 1.5]), np.array([2.0, 0.0])])
    assert (a == b).all()


def test_last_part_keeps_the_limit_of_its_processor(tmp_path):
    """The last task's part only sees its processor: a suffix state otherwise at least as
    good must not hide one whose time-shared limit there is looser."""

    def row(proc, lat, acc):
        return {
            "processor": proc,
            "latency_ms": lat,
            "accuracy": acc,
            "memory_mb": "0.1",
            "energy_mj": "0.1",
        }

    tasks = [
        [row("gpu", "0.3", "70.1")],
        [row("cpu", "0.1", "70.1"), row("gpu", "0.1", "80.1")],
        [row("gpu", "0.1", "90.1"), row("cpu", "0.1", "70.1")],
    ]
    objectives = [("accuracy", "mean", "max"), ("latency_ms", "max", "min")]
    limits = [[], [], [("latency_ms", "<=", "0.3")]]
    case = _finish(tasks, objectives, [], limits, {}, True)
    # (0, 0, 0) breaks the third task's limit on the gpu; (0, 1, 1) is better in accuracy
    # than (0, 0, 1) and slower
    assert _check(case, tmp_path) == [(0, 0, 1), (0, 1, 1)]
