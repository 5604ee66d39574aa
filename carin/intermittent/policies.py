"""Scheduling policies for several periodic tasks on one intermittent device.

A policy is asked what to run whenever the choice may change: when a job is released
(the running job first reaches its next commit), when a job completes or is dropped,
after every reboot, and after a wait. It sees the ready jobs (:class:`JobView`) and
the device's state (:class:`DeviceState`) and returns a :class:`Decision`: which job to
run, which jobs to abandon, or to sleep until the capacitor holds some energy. The
simulator enforces the rest: a job never runs past its deadline, preemption happens
only at commit points, and a job with a pending just-in-time checkpoint resumes first
after a reboot (its volatile state is in the one JIT buffer).

* :class:`FixedPriority` -- the ready job of the most urgent task (``priority`` 1 first).
* :class:`EDF` -- the ready job with the earliest absolute deadline.
* :class:`IntermittenceAware` -- uses the live-time / shutdown-time estimates (the work
  budget of a power cycle and the recharge time of
  :mod:`~carin.intermittent.analytical`, in scalar form) and the energy in the
  capacitor; see its docstring.

New policies subclass :class:`Policy` and implement :meth:`Policy.pick`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from carin.errors import CarinError
from carin.intermittent.device import Device

__all__ = [
    "JobView",
    "DeviceState",
    "Decision",
    "Policy",
    "FixedPriority",
    "EDF",
    "IntermittenceAware",
    "POLICIES",
    "make_policy",
]


class JobView(Protocol):
    """What a policy knows about a ready job (energies in J, times in s).

    ``remaining_j``/``remaining_s`` are the failure-free energy and time from the job's
    position to its end; ``next_j``/``next_s`` those of its next segment (up to the next
    commit); ``next_jit`` says whether that segment keeps its progress on a power failure
    (a ``J`` layer); ``max_plain_j`` is the largest segment left that does not.
    """

    task: int
    release_s: float
    deadline_s: float
    priority: int
    weight: float
    started: bool

    @property
    def remaining_j(self) -> float: ...  # noqa: D102

    @property
    def remaining_s(self) -> float: ...  # noqa: D102

    @property
    def next_j(self) -> float: ...  # noqa: D102

    @property
    def next_s(self) -> float: ...  # noqa: D102

    @property
    def next_jit(self) -> bool: ...  # noqa: D102

    @property
    def max_plain_j(self) -> float: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class DeviceState:
    """The device as a policy sees it when it decides.

    Attributes:
        now_s: Current time.
        energy_j: Energy in the capacitor above ``v_off``.
        full_j: Energy at ``v_on`` (what a power cycle starts with).
        max_j: Energy at ``v_max`` (the most the capacitor holds while on).
        device: The device model.
        harvest: ``harvest(window_s)`` is the mean net harvested power (W) over the last
            ``window_s`` seconds (what the device measures from its recharge times and the
            voltage rise while it sleeps).
    """

    now_s: float
    energy_j: float
    full_j: float
    max_j: float
    device: Device
    harvest: Callable[[float], float]


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer.

    Attributes:
        run: Index (into the jobs passed to :meth:`Policy.pick`) of the job to run, or
            None to sleep.
        abandon: Indices of jobs to drop now (counted as abandoned).
        wait_j: With ``run=None``: sleep until the capacitor holds this much energy (capped
            at ``v_max``) or the next release or deadline, whichever comes first.
    """

    run: int | None
    abandon: tuple[int, ...] = ()
    wait_j: float = 0.0


class Policy(ABC):
    """The scheduling-policy interface.

    Attributes:
        name: Short name (``fp``, ``edf``, ``ia``), used in profile rows.
        uses_energy: Whether :meth:`pick` depends on the device state; when False the
            simulator reuses a decision until the set of ready jobs changes.
    """

    name: str = ""
    uses_energy: bool = False

    @abstractmethod
    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:
        """Choose among the ready jobs (never empty)."""


