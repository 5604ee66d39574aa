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
    "CycleStats",
    "cycle_stats",
    "expected_energy",
    "expected_latency",
    "segment_cost",
    "LiveTimeTable",
    "live_time_table",
]


def _r(device: Device, p: np.ndarray) -> np.ndarray:
    headroom = device.max_energy_j - device.cycle_energy_j
    return np.maximum(-headroom, device.reboot_j - p * device.reboot_s)


def live_time(device: Device, p: np.ndarray | float, active_w: float | None = None) -> np.ndarray:
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


def work_budget(
    device: Device, p: np.ndarray | float, active_w: float, reserve_j: float = 0.0
) -> np.ndarray:
    """Energy the device can consume on work in one cycle at harvest ``p``; inf if ``p >= P``."""
    p = np.asarray(p, dtype=float)
    cap = device.cycle_energy_j - _r(device, p) - reserve_j
    with np.errstate(divide="ignore", invalid="ignore"):
        w = cap * active_w / (active_w - p)
    return np.where(p < active_w, np.where(cap > 0, w, 0.0), np.inf)


def _net_power(trace: Trace, device: Device) -> np.ndarray:
    return np.maximum(trace.power_w * device.harvester_efficiency - device.leakage_w, 0.0)


def _segments(atoms: Atoms) -> list[tuple[float, float, bool, float, float]]:
    """Group atoms into (energy, time, is_jit, reserve, restore) segments."""
    segs: list[tuple[float, float, bool, float, float]] = []
    w = d = 0.0
    for k in range(len(atoms)):
        if atoms.jit[k]:
            if w > 0:
                segs.append((w, d, False, 0.0, 0.0))
                w = d = 0.0
            segs.append(
                (
                    float(atoms.energy_j[k]),
                    float(atoms.time_s[k]),
                    True,
                    float(atoms.ckpt_j[k]),
                    float(atoms.restore_j[k]),
                )
            )
            continue
        w += float(atoms.energy_j[k])
        d += float(atoms.time_s[k])
        if atoms.commit[k]:
            segs.append((w, d, False, 0.0, 0.0))
            w = d = 0.0
    if w > 0:
        segs.append((w, d, False, 0.0, 0.0))
    return segs


@dataclass(frozen=True, kw_only=True)
class CycleStats:
    """Power-cycle statistics of a busy device on a trace (the MII live-time view).

    Attributes:
        budget_j: Work energy each power cycle delivered after its reboot (one per cycle).
        power_w: Mean harvested power during each cycle's on-time.
        on_s, off_s: On-time and the preceding off-time (recharge) of each cycle.
        consume_w: Mean rate at which the busy device consumed energy (work and reboots).
        active_w: Power of the busy device's work.
        reboot_j: Reboot energy charged to each failure.
    """

    budget_j: np.ndarray
    power_w: np.ndarray
    on_s: np.ndarray
    off_s: np.ndarray
    consume_w: float
    active_w: float
    reboot_j: float

    def band(self, lo_w: float, hi_w: float) -> CycleStats:
        """The cycles whose on-time power lies in ``[lo_w, hi_w)`` (falls back to all)."""
        m = (self.power_w >= lo_w) & (self.power_w < hi_w)
        if m.sum() < 3:
            return self
        b = self.budget_j[m]
        # rate inside the band: its cycles' work plus reboots over their on and off time
        span = float((self.on_s[m] + self.off_s[m]).sum())
        rate = float((b.sum() + self.reboot_j * b.size) / span) if span > 0 else self.consume_w
        return CycleStats(
            budget_j=b,
            power_w=self.power_w[m],
            on_s=self.on_s[m],
            off_s=self.off_s[m],
            consume_w=rate,
            active_w=self.active_w,
            reboot_j=self.reboot_j,
        )


def _busy_atoms(active_w: float, n: int = 4096, step: float = 1e-3) -> Atoms:
    z = np.zeros(n)
    return Atoms(
        energy_j=np.full(n, active_w * step),
        time_s=np.full(n, step),
        nvm_bytes=z,
        commit=np.ones(n, bool),
        jit=np.zeros(n, bool),
        ckpt_j=z,
        ckpt_s=z,
        ckpt_bytes=z,
        restore_j=z,
        restore_s=z,
        layer=np.zeros(n, int),
    )


