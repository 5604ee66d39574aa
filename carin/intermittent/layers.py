"""Per-layer cost tables of a model on an intermittent device.

A :class:`LayerTable` lists a model's layers with their work (MACs, LEA calls, CPU
operations) and data sizes (weight, input and output feature-map elements). It is read
from a plain YAML layer list (shapes inferred from the input shape) or from a real
``.tflite`` file's graph. :meth:`LayerTable.costs` turns it into energy and time on a
:class:`~carin.intermittent.device.Device`.

Cost of a layer's computation (every checkpointing mechanism pays it):

* LEA vector MACs: one call per output element (a dot product of length MACs/outputs);
* weights fetched from FRAM by DMA, one transfer per output channel;
* CPU operations for pooling and element-wise work (softmax, residual adds).

Moving feature maps between SRAM and FRAM depends on the checkpointing plan and is
costed in :mod:`carin.intermittent.cm`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carin.errors import CarinError, SpecError
from carin.intermittent.device import Device
from carin.spec._yaml import load_yaml

__all__ = ["LayerError", "Layer", "LayerTable", "LayerCosts", "load_layers"]


class LayerError(CarinError):
    """A layer list or model file is malformed; the message names the file and layer."""


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One layer's work and data sizes (sizes in tensor elements).

    Attributes:
        name: Layer name.
        op: Operation type (``conv2d``, ``depthwise_conv2d``, ``conv1d``, ``dense``,
            ``maxpool``, ``avgpool``, ``add`` or ``custom``).
        macs: Multiply-accumulates.
        calls: LEA vector-MAC calls (0 for layers without MACs).
        cpu_ops: Simple CPU operations (compares, adds).
        weight_elems: Weight and bias elements read from FRAM.
        weight_transfers: DMA transfers used to read the weights.
        in_elems: Input feature-map elements.
        out_elems: Output feature-map elements.
    """

    name: str
    op: str
    macs: int
    calls: int
    cpu_ops: int
    weight_elems: int
    weight_transfers: int
    in_elems: int
    out_elems: int


@dataclass(frozen=True, kw_only=True)
class LayerCosts:
    """A model's per-layer computation costs on one device (arrays indexed by layer).

    Attributes:
        energy_j: Computation energy of each layer (MACs, weight reads, CPU ops).
        time_s: Computation time of each layer.
        in_elems, out_elems: Feature-map sizes in elements.
        in_bytes, out_bytes, weight_bytes: Sizes in bytes on the device.
        macs: MACs per layer.
    """

    energy_j: np.ndarray
    time_s: np.ndarray
    in_elems: np.ndarray
    out_elems: np.ndarray
    in_bytes: np.ndarray
    out_bytes: np.ndarray
    weight_bytes: np.ndarray
    macs: np.ndarray


@dataclass(frozen=True, kw_only=True)
class LayerTable:
    """A model as a list of layers.

    Attributes:
        name: Model name.
        precision: Precision label of the source model (``int16`` for YAML lists by default).
        layers: The layers in execution order.
        source: File the table was read from.
    """

    name: str
    precision: str
    layers: tuple[Layer, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.layers)

    def costs(self, device: Device) -> LayerCosts:
        """Computation energy and time of each layer on ``device``."""
        n = len(self.layers)
        e = np.zeros(n)
        t = np.zeros(n)
        for i, ly in enumerate(self.layers):
            parts = [
                device.mac(ly.macs, ly.calls),
                device.dma_read(ly.weight_elems, ly.weight_transfers),
                device.cpu_ops(ly.cpu_ops),
            ]
            e[i] = sum(p[0] for p in parts)
            t[i] = sum(p[1] for p in parts)
        arr = lambda attr: np.array([getattr(ly, attr) for ly in self.layers], dtype=float)  # noqa: E731
        b = float(device.element_bytes)
        return LayerCosts(
            energy_j=e,
            time_s=t,
            in_elems=arr("in_elems"),
            out_elems=arr("out_elems"),
            in_bytes=arr("in_elems") * b,
            out_bytes=arr("out_elems") * b,
            weight_bytes=arr("weight_elems") * b,
            macs=arr("macs"),
        )

    def to_rows(self, device: Device) -> list[dict[str, Any]]:
        """The cost table as plain rows (for printing or CSV)."""
        c = self.costs(device)
        return [
            {
                "layer": ly.name,
                "op": ly.op,
                "macs": ly.macs,
                "weight_bytes": int(c.weight_bytes[i]),
                "in_bytes": int(c.in_bytes[i]),
                "out_bytes": int(c.out_bytes[i]),
                "energy_uj": float(c.energy_j[i] * 1e6),
                "time_ms": float(c.time_s[i] * 1e3),
            }
            for i, ly in enumerate(self.layers)
        ]


