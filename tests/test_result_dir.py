"""A result folder is replaced as a whole; readers refuse files of different solves."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carin.cli import main
from carin.errors import CarinError
from carin.result import load_result_dir, solve, write_result_dir

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples/linux_app/app.yaml"


def _spec(tmp_path: Path, name: str, limit: str) -> Path:
    text = APP.read_text(encoding="utf-8").replace("linux-app-digits", name)
    text = text.replace("max: 0.012", f"max: {limit}").replace(
        "profiles.csv", str(APP.parent / "profiles.csv")
    )
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    """Two solved folders of different specs (different names and designs)."""
    tmp = tmp_path_factory.mktemp("two")
    out = {}
    for name, limit in (("wide", "0.012"), ("tight", "0.0016")):
        result = solve(_spec(tmp, name, limit))
        result.save(tmp / name)
        out[name] = tmp / name
    return out


READERS = [
    ["show"],
    ["explain"],
    ["plot", "-o", "PLOT"],
]


def _run(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[0])
@pytest.mark.parametrize("foreign", ["plan.json", "pareto.csv", "summary.json"])
def test_readers_refuse_a_file_from_another_solve(tmp_path, capsys, two_results, reader, foreign):
    folder = tmp_path / "mixed"
    shutil.copytree(two_results["wide"], folder)
    shutil.copyfile(two_results["tight"] / foreign, folder / foreign)
    argv = [a.replace("PLOT", str(tmp_path / "f.png")) for a in reader]
    code, err = _run([argv[0], str(folder), *argv[1:]], capsys)
    assert code == 2, err
    assert f"{folder}: the files do not belong to one solve ({foreign} is not the one" in err
    assert "Traceback" not in err and not (tmp_path / "f.png").exists()


def test_switch_refuses_a_plan_that_does_not_belong_with_its_folder(tmp_path, capsys, two_results):
    folder = tmp_path / "mixed"
    shutil.copytree(two_results["wide"], folder)
    events = tmp_path / "e.jsonl"
    events.write_text('{"t": 0, "conditions": {}}\n', encoding="utf-8")
    assert main(["switch", str(folder / "plan.json"), "--events", str(events)]) == 0
    shutil.copyfile(two_results["tight"] / "plan.json", folder / "plan.json")
    code, err = _run(["switch", str(folder / "plan.json"), "--events", str(events)], capsys)
    assert code == 2 and "plan.json is not the one manifest.json records" in err
    # a plan copied out of the folder (into an app) is not tied to it
    shutil.copyfile(folder / "plan.json", tmp_path / "plan.json")
    assert main(["switch", str(tmp_path / "plan.json"), "--events", str(events)]) == 0


def test_folder_without_manifest_is_refused(tmp_path, capsys, two_results):
    folder = tmp_path / "old"
    shutil.copytree(two_results["wide"], folder)
    (folder / "manifest.json").unlink()
    code, err = _run(["show", str(folder)], capsys)
    assert code == 2 and "no manifest.json" in err
    code, err = _run(["show", str(tmp_path)], capsys)
    assert code == 2 and "no summary.json; is this the --out folder" in err


def test_infeasible_solve_replaces_the_whole_set(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["solve", str(_spec(tmp_path, "wide", "0.012")), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {
        "manifest.json",
        "plan.json",
        "pareto.csv",
        "summary.json",
    }
    capsys.readouterr()
    assert main(["solve", str(_spec(tmp_path, "never", "0.0000001")), "--out", str(out)]) == 3
    # no stale plan.json or pareto.csv beside the new summary, no temp files
    assert {p.name for p in out.iterdir()} == {"manifest.json", "summary.json"}
    saved = load_result_dir(out)
    assert saved["summary.json"]["feasible"] is False and saved["summary.json"]["name"] == "never"
    assert saved["plan.json"] is None and saved["pareto.csv"] is None
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    assert "never: no design meets the constraints" in capsys.readouterr().out


def test_output_path_problems_name_the_path(tmp_path, capsys):
    spec = _spec(tmp_path, "wide", "0.012")
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere" / "x")
    code, err = _run(["solve", str(spec), "--out", str(link)], capsys)
    assert code == 2 and f"{link}: is a symbolic link to {tmp_path / 'nowhere' / 'x'}" in err
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, err = _run(["solve", str(spec), "--out", str(afile)], capsys)
    assert code == 2 and f"{afile}: exists and is not a folder" in err
    code, err = _run(["solve", str(spec), "--top", "-3"], capsys)
    assert code == 2 and "--top: got -3; expected a positive number" in err


def test_write_error_names_the_target_not_the_temp_file(tmp_path, capsys, two_results):
    folder = tmp_path / "ro"
    shutil.copytree(two_results["wide"], folder)
    (folder / "front.png").mkdir()  # a folder where the picture should go
    code, err = _run(["plot", str(folder)], capsys)
    assert code == 2 and ".tmp" not in err and str(folder / "front.png") in err


# -- kills during writes -----------------------------------------------------------------

_WRITER = r"""
import sys, json
from pathlib import Path
from carin.result import load_result_dir, write_result_dir
a, b, out = (Path(p) for p in sys.argv[1:4])
sets = []
for src in (a, b):
    saved = load_result_dir(src)
    sets.append(dict(summary=saved["summary.json"], plan=saved["plan.json"], pareto=saved["pareto.csv"]))
print("ready", flush=True)
i = 0
while True:
    write_result_dir(out, **sets[i % 2])
    i += 1
"""


def kill_trials(two_results: dict, folder: Path, trials: int, seed: int = 0) -> dict:
    """Kill a writer that alternates two results into ``folder``; classify what is left.

    Returns counts: ``old_or_new`` (a complete set of one solve), ``refused`` (readers
    refuse it as incomplete), ``mixed`` (a reader accepted files of two solves).
    """
    rng = random.Random(seed)
    counts = {"old_or_new": 0, "refused": 0, "mixed": 0, "staging_left_after_next_write": 0}
    names = {json.loads((p / "summary.json").read_text())["name"]: p for p in two_results.values()}
    for _ in range(trials):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, *map(str, two_results.values()), str(folder)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            saved = load_result_dir(folder)
        except CarinError as exc:
            assert "do not belong to one solve" in str(exc)
            counts["refused"] += 1
        else:
            name = saved["summary.json"]["name"]
            src = names[name]
            same = (
                saved["plan.json"] == json.loads((src / "plan.json").read_text())
                and saved["plan.json"]["name"] == name
                and len(saved["pareto.csv"]) == saved["summary.json"]["pareto_designs"]
                and (folder / "pareto.csv").read_bytes() == (src / "pareto.csv").read_bytes()
            )
            counts["old_or_new" if same else "mixed"] += 1
    # the next write removes the staging folders the killed writers left
    saved = load_result_dir(two_results["wide"])
    write_result_dir(
        folder, summary=saved["summary.json"], plan=saved["plan.json"], pareto=saved["pareto.csv"]
    )
    counts["staging_left_after_next_write"] = len(list(folder.glob(".carin-staging-*")))
    return counts


def test_kill_during_write_never_leaves_a_mixed_folder(tmp_path, two_results):
    counts = kill_trials(two_results, tmp_path / "out", trials=4)
    assert counts["mixed"] == 0, counts
    assert counts["old_or_new"] + counts["refused"] == 4
    assert counts["staging_left_after_next_write"] == 0


@pytest.mark.slow
def test_kill_during_write_many(tmp_path, two_results):
    counts = kill_trials(two_results, tmp_path / "out", trials=40, seed=1)
    assert counts["mixed"] == 0 and counts["staging_left_after_next_write"] == 0, counts
