"""Errors of the profiler."""

from __future__ import annotations

from carin.errors import CarinError

__all__ = ["ProfilingError"]


class ProfilingError(CarinError):
    """A model file or dataset cannot be profiled; the message names the file and the problem."""
