"""Baseline solvers (Optuna, pymoo), the indicators, and distributed Optuna runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carin.cli import main
from carin.errors import CarinError
from carin.indicators import Normaliser, compare, hypervolume_ratio, igd_plus, recovered
from carin.pareto import nondominated_reference, to_costs
from carin.solvers import available_solvers, get_solver
from carin.solvers._baseline import Scorer
from carin.space import load_space

ROOT = Path(__file__).resolve().parents[1]
RUNNABLE = ["optuna-nsga2", "optuna-tpe", "pymoo-nsga2", "pymoo-nsga3", "pymoo-mixed"]
BUDGET = {"optuna-tpe": 60}  # TPE's per-trial cost grows with the trials


def _write_space(folder: Path, seed: int = 3) -> Path:
    """A random two-task table and a three-objective spec with app and task limits."""
    rng = np.random.default_rng(seed)
    rows = []
    for task, n in (("a", 24), ("b", 18)):
        for i in range(n):
            rows.append(
                {
                    "model": f"{task}{i}",
                    "precision": "int8" if i % 2 else "fp32",
                    "processor": ["cpu", "gpu", "npu"][i % 3],
                    "task": task,
                    "latency_ms": round(float(rng.uniform(1, 20)), 3),
                    "accuracy": round(float(rng.uniform(50, 90)), 2),
                    "memory_mb": round(float(rng.uniform(10, 120)), 1),
                }
            )
    rows[5]["accuracy"] = np.nan  # a missing value makes its designs infeasible
    pd.DataFrame(rows).to_csv(folder / "t.csv", index=False)
    spec = folder / "s.yaml"
    spec.write_text(
        "name: synth\n"
        "profiles: t.csv\n"
        "tasks:\n"
        "  - name: a\n"
        "    where: {task: a}\n"
        "    constraints: ['accuracy >= 55']\n"
        "  - name: b\n"
        "    where: {task: b}\n"
        "objectives: ['max mean(accuracy)', 'min max(latency_ms)', 'min sum(memory_mb)']\n"
        "constraints: ['max(latency_ms) <= 25', 'sum(memory_mb) <= 170']\n"
        "contention: time-share\n",
        encoding="utf-8",
    )
    return spec


@pytest.fixture(scope="module")
def space(tmp_path_factory: pytest.TempPathFactory):
    return load_space(_write_space(tmp_path_factory.mktemp("synth")))


@pytest.fixture(scope="module")
def exact(space):
    return get_solver("rass").solve(space)


def _all_designs(space) -> np.ndarray:
    sizes = [len(t) for t in space.tasks]
    return np.stack(np.unravel_index(np.arange(np.prod(sizes)), sizes), axis=1)


def test_registered():
    names = available_solvers()
    for name in [*RUNNABLE, "optuna-gp"]:
        assert name in names


@pytest.mark.parametrize("name", RUNNABLE)
def test_adapter_returns_feasible_nondominated_designs_it_evaluated(space, exact, name):
    budget = BUDGET.get(name, 300)
    solver = get_solver(name, budget=budget, seed=1)
    front = solver.solve(space)
    history = solver.history
    # budget respected and counted
    assert front.evaluations == len(history) <= budget
    if name.startswith("optuna"):
        assert len(history) == budget
    assert not front.exact
    assert len(front) > 0
    # drawn from the space and feasible
    idx = front.index
    for t, task in enumerate(space.tasks):
        assert ((idx[:, t] >= 0) & (idx[:, t] < len(task))).all()
    assert space.evaluate(idx).feasible.all()
    # mutually non-dominated (independent numpy reference)
    assert nondominated_reference(front.costs).all()
    # exactly the final non-dominated filter over everything evaluated
    feas = np.unique(history.index[space.evaluate(history.index).feasible], axis=0)
    expect = feas[nondominated_reference(to_costs(space.evaluate(feas).objectives, space.maximise))]
    assert {tuple(r) for r in idx.tolist()} == {tuple(r) for r in expect.tolist()}
    # never better than the exact front
    ind = compare(front, exact)
    assert 0.0 < ind.hv_ratio <= 1.0 + 1e-12


@pytest.mark.parametrize("name", RUNNABLE)
def test_adapter_is_reproducible_with_seed(space, name):
    budget = BUDGET.get(name, 120) // 2
    a = get_solver(name, budget=budget, seed=7)
    b = get_solver(name, budget=budget, seed=7)
    c = get_solver(name, budget=budget, seed=8)
    fa, fb = a.solve(space), b.solve(space)
    c.solve(space)
    assert np.array_equal(a.history.index, b.history.index)
    assert np.array_equal(fa.index, fb.index)
    assert not np.array_equal(a.history.index, c.history.index)


@pytest.mark.parametrize("name", RUNNABLE)
def test_no_random_draw_escapes_the_seed(monkeypatch, name):
    """Every random draw of a baseline comes from its seeded generators: creating an
    unseeded numpy generator during a solve fails. On phone-multi (many infeasible
    designs of equal violation) pymoo's own NSGA3 tournament broke such ties with a
    fresh unseeded generator, so two runs with the same seed could differ."""
    space = load_space(ROOT / "spaces" / "phone-multi.yaml")
    real = np.random.default_rng

    def seeded_only(seed=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        if seed is None:
            raise AssertionError("an unseeded numpy generator was created")
        return real(seed, *args, **kwargs)

    monkeypatch.setattr(np.random, "default_rng", seeded_only)
    a = get_solver(name, budget=BUDGET.get(name, 300), seed=1)
    b = get_solver(name, budget=BUDGET.get(name, 300), seed=1)
    fa, fb = a.solve(space), b.solve(space)
    assert np.array_equal(a.history.index, b.history.index)
    assert np.array_equal(fa.index, fb.index)


@pytest.mark.parametrize("name", ["optuna-nsga2", "pymoo-nsga2"])
def test_budget_is_exact_and_validated(space, name):
    for budget in (1, 7, 53):
        solver = get_solver(name, budget=budget, seed=0)
        solver.solve(space)
        assert len(solver.history) == budget
    for bad in (0, -3, 2.5):
        with pytest.raises(CarinError, match="budget"):
            get_solver(name, budget=bad)


def test_scorer_violations_agree_with_feasibility(space):
    index = _all_designs(space)
    for condition in ({}, {"unavailable": ["gpu"]}, {"slowdown": {"cpu": 1.5}}):
        costs, viol, feasible = Scorer(space, condition)(index)
        assert np.array_equal((viol <= 0).all(axis=1), space.evaluate(index, condition).feasible)
        assert np.isfinite(costs).all() and np.isfinite(viol).all()
        assert feasible.any() and not feasible.all()


def test_baseline_under_condition_respects_it(space):
    cond = {"unavailable": ["gpu"]}
    front = get_solver("pymoo-nsga2", budget=200, seed=0).solve(space, condition=cond)
    assert len(front) and space.evaluate(front.index, cond).feasible.all()
    procs = np.stack([t.processor[front.index[:, i]] for i, t in enumerate(space.tasks)])
    assert not (procs == "gpu").any()


def test_indicators(exact):
    costs = exact.costs
    assert hypervolume_ratio(costs, costs) == pytest.approx(1.0)
    assert igd_plus(costs, costs) == pytest.approx(0.0)
    assert recovered(exact.index, exact.index) == 1.0
    # every exact point adds volume, extremes included (reference beyond the nadir)
    for j in range(costs.shape[1]):
        extreme = int(np.argmax(costs[:, j]))
        rest = np.delete(costs, extreme, axis=0)
        assert hypervolume_ratio(rest, costs) < 1.0
    half = exact.index[: len(exact) // 2]
    assert recovered(half, exact.index) == pytest.approx(len(half) / len(exact))
    assert hypervolume_ratio(costs[:0], costs) == 0.0
    assert igd_plus(costs[:0], costs) == float("inf")
    norm = Normaliser.from_front(costs)
    assert np.allclose(norm(costs).min(axis=0), 0.0)
    assert np.allclose(norm(costs).max(axis=0), 1.0)
    assert np.allclose(norm(norm.reference_costs()), 1.1)
    # a dominated set scores worse
    worse = costs + norm.scale * 0.05
    assert hypervolume_ratio(worse, costs) < 1.0 and igd_plus(worse, costs) > 0.0


def test_optuna_gp_needs_torch(space):
    if importlib.util.find_spec("torch") is not None:
        pytest.skip("PyTorch is installed here")
    with pytest.raises(CarinError, match="PyTorch"):
        get_solver("optuna-gp", budget=10).solve(space)


def test_optuna_sqlite_two_workers(space, tmp_path):
    optuna = pytest.importorskip("optuna")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    solver = get_solver("optuna-nsga2", budget=24, seed=0, storage=url, workers=2)
    front = solver.solve(space)
    study = optuna.load_study(study_name=front.stats["study"], storage=url)
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 24 == front.evaluations
    # workers are told apart by host, process and index: "host:pid:i"
    workers = {t.user_attrs["carin_worker"] for t in trials}
    assert {w.rsplit(":", 1)[1] for w in workers} == {"0", "1"} and len(workers) == 2
    assert all(t.constraints for t in trials)
    assert space.evaluate(front.index).feasible.all()
    assert nondominated_reference(front.costs).all()
    # the budget counts the study's trials: running again resumes (nothing left to do)
    again = get_solver("optuna-nsga2", budget=24, seed=0, storage=url, workers=2).solve(space)
    assert again.evaluations == 24
    assert np.array_equal(again.index, front.index)
    # a study of another problem is refused
    with pytest.raises(CarinError, match="another problem"):
        get_solver("optuna-tpe", budget=5, storage=url, study_name=front.stats["study"]).solve(
            space
        )


def test_optuna_journal_storage(space, tmp_path):
    path = tmp_path / "study.log"
    front = get_solver("optuna-tpe", budget=12, seed=0, storage=f"journal:{path}").solve(space)
    assert path.exists() and front.evaluations == 12
    with pytest.raises(CarinError, match="RDB URL"):
        get_solver("optuna-tpe", budget=5, storage="nonsense").solve(space)


def test_cli_solve_with_baseline(tmp_path, capsys):
    spec = ROOT / "spaces" / "phone-classifier.yaml"
    out = tmp_path / "o"
    argv = ["solve", str(spec), "--solver", "pymoo-nsga2", "--budget", "200", "--seed", "0"]
    assert main([*argv, "--out", str(out)]) == 0
    first = (out / "pareto.csv").read_text()
    assert main([*argv, "--out", str(out)]) == 0
    assert (out / "pareto.csv").read_text() == first
    assert main(["show", str(out)]) == 0
    assert main(["solve", str(spec), "--storage", "sqlite:///x.db", "--out", str(out)]) == 2
    assert "only the optuna-* solvers" in capsys.readouterr().err


def test_single_objective_spec(tmp_path):
    spec = _write_space(tmp_path)
    text = spec.read_text(encoding="utf-8").replace(
        "objectives: ['max mean(accuracy)', 'min max(latency_ms)', 'min sum(memory_mb)']",
        "objectives: ['max mean(accuracy)']",
    )
    spec.write_text(text, encoding="utf-8")
    space = load_space(spec)
    exact = get_solver("rass").solve(space)
    for name in ("optuna-nsga2", "pymoo-nsga3", "pymoo-mixed"):
        front = get_solver(name, budget=200, seed=0).solve(space)
        assert len(front) and space.evaluate(front.index).feasible.all()
        # one objective: every returned design has the best value found, never beyond exact
        assert np.ptp(front.objectives[:, 0]) == 0
        assert front.objectives[0, 0] <= exact.objectives[0, 0] + 1e-12
        assert hypervolume_ratio(front.costs, exact.costs) <= 1.0 + 1e-12


@pytest.mark.parametrize("name", ["pymoo-nsga2", "pymoo-nsga3", "pymoo-mixed"])
def test_pymoo_on_a_tiny_space_stops_cleanly(name):
    # 40 designs, budget far above them: pymoo runs out of new designs and stops
    space = load_space(
        Path(__file__).resolve().parent.parent / "spaces" / "intermittent-react.yaml"
    )
    exact = get_solver("rass").solve(space)
    front = get_solver(name, budget=2000, seed=0).solve(space)
    assert front.evaluations <= 2000
    assert space.evaluate(front.index).feasible.all()
    assert {tuple(r) for r in front.index.tolist()} <= {tuple(r) for r in exact.index.tolist()}
