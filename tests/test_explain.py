"""carin explain: why the primary design won, and relaxations checked by re-solving."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import carin
from carin.cli import main
from carin.errors import InfeasibleError
from carin.report.explain import (
    explain_infeasible,
    explain_result_dir,
    format_explanation,
    relaxations,
    relaxed_spec,
)
from carin.space import compile_space
from carin.spec import Anticipate, load_spec

ROOT = Path(__file__).resolve().parents[1]


def _variant(tmp_path: Path, stem: str, name: str, edits: list[tuple[str, str]]) -> Path:
    """A copy of an example spec with absolute profile path and text edits."""
    text = (ROOT / "spaces" / f"{stem}.yaml").read_text()
    spec = load_spec(ROOT / "spaces" / f"{stem}.yaml")
    lines = []
    for line in text.splitlines():
        if line.startswith("profiles:"):
            line = f"profiles: {spec.profiles}"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


INFEASIBLE = {
    # single-DNN: both limits bind
    "phone-classifier": [
        ("{metric: latency_ms, max: 16}", "{metric: latency_ms, max: 0.5}"),
        ('"accuracy >= 75"', '"accuracy >= 80"'),
    ],
    "nb201-pixel3": [
        ('"latency_ms <= 10"', '"latency_ms <= 4"'),
        ('"accuracy >= 90"', '"accuracy >= 93.5"'),
    ],
    # multi-DNN: only the frame budget binds on its own
    "phone-multi": [('"max(latency_ms) <= 10"', '"max(latency_ms) <= 6"')],
    # power-banded rows: band rows (100 % of 3 jobs, 93.75 % of 16) must not count as
    # designs; only the overall rows compete without a power level
    "intermittent-react": [('"success_rate >= 90"', '"success_rate >= 95"')],
}


def _solve(spec, table, solver: str = "rass"):  # type: ignore[no-untyped-def]
    """Solve without anticipated conditions, reusing a loaded profile table."""
    spec = replace(spec, anticipate=Anticipate())
    return carin.solve(spec, solver=solver, space=compile_space(spec, table))


def _tighter(value: float, op: str) -> float:
    """A bound just beyond ``value`` on the infeasible side."""
    step = max(abs(value), 1.0) * 1e-9
    return value - step if op == "<=" else value + step


@pytest.mark.parametrize("stem", sorted(INFEASIBLE))
def test_relaxations_are_smallest_and_sufficient(stem: str, tmp_path: Path) -> None:
    path = _variant(tmp_path, stem, f"{stem}-tight", INFEASIBLE[stem])
    spec = load_spec(path)
    space = compile_space(spec)
    table = space.table
    with pytest.raises(InfeasibleError) as caught:
        _solve(spec, table)
    info = explain_infeasible(space, caught.value.misses)
    relax = relaxations(space)
    # the same relaxations, each design also named as the nearest misses are
    assert [r.as_dict() for r in relax] == [
        {k: v for k, v in d.items() if k != "label"} for d in info["relaxations"]
    ]
    assert any(r.suggest is not None for r in relax)
    for r in relax:
        if r.suggest is None:
            # relaxing this one alone cannot help: even dropping it leaves nothing feasible
            dropped = _drop(spec, r)
            with pytest.raises(InfeasibleError):
                _solve(dropped, table)
            continue
        # the suggested bound admits a design ...
        assert (r.suggest >= r.needed) if r.op == "<=" else (r.suggest <= r.needed)
        result = _solve(relaxed_spec(spec, r), table)
        assert len(result.pareto) > 0
        # ... and any bound tighter than the needed one admits none
        tight = replace(r, suggest=_tighter(r.needed, r.op))
        with pytest.raises(InfeasibleError):
            _solve(relaxed_spec(spec, tight), table)
    assert set(info["binding"]) == {r.constraint for r in relax if r.suggest is not None}
    assert info["nearest_misses"]
    for miss in info["nearest_misses"]:
        assert miss["broken"], miss  # a miss breaks some limit


def test_power_banded_relaxations(tmp_path: Path) -> None:
    """Relaxations and misses on a power-banded table use the overall rows only."""
    path = _variant(tmp_path, "intermittent-react", "tight", INFEASIBLE["intermittent-react"])
    space = compile_space(load_spec(path))
    overall = space.condition_mask(np.arange(len(space.tasks[0]))[:, None], {})
    frame = space.tasks[0].frame[overall]
    ok_jobs = frame[frame["jobs"] >= 10]
    by = {r.constraint: r for r in relaxations(space)}
    success = by["success_rate >= 95"]
    assert success.needed == ok_jobs["success_rate"].max() < 95
    assert success.met_by == int((frame["success_rate"] >= 95).sum())
    jobs = by["jobs >= 10"]
    assert (frame["success_rate"] >= 95).sum() == 0
    assert jobs.needed is None and jobs.suggest is None
    info = explain_infeasible(space)
    assert info["considered"] == len(frame) < space.raw_size
    text = format_explanation(info)
    assert f"success_rate >= 95: met by 0 of {len(frame)}" in text
    assert f"jobs >= 10: met by {int((frame['jobs'] >= 10).sum())} of {len(frame)}" in text
    misses = info["nearest_misses"]
    assert misses and all(m["broken"] for m in misses)
    assert {m["design"] for m in misses} <= set(space.tasks[0].keys[overall].tolist())


def _drop(spec, r):  # type: ignore[no-untyped-def]
    if r.task is None:
        cons = tuple(c for i, c in enumerate(spec.constraints) if i != r.position)
        return replace(spec, constraints=cons)
    tasks = tuple(
        replace(t, constraints=tuple(c for i, c in enumerate(t.constraints) if i != r.position))
        if t.name == r.task
        else t
        for t in spec.tasks
    )
    return replace(spec, tasks=tasks)


def test_explain_cli_on_infeasible(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _variant(tmp_path, "phone-classifier", "tight", INFEASIBLE["phone-classifier"])
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out)]) == 3
    err = capsys.readouterr().err
    # the exit-3 message carries the advice
    assert "Smallest single relaxations" in err and f"carin explain {out}" in err
    assert "latency_ms <= 0.5 -> latency_ms <= " in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["feasible"] is False and summary["spec"] == str(path)
    info = explain_result_dir(out)
    assert info["nearest_misses"] == summary["nearest_misses"]
    assert [{k: v for k, v in d.items() if k != "label"} for d in info["relaxations"]] == [
        r.as_dict() for r in relaxations(compile_space(load_spec(path)))
    ]
    assert main(["explain", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Nearest misses" in text and "Smallest single relaxations" in text
    assert "latency_ms <= 0.5 -> latency_ms <=" in text
    assert main(["explain", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {r["constraint"] for r in data["relaxations"]} == {"latency_ms <= 0.5", "accuracy >= 80"}


@pytest.mark.parametrize("stem", ["phone-classifier", "local-litert"])
def test_why_the_primary_won(stem: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec_path = ROOT / "spaces" / f"{stem}.yaml"
    out = tmp_path / "out"
    assert main(["solve", str(spec_path), "--out", str(out), "--top", "1"]) == 0
    plan = json.loads((out / "plan.json").read_text())
    info = explain_result_dir(out)
    assert info["feasible"] and info["primary"]["id"] == plan["primary"]
    assert info["primary"]["rank"] == 0
    # the runners-up are named by their plan ids, and rank as their ids say (d3 is rank 3)
    ranks = [d["rank"] for d in info["next"]]
    assert ranks == sorted(ranks) and ranks[0] >= 1
    assert [d["id"] for d in info["next"]] == [f"d{r}" for r in ranks]
    spec = load_spec(spec_path)
    first = spec.objectives[0]
    label = first.target.label(True)
    assert info["reason"]["deciding_objective"] == label
    for d in info["next"]:
        # lexicographic: the runners-up are no better on the first objective, and being
        # Pareto-optimal they must gain on some other objective
        delta = d["objectives"][label] - info["primary"]["objectives"][label]
        assert (delta <= 0) if first.maximise else (delta >= 0)
        assert d["trade"]["gains"]
    # "active" is checked independently with the exhaustive solver
    table = compile_space(spec).table
    reference = _solve(spec, table, "exhaustive").pareto.iloc[0]
    for n, c in enumerate(info["constraints"]):
        cons = tuple(x for i, x in enumerate(spec.constraints) if i != n)
        top = _solve(replace(spec, constraints=cons), table, "exhaustive").pareto.iloc[0]
        changed = top["row"] != reference["row"]
        assert c["active"] == changed, c["constraint"]
    assert main(["explain", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Why it won" in text and "The next designs trade" in text


def test_outward_rounding_keeps_the_design() -> None:
    from carin.report.explain import _outward

    for v in (0.674, 7.636000000000001, 75.3, 1e-7 * 3.3333, 12345.678, 0.1 + 0.2):
        up, down = _outward(v, "<="), _outward(v, ">=")
        assert up >= v and down <= v
        assert math.isclose(up, v, rel_tol=1e-3) and math.isclose(down, v, rel_tol=1e-3)


def test_large_products_relax_by_solving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the enumeration limit, app-level relaxations come from RASS and agree."""
    import carin.report.explain as explain_mod

    path = _variant(tmp_path, "phone-multi", "tight", INFEASIBLE["phone-multi"])
    space = compile_space(load_spec(path))
    scanned = relaxations(space)
    monkeypatch.setattr(explain_mod, "ENUMERATE_LIMIT", 1000)
    solved = relaxations(space)
    assert [r.constraint for r in solved] == [r.constraint for r in scanned]
    for a, b in zip(scanned, solved, strict=True):
        if b.task is not None:
            assert not b.computed and b.needed is None  # reported as not computed
        elif a.needed is None:
            assert b.needed is None
        else:
            assert b.needed == pytest.approx(a.needed, rel=1e-12)
            assert b.suggest == a.suggest


def test_weighted_preference_is_explained(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "phone-classifier",
        "weighted",
        [('  - "min latency_ms"', "  - {metric: latency_ms, goal: min, weight: 3}")],
    )
    text = path.read_text() + "preference: weighted\n"
    path.write_text(text)
    result = carin.solve(path)
    info = carin.explain(result, active=False)
    reason = info["reason"]
    assert reason["preference"] == "weighted"
    assert reason["weights"] == {"accuracy": 1.0, "latency_ms": 3.0}
    assert reason["scores"] == sorted(reason["scores"])  # primary has the lowest score
    assert info["primary"]["id"] == result.plan["primary"]
    # latency weighs three times as much: the primary is faster than the lexicographic one
    lexi = carin.solve(ROOT / "spaces" / "phone-classifier.yaml")
    assert info["primary"]["objectives"]["latency_ms"] <= lexi.primary["metrics"]["latency_ms"]
    assert "weighted score" in reason["text"]
