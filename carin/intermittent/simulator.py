"""Event-driven simulation of periodic inference jobs on an intermittent device.

The device alternates between *off* (the capacitor charges from harvested power until it
holds ``cycle_energy_j`` above ``v_off``, i.e. reaches ``v_on``) and *on* (reboot,
restore, execute atoms, or sleep while waiting for a job). Harvested power is constant
over each trace sample and every atom draws its energy evenly over its time, so the
capacitor level is piecewise linear in time: the simulator jumps from event to event
(sample boundary, atom boundary, brown-out, full capacitor) and never integrates.

Speed comes from three precomputations and one observation:

* the cumulative harvest ``H`` of the trace turns every recharge into one binary search
  (``bisect`` on ``H``) whatever its length;
* the cumulative time and energy of a compiled plan turn any stretch of atoms into two
  look-ups;
* inside one trace sample the harvest ``p`` is constant, so when ``p`` is below the
  power of every atom the level falls monotonically along the program: a whole sample is
  crossed in O(1) and a brown-out inside it is found by a binary search over atom
  boundaries; when ``p`` is above the power of every atom the level can only rise
  (clipped at ``v_max``). Only samples with ``p`` between the two, or stretches with a
  JIT reserve, are stepped atom by atom.

Jobs are released every ``period`` seconds (or back to back, each released when the
previous one ends) and abandoned at their deadline. On a failure the job resumes after
recharge and reboot from its last commit; in a ``J`` atom with the reserve still in the
capacitor, the JIT checkpoint saves the progress and a restore follows the reboot.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from carin.errors import CarinError
from carin.intermittent.cm import Atoms
from carin.intermittent.device import Device
from carin.intermittent.traces import Trace

__all__ = ["SimError", "JobResults", "Simulator", "simulate"]

_DONE, _FAIL, _LIMIT = 0, 1, 2
_EPS = 1e-12
_VEC_ATOMS = 48  # a sample spanning this many atoms is crossed with numpy


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
        power_w: Harvested power at release (mean over the second before it).
        sim_time_s: Simulated time span.
    """

    release_s: np.ndarray
    completed: np.ndarray
    latency_s: np.ndarray
    energy_j: np.ndarray
    nvm_bytes: np.ndarray
    cycles: np.ndarray
    plan: np.ndarray
    power_w: np.ndarray
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
            return {
                "success_rate": nan,
                "latency_ms": nan,
                "energy_mj": nan,
                "nvm_kb": nan,
                "cycles": nan,
                "jobs": 0,
            }
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


class _Schedule:
    """Consumption schedule: cumulative time/energy per atom as Python lists (fast scalars)."""

    def __init__(self, time_s: np.ndarray, energy_j: np.ndarray, thr: np.ndarray) -> None:
        t = np.asarray(time_s, float)
        e = np.asarray(energy_j, float)
        if np.any((t <= 0) & (e > 0)):
            raise SimError("simulate: an atom with energy must take time > 0")
        self.n = int(t.size)
        self.ct = np.concatenate([[0.0], np.cumsum(t)]).tolist()
        self.ce = np.concatenate([[0.0], np.cumsum(e)]).tolist()
        with np.errstate(divide="ignore", invalid="ignore"):
            pw = np.where(t > 0, e / np.where(t > 0, t, 1.0), 0.0)
        self.pw = pw.tolist()
        pos = t > 0
        self.pmin = float(pw[pos].min()) if pos.any() else 0.0
        self.pmax = float(pw[pos].max()) if pos.any() else 0.0
        thr = np.asarray(thr, float)
        self.thr = thr.tolist()
        # index of the first atom >= k with a reserve (n when none)
        nxt = np.full(self.n + 1, self.n, dtype=np.int64)
        idx = np.nonzero(thr > 0)[0]
        for j in idx[::-1]:
            nxt[: j + 1] = j
        self.next_res = nxt.tolist()
        self.total_t = self.ct[-1]
        self._a: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def single(cls, time_s: float, energy_j: float) -> _Schedule:
        """One atom without a reserve, built without numpy (hot path: sleep, restore)."""
        s = cls.__new__(cls)
        s.n = 1
        s.ct = [0.0, time_s]
        s.ce = [0.0, energy_j]
        pw = energy_j / time_s if time_s > 0 else 0.0
        s.pw = [pw]
        s.pmin = s.pmax = pw
        s.thr = [0.0]
        s.next_res = [1, 1]
        s.total_t = time_s
        s._a = None
        return s

    def span(
        self, tau: float, tau_end: float, k: int, k_end: int, e: float, p: float, e_max: float
    ) -> tuple[int, float, float, float]:
        """Run atoms ``k..k_end`` from ``tau`` to ``tau_end`` at constant harvest ``p``.

        The level at each atom boundary is ``D_j + min(e, e_max - max(0, D_1..D_j))``,
        with ``D_j`` the net harvest minus consumption since ``tau`` (clipped at
        ``e_max``); the first boundary at or below zero holds the brown-out. No atom in
        the range may have a reserve. Returns ``(_DONE, 0, level, tau_end)`` or
        ``(_FAIL, 0, 0, where)``.
        """
        if self._a is None:
            self._a = (np.asarray(self.ct), np.asarray(self.ce), np.asarray(self.pw))
        ct, ce, pw = self._a
        e0 = self.ce[k] + self.pw[k] * (tau - self.ct[k])
        e1 = self.ce[k_end] + self.pw[k_end] * (tau_end - self.ct[k_end])
        pos = np.append(ct[k + 1 : k_end + 1], tau_end)
        used = np.append(ce[k + 1 : k_end + 1], e1) - e0
        d = p * (pos - tau) - used
        lvl = d + np.minimum(e, e_max - np.maximum.accumulate(np.maximum(d, 0.0)))
        low = np.flatnonzero(lvl <= 0.0)
        if low.size == 0:
            return _DONE, 0.0, float(lvl[-1]), tau_end
        q = int(low[0])
        a = k + q  # the atom in which the level reaches zero
        start = float(lvl[q - 1]) if q > 0 else e
        a0 = max(tau, self.ct[a])
        return _FAIL, 0.0, 0.0, a0 + start / (self.pw[a] - p)

    def energy_at(self, tau: float) -> float:
        k = bisect_right(self.ct, tau) - 1
        if k >= self.n:
            return self.ce[-1]
        return self.ce[k] + self.pw[k] * (tau - self.ct[k])

    def atom_at(self, tau: float) -> int:
        return min(bisect_right(self.ct, tau) - 1, self.n - 1)


