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
``L(x)`` and variance ``sum_p g_p**2 * (P_p + q + r)``; the probability of
missing the latency limit ``T`` is ``1 - Phi((T - L(x)) / sd)``. The
per-processor upper quantile at miss level ``a`` is
``x_p + z_(1-a) * sqrt(P_p + q + r)``: a single-part design misses with
probability above ``a`` exactly when it is infeasible under that slowdown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["MonitorConfig", "SlowdownFilter", "miss_probability"]

_NORMAL = NormalDist()


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
            ("q", self.q >= 0.0),
            ("r", self.r > 0.0),
            ("p0", self.p0 >= 0.0),
            ("threshold", 0.0 < self.threshold < 0.5),
            ("release", 0.0 < self.release <= self.threshold),
            ("revert_after", self.revert_after >= 1),
            ("relax", 0.0 < self.relax <= 1.0),
        )
        for name, ok in checks:
            if not ok:
                raise ValueError(f"MonitorConfig.{name}={getattr(self, name)!r} is out of range")

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
        """Standard-normal quantile ``z_(1-level)``."""
        return _NORMAL.inv_cdf(1.0 - level)


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
