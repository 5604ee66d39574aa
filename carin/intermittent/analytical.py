"""Live-time and shutdown-time functions and the analytical expected-cost models.

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

On a real trace the harvest is not constant, so :func:`cycle_stats` measures the power
cycles themselves: a busy device (always working at the plan's mean power) is run over
the trace and each cycle's work budget ``W_i``, stored energy after the reboot
``S_i = E_c - r(p_i)``, on-time and preceding off-time are recorded. Two models are built
on that sequence of cycles:

**Additive segment model** (what the CM search minimises). The compiled atoms are grouped
into *segments* (runs of atoms between commits). A plain segment of energy ``w`` that
fails is re-run from the start of a fresh cycle, and after a failure the work restarts at
a cycle's start, so a cycle of budget ``W_i`` completes ``floor(W_i / w)`` copies of it
and wastes the rest plus a reboot. Charging every segment as if the cycles were packed
with copies of it gives

    c(w) = sum_i (W_i + E_rb) / sum_i floor(W_i / w),

infinite when no cycle holds ``w``. A ``J`` segment keeps its progress: a cycle that ends
inside it loses its checkpoint reserve ``k`` and the restore ``rho`` (in work terms
``(k + rho) W_i / S_i`` under a linear drain), so it advances by
``a_i = max(W_i (1 - (k + rho) / S_i), 0)`` and ``c_J(w) = w sum_i (W_i + E_rb) / sum_i a_i``.
The sum over segments is additive, so the DP over layer blocks is exact for it. It is
optimistic for plans whose segments are as large as typical cycles (a cycle's budget is
counted once for every segment it could hold) and pessimistic for small ``J`` segments.

**Cycle replay** (the expected-time model): the plan's segments are laid over the measured
cycle sequence in order, back-to-back jobs, as the physics dictates at cycle granularity:
each cycle starts with the segment in progress, completes every segment that fits in its
budget, loses the one that does not (a ``J`` segment keeps what it did above its reserve
and pays its restore next cycle). The expected completion time is the traced time over
the jobs completed, the expected energy the consumed budgets and reboots over the same.
Every completion time is a function of the cycles only (no event simulation of the
trace), ``O(cycles + jobs x segments)``. :func:`predict` measures the cycles for the
plan's own power profile (cycle length near break-even depends on which layers run) and
refines that profile once by the work each segment loses (re-run segments take a larger
share of the device's time than in a failure-free run).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, replace

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
    "Replay",
    "replay",
    "predict",
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


def _grouped(atoms: Atoms) -> tuple[list[tuple[float, float, bool, float, float]], np.ndarray]:
    """Group atoms into (energy, time, is_jit, reserve, restore) segments, and say which
    segment each atom belongs to."""
    segs: list[tuple[float, float, bool, float, float]] = []
    index = np.empty(len(atoms), dtype=int)
    w = d = 0.0
    for k in range(len(atoms)):
        if atoms.jit[k]:
            if w > 0:
                segs.append((w, d, False, 0.0, 0.0))
                w = d = 0.0
            index[k] = len(segs)
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
        index[k] = len(segs)
        w += float(atoms.energy_j[k])
        d += float(atoms.time_s[k])
        if atoms.commit[k]:
            segs.append((w, d, False, 0.0, 0.0))
            w = d = 0.0
    if w > 0:
        segs.append((w, d, False, 0.0, 0.0))
    return segs, index


def _segments(atoms: Atoms) -> list[tuple[float, float, bool, float, float]]:
    """Group atoms into (energy, time, is_jit, reserve, restore) segments."""
    return _grouped(atoms)[0]


@dataclass(frozen=True, kw_only=True)
class CycleStats:
    """Power-cycle statistics of a busy device on a trace (the MII live-time view).

    Attributes:
        budget_j: Work energy each power cycle delivered after its reboot (one per cycle,
            in trace order).
        store_j: Energy stored in the capacitor when each cycle's work began
            (``E_c - r(p_i)``), the scale of a ``J`` reserve within the cycle.
        power_w: Mean harvested power during each cycle's on-time.
        on_s, off_s: On-time and the preceding off-time (recharge) of each cycle.
        active_w: Power of the busy device's work.
        reboot_j: Reboot energy charged to each failure.
    """

    budget_j: np.ndarray
    store_j: np.ndarray
    power_w: np.ndarray
    on_s: np.ndarray
    off_s: np.ndarray
    active_w: float
    reboot_j: float

    def for_period(self, period_s: float, job_j: float) -> CycleStats:
        """The cycles as periodic jobs see them: each budget capped at the jobs it can serve.

        With a job released every ``period_s`` seconds, a power cycle spanning ``k`` release
        periods (on-time plus the recharge before it) serves at most ``k`` jobs; its budget
        beyond ``k * job_j`` would be idle time, not work. Without the cap, hour-long cycles
        of a sunny day dominate the additive model's sums and every segment looks free.

        Args:
            period_s: Release period in seconds.
            job_j: Energy of one job (e.g. the largest failure-free job energy of the plans
                compared).
        """
        if not period_s > 0 or not job_j > 0:
            raise ValueError(f"for_period: period_s and job_j must be > 0, got {period_s}, {job_j}")
        serves = np.maximum(np.ceil((self.on_s + self.off_s) / period_s), 1.0)
        return replace(self, budget_j=np.minimum(self.budget_j, serves * job_j))

    def band(self, lo_w: float, hi_w: float) -> CycleStats:
        """The cycles whose on-time power lies in ``[lo_w, hi_w)`` (falls back to all)."""
        m = (self.power_w >= lo_w) & (self.power_w < hi_w)
        if m.sum() < 3:
            return self
        return replace(
            self,
            budget_j=self.budget_j[m],
            store_j=self.store_j[m],
            power_w=self.power_w[m],
            on_s=self.on_s[m],
            off_s=self.off_s[m],
        )


def _work_atoms(energy_j: np.ndarray, time_s: np.ndarray) -> Atoms:
    """Plain work that commits after every atom (what a busy device runs)."""
    n = energy_j.size
    z = np.zeros(n)
    return Atoms(
        energy_j=energy_j,
        time_s=time_s,
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


def _busy_atoms(active_w: float, n: int = 4096, step: float = 1e-3) -> Atoms:
    return _work_atoms(np.full(n, active_w * step), np.full(n, step))


def _profile_atoms(atoms: Atoms, step: float = 1e-3, min_s: float = 4.0) -> Atoms:
    """The plan's power over time in ``step`` pieces, repeated to at least ``min_s``."""
    t_end = float(atoms.time_s.sum())
    n = max(1, int(np.ceil(t_end / step)))
    ce = np.concatenate([[0.0], np.cumsum(atoms.energy_j)])
    ct = np.concatenate([[0.0], np.cumsum(atoms.time_s)])
    grid = np.minimum(np.arange(n + 1) * step, t_end)
    e = np.diff(np.interp(grid, ct, ce))
    dt = np.diff(grid)
    keep = dt > 0
    reps = max(1, int(np.ceil(min_s / max(t_end, 1e-12))))
    return _work_atoms(np.tile(e[keep], reps), np.tile(dt[keep], reps))


