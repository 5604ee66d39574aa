"""Whatever solver produced the front, the plan obeys the invariants of an exact plan.

For every solver on every example spec (baselines with small budgets): the ranking is
consistent with dominance among the plan's designs, the Pareto flags are exactly the
nominally feasible designs no other one beats, every condition entry is what the runtime
switcher computes, ``pareto.csv`` and the plan name the same designs, and ``carin
explain`` runs on the result.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import carin
from carin.pareto import to_costs
from carin.runtime import Switcher, validate_plan
from carin.space import compile_space
from carin.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(p.stem for p in (ROOT / "spaces").glob("*.yaml"))
SOLVERS = ["rass", "exhaustive", "optuna-nsga2", "optuna-tpe", "optuna-gp"]
SOLVERS += ["pymoo-nsga2", "pymoo-nsga3", "pymoo-mixed"]
BUDGET = 40
# a budget of 40 finds no feasible combination of phone-multi's three tasks; pymoo
# gets there cheaply with more, Optuna's samplers would take seconds per run
BUDGETS = {("phone-multi", "pymoo-nsga2"): 1000, ("phone-multi", "pymoo-nsga3"): 1000}


@functools.cache
def _space(stem: str):  # type: ignore[no-untyped-def]
    return compile_space(load_spec(ROOT / "spaces" / f"{stem}.yaml"))


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool((a <= b).all() and (a < b).any())


def _scope(design: dict) -> tuple:
    """Designs that can compete at run time: the unbanded ones, or one power band's."""
    band = design.get("power_band_mw")
    return () if band is None else tuple(band)


def check_plan_invariants(result: carin.Result) -> None:
    """Assert the invariants of an exact plan on ``result`` (any solver)."""
    plan = result.plan
    validate_plan(plan)
    space = result.space
    designs = plan["designs"]
    assert len(designs) == len(result.designs)
    # d<rank> names the design everywhere
    assert [d["id"] for d in designs] == [f"d{i}" for i in range(len(designs))]
    costs = to_costs(space.evaluate(result.designs).objectives, space.maximise)
    nominal = space.evaluate(result.designs).feasible
    # the primary starts the plan and is feasible at nominal conditions
    assert plan["primary"] == "d0" and nominal[0]
    # ranking never puts a design after one that beats it on every objective
    for j in range(len(designs)):
        for i in range(j):
            if _scope(designs[i]) == _scope(designs[j]):
                assert not _dominates(costs[j], costs[i]), (
                    f"{designs[j]['id']} beats {designs[i]['id']} but ranks after it"
                )
    # Pareto flags: exactly the nominally feasible designs no nominal design beats
    flags = np.array([d["pareto"] for d in designs])
    for i in range(len(designs)):
        beaten = any(_dominates(costs[k], costs[i]) for k in np.flatnonzero(nominal))
        assert flags[i] == (nominal[i] and not beaten), designs[i]["id"]
    # the Pareto table lists the same designs, by the same ids, in plan order
    table = result.pareto
    assert table["id"].tolist() == [d["id"] for d in designs if d["pareto"]]
    assert table["rank"].tolist() == [d["rank"] for d in designs if d["pareto"]]
    # every condition entry is what the runtime switcher computes
    switcher = Switcher.from_dict(plan)
    assert switcher.cache_mismatches == []
    assert switcher.select({}).design_id == plan["primary"]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("stem", SPECS)
def test_plan_invariants_hold_for_every_solver(stem: str, solver: str) -> None:
    if solver == "optuna-gp" and importlib.util.find_spec("torch") is None:
        pytest.skip("optuna-gp needs PyTorch, which carin does not install")
    space = _space(stem)
    budget = BUDGETS.get((stem, solver), BUDGET)
    options = {} if solver in ("rass", "exhaustive") else {"budget": budget, "seed": 0}
    try:
        result = carin.solve(space.spec, solver=solver, space=space, **options)
    except carin.CarinError as exc:  # a baseline that found nothing feasible: exit 4
        assert stem == "phone-multi" and (stem, solver) not in BUDGETS, exc
        assert "found no feasible design" in str(exc)
        return
    check_plan_invariants(result)
    info = carin.explain(result, active=solver not in ("rass", "exhaustive"))
    assert info["primary"]["id"] == result.plan["primary"]


def test_baseline_solve_then_explain_from_the_cli(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The reported case: pymoo-nsga2 with 5 evaluations, then 'carin explain'."""
    import json

    from carin.cli import main

    out = tmp_path / "out"
    spec = str(ROOT / "spaces" / "phone-classifier.yaml")
    args = ["solve", spec, "--solver", "pymoo-nsga2", "--budget", "5", "--seed", "0"]
    assert main([*args, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "pymoo-nsga2 is not exact" in err
    plan = json.loads((out / "plan.json").read_text())
    assert Switcher.from_dict(plan).cache_mismatches == []
    assert main(["explain", str(out)]) == 0
    assert "primary design d0" in capsys.readouterr().out


def test_explain_when_the_primary_is_not_the_exact_best() -> None:
    """Active-constraint probes of a baseline's primary (this raised IndexError)."""
    from dataclasses import replace

    from carin.spec._model import Anticipate

    space = _space("phone-classifier")
    spec = replace(space.spec, anticipate=Anticipate())
    space = compile_space(spec, space.table)
    exact = carin.solve(spec, space=space)
    result = carin.solve(spec, solver="pymoo-nsga2", space=space, budget=5, seed=0)
    assert result.primary["metrics"] != exact.primary["metrics"]  # the case under test
    check_plan_invariants(result)
    info = carin.explain(result)
    assert [c["constraint"] for c in info["constraints"]] == ["latency_ms <= 16", "accuracy >= 75"]
    assert all(c["active"] for c in info["constraints"])  # the exact best wins without either
