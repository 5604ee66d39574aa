"""Exact decimal arithmetic of the switcher (docs/plan-format.md, "Exact decisions").

The solver decides ties and limits on the decimals as written (``carin._exact``);
the switcher must decide the same way, and the Java port must decide exactly as
this module does. Every conversion from a float to an integer here is one IEEE
double operation followed by rounding half to even (Python ``round``, Java
``Math.rint``), or exact integer arithmetic, so both languages get the same
integers; everything after that is exact integer arithmetic.

* A plan value ``x`` of a metric read at ``d`` decimal places becomes the integer
  ``round(x * 10**d)`` (units of ``10**-d``); an app-level ``mean`` over ``k``
  tasks is kept as the sum, ``round(x * 10**d * k)``. Values stay below
  :data:`EXACT_LIMIT` units, so this recovers the solver's integers exactly.
* A slowdown factor ``f`` becomes ``round(f * 10**6)`` (units of ``10**-6``,
  :func:`factor_units`); a factor that is not above 1 (or NaN) is ``10**6``.
* A limit or budget ``x`` is read as written (:func:`written_decimal`) and a value
  in units of ``1 / scale`` holds ``value <= x`` exactly when it is at most
  ``floor(x * scale)`` (:func:`limit_units`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MAX_DECIMALS = 12
"""Most decimal places a metric is read with (as the solver, ``carin._exact.MAX_DECIMALS``)."""

FACTOR_PLACES = 6
"""Decimal places of a slowdown factor: ``f`` is applied as ``round(f * 10**6) / 10**6``."""

FACTOR_ONE = 10**FACTOR_PLACES
"""The units of a factor of 1 (no slowdown)."""

EXACT_LIMIT = 2**50
"""Plan values must stay below this many units (the solver's range)."""

_SEARCH_LIMIT = 2**51
# 10**e as exact doubles (every power up to 10**22 is exactly representable)
_POW10 = tuple(float(10**e) for e in range(23))

__all__ = [
    "EXACT_LIMIT",
    "FACTOR_ONE",
    "FACTOR_PLACES",
    "MAX_DECIMALS",
    "factor_units",
    "limit_units",
    "places_of",
    "value_units",
    "written_decimal",
]


def factor_units(f: float) -> int | float:
    """A slowdown factor in units of ``10**-6``: ``round(f * 10**6)``.

    A factor that is not above 1 (and NaN) is ``10**6``, i.e. no slowdown; an
    infinite factor (or one whose product overflows) stays ``math.inf``.
    """
    if not f > 1.0:
        return FACTOR_ONE
    p = f * 1e6
    if p == math.inf:
        return math.inf
    return round(p)


def written_decimal(x: float) -> tuple[int, int] | None:
    """The decimal ``x`` was written as, ``(m, e)`` meaning ``m / 10**e``, or None.

    The fewest decimal places ``e`` (up to 22) such that ``r = round(|x| * 10**e)``
    is below ``2**51`` and ``r / 10**e`` (one IEEE division) reads back as ``x``.
    For a decimal written with at most 15 significant digits this is exactly the
    decimal written (the shortest text that reads back as ``x``, Python's
    ``repr``); None for other floats (computed values, 16-17 digits), which
    :func:`limit_units` then reads as their exact binary value.
    """
    ax = -x if x < 0.0 else x
    for e, s in enumerate(_POW10):
        p = ax * s
        if not p < _SEARCH_LIMIT:
            return None
        r = round(p)
        if r / s == ax:
            return (-r if x < 0.0 else r), e
    return None


def limit_units(x: float, scale: int, op: str = "<=") -> int | float:
    """A limit in units of ``1 / scale``: ``floor(x * scale)`` for ``<=``, ``ceil`` for ``>=``.

    ``x`` is read as written (:func:`written_decimal`), or as its exact binary value
    when it is not a short decimal; an integer value ``u`` then holds ``u / scale <= x``
    exactly when ``u <= limit_units(x, scale, "<=")``. Infinities are returned as
    they are; NaN is for the caller to handle.
    """
    if x == math.inf or x == -math.inf:
        return x
    dec = written_decimal(x)
    if dec is None:
        num, den = x.as_integer_ratio()
    else:
        num, den = dec[0], 10 ** dec[1]
    n = num * scale
    return n // den if op == "<=" else -((-n) // den)


def value_units(x: float, scale: int) -> int:
    """A plan value in units of ``1 / scale``: ``round(x * scale)`` (one IEEE product)."""
    return round(x * scale)


def places_of(values: Iterable[float], cap: int = MAX_DECIMALS) -> int:
    """Fewest decimal places (at most ``cap``) at which every value is exactly a decimal.

    A value ``v`` is a decimal with ``d`` places when ``round(v * 10**d) / 10**d == v``
    (the solver's rule, ``carin._exact.column_decimals``); ``cap`` when some value
    needs more.
    """
    pending = [v for v in values if math.isfinite(v)]
    for d in range(cap + 1):
        s = _POW10[d]
        pending = [v for v in pending if not (abs(v * s) < math.inf and round(v * s) / s == v)]
        if not pending:
            return d
    return cap
