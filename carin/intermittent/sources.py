"""Synthetic harvesting sources, to state results on stable and on fluctuating power apart.

Every source returns a :class:`~carin.intermittent.traces.Trace` (harvested power in W on a
uniform grid, default 50 Hz like REACT), so the simulator treats it like a real trace.
Each sample holds the mean power over its interval, so a switch inside a sample keeps the
energy exact.

* :func:`constant` -- ``power_w`` for ever: *stable* power.
* :func:`square_wave` -- ``high_w`` for ``duty * period_s``, then ``low_w`` for the rest
  of the period, from ``phase_s``: a regular on-off source (e.g. a machine that runs
  half the time).
* :func:`markov_onoff` -- a two-state source whose on and off spells last exponentially
  distributed times with means ``mean_on_s`` and ``mean_off_s`` (a continuous-time
  Markov chain), at ``on_w`` and ``off_w``. It starts in its stationary distribution and
  is a pure function of ``seed``: *fluctuating* power with irregular spells.

:func:`parse_source` reads the same from text, ``kind:key=value,...`` (powers in mW,
times in s), e.g. ``constant:power_mw=1``, ``square:high_mw=4,period_s=20,duty=0.5`` or
``markov:on_mw=5,mean_on_s=5,mean_off_s=10,seed=1``; ``duration_s`` (default 600) and
``dt_s`` (default 0.02) apply to every kind.
"""

from __future__ import annotations

import numpy as np

from carin.intermittent.traces import Trace, TraceError

__all__ = ["constant", "square_wave", "markov_onoff", "parse_source"]


def _grid(duration_s: float, dt: float) -> int:
    if not duration_s > 0 or not dt > 0:
        raise TraceError(f"source: duration_s and dt must be > 0, got {duration_s}, {dt}")
    return max(1, int(round(duration_s / dt)))


def _from_edges(edges: np.ndarray, levels: np.ndarray, n: int, dt: float) -> np.ndarray:
    """Mean power per sample of a piecewise-constant signal (``levels[i]`` on
    ``[edges[i], edges[i+1])``), exact in energy."""
    cum = np.concatenate([[0.0], np.cumsum(levels * np.diff(edges))])
    grid = np.arange(n + 1) * dt
    return np.diff(np.interp(grid, edges, cum)) / dt


def constant(
    power_w: float, duration_s: float, *, dt: float = 0.02, name: str | None = None
) -> Trace:
    """Constant harvested power ``power_w`` (W) for ``duration_s`` seconds."""
    if not power_w >= 0:
        raise TraceError(f"constant source: power_w must be >= 0, got {power_w}")
    n = _grid(duration_s, dt)
    return Trace(
        name=name or f"const-{power_w * 1e3:g}mW", power_w=np.full(n, float(power_w)), dt=dt
    )


