"""Event-driven simulation of periodic inference jobs on an intermittent device.

The device alternates between *off* (the capacitor charges from harvested power until
it holds ``cycle_energy_j`` above ``v_off``, i.e. reaches ``v_on``) and *on* (reboot,
restore, execute atoms, or sleep while waiting for a job). Harvested power is constant
over each trace sample, and every atom draws its energy evenly over its time, so the
capacitor energy is piecewise linear in time between breakpoints (sample boundaries and
atom boundaries). The simulator evaluates it only at those breakpoints, vectorised over
a chunk of atoms at a time:

* cumulative net harvest ``H`` (``np.cumsum``) gives the capacitor level
  ``X(t) = E0 + H(t) - H(t0) - consumed(t)``, clipped at ``v_max`` with the
  running-maximum (Skorokhod) reflection ``X - max(0, cummax(X - E_max))``;
* the first breakpoint where the level falls to the failure threshold (0, or the JIT
  reserve while a ``J`` atom runs) is found with one vector comparison and the exact
  failure time by linear interpolation inside that interval;
* recharge time is one ``np.searchsorted`` on ``H``.

Jobs are released every ``period`` seconds (or back to back, each released when the
previous one ends) and abandoned at their deadline. On a failure the job resumes after
recharge and reboot from its last commit (or, in a ``J`` atom, from where it stopped,
after the JIT checkpoint and a restore).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from carin.errors import CarinError
from carin.intermittent.cm import Atoms
from carin.intermittent.device import Device
from carin.intermittent.traces import Trace

__all__ = ["SimError", "JobResults", "Simulator", "simulate"]


class SimError(CarinError):
    """Bad simulation parameters."""


@dataclass(frozen=True, kw_only=True)
class JobResults:
    """Per-job outcomes of one simulation (arrays indexed by job).

    Attributes:
        release_s: Release time of each job.
        completed: Finished by its deadline.
        latency_s: Completion minus release (NaN when not completed).
        energy_j: Energy the device consumed for the job (work, waste, reboots, checkpoints).
        nvm_bytes: FRAM bytes written for the job.
        cycles: Power failures during the job.
        plan: Index of the plan the job ran (run-time adaptation), else 0.
        sim_time_s: Simulated time span.
    """

    release_s: np.ndarray
    completed: np.ndarray
    latency_s: np.ndarray
    energy_j: np.ndarray
    nvm_bytes: np.ndarray
    cycles: np.ndarray
    plan: np.ndarray
    sim_time_s: float

    @property
    def n_jobs(self) -> int:
        """Number of jobs released."""
        return int(self.release_s.size)

    def summary(self, mask: np.ndarray | None = None) -> dict[str, float]:
        """Aggregate metrics (over the jobs selected by ``mask``).

        Returns ``success_rate`` (percent of jobs completed by their deadline),
        ``latency_ms`` (mean over completed jobs, NaN when none), ``energy_mj``,
        ``nvm_kb`` (means per job), ``cycles`` (mean failures per job) and ``jobs``.
        """
        m = np.ones(self.n_jobs, bool) if mask is None else np.asarray(mask, bool)
        n = int(m.sum())
        if n == 0:
            nan = float("nan")
            return {"success_rate": nan, "latency_ms": nan, "energy_mj": nan, "nvm_kb": nan,
                    "cycles": nan, "jobs": 0}
        done = self.completed[m]
        lat = self.latency_s[m][done]
        return {
            "success_rate": float(100.0 * done.mean()),
            "latency_ms": float(lat.mean() * 1e3) if lat.size else float("nan"),
            "energy_mj": float(self.energy_j[m].mean() * 1e3),
            "nvm_kb": float(self.nvm_bytes[m].mean() / 1024.0),
            "cycles": float(self.cycles[m].mean()),
            "jobs": n,
        }


class _Program:
    """An atom sequence prepared for execution (cumulative arrays)."""

    def __init__(self, atoms: Atoms) -> None:
        n = len(atoms)
        self.n = n
        self.ct = np.concatenate([[0.0], np.cumsum(atoms.time_s)])
        self.ce = np.concatenate([[0.0], np.cumsum(atoms.energy_j)])
        self.cn = np.concatenate([[0.0], np.cumsum(atoms.nvm_bytes)])
        self.jit = atoms.jit
        self.thr = np.where(atoms.jit, atoms.ckpt_j, 0.0)
        self.ckpt_j, self.ckpt_s, self.ckpt_b = atoms.ckpt_j, atoms.ckpt_s, atoms.ckpt_bytes
        self.restore_j, self.restore_s = atoms.restore_j, atoms.restore_s
        ends = np.where(atoms.commit, np.arange(1, n + 1), 0)
        prev = np.maximum.accumulate(np.concatenate([[0], ends[:-1]])) if n else np.zeros(0)
        self.resume = self.ct[prev.astype(int)]
        self.total_t = float(self.ct[-1])


class Simulator:
    """Simulate jobs over a trace on a device.

    Args:
        trace: Harvested power (scaled by the device's harvester efficiency, minus leakage).
        device: The device model.
        chunk: Maximum atoms evaluated per vector step.
    """

    def __init__(self, *, trace: Trace, device: Device, chunk: int = 256) -> None:
        self.trace = trace
        self.device = device
        self.chunk = int(chunk)
        p = np.maximum(trace.power_w * device.harvester_efficiency - device.leakage_w, 0.0)
        self.pn = np.append(p, 0.0)
        self.dt = float(trace.dt)
        self.hs = np.concatenate([[0.0], np.cumsum(p * self.dt)])
        self.grid = np.arange(self.hs.size) * self.dt
        self.end = float(self.grid[-1])
        self.e_full = device.cycle_energy_j
        self.e_max = device.max_energy_j
        self.log: list[tuple[float, float, float]] | None = None

    # -- harvest -------------------------------------------------------------
    def _h(self, t: np.ndarray | float) -> np.ndarray:
        return np.interp(t, self.grid, self.hs)

    def charge_time(self, t: float, need: float) -> float | None:
        """Time when ``need`` joules more have been harvested after ``t`` (None: never)."""
        if need <= 0:
            return t
        x = float(self._h(t)) + need
        idx = int(np.searchsorted(self.hs, x, side="left"))
        if idx >= self.hs.size:
            return None
        k = idx - 1
        return float(self.grid[k] + (x - self.hs[k]) / self.pn[k])

    # -- one on-period step ----------------------------------------------------
    def _run(self, t0: float, e0: float, ct: np.ndarray, ce: np.ndarray, thr: np.ndarray,
             t_limit: float) -> tuple[int, float, float, float]:
        """Run a consumption schedule (cumulative time/energy breakpoints from 0).

        Returns ``(status, t, e, tau)``: status 0 done, 1 failed, 2 time limit; the wall
        time, capacitor energy and schedule position where it stopped.
        """
        t_sched = t0 + ct
        t_stop = min(float(t_sched[-1]), t_limit)
        k0 = int(np.floor(t0 / self.dt)) + 1
        k1 = int(np.floor(t_stop / self.dt))
        samples = self.grid[k0:k1 + 1] if k1 >= k0 else self.grid[:0]
        bp = np.concatenate([t_sched[t_sched <= t_stop], samples, [t_stop]])
        bp = np.unique(bp)
        hb = self._h(bp)
        cb = np.interp(bp - t0, ct, ce)
        x = e0 + (hb - hb[0]) - cb
        cap = x - np.maximum(0.0, np.maximum.accumulate(x - self.e_max))
        piece = np.clip(np.searchsorted(ct, bp[:-1] - t0, side="right") - 1, 0, thr.size - 1)
        th = thr[piece]
        if cap[0] <= th[0] if th.size else False:
            return 1, t0, float(cap[0]), 0.0
        bad = np.nonzero(cap[1:] <= th)[0]
        if bad.size:
            j = int(bad[0])
            c0, c1 = cap[j], cap[j + 1]
            frac = 1.0 if c0 == c1 else min(1.0, max(0.0, (c0 - th[j]) / (c0 - c1)))
            tf = float(bp[j] + frac * (bp[j + 1] - bp[j]))
            return 1, tf, float(th[j]), tf - t0
        status = 0 if t_stop >= t_sched[-1] else 2
        return status, t_stop, float(cap[-1]), t_stop - t0

    # -- simulation ------------------------------------------------------------
    def run(self, programs: Sequence[Atoms] | Atoms, *, period: float | None,
            deadline: float, start: float = 0.0,
            choose: Callable[[float], int] | None = None, max_jobs: int | None = None
            ) -> JobResults:
        """Release jobs and simulate them until the trace ends.

        Args:
            programs: One compiled plan, or several for run-time adaptation.
            period: Release period in seconds; None releases each job when the previous
                one ends (completed or abandoned).
            deadline: Relative deadline in seconds (``inf`` allowed with ``period=None``).
            start: Release time of the first job.
            choose: For several programs, maps the harvested power (W, mean over the
                second before the release) to a program index.
            max_jobs: Stop after this many jobs.
        """
        progs = [programs] if isinstance(programs, Atoms) else list(programs)
        if not progs:
            raise SimError("simulate: needs at least one plan")
        if period is not None and not period > 0:
            raise SimError(f"simulate: period must be > 0, got {period}")
        if not deadline > 0:
            raise SimError(f"simulate: deadline must be > 0, got {deadline}")
        if period is None and not np.isfinite(deadline) and max_jobs is None:
            max_jobs = 10**9
        compiled = [_Program(a) for a in progs]
        dev = self.device
        rb_ct = np.array([0.0, dev.reboot_s])
        rb_ce = np.array([0.0, dev.reboot_j])
        zero = np.zeros(1)
        t, e, on = 0.0, 0.0, False
        rel: list[float] = []
        out: list[tuple[bool, float, float, float, int, int]] = []
        r = start
        while r < self.end and (max_jobs is None or len(rel) < max_jobs):
            d_abs = r + deadline
            if period is not None and d_abs > self.end:
                break
            # Idle until release: sleep if on, charge (and boot) if off.
            while t < r:
                if on:
                    span = r - t
                    st, t, e, _ = self._run(t, e, np.array([0.0, span]),
                                            np.array([0.0, dev.sleep_w * span]), zero, r)
                    if st == 1:
                        on, e = False, 0.0
                    continue
                tc = self.charge_time(t, self.e_full - e)
                if tc is None or tc >= r:
                    e = e + float(self._h(r) - self._h(t))
                    t = r
                    break
                t, e, on = tc, self.e_full, True
                st, t, e, _ = self._run(t, e, rb_ct, rb_ce, zero, r)
                if st == 1:
                    on, e = False, 0.0
            k = 0
            if choose is not None and len(compiled) > 1:
                lo = max(0.0, r - 1.0)
                p_now = float(self._h(r) - self._h(lo)) / max(r - lo, self.dt)
                k = int(choose(p_now))
            prog = compiled[k]
            rel.append(r)
            res = self._job(prog, t, e, on, r, d_abs, rb_ct, rb_ce)
            done, t, e, on, energy, nvm, cycles = res
            out.append((done, (t - r) if done else np.nan, energy, nvm, cycles, k))
            if period is None:
                r = max(t, r + 1e-9) if done else max(d_abs, t)
                if not np.isfinite(r):
                    break
            else:
                r = r + period
                if not done:
                    t = max(t, min(d_abs, self.end))
        if not out:
            raise SimError("simulate: no job fits in the trace (period/deadline too long)")
        a = np.array(out, dtype=float)
        return JobResults(release_s=np.array(rel), completed=a[:, 0].astype(bool),
                          latency_s=a[:, 1], energy_j=a[:, 2], nvm_bytes=a[:, 3],
                          cycles=a[:, 4].astype(int), plan=a[:, 5].astype(int),
                          sim_time_s=float(min(t, self.end)))

    def _job(self, prog: _Program, t: float, e: float, on: bool, r: float, d_abs: float,
             rb_ct: np.ndarray, rb_ce: np.ndarray
             ) -> tuple[bool, float, float, bool, float, float, int]:
        dev = self.device
        limit = min(d_abs, self.end)
        tau = 0.0
        energy = nvm = 0.0
        cycles = 0
        restore = (0.0, 0.0)
        booted = on
        t_on = t
        while True:
            if t >= limit:
                return False, limit, e, on, energy, nvm, cycles
            if not on:
                tc = self.charge_time(t, self.e_full - e)
                if tc is None or tc >= limit:
                    e = e + float(self._h(limit) - self._h(t))
                    return False, limit, e, False, energy, nvm, cycles
                if self.log is not None:
                    self.log.append((0.0, t, tc))
                t, e, on = tc, self.e_full, True
                booted = False
                t_on = t
            if not booted:
                ct = np.array([0.0, dev.reboot_s, dev.reboot_s + restore[1]])
                ce = np.array([0.0, dev.reboot_j, dev.reboot_j + restore[0]])
                st, t1, e1, pos = self._run(t, e, ct, ce, np.zeros(2), limit)
                energy += float(np.interp(pos, ct, ce))
                t, e = t1, e1
                if st == 1:
                    if self.log is not None:
                        self.log.append((1.0, t_on, t))
                    on, e = False, 0.0
                    cycles += 1
                    continue
                if st == 2:
                    return False, t, e, True, energy, nvm, cycles
                booted = True
            # Execute atoms in chunks from the current position.
            a0 = int(np.searchsorted(prog.ct, tau, side="right") - 1)
            a0 = min(a0, prog.n - 1)
            a1 = min(prog.n, a0 + self.chunk)
            ct = np.concatenate([[tau], prog.ct[a0 + 1:a1 + 1]]) - tau
            ce = np.interp(ct + tau, prog.ct, prog.ce) - np.interp(tau, prog.ct, prog.ce)
            st, t1, e1, pos = self._run(t, e, ct, ce, prog.thr[a0:a1], limit)
            new_tau = tau + pos
            used = float(np.interp(new_tau, prog.ct, prog.ce) - np.interp(tau, prog.ct, prog.ce))
            written = float(np.interp(new_tau, prog.ct, prog.cn) - np.interp(tau, prog.ct, prog.cn))
            energy += used
            nvm += written
            t, e = t1, e1
            if st == 0:
                tau = new_tau
                if a1 >= prog.n:
                    return True, t, e, True, energy, nvm, cycles
                continue
            if st == 2:
                return False, t, e, True, energy, nvm, cycles
            cycles += 1
            k = int(min(np.searchsorted(prog.ct, new_tau, side="right") - 1, prog.n - 1))
            if prog.jit[k] and e1 >= prog.ckpt_j[k] * (1 - 1e-9):
                energy += float(prog.ckpt_j[k])
                nvm += float(prog.ckpt_b[k])
                t += float(prog.ckpt_s[k])
                tau = new_tau
                restore = (float(prog.restore_j[k]), float(prog.restore_s[k]))
            else:
                tau = float(prog.resume[k])
                restore = (0.0, 0.0)
            if self.log is not None:
                self.log.append((1.0, t_on, t1))
            on, e = False, 0.0


def simulate(atoms: Atoms | Sequence[Atoms], trace: Trace, device: Device, *,
             period: float | None, deadline: float, start: float = 0.0,
             choose: Callable[[float], int] | None = None,
             max_jobs: int | None = None) -> JobResults:
    """Simulate periodic jobs of a compiled plan (or plans) over a trace.

    See :meth:`Simulator.run` for the arguments.
    """
    return Simulator(trace=trace, device=device).run(
        atoms, period=period, deadline=deadline, start=start, choose=choose,
        max_jobs=max_jobs)
