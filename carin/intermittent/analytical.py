"""Live-time and shutdown-time functions and the analytical expected-cost model.

Notation (SI units): ``E_c = C (v_on^2 - v_off^2) / 2`` is the energy of one power cycle,
``p`` the net harvested power, ``P`` the device's active power, ``E_rb``/``t_rb`` the
reboot energy and time.

* **Live time** (on-time of one power cycle at constant harvest ``p < P``):
  ``L(p) = t_rb + (E_c - r(p)) / (P - p)`` with the reboot's net drain
  ``r(p) = max(-(E_max - E_c), E_rb - p t_rb)`` (negative when the harvest during the
  reboot charges the capacitor above ``v_on``, up to ``E_max`` at ``v_max``); infinite when ``p >= P``.
* **Shutdown time** (recharge from ``v_off`` to ``v_on``): ``S(p) = E_c / p``.
* **Work budget** of a cycle, in energy the device consumes (harvest while on included):
  ``W(p) = (E_c - r(p)) P / (P - p)``.

Expected energy of a plan: the compiled atoms are grouped into *segments* (runs of atoms
between commits). The position of a segment inside a power cycle is taken as uniform
(a renewal argument), so a segment of energy ``w <= W`` fails with probability ``w / W``
and then wastes ``w / 2`` on average before it is re-run from a fresh cycle:
``c(w) = w + w^2 / (2 W)``. Each ``W`` of consumed work costs one reboot, so a segment
costs ``c(w) (1 + E_rb / W)``; a segment with ``w > W`` never completes (infinite cost).
A ``J`` atom loses nothing: with the reserve ``k`` (its checkpoint energy) and restore
``rho``, it needs ``n = w / (W_k - rho)`` cycles, ``W_k = (E_c - r(p) - k) P / (P - p)``,
and costs ``w + n (k + rho + E_rb)``. The expectation over the trace weights each power
level by the share of harvested energy collected at it (work happens where energy comes).

Expected completion time: with job energy ``E``, a job that starts at ``s`` ends when the
harvest usable by the device, ``min(p(t), P)`` integrated from ``s``, reaches ``E``
(first passage, ``np.searchsorted`` on the cumulative sum); averaging over start times
gives the expected latency and the share of starts that finish within a deadline gives
an analytical success estimate. Because the completion time grows with ``E`` for every
start time, the plan with the least expected energy also has the least expected
completion time; the CM search minimises expected energy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carin.intermittent.cm import Atoms
from carin.intermittent.device import Device
from carin.intermittent.simulator import Simulator
from carin.intermittent.traces import Trace

__all__ = [
    "live_time",
    "shutdown_time",
    "work_budget",
    "PowerLevels",
    "power_levels",
    "expected_energy",
    "expected_latency",
    "throughput_latency",
    "segment_cost",
    "LiveTimeTable",
    "live_time_table",
]


def _r(device: Device, p: np.ndarray) -> np.ndarray:
    headroom = device.max_energy_j - device.cycle_energy_j
    return np.maximum(-headroom, device.reboot_j - p * device.reboot_s)


def live_time(device: Device, p: np.ndarray | float, active_w: float | None = None
              ) -> np.ndarray:
    """On-time of one power cycle at constant net harvest ``p`` (W); inf when ``p >= P``."""
    p = np.asarray(p, dtype=float)
    big_p = device.active_w if active_w is None else active_w
    with np.errstate(divide="ignore"):
        out = device.reboot_s + (device.cycle_energy_j - _r(device, p)) / (big_p - p)
    return np.where(p < big_p, out, np.inf)


def shutdown_time(device: Device, p: np.ndarray | float) -> np.ndarray:
    """Recharge time from ``v_off`` to ``v_on`` at constant net harvest ``p`` (W)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(p > 0, device.cycle_energy_j / np.where(p > 0, p, 1.0), np.inf)


def work_budget(device: Device, p: np.ndarray | float, active_w: float, reserve_j: float = 0.0
                ) -> np.ndarray:
    """Energy the device can consume on work in one cycle at harvest ``p``; inf if ``p >= P``."""
    p = np.asarray(p, dtype=float)
    cap = device.cycle_energy_j - _r(device, p) - reserve_j
    with np.errstate(divide="ignore", invalid="ignore"):
        w = cap * active_w / (active_w - p)
    return np.where(p < active_w, np.where(cap > 0, w, 0.0), np.inf)


@dataclass(frozen=True, kw_only=True)
class PowerLevels:
    """A trace summarised as power levels for the analytical model.

    Attributes:
        power_w: Representative net harvested power of each level.
        energy_weight: Share of harvested energy collected at each level (sums to 1).
        time_weight: Share of time spent at each level (sums to 1).
        edges_w: Level boundaries (``len(power_w) + 1``).
    """

    power_w: np.ndarray
    energy_weight: np.ndarray
    time_weight: np.ndarray
    edges_w: np.ndarray