def cycle_stats(
    trace: Trace,
    device: Device,
    *,
    active_w: float | None = None,
    profile: Atoms | None = None,
) -> CycleStats:
    """Run a busy device over the trace and record each power cycle's work budget.

    The busy device executes back-to-back work at ``active_w`` (default: the device's
    typical active power) with commits every millisecond, so every power cycle runs until
    brown-out; its on-time minus the reboot, times ``active_w``, is the cycle's budget.
    On-periods are measured from boot to brown-out, across job boundaries.

    With ``profile`` (a compiled plan), the busy device instead follows that plan's power
    over time, repeated back to back with commits every millisecond: the cycles are then
    those of the plan's own power profile (how long a cycle lasts when harvest and
    consumption are close depends on it), and each budget is the energy that profile
    consumes during the cycle's work time.
    """
    if profile is not None:
        busy = _profile_atoms(profile)
    else:
        busy = _busy_atoms(device.active_w if active_w is None else float(active_w))
    big_p = float(busy.energy_j.sum() / busy.time_s.sum())
    sim = Simulator(trace=trace, device=device)
    sim.log = []
    sim.run(busy, period=None, deadline=float("inf"))
    log = np.array(sim.log, dtype=float).reshape(-1, 3)
    on = log[log[:, 0] == 1]
    off = log[log[:, 0] == 0]
    n = min(len(on), len(off))
    on, off = on[:n], off[:n]
    on_s = on[:, 2] - on[:, 1]
    keep = on_s > 0
    on, off, on_s = on[keep], off[keep], on_s[keep]
    # the energy the repeated busy program consumes over each cycle's stretch of work time
    ct = np.concatenate([[0.0], np.cumsum(busy.time_s)])
    ce = np.concatenate([[0.0], np.cumsum(busy.energy_j)])
    tau = np.concatenate([[0.0], np.cumsum(np.maximum(on_s - device.reboot_s, 0.0))])
    q, r = np.divmod(tau, ct[-1])
    budget = np.diff(q * ce[-1] + np.interp(r, ct, ce))
    h = np.concatenate([[0.0], np.cumsum(_net_power(trace, device) * trace.dt)])
    grid = np.arange(h.size) * trace.dt
    with np.errstate(invalid="ignore", divide="ignore"):
        pw = (np.interp(on[:, 2], grid, h) - np.interp(on[:, 1], grid, h)) / on_s
    store = np.maximum(device.cycle_energy_j - _r(device, np.nan_to_num(pw)), 1e-12)
    return CycleStats(
        budget_j=budget,
        store_j=store,
        power_w=pw,
        on_s=on_s,
        off_s=off[:, 2] - off[:, 1],
        active_w=big_p,
        reboot_j=device.reboot_j,
    )


