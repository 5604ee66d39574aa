"""carin: constraint-aware, responsive deployment of DNNs on heterogeneous and intermittent devices.

The public API is loaded lazily so that ``import carin.runtime`` (which must run
with the standard library alone inside apps) does not pull in numpy or pandas.

Example:
    >>> import carin
    >>> result = carin.solve("spaces/phone-classifier.yaml")  # doctest: +SKIP
    >>> result.plan["primary"]  # doctest: +SKIP
    'd0'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load_spec": "carin.spec",
    "parse_spec": "carin.spec",
    "Spec": "carin.spec",
    "load_profiles": "carin.profiles",
    "ProfileTable": "carin.profiles",
    "compile_space": "carin.space",
    "DesignSpace": "carin.space",
    "ParetoSet": "carin.pareto",
    "solve": "carin.result",
    "Result": "carin.result",
    "get_solver": "carin.solvers",
    "available_solvers": "carin.solvers",
    "CarinError": "carin.errors",
    "SpecError": "carin.errors",
    "ProfileError": "carin.errors",
    "InfeasibleError": "carin.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'carin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