#: Largest value of one size field (units, filters, kernel, a dimension of the input).
MAX_DIM = 1 << 20
#: Most multiply-accumulates, elements or weights one layer may have: 100x the largest
#: model an intermittent MCU runs, and small enough that the cost model and simulator
#: stay in seconds and bounded memory.
MAX_LAYER_WORK = 10**10


def _int(v: Any, where: str, field: str, *, minimum: int = 1, maximum: int = MAX_DIM) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        shown = f"an integer with {len(str(v))} digits" if isinstance(v, int) else repr(v)
        raise LayerError(f"{where}: field {field!r} must be an integer >= {minimum}, got {shown}")
    if v > maximum:
        shown = str(v) if len(str(v)) <= 20 else f"an integer with {len(str(v))} digits"
        raise LayerError(
            f"{where}: field {field!r} is {shown}; at most {maximum:,} (an intermittently "
            "powered device runs models thousands of times smaller)"
        )
    return v


def _out_len(n: int, k: int, s: int, padding: str) -> int:
    return math.ceil(n / s) if padding == "same" else (n - k) // s + 1


_KNOWN = {
    "conv2d",
    "depthwise_conv2d",
    "conv1d",
    "dense",
    "maxpool",
    "avgpool",
    "flatten",
    "global_avgpool",
    "add",
    "custom",
}


