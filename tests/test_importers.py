"""Importers (aihub, nb201) on the real published files, and the ``carin import`` CLI."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from carin.cli import main
from carin.profiles import load_profiles
from carin.profiles.importers import discover_importers
from carin.profiles.importers.aihub import read_aihub
from carin.profiles.importers.nb201 import read_nb201

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
AIHUB = DATASETS / "aihub" / "models"
NB201 = DATASETS / "nb201" / "nb201_latency_accuracy.csv"

needs_aihub = pytest.mark.skipif(
    not AIHUB.is_dir(), reason=f"AI Hub data not found at {AIHUB} (../shared/datasets absent)"
)
needs_nb201 = pytest.mark.skipif(
    not NB201.is_file(), reason=f"NB201 table not found at {NB201} (../shared/datasets absent)"
)

# A plain classifier with numerics, a two-component model without numerics,
# a super-resolution model (PSNR) and an LLM whose jobs carry no timing.
AIHUB_SAMPLE = ("mobilenet_v2", "whisper_tiny", "esrgan", "indus_1b")


@pytest.fixture(scope="module")
def aihub_sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("aihub") / "models"
    for name in AIHUB_SAMPLE:
        shutil.copytree(AIHUB / name, root / name)
    return root.parent


def _timed_jobs(model_dir: Path) -> list[tuple[str, str, str, str, dict]]:
    """(precision, component, device, runtime, job) of every passed, timed job."""
    perf = yaml.safe_load((model_dir / "perf.yaml").read_text())
    jobs = []
    for precision, pdata in perf["precisions"].items():
        for component, cdata in pdata["components"].items():
            for device, ddata in (cdata.get("performance_metrics") or {}).items():
                for runtime, job in ddata.items():
                    if job.get("job_status") == "Passed" and job.get("inference_time_milliseconds"):
                        jobs.append((precision, component, device, runtime, job))
    return jobs


def test_importers_are_discovered():
    found = discover_importers()
    assert {"aihub", "nb201"} <= set(found)
    for name, module in found.items():
        assert module.NAME == name and module.HELP


@needs_aihub
def test_aihub_rows_match_the_yaml(aihub_sample):
    frame = read_aihub(aihub_sample)
    expected = {name: _timed_jobs(AIHUB / name) for name in AIHUB_SAMPLE}
    counts = frame.groupby("model").size().to_dict()
    assert counts == {name: len(jobs) for name, jobs in expected.items() if jobs}
    assert frame.attrs["skipped"]["model folders without any timed result"] == 1

    # Every timed job appears once with its latency, peak memory and compute unit.
    for name, jobs in expected.items():
        multi = len({component for _, component, _, _, _ in jobs}) > 1
        for precision, component, device, runtime, job in jobs:
            row = frame[
                (frame.model == name)
                & (frame.precision == precision)
                & (frame.device == device)
                & (frame.runtime == runtime)
                & (frame.variant == (component if multi else ""))
            ]
            assert len(row) == 1
            assert row.latency_ms.iloc[0] == job["inference_time_milliseconds"]
            assert row.memory_mb.iloc[0] == job["estimated_peak_memory_range_mb"]["max"]
            assert row.processor.iloc[0] == job["primary_compute_unit"].lower()

    assert set(frame[frame.model == "whisper_tiny"].variant) == {
        "HfWhisperEncoder",
        "HfWhisperDecoder",
    }
    assert set(frame[frame.model == "mobilenet_v2"].task) == {"image_classification"}
    assert frame[frame.model == "esrgan"].psnr_db.notna().any()


@needs_aihub
def test_aihub_accuracy_comes_from_numerics(aihub_sample):
    numerics = yaml.safe_load((AIHUB / "mobilenet_v2" / "numerics.yaml").read_text())
    device_metric = numerics["metrics"][0]["device_metric"]
    (measured_on,) = device_metric  # one evaluation device in this release
    frame = read_aihub(aihub_sample)
    mnv2 = frame[frame.model == "mobilenet_v2"]
    for precision, runtimes in device_metric[measured_on].items():
        for runtime, entry in runtimes.items():
            rows = mnv2[(mnv2.precision == precision) & (mnv2.runtime == runtime)]
            if rows.empty:
                continue
            # Carried over to every device for the same precision and runtime.
            assert (rows.accuracy == entry["partial_metric"]).all()
    assert frame[frame.model == "whisper_tiny"].accuracy.isna().all()

    strict = read_aihub(aihub_sample, carry_over=False)
    strict_mnv2 = strict[strict.model == "mobilenet_v2"]
    assert strict_mnv2[strict_mnv2.device != measured_on].accuracy.isna().all()
    assert strict_mnv2[strict_mnv2.device == measured_on].accuracy.notna().any()


@needs_aihub
def test_cli_aihub_writes_a_valid_table(aihub_sample, tmp_path, capsys):
    out = tmp_path / "aihub.csv"
    assert main(["import", "aihub", str(aihub_sample), "-o", str(out)]) == 0
    table = load_profiles(out)
    n_jobs = sum(len(_timed_jobs(AIHUB / name)) for name in AIHUB_SAMPLE)
    assert len(table) == n_jobs
    assert f"{n_jobs} rows" in capsys.readouterr().out


def test_cli_missing_input_folder_exits_2(tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    code = main(["import", "aihub", str(missing), "-o", str(tmp_path / "x.csv")])
    assert code == 2
    assert "no-such-folder" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
    code = main(["import", "nb201", str(missing / "t.csv"), "-o", str(tmp_path / "x.csv")])
    assert code == 2


@needs_aihub
def test_cli_aihub_bad_yaml_names_file_and_line(tmp_path, capsys):
    model = tmp_path / "models" / "broken"
    shutil.copytree(AIHUB / "mobilenet_v2", model)
    lines = (model / "perf.yaml").read_text().splitlines()
    lines[9] = lines[9] + ": [unclosed"
    (model / "perf.yaml").write_text("\n".join(lines) + "\n")
    assert main(["import", "aihub", str(tmp_path), "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "perf.yaml:" in err and "Traceback" not in err


def _nb201_source() -> tuple[list[str], list[list[str]]]:
    with NB201.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


@needs_nb201
def test_nb201_long_format_matches_source():
    header, rows = _nb201_source()
    targets = [c.removeprefix("latency_ms_") for c in header if c.startswith("latency_ms_")]
    frame = read_nb201(NB201)
    assert len(frame) == len(rows) * len(targets)
    assert set(frame.device) == set(targets)
    col = {name: i for i, name in enumerate(header)}
    rng = np.random.default_rng(0)
    indexed = frame.set_index(["model", "device"])
    for i in rng.choice(len(rows), size=20, replace=False):
        row = rows[i]
        for target in rng.choice(targets, size=3, replace=False):
            got = indexed.loc[(f"nb201-{row[col['arch_index']]}", target)]
            assert got.variant == row[col["arch"]]
            assert math.isclose(got.latency_ms, float(row[col[f"latency_ms_{target}"]]))
            assert got.accuracy == float(row[col["acc_cifar10"]])
            assert got.accuracy_cifar100 == float(row[col["acc_cifar100"]])
            assert got.accuracy_imagenet16 == float(row[col["acc_imagenet16"]])
    processor = frame.groupby("device").processor.first()
    assert processor["pixel3"] == processor["raspi4"] == processor["gold_6226"] == "cpu"
    assert processor["1080ti_1"] == processor["titan_rtx_256"] == "gpu"
    assert processor["eyeriss"] == "asic" and processor["fpga"] == "fpga"
    assert set(frame.precision) == {"fp32"}


@needs_nb201
def test_cli_nb201_on_a_slice_of_the_real_file(tmp_path, capsys):
    header, rows = _nb201_source()
    source = tmp_path / "nb201_head.csv"
    with source.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows[:300])
    out = tmp_path / "x.csv.gz"
    assert main(["import", "nb201", str(source), "-o", str(out)]) == 0
    n_targets = sum(c.startswith("latency_ms_") for c in header)
    assert f"{300 * n_targets} rows, 300 models, {n_targets} devices" in capsys.readouterr().out
    table = load_profiles(out)
    assert len(table) == 300 * n_targets
    first = out.read_bytes()
    assert main(["import", "nb201", str(source), "-o", str(out)]) == 0
    assert out.read_bytes() == first


@needs_aihub
def test_committed_aihub_table_is_regenerated_exactly(tmp_path):
    out = tmp_path / "aihub.csv"
    assert main(["import", "aihub", str(AIHUB.parent), "-o", str(out)]) == 0
    assert out.read_bytes() == (ROOT / "spaces" / "aihub.csv").read_bytes()


@pytest.mark.slow
@needs_nb201
def test_committed_nb201_table_is_regenerated_exactly(tmp_path):
    out = tmp_path / "nb201.csv.gz"
    assert main(["import", "nb201", str(NB201), "-o", str(out)]) == 0
    assert out.read_bytes() == (ROOT / "spaces" / "nb201.csv.gz").read_bytes()
