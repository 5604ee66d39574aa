"""Event-driven simulation of several periodic DNN tasks on one intermittent device.

It extends :class:`~carin.intermittent.simulator.Simulator` (same capacitor, harvest and
atom execution, so one task gives the same results) from one job at a time to a job
queue:

* Every task releases a job every ``period`` seconds from its ``offset``; a job succeeds
  when it completes within ``deadline`` of its release (which may exceed the period, so
  several jobs of a task can wait together). Only jobs whose deadline falls inside the
  trace are released.
* A :class:`~carin.intermittent.policies.Policy` decides what runs: after a release (the
  running job first continues to its next commit), a completion, a drop, a reboot, a
  wait or a pause. **Preemption happens only at commit points**: the preempted job's progress is in
  FRAM and its compiled atoms already read their inputs from FRAM after a commit, so it
  resumes where it stopped and loses nothing. A switch costs ``switch_j`` and
  ``switch_s`` (default: one FRAM write of a 4-word scheduler record and 50 CPU
  operations), charged to the job switched to.
* A **just-in-time checkpoint** belongs to one job: after the reboot that follows it, that
  job restores and runs before any decision (its position is not a commit point).
* **No job runs past its deadline**: the running job is stopped at its deadline and every
  waiting job whose deadline passes is dropped (missed). A policy may also drop jobs
  (abandoned).
* A reboot is charged to the job with the pending JIT checkpoint or else the ready job
  with the earliest deadline; reboots while no job is ready are charged to none.
* **Pausing** (when the policy's decision asks for it, ``Decision.pause_j``): where the
  capacitor falls to the pause level the job stops, the device stays on and sleeps
  (``sleep_w``) until the refill level, the next release or the job's deadline, and
  the job continues exactly where it stopped: no reboot, no restore, no work redone.
  A job paused between commit points keeps the device (its volatile state is in SRAM):
  it continues to its next commit before the policy decides again. If the harvest does
  not cover the sleep and the power fails during it, the job resumes from its last
  commit, as after any power failure (its JIT protection is not used then).
* **Yielding** (when the policy :attr:`~carin.intermittent.policies.Policy.yields`):
  at a pause between commit points -- when the job pauses, and again each time a
  release ends its sleep -- :meth:`~carin.intermittent.policies.Policy.yield_to` may
  name another ready job. The paused job then saves its volatile state just in time:
  the state of its current atom (:attr:`~carin.intermittent.cm.Atoms.state_bytes`: the
  layer's input if in SRAM, the output being built, the registers -- what a ``J``
  checkpoint of that atom writes; in a depth-first slice, the tile buffers), written by
  one DMA write (energy, time and FRAM
  bytes charged to the job); if the capacitor holds less than that, the device first
  sleeps (on) until it does. The job keeps a restore, a DMA read of the same state,
  paid when it runs again; it then continues exactly where it stopped. After the save
  the policy decides again. A power failure after the save loses nothing; one before
  it completes sends the job back to its last commit. FRAM has **one yield buffer per
  task**: a job yields only while no other job of its task holds it, and only if the
  save fits in a capacitor at ``v_max``. The JIT buffer is separate. A yielded job
  counts as preempted.

Per job it records the outcome (done, missed or abandoned), latency, energy, FRAM bytes,
power failures and preemptions (:class:`TaskSetResults`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from carin.intermittent.analytical import _grouped
from carin.intermittent.cm import Atoms
from carin.intermittent.device import Device
from carin.intermittent.policies import Decision, DeviceState, Policy, TaskView
from carin.intermittent.simulator import (
    _DONE,
    _EPS,
    _FAIL,
    JobResults,
    SimError,
    Simulator,
    _Program,
    _Schedule,
)
from carin.intermittent.tasks import SWITCH_RECORD_WORDS, Task
from carin.intermittent.traces import Trace

__all__ = [
    "DONE",
    "MISSED",
    "ABANDONED",
    "Stretch",
    "TaskProgram",
    "Job",
    "TaskSetResults",
    "MultiSimulator",
]

DONE, MISSED, ABANDONED = 0, 1, 2
_STATUS = {DONE: "done", MISSED: "missed", ABANDONED: "abandoned"}
_PREEMPT, _MISS, _PAUSE = 10, 11, 12


class Stretch(NamedTuple):
    """One uninterrupted run of a job, from a decision to the next stop.

    Attributes:
        task, seq: The job (task index, job number within the task).
        energy_j: Energy it consumed (restore included).
        level_j: Energy in the capacitor when it began.
        failed: Whether it ended with a power failure (a run that ended in a pause has
            not failed).
        t0, t1: Start and end time (before any JIT checkpoint write).
        tau0, tau1: Position in the job's program at start and end.
        lost: It ended in a pause between commit points and the power failed during
            the pause's sleep, so the job resumes from its last commit.
        yielded: It ended in a pause between commit points and the job yielded: its
            volatile state was saved, and it resumes where it stopped (after a restore).
    """

    task: int
    seq: int
    energy_j: float
    level_j: float
    failed: bool
    t0: float
    t1: float
    tau0: float
    tau1: float
    lost: bool = False
    yielded: bool = False


class TaskProgram(_Program):
    """A compiled plan prepared for a job queue: its commit points and segments.

    Positions are in failure-free execution time from the job's start. A position is a
    commit point where the atom before it commits (or at 0).
    """

    def __init__(self, atoms: Atoms) -> None:
        super().__init__(atoms)
        n = len(atoms)
        commit = np.asarray(atoms.commit, bool)
        ct = np.asarray(self.ct)
        first = np.where(commit, np.arange(n), n)
        nxt = np.minimum.accumulate(first[::-1])[::-1] if n else first
        self.next_commit = np.where(nxt < n, ct[np.minimum(nxt + 1, n)], ct[-1]).tolist()
        self.commit_at = np.concatenate([[True], commit]).tolist()  # position ct[k]
        segs, index = _grouped(atoms)
        w = np.array([s[0] for s in segs], dtype=float)
        d = np.array([s[1] for s in segs], dtype=float)
        jit = np.array([s[2] for s in segs], dtype=bool)
        plain = np.where(jit, 0.0, w)
        self.seg_of = index.tolist()
        self.seg_w = w.tolist()
        self.seg_d = d.tolist()
        self.seg_jit = jit.tolist()
        self.seg_max_plain = np.maximum.accumulate(plain[::-1])[::-1].tolist() if plain.size else []
        self.total_e = self.ce[-1]
        sb = atoms.state_bytes
        self.state_b = (np.full(n, math.inf) if sb is None else np.asarray(sb, float)).tolist()


class Job:
    """One released job (the simulator's state of it; policies read it as a JobView)."""

    __slots__ = (
        "task",
        "seq",
        "release_s",
        "deadline_s",
        "priority",
        "weight",
        "prog",
        "tau",
        "restore",
        "energy",
        "nvm",
        "cycles",
        "preempted",
        "started",
        "config",
        "power_w",
        "pause",
        "yielded",
        "_at",
        "_remaining_j",
        "_remaining_s",
        "_next_j",
        "_next_s",
        "_next_jit",
        "_max_plain_j",
        "_state_bytes",
    )

    def __init__(
        self,
        task: int,
        seq: int,
        release_s: float,
        deadline_s: float,
        priority: int,
        weight: float,
        prog: TaskProgram,
        config: int,
        power_w: float,
    ) -> None:
        self.task = task
        self.seq = seq
        self.release_s = release_s
        self.deadline_s = deadline_s
        self.priority = priority
        self.weight = weight
        self.prog = prog
        self.tau = 0.0
        self.restore: _Schedule | None = None
        self.energy = 0.0
        self.nvm = 0.0
        self.cycles = 0
        self.preempted = 0
        self.started = False
        self.config = config
        self.power_w = power_w
        self.pause: tuple[float, float] = (0.0, 0.0)
        self.yielded = False  # its volatile state is in its task's yield buffer
        self._at = math.nan  # the position of the cached quantities (see _refresh)

    def _refresh(self) -> None:
        """Compute the quantities a policy reads at the job's position (cached per
        position: policies read them many times between two moves of the job)."""
        prog = self.prog
        tau = self.tau
        k = bisect_right(prog.ct, tau) - 1
        n = prog.n
        # as prog.energy_at(tau), prog.atom_at(tau) and the segment there
        self._remaining_j = prog.total_e - (
            prog.ce[-1] if k >= n else prog.ce[k] + prog.pw[k] * (tau - prog.ct[k])
        )
        self._remaining_s = max(prog.total_t - tau, 0.0)
        atom = min(k, n - 1)
        seg = prog.seg_of[atom] if n else 0
        self._next_j = prog.seg_w[seg] if prog.seg_w else 0.0
        self._next_s = prog.seg_d[seg] if prog.seg_d else 0.0
        self._next_jit = bool(prog.seg_jit[seg]) if prog.seg_jit else False
        self._max_plain_j = prog.seg_max_plain[seg] if prog.seg_max_plain else 0.0
        self._state_bytes = prog.state_b[atom] if n else 0.0
        self._at = tau

    @property
    def remaining_j(self) -> float:
        """Failure-free energy from the job's position to its end."""
        if self._at != self.tau:
            self._refresh()
        return self._remaining_j

    @property
    def remaining_s(self) -> float:
        """Failure-free time from the job's position to its end."""
        if self._at != self.tau:
            self._refresh()
        return self._remaining_s

    @property
    def next_j(self) -> float:
        """Energy of the segment the job continues with."""
        if self._at != self.tau:
            self._refresh()
        return self._next_j

    @property
    def next_s(self) -> float:
        """Time of the segment the job continues with."""
        if self._at != self.tau:
            self._refresh()
        return self._next_s

    @property
    def next_jit(self) -> bool:
        """Whether that segment keeps its progress on a power failure."""
        if self._at != self.tau:
            self._refresh()
        return self._next_jit

    @property
    def state_bytes(self) -> float:
        """Volatile state a save at the job's position writes (``inf``: not known)."""
        if self._at != self.tau:
            self._refresh()
        return self._state_bytes

    @property
    def max_plain_j(self) -> float:
        """Largest segment left without JIT protection."""
        if self._at != self.tau:
            self._refresh()
        return self._max_plain_j


@dataclass(frozen=True, kw_only=True)
class TaskSetResults:
    """Per-job outcomes of a task-set simulation, jobs ordered by (release, task).

    Attributes:
        task_names: Names of the tasks (``task`` indexes them).
        task: Task of each job.
        release_s, deadline_s: Release time and absolute deadline.
        status: ``DONE`` (0), ``MISSED`` (1: its deadline passed) or ``ABANDONED`` (2:
            dropped by the policy).
        latency_s: Completion minus release (NaN unless done).
        energy_j: Energy the device consumed for the job (work, lost work, checkpoints,
            restores, reboots charged to it, switches to it).
        nvm_bytes: FRAM bytes written for the job.
        cycles: Power failures charged to the job.
        preemptions: Times the job was preempted.
        config: Index of the configuration the job ran under (run-time adaptation).
        power_w: Harvested power at release (mean over the second before it).
        weight: The task's weight for each job.
        sim_time_s: Simulated time span.
    """

    task_names: tuple[str, ...]
    task: np.ndarray
    release_s: np.ndarray
    deadline_s: np.ndarray
    status: np.ndarray
    latency_s: np.ndarray
    energy_j: np.ndarray
    nvm_bytes: np.ndarray
    cycles: np.ndarray
    preemptions: np.ndarray
    config: np.ndarray
    power_w: np.ndarray
    weight: np.ndarray
    sim_time_s: float

    @property
    def n_jobs(self) -> int:
        """Jobs released."""
        return int(self.task.size)

    @property
    def completed(self) -> np.ndarray:
        """Which jobs completed by their deadline."""
        return self.status == DONE

    @property
    def succeeded(self) -> int:
        """Number of jobs completed by their deadline."""
        return int(np.count_nonzero(self.status == DONE))

    def as_job_results(self) -> JobResults:
        """The jobs as single-task :class:`JobResults` (for band statistics)."""
        return JobResults(
            release_s=self.release_s,
            completed=self.completed,
            latency_s=self.latency_s,
            energy_j=self.energy_j,
            nvm_bytes=self.nvm_bytes,
            cycles=self.cycles,
            plan=self.config,
            power_w=self.power_w,
            sim_time_s=self.sim_time_s,
        )

    def summary(self, mask: np.ndarray | None = None) -> dict[str, float]:
        """Totals over the jobs in ``mask`` (all by default).

        Returns ``jobs``, ``succeeded``, ``missed``, ``abandoned``, ``success_rate``
        (percent), ``weighted_success`` (percent of the weight of the jobs),
        ``latency_ms`` (mean over completed jobs), ``energy_mj``, ``nvm_kb`` and
        ``cycles`` (means per job).
        """
        m = np.ones(self.n_jobs, bool) if mask is None else np.asarray(mask, bool)
        n = int(m.sum())
        st = self.status[m]
        done = st == DONE
        nan = float("nan")
        lat = self.latency_s[m][done]
        w = self.weight[m]
        return {
            "jobs": n,
            "succeeded": int(done.sum()),
            "missed": int(np.count_nonzero(st == MISSED)),
            "abandoned": int(np.count_nonzero(st == ABANDONED)),
            "success_rate": float(100.0 * done.mean()) if n else nan,
            "weighted_success": float(100.0 * w[done].sum() / w.sum()) if n else nan,
            "latency_ms": float(lat.mean() * 1e3) if lat.size else nan,
            "energy_mj": float(self.energy_j[m].mean() * 1e3) if n else nan,
            "nvm_kb": float(self.nvm_bytes[m].mean() / 1024.0) if n else nan,
            "cycles": float(self.cycles[m].mean()) if n else nan,
        }

    def per_task(self, mask: np.ndarray | None = None) -> dict[str, dict[str, float]]:
        """:meth:`summary` per task (``{task name: summary}``)."""
        m = np.ones(self.n_jobs, bool) if mask is None else np.asarray(mask, bool)
        return {name: self.summary(m & (self.task == k)) for k, name in enumerate(self.task_names)}


class MultiSimulator(Simulator):
    """Simulate a task set's jobs over a trace on a device.

    Args:
        trace: Harvested power.
        device: The device model.
        switch_j, switch_s: Cost of switching from a preempted job to another (default:
            one FRAM write of 4 words plus 50 CPU operations).
    """

    def __init__(
        self,
        *,
        trace: Trace,
        device: Device,
        switch_j: float | None = None,
        switch_s: float | None = None,
    ) -> None:
        super().__init__(trace=trace, device=device)
        we, wd = device.dma_write(SWITCH_RECORD_WORDS)
        ce, cd = device.cpu_ops(50)
        self.switch_j = we + ce if switch_j is None else float(switch_j)
        self.switch_s = wd + cd if switch_s is None else float(switch_s)
        if self.switch_j < 0 or self.switch_s < 0:
            raise SimError("switch_j and switch_s must be >= 0")
        self.stretches: list[Stretch] | None = None

    def harvest_w(self, t: float, window_s: float) -> float:
        """Mean net harvested power over ``[t - window_s, t]`` (W)."""
        a = max(0.0, t - window_s)
        return (self.harvest(t) - self.harvest(a)) / max(t - a, self.dt)

    # -- waiting on energy ---------------------------------------------------
    def _sleep_to(
        self, t: float, e: float, target: float, until: float
    ) -> tuple[bool, float, float]:
        """Sleep while on until the level reaches ``target`` or time ``until``.

        Returns (still on, t, e).
        """
        e_max = self.e_max
        target = min(target, e_max * (1.0 - 1e-9))
        sw = self.device.sleep_w
        until = min(until, self.end)
        plist = self.p
        dt = self.dt
        inv_dt = self.inv_dt
        n = self.n
        i, t_next = -1, -1.0  # sample i ends at t_next = (i + 1) * dt
        while t < until and e < target:
            if t == t_next:  # t is the float (i + 1) * dt, which _idx maps to i + 1
                i += 1
            else:  # self._idx(t), inlined
                i = int(t * inv_dt)
                if (i + 1) * dt <= t:
                    i += 1
                if i > n:
                    i = n
            t_stop = t_next = (i + 1) * dt
            if t_stop > until:
                t_stop = until
            span = t_stop - t
            if span <= 0:
                t = t_stop
                continue
            f = plist[i] - sw
            if f > 0:
                need = target - e
                if need <= f * span:
                    return True, t + need / f, target
                lvl = e + f * span
                e = lvl if lvl < e_max else e_max  # min(e_max, lvl)
            elif f < 0:
                lvl = e + f * span
                if lvl <= 0:
                    return False, t + e / -f, 0.0
                e = lvl
            t = t_stop
        return True, t, e

    # -- simulation ------------------------------------------------------------
    def run(
        self,
        tasks: Sequence[Task],
        configs: Sequence[tuple[Sequence[Atoms | TaskProgram], Policy]],
        *,
        choose: Callable[[float], int] | None = None,
    ) -> TaskSetResults:
        """Release every task's jobs and simulate them until the trace ends.

        Args:
            tasks: The tasks (periods, deadlines, priorities, weights, offsets).
            configs: One or more configurations, each the compiled plan of every task
                (:class:`~carin.intermittent.cm.Atoms`, or a :class:`TaskProgram` made
                from them to reuse across runs) and a policy. With several, ``choose``
                picks one at every release.
            choose: Maps the harvested power at a release (W, mean over the second
                before it) to a configuration index; the released job runs that
                configuration's plan for its task and the scheduler follows that
                configuration's policy from then on.

        Raises:
            SimError: No configuration, a configuration without one plan per task, or no
                job fits in the trace.
        """
        if not configs or not tasks:
            raise SimError("simulate: needs at least one task and one configuration")
        nt = len(tasks)
        progs = []
        for atoms, _pol in configs:
            if len(atoms) != nt:
                raise SimError(f"simulate: a configuration has {len(atoms)} plans for {nt} tasks")
            progs.append([a if isinstance(a, TaskProgram) else TaskProgram(a) for a in atoms])
        policies = [pol for _a, pol in configs]
        dev = self.device
        end = self.end
        boot = _Schedule.single(max(dev.reboot_s, 1e-12), dev.reboot_j)
        switch = (
            _Schedule.single(max(self.switch_s, 1e-12), self.switch_j)
            if self.switch_j > 0
            else None
        )
        inf = math.inf
        nxt = []
        for tk in tasks:
            r = float(tk.offset_s)
            nxt.append(r if r + tk.deadline_s <= end and r < end else inf)
        seqs = [0] * nt
        ready: list[Job] = []
        out: list[Job] = []
        status: dict[int, tuple[int, float]] = {}
        t, e, on, booted = 0.0, 0.0, False, False
        jit_job: Job | None = None
        held: Job | None = None  # a paused job: continues first (see below)
        held_commit, held_version = False, 0  # paused at a commit point; version then
        running: Job | None = None  # the job of the last step, if it is unfinished
        cfg = 0
        policy = policies[0]
        version = 0
        cached: tuple[int, Job | None] | None = None
        views: tuple[TaskView, ...] | None = None  # the tasks' coming jobs (see DeviceState)
        log_stretch = self.stretches is not None
        # the last yield_to answer (version, policy, paused job, answer): reused, like a
        # decision, while the ready jobs stay the same if the policy ignores the state
        yield_memo: tuple[int, Policy, Job, bool] | None = None

        def finish(job: Job, how: int, when: float) -> None:
            nonlocal version, jit_job, running, held
            ready.remove(job)
            status[id(job)] = (how, when)
            out.append(job)
            version += 1
            if job is jit_job:
                jit_job = None
            if job is running:
                running = None
            if job is held:
                held = None

        nr = min(nxt)
        harvested = self._harvest_fn()

        def device_state(t: float, e: float) -> DeviceState:
            nonlocal views
            if views is None:
                views = tuple(
                    TaskView(
                        period_s=tk.period_s,
                        deadline_s=tk.deadline_s,
                        next_release_s=nxt[k],
                        job_j=progs[cfg][k].total_e,
                        job_s=progs[cfg][k].total_t,
                        weight=tk.weight,
                        priority=tk.priority,
                    )
                    for k, tk in enumerate(tasks)
                )
            return DeviceState(
                now_s=t,
                energy_j=e,
                full_j=self.e_full,
                max_j=self.e_max,
                device=dev,
                harvest=lambda w, t=t: self.harvest_w(t, w),
                harvested=harvested,
                tasks=views,
                end_s=end,
            )

        def yields_now(job: Job, t: float, e: float) -> bool:
            """Whether the policy's :meth:`~Policy.yield_to` names a job other than ``job``."""
            nonlocal yield_memo
            m = yield_memo
            if (
                m is not None
                and m[0] == version
                and m[1] is policy
                and m[2] is job
                and not policy.uses_energy
            ):
                return m[3]
            ans = policy.yield_to(ready, ready.index(job), device_state(t, e)) is not None
            yield_memo = (version, policy, job, ans)
            return ans

        def p_now(r: float) -> float:
            return (self.harvest(r) - self.harvest(max(0.0, r - 1.0))) / max(min(r, 1.0), self.dt)

        while True:
            # releases due by now
            while nr <= t:
                for k in range(nt):
                    r = nxt[k]
                    if r > t:
                        continue
                    tk = tasks[k]
                    pw = p_now(r)
                    if choose is not None and len(configs) > 1:
                        c = int(choose(pw))
                        if c != cfg:
                            cfg = c
                            policy = policies[c]
                            cached = None
                    job = Job(
                        k,
                        seqs[k],
                        r,
                        r + tk.deadline_s,
                        tk.priority,
                        tk.weight,
                        progs[cfg][k],
                        cfg,
                        pw,
                    )
                    seqs[k] += 1
                    ready.append(job)
                    version += 1
                    r2 = tk.offset_s + seqs[k] * tk.period_s
                    nxt[k] = r2 if r2 + tk.deadline_s <= end and r2 < end else inf
                nr = min(nxt)
                views = None
            # deadlines passed
            for job in ready:
                if job.deadline_s <= t:
                    for gone in [j for j in ready if j.deadline_s <= t]:
                        finish(gone, MISSED, gone.deadline_s)
                    break
            if not ready:
                if nr == inf:
                    break
                t, e, on = self._idle(t, e, on, nr, boot)
                t = max(t, nr)
                booted = on
                continue
            first_dl = ready[0].deadline_s
            for j in ready:
                if j.deadline_s < first_dl:
                    first_dl = j.deadline_s
            if not on:
                lim = min(first_dl, nr, end)
                tc = self.charge_time(t, self.e_full - e)
                if tc is None or tc >= lim:
                    e = min(self.e_full, e + self.harvest(lim) - self.harvest(t))
                    t = lim
                    if lim >= end:
                        break
                    continue
                self._log(0, t, tc)
                t, e, on, booted = tc, self.e_full, True, False
                self._t_on = t
            if not booted:
                payer = jit_job or min(ready, key=lambda j: (j.deadline_s, j.priority, j.release_s))
                st, t, e = self._overhead(boot, payer, t, e, min(first_dl, end))
                if st == _FAIL:
                    on = False
                    continue
                booted = True
                running = None
                continue  # deadlines may have passed during the boot
            # choose
            if jit_job is not None:
                job = jit_job
            elif held is not None and (
                not held_commit or (held_version == version and not policy.uses_energy)
            ):
                job = held
            else:
                held = None
                if cached is not None and cached[0] == version and not policy.uses_energy:
                    job = cached[1]
                else:
                    dec: Decision = policy.pick(ready, device_state(t, e))
                    job = ready[dec.run] if dec.run is not None else None
                    if job is not None:
                        if dec.pause_j > 0 and not dec.refill_j > dec.pause_j:
                            raise SimError(
                                f"policy {policy.name}: refill_j must exceed pause_j "
                                f"({dec.refill_j} <= {dec.pause_j})"
                            )
                        job.pause = (dec.pause_j, dec.refill_j)
                    for gone in [ready[i] for i in dec.abandon]:
                        if gone is not job:
                            finish(gone, ABANDONED, t)
                    cached = (version, job)
                    if job is None:
                        if not ready:
                            continue
                        until = min(nr, first_dl, end)
                        if min(dec.wait_j, self.e_max * (1.0 - 1e-9)) > e:
                            on, t, e = self._sleep_to(t, e, dec.wait_j, until)
                        else:
                            on, t, e = self._sleep(t, e, until)
                        if not on:
                            self._log(1, self._t_on, t)
                            e = 0.0
                        cached = None
                        continue
            if running is not None and running is not job:
                prev, running = running, None
                if prev in ready:  # preempted at a commit point
                    prev.preempted += 1
                    if switch is not None:
                        st, t, e = self._overhead(switch, job, t, e, min(job.deadline_s, end))
                        if st == _FAIL:
                            on = False
                        if st != _DONE:
                            continue
            # a paused job continues: between commit points, to its next commit if the
            # ready jobs changed during its pause or the policy reads the energy (then
            # the policy decides again); at a commit point, unless one of those holds
            again = held_version != version or policy.uses_energy
            stop = t if job is held and again else nr
            res, t, e = self._step(job, t, e, stop, log_stretch)
            job.started = True
            if job is held:
                held = None
            if res == _PAUSE:
                # the level reached the job's pause level: sleep (on) instead of browning out
                prog = job.prog
                k = bisect_right(prog.ct, job.tau) - 1
                at_commit = k <= prog.n and abs(prog.ct[min(k, prog.n)] - job.tau) < 1e-12
                at_commit = at_commit and prog.commit_at[min(k, prog.n)]
                at_commit = at_commit or job.yielded  # its state is in FRAM already
                if (
                    not at_commit
                    and policy.yields
                    and len(ready) > 1
                    and not any(j.yielded and j.task == job.task for j in ready)
                    and self._save_cost(job)[0] < self.e_max * (1.0 - 1e-6)
                    and yields_now(job, t, e)
                ):
                    res, on, t, e = self._yield(job, t, e)
                    if res == _DONE:  # saved: the policy decides again
                        running, held, cached = job, None, None
                        if log_stretch and self.stretches:
                            self.stretches[-1] = self.stretches[-1]._replace(yielded=True)
                        continue
                    if res == _FAIL:
                        self._log(1, self._t_on, t)
                        e = 0.0
                        self._lose_volatile(job)
                    held = running = None
                    continue
                # after the refill it continues unless the ready jobs changed meanwhile
                # (then, at a commit point, the policy decides again)
                held, held_commit, held_version = job, at_commit, version
                running = job
                cached = None
                on, t, e = self._sleep_to(t, e, job.pause[1], min(nr, job.deadline_s, end))
                if not on:  # the harvest did not cover sleeping: a power failure after all
                    self._log(1, self._t_on, t)
                    e = 0.0
                    if not held_commit:
                        self._lose_volatile(job)
                    held = running = None
                continue
            if res == _DONE:
                finish(job, DONE, t)
            elif res == _MISS:
                finish(job, MISSED, job.deadline_s)
            elif res == _FAIL:
                if job.restore is not None and not job.yielded:
                    jit_job = job
                running = None
                self._log(1, self._t_on, t)
                on, e = False, 0.0
            else:  # a commit point reached after a release: decide again
                running = job
        for job in list(ready):
            finish(job, MISSED, job.deadline_s)
        if not out:
            raise SimError("simulate: no job fits in the trace (periods/deadlines too long)")
        out.sort(key=lambda j: (j.release_s, j.task, j.seq))
        st_arr = np.array([status[id(j)][0] for j in out], dtype=np.int8)
        when = np.array([status[id(j)][1] for j in out], dtype=float)
        rel = np.array([j.release_s for j in out])
        return TaskSetResults(
            task_names=tuple(tk.name for tk in tasks),
            task=np.array([j.task for j in out], dtype=np.int64),
            release_s=rel,
            deadline_s=np.array([j.deadline_s for j in out]),
            status=st_arr,
            latency_s=np.where(st_arr == DONE, when - rel, np.nan),
            energy_j=np.array([j.energy for j in out]),
            nvm_bytes=np.array([j.nvm for j in out]),
            cycles=np.array([j.cycles for j in out], dtype=np.int64),
            preemptions=np.array([j.preempted for j in out], dtype=np.int64),
            config=np.array([j.config for j in out], dtype=np.int64),
            power_w=np.array([j.power_w for j in out]),
            weight=np.array([j.weight for j in out]),
            sim_time_s=float(min(t, end)),
        )

    def _overhead(
        self, work: _Schedule, payer: Job, t: float, e: float, limit: float
    ) -> tuple[int, float, float]:
        """Run a reboot or a switch charged to ``payer``; a brown-out in it is logged."""
        st, t, e, pos = self._exec(work, 0.0, t, e, limit)
        payer.energy += work.energy_at(pos)
        if st == _FAIL:
            self._log(1, self._t_on, t)
            payer.cycles += 1
            e = 0.0
        return st, t, e

    def _lose_volatile(self, job: Job) -> None:
        """The power failed while ``job`` held volatile state (paused between commit
        points): it goes back to its last commit, and its last run is marked lost."""
        job.tau = job.prog.resume[job.prog.atom_at(job.tau)]
        job.cycles += 1
        if self.stretches:
            self.stretches[-1] = self.stretches[-1]._replace(lost=True)

    def _save_cost(self, job: Job) -> tuple[float, float, float, float]:
        """``(save_j, save_s, restore_j, restore_s)``: a DMA write and a DMA read of the
        job's volatile state at its position (as a ``J`` checkpoint's)."""
        n = job.state_bytes / self.device.element_bytes
        return (*self.device.dma_write(n), *self.device.dma_read(n))

    def _yield(self, job: Job, t: float, e: float) -> tuple[int, bool, float, float]:
        """Save the volatile state of ``job``, paused between its commit points.

        The device sleeps (on) until the capacitor holds the save's energy (a DMA write
        of :attr:`Job.state_bytes`), then writes it, charged to the job; the job then
        holds a restore (a DMA read of the same state) for when it runs again. Returns
        ``(status, on, t, e)``: ``_DONE`` saved; ``_FAIL`` the power failed before or
        during the save (the caller sends the job back to its last commit); ``_MISS``
        the job's deadline came first (nothing saved).
        """
        save_j, save_s, load_j, load_s = self._save_cost(job)
        limit = min(job.deadline_s, self.end)
        if e < save_j:
            on, t, e = self._sleep_to(t, e, save_j * (1.0 + 1e-9), limit)
            if not on:
                return _FAIL, False, t, 0.0
            if t >= limit:
                return _MISS, True, t, e
        save = _Schedule.single(max(save_s, 1e-12), save_j)
        st, t, e, pos = self._exec(save, 0.0, t, e, limit)
        job.energy += save.energy_at(pos)
        if st == _FAIL:
            return _FAIL, False, t, 0.0
        if st != _DONE:
            return _MISS, True, t, e
        job.nvm += job.state_bytes
        job.yielded = True
        job.restore = _Schedule.single(max(load_s, 1e-12), load_j)
        return _DONE, True, t, e

    def _step(
        self, job: Job, t: float, e: float, stop_at: float, log_stretch: bool
    ) -> tuple[int, float, float]:
        """Run ``job`` (device on and booted) until it completes, misses its deadline,
        loses power, or reaches the first commit point at or after ``stop_at``."""
        prog = job.prog
        limit = min(job.deadline_s, self.end)
        floor = job.pause[0]
        t_begin, e_begin, lvl_begin = t, job.energy, e
        if job.yielded and floor > 0 and e <= floor:
            return _PAUSE, t, e  # before its restore: the state stays in FRAM
        if job.restore is not None:
            rs = job.restore
            st, t1, e1, pos = self._exec(rs, 0.0, t, e, limit)
            job.energy += rs.energy_at(pos)
            t, e = t1, e1
            if st == _FAIL:
                job.cycles += 1
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, job.tau, job.tau, True, log_stretch
                )
                return _FAIL, t, e
            if st != _DONE:
                return _MISS, t, e
            job.restore = None
            job.yielded = False
        tau = job.tau
        tau_begin = tau
        if floor > 0 and e <= floor:
            return _PAUSE, t, e
        to_commit = False
        e_at, n_at = prog.energy_nvm_at(tau)
        while True:
            if to_commit:
                k = prog.atom_at(tau)
                lim = min(limit, t + (prog.next_commit[k] - tau))
            else:
                lim = min(limit, stop_at)
            if floor > 0:
                st, t1, e1, new_tau = self._exec_above(prog, tau, t, e, lim, floor)
            else:
                st, t1, e1, new_tau = self._exec(prog, tau, t, e, lim)
            e_new, n_new = prog.energy_nvm_at(new_tau)
            job.energy += e_new - e_at
            job.nvm += n_new - n_at
            t, e = t1, e1
            if st == _DONE:
                job.tau = prog.total_t
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, tau_begin, prog.total_t, False, log_stretch
                )
                return _DONE, t, e
            if st == _FAIL and floor > 0:
                job.tau = new_tau
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, tau_begin, new_tau, False, log_stretch
                )
                return _PAUSE, t, e
            if st == _FAIL:
                job.cycles += 1
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, tau_begin, new_tau, True, log_stretch
                )
                k = prog.atom_at(new_tau)
                if prog.jit[k] and e1 >= prog.ckpt_j[k] * (1 - 1e-9) and prog.ckpt_j[k] > 0:
                    job.energy += prog.ckpt_j[k]
                    job.nvm += prog.ckpt_b[k]
                    t += prog.ckpt_s[k]
                    job.tau = new_tau
                    job.restore = _Schedule.single(max(prog.restore_s[k], 1e-12), prog.restore_j[k])
                else:
                    job.tau = prog.resume[k]
                    job.restore = None
                return _FAIL, t, e
            if t >= limit:
                job.tau = new_tau
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, tau_begin, new_tau, False, log_stretch
                )
                return _MISS, t, e
            if to_commit:
                k = prog.atom_at(tau)
                c = prog.next_commit[k]
                job.tau = c
                self._stretch(job, t_begin, t, e_begin, lvl_begin, tau_begin, c, False, log_stretch)
                if c >= prog.total_t - _EPS:
                    return _DONE, t, e
                return _PREEMPT, t, e
            tau, e_at, n_at = new_tau, e_new, n_new
            k = bisect_right(prog.ct, tau) - 1
            if k <= prog.n and abs(prog.ct[min(k, prog.n)] - tau) < 1e-12 and prog.commit_at[k]:
                job.tau = prog.ct[k]
                self._stretch(
                    job, t_begin, t, e_begin, lvl_begin, tau_begin, job.tau, False, log_stretch
                )
                return _PREEMPT, t, e
            to_commit = True

    def _exec_above(
        self, s: _Schedule, tau: float, t: float, e: float, t_limit: float, floor: float
    ) -> tuple[int, float, float, float]:
        """:meth:`_exec` with the level ``floor`` in place of ``v_off``: it stops (status
        failed) where the level reaches ``floor``, the device still on."""
        st, t, e, tau = self._exec(s, tau, t, e - floor, t_limit, self.e_max - floor)
        return st, t, e + floor, tau

    def _stretch(
        self,
        job: Job,
        t0: float,
        t1: float,
        e0: float,
        level: float,
        tau0: float,
        tau1: float,
        failed: bool,
        on: bool,
    ) -> None:
        """Log one uninterrupted run of a job (see :attr:`stretches`)."""
        if on and self.stretches is not None:
            self.stretches.append(
                Stretch(job.task, job.seq, job.energy - e0, level, failed, t0, t1, tau0, tau1)
            )
