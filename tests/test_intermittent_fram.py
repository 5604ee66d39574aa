"""FRAM footprint of plans and task sets: the device field, the model, the CLI's rows,
warnings and refusal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carin.cli import main
from carin.intermittent import Device, DeviceError, load_layers
from carin.intermittent.cm import CODES, CMError, compile_plan, fram_footprint
from carin.intermittent.joint import Evaluator
from carin.intermittent.multitask import MultiSimulator
from carin.intermittent.policies import POLICIES, IntermittenceAware, Policy, make_policy
from carin.intermittent.sources import parse_source
from carin.intermittent.tasks import (
    TaskSetError,
    check_weights_fit,
    load_taskset,
    taskset_footprint,
)

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "spaces" / "intermittent"

# Three layers, sizes in elements (2 B each on the default device, whose SRAM keeps a
# map of at most 4,096 B): a's output (5,000 B) and b's (4,200 B) are spilled by R.
TINY = """\
name: tiny
precision: int16
layers:
  - {name: a, type: custom, macs: 20000, weights: 1000, input: 100, output: 2500}
  - {name: b, type: custom, macs: 20000, weights: 200, input: 2500, output: 2100}
  - {name: c, type: custom, macs: 2000, weights: 60, input: 2100, output: 10}
"""
WEIGHTS = (1000 + 200 + 60) * 2  # 2,520 B
INPUT = 100 * 2


def _tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_device_fram_bytes_default_override_and_validation(tmp_path: Path) -> None:
    assert Device.msp430fr5994().fram_bytes == 262_144  # 256 KB, MSP430FR5994 datasheet
    f = tmp_path / "dev.yaml"
    f.write_text("fram_bytes: 131072\n")
    assert Device.from_yaml(f).fram_bytes == 131_072
    f.write_text("fram_bytes: 0\n")
    with pytest.raises(DeviceError, match="fram_bytes"):
        Device.from_yaml(f)


def test_plan_footprint_by_hand(tmp_path: Path) -> None:
    d = Device.msp430fr5994()
    costs = load_layers(_tiny(tmp_path)).costs(d)

    def fp(plan: str, **kw):
        return fram_footprint(compile_plan(plan, costs, d), costs, d, **kw)

    # R: a spills (5,000 B); b reads it and spills its own (4,200 B); c reads b's map
    r = fp("RRR")
    assert (r.weights, r.inputs, r.maps, r.jit, r.yield_buffer) == (WEIGHTS, INPUT, 9200, 0, 0)
    assert r.total == 2520 + 200 + 9200
    # L: output + 2-B commit marker; b writes its output while a's committed map is read
    ll = fp("LLL")
    assert ll.maps == (2500 + 1) * 2 + (2100 + 1) * 2 and ll.jit == 0
    # L R L: the resume point (a's committed map) survives while b's spilled map is read
    # and c's committed output is written: three maps coexist
    assert fp("LRL").maps == 5002 + 4200 + 22
    # J: maps as L, plus the JIT buffer of its largest checkpoint (a: 32 register
    # elements + its 2,500 outputs; its input is read from FRAM, not volatile)
    j = fp("JJJ")
    assert j.maps == ll.maps and j.jit == (32 + 2500) * 2
    assert j.total == WEIGHTS + INPUT + 9204 + 5064
    # R then J: the JIT buffer is the J layer's own checkpoint (input in FRAM after a
    # spill: 32 + 10 elements)
    assert fp("RRJ").jit == (32 + 10) * 2
    # a depth-first slice keeps its inner maps out of FRAM
    assert fp("DDD").maps == (10 + 1) * 2
    # a yielding policy adds the largest volatile state (L on a: 32 + 2,500 elements)
    assert fp("LLL", yields=True).yield_buffer == (32 + 2500) * 2
    assert fp("LLL", yields=True).total == ll.total + 5064


def test_depth_first_slice_state_is_its_tile_buffers_by_hand(tmp_path: Path) -> None:
    """A save in a D slice writes the registers (32 elements), the layer's input and
    output tile buffers (inner layers with their 15 % halo) and a volatile slice input;
    the slice's written output tiles are in FRAM (its map counts on every atom)."""
    d = Device.msp430fr5994()
    costs = load_layers(_tiny(tmp_path)).costs(d)
    a = compile_plan("DDD", costs, d)
    # tiles: about tile_j each of the slice's energy, at most one per output element (10)
    assert a.total_energy_j / d.tile_j > 10
    tiles, h = 10, 1.15
    buf_a, buf_b, buf_c = 2500 * h / tiles, 2100 * h / tiles, 10 / tiles
    want = [32 + buf_a, 32 + buf_a + buf_b, 32 + buf_b + buf_c]
    np.testing.assert_allclose(a.state_bytes, np.array(want) * 2)  # 639, 1,122, 549 B
    # the old per-layer bound (input + whole output + registers) is above every atom
    old = np.array([32 + 2500, 32 + 2500 + 2100, 32 + 2100 + 10]) * 2
    assert (a.state_bytes < old).all()
    np.testing.assert_array_equal(a.map_bytes, (10 + 1) * 2)
    assert fram_footprint(a, costs, d, yields=True).yield_buffer == 1122
    # one tile (a tile as large as the slice) runs layer by layer: whole maps, the
    # per-layer formula exactly
    one = replace(d, tile_j=1.0)
    np.testing.assert_allclose(compile_plan("DDD", costs, one).state_bytes, old)
    # a slice input in SRAM (a's 5,000 B kept by R when SRAM holds 8 KiB) stays for the
    # tiles to come: every atom of the slice saves it, above the per-layer formula at c
    big = replace(d, sram_fmap_bytes=8192)
    c2 = load_layers(tmp_path / "tiny.yaml").costs(big)
    a = compile_plan("RDD", c2, big)
    assert a.energy_j[1:].sum() / big.tile_j > 10
    np.testing.assert_allclose(
        a.state_bytes[1:], np.array([32 + 2500 + buf_b, 32 + 2500 + buf_b + buf_c]) * 2
    )
    assert a.state_bytes[2] > (32 + 2100 + 10) * 2


