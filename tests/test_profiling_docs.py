"""docs/profiling.md: its commands keep off committed files and run on a clone's own
profiles; the accuracy join it shows works; carin zoo build keeps TensorFlow's noise off
the terminal."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from doc_console import console_commands, console_runs

from carin.profiler.zoo import quiet_native_logs

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "profiling.md"


def test_no_command_writes_into_spaces() -> None:
    for command in console_commands(DOC.read_text()):
        assert not re.search(r"(-o|--out|--output)\s+spaces/", command), command
    assert "pip install 'carin[zoo]'" not in DOC.read_text()
    assert 'pip install -e ".[zoo]"' in DOC.read_text()


def test_end_to_end_on_your_own_profiles(tmp_path: Path) -> None:
    """From `carin profile` on, the section runs on a clone (fixture models stand in for
    the zoo, with fewer runs), and its spec selects the rows by the label given."""
    section = DOC.read_text().split("## End to end on your machine", 1)[1]
    commands = [
        c for c in console_commands(section) if not c.startswith(("pip ", "carin zoo build"))
    ]
    assert commands[0].startswith("carin profile") and "--device my-laptop" in commands[0]
    clone = tmp_path / "clone"
    (clone / "zoo").mkdir(parents=True)
    (clone / "examples").symlink_to(ROOT / "examples")
    models = ROOT / "tests" / "fixtures" / "models"
    for name in ("mlp_s_fp32.tflite", "cnn_s_int8.tflite", "data.npz"):
        shutil.copy(models / name, clone / "zoo" / name)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        command = command.replace("--runs 200 --warmup 20", "--runs 3 --warmup 1")
        done = subprocess.run(
            ["bash", "-c", command], cwd=clone, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if command.startswith("carin profile"):
            assert "device: my-laptop (select it in a spec: where: {device: my-laptop})" in (
                done.stdout
            )
    table = pd.read_csv(clone / "zoo" / "profiles.csv")
    assert set(table["device"]) == {"my-laptop"} and len(table) == 2 * 2 * 2
    assert (clone / "out" / "my-local" / "plan.json").exists()


def test_profile_prints_what_the_doc_shows(tmp_path: Path) -> None:
    """The first ``carin profile`` example: its standard output line by line (the
    progress bar goes to standard error), on one fixture model, one configuration."""
    section = DOC.read_text().split("## `carin profile`", 1)[1]
    command, shown = console_runs(section)[0]
    assert shown[0].startswith("[###") and "96/96" in shown[0]
    rows = 6 * 4 * 2 * 2  # the zoo's models x precisions, 2 thread counts x 2 delegates
    assert shown[1] == f"wrote {rows} rows to profiles.csv"
    (tmp_path / "zoo").mkdir()
    for name in ("mlp_s_fp32.tflite", "data.npz"):
        shutil.copy(ROOT / "tests" / "fixtures" / "models" / name, tmp_path / "zoo" / name)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    command = re.sub(r"--runs \d+ --warmup \d+", "--runs 3 --warmup 1", command)
    command = command.replace("--threads 1,2 --delegate xnnpack,none", "--delegate none")
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    want = [shown[1].replace(f"wrote {rows} rows", "wrote 1 row"), *shown[2:]]
    assert done.stdout.splitlines() == want
    assert len(pd.read_csv(tmp_path / "profiles.csv")) == 1


def test_accuracy_join_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python block of "Accuracy measured elsewhere" joins accuracy by model file."""
    from carin.cli import main

    section = DOC.read_text().split("### Accuracy measured elsewhere", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    logs = sorted((ROOT / "tests" / "fixtures" / "litert_logs").glob("pixel7_*.log"))
    assert main(["import", "litert-benchmark", *map(str, logs), "--device", "Google Pixel 7",
                 "-o", "pixel7.csv"]) == 0  # fmt: skip
    pd.DataFrame(
        {"model": ["mobilenet_v2"] * 2, "precision": ["fp32", "int8"], "accuracy": [71.9, 70.4]}
    ).to_csv("accuracy.csv", index=False)
    exec(compile(code, "profiling.md", "exec"), {})  # noqa: S102 - the documented snippet
    joined = pd.read_csv("pixel7-accuracy.csv").set_index("precision")
    assert joined.loc["fp32", "accuracy"] == 71.9 and joined.loc["int8", "accuracy"] == 70.4
    assert pd.isna(joined.loc["fp16", "accuracy"])  # not scored: left empty, never zero
    assert len(joined) == len(pd.read_csv("pixel7.csv"))


def test_zoo_log_noise_stays_off_the_terminal(capfd: pytest.CaptureFixture) -> None:
    with quiet_native_logs():
        os.write(2, b"I0000 tensorflow/compiler/mlir: native noise\n")
        warnings.warn("a deprecation", DeprecationWarning, stacklevel=1)
        logging.getLogger("tensorflow").warning("a python-side warning")
        print("carin's own progress line", flush=True)
    out, err = capfd.readouterr()
    assert "carin's own progress line" in out
    assert err == ""
    with pytest.raises(RuntimeError, match="conversion failed"):
        with quiet_native_logs():
            os.write(2, b"the converter's reason\n")
            raise RuntimeError("conversion failed")
    assert "the converter's reason" in capfd.readouterr().err  # shown when it matters
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"  # stderr restored


def test_zoo_progress_reaches_stderr_while_noise_does_not(
    capfd: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """`carin zoo build` prints its progress on stderr while TensorFlow's noise on the
    same file descriptor is hidden (the progress used to vanish into the sink too)."""
    from carin.profiler import zoo

    def fake_build(names, out, seed, epochs, say):
        os.write(2, b"W0000 native noise\n")
        say(f"{names[0]}: 1 parameters, held-out accuracy 50.00%")
        os.write(2, b"more native noise\n")
        return zoo.ZooResult()

    monkeypatch.setattr(zoo, "_build", fake_build)
    zoo.build_zoo(tmp_path, architectures=["mlp_s"], progress=lambda m: print(m, file=sys.stderr))
    err = capfd.readouterr().err
    assert err == "mlp_s: 1 parameters, held-out accuracy 50.00%\n"
    with quiet_native_logs() as unmuted:
        with unmuted():
            os.write(2, b"shown\n")
        os.write(2, b"hidden\n")
    assert capfd.readouterr().err == "shown\n"
