"""Reports: text tables now; plots are added by :mod:`carin.report.plots`."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_result"]


def plot_result(result: Any, **kwargs: Any) -> Any:
    """Plot a result's front (implemented in :mod:`carin.report.plots`)."""
    from carin.report import plots  # type: ignore[attr-defined]

    return plots.plot_result(result, **kwargs)
