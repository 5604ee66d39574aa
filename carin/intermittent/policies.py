"""Scheduling policies for several periodic tasks on one intermittent device.

A policy is asked what to run whenever the choice may change: when a job is released
(the running job first reaches its next commit), when a job completes or is dropped,
after every reboot, and after a wait. It sees the ready jobs (:class:`JobView`) and
the device's state (:class:`DeviceState`) and returns a :class:`Decision`: which job to
run (and whether it pauses, asleep, instead of letting the power fail), which jobs to
abandon, or to sleep until the capacitor holds some energy. The
simulator enforces the rest: a job never runs past its deadline, preemption happens
only at commit points, and a job with a pending just-in-time checkpoint resumes first
after a reboot (its volatile state is in the one JIT buffer). Besides the ready jobs, the
state tells what each task will release next (:class:`TaskView`), so that a policy can
count the work still to come.

* :class:`FixedPriority` -- the ready job of the most urgent task (``priority`` 1 first).
* :class:`EDF` -- the ready job with the earliest absolute deadline (``edf-pause``: the
  same, pausing instead of browning out, see :attr:`Decision.pause_j`; ``edf-yield``:
  pausing, and a job paused between its commits yields, see :meth:`Policy.yield_to`).
* :class:`IntermittenceAware` -- uses the live-time / shutdown-time estimates (the work
  budget of a power cycle and the recharge time of
  :mod:`~carin.intermittent.analytical`, in scalar form) and the energy in the
  capacitor; see its docstring (``ia-yield``: the same, and a paused job yields).

New policies subclass :class:`Policy` and implement :meth:`Policy.pick`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from carin.errors import CarinError
from carin.intermittent.device import Device

__all__ = [
    "JobView",
    "TaskView",
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
class TaskView:
    """What a policy knows about a task's coming jobs (times in s, energies in J).

    Attributes:
        period_s: Seconds between releases.
        deadline_s: Relative deadline.
        next_release_s: Release time of its next job (``inf``: no more jobs).
        job_j, job_s: Failure-free energy and time of one whole job under the plan its
            next job will run.
        weight: Value of one successful job.
        priority: Fixed-priority rank (1 = most urgent).
    """

    period_s: float
    deadline_s: float
    next_release_s: float
    job_j: float
    job_s: float
    weight: float = 1.0
    priority: int = 1


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
        harvested: ``harvested(t)`` is the net energy harvested from the start to time
            ``t <= now_s`` (J), the same measurement as a running total (None: derived
            from ``harvest``).
        tasks: The tasks' coming jobs, indexed like :attr:`JobView.task` (empty: not
            known; a policy then sees only the ready jobs).
        end_s: End of the simulated span: a job is released only if its deadline falls
            at or before it.
    """

    now_s: float
    energy_j: float
    full_j: float
    max_j: float
    device: Device
    harvest: Callable[[float], float]
    harvested: Callable[[float], float] | None = None
    tasks: tuple[TaskView, ...] = ()
    end_s: float = math.inf


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer.

    Attributes:
        run: Index (into the jobs passed to :meth:`Policy.pick`) of the job to run, or
            None to sleep.
        abandon: Indices of jobs to drop now (counted as abandoned).
        wait_j: With ``run=None``: sleep until the capacitor holds this much energy (capped
            at ``v_max``) or the next release or deadline, whichever comes first.
        pause_j: With a job to run and ``pause_j > 0``: where the energy in the capacitor
            falls to ``pause_j`` (above ``v_off``) the job pauses, the device staying on,
            and sleeps until the capacitor holds ``refill_j`` (or the next release or the
            job's deadline); it then continues where it stopped, losing nothing, instead
            of browning out, rebooting and redoing the work since its last commit. A job
            paused between two commit points continues to its next commit before anything
            else runs. 0 (default): run until the power fails.
        refill_j: The level a paused job sleeps for (must exceed ``pause_j``).
    """

    run: int | None
    abandon: tuple[int, ...] = ()
    wait_j: float = 0.0
    pause_j: float = 0.0
    refill_j: float = 0.0


class Policy(ABC):
    """The scheduling-policy interface.

    Attributes:
        name: Short name (``fp``, ``edf``, ``edf-pause``, ``edf-yield``, ``ia``,
            ``ia-yield``), used in profile rows.
        uses_energy: Whether :meth:`pick` (and :meth:`yield_to`) depends on the device
            state; when False the simulator reuses a decision (and a yield_to answer)
            until the set of ready jobs changes.
        pause: Pause level as a fraction of the energy at ``v_max`` (0: never pause;
            see :attr:`Decision.pause_j`).
        refill: Level a paused job sleeps for, as a fraction of the energy at ``v_max``.
        yields: Whether a job paused between its commit points may yield the device
            (:meth:`yield_to`).
        in_release_order: Whether the jobs of one task run in release order (a later
            job never runs while an earlier one of its task is ready), so at most one
            job per task is in progress; the FRAM footprint then counts one job's
            feature maps per task (:func:`~carin.intermittent.tasks.taskset_footprint`).
    """

    name: str = ""
    uses_energy: bool = False
    pause: float = 0.0
    refill: float = 0.9
    yields: bool = False
    in_release_order: bool = False

    @abstractmethod
    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:
        """Choose among the ready jobs (never empty)."""

    def yield_to(self, jobs: Sequence[JobView], paused: int, state: DeviceState) -> int | None:
        """At a pause of ``jobs[paused]`` between its commit points: the job to yield to.

        Without yielding the paused job keeps the device until its next commit (its
        volatile state is in SRAM). A policy that :attr:`yields` answers with the job
        it would run once the paused job's refill is done (:meth:`pick` with the
        capacitor at the refill level); when that is another job, the simulator saves
        the paused job's volatile state to FRAM (see
        :mod:`~carin.intermittent.multitask`) and decides again. None: no yield.
        """
        if not self.yields:
            return None
        level = max(state.energy_j, self.refill * state.max_j)
        dec = self.pick(jobs, replace(state, energy_j=level))
        return dec.run if dec.run is not None and dec.run != paused else None

    def run(self, i: int, abandon: tuple[int, ...], state: DeviceState) -> Decision:
        """The decision to run job ``i`` (pausing at :attr:`pause` when it is set)."""
        if self.pause <= 0:
            return Decision(i, abandon)
        return Decision(
            i, abandon, pause_j=self.pause * state.max_j, refill_j=self.refill * state.max_j
        )

    def _set_pause(self, pause: float, refill: float, yield_: bool = False) -> None:
        if not 0 <= pause < refill <= 1:
            raise CarinError(
                f"{self.name} policy: needs 0 <= pause < refill <= 1, got {pause}, {refill}"
            )
        if yield_ and not pause > 0:
            raise CarinError(f"{self.name} policy: yield_ needs pausing (pause > 0)")
        self.pause = pause
        self.refill = refill
        self.yields = yield_


class FixedPriority(Policy):
    """Run the job of the most urgent task (lowest ``priority``); ties: earlier release."""

    name = "fp"
    in_release_order = True  # a task's jobs share its priority; ties: earlier release

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        best = min(range(len(jobs)), key=lambda i: (jobs[i].priority, jobs[i].release_s))
        return Decision(best)


class EDF(Policy):
    """Run the job with the earliest absolute deadline; ties: priority, then release.

    Args:
        pause, refill: Pause instead of browning out (fractions of the energy at
            ``v_max``; see :attr:`Decision.pause_j`); ``pause=0`` (default) runs until
            the power fails. ``edf-pause`` is EDF with ``pause=0.02, refill=0.9``.
        yield_: A job paused between its commits yields to the job EDF would run
            instead (:meth:`Policy.yield_to`; needs ``pause > 0``). ``edf-yield`` is
            ``edf-pause`` with it.
    """

    name = "edf"
    in_release_order = True  # a task's jobs share its relative deadline

    def __init__(self, *, pause: float = 0.0, refill: float = 0.9, yield_: bool = False) -> None:
        self._set_pause(pause, refill, yield_)
        if pause > 0:
            self.name = "edf-yield" if yield_ else "edf-pause"

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        best = min(
            range(len(jobs)),
            key=lambda i: (jobs[i].deadline_s, jobs[i].priority, jobs[i].release_s),
        )
        return self.run(best, (), state)


class IntermittenceAware(Policy):
    """EDF with energy-aware admission, segment fitting, waiting and pausing.

    It runs a task's jobs in release order (``release_order``, default): of the ready
    jobs of one task only the earliest released is seen by the steps below, so a later
    job waits (and may miss) while an earlier one of its task is ready, and one job per
    task is in progress (:attr:`Policy.in_release_order`).

    At each decision, with ``e`` the energy in the capacitor, ``p_now`` the mean harvest
    over the last ``fit_window_s`` seconds and ``p`` the admission harvest (the highest
    1 s mean over the last ``window_s`` seconds, or ``p_now`` if higher, times
    ``optimism``):

    1. **Abandon** a job that cannot finish even without a power failure
       (``now + remaining_s > deadline``: exact).
    2. **Skip** (keep, but do not run) a job that is hopeless at ``p``: a segment without
       JIT protection larger than any power cycle can hold (``W_max``: a capacitor at
       ``v_max``, less what the reboot takes beyond its harvest, drained at the job's
       power ``P`` while ``p`` comes in), or an estimated finish after its deadline. The
       finish estimate is MII-style: the work ``w0 = e P / (P - p)`` the stored energy
       buys, then ``n = (remaining_j - w0) / W(p)`` more power cycles, each adding a
       shutdown time ``S(p) = E_c / p`` and a reboot. ``p`` is a recent *peak* rather
       than a mean so that on fluctuating power a job is skipped only when even the
       recent strong spells could not finish it.
    3. **Demand-bound admission**: take the remaining jobs in EDF order together with
       every job the tasks will release before the latest of their deadlines
       (:attr:`DeviceState.tasks`: period, relative deadline, next release and a whole
       job's failure-free energy and time under its plan; a task whose job cannot
       finish in its own window even from a full capacitor is left out, it takes
       nothing from the others). At each of those deadlines ``d``, the work of all the
       jobs due by ``d`` must be done by ``d`` at the harvest ``p_dem`` (``p``, or the
       highest 1 s mean over the last ``memory_s`` seconds if higher, so that a spell
       that has just begun does not defer a job the next seconds finish): when the
       policy pauses, by energy balance (the energy above the pause level plus
       ``p_dem`` per second, less ``sleep_w`` while it waits, must cover the work, and
       the work's own time counts); when it does not, by the MII estimate of step 2.
       While some deadline is missed, drop the job of least value density (``weight /
       energy``; ties: the later deadline) among the jobs due by it: a ready job is
       **deferred**, a job not yet released is only left out of the estimate. Without
       :attr:`DeviceState.tasks` only the ready jobs count.
    4. **Segment fitting**: run the first admitted job if its next segment fits in
       ``e`` plus the harvest during it at ``p_now`` (or is JIT-protected). Otherwise,
       when the segment fits in a full capacitor and the wait leaves the job on time,
       sleep until the capacitor holds it (a segment started now would certainly be
       lost); otherwise run it anyway.
    5. With no admitted job, sleep; but once the capacitor is full (more harvest would
       be lost) run the most urgent skipped or deferred job that step 3 admits among
       them. A job that would miss anyway is not started: a started segment holds the
       device until its next commit, and its energy would be lost to the jobs that can
       finish.

    Every job it runs **pauses** at ``pause`` (fraction of the energy at ``v_max``)
    and sleeps until ``refill`` instead of browning out (:attr:`Decision.pause_j`):
    a reboot costs more energy (78 uJ on the MSP430 profile) than most of a power
    cycle, and a pause loses no work.

    Args:
        window_s: Window of the admission harvest (steps 2-3).
        optimism: Factor on the admission harvest (1 = take it as it is; larger drops
            fewer jobs).
        margin: Relative energy margin of the fit test in step 4.
        fit_window_s: Window of the current harvest ``p_now`` (steps 2 and 4).
        memory_s: Window of the harvest peak ``p_dem`` of steps 3 and 5.
        pause, refill: Pause and refill levels (0 < pause < refill <= 1; ``pause=0``
            runs until the power fails).
        yield_: A job paused between its commits yields to the first job steps 1-3
            admit at the refill level (:meth:`yield_to`).
        segment_test: Step 2 skips a job whose unprotected segment exceeds a power
            cycle. Pointless when the job pauses instead of browning out (the segment
            loses nothing) and yields (it no longer holds the device against more
            urgent jobs). ``ia-yield`` is ``yield_=True, segment_test=False``.
        release_order: See a task's earliest ready job only (above). False: see every
            ready job, so the steps may run a later job of a task while an earlier one
            waits (several jobs of a task in progress when its deadline exceeds its
            period; the FRAM footprint then counts each one's maps).
    """

    name = "ia"
    uses_energy = True

    def __init__(
        self,
        *,
        window_s: float = 10.0,
        optimism: float = 1.0,
        margin: float = 0.05,
        fit_window_s: float = 0.5,
        memory_s: float = 20.0,
        pause: float = 0.02,
        refill: float = 0.9,
        yield_: bool = False,
        segment_test: bool = True,
        release_order: bool = True,
    ):
        if (
            not window_s > 0
            or not optimism > 0
            or not margin >= 0
            or not fit_window_s > 0
            or not memory_s > 0
        ):
            raise CarinError(
                "ia policy: window_s, fit_window_s, memory_s and optimism must be > 0, margin >= 0"
            )
        self.window_s = window_s
        self.optimism = optimism
        self.margin = margin
        self.fit_window_s = fit_window_s
        self.memory_s = memory_s
        self._set_pause(pause, refill, yield_)
        self.segment_test = segment_test
        self.in_release_order = release_order
        if yield_:
            self.name = "ia-yield"

    # -- estimates -------------------------------------------------------------
    def admission_harvest(
        self, state: DeviceState, window_s: float | None = None
    ) -> tuple[float, float]:
        """``(p, p_now)``: the admission harvest (before ``optimism``) and the current one.

        ``p`` is the highest mean over the 1 s slices of the last ``window_s`` seconds
        (default: the policy's ``window_s``; ``state.harvest`` gives means up to now; a
        slice's mean is the difference of two cumulative ones), or ``p_now`` when that is
        higher.
        """
        window = self.window_s if window_s is None else window_s
        n = max(int(round(window)), 1)
        (best,), now = self._peaks(state, window / n, (n,))
        return best, now

    def _peaks(
        self, state: DeviceState, step: float, counts: Sequence[int]
    ) -> tuple[list[float], float]:
        """Highest slice means (or ``p_now`` if higher) over the last ``counts[i]``
        slices of ``step`` seconds, in one pass, and ``p_now``."""
        t = state.now_s
        h = state.harvested
        if h is None:
            h0 = 0.0

            def h(x: float) -> float:
                return h0 - (t - x) * state.harvest(t - x) if x < t else h0

        top = h(t)
        fw = self.fit_window_s
        now = max((top - h(t - fw)) / fw, 0.0) if t >= fw else max(state.harvest(fw), 0.0)
        best = now
        upto = [best]  # upto[k]: highest mean over the last k slices
        for k in range(1, max(counts) + 1):
            a = t - k * step
            if a < 0:
                break
            low = h(a)
            mean = (top - low) / step
            if mean > best:  # max(best, mean), inlined (hot)
                best = mean
            top = low
            upto.append(best)
        return [upto[n] if n < len(upto) else best for n in counts], now

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

    def finish(
        self,
        state: DeviceState,
        rem_j: float,
        rem_s: float,
        p: float,
        stored_j: float | None = None,
    ) -> float:
        """Estimated completion time of ``rem_j`` of work taking ``rem_s`` failure-free,
        starting with ``stored_j`` in the capacitor (default: ``state.energy_j``)."""
        if rem_j <= 0:
            return state.now_s
        dev = state.device
        big_p = rem_j / rem_s if rem_s > 0 else dev.active_w
        if p >= big_p:
            return state.now_s + rem_s
        e = state.energy_j if stored_j is None else stored_j
        w0 = e * big_p / (big_p - p)  # what the stored energy buys
        if rem_j <= w0:
            return state.now_s + rem_s
        per = self.work_budget(dev, p, big_p)
        if p <= 0 or not per > 0:
            return math.inf
        n = (rem_j - w0) / per
        return state.now_s + rem_s + n * (self.shutdown_time(dev, p) + dev.reboot_s)

    def demand(
        self, jobs: Sequence[JobView], ready: Sequence[int], state: DeviceState, p: float
    ) -> list[tuple[float, int, float, float, float, float, int]]:
        """The jobs EDF would run up to the latest deadline of the ``ready`` jobs.

        Returns, in EDF order (deadline, priority, release), one row per job: the ready
        jobs ``ready`` (indices into ``jobs``) with their remaining work, and every job
        of every task (:attr:`DeviceState.tasks`) released after now with its deadline
        at or before that horizon (and the trace's end), with a whole job's failure-free
        work, except the tasks whose job cannot finish in its own window at harvest
        ``p`` even from a full capacitor. A row is ``(deadline, priority, release, energy_j, time_s, weight, index)``
        with ``index = -1`` for a job not yet released.
        """
        rows = [
            (
                jobs[i].deadline_s,
                jobs[i].priority,
                jobs[i].release_s,
                jobs[i].remaining_j,
                jobs[i].remaining_s,
                jobs[i].weight,
                i,
            )
            for i in ready
        ]
        if not rows:
            return rows
        horizon = min(max(r[0] for r in rows), state.end_s)
        full = max(state.max_j - self.pause * state.max_j, 0.0)
        est = self.drain_finish if self.pause > 0 else self.finish
        for tv in state.tasks:
            # a job that cannot finish in its own window even from a full capacitor
            # will be skipped when it comes: it takes nothing from the others
            if est(state, tv.job_j, tv.job_s, p, full) - state.now_s > tv.deadline_s:
                continue
            r = tv.next_release_s
            while r + tv.deadline_s <= horizon and r < state.end_s:
                if r > state.now_s:
                    rows.append(
                        (r + tv.deadline_s, tv.priority, r, tv.job_j, tv.job_s, tv.weight, -1)
                    )
                r += tv.period_s
        rows.sort(key=lambda r: r[:3])
        return rows

    def admit(
        self, jobs: Sequence[JobView], ready: Sequence[int], state: DeviceState, p: float
    ) -> tuple[list[int], list[int]]:
        """Step 3 of the policy: ``(admitted, deferred)``, both lists of job indices.

        Takes the :meth:`demand` rows in EDF order and, at each row's deadline ``d``,
        estimates when the work of the rows up to it would be done (harvest ``p``, from
        the energy above the pause level: :meth:`drain_finish` when the policy pauses,
        else :meth:`finish`); while some row finishes after ``d``, it drops the row of
        least value density (``weight / energy``; ties: the later deadline) among that
        row and those before it. Dropped ready jobs are deferred; a dropped job not yet
        released is only left out of the estimate.
        """
        rows = self.demand(jobs, ready, state, p)
        stored = max(state.energy_j - self.pause * state.max_j, 0.0)
        est = self.drain_finish if self.pause > 0 else self.finish
        deferred: list[int] = []
        while rows:
            cum_j = cum_s = 0.0
            bad = -1
            for k, r in enumerate(rows):
                cum_j += r[3]
                cum_s += r[4]
                if est(state, cum_j, cum_s, p, stored) > r[0]:
                    bad = k
                    break
            if bad < 0:
                break
            victim = min(rows[: bad + 1], key=lambda r: (r[5] / max(r[3], 1e-15), -r[0]))
            rows.remove(victim)
            if victim[6] >= 0:
                deferred.append(victim[6])
        return [r[6] for r in rows if r[6] >= 0], deferred

    def drain_finish(
        self, state: DeviceState, rem_j: float, rem_s: float, p: float, stored_j: float
    ) -> float:
        """Estimated completion time of ``rem_j`` of work taking ``rem_s`` failure-free when
        the device pauses instead of browning out: it never reboots, so it runs while the
        stored energy ``stored_j`` and the harvest ``p`` last and sleeps (drawing
        ``sleep_w``) for the rest (energy balance, the time of the work included)."""
        if rem_j <= 0:
            return state.now_s
        short = rem_j - stored_j - p * rem_s
        if short <= 0:
            return state.now_s + rem_s
        net = p - state.device.sleep_w
        return state.now_s + rem_s + short / net if net > 0 else math.inf

    def _fits(self, j: JobView, state: DeviceState, p: float) -> bool:
        return j.next_jit or j.next_j * (1.0 + self.margin) <= state.energy_j + p * j.next_s

    def _in_order(self, jobs: Sequence[JobView]) -> list[int] | None:
        """The indices of each task's earliest released ready job, in ``jobs`` order, when
        the policy runs a task's jobs in release order and some task has two ready
        (None: every job is seen)."""
        if not self.in_release_order:
            return None
        first: dict[int, int] = {}
        for i, j in enumerate(jobs):
            k = first.get(j.task)
            if k is None or j.release_s < jobs[k].release_s:
                first[j.task] = i
        return sorted(first.values()) if len(first) < len(jobs) else None

    def yield_to(self, jobs: Sequence[JobView], paused: int, state: DeviceState) -> int | None:
        """The first job steps 1-3 admit at the refill level, if it is not ``jobs[paused]``
        (None: no yield; see :meth:`Policy.yield_to`).

        Step 4's fit test is left out: after the yield the policy decides as usual (and
        may wait for the energy of the job it yielded to).
        """
        if not self.yields:
            return None
        seen = self._in_order(jobs)
        if seen is not None:
            if paused not in seen:  # a later job of its task does not run first
                return None
            got = self.yield_to([jobs[i] for i in seen], seen.index(paused), state)
            return None if got is None else seen[got]
        level = max(state.energy_j, self.refill * state.max_j)
        _abandon, order, *_ = self._admitted(jobs, replace(state, energy_j=level))
        return order[0] if order and order[0] != paused else None

    def _admitted(
        self, jobs: Sequence[JobView], state: DeviceState
    ) -> tuple[tuple[int, ...], list[int], list[int], list[int], float, float, float]:
        """Steps 1-3: ``(abandon, admitted, deferred, skipped, p, p_dem, p_now)``."""
        now = state.now_s
        n = max(int(round(self.window_s)), 1)
        step = self.window_s / n
        m = max(int(math.ceil(self.memory_s / step - 1e-9)), 1)
        (p_adm, p_mem), p_raw = self._peaks(state, step, (n, m))
        p = p_adm * self.optimism
        abandon = tuple(i for i, j in enumerate(jobs) if now + j.remaining_s > j.deadline_s)
        live = [i for i in range(len(jobs)) if i not in abandon]
        if not live:
            return abandon, [], [], [], p, p, p_raw
        dev = state.device
        # the most a power cycle from v_max holds: the reboot's harvest refills the capacitor
        start = state.max_j - max(dev.reboot_j - p * dev.reboot_s, 0.0)
        skipped: list[int] = []
        ok: list[int] = []
        for i in live:
            j = jobs[i]
            big_p = j.remaining_j / j.remaining_s if j.remaining_s > 0 else dev.active_w
            cap = start * big_p / (big_p - p) if p < big_p else math.inf
            big_seg = self.segment_test and j.max_plain_j > cap
            if big_seg or self.finish(state, j.remaining_j, j.remaining_s, p) > j.deadline_s:
                skipped.append(i)
            else:
                ok.append(i)
        # the demand bound at a longer memory's peak: a spell that has just begun (or
        # a lull inside a strong one) must not defer a job that the next seconds finish
        p_dem = max(p_adm, p_mem) * self.optimism
        order, deferred = self.admit(jobs, ok, state, p_dem)
        return abandon, order, deferred, skipped, p, p_dem, p_raw

    def pick(self, jobs: Sequence[JobView], state: DeviceState) -> Decision:  # noqa: D102
        seen = self._in_order(jobs)
        if seen is not None:  # a later job of a task waits for the earlier ones
            dec = self.pick([jobs[i] for i in seen], state)
            run = None if dec.run is None else seen[dec.run]
            return replace(dec, run=run, abandon=tuple(seen[i] for i in dec.abandon))
        abandon, order, deferred, skipped, p, p_dem, p_raw = self._admitted(jobs, state)
        if not order and not deferred and not skipped:
            return Decision(None, abandon)
        if order:
            first = order[0]
            if self._fits(jobs[first], state, p_raw):
                return self.run(first, abandon, state)
            slack = jobs[first].deadline_s - self.finish(
                state, jobs[first].remaining_j, jobs[first].remaining_s, p
            )
            need = jobs[first].next_j * (1.0 + self.margin) - p_raw * jobs[first].next_s
            if need <= state.max_j * 0.98 and p_raw > state.device.sleep_w:
                wait = (need - state.energy_j) / (p_raw - state.device.sleep_w)
                if wait <= slack:
                    # a hair above the fit test's threshold, so the test passes after it
                    return Decision(None, abandon, wait_j=need * (1 + 1e-9) + 1e-12)
            return self.run(first, abandon, state)
        rest = deferred + skipped
        if rest and state.energy_j >= state.max_j * 0.999:
            # more harvest would be lost: run a job that can still finish
            can = self.admit(jobs, rest, state, p_dem)[0]
            if can:
                best = min(can, key=lambda i: (jobs[i].deadline_s, jobs[i].priority))
                return self.run(best, abandon, state)
        return Decision(None, abandon, wait_j=state.max_j)


POLICIES: dict[str, Callable[[], Policy]] = {
    "fp": FixedPriority,
    "edf": EDF,
    "edf-pause": lambda: EDF(pause=0.02),
    "edf-yield": lambda: EDF(pause=0.02, yield_=True),
    "ia": IntermittenceAware,
    "ia-yield": lambda: IntermittenceAware(yield_=True, segment_test=False),
}


def make_policy(name: str) -> Policy:
    """A policy by name (``fp``, ``edf``, ``edf-pause``, ``edf-yield``, ``ia``, ``ia-yield``).

    Raises:
        CarinError: Unknown name (the message lists the known ones).
    """
    try:
        return POLICIES[name]()
    except KeyError:
        raise CarinError(
            f"unknown scheduling policy {name!r}; allowed: {', '.join(POLICIES)}"
        ) from None