def cycle_stats(trace: Trace, device: Device, *, active_w: float | None = None) -> CycleStats:
    """Run a busy device over the trace and record each power cycle's work budget.

    The busy device executes back-to-back work at ``active_w`` (default: the device's
    typical active power) with commits every millisecond, so every power cycle runs until
    brown-out; its on-time minus the reboot, times ``active_w``, is the cycle's budget.
    """
    big_p = device.active_w if active_w is None else float(active_w)
    sim = Simulator(trace=trace, device=device)
    sim.log = []
    res = sim.run(_busy_atoms(big_p), period=None, deadline=float("inf"))
    log = np.array(sim.log, dtype=float).reshape(-1, 3)
    on = log[log[:, 0] == 1]
    off = log[log[:, 0] == 0]
    n = min(len(on), len(off))
    on, off = on[:n], off[:n]
    on_s = on[:, 2] - on[:, 1]
    keep = on_s > 0
    on, off, on_s = on[keep], off[keep], on_s[keep]
    budget = np.maximum(on_s - device.reboot_s, 0.0) * big_p
    h = np.concatenate([[0.0], np.cumsum(_net_power(trace, device) * trace.dt)])
    grid = np.arange(h.size) * trace.dt
    with np.errstate(invalid="ignore", divide="ignore"):
        pw = (np.interp(on[:, 2], grid, h) - np.interp(on[:, 1], grid, h)) / on_s
    consumed = float(res.energy_j.sum())
    rate = consumed / max(res.sim_time_s, trace.dt)
    return CycleStats(
        budget_j=budget,
        power_w=pw,
        on_s=on_s,
        off_s=off[:, 2] - off[:, 1],
        consume_w=rate,
        active_w=big_p,
        reboot_j=device.reboot_j,
    )


def segment_cost(
    stats: CycleStats, w: float, jit: bool = False, reserve: float = 0.0, restore: float = 0.0
) -> float:
    """Expected energy (J) of one segment over the trace's power cycles (inf: never ends).

    A plain segment of energy ``w`` starts at a uniformly random point of the work stream,
    so it lands in cycle ``i`` with probability ``W_i / sum W`` and fails when less than
    ``w`` is left there: probability ``min(w, W_i) / W_i``, wasting ``min(w, W_i) / 2`` on
    average plus a reboot. A failed segment restarts at the start of a fresh cycle, which
    is long enough with probability ``q`` (share of cycles with ``W >= w``); each short
    cycle wastes its budget and a reboot. A ``J`` segment loses nothing: each cycle
    advances it by ``W_i - reserve - restore`` and costs ``reserve + restore`` plus a
    reboot.
    """
    b = stats.budget_j
    if w <= 0:
        return 0.0
    if b.size == 0:
        return float("inf")
    e_rb = stats.reboot_j
    if jit:
        prog = b - reserve - restore
        useful = np.maximum(prog, 0.0)
        mean_prog = float(useful.mean())
        if mean_prog <= 0:
            return float("inf")
        n_cycles = w / mean_prog
        wasted = float(np.where(prog > 0, reserve + restore, b).mean())
        return w + n_cycles * (wasted + e_rb)
    m = np.minimum(b, w)
    total = float(b.sum())
    p_fail = float(m.sum()) / total
    waste1 = float((m * m).sum()) / (2.0 * total)
    fits = b >= w
    q = float(fits.mean())
    if p_fail <= 0:
        return w
    if q <= 0:
        return float("inf")
    short = b[~fits]
    retry = ((1.0 - q) / q) * ((float(short.mean()) if short.size else 0.0) + e_rb)
    return w + waste1 + p_fail * (e_rb + retry)


def expected_energy(atoms: Atoms, stats: CycleStats) -> float:
    """Expected energy (J) one job of the compiled plan consumes, failures included."""
    return float(
        sum(segment_cost(stats, w, jit, res, rho) for w, _d, jit, res, rho in _segments(atoms))
    )


def expected_latency(atoms: Atoms, stats: CycleStats) -> float:
    """Expected completion time (s) of back-to-back jobs of the compiled plan.

    The device turns harvest into consumption at the rate a busy device achieves on the
    trace (``stats.consume_w``), so a job needing ``E`` joules in expectation takes
    ``E / consume_w``.
    """
    e = expected_energy(atoms, stats)
    if not np.isfinite(e) or stats.consume_w <= 0:
        return float("inf")
    return e / stats.consume_w


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
    busy = _busy_atoms(device.active_w)
    sim = Simulator(trace=trace, device=device)
    sim.log = []
    sim.run(busy, period=None, deadline=float("inf"))
    log = np.array(sim.log, dtype=float).reshape(-1, 3)
    kind, a, b = log[:, 0], log[:, 1], log[:, 2]
    ok = b > a
    kind, a, b = kind[ok], a[ok], b[ok]
    p_all = _net_power(trace, device)
    h = np.concatenate([[0.0], np.cumsum(p_all * trace.dt)])
    grid = np.arange(h.size) * trace.dt
    mean_p = (np.interp(b, grid, h) - np.interp(a, grid, h)) / (b - a)
    edges = (
        np.quantile(p_all[p_all > 0], np.linspace(0, 1, bins + 1))
        if np.any(p_all > 0)
        else np.linspace(0, 1e-3, bins + 1)
    )
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
    return LiveTimeTable(
        power_w=centre,
        on_s=on_s,
        off_s=off_s,
        on_count=on_c,
        off_count=off_c,
        model_on_s=live_time(device, centre),
        model_off_s=shutdown_time(device, centre),
    )
