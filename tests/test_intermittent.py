"""Intermittent devices: simulator closed forms, analytical model, DP search, importers, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from carin.intermittent import Device, Trace, load_layers, load_mementos, load_react
from carin.intermittent.analytical import CycleStats, cycle_stats, expected_latency
from carin.intermittent.cm import compile_plan
from carin.intermittent.layers import Layer, LayerTable
from carin.intermittent.profile import PlanRun, candidate_plans, choose_by_band
from carin.intermittent.search import best_plan, brute_force_plan
from carin.intermittent.simulator import JobResults, Simulator, simulate

ROOT = Path(__file__).resolve().parents[1]
ENERGY = ROOT.parent / "shared" / "datasets" / "energy"
LENET = ROOT / "spaces" / "intermittent" / "lenet5.yaml"
KWS = ROOT / "spaces" / "intermittent" / "kws-tinyconv.yaml"
CNN = ROOT / "tests" / "fixtures" / "models" / "cnn_s_int8.tflite"
needs_data = pytest.mark.skipif(not ENERGY.is_dir(), reason="../shared/datasets absent")


def _const(power_w: float, seconds: float, dt: float = 0.02) -> Trace:
    return Trace(name="const", power_w=np.full(int(seconds / dt), power_w), dt=dt)


def _stats(budget_j, store_j, *, on_s=None, off_s=None, reboot_j: float = 0.0) -> CycleStats:
    """Hand-made power-cycle statistics (1 s on and off per cycle unless given)."""
    b = np.asarray(budget_j, dtype=float)
    ones = np.ones(b.size)
    return CycleStats(
        budget_j=b,
        store_j=np.asarray(store_j, dtype=float),
        power_w=np.zeros(b.size),
        on_s=ones if on_s is None else np.asarray(on_s, dtype=float),
        off_s=ones if off_s is None else np.asarray(off_s, dtype=float),
        active_w=5e-3,
        reboot_j=reboot_j,
    )


def test_constant_power_above_consumption_has_no_failures() -> None:
    d = Device.msp430fr5994()
    costs = load_layers(LENET).costs(d)
    atoms = compile_plan("LLLLLLL", costs, d)
    p = 1.5 * float(atoms.energy_j.max() / atoms.time_s.min())  # above every atom's power
    res = simulate(atoms, _const(p, 30.0), d, period=2.0, deadline=2.0)
    assert res.completed.all() and (res.cycles == 0).all()
    # later jobs start on a booted, sleeping device: latency = layer times + checkpoint costs
    expected = float(costs.time_s.sum()) + float(atoms.time_s.sum() - costs.time_s.sum())
    assert atoms.time_s.sum() > costs.time_s.sum()  # checkpoints cost time
    np.testing.assert_allclose(res.latency_s[1:], expected, rtol=1e-9)
    # first job: charge to v_on, then reboot, then the work
    first = d.cycle_energy_j / p + d.reboot_s + expected
    assert res.latency_s[0] == pytest.approx(first, rel=1e-9)
    assert res.nvm_bytes[1:] == pytest.approx(atoms.total_nvm_bytes)


def test_constant_power_below_consumption_matches_capacitor_equations() -> None:
    d = Device.msp430fr5994()
    p = 1e-3
    sim = Simulator(trace=_const(p, 20.0), device=d)
    sim.log = []
    costs = load_layers(LENET).costs(d)
    atoms = compile_plan("TTTTTTT", costs, d)
    res = sim.run(atoms, period=None, deadline=math.inf, max_jobs=1)
    log = np.array(sim.log)
    off = log[log[:, 0] == 0]
    on = log[log[:, 0] == 1]
    # first charge from empty, then every recharge from v_off to v_on: C (Von^2-Voff^2)/2 / p
    assert off[0, 2] - off[0, 1] == pytest.approx(d.cycle_energy_j / p, rel=1e-9)
    np.testing.assert_allclose(off[1:, 2] - off[1:, 1], d.cycle_energy_j / p, rtol=1e-6)
    # each on-period drains E_c at the net rate (P - p) of whichever atoms run: for tiles
    # of one power P the on-time is t_rb + (E_c - (E_rb - p t_rb)) / (P - p)
    big_p = atoms.energy_j[0] / atoms.time_s[0]
    n_first = int(np.sum(atoms.layer == 0))
    assert atoms.energy_j[:n_first].sum() > 2 * d.max_energy_j  # first cycle stays in layer 0
    np.testing.assert_allclose(atoms.energy_j[:n_first] / atoms.time_s[:n_first], big_p)
    t_on = d.reboot_s + (d.cycle_energy_j - (d.reboot_j - p * d.reboot_s)) / (big_p - p)
    assert on[0, 2] - on[0, 1] == pytest.approx(t_on, rel=1e-6)
    # failures: every on-period but the last ends in a brown-out
    assert res.completed[0]
    assert res.cycles[0] == len(on)
    # energy conservation: consumed = harvested - left in the capacitor (never above E_max)
    t_end = res.release_s[0] + res.latency_s[0]
    assert res.energy_j[0] <= p * t_end + 1e-12
    assert res.energy_j[0] >= p * t_end - d.max_energy_j


@needs_data
@pytest.mark.parametrize("name", ["rf-cart", "rf-mobile", "rf-obstruction"])
def test_expected_latency_within_10_percent_on_react(name: str) -> None:
    # every plan carin considers (each applicable uniform CM and the DP plan) that completes
    # at least 5 back-to-back jobs in the simulation, for the three models
    d = Device.msp430fr5994()
    tr = load_react(ENERGY / "rf-react" / f"{name}.trace")
    checked = 0
    for model in (CNN, LENET, KWS):
        layers = load_layers(model)
        plans = candidate_plans(layers, tr, d, bands_mw=(0.0, float("inf")))
        costs = layers.costs(d)
        for plan in plans:
            atoms = compile_plan(plan, costs, d)
            res = simulate(atoms, tr, d, period=None, deadline=math.inf)
            if res.completed.sum() < 5:  # too few jobs for a mean
                continue
            sim = float(np.nanmean(res.latency_s[res.completed]))
            pred = expected_latency(atoms, tr, d)
            assert pred == pytest.approx(sim, rel=0.10), (model.name, plan, pred, sim)
            checked += 1
    assert checked >= 5


def test_replay_counts_packed_segments_exactly() -> None:
    # three cycles of budget 2.5, 0.5 and 4 work units, a plan of one plain segment of 1:
    # floor packing completes 2 + 0 + 4 jobs; a J segment of 1 with no reserve completes
    # 7 (it keeps partial progress across cycles)
    from carin.intermittent.analytical import replay

    stats = _stats([2.5, 0.5, 4.0], [1.0, 1.0, 1.0])
    d = Device.msp430fr5994()
    costs = _small_model(1).costs(d)
    plain = compile_plan("L", costs, d)
    scale = 1.0 / plain.total_energy_j
    from dataclasses import replace

    unit = replace(plain, energy_j=plain.energy_j * scale)
    assert replay(unit, stats).jobs == 6
    jit = replace(unit, jit=np.ones(1, bool), ckpt_j=np.zeros(1), restore_j=np.zeros(1))
    assert replay(jit, stats).jobs == 7
    # a reserve of half the stored energy costs W_i / 2 of each cycle's work: 1 job and
    # 0.25 kept, 0.25 more kept, then 2 jobs in the last cycle
    assert replay(replace(jit, ckpt_j=np.full(1, 0.5)), stats).jobs == 3


def _small_model(n: int) -> LayerTable:
    base = load_layers(LENET).layers
    pool = [*base, *base]
    return LayerTable(name=f"m{n}", precision="int16", layers=tuple(pool[:n]))


@needs_data
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_dp_equals_brute_force(n: int) -> None:
    d = Device.msp430fr5994()
    stats = cycle_stats(load_react(ENERGY / "rf-react" / "rf-mobile.trace"), d)
    costs = _small_model(n).costs(d)
    plan, cost = best_plan(costs, d, stats)
    ref_plan, ref_cost = brute_force_plan(costs, d, stats)
    assert cost == pytest.approx(ref_cost, rel=1e-9)
    assert plan == ref_plan


@needs_data
@pytest.mark.slow
def test_dp_equals_brute_force_six_layers() -> None:
    d = Device.msp430fr5994()
    for name in ("rf-cart", "rf-obstruction"):
        stats = cycle_stats(load_react(ENERGY / "rf-react" / f"{name}.trace"), d)
        costs = _small_model(6).costs(d)
        assert best_plan(costs, d, stats) == pytest.approx(brute_force_plan(costs, d, stats))


def test_dp_uses_layer_structure() -> None:
    # a tiny synthetic stats object: budgets too small for a whole layer -> fine CMs win
    d = Device.msp430fr5994()
    costs = _small_model(3).costs(d)
    stats = _stats(np.full(50, 30e-6), np.full(50, 30e-6), reboot_j=d.reboot_j)
    plan, cost = best_plan(costs, d, stats)
    assert math.isfinite(cost) and set(plan) <= set("TJ")
    assert set(best_plan(costs, d, stats, codes="RL")[0]) <= set("RL")


@needs_data
def test_react_importer_units() -> None:
    tr = load_react(ENERGY / "rf-react" / "rf-cart.trace")
    assert tr.dt == pytest.approx(0.02)
    assert 1.5e-3 < tr.mean_power_w < 2.5e-3  # published mean 2.1 mW
    assert tr.power_w.max() <= 10.5e-3  # saturates at 10 mW


@needs_data
def test_mementos_glitches_and_clock_are_repaired() -> None:
    tr = load_mementos(ENERGY / "rf-mementos" / "3.txt")
    rep = tr.report
    assert rep.glitches == (10145, 11145)  # lines whose seconds digit jumps ahead by one
    assert any("rollover" in w for w in rep.warnings)
    assert tr.dt == pytest.approx(1e-3)
    # the minute rollover is decoded, not a 40 s gap: length matches the sample count
    assert tr.power_w.size == rep.samples
    raw = np.loadtxt(ENERGY / "rf-mementos" / "3.txt")
    np.testing.assert_allclose(tr.power_w, raw[:, 1] ** 2 / 30e3)


def test_mementos_gap_is_filled_and_reported(tmp_path: Path) -> None:
    lines = [f"{35136000 + i} 1.0" for i in range(10)] + [
        f"{35136000 + i} 1.0" for i in range(20, 25)
    ]
    f = tmp_path / "rf-mementos" / "9.txt"
    f.parent.mkdir()
    f.write_text("\n".join(lines) + "\n")
    tr = load_mementos(f)
    assert tr.power_w.size == 25 and (tr.power_w[10:20] == 0).all()
    assert tr.report.gaps and tr.report.gaps[0][0] == 11


@needs_data
def test_cli_profile_solve_and_switcher_by_power(tmp_path: Path) -> None:
    from carin.cli import main
    from carin.runtime import Switcher

    out = tmp_path / "p.csv"
    rc = main(
        [
            "intermittent",
            "-m",
            str(CNN),
            "-t",
            str(ENERGY / "rf-react" / "rf-cart.trace"),
            "--period",
            "2",
            "-o",
            str(out),
        ]
    )
    assert rc in (0, None)
    import pandas as pd

    frame = pd.read_csv(out)
    assert {
        "cm",
        "success_rate",
        "latency_ms",
        "energy_mj",
        "nvm_kb",
        "power_lo_mw",
        "power_hi_mw",
    } <= set(frame.columns)
    assert (frame["cm"] == "TTT").any()
    spec = tmp_path / "s.yaml"
    spec.write_text(
        f"name: t\nprofiles: {out}\nobjectives: [{{metric: success_rate, goal: max}}, "
        "'min latency_ms']\nconstraints: ['success_rate >= 50']\n"
        "anticipate: {power_mw: [0.5, 2, 5]}\n"
    )
    rc = main(["solve", str(spec), "--out", str(tmp_path / "sol")])
    assert rc in (0, None)
    # one overall row per plan (no band) besides its band rows
    overall = frame[frame["power_lo_mw"].isna() & frame["power_hi_mw"].isna()]
    assert sorted(overall["cm"]) == sorted(frame["cm"].unique())
    plan = json.loads((tmp_path / "sol" / "plan.json").read_text())
    # the plan starts with the best overall plan: rank 0, no band
    assert plan["primary"] == plan["designs"][0]["id"]
    assert "power_band_mw" not in plan["designs"][0]
    best = overall.sort_values(["success_rate", "latency_ms"], ascending=[False, True]).iloc[0]
    assert plan["designs"][0]["parts"][0]["config"]["cm"] == best["cm"]
    sw = Switcher.from_dict(plan)
    assert sw.cache_mismatches == []  # the solver and the Switcher agree on every level
    assert sw.select({}).design_id == plan["primary"]
    band_rows = frame[frame["power_lo_mw"].notna()]
    for p in (0.5, 2.0, 5.0):
        dec = sw.select({"power_mw": p})
        assert dec.design is not None
        here = band_rows[(band_rows["power_lo_mw"] <= p) & ~(band_rows["power_hi_mw"] <= p)]
        ok = here[here["success_rate"] >= 50]
        if len(ok):  # a plan meets the SLO in the band: a design of that band runs
            lo, hi = dec.design["power_band_mw"]
            assert lo <= p and (hi is None or p < hi)
            assert dec.design["metrics"]["success_rate"] == ok["success_rate"].max()
        else:  # none does: the overall best plan runs
            assert dec.design_id == plan["primary"]


def test_tiny_layer_table() -> None:
    ly = Layer(
        name="a",
        op="dense",
        macs=10,
        calls=1,
        cpu_ops=1,
        weight_elems=11,
        weight_transfers=1,
        in_elems=10,
        out_elems=1,
    )
    t = LayerTable(name="x", precision="int16", layers=(ly,))
    assert len(compile_plan("L", t.costs(Device()), Device())) == 1


def test_device_and_layer_yaml_errors_name_file_and_line(tmp_path):
    from carin.intermittent.device import Device, DeviceError
    from carin.intermittent.layers import LayerError, load_layers

    dev = tmp_path / "dev.yaml"
    dev.write_text("capacitance_f: 1.0e-4\nwarp_drive: 3\n")
    with pytest.raises(DeviceError, match=r"dev\.yaml:2: unknown device field 'warp_drive'"):
        Device.from_yaml(dev)
    dev.write_text("capacitance_f: [1\n")
    with pytest.raises(DeviceError, match=r"dev\.yaml:\d+: malformed YAML"):
        Device.from_yaml(dev)
    bad = tmp_path / "net.yaml"
    bad.write_text("layers: [\n")
    with pytest.raises(LayerError, match=r"net\.yaml:\d+: malformed YAML"):
        load_layers(bad)
    with pytest.raises(LayerError, match="no such file"):
        load_layers(tmp_path / "missing.yaml")


def test_busy_cycles_span_job_boundaries() -> None:
    # harvest just below the draw: one power cycle lasts ~25 s, longer than the busy
    # device's 4 s jobs; its on-time must match the live-time function, not a job's length
    from carin.intermittent.analytical import live_time

    d = Device.msp430fr5994()
    p, big_p = 4.99e-3, 5e-3
    stats = cycle_stats(_const(p, 300.0), d, active_w=big_p)
    expect = float(live_time(d, p, active_w=big_p))
    assert expect > 10.0
    np.testing.assert_allclose(stats.on_s[1:], expect, rtol=1e-3)
    np.testing.assert_allclose(stats.budget_j[1:], (expect - d.reboot_s) * big_p, rtol=1e-3)


def test_jit_is_refused_where_its_checkpoint_exceeds_a_power_cycle() -> None:
    from carin.intermittent.cm import CMError

    d = Device.msp430fr5994()
    model = load_layers(LENET)
    costs = model.costs(d)
    with pytest.raises(CMError, match="layer 0") as err:
        compile_plan("J" * len(model), costs, d)
    assert "use R, L, T or D" in str(err.value)
    compile_plan("LLLJJJJ", costs, d)  # the small layers take J
    stats = _stats(np.full(50, 2e-3), np.full(50, 100e-6), reboot_j=d.reboot_j)
    plan, cost = best_plan(costs, d, stats, codes="RJ")
    assert math.isfinite(cost) and plan[0] == "R"  # never J on layer 0
    assert "JJJJJJJ" not in candidate_plans(model, _const(2e-3, 60.0), d)


def _runs(
    power_mw: np.ndarray, done: dict[str, np.ndarray], lat: dict[str, np.ndarray] | None = None
) -> list[PlanRun]:
    n = power_mw.size
    lat = lat or {}
    return [
        PlanRun(
            plan=name,
            origin="x",
            jobs=JobResults(
                release_s=np.arange(n, dtype=float),
                completed=ok,
                latency_s=np.where(ok, lat.get(name, np.ones(n)), np.nan),
                energy_j=np.ones(n),
                nvm_bytes=np.zeros(n),
                cycles=np.zeros(n, int),
                plan=np.zeros(n, int),
                power_w=power_mw * 1e-3,
                sim_time_s=float(n),
            ),
        )
        for name, ok in done.items()
    ]


def test_choose_by_band_switches_only_on_clear_evidence() -> None:
    # band [0, 1): 40 jobs, B completes 10 more than A -> switch; band [1, 2): 40 jobs,
    # B only 1 more -> keep A; band [2, 3): 5 jobs, B wins all -> too few, keep A
    pw = np.concatenate([np.full(40, 0.5), np.full(40, 1.5), np.full(5, 2.5)])
    a = np.concatenate([np.arange(40) < 20, np.arange(40) < 20, np.zeros(5, bool)])
    b = np.concatenate([np.arange(40) < 30, np.arange(40) < 21, np.ones(5, bool)])
    runs = _runs(pw, {"A": a, "B": b})
    assert choose_by_band(runs, "A", bands_mw=(0, 1, 2, 3)) == ["B", "A", "A"]
    assert choose_by_band(runs, "A", bands_mw=(0, 1, 2, 3), min_jobs=5) == ["B", "A", "B"]
    with pytest.raises(ValueError, match="default plan"):
        choose_by_band(runs, "C")


def test_choose_by_band_switches_to_a_faster_plan_only_without_losing_jobs() -> None:
    # 30 jobs in one band; all complete under A (1 s +- noise) and B (0.6 s); C is faster
    # still but misses 3 jobs; D is 1% faster (below the 5% threshold)
    rng = np.random.default_rng(0)
    pw = np.full(30, 2.0)
    base = 1.0 + 0.01 * rng.standard_normal(30)
    done = {"A": np.ones(30, bool), "B": np.ones(30, bool), "D": np.ones(30, bool)}
    done["C"] = np.arange(30) >= 3
    lat = {"A": base, "B": base * 0.6, "C": base * 0.3, "D": base * 0.99}
    runs = _runs(pw, done, lat)
    assert choose_by_band(runs, "A", bands_mw=(0, 5)) == ["B"]
    assert choose_by_band([r for r in runs if r.plan in "AD"], "A", bands_mw=(0, 5)) == ["A"]


def test_for_period_caps_long_cycles_at_the_jobs_they_serve() -> None:
    # a 100 s cycle with 1 s of recharge serves 11 jobs released every 10 s: its budget
    # is capped at 11 jobs; a 2 s cycle serves one job and keeps its smaller budget
    stats = _stats([5.0, 0.2], [0.1, 0.1], on_s=[100.0, 2.0], off_s=[1.0, 0.0])
    capped = stats.for_period(10.0, 0.3)
    np.testing.assert_allclose(capped.budget_j, [11 * 0.3, 0.2])
    np.testing.assert_array_equal(capped.on_s, stats.on_s)
    with pytest.raises(ValueError, match="must be > 0"):
        stats.for_period(0.0, 0.3)


@needs_data
def test_replay_counts_whole_jobs_at_once_as_one_by_one(monkeypatch) -> None:
    from carin.intermittent import analytical
    from carin.intermittent.analytical import replay

    d = Device.msp430fr5994()
    tr = load_react(ENERGY / "rf-react" / "rf-cart.trace")
    costs = load_layers(CNN).costs(d)
    for plan in ("RRJ", "TTT", "JJJ", "TRJ"):
        atoms = compile_plan(plan, costs, d)
        stats = cycle_stats(tr, d, profile=atoms)
        fast = replay(atoms, stats)
        monkeypatch.setattr(analytical, "_WHOLE_JOBS", False)
        slow = replay(atoms, stats)
        monkeypatch.setattr(analytical, "_WHOLE_JOBS", True)
        assert fast.jobs == slow.jobs > 100
        assert fast.latency_s == pytest.approx(slow.latency_s, rel=1e-9)
        assert fast.lost_j == pytest.approx(slow.lost_j, rel=1e-9, abs=1e-15)


def test_volatile_state_of_every_atom_follows_the_jit_checkpoint_model() -> None:
    d = Device.msp430fr5994()
    model = load_layers(LENET)
    c = model.costs(d)
    eb, regs = d.element_bytes, d.jit_state_extra_bytes
    small = c.out_elems * eb <= d.sram_fmap_bytes  # an R output that stays in SRAM
    assert small.any() and (~small).any()
    # a J atom's state is exactly its JIT checkpoint's
    a = compile_plan("LLLJJJJ", c, d)
    np.testing.assert_array_equal(a.state_bytes[a.jit], a.ckpt_bytes[a.jit])
    # R: the input if it is in SRAM (not the model's input, nor after a spill), plus
    # the output unless it spills to FRAM, plus the registers
    a = compile_plan("R" * len(model), c, d)
    in_sram = np.concatenate([[False], small[:-1]])
    want = np.where(in_sram, c.in_elems, 0) * eb + np.where(small, c.out_elems, 0) * eb + regs
    np.testing.assert_allclose(a.state_bytes, want)
    # L: the output is built in SRAM and written at the end; every input is in FRAM
    a = compile_plan("L" * len(model), c, d)
    np.testing.assert_allclose(a.state_bytes, c.out_elems * eb + regs)
    # T: a tile holds its share of the output, its input is re-read from FRAM
    a = compile_plan("T" * len(model), c, d)
    for k in range(len(model)):
        tiles = np.count_nonzero(a.layer == k)
        np.testing.assert_allclose(a.state_bytes[a.layer == k], c.out_elems[k] / tiles * eb + regs)