def _jit_advance(stats: CycleStats, reserve: float, restore: float) -> np.ndarray:
    """Work a ``J`` segment does in each cycle that ends inside it (linear drain)."""
    b = stats.budget_j
    return np.maximum(b * (1.0 - (reserve + restore) / stats.store_j), 0.0)


def segment_cost(
    stats: CycleStats, w: float, jit: bool = False, reserve: float = 0.0, restore: float = 0.0
) -> float:
    """Expected energy (J) of one segment under the additive model (inf: never ends).

    Plain segment: ``sum_i (W_i + E_rb) / sum_i floor(W_i / w)`` (cycles packed with
    copies of it, each failure re-running it from a cycle's start). ``J`` segment:
    ``w sum_i (W_i + E_rb) / sum_i a_i`` with ``a_i`` the work a cycle does above the
    reserve after the restore. See the module docstring.
    """
    b = stats.budget_j
    if w <= 0:
        return 0.0
    if b.size == 0:
        return float("inf")
    spent = float(b.sum()) + stats.reboot_j * b.size
    if jit:
        adv = float(_jit_advance(stats, reserve, restore).sum())
        return w * spent / adv if adv > 0 else float("inf")
    fits = float(np.floor(b / w).sum())
    return spent / fits if fits > 0 else float("inf")


def expected_energy(atoms: Atoms, stats: CycleStats) -> float:
    """Expected energy (J) of one job of the compiled plan under the additive model."""
    return float(
        sum(segment_cost(stats, w, jit, res, rho) for w, _d, jit, res, rho in _segments(atoms))
    )


@dataclass(frozen=True, kw_only=True)
class Replay:
    """Back-to-back jobs of a plan laid over a trace's measured power cycles.

    Attributes:
        jobs: Jobs completed over the cycle sequence.
        energy_j: Expected energy per job (budgets and reboots of the cycles up to the
            last completion, over ``jobs``).
        latency_s: Expected completion time per job (time of the last completion over
            ``jobs``).
        lost_j: Per segment, the work lost in it per job (what failures threw away).
    """

    jobs: int
    energy_j: float
    latency_s: float
    lost_j: tuple[float, ...] = ()


_WHOLE_JOBS = True  # count whole jobs of a long cycle at once (off: one by one, for tests)


