"""Intermittent configurations as profile rows: (model, CM plan, power band) x trace.

For each model and trace, carin simulates periodic jobs of every uniform CM plan, of the
DP plan for the whole trace and of the DP plan for each harvested-power band, and writes
one row per (plan, band) with the metrics of the jobs released while the harvested power
(mean over the second before the release) was in that band. Rows carry the band as
``power_lo_mw``/``power_hi_mw``, so a spec's ``anticipate: power_mw: [...]`` makes
``carin solve`` choose a plan per band and the runtime Switcher pick it by ``power_mw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carin.intermittent.analytical import cycle_stats
from carin.intermittent.cm import CODES, CMError, compile_plan, fram_footprint
from carin.intermittent.device import Device
from carin.intermittent.layers import LayerTable
from carin.intermittent.search import best_plan
from carin.intermittent.simulator import JobResults, Simulator
from carin.intermittent.traces import Trace

__all__ = [
    "BANDS_MW",
    "PlanRun",
    "candidate_plans",
    "choose_by_band",
    "simulate_plans",
    "profile_rows",
]

#: Default harvested-power band edges (mW); the last band is open-ended.
BANDS_MW: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0, float("inf"))


@dataclass(frozen=True, kw_only=True)
class PlanRun:
    """One plan simulated on one trace."""

    plan: str
    origin: str
    jobs: JobResults


def candidate_plans(
    model: LayerTable,
    trace: Trace,
    device: Device,
    bands_mw: Sequence[float] = BANDS_MW,
    *,
    period: float | None = None,
) -> dict[str, str]:
    """The plans carin considers: uniform ones, the DP plan and one DP plan per band.

    A uniform plan whose mechanism does not fit some layer on the device (``J`` with a
    checkpoint larger than a power cycle) is left out. With the jobs' release ``period``
    the DP sees the cycles as periodic jobs do (:meth:`CycleStats.for_period`).

    Returns:
        ``{plan: origin}`` with origin ``uniform``, ``dp`` or ``dp-band<lo>-<hi>``.
    """
    n = len(model)
    costs = model.costs(device)
    out: dict[str, str] = {}
    job_j = 0.0
    for c in CODES:
        try:
            atoms = compile_plan(c * n, costs, device)
        except CMError:  # e.g. J on a layer whose checkpoint exceeds a power cycle
            continue
        out[c * n] = "uniform"
        job_j = max(job_j, atoms.total_energy_j)
    stats = cycle_stats(trace, device, active_w=_active_w(model, device))
    if period is not None:  # cycles longer than a period serve jobs, not one long job
        stats = stats.for_period(period, job_j)
    plan, _ = best_plan(costs, device, stats)
    out.setdefault(plan, "dp")
    for lo, hi in zip(bands_mw[:-1], bands_mw[1:], strict=True):
        sub = stats.band(lo * 1e-3, hi * 1e-3)
        if sub is stats:
            continue
        p, _ = best_plan(costs, device, sub)
        out.setdefault(p, f"dp-band{lo:g}-{hi:g}")
    return out


def _active_w(model: LayerTable, device: Device) -> float:
    c = model.costs(device)
    return float(c.energy_j.sum() / c.time_s.sum())


def simulate_plans(
    model: LayerTable,
    trace: Trace,
    device: Device,
    plans: dict[str, str],
    *,
    period: float,
    deadline: float,
) -> list[PlanRun]:
    """Simulate every plan's periodic jobs over the trace."""
    costs = model.costs(device)
    sim = Simulator(trace=trace, device=device)
    return [
        PlanRun(
            plan=p,
            origin=o,
            jobs=sim.run(compile_plan(p, costs, device), period=period, deadline=deadline),
        )
        for p, o in plans.items()
    ]