class FixedPriority(Policy):
    """Run the job of the most urgent task (lowest ``priority``); ties: earlier release."""

    name = "fp"

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        best = min(range(len(jobs)), key=lambda i: (jobs[i].priority, jobs[i].release_s))
        return Decision(best)


class EDF(Policy):
    """Run the job with the earliest absolute deadline; ties: priority, then release."""

    name = "edf"

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        best = min(
            range(len(jobs)),
            key=lambda i: (jobs[i].deadline_s, jobs[i].priority, jobs[i].release_s),
        )
        return Decision(best)


class IntermittenceAware(Policy):
    """EDF with energy-aware admission, segment fitting and waiting.

    At each decision, with ``p`` the mean harvest over the last ``window_s`` seconds and
    ``e`` the energy in the capacitor:

    1. **Abandon** a job that cannot finish even without a power failure
       (``now + remaining_s > deadline``: exact).
    2. **Skip** (keep, but do not run) a job that is hopeless at ``optimism * p``: a
       segment without JIT protection larger than any power cycle can hold
       (``W_max``, the work budget of a cycle that starts with a full capacitor), or an
       estimated finish after its deadline. The finish estimate is MII-style: the work
       ``w0 = e P / (P - p)`` the stored energy buys at the job's power ``P``, then
       ``n = (remaining_j - w0) / W(p)`` more power cycles, each adding a shutdown time
       ``S(p) = E_c / p`` and a reboot to the failure-free time.
    3. **Overload**: in EDF order, accumulate remaining work and estimate each job's
       finish; while one misses its deadline, defer the job of least value density
       (``weight / remaining_j``) among it and those before it. Deferred jobs run only
       when nothing else can.
    4. **Segment fitting**: run the first job in that order if its next segment fits in
       ``e`` plus the harvest during it (or is JIT-protected). Otherwise run a later job
       whose next segment fits, if that leaves the first on time; otherwise, when the
       segment fits in a full capacitor and the wait leaves the job on time, sleep until
       the capacitor holds it (a segment started now would certainly be lost);
       otherwise run the first job.
    5. With nothing worth running, sleep; but once the capacitor is full (more harvest
       would be lost) run the most urgent skipped or deferred job anyway.

    Args:
        window_s: Harvest estimate window.
        optimism: Factor on the estimated harvest for the deadline tests of steps 2-3
            (1 = take the estimate as it is; larger drops fewer jobs).
        margin: Relative energy margin of the fit test in step 4.
    """

    name = "ia"
    uses_energy = True

    def __init__(self, *, window_s: float = 10.0, optimism: float = 1.0, margin: float = 0.05):
        if not window_s > 0 or not optimism > 0 or not margin >= 0:
            raise CarinError("ia policy: window_s and optimism must be > 0, margin >= 0")
        self.window_s = window_s
        self.optimism = optimism
        self.margin = margin

    # -- estimates -------------------------------------------------------------
    @staticmethod
    def work_budget(dev: Device, p: float, big_p: float) -> float:
        """Scalar :func:`~carin.intermittent.analytical.work_budget`: work (J consumed)
        of one power cycle from ``v_on`` at harvest ``p`` by a device drawing ``big_p``."""
        if p >= big_p:
            return math.inf
        headroom = dev.max_energy_j - dev.cycle_energy_j
        cap = dev.cycle_energy_j - max(-headroom, dev.reboot_j - p * dev.reboot_s)
        return cap * big_p / (big_p - p) if cap > 0 else 0.0

    @staticmethod
    def shutdown_time(dev: Device, p: float) -> float:
        """Scalar :func:`~carin.intermittent.analytical.shutdown_time`: recharge time."""
        return dev.cycle_energy_j / p if p > 0 else math.inf

    def finish(self, state: DeviceState, rem_j: float, rem_s: float, p: float) -> float:
        """Estimated completion time of ``rem_j`` of work taking ``rem_s`` failure-free."""
        if rem_j <= 0:
            return state.now_s
        dev = state.device
        big_p = rem_j / rem_s if rem_s > 0 else dev.active_w
        if p >= big_p:
            return state.now_s + rem_s
        w0 = state.energy_j * big_p / (big_p - p)  # what the stored energy buys
        if rem_j <= w0:
            return state.now_s + rem_s
        per = self.work_budget(dev, p, big_p)
        if p <= 0 or not per > 0:
            return math.inf
        n = (rem_j - w0) / per
        return state.now_s + rem_s + n * (self.shutdown_time(dev, p) + dev.reboot_s)

    def _fits(self, j: JobView, state: DeviceState, p: float) -> bool:
        return j.next_jit or j.next_j * (1.0 + self.margin) <= state.energy_j + p * j.next_s

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        now = state.now_s
        p_raw = max(state.harvest(self.window_s), 0.0)
        p = p_raw * self.optimism
        abandon = tuple(i for i, j in enumerate(jobs) if now + j.remaining_s > j.deadline_s)
        live = [i for i in range(len(jobs)) if i not in abandon]
        if not live:
            return Decision(None, abandon)
        dev = state.device
        skipped: list[int] = []
        ok: list[int] = []
        for i in live:
            j = jobs[i]
            big_p = j.remaining_j / j.remaining_s if j.remaining_s > 0 else dev.active_w
            cap = (state.max_j - dev.reboot_j) * big_p / (big_p - p) if p < big_p else math.inf
            if j.max_plain_j > cap or self.finish(state, j.remaining_j, j.remaining_s, p) > (
                j.deadline_s
            ):
                skipped.append(i)
            else:
                ok.append(i)
        order = sorted(ok, key=lambda i: (jobs[i].deadline_s, jobs[i].priority, jobs[i].release_s))
        deferred: list[int] = []
        while order:
            cum_j = cum_s = 0.0
            bad = -1
            for k, i in enumerate(order):
                cum_j += jobs[i].remaining_j
                cum_s += jobs[i].remaining_s
                if self.finish(state, cum_j, cum_s, p) > jobs[i].deadline_s:
                    bad = k
                    break
            if bad < 0:
                break
            victim = min(
                order[: bad + 1],
                key=lambda i: (
                    jobs[i].weight / max(jobs[i].remaining_j, 1e-15),
                    -jobs[i].deadline_s,
                ),
            )
            order.remove(victim)
            deferred.append(victim)
        if order:
            first = order[0]
            if self._fits(jobs[first], state, p_raw):
                return Decision(first, abandon)
            slack = jobs[first].deadline_s - self.finish(
                state, jobs[first].remaining_j, jobs[first].remaining_s, p
            )
            for i in order[1:]:
                if self._fits(jobs[i], state, p_raw) and jobs[i].next_s <= slack:
                    return Decision(i, abandon)
            need = jobs[first].next_j * (1.0 + self.margin) - p_raw * jobs[first].next_s
            if need <= state.max_j * 0.98 and p_raw > state.device.sleep_w:
                wait = (need - state.energy_j) / (p_raw - state.device.sleep_w)
                if wait <= slack:
                    # a hair above the fit test's threshold, so the test passes after it
                    return Decision(None, abandon, wait_j=need * (1 + 1e-9) + 1e-12)
            return Decision(first, abandon)
        rest = deferred + skipped
        if rest and state.energy_j >= state.max_j * 0.999:
            best = min(rest, key=lambda i: (jobs[i].deadline_s, jobs[i].priority))
            return Decision(best, abandon)
        return Decision(None, abandon, wait_j=state.max_j)


POLICIES: dict[str, Callable[[], Policy]] = {
    "fp": FixedPriority,
    "edf": EDF,
    "ia": IntermittenceAware,
}


def make_policy(name: str) -> Policy:
    """A policy by name (``fp``, ``edf`` or ``ia``).

    Raises:
        CarinError: Unknown name (the message lists the known ones).
    """
    try:
        return POLICIES[name]()
    except KeyError:
        raise CarinError(
            f"unknown scheduling policy {name!r}; allowed: {', '.join(POLICIES)}"
        ) from None
