"""Bring your own: carin's power-CSV trace format, the committed derived traces, and
docs/intermittent.md's commands run from a clone without ../shared."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from doc_console import console_commands

from carin.intermittent import Trace, TraceError, load_power_csv, load_trace, write_power_csv

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT / "spaces" / "traces"
ENERGY = ROOT.parent / "shared" / "datasets" / "energy"


def test_power_csv_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    trace = Trace(name="bench", power_w=rng.uniform(0, 2e-3, 500), dt=0.02, t0=5.0)
    path = write_power_csv(trace, tmp_path / "t.csv.gz", notes={"source": "a bench"})
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.startswith("# name: bench\n# source: a bench\ntime_s,power_mw\n")
    back = load_trace(path)
    assert back.name == "bench" and back.dt == pytest.approx(0.02)
    assert np.allclose(back.power_w, trace.power_w, rtol=1e-5)
    # byte-identical for the same trace, plain text without .gz
    again = write_power_csv(trace, tmp_path / "u.csv.gz", notes={"source": "a bench"})
    assert again.read_bytes() == path.read_bytes()
    plain = write_power_csv(trace, tmp_path / "t.csv")
    assert plain.read_text().splitlines()[1] == "time_s,power_mw"
    assert np.array_equal(load_power_csv(plain).power_w, back.power_w)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("time,power\n0,1\n1,1\n", ":1: expected the header 'time_s,power_mw'"),
        ("# name: x\ntime_s,power_mw\n0,1\n1,1\n2,1\n4,1\n", ":6: time steps must be uniform"),
        ("time_s,power_mw\n0,1\n1,-2\n", ":3: power must be >= 0 mW"),
        ("time_s,power_mw\n0,1\n1,abc\n", ":3: expected two numbers"),
    ],
)
def test_power_csv_errors_name_the_line(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(TraceError, match=re.escape(f"{path}{message}")):
        load_trace(path)


def test_power_csv_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from carin.cli import main

    bad = tmp_path / "bad.csv"
    bad.write_text("t,p\n0,1\n")
    code = main(
        ["intermittent", "-m", str(ROOT / "spaces/intermittent/lenet5.yaml"), "-t", str(bad),
         "-o", str(tmp_path / "x.csv")]
    )  # fmt: skip
    assert code == 2
    assert f"{bad}:1: expected the header" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "trace", "seconds", "mean_mw"),
    [
        ("rf-mementos-2.csv.gz", "mementos-2", 39.2, 0.19),
        ("solar-2023jun-01.csv.gz", "solar-2023jun", 86400.0, 3.3),
    ],
)
def test_committed_traces(name: str, trace: str, seconds: float, mean_mw: float) -> None:
    """The shipped traces load, say where they come from, and are as documented."""
    path = TRACES / name
    t = load_trace(path)
    assert t.name == trace
    assert t.duration == pytest.approx(seconds, rel=0.01)
    assert t.mean_power_w * 1e3 == pytest.approx(mean_mw, rel=0.05)
    head = gzip.decompress(path.read_bytes()).decode().splitlines()[:3]
    assert head[1].startswith("# source: ") and head[2].startswith("# licence: ")
    assert path.stat().st_size < 50_000
    assert name in (TRACES / "README.md").read_text()


@pytest.mark.skipif(not ENERGY.is_dir(), reason="../shared/datasets/energy is not present")
def test_committed_traces_are_derived_by_the_importers(tmp_path: Path) -> None:
    """derive.py reproduces the committed files byte for byte from ../shared."""
    before = {p.name: p.read_bytes() for p in TRACES.glob("*.csv.gz")}
    subprocess.run([sys.executable, str(TRACES / "derive.py")], check=True, capture_output=True)
    after = {p.name: p.read_bytes() for p in TRACES.glob("*.csv.gz")}
    assert after == before
    # not byte copies of the source files
    for source in (ENERGY / "rf-mementos" / "2.txt", ENERGY / "solar-nrel" / "2023jun.txt"):
        assert source.read_bytes() not in [gzip.decompress(b) for b in after.values()]


def test_intermittent_docs_run_from_a_clone(tmp_path: Path) -> None:
    """Every command docs/intermittent.md shows runs in a clone that has no ../shared."""
    commands = console_commands((ROOT / "docs" / "intermittent.md").read_text())
    assert any(c.startswith("carin intermittent") for c in commands)
    assert not [c for c in commands if "../shared" in c]
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("spaces", "tests"):
        (clone / name).symlink_to(ROOT / name)
    (clone / "out").mkdir()
    assert not (clone.parent / "shared").exists()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stderr)
    # what the text says about the results
    kws = json.loads((clone / "out/kws-rf/plan.json").read_text())
    primary = next(d for d in kws["designs"] if d["id"] == kws["primary"])
    assert primary["parts"][0]["config"]["cm"] == "TJ"
    solar = json.loads((clone / "out/lenet5-solar/plan.json").read_text())
    by_id = {d["id"]: d for d in solar["designs"]}
    assert round(by_id[solar["primary"]]["metrics"]["success_rate"]) == 59
    at = {c["when"]["power_mw"]: c["design"] for c in solar["conditions"]}
    assert by_id[at[0.2]]["metrics"]["success_rate"] == 100
    assert (clone / "out/lenet5-solar.png").read_bytes()[:4] == b"\x89PNG"
