"""Drift monitor: per-processor Kalman filters of the slowdown factor.

The state of processor ``p`` is its slowdown factor ``x_p`` = measured latency
/ profiled latency (1 = as profiled). Each filter is scalar, with mean ``x``
and variance ``P``:

* **Predict** (random walk, when the processor is observed)::

      x- = x
      P- = P + q

* **Relax** (when a step observes another processor, so a load that went
  away is eventually retried; ``rho`` in (0, 1])::

      x = 1 + rho * (x - 1)
      P = rho**2 * P + q

* **Update** with a pseudo-measurement ``z`` of noise variance ``R``::

      K = P- / (P- + R)
      x = x- + K * (z - x-)
      P = (1 - K) * P-

A measured app latency ``y`` of a design is attributed to its processors as
follows. With the current estimates ``x``, the model gives the predicted app
latency ``L(x)`` and its gradient ``g_p = dL/dx_p``. Processor ``p``'s share of
the latency is ``w_p = g_p * x_p / L(x)`` (the shares add up to 1 because
``L`` scales linearly with the factors). Splitting the latency error
``y - L(x)`` between processors in proportion to their shares gives every
processor with ``w_p > 0`` the same relative error, so its pseudo-measurement
is ``z_p = x_p * y / L(x)`` with noise ``R_p = r / w_p`` (a processor that
carries a small share learns little). For a single-part design this is the
plain ``z = y / profiled latency`` with noise ``r``. Processors with ``w_p = 0``
(e.g. a part off the critical path of a ``max`` aggregate) are not updated.

The predictive distribution of the next app latency is Gaussian with mean
``L(x)`` and variance ``V = sum_p g_p**2 * (P_p + q + r)`` (summed in the order
in which the gradient meets the processors: part order); the probability of
missing the latency limit ``T`` is ``1 - Phi((T - L(x)) / sqrt(V))``. The
monitor decides "misses with probability above ``a``" as
``(T - L(x)) / sqrt(V) < z_(1-a)`` (the same test, since ``Phi`` is increasing;
with ``V = 0``: ``L(x) > T``), so no normal CDF is evaluated. The
per-processor upper quantile at miss level ``a`` is
``x_p + z_(1-a) * sqrt(P_p + q + r)``: a single-part design misses with
probability above ``a`` exactly when it is infeasible under that slowdown.

Portability: ``z_(1-a)`` comes from :func:`normal_quantile` (Wichura's AS241
rational approximations, with a logarithm computed by an explicit series), so
every number the monitor computes uses only ``+ - * /`` and ``sqrt``, each
correctly rounded in IEEE 754 double precision. The Java switcher performs the
same operations in the same order and gets bit-identical estimates and decisions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["MonitorConfig", "SlowdownFilter", "miss_probability", "normal_quantile"]

_NORMAL = NormalDist()

# Wichura (1988), algorithm AS241 (PPND16): numerator and denominator coefficients
# of the three rational approximations, lowest power first.
_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427,
      13731.693765509461125, 45921.953931549871457, 67265.770927008700853,
      33430.575583588128105, 2509.0809287301226727)  # fmt: skip
_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
      21213.794301586595867, 39307.89580009271061, 28729.085735721942674,
      5226.495278852545925)  # fmt: skip
_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055,
      3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177,
      0.0227238449892691845833, 7.7454501427834140764e-4)  # fmt: skip
_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
      0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4,
      1.05075007164441684324e-9)  # fmt: skip
_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358,
      0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386,
      2.71155556874348757815e-5, 2.01033439929228813265e-7)  # fmt: skip
_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
      7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7,
      2.04426310338993978564e-15)  # fmt: skip
_LN2 = 0.6931471805599453
_SQRT_HALF = 0.7071067811865476


def _poly(c: tuple[float, ...], r: float) -> float:
    """``c[0] + c[1] r + ... + c[7] r**7`` by Horner's rule (highest power first)."""
    acc = c[7]
    for k in range(6, -1, -1):
        acc = acc * r + c[k]
    return acc


def _log(x: float) -> float:
    """Natural logarithm of a positive finite ``x`` with ``+ - * /`` only (portable).

    ``x = m * 2**e`` with ``m`` in [sqrt(1/2), sqrt(2)); ``log m = 2 atanh(s)`` with
    ``s = (m - 1) / (m + 1)``, ``|s| < 0.172``, summed over the first 16 odd powers.
    """
    m, e = math.frexp(x)  # exact: m in [0.5, 1)
    if m < _SQRT_HALF:
        m *= 2.0
        e -= 1
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    acc = 1.0 / 33.0
    for k in range(15, -1, -1):
        acc = acc * s2 + 1.0 / (2 * k + 1)
    return e * _LN2 + 2.0 * s * acc


