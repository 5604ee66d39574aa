"""Errors raised by the runtime.

When the runtime runs inside the carin package these are the classes of
:mod:`carin.errors`, so the CLI turns them into exit code 2. When the folder is
copied into an app on its own, local stand-ins with the same names are used.
"""

from __future__ import annotations

try:
    from carin.errors import CarinError, PlanError
except ImportError:  # pragma: no cover - exercised only when copied into an app

    class CarinError(Exception):  # type: ignore[no-redef]
        """A user-facing error (stand-in for ``carin.errors.CarinError``)."""

        exit_code: int = 2

    class PlanError(CarinError):  # type: ignore[no-redef]
        """A plan is malformed; the message names the field."""


class EventsError(CarinError):
    """An events (timeline) file is malformed; the message names the line and field."""


__all__ = ["CarinError", "EventsError", "PlanError"]