def _net_power(trace: Trace, device: Device) -> np.ndarray:
    return np.maximum(trace.power_w * device.harvester_efficiency - device.leakage_w, 0.0)


def power_levels(trace: Trace, device: Device, *, levels: int = 12,
                 band: tuple[float, float] | None = None) -> PowerLevels:
    """Split a trace's net harvested power into levels holding equal shares of energy.

    Args:
        trace: The trace.
        device: Harvester efficiency and leakage.
        levels: Number of levels.
        band: Keep only samples with ``lo <= p < hi`` (W) (a run-time power band).
    """
    p = _net_power(trace, device)
    if band is not None:
        lo, hi = band
        p = p[(p >= lo) & (p < hi)]
    p = np.sort(p[p > 0])
    if p.size == 0:
        z = np.zeros(1)
        return PowerLevels(power_w=z, energy_weight=np.ones(1), time_weight=np.ones(1),
                           edges_w=np.zeros(2))
    cum = np.cumsum(p)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, levels) / levels)
    groups = [g for g in np.split(p, np.unique(cuts)) if g.size]
    pw = np.array([float((g * g).sum() / g.sum()) for g in groups])  # energy-weighted mean
    ew = np.array([float(g.sum()) for g in groups]) / cum[-1]
    tw = np.array([g.size for g in groups], dtype=float) / p.size
    edges = np.array([groups[0][0]] + [float(g[-1]) for g in groups])
    return PowerLevels(power_w=pw, energy_weight=ew, time_weight=tw, edges_w=edges)


def _segments(atoms: Atoms) -> list[tuple[float, float, bool, float, float]]:
    """Group atoms into (energy, time, is_jit, reserve, restore) segments."""
    segs: list[tuple[float, float, bool, float, float]] = []
    w = d = 0.0
    for k in range(len(atoms)):
        if atoms.jit[k]:
            if w > 0:
                segs.append((w, d, False, 0.0, 0.0))
                w = d = 0.0
            segs.append((float(atoms.energy_j[k]), float(atoms.time_s[k]), True,
                         float(atoms.ckpt_j[k]), float(atoms.restore_j[k])))
            continue
        w += float(atoms.energy_j[k])
        d += float(atoms.time_s[k])
        if atoms.commit[k]:
            segs.append((w, d, False, 0.0, 0.0))
            w = d = 0.0
    if w > 0:
        segs.append((w, d, False, 0.0, 0.0))
    return segs


def segment_cost(device: Device, levels: PowerLevels, w: float, d: float, jit: bool = False,
                 reserve: float = 0.0, restore: float = 0.0) -> float:
    """Expected energy (J) of one segment under the power levels (inf if it cannot finish).

    At levels where the segment fits in a cycle its cost is the closed form above. At
    levels where it does not fit, every cycle is wasted; the segment then succeeds once
    the energy arrives at a level where it fits, with probability ``q`` (the energy share
    of those levels) per cycle, so the expected cost is
    ``(sum_fit w_b c_b + sum_nofit w_b (W_b + E_rb)) / q``.
    """
    if w <= 0:
        return 0.0
    big_p = w / d if d > 0 else device.active_w
    p = levels.power_w
    e_rb = device.reboot_j
    with np.errstate(divide="ignore", invalid="ignore"):
        if not jit:
            budget = work_budget(device, p, big_p)
            c = w + w * w / (2.0 * budget)
            cost = np.where(np.isfinite(budget), c * (1.0 + e_rb / budget), w)
            fits = w <= budget
        else:
            budget = work_budget(device, p, big_p, reserve)
            progress = budget - restore
            cost = np.where(np.isfinite(budget),
                            w + w / progress * (reserve + restore + e_rb), w)
            fits = progress > 0
        waste = np.where(np.isfinite(budget), np.maximum(budget, 0.0) + e_rb, 0.0)
    q = float(np.sum(levels.energy_weight[fits]))
    if q <= 0:
        return float("inf")
    num = float(np.sum(levels.energy_weight[fits] * cost[fits]))
    num += float(np.sum(levels.energy_weight[~fits] * waste[~fits]))
    return num / q


def expected_energy(atoms: Atoms, device: Device, levels: PowerLevels) -> float:
    """Expected energy (J) one job of the compiled plan consumes under the power levels."""
    return float(sum(segment_cost(device, levels, w, d, jit, res, rho)
                     for w, d, jit, res, rho in _segments(atoms)))


def throughput_latency(trace: Trace, device: Device, energy_j: float, *,
                       active_w: float | None = None) -> float:
    """Mean completion time (s) of back-to-back jobs needing ``energy_j`` each.

    Jobs run one after another, so the device turns the usable harvest
    ``min(p, P)`` of the whole trace into jobs: ``E / mean(min(p, P))``.
    """
    if not np.isfinite(energy_j):
        return float("inf")
    big_p = device.active_w if active_w is None else active_w
    p = float(np.minimum(_net_power(trace, device), big_p).mean())
    return energy_j / p if p > 0 else float("inf")


