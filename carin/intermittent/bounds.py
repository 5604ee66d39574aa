"""An upper bound on the jobs a task set can complete on a trace, whatever its plans and policy.

The bound says how much room a scheduler has: when the usual practice already completes
close to it, no choice of plans and policy can gain much on that trace.

A job of task ``k`` released at ``r`` with absolute deadline ``d`` needs at least

* ``T_k``, the least failure-free time of any plan of the task, so ``T_k <= d - r``;
* ``E_k``, the least failure-free energy of any plan (power failures, reboots, switches
  and sleep only add to it), so ``E_k <= E_max + H(r, d)``, with ``E_max`` a full
  capacitor (``v_off`` to ``v_max``) and ``H(r, d)`` the net harvest in the window.

Every set of completed jobs also fits in the energy of the whole trace:
``sum E_k <= E_max + H(0, end)``. Among the jobs that pass the first two tests, the
largest set within that budget takes the cheapest jobs first (a knapsack with unit
values is solved exactly by sorting), which gives :func:`success_bound`. It is a bound,
not a schedule: it ignores that jobs compete for time and for the harvest of the same
windows, so it may not be reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carin.intermittent.cm import CODES
from carin.intermittent.search import _block_dp
from carin.intermittent.tasks import TaskSet
from carin.intermittent.traces import Trace

__all__ = ["SuccessBound", "job_floors", "success_bound", "net_harvest"]


@dataclass(frozen=True)
class SuccessBound:
    """What :func:`success_bound` found.

    Attributes:
        jobs: Jobs released (the simulator's rule: deadline within the trace).
        feasible: Per task, jobs that could finish alone (time and energy in their
            window).
        bound: Most jobs any plans and policy can complete.
        energy_j: The trace's net harvest plus a full capacitor.
    """

    jobs: int
    feasible: tuple[int, ...]
    bound: int
    energy_j: float


def net_harvest(trace: Trace, device: object) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, H)``: cumulative net harvest (J) at each sample boundary of ``trace``.

    Net harvest is the trace power times the harvester efficiency, less leakage (never
    below zero); ``H`` is piecewise linear between the grid points.
    """
    eff = float(getattr(device, "harvester_efficiency", 1.0))
    leak = float(getattr(device, "leakage_w", 0.0))
    p = np.maximum(trace.power_w * eff - leak, 0.0)
    h = np.concatenate([[0.0], np.cumsum(p * trace.dt)])
    return np.arange(h.size) * trace.dt, h


def job_floors(taskset: TaskSet) -> list[tuple[float, float]]:
    """Per task, ``(E_k, T_k)``: least failure-free energy and time of any of its plans.

    Exact over all plans (the block DP of :mod:`carin.intermittent.search`, once with
    energy and once with time as the cost); a task with a fixed plan has that plan's.
    """
    from carin.intermittent.cm import compile_plan

    out = []
    dev = taskset.device
    for t in taskset.tasks:
        costs = t.model.costs(dev)
        if t.plan is not None:
            a = compile_plan(t.plan, costs, dev)
            out.append((a.total_energy_j, a.total_time_s))
            continue
        e = _block_dp(costs, dev, lambda a: a.total_energy_j, list(CODES))[1]
        s = _block_dp(costs, dev, lambda a: a.total_time_s, list(CODES))[1]
        out.append((e, s))
    return out


def success_bound(taskset: TaskSet, trace: Trace) -> SuccessBound:
    """The most jobs of ``taskset`` that any plans and policy can complete on ``trace``.

    See the module docstring for the argument; every test is exact for the simulator's
    model, so no simulation can exceed the bound.
    """
    dev = taskset.device
    grid, h = net_harvest(trace, dev)
    end = float(trace.duration)
    cap = float(dev.max_energy_j)
    costs: list[np.ndarray] = []
    feasible = []
    released = 0
    for t, (e_k, s_k) in zip(taskset.tasks, job_floors(taskset), strict=True):
        n = int(np.floor((end - t.deadline_s - t.offset_s) / t.period_s + 1e-9)) + 1
        if t.offset_s + t.deadline_s > end or n <= 0:
            feasible.append(0)
            continue
        r = t.offset_s + t.period_s * np.arange(n)
        d = r + t.deadline_s
        released += n
        window = np.interp(d, grid, h) - np.interp(r, grid, h)
        ok = (s_k <= t.deadline_s) & (e_k <= cap + window)
        feasible.append(int(ok.sum()))
        costs.append(np.full(int(ok.sum()), e_k))
    energy = cap + float(h[-1])
    every = np.sort(np.concatenate(costs)) if costs else np.zeros(0)
    bound = int(np.searchsorted(np.cumsum(every), energy, side="right"))
    return SuccessBound(jobs=released, feasible=tuple(feasible), bound=bound, energy_j=energy)