@pytest.mark.parametrize("model", ["lenet5", "kws-tinyconv", "ds-cnn-s"])
def test_depth_first_state_never_above_the_per_layer_bound_with_input_in_fram(
    model: str,
) -> None:
    """Random plans of the shipped models: a D atom whose slice reads its input from FRAM
    saves at most the per-layer state (its input if in SRAM + whole output + registers),
    and some save less."""
    d = Device.msp430fr5994()
    costs = load_layers(MODELS / f"{model}.yaml").costs(d)
    n = costs.energy_j.size
    eb, regs = d.element_bytes, d.jit_state_extra_bytes
    rng = np.random.default_rng(1)
    plans = ["D" * n] + ["".join(rng.choice(list("RLTD"), n)) for _ in range(200)]
    smaller = 0
    for plan in plans:
        a = compile_plan(plan, costs, d)
        in_sram = False  # the layer's input is in SRAM (an R output that fits it)
        for k, code in enumerate(plan):
            first = k == 0 or plan[k - 1] != "D"
            if code == "D" and first:
                slice_in_fram = not in_sram
            if code == "D" and slice_in_fram:
                per_layer = (costs.in_elems[k] * eb if in_sram else 0) + costs.out_elems[k] * eb
                assert a.state_bytes[a.layer == k][0] <= per_layer + regs + 1e-9, (plan, k)
                smaller += a.state_bytes[a.layer == k][0] < per_layer + regs
            small = costs.out_elems[k] * eb <= d.sram_fmap_bytes
            in_sram = (code == "R" and small) or (
                code == "D" and not (k + 1 == n or plan[k + 1] != "D")
            )
    assert smaller > 0


@pytest.mark.parametrize("model", ["lenet5", "kws-tinyconv", "ds-cnn-s"])
def test_every_atom_holds_what_it_writes(model: str) -> None:
    """Every atom's FRAM writes lie within the maps the footprint holds for it, and the
    peak is at least the largest output any plan commits (random plans)."""
    d = Device.msp430fr5994()
    costs = load_layers(MODELS / f"{model}.yaml").costs(d)
    n = costs.energy_j.size
    rng = np.random.default_rng(0)
    plans = [c * n for c in CODES] + ["".join(rng.choice(list(CODES), n)) for _ in range(40)]
    for plan in plans:
        try:
            atoms = compile_plan(plan, costs, d)
        except CMError:
            continue
        assert (atoms.nvm_bytes <= atoms.map_bytes + 1e-9).all(), plan
        f = fram_footprint(atoms, costs, d)
        assert f.weights == costs.weight_bytes.sum() and f.inputs == costs.in_bytes[0]


