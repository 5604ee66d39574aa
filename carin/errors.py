"""Errors that the CLI turns into a message and an exit code, never a traceback."""

from __future__ import annotations

__all__ = ["CarinError", "InfeasibleError", "SpecError", "ProfileError", "PlanError"]


class CarinError(Exception):
    """A user-facing error: the message says what was wrong and what is allowed.

    Attributes:
        exit_code: The process exit code the CLI uses for this error (2 = bad input).
    """

    exit_code: int = 2


class SpecError(CarinError):
    """The SLO spec is malformed; the message names the file, line and field."""


class ProfileError(CarinError):
    """A profile table is malformed; the message names the file, row and column."""


class PlanError(CarinError):
    """A plan file is malformed; the message names the field."""


class InfeasibleError(CarinError):
    """No configuration meets the constraints (exit code 3).

    Attributes:
        misses: The nearest misses: each a dict with ``design`` and ``broken`` (the
            constraints it breaks, its value and by how much).
    """

    exit_code = 3

    def __init__(self, message: str, misses: list | None = None) -> None:
        super().__init__(message)
        self.misses = list(misses or [])


class SearchIncompleteError(CarinError):
    """A non-exact solver found no feasible design, yet feasible designs exist (exit code 4).

    Raised instead of :class:`InfeasibleError` so that a baseline's empty result is
    never reported as proof that the spec cannot be met.
    """

    exit_code = 4