class _Program(_Schedule):
    """A compiled plan prepared for execution."""

    def __init__(self, atoms: Atoms) -> None:
        super().__init__(atoms.time_s, atoms.energy_j, np.where(atoms.jit, atoms.ckpt_j, 0.0))
        n = len(atoms)
        self.cn = np.concatenate([[0.0], np.cumsum(atoms.nvm_bytes)]).tolist()
        self.jit = atoms.jit.tolist()
        self.ckpt_j = atoms.ckpt_j.tolist()
        self.ckpt_s = atoms.ckpt_s.tolist()
        self.ckpt_b = atoms.ckpt_bytes.tolist()
        self.restore_j = atoms.restore_j.tolist()
        self.restore_s = atoms.restore_s.tolist()
        ends = np.where(atoms.commit, np.arange(1, n + 1), 0)
        prev = np.maximum.accumulate(np.concatenate([[0], ends[:-1]])) if n else np.zeros(0)
        self.resume = [self.ct[int(j)] for j in prev]
        nb = np.asarray(atoms.nvm_bytes, float)
        tt = np.asarray(atoms.time_s, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.nrate = np.where(tt > 0, nb / np.where(tt > 0, tt, 1.0), 0.0).tolist()

    def nvm_at(self, tau: float) -> float:
        k = bisect_right(self.ct, tau) - 1
        if k >= self.n:
            return self.cn[-1]
        return self.cn[k] + self.nrate[k] * (tau - self.ct[k])

    def energy_nvm_at(self, tau: float) -> tuple[float, float]:
        """``(energy_at(tau), nvm_at(tau))`` with one search."""
        k = bisect_right(self.ct, tau) - 1
        if k >= self.n:
            return self.ce[-1], self.cn[-1]
        x = tau - self.ct[k]
        return self.ce[k] + self.pw[k] * x, self.cn[k] + self.nrate[k] * x


class Simulator:
    """Simulate jobs over a trace on a device.

    Args:
        trace: Harvested power (scaled by the device's harvester efficiency, minus leakage).
        device: The device model.
    """

    def __init__(self, *, trace: Trace, device: Device) -> None:
        self.trace = trace
        self.device = device
        p = np.maximum(trace.power_w * device.harvester_efficiency - device.leakage_w, 0.0)
        self.dt = float(trace.dt)
        self.inv_dt = 1.0 / self.dt
        self.n = int(p.size)
        self.p = np.append(p, 0.0).tolist()
        hs = np.concatenate([[0.0], np.cumsum(p * self.dt)])
        self.hs = hs.tolist()
        self.end = self.n * self.dt
        self.e_full = device.cycle_energy_j
        self.e_max = device.max_energy_j
        self.log: list[tuple[int, float, float]] | None = None
        self._t_on = 0.0  # when the device last turned on (on-periods span jobs)

    # -- harvest -------------------------------------------------------------
    def _idx(self, t: float) -> int:
        i = int(t * self.inv_dt)
        if (i + 1) * self.dt <= t:
            i += 1
        return min(i, self.n)

    def harvest(self, t: float) -> float:
        """Energy harvested from the trace start to time ``t`` (J)."""
        if t >= self.end:
            return self.hs[-1]
        i = self._idx(t)
        return self.hs[i] + self.p[i] * (t - i * self.dt)

    def _harvest_fn(self) -> Callable[[float], float]:
        """:meth:`harvest` as a plain function (the same values, :meth:`_idx` inlined:
        faster to call for policies that read the harvest many times per decision)."""
        hs, plist, dt, inv_dt, n, end = self.hs, self.p, self.dt, self.inv_dt, self.n, self.end
        total = hs[-1]

        def harvest(t: float) -> float:
            if t >= end:
                return total
            i = int(t * inv_dt)
            if (i + 1) * dt <= t:
                i += 1
            if i > n:
                i = n
            return hs[i] + plist[i] * (t - i * dt)

        return harvest

    def charge_time(self, t: float, need: float) -> float | None:
        """Time when ``need`` joules more have been harvested after ``t`` (None: never)."""
        if need <= 0:
            return t
        x = self.harvest(t) + need
        idx = bisect_left(self.hs, x)
        if idx > self.n:
            return None
        k = idx - 1
        return max(t, k * self.dt + (x - self.hs[k]) / self.p[k])

    # -- one on-period step ----------------------------------------------------
    def _exec(
        self,
        s: _Schedule,
        tau: float,
        t: float,
        e: float,
        t_limit: float,
        e_max: float | None = None,
    ) -> tuple[int, float, float, float]:
        """Run schedule ``s`` from position ``tau`` at time ``t`` with level ``e``.

        Returns ``(status, t, e, tau)`` where it stopped: done, failed (level reached the
        atom's threshold) or time limit. ``e_max`` replaces the capacitor's top level
        (default :attr:`e_max`).
        """
        ct, ce, pw, thr, nres = s.ct, s.ce, s.pw, s.thr, s.next_res
        total = s.total_t
        if e_max is None:
            e_max = self.e_max
        dt = self.dt
        inv_dt = self.inv_dt
        n_samples = self.n
        plist = self.p
        t_limit = min(t_limit, self.end)
        last = s.n - 1
        pmin, pmax = s.pmin, s.pmax
        k = min(bisect_right(ct, tau) - 1, last)
        i, t_next = -1, -1.0  # sample i ends at t_next = (i + 1) * dt
        while True:
            if tau >= total - _EPS:
                return _DONE, t, e, total
            if t >= t_limit:
                return _LIMIT, t_limit, e, tau
            if t == t_next:  # t is the float (i + 1) * dt, which _idx maps to i + 1
                i += 1
            else:  # self._idx(t), inlined
                i = int(t * inv_dt)
                if (i + 1) * dt <= t:
                    i += 1
                if i > n_samples:
                    i = n_samples
            p = plist[i]
            t_stop = t_next = (i + 1) * dt
            if t_stop > t_limit:
                t_stop = t_limit
            span = t_stop - t
            if span <= 0:
                t = t_stop
                continue
            tau_end = tau + span
            whole = tau_end < total  # the step ends exactly at t_stop
            if not whole:
                tau_end = total
            k_end = min(bisect_right(ct, tau_end) - 1, last) if tau_end < total else last
            if p >= pmax:
                # level cannot fall: clip at e_max
                used = (ce[k_end] + pw[k_end] * (tau_end - ct[k_end])) - (
                    ce[k] + pw[k] * (tau - ct[k])
                )
                lvl = e + p * (tau_end - tau) - used
                e = lvl if lvl < e_max else e_max  # min(e_max, lvl)
                t = t_stop if whole else t + (tau_end - tau)
                tau, k = tau_end, k_end
                continue
            if p < pmin and nres[k] > k_end:
                # level falls monotonically along the program; no reserve in the way
                e0_at = ce[k] + pw[k] * (tau - ct[k])
                used = (ce[k_end] + pw[k_end] * (tau_end - ct[k_end])) - e0_at
                lvl = e + p * (tau_end - tau) - used
                if lvl > 0:
                    e = lvl
                    t = t_stop if whole else t + (tau_end - tau)
                    tau, k = tau_end, k_end
                    continue
                # brown-out inside: first atom boundary j in (k, k_end] with level <= 0
                lo, hi = k + 1, k_end + 1
                while lo < hi:
                    mid = (lo + hi) // 2
                    if e + p * (ct[mid] - tau) - (ce[mid] - e0_at) <= 0:
                        hi = mid
                    else:
                        lo = mid + 1
                j = lo - 1  # the atom in which the level reaches 0
                a0 = max(tau, ct[j])
                e_a0 = e + p * (a0 - tau) - ((ce[j] + pw[j] * (a0 - ct[j])) - e0_at)
                x = e_a0 / (pw[j] - p)
                return _FAIL, t + (a0 - tau) + x, 0.0, a0 + x
            if k_end - k >= _VEC_ATOMS and nres[k] > k_end:
                # many atoms and no reserve in this sample: every atom boundary at once
                st, t1, e1, tau1 = s.span(tau, tau_end, k, k_end, e, p, e_max)
                if st == _FAIL:
                    return _FAIL, t + (tau1 - tau), 0.0, tau1
                e = e1
                t = t_stop if whole else t + (tau_end - tau)
                tau, k = tau_end, k_end
                continue
            # step atom by atom inside this sample (min/max inlined: the hottest loop)
            while tau < tau_end - _EPS:
                c1 = ct[k + 1]
                a_end = tau_end if tau_end < c1 else c1  # min(c1, tau_end)
                d = a_end - tau
                f = p - pw[k]
                th = thr[k]
                if e <= th and f <= 0 and (th > 0 or e <= 0):
                    return _FAIL, t, e, tau
                if f < 0:
                    lvl = e + f * d
                    if lvl <= th:
                        x = (e - th) / -f
                        return _FAIL, t + x, th, tau + x
                    e = lvl
                elif f > 0:
                    lvl = e + f * d
                    e = lvl if lvl < e_max else e_max  # min(e_max, lvl)
                t += d
                tau = a_end
                if tau >= c1 - _EPS and k < last:
                    k += 1
            tau = tau_end
            if whole:
                t = t_stop

    def _sleep(self, t: float, e: float, until: float) -> tuple[bool, float, float]:
        """Sleep while on until ``until``; returns (still on, t, e)."""
        span = until - t
        if span <= 0:
            return True, t, e
        sw = self.device.sleep_w
        s = _Schedule.single(span, sw * span)
        st, t, e, _ = self._exec(s, 0.0, t, e, until)
        if st == _FAIL:
            return False, t, e
        return True, max(t, until), e

    def _idle(
        self, t: float, e: float, on: bool, until: float, boot: _Schedule
    ) -> tuple[float, float, bool]:
        """Wait for ``until`` with no job: sleep if on, charge (and boot) if off."""
        while t < until:
            if on:
                on, t, e = self._sleep(t, e, until)
                if not on:
                    self._log(1, self._t_on, t)
                    e = 0.0
                continue
            tc = self.charge_time(t, self.e_full - e)
            if tc is None or tc >= until:
                e = min(self.e_full, e + self.harvest(until) - self.harvest(t))
                t = until
                break
            self._log(0, t, tc)
            t, e, on = tc, self.e_full, True
            self._t_on = t
            st, t, e, _ = self._exec(boot, 0.0, t, e, until)
            if st == _FAIL:
                self._log(1, self._t_on, t)
                on, e = False, 0.0
        return t, e, on

    # -- simulation ------------------------------------------------------------
    def run(
        self,
        programs: Sequence[Atoms] | Atoms,
        *,
        period: float | None,
        deadline: float,
        start: float = 0.0,
        choose: Callable[[float], int] | None = None,
        max_jobs: int | None = None,
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

        Raises:
            SimError: No plan, a non-positive period or deadline, or no job fits.
        """
        progs = [programs] if isinstance(programs, Atoms) else list(programs)
        if not progs:
            raise SimError("simulate: needs at least one plan")
        if period is not None and not period > 0:
            raise SimError(f"simulate: period must be > 0, got {period}")
        if not deadline > 0:
            raise SimError(f"simulate: deadline must be > 0, got {deadline}")
        compiled = [_Program(a) for a in progs]
        dev = self.device
        boot = _Schedule.single(max(dev.reboot_s, 1e-12), dev.reboot_j)
        t, e, on = 0.0, 0.0, False
        rel: list[float] = []
        out: list[tuple[float, float, float, float, int, int, float]] = []
        r = float(start)
        while r < self.end and (max_jobs is None or len(rel) < max_jobs):
            d_abs = r + deadline
            if period is not None and d_abs > self.end:
                break
            t, e, on = self._idle(t, e, on, r, boot)
            t = max(t, r)
            k = 0
            p_now = (self.harvest(r) - self.harvest(max(0.0, r - 1.0))) / max(min(r, 1.0), self.dt)
            if choose is not None and len(compiled) > 1:
                k = int(choose(p_now))
            rel.append(r)
            done, t, e, on, energy, nvm, cycles = self._job(compiled[k], t, e, on, d_abs, boot)
            out.append((float(done), (t - r) if done else math.nan, energy, nvm, cycles, k, p_now))
            if period is None:
                if not math.isfinite(t) or t >= self.end:
                    break
                r = t if done else max(d_abs, t)
            else:
                r = r + period
        if not out:
            raise SimError("simulate: no job fits in the trace (period/deadline too long)")
        a = np.array(out, dtype=float)
        return JobResults(
            release_s=np.array(rel),
            completed=a[:, 0].astype(bool),
            latency_s=a[:, 1],
            energy_j=a[:, 2],
            nvm_bytes=a[:, 3],
            cycles=a[:, 4].astype(int),
            plan=a[:, 5].astype(int),
            power_w=a[:, 6],
            sim_time_s=float(min(t, self.end)),
        )

    def _log(self, kind: int, a: float, b: float) -> None:
        if self.log is not None:
            self.log.append((kind, a, b))

    def _job(
        self, prog: _Program, t: float, e: float, on: bool, d_abs: float, boot: _Schedule
    ) -> tuple[bool, float, float, bool, float, float, int]:
        dev = self.device
        limit = min(d_abs, self.end)
        tau = 0.0
        energy = nvm = 0.0
        cycles = 0
        restore: _Schedule | None = None
        booted = on
        while True:
            if t >= limit:  # a JIT checkpoint may have ended past the limit
                return False, t, e, on, energy, nvm, cycles
            if not on:
                tc = self.charge_time(t, self.e_full - e)
                if tc is None or tc >= limit:
                    e = min(self.e_full, e + self.harvest(limit) - self.harvest(t))
                    return False, limit, e, False, energy, nvm, cycles
                self._log(0, t, tc)
                t, e, on = tc, self.e_full, True
                booted = False
                self._t_on = t
            if not booted:
                st, t1, e1, pos = self._exec(boot, 0.0, t, e, limit)
                energy += dev.reboot_j * (pos / dev.reboot_s if dev.reboot_s > 0 else 1.0)
                t, e = t1, e1
                if st == _DONE and restore is not None:
                    st, t1, e1, pos = self._exec(restore, 0.0, t, e, limit)
                    energy += restore.energy_at(pos)
                    t, e = t1, e1
                if st == _FAIL:
                    self._log(1, self._t_on, t)
                    on, e = False, 0.0
                    cycles += 1
                    continue
                if st == _LIMIT:
                    return False, t, e, True, energy, nvm, cycles
                booted = True
                restore = None
            st, t1, e1, new_tau = self._exec(prog, tau, t, e, limit)
            energy += prog.energy_at(new_tau) - prog.energy_at(tau)
            nvm += prog.nvm_at(new_tau) - prog.nvm_at(tau)
            t, e = t1, e1
            if st == _DONE:
                return True, t, e, True, energy, nvm, cycles
            if st == _LIMIT:
                return False, t, e, True, energy, nvm, cycles
            cycles += 1
            k = prog.atom_at(new_tau)
            if prog.jit[k] and e1 >= prog.ckpt_j[k] * (1 - 1e-9) and prog.ckpt_j[k] > 0:
                energy += prog.ckpt_j[k]
                nvm += prog.ckpt_b[k]
                t += prog.ckpt_s[k]
                tau = new_tau
                restore = _Schedule.single(max(prog.restore_s[k], 1e-12), prog.restore_j[k])
            else:
                tau = prog.resume[k]
                restore = None
            self._log(1, self._t_on, t)
            on, e = False, 0.0


def simulate(
    atoms: Atoms | Sequence[Atoms],
    trace: Trace,
    device: Device,
    *,
    period: float | None,
    deadline: float,
    start: float = 0.0,
    choose: Callable[[float], int] | None = None,
    max_jobs: int | None = None,
) -> JobResults:
    """Simulate periodic jobs of a compiled plan (or plans) over a trace.

    See :meth:`Simulator.run` for the arguments.
    """
    return Simulator(trace=trace, device=device).run(
        atoms, period=period, deadline=deadline, start=start, choose=choose, max_jobs=max_jobs
    )