def replay(atoms: Atoms, stats: CycleStats) -> Replay:
    """Lay back-to-back jobs of the compiled plan over the measured power cycles.

    Each cycle begins with the segment in progress (after the restore if a ``J``
    checkpoint is pending), completes every segment that fits in the cycle's remaining
    budget and loses the rest of the one that does not; a ``J`` segment keeps what it did
    while the level stayed above its reserve (``reserve W_i / S_i`` of work).
    """
    segs = _segments(atoms)
    m = len(segs)
    w_l = [x[0] for x in segs]
    res_l = [x[3] for x in segs]
    rho_l = [x[4] for x in segs]
    cum = np.concatenate([[0.0], np.cumsum(w_l)]).tolist()
    total = cum[-1]
    j_idx = [k for k in range(m) if segs[k][2]]
    nxt = [m] * (m + 1)  # the next J segment at or after each position (m: none)
    for q in range(m - 1, -1, -1):
        nxt[q] = q if segs[q][2] else nxt[q + 1]
    budgets = stats.budget_j.tolist()
    scale = (stats.budget_j / stats.store_j).tolist()  # work per stored joule
    starts = (np.cumsum(stats.off_s + stats.on_s) - stats.on_s).tolist()
    on_l = stats.on_s.tolist()
    jobs, last, t_done = 0, -1, 0.0
    pos, prog, pending = 0, 0.0, 0.0
    lost = [0.0] * (m + 1)
    for i, budget in enumerate(budgets):
        g = scale[i]
        rem = budget
        if pending:
            rem -= pending * g
            if rem <= 0:
                continue
            pending = 0.0
        before = jobs
        # a whole job from its start needs `total`, and at each J segment its reserve on top
        need_job = max(total, max((cum[k + 1] + res_l[k] * g for k in j_idx), default=0.0))
        while True:
            if pos == 0 and prog == 0.0 and rem >= need_job and _WHOLE_JOBS:
                full = int((rem - need_job) // total) + 1
                jobs += full
                rem -= full * total
            stop = nxt[pos]  # plain segments pos .. stop-1, then J segment `stop`
            reach = cum[pos] + rem
            if reach < cum[stop]:
                pos = bisect_right(cum, reach) - 1  # segment `pos` is lost
                lost[pos] += reach - cum[pos]
                break
            rem = reach - cum[stop]
            pos = stop
            if pos < m:
                need = w_l[pos] - prog
                avail = rem - res_l[pos] * g
                if need > avail:
                    if avail > 0:  # checkpoint at the reserve; restore next cycle
                        prog += avail
                        pending = rho_l[pos]
                        lost[pos] += rem - avail
                    else:
                        lost[pos] += max(rem, 0.0)
                    break
                rem -= need
                prog = 0.0
                pos += 1
            if pos == m:
                jobs += 1
                pos = 0
        if jobs > before:  # the last completion in this cycle: where its work ended
            last = i
            t_done = starts[i] + on_l[i] * (1.0 - rem / budget if budget > 0 else 1.0)
    if jobs == 0:
        return Replay(jobs=0, energy_j=float("inf"), latency_s=float("inf"))
    spent = float(stats.budget_j[: last + 1].sum()) + stats.reboot_j * (last + 1)
    return Replay(
        jobs=jobs,
        energy_j=spent / jobs,
        latency_s=t_done / jobs,
        lost_j=tuple(x / jobs for x in lost[:m]),
    )


def predict(atoms: Atoms, trace: Trace, device: Device, *, refine: int = 1) -> Replay:
    """The expected-time model of a plan on a trace: a cycle replay on its own cycles.

    The cycles are measured for the plan's power profile (:func:`cycle_stats` with
    ``profile``) and the plan is replayed over them. A plan spends longer than its
    failure-free profile in the segments that fail (they are re-run), so each refinement
    step stretches every segment's share of the profile by ``1 + lost / w`` (the work the
    replay lost in it per job, over its energy) and measures and replays again.

    Args:
        atoms: The compiled plan.
        trace: The harvesting trace.
        device: The device.
        refine: Refinement steps (0: the failure-free profile).
    """
    rp = replay(atoms, cycle_stats(trace, device, profile=atoms))
    segs, seg = _grouped(atoms)
    w = np.array([x[0] for x in segs], dtype=float)
    for _ in range(refine):
        if rp.jobs == 0:
            break
        stretch = (1.0 + np.asarray(rp.lost_j) / np.where(w > 0, w, 1.0))[seg]
        prof = replace(atoms, energy_j=atoms.energy_j * stretch, time_s=atoms.time_s * stretch)
        rp = replay(atoms, cycle_stats(trace, device, profile=prof))
    return rp


def expected_latency(atoms: Atoms, trace: Trace, device: Device, *, refine: int = 1) -> float:
    """Expected completion time (s) of back-to-back jobs of the plan (:func:`predict`)."""
    return predict(atoms, trace, device, refine=refine).latency_s


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
