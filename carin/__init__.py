"""carin: constraint-aware, responsive deployment of DNNs on heterogeneous and intermittent devices.

The public API is loaded lazily so that ``import carin.runtime`` (which must run
with the standard library alone inside apps) does not pull in numpy or pandas.

Example:
    Load a spec, solve it, and look at the result (paths are relative to the
    repository root)::

        >>> import carin
        >>> spec = carin.load_spec("spaces/phone-classifier.yaml")
        >>> result = carin.solve(spec)
        >>> result.pareto[["model", "processor", "accuracy", "latency_ms"]].head(2)
                   model processor  accuracy  latency_ms
        0  convnext_base       npu      83.2       7.715
        1      resnext50       npu      80.5       1.239
        >>> result.plan["format"], result.plan["primary"]
        ('carin-plan/1', 'd0')
        >>> fig = result.plot()            # a matplotlib Figure; result.plot("front.html") for plotly
        >>> carin.explain(result)["reason"]["deciding_objective"]
        'accuracy'
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
    "explain": "carin.report.explain",
    "load_result_dir": "carin.result",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'carin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
