"""The LiteRT interpreter: ``ai_edge_litert`` first, ``tflite_runtime`` as a fallback."""

from __future__ import annotations

import os
from typing import Any

from carin.profiler._errors import ProfilingError

__all__ = ["DELEGATES", "RUNTIME_NAMES", "interpreter_module", "make_interpreter"]

#: Delegate choices of ``carin profile --delegate``.
DELEGATES: tuple[str, ...] = ("xnnpack", "none")

#: The ``runtime`` key written for each delegate choice.
RUNTIME_NAMES: dict[str, str] = {"xnnpack": "litert-xnnpack", "none": "litert"}

_MODULE: Any = None


def interpreter_module() -> Any:
    """Return the interpreter module (``ai_edge_litert.interpreter`` or ``tflite_runtime``).

    Raises:
        ProfilingError: Neither package is installed.
    """
    global _MODULE
    if _MODULE is None:
        try:
            from ai_edge_litert import interpreter as module
        except ImportError:
            try:
                from tflite_runtime import interpreter as module
            except ImportError as exc:
                raise ProfilingError(
                    "profiling needs the LiteRT interpreter: pip install ai-edge-litert "
                    "(or tflite-runtime)"
                ) from exc
        _MODULE = module
    return _MODULE


def make_interpreter(path: str | os.PathLike, *, threads: int, delegate: str) -> Any:
    """Create an interpreter for one configuration (tensors not yet allocated).

    ``delegate="xnnpack"`` uses the default op resolver, which applies LiteRT's
    default XNNPACK delegate; ``"none"`` uses the built-in kernels with the default
    delegates disabled (``BUILTIN_WITHOUT_DEFAULT_DELEGATES``).

    Args:
        path: The .tflite file.
        threads: Number of CPU threads (>= 1).
        delegate: One of :data:`DELEGATES`.

    Returns:
        The interpreter object.
    """
    module = interpreter_module()
    if delegate not in RUNTIME_NAMES:
        raise ProfilingError(f"unknown delegate {delegate!r}; allowed: {', '.join(DELEGATES)}")
    resolver = module.OpResolverType
    kind = resolver.AUTO if delegate == "xnnpack" else resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return module.Interpreter(
        model_path=os.fspath(path),
        num_threads=int(threads),
        experimental_op_resolver_type=kind,
    )