def _set(tmp_path: Path, device: str = "", *, same_file: bool = False) -> Path:
    """Two tasks with the TINY layers: from two files (two models that happen to have
    the same layers, so two copies of the weights), or from one file (one copy)."""
    _tiny(tmp_path)
    (tmp_path / "tiny2.yaml").write_text(TINY)
    path = tmp_path / "set.yaml"
    path.write_text(
        "name: pair\n"
        + device
        + "tasks:\n"
        + "  - {name: fast, model: tiny.yaml, period: 4}\n"
        + f"  - {{name: slow, model: {'tiny' if same_file else 'tiny2'}.yaml, period: 10, "
        + "deadline: 25}\n"
    )
    return path


def test_taskset_footprint_is_sum_of_parts_plus_shared(tmp_path: Path) -> None:
    ts = load_taskset(_set(tmp_path))
    d = ts.device
    costs = ts.tasks[0].model.costs(d)
    plans = ("JJJ", "RRJ")
    one = [fram_footprint(compile_plan(p, costs, d), costs, d) for p in plans]
    # 'slow' (deadline 25 s, period 10 s): 3 jobs pending at once, each with its input;
    # EDF runs them in release order, so one job's maps; 'ia' without release order may
    # interleave them
    edf = taskset_footprint(ts, plans, "edf")
    assert edf.pending == (1, 3) and edf.in_progress == (1, 1)
    parts = (
        2 * WEIGHTS
        + INPUT
        + 3 * INPUT
        + one[0].maps
        + one[1].maps
        + max(one[0].jit, one[1].jit)  # one JIT buffer, shared
        + 4 * 2  # scheduler record
    )
    assert edf.total == parts and edf.jit == one[0].jit
    assert taskset_footprint(ts, plans, "ia").total == parts  # 'ia' keeps release order
    ia = taskset_footprint(ts, plans, IntermittenceAware(release_order=False))
    assert ia.in_progress == (1, 3) and ia.total == parts + 2 * one[1].maps
    assert "slow (3 jobs pending, 3 in progress)" in ia.terms()
    # yielding: one yield buffer per task, the largest save that fits a full capacitor
    y = taskset_footprint(ts, plans, "ia-yield")
    ya = [fram_footprint(compile_plan(p, costs, d), costs, d, yields=True) for p in plans]
    assert y.total == parts + ya[0].yield_buffer + ya[1].yield_buffer
    assert ya[0].yield_buffer > 0
    assert "slow (3 jobs pending, 1 in progress)" in y.terms()
    assert taskset_footprint(ts, plans, make_policy("edf")).total == edf.total


def test_tasks_with_one_model_file_share_its_weights(tmp_path: Path, capsys) -> None:
    """Weights are read-only: two tasks whose models come from one file keep one copy
    (the first task counts it), two files with the same layers keep two."""
    plans = ("JJJ", "RRJ")
    two = taskset_footprint(load_taskset(_set(tmp_path)), plans, "edf")
    one = taskset_footprint(load_taskset(_set(tmp_path, same_file=True)), plans, "edf")
    assert two.weights == 2 * WEIGHTS and one.weights == WEIGHTS
    assert one.total == two.total - WEIGHTS
    assert [f.weights for f in one.tasks] == [WEIGHTS, 0.0]
    assert one.weights_of == ("", "fast") and "weights shared with fast" in one.terms()
    assert "shared" not in two.terms()
    # the refusal counts the weights once too: 2,520 B fit in 3,000 B, 5,040 B do not
    check_weights_fit(load_taskset(_set(tmp_path, "device: {fram_bytes: 3000}\n", same_file=True)))
    with pytest.raises(TaskSetError, match="5,040 B"):
        check_weights_fit(load_taskset(_set(tmp_path, "device: {fram_bytes: 3000}\n")))