def normal_quantile(p: float) -> float:
    """Standard-normal quantile ``Phi^-1(p)`` for ``0 < p < 1`` (AS241, about 1e-16 relative).

    Uses only arithmetic, ``sqrt`` and :func:`_log`, so ports compute the same bits.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"p={p!r} must be in (0, 1)")
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _poly(_A, r) / _poly(_B, r)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-_log(r))
    if r <= 5.0:
        r -= 1.6
        x = _poly(_C, r) / _poly(_D, r)
    else:
        r -= 5.0
        x = _poly(_E, r) / _poly(_F, r)
    return -x if q < 0.0 else x


@dataclass(frozen=True, kw_only=True)
class MonitorConfig:
    """Parameters of the drift monitor.

    Attributes:
        q: Process noise variance of the slowdown factor per observation.
        r: Measurement noise variance of one latency ratio (squared coefficient
            of variation of a single inference's latency; 0.0025 = 5 % jitter).
        p0: Initial variance of a processor's factor (mean starts at 1).
        threshold: Miss probability of the current design above which the
            monitor's estimate becomes a slowdown condition.
        release: Lower miss probability used for recovery (hysteresis).
        revert_after: Consecutive observations in which a better-ranked design
            would hold at the ``release`` level before the monitor relaxes its condition.
        relax: Per-step factor by which an unobserved processor's estimate returns to 1.
    """

    q: float = 1e-3
    r: float = 2.5e-3
    p0: float = 1e-2
    threshold: float = 0.1
    release: float = 0.02
    revert_after: int = 10
    relax: float = 0.95

    def __post_init__(self) -> None:
        checks = (
            ("q", self.q >= 0.0, "q >= 0"),
            ("r", self.r > 0.0, "r > 0"),
            ("p0", self.p0 >= 0.0, "p0 >= 0"),
            ("threshold", 0.0 < self.threshold < 0.5, "0 < threshold < 0.5"),
            ("release", 0.0 < self.release <= self.threshold, "0 < release <= threshold"),
            ("revert_after", self.revert_after >= 1, "revert_after >= 1"),
            ("relax", 0.0 < self.relax <= 1.0, "0 < relax <= 1"),
        )
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(
                    f"MonitorConfig.{name}={getattr(self, name)!r} is out of range; "
                    f"allowed: {allowed}"
                    + (f" (threshold is {self.threshold!r})" if name == "release" else "")
                )

    @classmethod
    def from_dict(cls, obj: Mapping[str, float]) -> MonitorConfig:
        """Build a config from a mapping of field names (unknown names raise ``ValueError``)."""
        allowed = set(cls.__dataclass_fields__)
        unknown = set(obj) - allowed
        if unknown:
            raise ValueError(
                f"unknown monitor settings {sorted(unknown)}; allowed: {sorted(allowed)}"
            )
        return cls(**obj)

    def z(self, level: float) -> float:
        """Standard-normal quantile ``z_(1-level)`` (see :func:`normal_quantile`)."""
        return normal_quantile(1.0 - level)


class SlowdownFilter:
    """Scalar Kalman filter of one processor's slowdown factor (see the module docstring)."""

    __slots__ = ("x", "p")

    def __init__(self, *, x: float = 1.0, p: float = 1e-2) -> None:
        self.x = x
        self.p = p

    def update(self, z: float, *, q: float, noise: float) -> None:
        """Predict one random-walk step, then update with measurement ``z`` of variance ``noise``."""
        prior = self.p + q
        gain = prior / (prior + noise)
        self.x += gain * (z - self.x)
        self.p = (1.0 - gain) * prior

    def relax(self, *, rho: float, q: float) -> None:
        """Move the estimate back toward 1 for a step in which the processor was not observed."""
        self.x = 1.0 + rho * (self.x - 1.0)
        self.p = rho * rho * self.p + q

    def quantile(self, z: float, *, q: float, r: float) -> float:
        """Upper quantile ``x + z * sqrt(P + q + r)`` of the next ratio."""
        return self.x + z * math.sqrt(self.p + q + r)


def miss_probability(mean: float, variance: float, limit: float) -> float:
    """P(latency > limit) for a Gaussian latency with the given mean and variance."""
    if limit == math.inf:
        return 0.0
    if variance <= 0.0:
        return 1.0 if mean > limit else 0.0
    return 1.0 - _NORMAL.cdf((limit - mean) / math.sqrt(variance))