def profile_rows(
    model: LayerTable,
    trace: Trace,
    device: Device,
    runs: Sequence[PlanRun],
    *,
    bands_mw: Sequence[float] = BANDS_MW,
    pending: int = 1,
) -> pd.DataFrame:
    """Profile rows of the simulated plans: per plan one overall row, one per band with jobs.

    The overall row (empty ``power_lo_mw``/``power_hi_mw``) holds the metrics of all the
    plan's jobs, so ``carin solve`` ranks plans on the whole trace when no power level is
    given; a band row holds those of the jobs released in the band, and at a power level
    the band rows that hold it are what counts (see ``TaskSpace.power_rows``).

    ``fram_kb`` is the plan's FRAM footprint (:func:`~carin.intermittent.cm.fram_footprint`,
    one task: no yield buffer; the input samples of ``pending`` jobs, as many as can wait
    at once when the deadline exceeds the period) in KiB, the same on every row of the
    plan, so a spec can require ``fram_kb <= 256``.
    """
    costs = model.costs(device)
    rows = []
    for run in runs:
        atoms = compile_plan(run.plan, costs, device)
        fram = fram_footprint(atoms, costs, device, pending=pending).total
        pw_mw = run.jobs.power_w * 1e3
        bands = [(np.nan, np.nan), *zip(bands_mw[:-1], bands_mw[1:], strict=True)]
        for lo, hi in bands:
            m = None if np.isnan(lo) else (pw_mw >= lo) & (pw_mw < hi)
            if m is not None and not m.any():
                continue
            s = run.jobs.summary(m)
            rows.append(
                {
                    "model": model.name,
                    "precision": model.precision,
                    "processor": "mcu",
                    "task": "intermittent_inference",
                    "device": f"{device.name}@{trace.name}",
                    "cm": run.plan,
                    "variant": run.origin,
                    "power_lo_mw": lo,
                    "power_hi_mw": hi if np.isfinite(hi) else np.nan,
                    "success_rate": round(s["success_rate"], 4),
                    "latency_ms": round(s["latency_ms"], 4)
                    if np.isfinite(s["latency_ms"])
                    else np.nan,
                    "energy_mj": round(s["energy_mj"], 6),
                    "nvm_kb": round(s["nvm_kb"], 6),
                    "fram_kb": round(fram / 1024.0, 4),
                    "cycles": round(s["cycles"], 4),
                    "jobs": s["jobs"],
                }
            )
    return pd.DataFrame(rows)


def choose_by_band(
    runs: Sequence[PlanRun],
    default: str,
    *,
    bands_mw: Sequence[float] = BANDS_MW,
    min_jobs: int = 10,
    margin_jobs: int = 2,
    z: float = 2.0,
    min_speedup: float = 0.05,
) -> list[str]:
    """Per harvested-power band, the plan to switch to (run-time adaptation).

    A band keeps ``default`` (the offline plan) unless it saw at least ``min_jobs`` jobs
    and the evidence is clear, comparing each plan with ``default`` on the same jobs:

    1. another plan completed at least ``margin_jobs`` more of them by their deadline,
       with a paired difference at least ``z`` standard errors above zero (the one with
       the most extra jobs wins); else
    2. another plan completed no fewer of them and, over the jobs both completed (at
       least ``min_jobs``), was faster by at least ``min_speedup`` of the default's mean
       latency with a paired difference at least ``z`` standard errors above zero (the
       fastest wins).

    A handful of jobs in a band cannot tell plans apart, and switching on noise loses
    jobs on new data.

    Args:
        runs: The candidate plans simulated on the trace used for choosing (same jobs).
        default: The plan for bands without clear evidence.
        bands_mw: Band edges in mW.
        min_jobs: Jobs a band needs before it may switch.
        margin_jobs: Extra completed jobs a plan needs over ``default`` in the band.
        z: Standard errors a paired difference must clear.
        min_speedup: Relative mean-latency reduction a faster plan needs.

    Returns:
        One plan per band (``len(bands_mw) - 1``).
    """
    by = {r.plan: r for r in runs}
    if default not in by:
        raise ValueError(f"choose_by_band: default plan {default!r} is not among the runs")
    base = by[default].jobs
    pw = base.power_w * 1e3
    out = []
    for lo, hi in zip(bands_mw[:-1], bands_mw[1:], strict=True):
        m = (pw >= lo) & (pw < hi)
        n = int(m.sum())
        out.append(default)
        if n < min_jobs:
            continue
        more: tuple[float, str] | None = None
        faster: tuple[float, str] | None = None
        for r in runs:
            if r.plan == default:
                continue
            diff = r.jobs.completed[m].astype(float) - base.completed[m]
            extra = float(diff.sum())
            if extra >= margin_jobs and _clear(diff, z) and (more is None or extra > more[0]):
                more = (extra, r.plan)
            both = m & r.jobs.completed & base.completed
            if extra < 0 or int(both.sum()) < min_jobs:
                continue
            gain = base.latency_s[both] - r.jobs.latency_s[both]
            rel = float(gain.mean()) / float(base.latency_s[both].mean())
            if rel >= min_speedup and _clear(gain, z) and (faster is None or rel > faster[0]):
                faster = (rel, r.plan)
        if more is not None:
            out[-1] = more[1]
        elif faster is not None:
            out[-1] = faster[1]
    return out


def _clear(diff: np.ndarray, z: float) -> bool:
    """Whether the mean of paired differences is at least ``z`` standard errors above 0."""
    if diff.size < 2 or diff.mean() <= 0:
        return False
    se = float(diff.std(ddof=1)) / np.sqrt(diff.size)
    return se == 0.0 or float(diff.mean()) >= z * se
