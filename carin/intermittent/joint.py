"""Joint choice of per-task checkpointing plans and the scheduling policy of a task set.

A *configuration* is one CM plan per task plus a policy (:class:`Config`). The search
(:func:`joint_search`) scores configurations by simulating the task set on a trace
(:class:`Evaluator`, exact event simulation; score = weighted successful jobs, ties to
the lower mean latency) and proceeds in five steps. Every step ranks the configurations
that fit the device's FRAM (:meth:`Evaluator.fits`: the
:func:`~carin.intermittent.tasks.taskset_footprint` within ``fram_bytes``) above those
that do not, so one that does not fit is chosen only when none does; the uniform
baselines are held to the same rule.

1. **Uniform baselines** -- one applicable uniform CM per task, under fixed priority and
   under EDF (the usual practice): the best single CM for all tasks, then one task's CM
   changed at a time while the score improves (:func:`uniform_baseline`).
2. **Per-task DP plans with schedule-derived budgets** -- for each policy, the better of
   the baselines' plans under that policy is simulated with a log of every uninterrupted run of each task
   (:class:`~carin.intermittent.multitask.Stretch`). A task's runs that ended in a power
   failure are the power-cycle budgets it actually gets under that schedule; runs that
   ended otherwise are budgets it did not exhaust (counted with the energy used). They
   form the task's :class:`~carin.intermittent.analytical.CycleStats`, and the exact DP
   (:func:`~carin.intermittent.search.best_plan`) gives the plan of least expected energy
   for them, overall and per harvested-power band. A policy that pauses instead of
   browning out rarely sees a power failure, so its plans' commits are mostly
   preemption points: for those policies each task also gets the cheapest plans under
   a ladder of bounds on the time between commits (:func:`bounded_candidates`, exact
   per bound).
3. **Coordinate descent** -- per policy, from that configuration, replace one task's
   plan at a time by each of its candidates (uniform, DP and bounded plans) and keep a
   change when the simulated score improves; repeat until no change (at most
   ``rounds`` passes).
4. **Cross-check** -- the plans each descent ended with are simulated under every
   policy (those searched and ``cross``; by default ``cross`` holds ``edf-pause``, also
   searched, and ``ia-yield``, only cross-checked: on the 8 benchmark configurations
   where yielding matters most, a descent of its own chose configurations that scored
   the same on the second halves, for one more descent). The best configuration
   simulated in any step is :attr:`JointResult.fitted`.
5. **Choice among finalists on resamples** -- many configurations tie or nearly tie on
   the trace (different plans of a task that never runs out of energy), and which of
   them is best is partly the luck of that trace. The ``finalists_k`` best (6), the
   baselines, the baselines' plans under every policy and each policy's best are
   simulated on ``resamples`` (4) circular block-bootstrap resamples of the same trace
   (:meth:`~carin.intermittent.traces.Trace.block_resample`; blocks of 1.5 times the
   longer of the longest period or deadline and the trace's correlation time, at most a
   third of the trace; seeded). The joint choice is the finalist of highest mean score
   over the trace and its resamples, so on average over them it is never below a
   baseline. Only the trace given is read.

What is exact and what is not: each simulation is exact for the model, and the DP is
exact for the additive expected-energy model *given* a task's budgets. The budgets
depend on the schedule, which depends on the plans (they are taken from one schedule,
not a fixed point), and the descents explore one task at a time, so the joint choice is
a heuristic: the best configuration it simulates is never worse than the baselines on
the trace (they are among the configurations it compares), but it may miss the best
combination of plans and policy. Every configuration simulated is kept in
:attr:`Evaluator.results`. Step 5 trades a little fit to the trace for choices that
hold across its resamples; it cannot see a change of the source itself (a resample has
the trace's statistics).

:func:`choose_bands` gives the configuration to switch to per harvested-power band
(guarded like :func:`~carin.intermittent.profile.choose_by_band`), and
:func:`taskset_rows` turns simulated configurations into profile rows so that
``carin solve`` and the runtime Switcher pick one by ``power_mw``. Given the finalists'
runs on the trace and its resamples (:attr:`JointResult.resampled_runs`), the rows also
carry the means step 5 ranks by (:func:`resampled_summary`), so a spec that maximises
``resampled_weighted_success`` and then minimises ``resampled_latency_ms`` makes the
joint choice its primary design.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carin.intermittent.analytical import CycleStats
from carin.intermittent.cm import CODES, CMError, compile_plan
from carin.intermittent.multitask import MultiSimulator, Stretch, TaskProgram, TaskSetResults
from carin.intermittent.policies import Policy, make_policy
from carin.intermittent.profile import BANDS_MW, PlanRun, choose_by_band
from carin.intermittent.search import best_plan, bounded_plan
from carin.intermittent.tasks import TaskSet, taskset_footprint
from carin.intermittent.traces import Trace

__all__ = [
    "Config",
    "Evaluator",
    "JointResult",
    "uniform_pool",
    "uniform_baseline",
    "schedule_stats",
    "bounded_candidates",
    "correlation_time",
    "bootstrap_block_s",
    "finalists",
    "resampled_runs",
    "resampled_scores",
    "robust_choice",
    "joint_search",
    "choose_bands",
    "band_chooser",
    "resampled_summary",
    "taskset_rows",
]


@dataclass(frozen=True, order=True)
class Config:
    """One CM plan per task (in task order) and a policy name."""

    plans: tuple[str, ...]
    policy: str

    def label(self, names: Sequence[str]) -> str:
        """The plans as ``task:plan`` words, e.g. ``kws:TT lenet:TTTTTTT``."""
        return " ".join(f"{n}:{p}" for n, p in zip(names, self.plans, strict=True))


def score(res: TaskSetResults) -> tuple[float, float]:
    """Ranking key: weighted successful jobs, then lower mean latency of completed jobs."""
    done = res.completed
    lat = res.latency_s[done]
    return (float(res.weight[done].sum()), -float(lat.mean()) if lat.size else _NONE_DONE)


#: :func:`score`'s latency key when no job completed (worse than any latency).
_NONE_DONE = -1e18


class Evaluator:
    """Simulate configurations of a task set on one trace (results cached per config).

    Args:
        taskset: The task set.
        trace: The harvesting trace.
    """

    def __init__(self, taskset: TaskSet, trace: Trace) -> None:
        self.taskset = taskset
        self.trace = trace
        self.results: dict[Config, TaskSetResults] = {}
        self._progs: dict[tuple[int, str], TaskProgram] = {}
        self._costs = [t.model.costs(taskset.device) for t in taskset.tasks]
        self._fits: dict[Config, bool] = {}

    def program(self, task: int, plan: str) -> TaskProgram:
        """The compiled plan of a task, prepared for simulation (cached)."""
        key = (task, plan)
        if key not in self._progs:
            atoms = compile_plan(plan, self._costs[task], self.taskset.device)
            self._progs[key] = TaskProgram(atoms)
        return self._progs[key]

    def _programs(self, config: Config) -> list[TaskProgram]:
        return [self.program(k, p) for k, p in enumerate(config.plans)]

    def _sim(self) -> MultiSimulator:
        return MultiSimulator(trace=self.trace, device=self.taskset.device)

    def run(self, config: Config) -> TaskSetResults:
        """Simulate one configuration (cached)."""
        if config not in self.results:
            self.results[config] = self._sim().run(
                self.taskset.tasks, [(self._programs(config), make_policy(config.policy))]
            )
        return self.results[config]

    def stretches(self, config: Config) -> list[Stretch]:
        """Simulate a configuration and return its log of uninterrupted runs."""
        sim = self._sim()
        sim.stretches = []
        res = sim.run(self.taskset.tasks, [(self._programs(config), make_policy(config.policy))])
        self.results.setdefault(config, res)
        return sim.stretches

    def run_adaptive(
        self, configs: Sequence[Config], choose: Callable[[float], int]
    ) -> TaskSetResults:
        """Simulate run-time adaptation among ``configs`` (``choose`` at each release)."""
        pairs: list[tuple[list[TaskProgram], Policy]] = [
            (self._programs(c), make_policy(c.policy)) for c in configs
        ]
        return self._sim().run(self.taskset.tasks, pairs, choose=choose)

    def fits(self, config: Config) -> bool:
        """Whether the configuration fits the device's FRAM: its
        :func:`~carin.intermittent.tasks.taskset_footprint` is at most ``fram_bytes``
        (cached)."""
        if config not in self._fits:
            need = taskset_footprint(self.taskset, config.plans, config.policy).total
            self._fits[config] = need <= self.taskset.device.fram_bytes
        return self._fits[config]

    def key(self, config: Config) -> tuple[bool, float, float]:
        """The ranking key of every search step: fitting in FRAM first, then
        :func:`score`. A configuration that does not fit is chosen only when none does."""
        return (self.fits(config), *score(self.run(config)))

    def best(self, configs: Sequence[Config]) -> Config:
        """The configuration of highest :meth:`key` (first wins ties)."""
        return max(configs, key=self.key)


def _uniform_codes(taskset: TaskSet) -> list[list[str]]:
    """Per task, the uniform plans that compile (``J`` may not fit some layer)."""
    out = []
    for t in taskset.tasks:
        costs = t.model.costs(taskset.device)
        codes = []
        for c in CODES:
            if t.plan is not None:
                codes = [t.plan]
                break
            try:
                compile_plan(c, costs, taskset.device)
            except CMError:
                continue
            codes.append(c * len(t.model))
        out.append(codes)
    return out


def uniform_pool(taskset: TaskSet, policy: str) -> list[Config]:
    """Every combination of one applicable uniform plan per task, under ``policy``.

    A task with a plan fixed in the task set keeps it.
    """
    return [Config(tuple(c), policy) for c in itertools.product(*_uniform_codes(taskset))]


def schedule_stats(
    stretches: Sequence[Stretch], task: int, trace: Trace, device: object
) -> CycleStats | None:
    """The power-cycle budgets a task gets under a schedule, from its logged runs.

    Every run of the task is one budget (its energy); the reboot energy is charged to the
    runs that ended in a power failure (spread evenly over all runs, which keeps the
    additive model's sums). The stored energy at the start of a run is its ``store_j``
    (the scale of a ``J`` reserve), the mean harvest during it its ``power_w``.
    Returns None when the task never ran.
    """
    rows = [s for s in stretches if s.task == task and s.energy_j > 0]
    if not rows:
        return None
    b = np.array([s.energy_j for s in rows])
    lvl = np.array([max(s.level_j, 1e-12) for s in rows])
    t0 = np.array([s.t0 for s in rows])
    t1 = np.array([s.t1 for s in rows])
    failed = np.array([s.failed for s in rows])
    dur = np.maximum(t1 - t0, 1e-12)
    h = np.concatenate([[0.0], np.cumsum(trace.power_w * trace.dt)])
    grid = np.arange(h.size) * trace.dt
    pw = (np.interp(t1, grid, h) - np.interp(t0, grid, h)) / dur
    reboot = float(getattr(device, "reboot_j", 0.0))
    return CycleStats(
        budget_j=b,
        store_j=lvl,
        power_w=pw,
        on_s=dur,
        off_s=np.zeros(b.size),
        active_w=float(b.sum() / dur.sum()),
        reboot_j=reboot * float(failed.mean()),
    )


def _dp_candidates(ev: Evaluator, start: Config, bands_mw: Sequence[float]) -> list[dict[str, str]]:
    """Per task, DP plans for the budgets the task gets under ``start``'s schedule."""
    ts = ev.taskset
    log = ev.stretches(start)
    out: list[dict[str, str]] = []
    for k, t in enumerate(ts.tasks):
        cands: dict[str, str] = {}
        stats = schedule_stats(log, k, ev.trace, ts.device)
        if stats is None or t.plan is not None:
            out.append(cands)
            continue
        costs = t.model.costs(ts.device)
        plan, cost = best_plan(costs, ts.device, stats)
        if np.isfinite(cost):
            cands.setdefault(plan, "dp")
        for lo, hi in zip(bands_mw[:-1], bands_mw[1:], strict=True):
            sub = stats.band(lo * 1e-3, hi * 1e-3)
            if sub is stats:
                continue
            p, c = best_plan(costs, ts.device, sub)
            if np.isfinite(c):
                cands.setdefault(p, f"dp-band{lo:g}-{hi:g}")
        out.append(cands)
    return out


def bounded_candidates(taskset: TaskSet, *, steps: int = 12) -> list[dict[str, str]]:
    """Per task, the cheapest plans for a ladder of bounds on the blocking time.

    Under a pausing policy a plan's commits are mostly preemption points
    (:func:`~carin.intermittent.search.bounded_plan`). The bounds double from the
    task's shortest layer time to its whole failure-free time (``steps`` of them, plus
    no bound); each distinct plan is a candidate, labelled ``seg<=<bound>s``.
    """
    out: list[dict[str, str]] = []
    for t in taskset.tasks:
        cands: dict[str, str] = {}
        if t.plan is None:
            costs = t.model.costs(taskset.device)
            lo = float(np.min(costs.time_s)) / 4
            hi = float(np.sum(costs.time_s)) * 2
            bounds = [*np.geomspace(lo, hi, steps), np.inf]
            for b in bounds:
                plan, e = bounded_plan(costs, taskset.device, float(b))
                if np.isfinite(e):
                    cands.setdefault(plan, f"seg<={b:.3g}s")
        out.append(cands)
    return out


def correlation_time(trace: Trace) -> float:
    """Seconds until the autocorrelation of the trace's power first falls below 1/e.

    0 for a constant trace; the trace's duration when it never falls that low.
    """
    x = trace.power_w - trace.power_w.mean()
    n = x.size
    var = float(x @ x)
    if var <= 1e-12 * max(float(trace.power_w @ trace.power_w), 1e-300):
        return 0.0
    f = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(f * np.conj(f), 2 * n)[:n] / var
    below = np.flatnonzero(ac < np.exp(-1.0))
    return float(below[0] * trace.dt) if below.size else trace.duration


def bootstrap_block_s(taskset: TaskSet, trace: Trace, *, mult: float = 1.5) -> float:
    """Block length for resampling ``trace``: ``mult`` times the longer of the task set's
    longest period or deadline and the trace's :func:`correlation_time`, at most a third
    of the trace (so a resample joins at least three blocks)."""
    longest = max(max(t.period_s, t.deadline_s) for t in taskset.tasks)
    return min(mult * max(longest, correlation_time(trace)), trace.duration / 3)


def finalists(ev: Evaluator, k: int, extra: Sequence[Config] = ()) -> list[Config]:
    """The ``k`` configurations of highest :meth:`Evaluator.key` on ``ev``'s trace, best
    first (ties in the order they were simulated), then ``extra`` not already among them;
    those that do not fit the device's FRAM are left out unless none fits."""
    ranked = sorted(ev.results, key=ev.key, reverse=True)
    out = list(dict.fromkeys([*ranked[:k], *extra]))
    return [c for c in out if ev.fits(c)] or out


def resampled_runs(
    ev: Evaluator,
    configs: Sequence[Config],
    *,
    resamples: int,
    block_s: float,
    seed: int = 0,
) -> dict[Config, list[TaskSetResults]]:
    """Simulations of each configuration on ``ev``'s trace and on ``resamples`` block
    bootstrap resamples of it (:meth:`~carin.intermittent.traces.Trace.block_resample`,
    blocks of ``block_s``, one ``numpy.random.default_rng(seed)`` drawn in turn, so
    resample ``i`` does not depend on how many follow). Only ``ev``'s trace is read."""
    rng = np.random.default_rng(seed)
    evs = [ev]
    for _ in range(resamples):
        other = Evaluator(ev.taskset, ev.trace.block_resample(block_s, rng))
        other._progs = ev._progs  # compiled plans depend on the task set only
        evs.append(other)
    return {c: [e.run(c) for e in evs] for c in configs}


def resampled_scores(
    ev: Evaluator,
    configs: Sequence[Config],
    *,
    resamples: int,
    block_s: float,
    seed: int = 0,
) -> dict[Config, list[tuple[float, float]]]:
    """:func:`score` of each configuration on ``ev``'s trace and on its resamples
    (the runs of :func:`resampled_runs`, same arguments)."""
    runs = resampled_runs(ev, configs, resamples=resamples, block_s=block_s, seed=seed)
    return {c: [score(r) for r in rs] for c, rs in runs.items()}


def robust_choice(scores: dict[Config, list[tuple[float, float]]]) -> Config:
    """The configuration of highest mean score over its traces: mean weighted successful
    jobs, then lower mean latency over the traces on which it completed a job (one that
    completed no job on any of its traces loses a tie); ties go to the first in
    ``scores``' order. This is the order of the ``resampled_weighted_success`` and
    ``resampled_latency_ms`` columns of :func:`taskset_rows`."""

    def key(c: Config) -> tuple[float, float]:
        a = np.array(scores[c])
        mean = np.mean(a, axis=0)
        some = a[:, 1] > _NONE_DONE
        if not some.all():  # the latency key of a trace without a completed job
            mean[1] = np.mean(a[some, 1]) if some.any() else _NONE_DONE
        return tuple(mean)

    return max(scores, key=key)


@dataclass
class JointResult:
    """What :func:`joint_search` found on one trace.

    Attributes:
        best: carin's joint choice: among the finalists, the highest mean score over
            the trace and its resamples (with ``resamples=0``, ``fitted``).
        baseline: The uniform baseline per baseline policy (``fp``, ``edf``).
        per_policy: The best configuration found per policy.
        candidates: Per task, the candidate plans and their origin.
        evaluator: The evaluator holding every simulated configuration.
        fitted: The configuration of highest score on the trace itself.
        resampled: Per finalist, its score on the trace, then on each resample.
        resampled_runs: Per finalist, its simulation on the trace, then on each
            resample (what :func:`taskset_rows` writes the ``resampled_*`` columns from).
    """

    best: Config
    baseline: dict[str, Config]
    per_policy: dict[str, Config]
    candidates: list[dict[str, str]]
    evaluator: Evaluator
    fitted: Config | None = None
    resampled: dict[Config, list[tuple[float, float]]] = field(default_factory=dict)
    resampled_runs: dict[Config, list[TaskSetResults]] = field(default_factory=dict)


def _descend(ev: Evaluator, cur: Config, options: Sequence[Sequence[str]], rounds: int) -> Config:
    """Coordinate descent: per task, the plan among ``options[k]`` of best score."""
    for _ in range(rounds):
        changed = False
        for k, plans in enumerate(options):
            trial = [Config(cur.plans[:k] + (p,) + cur.plans[k + 1 :], cur.policy) for p in plans]
            best = ev.best([cur, *trial])
            if best != cur:
                cur, changed = best, True
        if not changed:
            break
    return cur


def uniform_baseline(ev: Evaluator, policy: str, *, rounds: int = 3) -> Config:
    """The usual practice: one uniform CM per task under ``policy``, chosen by simulation.

    Starts from the best single CM for every task (a task where it does not apply keeps
    its first applicable one), then changes one task's CM at a time while the score
    improves (coordinate descent over the per-task uniform plans).
    """
    codes = _uniform_codes(ev.taskset)
    starts = []
    for c in CODES:
        plans = tuple(next((p for p in ps if p[0] == c), ps[0]) for ps in codes)
        starts.append(Config(plans, policy))
    return _descend(ev, ev.best(list(dict.fromkeys(starts))), codes, rounds)


def joint_search(
    taskset: TaskSet,
    trace: Trace,
    *,
    policies: Sequence[str] = ("fp", "edf", "ia", "edf-pause"),
    baselines: Sequence[str] = ("fp", "edf"),
    rounds: int = 2,
    bands_mw: Sequence[float] = BANDS_MW,
    cross: Sequence[str] = ("edf-pause", "ia-yield"),
    finalists_k: int = 6,
    resamples: int = 4,
    block_mult: float = 1.5,
    seed: int = 0,
) -> JointResult:
    """Choose per-task plans and the policy together on ``trace`` (see the module docstring).

    Args:
        taskset: The task set.
        trace: The trace to choose on.
        policies: Policies carin may choose.
        baselines: Policies of the uniform baselines (:func:`uniform_baseline`).
        rounds: Coordinate-descent passes over the tasks.
        bands_mw: Harvested-power band edges for the per-band DP plans.
        cross: Further policies tried, with ``policies``, on the plans each policy's
            descent ended with (step 4 of the module docstring).
        finalists_k: How many of the best-scoring configurations are re-scored on
            resamples (step 5), besides the baselines and each policy's best.
        resamples: Block-bootstrap resamples of ``trace`` for step 5 (0: none, the
            choice is the best score on ``trace``).
        block_mult: Block length of the resamples in units of the longer of the task
            set's longest period or deadline and the trace's correlation time
            (:func:`bootstrap_block_s`).
        seed: Seed of the resamples.
    """
    ev = Evaluator(taskset, trace)
    baseline = {pol: uniform_baseline(ev, pol) for pol in baselines}
    uniform = _uniform_codes(taskset)
    bounded = bounded_candidates(taskset)
    per_policy: dict[str, Config] = {}
    cand_union: list[dict[str, str]] = [{p: "uniform" for p in u} for u in uniform]
    for pol in policies:
        starts = [Config(b.plans, pol) for b in baseline.values()]
        cur = ev.best(list(dict.fromkeys(starts)))
        dp = _dp_candidates(ev, cur, bands_mw)
        if make_policy(pol).pause > 0:  # commits are mostly preemption points
            dp = [
                {**d, **{p: o for p, o in b.items() if p not in d}}
                for d, b in zip(dp, bounded, strict=True)
            ]
        options = []
        for k in range(len(taskset)):
            for p, o in dp[k].items():
                cand_union[k].setdefault(p, o)
            options.append(list(dict.fromkeys([*uniform[k], *dp[k]])))
        per_policy[pol] = _descend(ev, cur, options, rounds)
    # every policy with every policy's best plans (a policy's descent may miss plans
    # that suit another; cheap: at most len(cross)^2 simulations)
    for plans in dict.fromkeys(c.plans for c in per_policy.values()):
        for pol in dict.fromkeys([*policies, *cross]):
            ev.run(Config(plans, pol))
    fitted = max(ev.results, key=ev.key)
    best, runs, rescored = fitted, {}, {}
    if resamples > 0:
        starts = [Config(b.plans, pol) for b in baseline.values() for pol in policies]
        fin = finalists(ev, finalists_k, [*baseline.values(), *starts, *per_policy.values()])
        block_s = bootstrap_block_s(taskset, trace, mult=block_mult)
        runs = resampled_runs(ev, fin, resamples=resamples, block_s=block_s, seed=seed)
        rescored = {c: [score(r) for r in rs] for c, rs in runs.items()}
        best = robust_choice(rescored)
    return JointResult(
        best=best,
        baseline=baseline,
        per_policy=per_policy,
        candidates=cand_union,
        evaluator=ev,
        fitted=fitted,
        resampled=rescored,
        resampled_runs=runs,
    )


def choose_bands(
    ev: Evaluator,
    default: Config,
    configs: Sequence[Config] | None = None,
    *,
    bands_mw: Sequence[float] = BANDS_MW,
    validate: bool = True,
    **guard: float,
) -> list[Config]:
    """Per harvested-power band, the configuration to switch to at run time.

    Every configuration simulated by ``ev`` (or ``configs``) is compared with ``default``
    on the jobs released in the band, with the guard of
    :func:`~carin.intermittent.profile.choose_by_band` (enough jobs, clearly more
    successes or clearly faster, paired test). A band comparison sees each
    configuration running alone, not the switching itself (a switch changes which jobs
    are waiting and how full the capacitor is), so with ``validate`` the switching is
    then simulated on ``ev``'s trace and kept only if it scores strictly higher than
    ``default`` alone; otherwise every band gets ``default``. Returns one configuration
    per band.
    """
    pool = list(configs) if configs is not None else list(ev.results)
    if ev.fits(default):  # a band never switches to a configuration that does not fit
        pool = [c for c in pool if ev.fits(c)]
    if default not in pool:
        pool.append(default)
    names = {c: f"c{i}" for i, c in enumerate(pool)}
    back = {v: k for k, v in names.items()}
    runs = [PlanRun(plan=names[c], origin="", jobs=ev.run(c).as_job_results()) for c in pool]
    picked = choose_by_band(runs, names[default], bands_mw=bands_mw, **guard)
    per_band = [back[p] for p in picked]
    if validate and any(c != default for c in per_band):
        distinct, choose = band_chooser(per_band, bands_mw)
        if score(ev.run_adaptive(distinct, choose)) <= score(ev.run(default)):
            return [default] * len(per_band)
    return per_band


def band_chooser(
    per_band: Sequence[Config], bands_mw: Sequence[float] = BANDS_MW
) -> tuple[list[Config], Callable[[float], int]]:
    """The distinct configurations of ``per_band`` and the power -> index map over them."""
    distinct: list[Config] = []
    for c in per_band:
        if c not in distinct:
            distinct.append(c)
    idx = [distinct.index(c) for c in per_band]
    edges = np.asarray(bands_mw[1:-1], dtype=float)

    def choose(p_w: float) -> int:
        return idx[int(np.searchsorted(edges, p_w * 1e3, "right"))]

    return distinct, choose


def resampled_summary(runs: Sequence[TaskSetResults], lo_mw: float, hi_mw: float) -> dict:
    """The ``resampled_*`` metrics of :func:`taskset_rows` over one configuration's
    runs on a trace and its resamples, for the jobs released at a harvested power in
    ``[lo_mw, hi_mw)`` (every job when ``lo_mw`` is NaN).

    Pooled over the runs: ``resampled_weighted_success`` and ``resampled_success_rate``
    (percent of the weight, and of the number, of the jobs released on all of them),
    ``resampled_jobs``; ``resampled_latency_ms`` is the mean over the runs that
    completed a job of their mean latency. Over every job (every run releases the same
    jobs) this is :func:`robust_choice`'s order.
    """
    w_done = w_all = 0.0
    n_done = n_all = 0
    lat = []
    for r in runs:
        m = np.ones(r.n_jobs, bool)
        if not np.isnan(lo_mw):
            pw_mw = r.power_w * 1e3
            m = (pw_mw >= lo_mw) & (pw_mw < hi_mw)
        done = r.completed & m
        w_done += float(r.weight[done].sum())
        w_all += float(r.weight[m].sum())
        n_done += int(np.count_nonzero(done))
        n_all += int(np.count_nonzero(m))
        if done.any():
            lat.append(float(r.latency_s[done].mean()))
    nan = float("nan")
    return {
        "resampled_weighted_success": 100.0 * w_done / w_all if w_all > 0 else nan,
        "resampled_success_rate": 100.0 * n_done / n_all if n_all else nan,
        "resampled_latency_ms": float(np.mean(lat)) * 1e3 if lat else nan,
        "resampled_jobs": n_all,
    }


def taskset_rows(
    taskset: TaskSet,
    trace: Trace,
    results: dict[Config, TaskSetResults],
    *,
    bands_mw: Sequence[float] = BANDS_MW,
    resampled: Mapping[Config, Sequence[TaskSetResults]] | None = None,
) -> pd.DataFrame:
    """Profile rows of simulated configurations: one overall row each and one per band.

    Key columns: ``model`` = the task set's name, ``cm`` = the plans as ``task:plan``
    words, ``variant`` = the policy, ``device`` = ``<device>@<trace>``, and the band in
    ``power_lo_mw``/``power_hi_mw`` (empty on the overall row). Metrics on ``trace``:
    ``success_rate`` (percent of all released jobs done by their deadline),
    ``weighted_success``, ``succeeded``, ``latency_ms``, ``energy_mj``, ``nvm_kb``,
    ``cycles``, ``jobs``, ``fram_kb`` (the configuration's FRAM footprint in KiB,
    :func:`~carin.intermittent.tasks.taskset_footprint`), and per task
    ``success_rate_<task>``. With ``resampled``
    (per configuration its runs on ``trace`` and on its resamples, as
    :attr:`JointResult.resampled_runs`; every configuration of ``results`` must have
    them), also the columns of :func:`resampled_summary` (for a band: the jobs released
    in the band on each run), so that the order of ``resampled_weighted_success`` then
    ``resampled_latency_ms`` on the overall rows is :func:`robust_choice`'s.
    """
    if resampled is not None:
        missing = [c for c in results if c not in resampled]
        if missing:
            raise ValueError(f"taskset_rows: no resampled runs for {missing[0]}")
    names = taskset.names
    precisions = sorted({t.model.precision for t in taskset.tasks})
    rows = []
    for cfg in sorted(results):
        res = results[cfg]
        fram_kb = round(taskset_footprint(taskset, cfg.plans, cfg.policy).total / 1024, 4)
        pw_mw = res.power_w * 1e3
        bands = [(np.nan, np.nan), *zip(bands_mw[:-1], bands_mw[1:], strict=True)]
        for lo, hi in bands:
            m = None if np.isnan(lo) else (pw_mw >= lo) & (pw_mw < hi)
            if m is not None and not m.any():
                continue
            s = res.summary(m)
            per = res.per_task(m)
            row = {
                "model": taskset.name,
                "precision": precisions[0] if len(precisions) == 1 else "mixed",
                "processor": "mcu",
                "task": "intermittent_taskset",
                "device": f"{taskset.device.name}@{trace.name}",
                "cm": cfg.label(names),
                "variant": cfg.policy,
                "power_lo_mw": lo,
                "power_hi_mw": hi if np.isfinite(hi) else np.nan,
                "success_rate": round(s["success_rate"], 4),
                "weighted_success": round(s["weighted_success"], 4),
                "succeeded": s["succeeded"],
                "latency_ms": round(s["latency_ms"], 4) if np.isfinite(s["latency_ms"]) else np.nan,
                "energy_mj": round(s["energy_mj"], 6),
                "nvm_kb": round(s["nvm_kb"], 6),
                "fram_kb": fram_kb,
                "cycles": round(s["cycles"], 4),
                "jobs": s["jobs"],
            }
            for n in names:
                v = per[n]["success_rate"]
                row[f"success_rate_{n}"] = round(v, 4) if np.isfinite(v) else np.nan
            if resampled is not None:
                r = resampled_summary(resampled[cfg], lo, hi)
                for k, v in r.items():
                    row[k] = v if k == "resampled_jobs" or not np.isfinite(v) else round(v, 4)
            rows.append(row)
    return pd.DataFrame(rows)