def test_in_release_order_policies_never_interleave_a_tasks_jobs() -> None:
    """The footprint counts one job's maps per task under these policies (every named
    one): no later job of a task runs while an earlier one of it is in progress
    (sensor-hub: DS-CNN-S may wait for 60 s with a 30 s period). 'ia' without release
    order does interleave them here."""
    ts = load_taskset(ROOT / "spaces" / "intermittent-multitask" / "sensor-hub.yaml")
    tr = parse_source("markov:on_mw=5,mean_on_s=5,mean_off_s=10,seed=1,duration_s=900")
    ev = Evaluator(ts, tr)
    plans = ("DD", "DDRRRRR", "TTTTTTTTTRR")
    progs = [ev.program(k, p) for k, p in enumerate(plans)]

    def interleaved(policy: str | Policy) -> int:
        sim = MultiSimulator(trace=tr, device=ts.device)
        sim.stretches = []
        pol = make_policy(policy) if isinstance(policy, str) else policy
        sim.run(ts.tasks, [(progs, pol)])
        spans: dict[tuple[int, int], list[float]] = {}
        for s in sim.stretches:
            spans.setdefault((s.task, s.seq), [s.t0, s.t1])[1] = s.t1
        return sum(
            1
            for (ta, a), (a0, a1) in spans.items()
            for (tb, b), (b0, _) in spans.items()
            if ta == tb and a < b and a0 < b0 < a1
        )

    for name in POLICIES:
        assert make_policy(name).in_release_order, name
        assert interleaved(name) == 0, name
    for y in (False, True):
        free = IntermittenceAware(release_order=False, yield_=y, segment_test=not y)
        assert not free.in_release_order and interleaved(free) > 0