def square_wave(
    high_w: float,
    period_s: float,
    duration_s: float,
    *,
    low_w: float = 0.0,
    duty: float = 0.5,
    phase_s: float = 0.0,
    dt: float = 0.02,
    name: str | None = None,
) -> Trace:
    """``high_w`` for ``duty * period_s`` of each period, ``low_w`` for the rest.

    Args:
        high_w: Power in the high part (W).
        period_s: Length of one high + low cycle (s).
        duration_s: Length of the trace (s).
        low_w: Power in the low part (W).
        duty: Share of each period at ``high_w``, in (0, 1].
        phase_s: The wave is shifted so that time 0 lies ``phase_s`` into a period.
        dt: Sample interval (s).
        name: Trace name (default ``square-<high>mW-<period>s-<duty>``).
    """
    if not high_w >= 0 or not low_w >= 0 or not period_s > 0 or not 0 < duty <= 1:
        raise TraceError(
            "square source: need high_w, low_w >= 0, period_s > 0 and duty in (0, 1], got "
            f"{high_w}, {low_w}, {period_s}, {duty}"
        )
    n = _grid(duration_s, dt)
    end = n * dt
    k0 = int(np.floor(phase_s / period_s))
    starts = (np.arange(k0, k0 + int(np.ceil(end / period_s)) + 2) * period_s) - phase_s
    edges = np.sort(np.concatenate([starts, starts + duty * period_s]))
    levels = np.tile([high_w, low_w], edges.size // 2)[: edges.size - 1]
    edges, levels = _clip(edges, levels, end)
    label = name or f"square-{high_w * 1e3:g}mW-{period_s:g}s-{duty:g}"
    return Trace(name=label, power_w=_from_edges(edges, levels, n, dt), dt=dt)


def _clip(edges: np.ndarray, levels: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Restrict a piecewise-constant signal to ``[0, end]``."""
    k = max(int(np.searchsorted(edges, 0.0, side="right")) - 1, 0)
    edges = edges[k:].copy()
    levels = levels[k:]
    edges[0] = 0.0
    j = int(np.searchsorted(edges, end, side="left"))
    edges = np.append(edges[:j], end)
    return edges, levels[: edges.size - 1]


def markov_onoff(
    on_w: float,
    mean_on_s: float,
    mean_off_s: float,
    duration_s: float,
    *,
    off_w: float = 0.0,
    seed: int = 0,
    dt: float = 0.02,
    name: str | None = None,
) -> Trace:
    """Two-state Markov source: exponential on and off spells at ``on_w`` and ``off_w``.

    Args:
        on_w: Power during on spells (W).
        mean_on_s: Mean length of an on spell (s).
        mean_off_s: Mean length of an off spell (s).
        duration_s: Length of the trace (s).
        off_w: Power during off spells (W).
        seed: Seed of the spell lengths (``numpy.random.default_rng``); the trace is a pure
            function of the arguments.
        dt: Sample interval (s).
        name: Trace name (default ``markov-<on>mW-<on>s-<off>s-s<seed>``).
    """
    if not on_w >= 0 or not off_w >= 0 or not mean_on_s > 0 or not mean_off_s > 0:
        raise TraceError(
            "markov source: need on_w, off_w >= 0 and mean_on_s, mean_off_s > 0, got "
            f"{on_w}, {off_w}, {mean_on_s}, {mean_off_s}"
        )
    n = _grid(duration_s, dt)
    end = n * dt
    rng = np.random.default_rng(seed)
    state = bool(rng.random() < mean_on_s / (mean_on_s + mean_off_s))
    edges = [0.0]
    levels = []
    t = 0.0
    while t < end:
        t += float(rng.exponential(mean_on_s if state else mean_off_s))
        edges.append(t)
        levels.append(on_w if state else off_w)
        state = not state
    e, lv = _clip(np.array(edges), np.array(levels, dtype=float), end)
    label = name or f"markov-{on_w * 1e3:g}mW-{mean_on_s:g}s-{mean_off_s:g}s-s{seed}"
    return Trace(name=label, power_w=_from_edges(e, lv, n, dt), dt=dt)


_KINDS = {
    "constant": ({"power_mw"}, set()),
    "square": ({"high_mw", "period_s"}, {"low_mw", "duty", "phase_s"}),
    "markov": ({"on_mw", "mean_on_s", "mean_off_s"}, {"off_mw", "seed"}),
}


def parse_source(text: str) -> Trace:
    """A synthetic source from text ``kind:key=value,...`` (see the module docstring).

    Raises:
        TraceError: Unknown kind or key, missing key, or a value that is not a number.
    """
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise TraceError(
            f"source {text!r}: unknown kind {kind!r}; allowed: " + ", ".join(sorted(_KINDS))
        )
    need, optional = _KINDS[kind]
    allowed = need | optional | {"duration_s", "dt_s"}
    vals: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or key not in allowed:
            raise TraceError(
                f"source {text!r}: {part!r} is not key=value with a key of "
                + ", ".join(sorted(allowed))
            )
        try:
            vals[key] = float(value)
        except ValueError:
            raise TraceError(f"source {text!r}: {key} must be a number, got {value!r}") from None
    missing = sorted(need - set(vals))
    if missing:
        raise TraceError(f"source {text!r}: missing {', '.join(missing)}")
    dur = vals.pop("duration_s", 600.0)
    dt = vals.pop("dt_s", 0.02)
    if kind == "constant":
        return constant(vals["power_mw"] * 1e-3, dur, dt=dt)
    if kind == "square":
        return square_wave(
            vals["high_mw"] * 1e-3,
            vals["period_s"],
            dur,
            low_w=vals.get("low_mw", 0.0) * 1e-3,
            duty=vals.get("duty", 0.5),
            phase_s=vals.get("phase_s", 0.0),
            dt=dt,
        )
    seed = vals.get("seed", 0.0)
    if seed != int(seed) or seed < 0:
        raise TraceError(f"source {text!r}: seed must be an integer >= 0")
    return markov_onoff(
        vals["on_mw"] * 1e-3,
        vals["mean_on_s"],
        vals["mean_off_s"],
        dur,
        off_w=vals.get("off_mw", 0.0) * 1e-3,
        seed=int(seed),
        dt=dt,
    )