def expected_latency(trace: Trace, device: Device, energy_j: float, *,
                     active_w: float | None = None, deadline: float | None = None,
                     starts: int = 2000) -> tuple[float, float]:
    """Expected completion time (s) of a job needing ``energy_j`` released at a random
    time, and the probability that it finishes within ``deadline``.

    Start times are spread evenly over the trace, which is treated as periodic.
    """
    if not np.isfinite(energy_j):
        return float("inf"), 0.0
    big_p = device.active_w if active_w is None else active_w
    p = np.minimum(_net_power(trace, device), big_p)
    per = float(p.sum() * trace.dt)
    if per <= 0:
        return float("inf"), 0.0
    reps = int(np.ceil(energy_j / per)) + 2
    h = np.concatenate([[0.0], np.cumsum(np.tile(p, reps) * trace.dt)])
    grid = np.arange(h.size) * trace.dt
    s = np.linspace(0.0, trace.duration, starts, endpoint=False)
    target = np.interp(s, grid, h) + energy_j
    idx = np.clip(np.searchsorted(h, target, side="left"), 1, h.size - 1)
    pp = np.append(np.tile(p, reps), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = grid[idx - 1] + (target - h[idx - 1]) / pp[idx - 1]
    tau = tt - s
    succ = float(np.mean(tau <= deadline)) if deadline is not None else float("nan")
    return float(tau.mean()), succ


@dataclass(frozen=True, kw_only=True)
class LiveTimeTable:
    """Measured on- and off-times of a busy device over a trace, by harvested power.

    Attributes:
        power_w: Bin centres (mean net power within the bin's intervals).
        on_s: Mean on-time of the power cycles whose mean power falls in the bin (NaN if none).
        off_s: Mean off-time of the recharges whose mean power falls in the bin.
        on_count, off_count: Number of intervals per bin.
        model_on_s, model_off_s: The closed-form live and shutdown times at ``power_w``.
    """

    power_w: np.ndarray
    on_s: np.ndarray
    off_s: np.ndarray
    on_count: np.ndarray
    off_count: np.ndarray
    model_on_s: np.ndarray
    model_off_s: np.ndarray


def live_time_table(trace: Trace, device: Device, *, bins: int = 8) -> LiveTimeTable:
    """Run a busy device over the trace and tabulate on/off times against harvested power.

    The busy device executes back-to-back work at its active power with fine commits,
    so every power cycle runs until brown-out.
    """
    big_p = device.active_w
    step = 1e-3
    n = 4096
    from carin.intermittent.cm import Atoms as _A

    z = np.zeros(n)
    busy = _A(energy_j=np.full(n, big_p * step), time_s=np.full(n, step), nvm_bytes=z,
              commit=np.ones(n, bool), jit=np.zeros(n, bool), ckpt_j=z, ckpt_s=z,
              ckpt_bytes=z, restore_j=z, restore_s=z, layer=np.zeros(n, int))
    sim = Simulator(trace=trace, device=device)
    sim.log = []
    sim.run(busy, period=None, deadline=float("inf"))
    log = np.array(sim.log, dtype=float).reshape(-1, 3)
    h = sim._h
    kind, a, b = log[:, 0], log[:, 1], log[:, 2]
    ok = b > a
    kind, a, b = kind[ok], a[ok], b[ok]
    mean_p = (h(b) - h(a)) / (b - a)
    p_all = _net_power(trace, device)
    edges = np.quantile(p_all[p_all > 0], np.linspace(0, 1, bins + 1)) if np.any(p_all > 0) \
        else np.linspace(0, 1e-3, bins + 1)
    edges = np.unique(edges)
    which = np.clip(np.searchsorted(edges, mean_p, side="right") - 1, 0, edges.size - 2)
    nb = edges.size - 1
    on_s = np.full(nb, np.nan)
    off_s = np.full(nb, np.nan)
    on_c = np.zeros(nb, int)
    off_c = np.zeros(nb, int)
    centre = np.full(nb, np.nan)
    for k in range(nb):
        m_on = (which == k) & (kind == 1)
        m_off = (which == k) & (kind == 0)
        on_c[k], off_c[k] = int(m_on.sum()), int(m_off.sum())
        if on_c[k]:
            on_s[k] = float((b - a)[m_on].mean())
        if off_c[k]:
            off_s[k] = float((b - a)[m_off].mean())
        sel = which == k
        centre[k] = float(mean_p[sel].mean()) if sel.any() else 0.5 * (edges[k] + edges[k + 1])
    return LiveTimeTable(power_w=centre, on_s=on_s, off_s=off_s, on_count=on_c,
                         off_count=off_c, model_on_s=live_time(device, centre),
                         model_off_s=shutdown_time(device, centre))
