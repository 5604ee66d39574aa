"""CM search: the per-layer CM plan of least expected energy, by dynamic programming.

A plan's expected energy (:func:`carin.intermittent.analytical.expected_energy`) is a sum
over *segments*, the runs of atoms between commits. Every mechanism except ``R`` ends its
layer with a commit (``D`` at the end of its slice), so a plan splits into blocks that
start right after a commit: ``R^m X`` with ``X`` in ``L, T, J`` or a ``D`` run, or ``R^m``
up to the model's end. A block's atoms (and so its cost) depend only on its own codes and
its first layer, because its input is always in FRAM. The DP over block starts,

    f(i, d) = min over blocks [i, j) allowed after state d of cost(block) + f(j, d'),

with ``d`` = "the previous block was a ``D`` slice" (two adjacent ``D`` blocks would merge
into one slice), is therefore exact: it returns a plan of the least expected energy among
all ``5^L`` plans, in ``O(L^2)`` block evaluations. :func:`brute_force_plan` enumerates
them for tests. The same DP with another additive block cost gives
:func:`bounded_plan`: the plan of least failure-free energy whose longest stretch
between commits stays within a bound (what matters to a schedule that pauses instead of
browning out, where commits are the points at which another job can preempt).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache

import numpy as np

from carin.intermittent.analytical import CycleStats, expected_energy
from carin.intermittent.cm import CODES, Atoms, CMError, compile_layers
from carin.intermittent.device import Device
from carin.intermittent.layers import LayerCosts

__all__ = ["best_plan", "bounded_plan", "brute_force_plan", "max_segment_s", "plan_cost"]


def plan_cost(plan: str, costs: LayerCosts, device: Device, stats: CycleStats) -> float:
    """Expected energy (J) of one job of ``plan`` under the trace's cycle statistics.

    ``inf`` when a mechanism of the plan does not fit its layer on the device.
    """
    try:
        atoms = compile_layers(plan, costs, device)
    except CMError:
        return float("inf")
    return expected_energy(atoms, stats)


def best_plan(
    costs: LayerCosts, device: Device, stats: CycleStats, *, codes: str = CODES
) -> tuple[str, float]:
    """The per-layer CM plan of least expected energy (exact DP over layer blocks).

    Args:
        costs: The model's per-layer costs.
        device: The device.
        stats: Power-cycle statistics of the trace (or of one power band of it).
        codes: The mechanisms allowed (subset of ``RLTJD``).

    Returns:
        ``(plan, expected energy in J)``; the energy is ``inf`` when no plan completes.
        Ties go to the plan that comes first in ``codes`` order, layer by layer.
    """
    allowed = [c for c in CODES if c in codes]

    def block_cost(atoms: Atoms) -> float:
        return expected_energy(atoms, stats)

    return _block_dp(costs, device, block_cost, allowed)


def max_segment_s(atoms: Atoms) -> float:
    """Longest failure-free time between two commits (or the start and the end).

    A job can be preempted, or can stop for good, only at a commit; this is the longest
    stretch during which it can be neither.
    """
    t = np.asarray(atoms.time_s, float)
    if t.size == 0:
        return 0.0
    # each segment summed on its own (not as differences of a running sum), so a
    # segment takes the same time wherever its atoms sit in a plan
    starts = np.flatnonzero(np.asarray(atoms.commit, bool)[:-1]) + 1
    return float(np.add.reduceat(t, np.concatenate([[0], starts])).max())


def bounded_plan(
    costs: LayerCosts, device: Device, max_segment: float, *, codes: str = CODES
) -> tuple[str, float]:
    """The plan of least failure-free energy whose segments all take <= ``max_segment`` s.

    Under a policy that pauses instead of browning out, power failures are rare and a
    plan's commits matter mostly as the points where another task's job can preempt
    this one (a limited-preemption schedule): the fewer commits, the less energy, but the
    longer a more urgent job may be blocked. This DP gives, for one bound on the blocking
    time, the cheapest plan that respects it; a few bounds give the search the trade-off
    curve. It is exact over all ``5^L`` plans for the same reason as :func:`best_plan`:
    a block's energy and its longest segment depend only on its own codes and first
    layer.

    Args:
        costs: The model's per-layer costs.
        device: The device.
        max_segment: Longest allowed failure-free time between commits, in seconds.
        codes: The mechanisms allowed (subset of ``RLTJD``).

    Returns:
        ``(plan, failure-free energy in J)``; ``inf`` energy when no plan respects the
        bound (e.g. one tile takes longer).
    """
    allowed = [c for c in CODES if c in codes]

    def block_cost(atoms: Atoms) -> float:
        if max_segment_s(atoms) > max_segment:
            return float("inf")
        return atoms.total_energy_j

    return _block_dp(costs, device, block_cost, allowed)


def _block_dp(
    costs: LayerCosts, device: Device, cost_of: Callable[[Atoms], float], allowed: list[str]
) -> tuple[str, float]:
    """The DP of :func:`best_plan` over layer blocks for an additive block cost."""
    n = int(costs.energy_j.size)

    def block_cost(i: int, plan: str) -> float:
        try:
            atoms = compile_layers(
                plan, costs, device, start=i, input_in_fram=True, is_model_end=True
            )
        except CMError:  # a J that does not fit its layer
            return float("inf")
        return cost_of(atoms)

    @cache
    def f(i: int, after_d: bool) -> tuple[float, str]:
        if i == n:
            return 0.0, ""
        best: tuple[float, str] | None = None
        for m in range(0, n - i + 1):  # m leading R layers
            if m and "R" not in allowed:
                break
            head = "R" * m
            j = i + m
            options: list[tuple[str, bool]] = []
            if j == n:
                options.append(("", False))
            else:
                for c in allowed:
                    if c == "R":
                        continue
                    if c == "D":
                        if m == 0 and after_d:
                            continue
                        options += [("D" * k, True) for k in range(1, n - j + 1)]
                    else:
                        options.append((c, False))
            for tail, is_d in options:
                block = head + tail
                cost = block_cost(i, block)
                if cost == float("inf"):
                    continue
                rest, rest_plan = f(i + len(block), is_d)
                total = cost + rest
                cand = (total, block + rest_plan)
                if best is None or _better(cand, best, allowed):
                    best = cand
        return best if best is not None else (float("inf"), "")

    cost, plan = f(0, False)
    if not plan:
        plan = allowed[0] * n
        cost = float("inf")
    return plan, cost


def _better(a: tuple[float, str], b: tuple[float, str], order: list[str]) -> bool:
    if a[0] < b[0] * (1 - 1e-12):
        return True
    if a[0] > b[0] * (1 + 1e-12):
        return False
    key = {c: k for k, c in enumerate(order)}
    return [key[c] for c in a[1]] < [key[c] for c in b[1]]


def brute_force_plan(
    costs: LayerCosts, device: Device, stats: CycleStats, *, codes: str = CODES
) -> tuple[str, float]:
    """Reference: evaluate every plan (``len(codes) ** L``); for tests on small models."""
    n = int(costs.energy_j.size)
    allowed = [c for c in CODES if c in codes]
    best: tuple[float, str] | None = None
    for combo in itertools.product(allowed, repeat=n):
        plan = "".join(combo)
        cand = (plan_cost(plan, costs, device, stats), plan)
        if best is None or _better(cand, best, allowed):
            best = cand
    assert best is not None
    return best[1], best[0]