def _from_yaml_layers(data: dict[str, Any], path: Path, lines: list[int]) -> LayerTable:
    where0 = str(path)
    layers_in = data.get("layers")
    if not isinstance(layers_in, list) or not layers_in:
        raise LayerError(f"{where0}: needs a non-empty 'layers' list")
    shape = data.get("input")
    if shape is not None and (
        not isinstance(shape, list)
        or not all(
            isinstance(x, int) and not isinstance(x, bool) and 0 < x <= MAX_DIM for x in shape
        )
        or len(shape) not in (1, 2, 3)
    ):
        raise LayerError(
            f"{where0}: 'input' must be a list of 1-3 positive integers of at most "
            f"{MAX_DIM:,} (e.g. [28, 28, 1] or [128, 3])"
        )
    out: list[Layer] = []
    for i, spec in enumerate(layers_in):
        where = f"{path}:{lines[i]}" if i < len(lines) else f"{path}: layer {i}"
        if not isinstance(spec, dict):
            raise LayerError(f"{where}: each layer is a mapping")
        op = spec.get("type", "custom")
        if op not in _KNOWN:
            raise LayerError(
                f"{where}: unknown layer type {op!r}; allowed: " + ", ".join(sorted(_KNOWN))
            )
        name = str(spec.get("name", f"{op}{i}"))
        if op == "custom":
            for f in ("macs", "weights", "input", "output"):
                if f not in spec:
                    raise LayerError(f"{where}: custom layer needs {f!r} (elements)")
            macs = _int(spec["macs"], where, "macs", minimum=0, maximum=MAX_LAYER_WORK)
            outs = _int(spec["output"], where, "output", maximum=MAX_LAYER_WORK)
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=macs,
                    calls=outs if macs else 0,
                    cpu_ops=0
                    if macs
                    else _int(spec["input"], where, "input", maximum=MAX_LAYER_WORK),
                    weight_elems=_int(
                        spec["weights"], where, "weights", minimum=0, maximum=MAX_LAYER_WORK
                    ),
                    weight_transfers=1,
                    in_elems=_int(spec["input"], where, "input", maximum=MAX_LAYER_WORK),
                    out_elems=outs,
                )
            )
            shape = None
            continue
        if shape is None:
            raise LayerError(
                f"{where}: layer type {op!r} needs a known input shape "
                "(give 'input' at the top or use type: custom)"
            )
        n_in = int(np.prod(shape))
        if op == "flatten":
            shape = [n_in]
            continue
        if (
            op in ("conv2d", "depthwise_conv2d", "maxpool", "avgpool", "global_avgpool")
            and len(shape) != 3
        ):
            raise LayerError(f"{where}: {op} needs a 3-D input (H, W, C), got {shape}")
        if op == "conv1d" and len(shape) != 2:
            raise LayerError(f"{where}: conv1d needs a 2-D input (T, C), got {shape}")
        padding = spec.get("padding", "valid")
        if padding not in ("valid", "same"):
            raise LayerError(f"{where}: padding must be 'valid' or 'same', got {padding!r}")
        if op in ("conv2d", "depthwise_conv2d"):
            k = _int(spec.get("kernel", 3), where, "kernel")
            s = _int(spec.get("stride", 1), where, "stride")
            h, w, c = shape
            oh, ow = _out_len(h, k, s, padding), _out_len(w, k, s, padding)
            if oh < 1 or ow < 1:
                raise LayerError(f"{where}: kernel {k} does not fit input {shape}")
            if op == "conv2d":
                f = _int(spec.get("filters"), where, "filters")
                macs, wts, shape = oh * ow * f * k * k * c, f * (k * k * c + 1), [oh, ow, f]
            else:
                f = c
                macs, wts, shape = oh * ow * c * k * k, c * (k * k + 1), [oh, ow, c]
            n_out = int(np.prod(shape))
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=macs,
                    calls=n_out,
                    cpu_ops=n_out,
                    weight_elems=wts,
                    weight_transfers=f,
                    in_elems=n_in,
                    out_elems=n_out,
                )
            )
        elif op == "conv1d":
            k = _int(spec.get("kernel", 3), where, "kernel")
            s = _int(spec.get("stride", 1), where, "stride")
            f = _int(spec.get("filters"), where, "filters")
            t_len, c = shape
            ot = _out_len(t_len, k, s, padding)
            if ot < 1:
                raise LayerError(f"{where}: kernel {k} does not fit input {shape}")
            shape = [ot, f]
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=ot * f * k * c,
                    calls=ot * f,
                    cpu_ops=ot * f,
                    weight_elems=f * (k * c + 1),
                    weight_transfers=f,
                    in_elems=n_in,
                    out_elems=ot * f,
                )
            )
        elif op == "dense":
            u = _int(spec.get("units"), where, "units")
            shape = [u]
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=n_in * u,
                    calls=u,
                    cpu_ops=u,
                    weight_elems=u * (n_in + 1),
                    weight_transfers=u,
                    in_elems=n_in,
                    out_elems=u,
                )
            )
        elif op in ("maxpool", "avgpool"):
            p = _int(spec.get("pool", 2), where, "pool")
            s = _int(spec.get("stride", p), where, "stride")
            h, w, c = shape
            shape = [_out_len(h, p, s, "valid"), _out_len(w, p, s, "valid"), c]
            n_out = int(np.prod(shape))
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=0,
                    calls=0,
                    cpu_ops=n_out * p * p,
                    weight_elems=0,
                    weight_transfers=0,
                    in_elems=n_in,
                    out_elems=n_out,
                )
            )
        elif op == "global_avgpool":
            c = shape[-1]
            shape = [c]
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=0,
                    calls=0,
                    cpu_ops=n_in,
                    weight_elems=0,
                    weight_transfers=0,
                    in_elems=n_in,
                    out_elems=c,
                )
            )
        elif op == "add":
            out.append(
                Layer(
                    name=name,
                    op=op,
                    macs=0,
                    calls=0,
                    cpu_ops=2 * n_in,
                    weight_elems=0,
                    weight_transfers=0,
                    in_elems=2 * n_in,
                    out_elems=n_in,
                )
            )
    if not out:
        raise LayerError(f"{where0}: no layer with work (only flatten?)")
    for layer in out:
        work = max(layer.macs, layer.cpu_ops, layer.weight_elems, layer.in_elems, layer.out_elems)
        if work > MAX_LAYER_WORK:
            raise LayerError(
                f"{where0}: layer {layer.name!r} ({layer.op}) needs {work:.3g} operations or "
                f"elements; at most {MAX_LAYER_WORK:.0e} per layer (too large for an "
                "intermittently powered device)"
            )
    return LayerTable(
        name=str(data.get("name", path.stem)),
        precision=str(data.get("precision", "int16")),
        layers=tuple(out),
        source=str(path),
    )


