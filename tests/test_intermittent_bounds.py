"""Plans bounded in blocking time, and the upper bound on a task set's successful jobs."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from carin.intermittent import Device, load_layers
from carin.intermittent.bounds import flow_bound, job_floors, max_power_w, success_bound
from carin.intermittent.cm import CODES, CMError, compile_plan
from carin.intermittent.joint import Config, Evaluator, bounded_candidates, joint_search
from carin.intermittent.layers import LayerTable
from carin.intermittent.search import bounded_plan, max_segment_s
from carin.intermittent.sources import constant, markov_onoff, square_wave
from carin.intermittent.tasks import Task, TaskSet, load_taskset

ROOT = Path(__file__).resolve().parents[1]
LENET = ROOT / "spaces" / "intermittent" / "lenet5.yaml"
KWS = ROOT / "spaces" / "intermittent" / "kws-tinyconv.yaml"
TRIO = ROOT / "spaces" / "intermittent-multitask" / "kws-lenet-dscnn.yaml"
DEV = Device.msp430fr5994()


def _small_model(n: int) -> LayerTable:
    base = load_layers(LENET).layers
    return LayerTable(name=f"m{n}", precision="int16", layers=tuple([*base, *base][:n]))


def _every_plan(costs, n: int) -> list[tuple[str, float, float]]:
    """(plan, failure-free energy, longest segment) of every plan that compiles."""
    out = []
    for combo in itertools.product(CODES, repeat=n):
        plan = "".join(combo)
        try:
            a = compile_plan(plan, costs, DEV)
        except CMError:
            continue
        out.append((plan, a.total_energy_j, max_segment_s(a)))
    return out


def test_max_segment_is_the_longest_time_between_commits() -> None:
    costs = _small_model(4).costs(DEV)
    for plan in ("RRRR", "LLLL", "TTTT", "DDDD", "RLRT", "DDRL"):
        a = compile_plan(plan, costs, DEV)
        longest = run = 0.0
        for d, c in zip(a.time_s, a.commit, strict=True):
            run += float(d)
            longest = max(longest, run)
            if c:
                run = 0.0
        assert max_segment_s(a) == pytest.approx(longest, rel=1e-12)
    # no commit at all: the whole job is one segment
    a = compile_plan("RRRR", costs, DEV)
    assert max_segment_s(a) == pytest.approx(a.total_time_s)


@pytest.mark.parametrize("n", [3, 4])
def test_bounded_plan_equals_brute_force(n: int) -> None:
    costs = _small_model(n).costs(DEV)
    every = _every_plan(costs, n)
    segs = sorted({s for _p, _e, s in every})
    # every distinct longest segment is a bound where the answer may change; also just
    # below the smallest one (nothing fits) and no bound at all
    bounds = [segs[0] * 0.999, *segs[:: max(len(segs) // 12, 1)], segs[-1], math.inf]
    for b in bounds:
        plan, energy = bounded_plan(costs, DEV, b)
        fits = [(e, p) for p, e, s in every if s <= b]
        if not fits:
            assert energy == math.inf
            continue
        best = min(e for e, _p in fits)
        assert energy == pytest.approx(best, rel=1e-9)
        a = compile_plan(plan, costs, DEV)
        assert a.total_energy_j == pytest.approx(best, rel=1e-9)
        assert max_segment_s(a) <= b * (1 + 1e-12)


def test_bounded_plans_trade_energy_for_shorter_blocking() -> None:
    costs = load_layers(ROOT / "spaces" / "intermittent" / "ds-cnn-s.yaml").costs(DEV)
    prev_e = math.inf
    for b in (0.06, 0.6, 1.3, 3.0, math.inf):
        plan, e = bounded_plan(costs, DEV, b)
        assert math.isfinite(e)
        assert e <= prev_e * (1 + 1e-12)  # a looser bound never costs more
        prev_e = e
    # the tightest bound forces more commits than no bound at all
    tight = compile_plan(bounded_plan(costs, DEV, 0.06)[0], costs, DEV)
    loose = compile_plan(bounded_plan(costs, DEV, math.inf)[0], costs, DEV)
    assert int(np.sum(tight.commit)) > int(np.sum(loose.commit))
    assert tight.total_energy_j > loose.total_energy_j


def test_bounded_candidates_are_distinct_plans_that_compile() -> None:
    ts = load_taskset(TRIO)
    cands = bounded_candidates(ts)
    assert len(cands) == len(ts)
    for t, c in zip(ts.tasks, cands, strict=True):
        assert len(c) >= 2
        costs = t.model.costs(ts.device)
        for plan, origin in c.items():
            assert origin.startswith("seg<=")
            compile_plan(plan, costs, ts.device)


def test_joint_search_offers_bounded_plans_to_pausing_policies() -> None:
    ts = TaskSet(
        name="pair",
        device=DEV,
        tasks=(
            Task(name="kws", model=load_layers(KWS), period_s=6.0, deadline_s=6.0, priority=1),
            Task(name="lenet", model=load_layers(LENET), period_s=8.0, deadline_s=8.0, priority=2),
        ),
    )
    jr = joint_search(ts, constant(1e-3, 120.0), policies=("edf", "ia"))
    origins = {o for c in jr.candidates for o in c.values()}
    assert any(o.startswith("seg<=") for o in origins)
    # edf-pause is searched by default with a descent of its own (not only cross-checked)
    jr = joint_search(ts, constant(1e-3, 120.0))
    assert set(jr.per_policy) == {"fp", "edf", "ia", "edf-pause"}
    # and without a pausing policy none is offered
    jr = joint_search(ts, constant(1e-3, 120.0), policies=("edf",), cross=())
    assert not any(o.startswith("seg<=") for c in jr.candidates for o in c.values())


# -- the upper bound ---------------------------------------------------------------------


def test_job_floors_are_the_least_energy_and_time_over_all_plans() -> None:
    ts = TaskSet(
        name="one",
        device=DEV,
        tasks=(Task(name="m", model=_small_model(4), period_s=5.0, deadline_s=5.0, priority=1),),
    )
    every = _every_plan(ts.tasks[0].model.costs(DEV), 4)
    times = [compile_plan(p, ts.tasks[0].model.costs(DEV), DEV).total_time_s for p, _e, _s in every]
    ((e, s),) = job_floors(ts)
    assert e == pytest.approx(min(x for _p, x, _s in every), rel=1e-12)
    assert s == pytest.approx(min(times), rel=1e-12)


def _one_task(period: float, deadline: float) -> TaskSet:
    return TaskSet(
        name="one",
        device=DEV,
        tasks=(
            Task(
                name="kws", model=load_layers(KWS), period_s=period, deadline_s=deadline, priority=1
            ),
        ),
    )


def test_bound_on_constant_power_is_the_energy_budget() -> None:
    ts = _one_task(2.0, 10.0)  # a job every 2 s, due 10 s after its release
    ((e_k, _s),) = job_floors(ts)
    p, dur = 0.5e-3, 100.0
    b = success_bound(ts, constant(p, dur))
    assert b.jobs == 46  # releases at 0, 2, .., 90 s (deadline within the trace)
    # each window alone (a full capacitor + 10 s at 0.5 mW) holds a job, so all are
    # feasible; together they need more than the trace gives: floor((cap + P T) / E)
    assert DEV.max_energy_j + p * 10.0 > e_k
    assert b.feasible == (46,)
    assert b.bound == math.floor((DEV.max_energy_j + p * dur) / e_k)
    assert b.bound < 46


def test_bound_on_a_square_wave_counts_only_jobs_whose_window_has_the_energy() -> None:
    ts = _one_task(4.0, 2.0)
    ((e_k, _s),) = job_floors(ts)
    # 10 mW for 10 s of every 20 s: a job due 2 s after its release in the off half
    # (releases at 12 and 16 s of each period) gets no harvest and a capacitor that
    # holds less than the job needs; a job released at 8 s gets 2 s of 10 mW
    assert DEV.max_energy_j < e_k < 2.0 * 10e-3
    b = success_bound(ts, square_wave(10e-3, 20.0, 200.0))
    assert b.jobs == 50
    assert b.feasible == (30,)  # releases at 0, 4, 8 of every 20 s
    assert b.bound == 30


@pytest.mark.parametrize(
    "trace",
    [
        constant(1e-3, 300.0),
        square_wave(4e-3, 20.0, 300.0),
        markov_onoff(3e-3, 5.0, 8.0, 300.0, seed=3),
    ],
    ids=["const", "square", "markov"],
)
def test_no_simulated_configuration_beats_the_bound(trace) -> None:
    ts = load_taskset(TRIO)
    b = success_bound(ts, trace)
    ev = Evaluator(ts, trace)
    cands = bounded_candidates(ts)
    configs = [Config(tuple(c * len(t.model) for t in ts.tasks), "edf") for c in "TD"]
    configs += [Config(tuple(next(iter(c)) for c in cands), "ia")]
    configs += [Config(tuple(list(c)[-1] for c in cands), pol) for pol in ("edf-pause", "ia", "fp")]
    # yielding: long segments, so that paused jobs yield (saves and restores cost extra)
    long_segments = ("DD", "RRRRRRR", "LLLLLLLLDDR")
    configs += [Config(long_segments, pol) for pol in ("edf-yield", "ia-yield")]
    best = 0
    for cfg in configs:
        res = ev.run(cfg)
        assert res.n_jobs == b.jobs
        per_task = [int((res.completed & (res.task == k)).sum()) for k in range(len(ts))]
        assert all(x <= f for x, f in zip(per_task, b.feasible, strict=True))
        best = max(best, res.succeeded)
    assert best <= b.bound
    assert b.flow is not None and best <= b.flow and b.bound == min(b.knapsack, b.flow)
    # the bound is informative: not just the number of jobs released
    assert b.bound < b.jobs


def test_max_power_bounds_every_atom_of_every_plan() -> None:
    ts = load_taskset(TRIO)
    p = max_power_w(ts)
    rng = np.random.default_rng(0)
    for t in ts.tasks:
        costs = t.model.costs(DEV)
        for _ in range(60):
            plan = "".join(rng.choice(list(CODES), size=len(t.model)))
            try:
                a = compile_plan(plan, costs, DEV)
            except CMError:
                continue
            ok = a.time_s > 0
            assert np.all(a.energy_j[ok] <= p * a.time_s[ok] * (1 + 1e-12))
            assert not np.any(a.energy_j[~ok] > 0)


def test_flow_bound_counts_the_harvest_the_device_cannot_draw() -> None:
    # 20 mW, far above what the device can draw: the trace's energy would pay for every
    # job, but at most P_max * T of it can be used
    ts = _one_task(0.2, 2.0)
    ((e_k, _s),) = job_floors(ts)
    p_max = max_power_w(ts)
    assert p_max < 20e-3
    tr = constant(20e-3, 100.0)
    b = success_bound(ts, tr)
    assert b.knapsack == b.jobs  # energy alone does not bind
    assert b.flow == flow_bound(ts, tr)
    assert b.flow <= math.floor((DEV.max_energy_j + p_max * 100.0) / e_k) < b.knapsack
    assert b.bound == b.flow
    res = Evaluator(ts, tr).run(Config(("DD",), "edf-pause"))
    assert 0 < res.succeeded <= b.bound


def test_cli_reports_the_bound_beside_carins_choice(tmp_path, capsys) -> None:
    import re

    from carin.cli import main
    from carin.intermittent.sources import parse_source

    src = "square:high_mw=4,period_s=20,duration_s=120"
    rc = main(
        ["intermittent", "--taskset", str(TRIO), "--source", src, "-o", str(tmp_path / "r.csv")]
    )
    assert rc == 0
    out = capsys.readouterr().out
    m = re.search(
        r"(\d+)/(\d+) jobs done by their deadline \(no choice can do more than (\d+), "
        r"no policy with these plans more than (\d+)\)",
        out,
    )
    assert m, out
    done, jobs, bound, mine = map(int, m.groups())
    expected = success_bound(load_taskset(TRIO), parse_source(src))
    assert bound == expected.bound and jobs == expected.jobs
    # beside it, the bound for the plans chosen (printed as task:plan words)
    plans = tuple(re.search(r"kws:(\S+) lenet:(\S+) dscnn:(\S+):", out).groups())
    assert mine == success_bound(load_taskset(TRIO), parse_source(src), plans=plans).bound
    assert done <= mine <= bound


def test_integer_bound_is_reached_where_the_lp_splits_jobs() -> None:
    # trio at 0.5 mW: the fractional LP spreads the energy left after every KWS job over
    # many LeNet-5 jobs (about 38 jobs' worth), but no single LeNet-5 window gathers a
    # whole job's energy besides the KWS jobs it overlaps; with each job done or not the
    # bound is what a schedule actually reaches
    ts = load_taskset(TRIO)
    tr = constant(0.5e-3, 600.0)
    lp = flow_bound(ts, tr, integer=False)
    b = success_bound(ts, tr)
    assert b.flow == flow_bound(ts, tr) and b.bound == b.flow
    assert b.bound < lp
    plans = ("DD", "R" * len(ts.tasks[1].model), "R" * len(ts.tasks[2].model))
    res = Evaluator(ts, tr).run(Config(plans, "ia"))
    assert res.succeeded == b.bound


def test_integer_bound_stopped_by_the_node_limit_still_holds() -> None:
    # trio at 2 mW needs a few hundred nodes to prove its optimum; stopped at one node,
    # the solver's dual bound is looser but never below the proven one
    ts = load_taskset(TRIO)
    tr = constant(2e-3, 600.0)
    full = flow_bound(ts, tr, node_limit=5000)
    root = flow_bound(ts, tr, node_limit=1)
    lp = flow_bound(ts, tr, integer=False)
    assert full is not None and root is not None
    assert full < root <= lp
    res = Evaluator(ts, tr).run(Config(("RR", "L" * 7, "DDDRDDLDDDR"), "ia"))
    assert res.succeeded <= full
    assert flow_bound(ts, tr, node_limit=1) == root  # a node limit is deterministic


# -- the bound for given plans ---------------------------------------------------------

SENSOR_HUB = ROOT / "spaces" / "intermittent-multitask" / "sensor-hub.yaml"


def test_job_floors_for_given_plans_are_those_plans_costs() -> None:
    ts = load_taskset(TRIO)
    plans = ("DD", "TTTLJJJ", "T" * 11)
    got = job_floors(ts, plans)
    for t, p, (e, s) in zip(ts.tasks, plans, got, strict=True):
        a = compile_plan(p, t.model.costs(DEV), DEV)
        assert (e, s) == (a.total_energy_j, a.total_time_s)
    # never below the least over all plans
    assert all(e >= f for (e, _s), (f, _t) in zip(got, job_floors(ts), strict=True))
    with pytest.raises(ValueError, match="2 plans for 3 tasks"):
        job_floors(ts, plans[:2])


def test_plans_bound_splits_the_gap_into_checkpoints_and_schedule() -> None:
    # sensor-hub on the 2 mW square wave (3 s of every 6 s): the bound lets 10 DS-CNN-S
    # jobs through on the least energy of any plan (19.3 mJ, slices without commits),
    # but the tiled plan that lets KWS preempt costs 23.8 mJ a job, and with the plans
    # edf-pause runs, no policy completes more than edf-pause itself: the 10 jobs are
    # the plans' checkpoints, not the schedule
    ts = load_taskset(SENSOR_HUB)
    tr = square_wave(2e-3, 6.0, 600.0)
    plans = ("DD", "TTTLJJJ", "T" * 11)
    every = success_bound(ts, tr)
    mine = success_bound(ts, tr, plans=plans)
    assert every.bound == 170 and mine.bound == 160
    assert mine.flow == flow_bound(ts, tr, plans=plans)
    ev = Evaluator(ts, tr)
    done = {pol: ev.run(Config(plans, pol)).succeeded for pol in ("edf-pause", "ia-yield", "edf")}
    assert max(done.values()) == done["edf-pause"] == mine.bound
    assert all(v <= mine.bound for v in done.values())


@pytest.mark.parametrize("seed", [3, 4])
def test_plans_bound_holds_for_every_policy(seed: int) -> None:
    ts = load_taskset(TRIO)
    tr = markov_onoff(3e-3, 5.0, 8.0, 300.0, seed=seed)
    every = success_bound(ts, tr).bound
    ev = Evaluator(ts, tr)
    for plans in [("DD", "DDRRRRR", "LLLLLLLLDDR"), ("TJ", "TTTLJJJ", "T" * 11)]:
        mine = success_bound(ts, tr, plans=plans).bound
        assert mine <= every
        for pol in ("fp", "edf", "edf-pause", "edf-yield", "ia", "ia-yield"):
            assert ev.run(Config(plans, pol)).succeeded <= mine
