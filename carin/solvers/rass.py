"""RASS: an exact sort-and-search solver.

Single-DNN: one vectorised pass scores every configuration, drops the
infeasible ones, and a sort-based non-dominated filter (moocore) keeps the
Pareto set, ties included.

Multi-DNN: a design picks one configuration per task, so the raw space is the
product of the tasks' candidate lists. RASS never enumerates it. Every app
metric is an aggregate (sum, max, min, mean) of the parts, and with
time-sharing a part's latency is the sum over its processor; each is monotone
in the parts' values. RASS therefore

1. keeps, per task and processor, only the configurations no other one
   dominates in every part cost (any design is weakly dominated by one built
   from these), then builds designs task by task as *partial states*
   (running aggregates, the per-processor latency sums and counts, the
   tightest task latency limit per processor), dropping any partial state whose optimistic completion breaks a
   constraint, and any state another state with the same processor counts
   dominates (it cannot lead to a better design); the surviving full designs
   give the exact set of Pareto-optimal objective vectors;
2. recovers every design that attains one of those vectors (aggregates such as
   ``max`` let dominated parts tie), by a bounded search that discards a
   partial design as soon as its optimistic completion is infeasible or
   strictly dominated by the known front. Before that search, each task's
   candidate list is cut to the configurations that some completion from the
   other tasks' part fronts can still bring onto the front.

Both steps are exact; ``tests/test_solvers.py`` checks RASS against the
exhaustive solver on every example spec and on random tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carin._exact import limit_units
from carin.pareto import dominated_by_any, nondominated, to_costs
from carin.solvers._base import Solver
from carin.space import LATENCY

if TYPE_CHECKING:
    from carin.space import DesignSpace

CHUNK = 1_000_000
REFINE_MIN = 32  # refine step-2 candidate lists longer than this
_BIG = 1e300


class RassSolver(Solver):
    """Exact sort-and-search solver (the default)."""

    name = "rass"
    exact = True

    def _solve(self, space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
        if space.single:
            return _solve_single(space, condition)
        return _MultiProblem(space, condition).solve()


def _solve_single(space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
    n = len(space.tasks[0])
    index = np.arange(n, dtype=np.int64)[:, None]
    ev = space.evaluate(index, condition)
    feasible = np.flatnonzero(ev.feasible)
    costs = to_costs(ev.objectives[feasible], space.maximise)
    keep = nondominated(costs)
    return index[feasible[keep]], n, {"raw": n, "feasible": int(len(feasible))}


@dataclass
class _Term:
    """One aggregated quantity the search tracks, in cost form (lower is better)."""

    metric: str
    cond: bool  # evaluated under the condition (slowed latency) or nominal
    sign: float  # +1 keep, -1 negate (maximised)
    agg: str  # cost-space aggregate: sum | max | min
    mean: bool  # divide by k at the end
    shared: bool  # time-shared latency: tracked per processor


class _MultiProblem:
    def __init__(self, space: DesignSpace, condition: dict) -> None:
        self.space = space
        self.cond = condition
        self.k = len(space.tasks)
        slow = condition.get("slowdown") or {}
        # exact integer units (carin._exact): part latencies at scale s_nom, slowed at s_cond
        self.factor_places, self.factors = space.latency_factors(condition)
        self.s_nom = 10 ** space.places(LATENCY)
        self.s_cond = self.s_nom * 10**self.factor_places
        self.procs = list(space.processors)
        self.P = len(self.procs)
        shared = space.time_share

        def term(metric: str, agg: str, cond: bool, sign: float) -> int:
            cond = cond and metric == LATENCY and bool(slow)
            is_shared = shared and metric == LATENCY
            cagg = "sum" if agg in ("sum", "mean") else agg
            if sign < 0 and cagg != "sum":
                cagg = "min" if cagg == "max" else "max"
            t = _Term(metric, cond, sign, cagg, agg == "mean", is_shared)
            for i, old in enumerate(self.terms):
                if old == t:
                    return i
            self.terms.append(t)
            return len(self.terms) - 1

        self.terms: list[_Term] = []
        self.obj_terms = [
            term(o.target.metric, o.target.aggregate, False, -1.0 if o.maximise else 1.0)
            for o in space.objectives
        ]
        # constraints as (term, limit in cost form): final cost <= limit
        self.con_terms: list[tuple[int, float]] = []
        for c in space.constraints:
            sign = 1.0 if c.op == "<=" else -1.0
            lim = limit_units(c.value, space.scale(c.target, self.s_cond), c.op)
            self.con_terms.append(
                (term(c.target.metric, c.target.aggregate, True, sign), sign * lim)
            )
        if condition.get("memory_budget_mb") is not None:
            mt = space.memory_target
            lim = limit_units(condition["memory_budget_mb"], space.scale(mt), "<=")
            self.con_terms.append((term(mt.metric, mt.aggregate, True, 1.0), lim))
        if condition.get("latency_budget_ms") is not None:
            lt = space.latency_target
            lim = limit_units(condition["latency_budget_ms"], space.scale(lt, self.s_cond), "<=")
            self.con_terms.append((term(lt.metric, lt.aggregate, True, 1.0), lim))
        # time-shared latency with task limits: track the tightest limit per processor
        self.task_limits = shared and any(
            c.target.metric == LATENCY for t in space.tasks for c in t.constraints
        )
        self.shared_nom = shared and any(
            self.terms[i].shared and not self.terms[i].cond for i in range(len(self.terms))
        )
        self.shared_cond = shared and (
            self.task_limits
            or any(self.terms[i].shared and self.terms[i].cond for i in range(len(self.terms)))
        )
        self._prepare_tasks()

    # -- per-task candidate arrays ---------------------------------------------------

    def _prepare_tasks(self) -> None:
        space, cond = self.space, self.cond
        self.rows: list[np.ndarray] = []  # candidate row positions per task
        self.vals: list[np.ndarray] = []  # (m, T) part costs (raw latency for shared terms)
        self.lat_nom: list[np.ndarray] = []
        self.lat_cond: list[np.ndarray] = []
        self.proc: list[np.ndarray] = []  # processor code per candidate
        self.limit: list[np.ndarray] = []  # task latency limit per candidate (inf if none)
        unavailable = list(cond.get("unavailable") or ())
        power = cond.get("power_mw")
        code = {p: i for i, p in enumerate(self.procs)}
        for ti, task in enumerate(space.tasks):
            n = len(task)
            ok = np.ones(n, dtype=bool)
            lat = task.units(LATENCY)
            lat_c = lat if self.factors is None else lat * self.factors[ti]
            cols = np.empty((n, len(self.terms)))
            for j, t in enumerate(self.terms):
                v = (lat_c if t.cond else lat) if t.metric == LATENCY else task.units(t.metric)
                cols[:, j] = t.sign * v
            ok &= ~np.isnan(cols).any(axis=1)
            if unavailable:
                ok &= ~np.isin(task.processor, unavailable)
            rows = task.power_rows(power)
            if rows is not None:
                ok &= rows
            limit = np.full(n, np.inf)
            with np.errstate(invalid="ignore"):
                for c in task.constraints:
                    if c.target.metric == LATENCY:
                        v = lat_c
                        lim = limit_units(c.value, self.s_cond, c.op)
                        if self.space.time_share:
                            if c.op == "<=":
                                limit = np.minimum(limit, lim)
                            ok &= v <= lim if c.op == "<=" else v >= lim
                            continue
                    else:
                        v = task.units(c.target.metric)
                        lim = limit_units(c.value, 10 ** task.places(c.target.metric), c.op)
                    ok &= v <= lim if c.op == "<=" else v >= lim
            keep = np.flatnonzero(ok)
            self.rows.append(keep)
            self.vals.append(cols[keep])
            # a missing latency left here is needed only by task limits: it breaks the
            # limit of any part sharing its processor (an infinite share), no other
            self.lat_nom.append(np.where(np.isnan(lat[keep]), np.inf, lat[keep]))
            self.lat_cond.append(np.where(np.isnan(lat_c[keep]), np.inf, lat_c[keep]))
            self.proc.append(np.array([code[p] for p in task.processor[keep]], dtype=np.int64))
            self.limit.append(limit[keep])
        # ideal (best possible) part cost per task and term, for optimistic bounds
        self.ideal = [
            v.min(axis=0) if len(v) else np.full(len(self.terms), np.inf) for v in self.vals
        ]
        self.ideal_lat_nom = [x.min() if len(x) else np.inf for x in self.lat_nom]
        self.ideal_lat_cond = [x.min() if len(x) else np.inf for x in self.lat_cond]

    # -- partial states ---------------------------------------------------------------

    def _empty(self) -> dict:
        T, P = len(self.terms), self.P
        z = np.zeros((1, T))
        for j, t in enumerate(self.terms):
            z[0, j] = {"sum": 0.0, "max": -np.inf, "min": np.inf}[t.agg]
        return {
            "idx": np.zeros((1, 0), dtype=np.int64),
            "z": z,
            "s_nom": np.zeros((1, P)),
            "s_cond": np.zeros((1, P)),
            "cnt": np.zeros((1, P), dtype=np.int64),
            "lim": np.full((1, P), np.inf),
        }

    def _expand(self, st: dict, t: int, cand: np.ndarray) -> dict:
        """All states x candidates (positions ``cand`` into task t's arrays)."""
        n, m = len(st["z"]), len(cand)
        si = np.repeat(np.arange(n), m)
        ci = np.tile(cand, n)
        z = st["z"][si].copy()
        v = self.vals[t][ci]
        for j, term in enumerate(self.terms):
            if term.agg == "sum":
                z[:, j] += v[:, j]
            elif term.agg == "max":
                z[:, j] = np.maximum(z[:, j], v[:, j])
            else:
                z[:, j] = np.minimum(z[:, j], v[:, j])
        p = self.proc[t][ci]
        rows = np.arange(len(ci))
        out = {"idx": np.concatenate([st["idx"][si], ci[:, None]], axis=1), "z": z}
        cnt = st["cnt"][si].copy()
        cnt[rows, p] += 1
        out["cnt"] = cnt
        s_nom = st["s_nom"][si].copy()
        s_nom[rows, p] += self.lat_nom[t][ci]
        out["s_nom"] = s_nom
        s_cond = st["s_cond"][si].copy()
        s_cond[rows, p] += self.lat_cond[t][ci]
        out["s_cond"] = s_cond
        lim = st["lim"][si].copy()
        lim[rows, p] = np.minimum(lim[rows, p], self.limit[t][ci])
        out["lim"] = lim
        return out

    def _final(self, st: dict, remaining: list[int]) -> np.ndarray:
        """Optimistic final cost of every term (exact when nothing remains)."""
        z = st["z"].copy()
        for r in remaining:
            for j, term in enumerate(self.terms):
                if term.shared:
                    continue
                if term.agg == "sum":
                    z[:, j] += self.ideal[r][j]
                elif term.agg == "max":
                    z[:, j] = np.maximum(z[:, j], self.ideal[r][j])
                else:
                    z[:, j] = np.minimum(z[:, j], self.ideal[r][j])
        used = st["cnt"] > 0
        for j, term in enumerate(self.terms):
            if term.shared:
                s = st["s_cond"] if term.cond else st["s_nom"]
                rest = [
                    (self.ideal_lat_cond if term.cond else self.ideal_lat_nom)[r] for r in remaining
                ]
                if term.agg == "max":
                    val = np.where(used, s, -np.inf).max(axis=1)
                    if rest:
                        val = np.maximum(val, max(rest))
                elif term.agg == "min":
                    val = np.where(used, s, np.inf).min(axis=1)
                    if rest:
                        val = np.minimum(val, min(rest))
                else:
                    val = (s * st["cnt"]).sum(axis=1) + sum(rest)
                z[:, j] = val
        return z

    def _feasible(self, st: dict, final: np.ndarray) -> np.ndarray:
        ok = np.ones(len(final), dtype=bool)
        for j, limit in self.con_terms:
            ok &= final[:, j] <= limit + 0.0
        if self.task_limits:
            ok &= (st["s_cond"] <= st["lim"]).all(axis=1)
        return ok

    def _select(self, st: dict, keep: np.ndarray) -> dict:
        return {k: v[keep] for k, v in st.items()}

    def _dominance_columns(self, st: dict) -> np.ndarray:
        cols = [st["z"]]
        if self.shared_nom:
            cols.append(st["s_nom"])
        if self.shared_cond:
            cols.append(st["s_cond"])
        if self.task_limits:
            cols.append(-np.minimum(st["lim"], _BIG))
        return np.concatenate(cols, axis=1)

    def _prune_dominated(self, st: dict) -> dict:
        """Keep one representative of each non-dominated state per processor-count vector."""
        if len(st["z"]) <= 1:
            return st
        _, group = np.unique(st["cnt"], axis=0, return_inverse=True)
        keep = _front_per_group(self._dominance_columns(st), group.reshape(-1))
        return self._select(st, keep)

    # -- step-2 candidate refinement ---------------------------------------------------

    def _part_front(self, t: int) -> np.ndarray:
        """Positions of task t's candidates no other candidate on its processor dominates.

        Columns: every term's part cost, the nominal and conditioned latency (they add
        up on a time-shared processor) and the task latency limit (a larger one is
        better). Any candidate is weakly dominated by one of these on its processor.
        """
        cols = np.concatenate(
            [
                self.vals[t],
                self.lat_nom[t][:, None],
                self.lat_cond[t][:, None],
                -np.minimum(self.limit[t], _BIG)[:, None],
            ],
            axis=1,
        )
        return np.flatnonzero(_front_per_group(cols, self.proc[t]))

    def _refine(self, t: int, cand: np.ndarray, front: np.ndarray, counter: list) -> np.ndarray:
        """Drop candidates of task t that no completion can bring onto the front.

        The other tasks are combined from their per-processor part fronts only, with
        the step-1 pruning; every design through a candidate is weakly dominated by
        one of these completions (aggregates are monotone), so a candidate whose
        every completion is infeasible or strictly dominated by the front cannot
        attain a front vector (all values are exact integers, so ties are ties).
        """
        others = [u for u in range(self.k) if u != t]
        st = self._empty()
        for depth, u in enumerate(others):
            remaining = others[depth + 1 :] + [t]
            new = self._expand(st, u, self.fronts[u])
            counter[0] += len(new["z"])
            new = self._select(new, self._feasible(new, self._final(new, remaining)))
            st = self._prune_dominated(new)
            if len(st["z"]) == 0:
                return cand[:0]
        survive = np.zeros(len(self.rows[t]), dtype=bool)
        step = max(1, CHUNK // max(1, len(st["z"])))
        for a in range(0, len(cand), step):
            part = cand[a : a + step]
            new = self._expand(st, t, part)
            counter[0] += len(new["z"])
            fin = self._final(new, [])
            ok = self._feasible(new, fin) & ~dominated_by_any(fin[:, self.obj_terms], front)
            survive[new["idx"][ok, -1]] = True
        return cand[survive[cand]]

    # -- the two steps ------------------------------------------------------------------

    def solve(self) -> tuple[np.ndarray, int, dict]:
        k = self.k
        raw = int(np.prod([len(t) for t in self.space.tasks], dtype=object))
        stats: dict = {"raw": raw, "candidates": [len(r) for r in self.rows]}
        if any(len(r) == 0 for r in self.rows):
            return np.zeros((0, k), dtype=np.int64), 0, stats
        order = list(range(k))
        evaluated = 0

        # Step 1: the exact set of Pareto-optimal objective vectors.
        # Only each task's per-processor part front can matter here: any design is
        # weakly dominated by one built from part-front rows, which is as feasible.
        self.fronts = fronts = [self._part_front(t) for t in range(k)]
        stats["part_fronts"] = [len(f) for f in fronts]
        st = self._empty()
        for depth, t in enumerate(order):
            remaining = order[depth + 1 :]
            parts = []
            step = max(1, CHUNK // len(fronts[t]))
            for a in range(0, len(st["z"]), step):
                sub = self._select(st, slice(a, a + step))
                new = self._expand(sub, t, fronts[t])
                evaluated += len(new["z"])
                new = self._select(new, self._feasible(new, self._final(new, remaining)))
                parts.append(self._prune_dominated(new))
            st = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
            st = self._prune_dominated(st)
            if len(st["z"]) == 0:
                return np.zeros((0, k), dtype=np.int64), evaluated, stats
        final = self._final(st, [])
        obj = final[:, self.obj_terms]
        front = np.unique(obj[nondominated(obj)], axis=0)
        stats["front_vectors"] = int(len(front))
        stats["step1_states"] = evaluated

        # Step 2: every design attaining a front vector.
        evaluated_box = [0]
        cand = []
        for t in range(k):
            st1 = self._expand(self._empty(), t, np.arange(len(self.rows[t])))
            rem = [u for u in range(k) if u != t]
            fin = self._final(st1, rem)
            ok = self._feasible(st1, fin) & ~dominated_by_any(fin[:, self.obj_terms], front)
            cand.append(np.flatnonzero(ok))
        cand = [
            self._refine(t, cand[t], front, evaluated_box) if len(cand[t]) > REFINE_MIN else cand[t]
            for t in range(k)
        ]
        evaluated += evaluated_box[0]
        stats["step2_candidates"] = [len(c) for c in cand]
        st = self._empty()
        for depth, t in enumerate(order):
            remaining = order[depth + 1 :]
            parts = []
            step = max(1, CHUNK // max(1, len(cand[t])))
            for a in range(0, len(st["z"]), step):
                new = self._expand(self._select(st, slice(a, a + step)), t, cand[t])
                evaluated += len(new["z"])
                fin = self._final(new, remaining)
                ok = self._feasible(new, fin) & ~dominated_by_any(fin[:, self.obj_terms], front)
                parts.append(self._select(new, ok))
            st = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
            if len(st["z"]) == 0:
                break
        # st["idx"] columns follow `order`; map positions back to table rows, task order.
        index = np.empty((len(st["idx"]), k), dtype=np.int64)
        for col, t in enumerate(order):
            index[:, t] = self.rows[t][st["idx"][:, col]]
        stats["designs"] = int(len(index))
        return index, evaluated, stats


def _front_per_group(cols: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Mask keeping one row of each non-dominated cost vector within each group.

    Infinite costs are clipped to a large finite value; constant columns are
    dropped (they cannot separate rows); one column needs only its minimum.
    """
    import moocore

    cols = np.where(np.isfinite(cols), cols, np.sign(cols) * _BIG)
    keep = np.zeros(len(cols), dtype=bool)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        c = cols[members]
        var = c.max(axis=0) > c.min(axis=0) if c.shape[1] else np.zeros(0, dtype=bool)
        if len(members) == 1 or not var.any():
            keep[members[0]] = True
            continue
        c = c[:, var]
        if c.shape[1] == 1:
            keep[members[np.argmin(c[:, 0])]] = True
            continue
        keep[members[moocore.is_nondominated(c, keep_weakly=False)]] = True
    return keep


SOLVERS = (RassSolver,)
