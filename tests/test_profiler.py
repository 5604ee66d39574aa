"""carin profile: real LiteRT measurement of the committed .tflite fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from carin.cli import main
from carin.profiler import dequantize_output, inspect_model, quantize_input
from carin.profiles import load_profiles

pytest.importorskip("ai_edge_litert.interpreter")

MODELS = Path(__file__).parent / "fixtures" / "models"
DATA = MODELS / "data.npz"
FIXTURES = sorted(MODELS.glob("*.tflite"))
# carin zoo build names each file <architecture>_<precision>.tflite after the converter
# settings it used, so the file name is an independent record of the precision.
PRECISION_SUFFIXES = ("int8-dynamic", "fp32", "fp16", "int8")


def _converted_precision(path: Path) -> tuple[str, str]:
    for suffix in PRECISION_SUFFIXES:
        if path.stem.endswith("_" + suffix):
            return path.stem[: -len(suffix) - 1], suffix
    raise AssertionError(f"fixture {path.name} has no precision suffix")


@pytest.fixture(scope="module")
def profiled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("profile") / "profiles.csv"
    code = main(
        [
            "profile",
            *map(str, FIXTURES),
            "--threads",
            "1,2",
            "--delegate",
            "xnnpack,none",
            "--runs",
            "5",
            "--warmup",
            "1",
            "--dataset",
            str(DATA),
            "--device",
            "test-host",
            "--quiet",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_every_model_thread_delegate_has_a_row(profiled):
    frame = load_profiles(profiled).frame
    assert len(FIXTURES) >= 4
    assert len(frame) == len(FIXTURES) * 2 * 2
    seen = set(
        zip(frame["model"], frame["precision"], frame["threads"], frame["runtime"], strict=True)
    )
    for path in FIXTURES:
        model, precision = _converted_precision(path)
        for threads in (1, 2):
            for runtime in ("litert", "litert-xnnpack"):
                assert (model, precision, threads, runtime) in seen
    assert set(frame["processor"]) == {"cpu"}
    assert set(frame["device"]) == {"test-host"}


def test_latencies_positive_and_ordered(profiled):
    frame = load_profiles(profiled).frame
    for col in ("latency_ms", "latency_p50_ms", "latency_p95_ms", "first_inference_ms", "init_ms"):
        assert (frame[col] > 0).all(), col
    assert (frame["latency_std_ms"] >= 0).all()
    # p95 can never be below the median of the same samples.
    assert (frame["latency_p95_ms"] >= frame["latency_p50_ms"]).all()
    assert (frame["memory_mb"] >= 0).all()


def test_size_is_file_size(profiled):
    frame = load_profiles(profiled).frame
    for path in FIXTURES:
        model, precision = _converted_precision(path)
        rows = frame[(frame["model"] == model) & (frame["precision"] == precision)]
        np.testing.assert_allclose(rows["size_mb"], path.stat().st_size / 1e6, rtol=1e-5)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_precision_detected_from_tensor_types(path):
    model, precision = _converted_precision(path)
    info = inspect_model(path)
    assert info.precision == precision
    assert info.name == model


def _numpy_mlp_reference(path: Path, x: np.ndarray) -> np.ndarray:
    """Evaluate a float MLP from the weights stored in its flatbuffer, with numpy only."""
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    model = schema.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)
    graph = model.subgraphs[0]
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]

    def const(index: int) -> np.ndarray:
        tensor = graph.tensors[index]
        data = model.buffers[tensor.buffer].data
        return np.frombuffer(bytes(bytearray(data)), dtype=np.float32).reshape(tensor.shape)

    h = x.reshape(len(x), -1).astype(np.float64)
    for op in graph.operators:
        code = codes[op.opcodeIndex]
        if code == schema.BuiltinOperator.FULLY_CONNECTED:
            w, b = const(op.inputs[1]), const(op.inputs[2])
            h = h @ w.T.astype(np.float64) + b
            act = op.builtinOptions.fusedActivationFunction
            assert act in (schema.ActivationFunctionType.NONE, schema.ActivationFunctionType.RELU)
            if act == schema.ActivationFunctionType.RELU:
                h = np.maximum(h, 0.0)
        elif code == schema.BuiltinOperator.SOFTMAX:
            h = np.exp(h - h.max(axis=1, keepdims=True))
            h /= h.sum(axis=1, keepdims=True)
    return h


def test_fp32_accuracy_matches_numpy_reference(profiled):
    with np.load(DATA) as data:
        x, y = data["x"], data["y"]
    reference = float(
        np.mean(np.argmax(_numpy_mlp_reference(MODELS / "mlp_s_fp32.tflite", x), 1) == y)
    )
    frame = load_profiles(profiled).frame
    rows = frame[(frame["model"] == "mlp_s") & (frame["precision"] == "fp32")]
    assert len(rows) == 4
    assert np.all(np.abs(rows["accuracy"] - reference * 100.0) <= 0.5)


def test_quantised_models_are_scored_through_scale_and_zero_point(profiled):
    frame = load_profiles(profiled).frame
    acc = frame.groupby(["model", "precision"])["accuracy"].mean()
    # Full-int8 models take int8 input and give int8 output; mishandling the scale or
    # zero point collapses accuracy to chance (10 classes), far below the fp32 model.
    for model in ("mlp_s", "cnn_s"):
        assert abs(acc[(model, "int8")] - acc[(model, "fp32")]) < 5.0
    assert acc[("mlp_s", "fp32")] > 50.0


def test_quantize_round_trip():
    detail = {"dtype": np.int8, "quantization": (1 / 255, -128)}
    x = np.linspace(0, 1, 11, dtype=np.float32)
    q = quantize_input(x, detail)
    assert q.dtype == np.int8
    assert q[0] == -128 and q[-1] == 127
    np.testing.assert_allclose(dequantize_output(q, detail), x, atol=0.5 / 255 + 1e-9)


def _run(args: list[str], capsys) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().err


def test_missing_file_exit_2(tmp_path, capsys):
    out = tmp_path / "p.csv"
    code, err = _run(["profile", str(tmp_path / "nope.tflite"), "--quiet", "-o", str(out)], capsys)
    assert code == 2
    assert "nope.tflite" in err and "no such model file" in err
    assert not out.exists()


def test_not_a_tflite_exit_2(tmp_path, capsys):
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"\x08\x07onnx")
    code, err = _run(["profile", str(bad), "--quiet", "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "not a .tflite file" in err


def test_corrupt_flatbuffer_exit_2(tmp_path, capsys):
    data = (MODELS / "mlp_s_fp32.tflite").read_bytes()
    bad = tmp_path / "truncated.tflite"
    bad.write_bytes(data[: len(data) // 2])
    code, err = _run(["profile", str(bad), "--quiet", "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "truncated.tflite" in err and "cannot load" in err
    assert "Traceback" not in err


def test_text_renamed_to_tflite_exit_2(tmp_path, capsys):
    bad = tmp_path / "notes.tflite"
    bad.write_text("just some text, not a model\n")
    code, err = _run(["profile", str(bad), "--quiet", "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "TFL3" in err


def test_dataset_of_wrong_shape_exit_2(tmp_path, capsys):
    ds = tmp_path / "flat.npz"
    np.savez(ds, x=np.zeros((10, 64), np.float32), y=np.zeros(10, np.int64))
    args = ["profile", str(MODELS / "mlp_s_fp32.tflite"), "--dataset", str(ds), "--quiet"]
    code, err = _run([*args, "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "flat.npz" in err and "(64,)" in err and "(8, 8, 1)" in err


def test_dataset_without_labels_exit_2(tmp_path, capsys):
    ds = tmp_path / "nolabels.npz"
    np.savez(ds, x=np.zeros((10, 8, 8, 1), np.float32))
    args = ["profile", str(MODELS / "mlp_s_fp32.tflite"), "--dataset", str(ds), "--quiet"]
    code, err = _run([*args, "-o", str(tmp_path / "p.csv")], capsys)
    assert code == 2
    assert "'y'" in err


def test_one_bad_model_among_good_ones_keeps_good_rows(tmp_path, capsys):
    good = tmp_path / "mlp_s_fp32.tflite"
    shutil.copy(MODELS / "mlp_s_fp32.tflite", good)
    bad = tmp_path / "broken.tflite"
    bad.write_bytes(good.read_bytes()[:100])
    out = tmp_path / "p.csv"
    args = ["profile", str(bad), str(good), "--threads", "1,2", "--runs", "5", "--quiet"]
    code, err = _run([*args, "-o", str(out)], capsys)
    assert code == 2
    assert "broken.tflite" in err
    frame = load_profiles(out).frame
    assert list(frame["threads"]) == [1, 2]
    assert set(frame["model"]) == {"mlp_s"}


def test_in_process_mode_and_progress(tmp_path, capsys):
    out = tmp_path / "p.csv"
    code = main(
        [
            "profile",
            str(MODELS / "cnn_s_int8.tflite"),
            "--in-process",
            "--runs",
            "5",
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "1/1" in err
    frame = load_profiles(out).frame
    assert "memory_mb" not in frame.columns
    assert frame.loc[0, "precision"] == "int8" and frame.loc[0, "runtime"] == "litert-xnnpack"


def test_bad_delegate_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["profile", str(FIXTURES[0]), "--delegate", "gpu", "-o", str(tmp_path / "p.csv")])
    assert exc.value.code == 2