def test_cli_refuses_taskset_whose_weights_exceed_fram(tmp_path: Path, capsys) -> None:
    path = _set(tmp_path, "device: {fram_bytes: 4000}\n")
    out = tmp_path / "rows.csv"
    argv = ["intermittent", "--taskset", str(path), "--source", "constant:power_mw=1"]
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err and not out.exists()
    assert "5,040 B (fast 2,520 + slow 2,520)" in err and "'fram_bytes'" in err
    assert "4,000 B" in err
    # a --device file replacing the set's device is named too
    dev = tmp_path / "small.yaml"
    dev.write_text("fram_bytes: 5000\n")
    assert main([*argv, "--device", str(dev), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"(from {dev})" in err and "5,000 B" in err
    ts = load_taskset(_set(tmp_path))
    check_weights_fit(ts)  # fits the default 256 KiB: no error
    with pytest.raises(TaskSetError, match="5,040 B"):
        check_weights_fit(load_taskset(_set(tmp_path, "device: {fram_bytes: 5039}\n")))


def test_cli_single_model_rows_carry_fram_kb_and_warn(tmp_path: Path, capsys) -> None:
    model = _tiny(tmp_path)
    dev = tmp_path / "dev.yaml"
    dev.write_text("fram_bytes: 11930\n")  # RRR (11,920 B) fits, LLL (11,924 B) fits, ...
    out = tmp_path / "rows.csv"
    argv = ["intermittent", "-m", str(model), "--source", "constant:power_mw=3,duration_s=30"]
    assert main([*argv, "--period", "3", "--device", str(dev), "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    assert "fram_kb" in frame.columns
    d = Device.from_yaml(dev)
    costs = load_layers(model).costs(d)
    for plan, kb in zip(frame["cm"], frame["fram_kb"], strict=True):
        fp = fram_footprint(compile_plan(plan, costs, d), costs, d)
        assert kb == pytest.approx(fp.total / 1024, abs=1e-4)
    assert frame.loc[frame["cm"] == "RRR", "fram_kb"].iloc[0] == pytest.approx(
        11920 / 1024, abs=1e-4
    )
    err = capsys.readouterr().err
    # JJJ needs 16,988 B: warned, with its terms and the device's size; RRR is not
    assert "warning: tiny: plan JJJ needs 16.6 KiB of FRAM (16,988 B: weights 2,520 B" in err
    assert "JIT buffer 5,064 B" in err and "fram_bytes = 11,930 B" in err
    assert "plan RRR" not in err and "Traceback" not in err
    # a deadline of 7 s on a 3 s period: 3 jobs can wait, each with its input sample in
    # FRAM (the simulator runs them in release order: one job's maps)
    assert (
        main([*argv, "--period", "3", "--deadline", "7", "--device", str(dev), "-o", str(out)]) == 0
    )
    late = pd.read_csv(out)
    assert late.loc[late["cm"] == "RRR", "fram_kb"].iloc[0] == pytest.approx(
        (11920 + 2 * INPUT) / 1024, abs=1e-4
    )
    err = capsys.readouterr().err
    assert "plan RRR needs" in err and "input 600 B" in err  # 12,320 B > 11,930 B


def test_cli_taskset_rows_carry_fram_kb_and_warn(tmp_path: Path, capsys) -> None:
    # the weights (5,040 B) fit, no configuration does: inputs 4 x 200 B, maps >= 2 x 22 B
    path = _set(tmp_path, "device: {fram_bytes: 5800}\n")
    out = tmp_path / "rows.csv"
    src = "constant:power_mw=3,duration_s=60"
    argv = ["intermittent", "--taskset", str(path), "--source", src, "--keep", "2"]
    assert main([*argv, "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    ts = load_taskset(path)
    assert "fram_kb" in frame.columns
    for cm, pol, kb in zip(frame["cm"], frame["variant"], frame["fram_kb"], strict=True):
        plans = tuple(w.split(":")[1] for w in cm.split())
        assert kb == pytest.approx(taskset_footprint(ts, plans, pol).total / 1024, abs=1e-4)
    err = capsys.readouterr().err
    assert "warning: const-3mW: the chosen configuration " in err and "needs 5.8 KiB" in err
    assert "fram_bytes = 5,800 B" in err and "fast: 2,742 B (weights 2,520 B" in err
    assert "a spec can require fram_kb <= 5.66" in err and "Traceback" not in err


def test_docs_footprint_table_is_true_to_the_benchmark_choices() -> None:
    """docs/intermittent.md says how many configurations of results/intermittent_multitask.md
    do not fit 256 KiB (listing any with their footprints) and the range they need;
    rerunning the benchmark without updating it fails here."""
    import re

    sets = {
        s.name: s
        for s in map(load_taskset, (ROOT / "spaces" / "intermittent-multitask").glob("*.yaml"))
    }
    chosen = {}
    results = (ROOT / "results" / "intermittent_multitask.md").read_text()
    for m in re.finditer(r"^\| (\S+) \| (\S+) \|.*\| (\S+) `([^`]+)` \|$", results, re.M):
        plans = tuple(w.split(":")[1] for w in m[4].split())
        fp = taskset_footprint(sets[m[1]], plans, m[3])
        chosen[(m[1], m[2])] = (m[3], m[4], fp)
    over = {k: v for k, v in chosen.items() if v[2].total > 262_144}
    docs = (ROOT / "docs" / "intermittent.md").read_text()
    section = docs.split("## FRAM footprint", 1)[1].split("\n## ", 1)[0]
    text = " ".join(section.split())
    trio = sum(1 for k in over if k[0] == "trio")
    n_trio = sum(1 for k in chosen if k[0] == "trio")
    kib = [v[2].total / 1024 for v in chosen.values()]
    assert (
        f"{len(over)} of the {len(chosen)} configurations carin chose in "
        f"`results/intermittent_multitask.md` (first halves; {trio} of {n_trio} for `trio`, "
        f"{len(over) - trio} of {len(chosen) - n_trio} for `sensor-hub`) exceed 256 KiB "
        f"(262,144 B); they need {min(kib):.1f}-{max(kib):.1f} KiB"
    ) in text
    rows = re.findall(
        r"^\| (trio|sensor-hub) \| (\S+) \| (\S+) `([^`]+)` \| ([\d,]+) ", section, re.M
    )
    assert {(r[0], r[1]) for r in rows} == set(over)
    for s, src, pol, cm, total in rows:
        assert (pol, cm) == over[(s, src)][:2]
        assert int(total.replace(",", "")) == over[(s, src)][2].total
