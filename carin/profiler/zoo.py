"""The model zoo: small Keras models trained on scikit-learn's bundled digits data.

Each architecture is converted to fp32, fp16, int8 dynamic-range and full-int8
.tflite files. Needs the optional extra ``zoo`` (TensorFlow and scikit-learn;
``pip install -e ".[zoo]"`` from a clone); nothing is downloaded. TensorFlow is
imported only when :func:`build_zoo` runs, and its log noise is kept off the
terminal (:func:`quiet_native_logs`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from carin.errors import CarinError

__all__ = ["ARCHITECTURES", "ZOO_PRECISIONS", "ZooResult", "build_zoo", "quiet_native_logs"]

#: Architectures of the zoo: name -> list of layer specs. ``("dense", units)``,
#: ``("conv", filters)`` (3x3, same padding, ReLU) and ``("pool",)`` (2x2 max pooling).
ARCHITECTURES: dict[str, list[tuple]] = {
    "mlp_s": [("dense", 16)],
    "mlp_m": [("dense", 64)],
    "mlp_l": [("dense", 256), ("dense", 128)],
    "cnn_s": [("conv", 8), ("pool",)],
    "cnn_m": [("conv", 16), ("conv", 32), ("pool",), ("dense", 64)],
    "cnn_l": [("conv", 32), ("conv", 64), ("pool",), ("conv", 128), ("pool",), ("dense", 256)],
}

#: Precision labels written into file names (``<arch>_<precision>.tflite``); the
#: profiler detects the same labels from the tensor types.
ZOO_PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "int8-dynamic", "int8")


@dataclass
class ZooResult:
    """What :func:`build_zoo` wrote.

    Attributes:
        models: Paths of the .tflite files, in architecture then precision order.
        dataset: Path of the held-out split (``x`` float32 NHWC in [0, 1], ``y`` int64).
        keras_accuracy: Held-out top-1 accuracy (percent) of each Keras model.
    """

    models: list[Path] = field(default_factory=list)
    dataset: Path | None = None
    keras_accuracy: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[Callable[[], contextlib.AbstractContextManager[None]]]:
    """Keep TensorFlow's log noise off the terminal; show it only if something fails.

    TensorFlow, its converter (MLIR, absl) and Keras write to the process's stderr from
    C++ and from Python (logging, warnings), at import and on every conversion. Inside
    this context file descriptor 2 goes to a temporary file, Python warnings are
    ignored and the ``tensorflow``/``absl`` loggers only pass errors; when the block
    raises, what was captured is written to stderr before the exception propagates.

    Yields:
        ``unmuted``: a context manager factory; inside ``with unmuted():`` file
        descriptor 2 is the real stderr again (for carin's own progress lines).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    loggers = [logging.getLogger(n) for n in ("tensorflow", "absl", "h5py")]
    levels = [lg.level for lg in loggers]
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:

        @contextlib.contextmanager
        def unmuted() -> Iterator[None]:
            sys.stderr.flush()
            os.dup2(saved, 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(sink.fileno(), 2)

        os.dup2(sink.fileno(), 2)
        try:
            for lg in loggers:
                lg.setLevel(logging.ERROR)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield unmuted
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            sink.seek(0)
            captured = sink.read().decode(errors="replace")
            if captured:
                sys.stderr.write(captured)
                sys.stderr.flush()
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _import_tf():
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise CarinError(
            "carin zoo build needs TensorFlow: pip install -e '.[zoo]' from a clone of carin "
            "(tensorflow-cpu)"
        ) from exc
    return tf


def _load_digits(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise CarinError(
            "carin zoo build needs scikit-learn: pip install -e '.[zoo]' from a clone of carin"
        ) from exc
    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[..., None]
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    # Stratified 80/20 split so every class is in the held-out set in proportion.
    test = np.zeros(len(y), dtype=bool)
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        pick = rng.permutation(idx)[: round(0.2 * len(idx))]
        test[pick] = True
    return x[~test], y[~test], x[test], y[test]


def _keras_model(tf, layers: list[tuple]):
    keras = tf.keras
    seq = [keras.Input(shape=(8, 8, 1))]
    flat = False
    for spec in layers:
        if spec[0] == "conv":
            seq.append(keras.layers.Conv2D(spec[1], 3, padding="same", activation="relu"))
        elif spec[0] == "pool":
            seq.append(keras.layers.MaxPooling2D(2))
        elif spec[0] == "dense":
            if not flat:
                seq.append(keras.layers.Flatten())
                flat = True
            seq.append(keras.layers.Dense(spec[1], activation="relu"))
    if not flat:
        seq.append(keras.layers.Flatten())
    seq.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(seq)


def _convert(tf, model, precision: str, representative: np.ndarray) -> bytes:
    # The converter prints its progress on stdout; keep stdout for carin's own output.
    with contextlib.redirect_stdout(io.StringIO()):
        return _convert_quiet(tf, model, precision, representative)


def _convert_quiet(tf, model, precision: str, representative: np.ndarray) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision == "fp16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif precision == "int8-dynamic":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif precision == "int8":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]

        def gen():
            for i in range(len(representative)):
                yield [representative[i : i + 1]]

        conv.representative_dataset = gen
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def _write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def build_zoo(
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    architectures: list[str] | None = None,
    epochs: int = 40,
    progress=None,
) -> ZooResult:
    """Train the zoo models and write them as .tflite files plus ``data.npz``.

    Args:
        out_dir: Folder to write into (created when missing).
        seed: Seed of the data split, weight initialisation and training order.
        architectures: Subset of :data:`ARCHITECTURES` to build (all by default).
        epochs: Training epochs per model.
        progress: Optional callable taking a one-line status message.

    Returns:
        A :class:`ZooResult` naming the files written.

    Raises:
        CarinError: TensorFlow or scikit-learn is missing, or an unknown architecture.
    """
    names = list(ARCHITECTURES) if architectures is None else list(architectures)
    unknown = [n for n in names if n not in ARCHITECTURES]
    if unknown:
        raise CarinError(
            f"unknown zoo architecture {unknown[0]!r}; allowed: {', '.join(ARCHITECTURES)}"
        )
    with quiet_native_logs() as unmuted:

        def say(msg: str) -> None:
            if progress is not None:
                with unmuted():  # the progress goes to the real stderr, not the sink
                    progress(msg)

        return _build(names, Path(out_dir), seed, epochs, say)


def _build(
    names: list[str], out: Path, seed: int, epochs: int, say: Callable[[str], None]
) -> ZooResult:
    tf = _import_tf()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()

    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = _load_digits(seed)
    result = ZooResult()
    for name in names:
        tf.keras.utils.set_random_seed(seed)
        model = _keras_model(tf, ARCHITECTURES[name])
        model.compile(
            optimizer=tf.keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0, shuffle=True)
        probs = model.predict(x_test, verbose=0)
        acc = float(np.mean(np.argmax(probs, axis=1) == y_test) * 100.0)
        result.keras_accuracy[name] = acc
        say(f"{name}: {model.count_params()} parameters, held-out accuracy {acc:.2f}%")
        for precision in ZOO_PRECISIONS:
            path = out / f"{name}_{precision}.tflite"
            _write_bytes(path, _convert(tf, model, precision, x_train[:200]))
            result.models.append(path)
            say(f"  wrote {path} ({path.stat().st_size / 1024:.1f} KB)")
    data_path = out / "data.npz"
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".data.", suffix=".npz")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, x=x_test, y=y_test)
    os.chmod(tmp, 0o644)
    os.replace(tmp, data_path)
    result.dataset = data_path
    return result