def _from_tflite(path: Path) -> LayerTable:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise LayerError(f"{path}: reading .tflite needs ai-edge-litert") from exc
    try:
        interp = Interpreter(model_path=str(path))
        tensors = {t["index"]: t for t in interp.get_tensor_details()}
        ops = interp._get_ops_details()
    except (ValueError, RuntimeError) as exc:
        raise LayerError(f"{path}: not a readable .tflite model ({exc})") from exc
    shape = lambda i: [int(x) for x in tensors[i]["shape"]]  # noqa: E731
    size = lambda i: int(np.prod(shape(i))) if shape(i) else 1  # noqa: E731
    layers: list[Layer] = []
    skipped = {
        "SHAPE",
        "STRIDED_SLICE",
        "PACK",
        "RESHAPE",
        "SQUEEZE",
        "QUANTIZE",
        "DEQUANTIZE",
        "EXPAND_DIMS",
        "CONCATENATION",
    }
    for k, op in enumerate(ops):
        name = op["op_name"]
        ins = [i for i in op["inputs"] if i >= 0]
        outs = [i for i in op["outputs"] if i >= 0]
        if name in skipped or not ins or not outs:
            continue
        n_in, n_out = size(ins[0]), size(outs[0])
        lname = f"{name.lower()}_{k}"
        if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = shape(ins[1])
            wts = sum(size(i) for i in ins[1:])
            if name == "CONV_2D":
                per, ch = int(np.prod(w[1:])), w[0]
            elif name == "DEPTHWISE_CONV_2D":
                per, ch = int(np.prod(w[1:3])), w[-1]
            else:
                per, ch = w[-1], w[0]
            layers.append(
                Layer(
                    name=lname,
                    op=name.lower(),
                    macs=n_out * per,
                    calls=n_out,
                    cpu_ops=n_out,
                    weight_elems=wts,
                    weight_transfers=ch,
                    in_elems=n_in,
                    out_elems=n_out,
                )
            )
        elif name in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN"):
            layers.append(
                Layer(
                    name=lname,
                    op=name.lower(),
                    macs=0,
                    calls=0,
                    cpu_ops=n_in,
                    weight_elems=0,
                    weight_transfers=0,
                    in_elems=n_in,
                    out_elems=n_out,
                )
            )
        elif layers:
            # Element-wise work (softmax, activations, adds) is folded into the layer before.
            prev = layers[-1]
            layers[-1] = Layer(**{**prev.__dict__, "cpu_ops": prev.cpu_ops + 4 * n_out})
    if not layers:
        raise LayerError(f"{path}: no supported layer (conv, depthwise conv, dense, pool)")
    dtype = tensors[ops[0]["inputs"][0]]["dtype"].__name__ if ops else "float32"
    precision = {
        "float32": "fp32",
        "int8": "int8",
        "uint8": "int8",
        "float16": "fp16",
        "int16": "int16",
    }.get(dtype, dtype)
    return LayerTable(name=path.stem, precision=precision, layers=tuple(layers), source=str(path))


def load_layers(path: str | Path) -> LayerTable:
    """Load a model's layer table from a YAML layer list or a ``.tflite`` file.

    A YAML file holds ``name``, optional ``precision``, ``input`` (shape) and ``layers``:
    each with ``type`` (conv2d, depthwise_conv2d, conv1d, dense, maxpool, avgpool,
    global_avgpool, flatten, add, custom) and its parameters (``filters``, ``kernel``,
    ``stride``, ``padding``, ``units``, ``pool``); ``custom`` layers give ``macs``,
    ``weights``, ``input`` and ``output`` element counts directly.

    Raises:
        LayerError: Unreadable file or bad layer (names the file and line).
    """
    path = Path(path)
    if path.suffix == ".tflite":
        if not path.is_file():
            raise LayerError(f"{path}: no such model file")
        return _from_tflite(path)
    try:
        data = load_yaml(path)
    except SpecError as exc:
        raise LayerError(str(exc)) from None
    if not isinstance(data, dict):
        raise LayerError(f"{path}:1: a layer list is a mapping with 'layers'")
    lines = list(getattr(data.get("layers"), "item_lines", []))
    return _from_yaml_layers(data, path, lines)
