"""carin import litert-benchmark: benchmark_model logs -> profile rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from carin.cli import main
from carin.profiles import load_profiles
from carin.profiles.importers.litert_benchmark import guess_precision, parse_log

LOGS = Path(__file__).parent / "fixtures" / "litert_logs"
GOOD = sorted(p for p in LOGS.glob("*.log") if p.name != "truncated_run.log")


@pytest.fixture()
def imported(tmp_path) -> Path:
    out = tmp_path / "phone.csv"
    args = ["import", "litert-benchmark", *map(str, GOOD), "--device", "Google Pixel 7"]
    assert main([*args, "-o", str(out)]) == 0
    return out


def _row(frame, **keys):
    sel = frame
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, keys
    return sel.iloc[0]


def test_one_row_per_run(imported):
    frame = load_profiles(imported).frame
    # Four files, one of which holds two runs (threads 1 and 2).
    assert len(frame) == 5
    assert set(frame["device"]) == {"Google Pixel 7"}


def test_xnnpack_cpu_run(imported):
    frame = load_profiles(imported).frame
    row = _row(frame, model="mobilenet_v2", precision="fp32")
    # Values as printed in the log (microseconds there, milliseconds here).
    assert row["processor"] == "cpu" and row["runtime"] == "litert-xnnpack"
    assert row["threads"] == "4"
    assert row["latency_ms"] == pytest.approx(8.3917)
    assert row["init_ms"] == pytest.approx(61.402)
    assert row["first_inference_ms"] == pytest.approx(14.82)
    assert row["warmup_ms"] == pytest.approx(8.6336)
    # Spread and percentiles come from the timed run's statistics, not the warm-up's.
    assert row["latency_std_ms"] == pytest.approx(0.231)
    assert row["latency_p50_ms"] == pytest.approx(8.352)
    assert row["latency_p95_ms"] == pytest.approx(8.79)
    assert row["memory_mb"] == pytest.approx(44.2031)
    assert row["memory_init_mb"] == pytest.approx(37.6211)
    assert row["memory_peak_mb"] == pytest.approx(51.8906)
    assert row["size_mb"] == pytest.approx(13.9782)


def test_accelerator_runs(imported):
    frame = load_profiles(imported).frame
    nnapi = _row(frame, model="mobilenet_v2", precision="int8")
    assert (nnapi["processor"], nnapi["runtime"]) == ("npu", "litert-nnapi")
    assert nnapi["latency_ms"] == pytest.approx(1.4379)
    gpu = _row(frame, model="mobilenet_v2", precision="fp16")
    assert (gpu["processor"], gpu["runtime"]) == ("gpu", "litert-gpu")
    assert gpu["threads"] == ""  # the GPU run echoes no thread count


def test_old_format_multi_run_file(imported):
    frame = load_profiles(imported).frame
    rows = frame[frame["model"] == "mlp_s"].sort_values("threads")
    assert list(rows["threads"]) == ["1", "2"]
    assert set(rows["precision"]) == {"int8-dynamic"}
    assert set(rows["runtime"]) == {"litert"}  # use_xnnpack=false
    assert list(rows["latency_ms"]) == pytest.approx([0.0086, 0.0093])
    assert list(rows["memory_mb"]) == pytest.approx([0.621094, 0.636719])
    # No percentiles in the old format: not measured, never zero.
    assert rows["latency_p95_ms"].isna().all()


def test_failed_run_is_rejected(tmp_path, capsys):
    out = tmp_path / "x.csv"
    code = main(["import", "litert-benchmark", str(LOGS / "truncated_run.log"), "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "truncated_run.log" in err and "Inference timings in us" in err
    assert not out.exists()


def test_missing_log(tmp_path, capsys):
    code = main(
        ["import", "litert-benchmark", str(tmp_path / "nope.log"), "-o", str(tmp_path / "x.csv")]
    )
    assert code == 2
    assert "nope.log" in capsys.readouterr().err


def test_parse_log_counts_runs():
    assert len(parse_log(LOGS / "rpi4_mlp_s_threads_1_2.log")) == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mobilenet_v2_int8.tflite", "int8"),
        ("mlp_s_int8-dynamic.tflite", "int8-dynamic"),
        ("efficientnet_lite0_fp16.tflite", "fp16"),
        ("mobilenet_v1_1.0_224_quant.tflite", "int8"),
        ("resnet50.tflite", "unknown"),
    ],
)
def test_guess_precision(name, expected):
    assert guess_precision(name) == expected


def test_precision_flag_overrides(tmp_path):
    out = tmp_path / "x.csv"
    log = LOGS / "pixel7_mobilenet_v2_fp16_gpu.log"
    assert (
        main(["import", "litert-benchmark", str(log), "--precision", "w16a16", "-o", str(out)]) == 0
    )
    assert list(load_profiles(out).frame["precision"]) == ["w16a16"]
