"""Exact decimal arithmetic on profile metrics: scaled integers (docs/spec.md, "Exact arithmetic").

Profile values are decimals as written in the table (latency 3.1 ms, accuracy
74.08 %). Every metric column is read at a fixed number of decimal places (the
fewest at which every value of the column is exactly a decimal, at most
:data:`MAX_DECIMALS`) and turned into integers in units of ``10**-places``. Sums,
maxima and minima of such integers are exact, so whether two designs tie or one
beats the other no longer depends on the order of a floating-point sum.

The integers are held in float64 arrays (NaN stays "not measured"); they are
kept below :data:`EXACT_LIMIT` = 2**50 in magnitude, so every sum is an exact
float64 integer and ``units / scale`` is the float nearest the exact decimal,
distinct values staying distinct and in order.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import numpy as np

from carin.runtime._exact import factor_units as _factor_units
from carin.runtime._exact import written_decimal

MAX_DECIMALS = 12
"""Most decimal places a metric is read with; a column whose values are not all
decimals with at most this many places (values computed in binary floating point)
is rounded to this many places, or fewer if its sums would not fit (see below)."""

FACTOR_DECIMALS = 6
"""Most decimal places of a slowdown factor; a factor with more is rounded to this many."""

EXACT_LIMIT = 2**50
"""Largest magnitude of any exact aggregate (in units); larger ones are refused."""

__all__ = [
    "MAX_DECIMALS",
    "FACTOR_DECIMALS",
    "EXACT_LIMIT",
    "column_decimals",
    "to_units",
    "as_decimal",
    "limit_units",
    "factor_units",
]


def column_decimals(values: np.ndarray, cap: int = MAX_DECIMALS) -> tuple[int, bool]:
    """Fewest decimal places at which every finite value is exactly a decimal.

    A value ``v`` is the decimal ``K / 10**d`` as written when ``v`` is the float
    nearest to it, i.e. ``round(v * 10**d) / 10**d == v``.

    Returns:
        ``(places, exact)``; ``(cap, False)`` when some value needs more than ``cap``.
    """
    v = np.asarray(values, dtype=np.float64)
    pending = v[np.isfinite(v)]
    for d in range(cap + 1):
        s = 10.0**d
        with np.errstate(over="ignore", invalid="ignore"):
            pending = pending[np.round(pending * s) / s != pending]
        if not len(pending):
            return d, True
    return cap, False


def to_units(values: np.ndarray, places: int) -> np.ndarray:
    """Values as integers in units of ``10**-places`` (float64 array; NaN kept)."""
    return np.round(np.asarray(values, dtype=np.float64) * 10.0**places)


def as_decimal(x: float | int | str) -> Fraction:
    """The decimal a number was written as.

    A float is read by the runtime switcher's rule (``carin.runtime._exact.written_decimal``),
    so the solver and the switchers read a limit alike: the shortest text that reads back as
    it when that has at most 15 significant digits, else its exact binary value.
    """
    if isinstance(x, int | Fraction):
        return Fraction(x)
    if isinstance(x, str):
        return Fraction(x)
    x = float(x)
    dec = written_decimal(x)
    return Fraction(x) if dec is None else Fraction(dec[0], 10 ** dec[1])


def limit_units(limit: float | int | Fraction, scale: int, op: str) -> float:
    """A constraint limit in units of ``1 / scale``, so that integer comparisons are exact.

    ``value <= limit`` holds for an integer ``u = value * scale`` exactly when
    ``u <= floor(limit * scale)``, and ``value >= limit`` when ``u >= ceil(limit * scale)``:
    a limit with more decimals than the data is taken as written, never rounded.
    """
    x = as_decimal(limit) * scale
    u = floor(x) if op == "<=" else ceil(x)
    return float(max(-(2**52), min(2**52, u)))


def factor_units(slowdown: dict[str, float] | None) -> tuple[int, dict[str, int]]:
    """Slowdown factors as integers: ``(places, {processor: factor * 10**places})``.

    A factor is taken at :data:`FACTOR_DECIMALS` places by the runtime switcher's rule,
    ``round(f * 10**6)`` (one IEEE product, rounded half to even;
    ``carin.runtime._exact.factor_units``), so a plan's anticipated factor is applied as
    its switchers apply it; ``places`` is then the fewest places holding every factor
    exactly, and an unslowed processor's factor is ``10**places``.
    """
    if not slowdown:
        return 0, {}
    units = {p: int(_factor_units(float(f))) for p, f in slowdown.items()}
    places = 0
    for u in units.values():
        while places < FACTOR_DECIMALS and u % 10 ** (FACTOR_DECIMALS - places):
            places += 1
    return places, {p: u // 10 ** (FACTOR_DECIMALS - places) for p, u in units.items()}
