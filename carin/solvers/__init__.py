"""Solvers behind one interface (:class:`Solver`); one module per solver.

A solver module defines subclasses of :class:`Solver` and lists them in a
module-level ``SOLVERS`` tuple; modules are discovered, so a new solver is a new
file. :func:`get_solver` builds one by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from carin.errors import CarinError
from carin.solvers._base import Solver

__all__ = ["Solver", "available_solvers", "get_solver"]


def _registry() -> dict[str, type[Solver]]:
    out: dict[str, type[Solver]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for cls in getattr(module, "SOLVERS", ()):
            out[cls.name] = cls
    return dict(sorted(out.items()))


def available_solvers() -> list[str]:
    """Names accepted by :func:`get_solver` and ``carin solve --solver``."""
    return list(_registry())


def get_solver(name: str, **options: Any) -> Solver:
    """Build a solver by name.

    Args:
        name: e.g. ``rass`` or ``exhaustive``.
        **options: Keyword options of the solver's constructor (e.g. ``budget``, ``seed``).

    Raises:
        CarinError: Unknown name (the message lists the known ones).
    """
    registry = _registry()
    if name not in registry:
        raise CarinError(f"unknown solver '{name}'; available: {', '.join(registry)}")
    return registry[name](**options)
