"""Reports: text tables (:mod:`.text`), plots (:mod:`.plots`) and explanations (:mod:`.explain`)."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_result"]


def plot_result(result: Any, out: Any = None, **kwargs: Any) -> Any:
    """Plot a result's front (implemented in :mod:`carin.report.plots`)."""
    from carin.report import plots

    return plots.plot_result(result, out, **kwargs)
