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
values is solved exactly by sorting).

A mixed-integer program then tightens it (:func:`flow_bound`, scipy's HiGHS). Time is
cut into slots at every release and deadline (and at least every ``slot_s``); in slot
``k`` job ``j`` may draw energy ``u_jk >= 0`` only inside its window, at most the
device's highest power ``P_max`` (:func:`max_power_w`: no atom of any plan draws more)
times the slot length, and all jobs together at most ``P_max`` times the slot; the
capacitor level ``S_k`` between slots stays within ``[0, E_max]`` and ``S_k+1 <= S_k +
H_k - sum_j u_jk`` (what is not used or stored is lost); a job is done (``x_j = 1``)
only if ``sum_k u_jk >= E_k``. Every run of the simulator gives a feasible point (its
completed jobs with ``x_j = 1`` and what they drew), so the program's optimum bounds the
successes too; it captures harvest lost while the capacitor is full or faster than the
device can draw it, and, because a job is done or not, energy spread over jobs none of
which gathers enough by its deadline. When branch and bound stops at its node limit,
the solver's proven dual bound is used: looser, still a bound. :func:`success_bound` is
the smaller of the two. It is a bound, not a schedule (a job may use any part of a
slot's harvest and the device's draw is not tied to one job at a time), so it may not
be reachable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from carin.intermittent.cm import CODES, compile_plan
from carin.intermittent.search import _block_dp
from carin.intermittent.tasks import TaskSet
from carin.intermittent.traces import Trace

__all__ = [
    "SuccessBound",
    "flow_bound",
    "job_floors",
    "max_power_w",
    "net_harvest",
    "success_bound",
]


@dataclass(frozen=True)
class SuccessBound:
    """What :func:`success_bound` found.

    Attributes:
        jobs: Jobs released (the simulator's rule: deadline within the trace).
        feasible: Per task, jobs that could finish alone (time and energy in their
            window).
        bound: Most jobs any plans and policy can complete (the smaller of the
            knapsack and the program's bounds).
        energy_j: The trace's net harvest plus a full capacitor.
        knapsack: The bound from the per-job tests and the trace's energy alone.
        flow: The mixed-integer program's bound (:func:`flow_bound`), or None when it
            was not computed.
    """

    jobs: int
    feasible: tuple[int, ...]
    bound: int
    energy_j: float
    knapsack: int = 0
    flow: int | None = None


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


def job_floors(taskset: TaskSet, plans: Sequence[str] | None = None) -> list[tuple[float, float]]:
    """Per task, ``(E_k, T_k)``: least failure-free energy and time of any of its plans.

    Exact over all plans (the block DP of :mod:`carin.intermittent.search`, once with
    energy and once with time as the cost); a task with a fixed plan has that plan's.
    With ``plans`` (one per task, in task order), each task's given plan's instead.
    """
    if plans is not None and len(plans) != len(taskset.tasks):
        raise ValueError(f"job_floors: {len(plans)} plans for {len(taskset.tasks)} tasks")
    out = []
    dev = taskset.device
    for k, t in enumerate(taskset.tasks):
        costs = t.model.costs(dev)
        plan = t.plan if plans is None else plans[k]
        if plan is not None:
            a = compile_plan(plan, costs, dev)
            out.append((a.total_energy_j, a.total_time_s))
            continue
        e = _block_dp(costs, dev, lambda a: a.total_energy_j, list(CODES))[1]
        s = _block_dp(costs, dev, lambda a: a.total_time_s, list(CODES))[1]
        out.append((e, s))
    return out


def max_power_w(taskset: TaskSet) -> float:
    """The highest power any atom of any plan of the task set can draw (W).

    An atom's energy and time are sums of its layers' computation (scaled alike by a
    depth-first slice's recomputation) and of FRAM DMA transfers, so no atom draws more
    than the largest of those parts: the layers' computation powers and the device's
    per-element and per-transfer DMA, MAC and CPU powers.
    """
    d = taskset.device
    parts = [
        (d.dma_write_j, d.dma_write_cycles),
        (d.dma_write_fixed_j, d.dma_write_fixed_cycles),
        (d.dma_read_j, d.dma_read_cycles),
        (d.dma_read_fixed_j, d.dma_read_fixed_cycles),
        (d.mac_j, d.mac_cycles),
        (d.mac_fixed_j, d.mac_fixed_cycles),
        (d.add_j, d.add_cycles),
    ]
    p = max(e / c * d.clock_hz for e, c in parts if c > 0)
    for t in taskset.tasks:
        c = t.model.costs(d)
        ok = c.time_s > 0
        if ok.any():
            p = max(p, float(np.max(c.energy_j[ok] / c.time_s[ok])))
    return float(p)


class _Jobs(NamedTuple):
    """Every job of a task set on a trace, as the bounds see it."""

    per_task: list[tuple[np.ndarray, ...]]  # (release, deadline, feasible mask, E_k)
    released: int
    cap: float  # a full capacitor (v_off to v_max), J
    grid: np.ndarray  # net_harvest's grid and cumulative harvest
    h: np.ndarray


def _windows(taskset: TaskSet, trace: Trace, plans: Sequence[str] | None = None) -> _Jobs:
    """The jobs released on ``trace``, which of them pass the per-job tests, the harvest
    (``plans``: as :func:`job_floors`)."""
    dev = taskset.device
    grid, h = net_harvest(trace, dev)
    end = float(trace.duration)
    cap = float(dev.max_energy_j)
    out = []
    released = 0
    for t, (e_k, s_k) in zip(taskset.tasks, job_floors(taskset, plans), strict=True):
        n = int(np.floor((end - t.deadline_s - t.offset_s) / t.period_s + 1e-9)) + 1
        if t.offset_s + t.deadline_s > end or n <= 0:
            z = np.zeros(0)
            out.append((z, z, np.zeros(0, bool), np.full(0, e_k)))
            continue
        r = t.offset_s + t.period_s * np.arange(n)
        d = r + t.deadline_s
        released += n
        window = np.interp(d, grid, h) - np.interp(r, grid, h)
        ok = (s_k <= t.deadline_s) & (e_k <= cap + window)
        out.append((r, d, ok, np.full(n, e_k)))
    return _Jobs(out, released, cap, grid, h)


def flow_bound(
    taskset: TaskSet,
    trace: Trace,
    *,
    slot_s: float | None = None,
    integer: bool = True,
    node_limit: int | None = None,
    plans: Sequence[str] | None = None,
) -> int | None:
    """The bound of the module docstring's program (None if the solver gives none).

    Args:
        taskset: The task set.
        trace: The harvesting trace.
        slot_s: Longest slot, in seconds (slots also end at every release and deadline).
            Default: 1 s, or 1/4000 of a longer trace (a 6-hour trace: 5.4 s; coarser
            slots only loosen the bound).
        integer: Each job is done or not (``x_j`` in {0, 1}; a mixed-integer program).
            False relaxes it to ``[0, 1]`` (a linear program; looser, faster).
        node_limit: Branch-and-bound nodes the solver may explore. When it stops there,
            the bound is the solver's proven dual bound, which still holds (only less
            tight); a node limit rather than a time limit keeps the result independent
            of the machine's speed. Default: 1000, or only the root node (its cuts)
            beyond 2000 jobs, where more nodes cost minutes for a job or two.
        plans: One plan per task: the bound for these plans (as :func:`success_bound`).
    """
    return _flow(
        taskset,
        _windows(taskset, trace, plans),
        float(trace.duration),
        slot_s,
        integer,
        node_limit,
    )


def _flow(
    taskset: TaskSet,
    jobs: _Jobs,
    end: float,
    slot_s: float | None = None,
    integer: bool = True,
    node_limit: int | None = None,
) -> int | None:
    """:func:`flow_bound` on jobs already derived by :func:`_windows`."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    if slot_s is None:
        slot_s = max(1.0, end / 4000.0)
    if node_limit is None:
        node_limit = 1000 if jobs.released <= 2000 else 1
    per_task, grid, h = jobs.per_task, jobs.grid, jobs.h
    # energies in mJ: coefficients near 1 keep HiGHS's integer repair step well scaled
    r = np.concatenate([w[0][w[2]] for w in per_task])
    d = np.concatenate([w[1][w[2]] for w in per_task])
    e = np.concatenate([w[3][w[2]] for w in per_task]) * 1e3
    cap = jobs.cap * 1e3
    n = int(r.size)
    if n == 0:
        return 0
    pts = np.unique(np.concatenate([[0.0, end], r, d, np.arange(0.0, end, slot_s)]))
    k_n = pts.size - 1
    harvest = np.diff(np.interp(pts, grid, h)) * 1e3
    length = np.diff(pts)
    p_max = max_power_w(taskset) * 1e3
    k0 = np.searchsorted(pts, r)
    span = np.searchsorted(pts, d) - k0
    job = np.repeat(np.arange(n), span)
    m = int(job.size)
    # job j's slots k0[j] .. k0[j] + span[j] - 1, laid end to end
    slot = np.arange(m) + np.repeat(k0 - (np.cumsum(span) - span), span)
    # variables: x (n), S (k_n + 1), u (m); rows: storage (k_n), draw (k_n), jobs (n)
    o_s, o_u = n, n + k_n + 1
    nv = o_u + m
    ks = np.arange(k_n)
    ones = np.ones(k_n)
    rows = np.concatenate([ks, ks, slot, k_n + slot, 2 * k_n + job, 2 * k_n + np.arange(n)])
    cols = np.concatenate(
        [o_s + ks + 1, o_s + ks, o_u + np.arange(m), o_u + np.arange(m), o_u + np.arange(m)]
        + [np.arange(n)]
    )
    vals = np.concatenate([ones, -ones, np.ones(m), np.full(m, 1.0 / p_max), -np.ones(m), e])
    a = coo_matrix((vals, (rows, cols)), shape=(2 * k_n + n, nv)).tocsr()
    upper = np.concatenate([harvest, length, np.zeros(n)])
    hi = np.empty(nv)
    hi[:n] = 1.0
    hi[o_s:o_u] = cap
    hi[o_u:] = p_max * length[slot]
    c = np.zeros(nv)
    c[:n] = -1.0
    kind = np.zeros(nv)
    if integer:
        kind[:n] = 1
    res = milp(
        c,
        constraints=LinearConstraint(a, np.full(upper.size, -np.inf), upper),
        bounds=Bounds(np.zeros(nv), hi),
        integrality=kind,
        options={"node_limit": int(node_limit)},
    )
    best = getattr(res, "mip_dual_bound", None) if integer else None
    if best is None or not math.isfinite(best):
        if res.status != 0 or res.fun is None:
            return None
        best = res.fun
    return int(math.floor(-best * (1 + 1e-9) + 1e-6))


def success_bound(
    taskset: TaskSet,
    trace: Trace,
    *,
    flow: bool = True,
    plans: Sequence[str] | None = None,
) -> SuccessBound:
    """The most jobs of ``taskset`` that any plans and policy can complete on ``trace``.

    See the module docstring for the argument; every test holds for the simulator's
    model, so no simulation can exceed the bound.

    Args:
        taskset: The task set.
        trace: The harvesting trace.
        flow: Also solve the mixed-integer program (:func:`flow_bound`) and keep the
            smaller bound.
        plans: One CM plan per task (task order): the most jobs any *policy* can
            complete with these plans, each job needing its plan's failure-free energy
            and time instead of the least over all plans. Never above the bound without
            ``plans``; the difference is what the plans' checkpoints cost, and what is
            left between it and a simulation is the schedule's.
    """
    jobs = _windows(taskset, trace, plans)
    per_task, released = jobs.per_task, jobs.released
    energy = jobs.cap + float(jobs.h[-1])
    costs = [w[3][w[2]] for w in per_task]
    every = np.sort(np.concatenate(costs)) if costs else np.zeros(0)
    knapsack = int(np.searchsorted(np.cumsum(every), energy, side="right"))
    program = _flow(taskset, jobs, float(trace.duration)) if flow and knapsack > 0 else None
    bound = knapsack if program is None else min(knapsack, program)
    return SuccessBound(
        jobs=released,
        feasible=tuple(int(w[2].sum()) for w in per_task),
        bound=bound,
        energy_j=energy,
        knapsack=knapsack,
        flow=program,
    )
