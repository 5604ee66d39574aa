"""RASS: an exact sort-and-search solver.

Single-DNN: one vectorised pass scores every configuration, drops the
infeasible ones, and a sort-based non-dominated filter (moocore) keeps the
Pareto set, ties included.

Multi-DNN: a design picks one configuration per task, so the raw space is the
product of the tasks' candidate lists. RASS never enumerates it. Every app
metric is an aggregate (sum, max, min, mean) of the parts, and with
time-sharing a part's latency is the sum over its processor; each is monotone
in the parts' values. All values are exact integers (``carin._exact``), so ties
are ties. RASS therefore

1. keeps, per task and processor, only the configurations no other one
   dominates in every part cost (any design is weakly dominated by one built
   from these), and combines them task by task, from the last task back, into
   *suffix states*: the running aggregates, per-processor latency sums (and
   counts, when an aggregate needs them) and the tightest task latency limit
   per processor of a combination of the remaining tasks. A state whose
   optimistic completion breaks a constraint is dropped, and so is any state
   another one dominates (it cannot do better in any completion). The first
   task then completes the states into designs, processor by processor (when
   every time-shared term is a ``max``, the other processors' latency sums count
   only through their maximum for a part on ``p``, which thins the states
   further), and only the objective
   vectors of these designs are kept: their non-dominated set is the exact set
   ``F`` of Pareto-optimal objective vectors;
2. recovers every design attaining a vector of ``F`` (aggregates such as
   ``max`` let dominated parts tie) task by task from the first: a partial
   design is kept exactly when one of the suffix states of the remaining
   tasks completes it into a feasible design whose objective vector is in
   ``F``. A suffix state is a real combination of rows, so such a completion
   is itself a Pareto design; conversely any Pareto design through the
   partial design is weakly dominated by, hence equal in objectives to, such
   a completion. Cheap optimistic bounds (each remaining task's best part
   value on its own) drop most candidates before that exact test, and limit the
   front vectors a state is joined with to those it can still reach.

Both steps are exact; ``tests/test_solvers.py`` and ``tests/test_exact.py``
check RASS against the exhaustive solver and an independent rational-arithmetic
reference, and a different task order must give the same set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from carin._exact import limit_units
from carin._lookup import KeyTable, tuple_keys
from carin.pareto import dominated_by_any, nondominated, to_costs
from carin.solvers._base import Solver
from carin.space import LATENCY

if TYPE_CHECKING:
    from collections.abc import Sequence

    from carin.space import DesignSpace

CHUNK = 400_000  # combined states materialised at once (rows x columns stay small)
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
    agg: str  # cost-space aggregate: sum | max | min (a mean is compared as its sum)
    shared: bool  # time-shared latency: computed from the per-processor sums
    task: int = -1  # >= 0: the value of that task's part alone (other parts count 0)


class _FrontIndex:
    """Exact membership of objective vectors in the front (hashed, then confirmed)."""

    def __init__(self, front: np.ndarray) -> None:
        self.front = front
        self.uniq = [np.unique(front[:, j]) for j in range(front.shape[1])]
        self.table = KeyTable(tuple_keys([front[:, j] for j in range(front.shape[1])]))
        self._targets: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def targets(self, qs: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The distinct values of the front in objectives ``qs``, and for each the
        worst value of every objective among the front vectors holding it."""
        key = tuple(qs)
        if key not in self._targets:
            values, inv = np.unique(self.front[:, qs], axis=0, return_inverse=True)
            worst = np.full((len(values), self.front.shape[1]), -np.inf)
            np.maximum.at(worst, inv.reshape(-1), self.front)
            self._targets[key] = (values, worst)
        return self._targets[key]

    def contains_columns(self, cols: list[np.ndarray], ok: np.ndarray) -> np.ndarray:
        """Where ``ok``, whether the vector whose ``j``-th cost is ``cols[j]`` is on the front.

        ``cols`` broadcast to ``ok``'s shape; entries outside ``ok`` come back False.
        """
        out = np.zeros(ok.shape, dtype=bool)
        pos = np.nonzero(ok)
        if not len(pos[0]) or not len(self.front):
            return out
        vals = [np.broadcast_to(c, ok.shape)[pos] for c in cols]
        query, row = self.table.matches(tuple_keys(vals))
        same = np.ones(len(query), dtype=bool)
        for j, v in enumerate(vals):
            same &= v[query] == self.front[row, j]
        hit = np.zeros(len(vals[0]), dtype=bool)
        hit[query[same]] = True
        out[pos] = hit
        return out


class _MultiProblem:
    """One multi-DNN solve: terms, per-task row states, and the two steps.

    A *state* is one row of a float64 matrix whose columns are, in blocks: the
    running aggregate of every term not computed from processor sums (``z``), the
    nominal and the slowed per-processor latency sums, per-processor counts, and
    the tightest task latency limit per processor (blocks only when needed). A
    task's row is a state of one part; combining two states of disjoint tasks is
    a column-wise sum, max or min.
    """

    def __init__(self, space: DesignSpace, condition: dict, order: Sequence[int] | None = None):
        self.space = space
        self.cond = condition
        self.k = len(space.tasks)
        self.order = list(range(self.k)) if order is None else list(order)
        slow = condition.get("slowdown") or {}
        # exact integer units (carin._exact): part latencies at scale s_nom, slowed at s_cond
        self.factor_places, self.factors = space.latency_factors(condition)
        self.s_nom = 10 ** space.places(LATENCY)
        self.s_cond = self.s_nom * 10**self.factor_places
        self.procs = list(space.processors)
        self.P = len(self.procs)
        shared = space.time_share

        def term(metric: str, agg: str, cond: bool, sign: float, task: str = "") -> int:
            cond = cond and metric == LATENCY and bool(slow)
            is_shared = shared and metric == LATENCY
            cagg = "sum" if agg in ("sum", "mean") or task else agg
            if sign < 0 and cagg != "sum":
                cagg = "min" if cagg == "max" else "max"
            t = _Term(metric, cond, sign, cagg, is_shared, space.task_index(task) if task else -1)
            for i, old in enumerate(self.terms):
                if old == t:
                    return i
            self.terms.append(t)
            return len(self.terms) - 1

        self.terms: list[_Term] = []
        self.obj_terms = [
            term(
                o.target.metric,
                o.target.aggregate,
                False,
                -1.0 if o.maximise else 1.0,
                o.target.task,
            )
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
        self.task_limits = shared and any(
            c.target.metric == LATENCY for t in space.tasks for c in t.constraints
        )
        self._layout()
        self._prepare_tasks()

    # -- state layout -------------------------------------------------------------------

    def _layout(self) -> None:
        P, terms = self.P, self.terms
        self.zterms = [j for j, t in enumerate(terms) if not t.shared]
        self.zcol = {j: c for c, j in enumerate(self.zterms)}
        col = len(self.zterms)
        need_nom = any(t.shared and not t.cond for t in terms)
        need_cond = any(t.shared and t.cond for t in terms) or self.task_limits
        self.sn = self.sc = self.cn = self.lm = None
        if need_nom:
            self.sn = slice(col, col + P)
            col += P
        if need_cond:
            if need_nom and self.factors is None:
                self.sc = self.sn  # no slowdown: the slowed sums are the nominal ones
            else:
                self.sc = slice(col, col + P)
                col += P
        # counts matter for sums of shared latency (each part pays its processor's
        # sum) and for minima (only used processors count); a max needs none
        if any(t.shared and t.task < 0 and t.agg != "max" for t in terms):
            self.cn = slice(col, col + P)
            col += P
        if self.task_limits:
            self.lm = slice(col, col + P)
            col += P
        # one task's own time-shared latency is its processor's sum: keep which processor
        # (code + 1; 0 while the task has no part yet)
        self.pt: dict[int, int] = {}
        for t in terms:
            if t.shared and t.task >= 0 and t.task not in self.pt:
                self.pt[t.task] = col
                col += 1
        self.W = col
        zagg = np.array([terms[j].agg for j in self.zterms], dtype=object)
        self.zmax = np.flatnonzero(zagg == "max")
        self.zmin = np.flatnonzero(zagg == "min")
        # dominance: every z column, latency sums (lower is better), limits (higher is better)
        dom = list(range(len(self.zterms)))
        for blk in (self.sn, self.sc if self.sc is not self.sn else None):
            if blk is not None:
                dom += list(range(blk.start, blk.stop))
        self.dom_cols = np.array(dom, dtype=np.int64)
        # how each column of two states of disjoint tasks combines
        self.col_op = [np.add] * self.W
        for c in self.zmax:
            self.col_op[c] = np.maximum
        for c in self.zmin:
            self.col_op[c] = np.minimum
        if self.lm is not None:
            for c in range(self.lm.start, self.lm.stop):
                self.col_op[c] = np.minimum
        # objectives that are plain sums of the parts: (z column, objective position)
        self.sums = [
            (self.zcol[j], q)
            for q, j in enumerate(self.obj_terms)
            if not terms[j].shared and terms[j].agg == "sum"
        ]
        # up to three objectives the test of many states against a front is a sweep
        # (pareto.dominated_by_any); with more it recurses and costs more than thinning
        self.costly_bounds = len(self.obj_terms) > 3
        self.identity = np.zeros(self.W)
        self.identity[self.zmax] = -np.inf
        self.identity[self.zmin] = np.inf
        if self.lm is not None:
            self.identity[self.lm] = np.inf

    def _combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row-wise combination of states of disjoint task sets."""
        out = a + b
        if len(self.zmax):
            out[:, self.zmax] = np.maximum(a[:, self.zmax], b[:, self.zmax])
        if len(self.zmin):
            out[:, self.zmin] = np.minimum(a[:, self.zmin], b[:, self.zmin])
        if self.lm is not None:
            out[:, self.lm] = np.minimum(a[:, self.lm], b[:, self.lm])
        return out

    def _dominance(self, st: np.ndarray) -> np.ndarray:
        cols = st[:, self.dom_cols]
        if self.lm is not None:
            cols = np.concatenate([cols, -np.minimum(st[:, self.lm], _BIG)], axis=1)
        return cols

    # -- per-task candidate arrays ---------------------------------------------------

    def _prepare_tasks(self) -> None:
        space, cond = self.space, self.cond
        self.rows: list[np.ndarray] = []  # candidate row positions per task
        self.states: list[np.ndarray] = []  # one-part state per candidate
        self.proc: list[np.ndarray] = []  # processor code per candidate
        unavailable = list(cond.get("unavailable") or ())
        power = cond.get("power_mw")
        code = {p: i for i, p in enumerate(self.procs)}
        ideal_lat_nom, ideal_lat_cond = [], []
        for ti, task in enumerate(space.tasks):
            n = len(task)
            ok = np.ones(n, dtype=bool)
            lat = task.units(LATENCY)
            lat_c = lat if self.factors is None else lat * self.factors[ti]
            cols = np.empty((n, len(self.terms)))
            for j, t in enumerate(self.terms):
                if t.task >= 0 and t.task != ti:
                    cols[:, j] = 0.0  # another task's own metric: this part adds nothing
                    continue
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
            proc = np.array([code[p] for p in task.processor[keep]], dtype=np.int64)
            st = np.tile(self.identity, (len(keep), 1))
            st[:, : len(self.zterms)] = cols[keep][:, self.zterms]
            r = np.arange(len(keep))
            # a missing latency left here is needed only by task limits: it breaks the
            # limit of any part sharing its processor (an infinite share), no other
            ln = np.where(np.isnan(lat[keep]), np.inf, lat[keep])
            lc = np.where(np.isnan(lat_c[keep]), np.inf, lat_c[keep])
            if self.sn is not None:
                st[r, self.sn.start + proc] = ln
            if self.sc is not None and self.sc is not self.sn:
                st[r, self.sc.start + proc] = lc
            if self.cn is not None:
                st[r, self.cn.start + proc] = 1.0
            if self.lm is not None:
                st[r, self.lm.start + proc] = limit[keep]
            if ti in self.pt:
                st[:, self.pt[ti]] = proc + 1
            self.rows.append(keep)
            self.states.append(st)
            self.proc.append(proc)
            ideal_lat_nom.append(ln.min() if len(ln) else np.inf)
            ideal_lat_cond.append(lc.min() if len(lc) else np.inf)
        # best part cost per task and term on its own, for optimistic bounds
        nz = len(self.zterms)
        self.ideal = [s[:, :nz].min(axis=0) if len(s) else np.full(nz, np.inf) for s in self.states]
        self.ideal_lat_nom = ideal_lat_nom
        self.ideal_lat_cond = ideal_lat_cond

    # -- values of states -----------------------------------------------------------------
    #
    # Values are computed through a column accessor: ``col(c)`` is column ``c`` of a
    # batch of states: one matrix (shape ``(n,)``), every pair of two matrices of
    # disjoint tasks (shape ``(n_a, n_b)``), or their rows paired one to one (shape
    # ``(n,)``), combined on the fly, so pairs are scored without building states.

    @staticmethod
    def _single(st: np.ndarray):
        return lambda c: st[:, c]

    def _pair(self, a: np.ndarray, b: np.ndarray):
        ops = self.col_op
        return lambda c: ops[c](a[:, None, c], b[None, :, c])

    def _zipped(self, a: np.ndarray, b: np.ndarray):
        ops = self.col_op
        return lambda c: ops[c](a[:, c], b[:, c])

    def _term(self, j: int, col, rest: Sequence[int] = ()) -> np.ndarray:
        """Final cost of term ``j``; optimistic (each task of ``rest`` at its best) if any remain."""
        t = self.terms[j]
        if not t.shared:
            c = self.zcol[j]
            v = col(c)
            if rest:
                ideal = [self.ideal[r][c] for r in rest]
                if t.agg == "sum":
                    v = v + sum(ideal)
                elif t.agg == "max":
                    v = np.maximum(v, max(ideal))
                else:
                    v = np.minimum(v, min(ideal))
            return v
        blk = self.sc if t.cond else self.sn
        procs = range(self.P)
        if t.task >= 0:  # the sum on that task's processor, or its own best while unplaced
            if t.task in rest:
                ideal = (self.ideal_lat_cond if t.cond else self.ideal_lat_nom)[t.task]
                return np.full(np.shape(col(0)), ideal)
            code = col(self.pt[t.task])
            v = np.zeros(np.shape(code))
            for p in procs:
                v = np.where(code == p + 1, col(blk.start + p), v)
            return v
        lat = [(self.ideal_lat_cond if t.cond else self.ideal_lat_nom)[r] for r in rest]
        if t.agg == "max":
            v = col(blk.start)
            for p in procs[1:]:
                v = np.maximum(v, col(blk.start + p))
            return np.maximum(v, max(lat)) if lat else v
        if t.agg == "min":
            v = None
            for p in procs:
                x = np.where(col(self.cn.start + p) > 0, col(blk.start + p), np.inf)
                v = x if v is None else np.minimum(v, x)
            return np.minimum(v, min(lat)) if lat else v
        v = sum(col(blk.start + p) * col(self.cn.start + p) for p in procs)
        return v + sum(lat) if lat else v

    def _scored(
        self, col, rest: Sequence[int] = (), objectives: bool = True
    ) -> tuple[list[np.ndarray] | None, np.ndarray]:
        """Objective costs per objective (optimistic when tasks ``rest`` remain) and feasibility."""
        cache: dict[int, np.ndarray] = {}

        def value(j: int) -> np.ndarray:
            if j not in cache:
                cache[j] = self._term(j, col, rest)
            return cache[j]

        ok = np.ones(np.shape(col(0)), dtype=bool)
        for j, lim in self.con_terms:
            ok &= value(j) <= lim
        if self.lm is not None:
            for p in range(self.P):
                ok &= col(self.sc.start + p) <= col(self.lm.start + p)
        obj = [value(j) for j in self.obj_terms] if objectives else None
        return obj, ok

    def _feasible(self, st: np.ndarray, rest: Sequence[int] = ()) -> np.ndarray:
        return self._scored(self._single(st), rest, objectives=False)[1]

    def _objectives(self, st: np.ndarray) -> np.ndarray:
        obj, _ = self._scored(self._single(st))
        return np.stack(obj, axis=1) if len(st) else np.zeros((0, len(self.obj_terms)))

    def _bounded(self, col, rest: Sequence[int], front: np.ndarray) -> np.ndarray:
        """Optimistic test: feasible, and not strictly dominated by ``front``, with ideal rests."""
        obj, ok = self._scored(col, rest)
        pos = np.nonzero(ok)
        if len(front) and len(pos[0]):
            vals = np.stack([np.broadcast_to(v, ok.shape)[pos] for v in obj], axis=1)
            ok[pos] = ~dominated_by_any(vals, front)
        return ok

    def _on_front(self, col, index: _FrontIndex) -> np.ndarray:
        """Exact test of complete designs: feasible with an objective vector of the front."""
        obj, ok = self._scored(col)
        return index.contains_columns(obj, ok)

    def _prune(self, st: np.ndarray) -> np.ndarray:
        """Keep one representative of each non-dominated state (per count vector if counted)."""
        if len(st) <= 1:
            return st
        keys = list(range(self.cn.start, self.cn.stop)) if self.cn is not None else []
        keys += list(self.pt.values())
        if keys:
            _, group = np.unique(st[:, keys], axis=0, return_inverse=True)
            group = group.reshape(-1)
        else:
            group = np.zeros(len(st), dtype=np.int64)
        return st[_front_per_group(self._dominance(st), group)]

    # -- step 1: suffix states and the exact front --------------------------------------

    def _part_front(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Task t's one-part states that no other state on the same processor dominates,
        with their processor codes.

        Any design is weakly dominated (in every term, sum and limit) by one whose parts
        all come from these, and it is as feasible.
        """
        st = self.states[t]
        keep = _front_per_group(self._dominance(st), self.proc[t])
        return st[keep], self.proc[t][keep]

    def _last_part(self, st: np.ndarray, t: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """Split ``st x fronts[t]`` (``t``: the one task ``st`` lacks) by the part's processor.

        When the last part goes on processor ``p``, a state counts only through its
        ``z`` columns, its latency sums and limit on ``p`` and its largest latency sum on
        the other processors: without counts and without a task's own latency, every
        time-shared term is a ``max``. If state ``a`` is at least as good as state ``b``
        in these, then ``a`` with any part on ``p`` is at least as good as ``b`` with it
        in every objective and constraint (limits on the other processors already hold
        in every suffix state, and the part does not touch them), so ``b`` is dropped
        for ``p``. Returns ``(states kept for p, the part front's rows on p)`` per
        processor, or None when counts or a task's own latency are tracked.
        """
        if self.cn is not None or self.pt:
            return None
        if self.lm is not None:
            st = st[(st[:, self.sc] <= st[:, self.lm]).all(axis=1)]
        blocks = [b for b in (self.sn, self.sc if self.sc is not self.sn else None) if b]
        out = []
        for p in range(self.P):
            rows = self.fronts[t][self.front_procs[t] == p]
            if not len(rows) or not len(st):
                continue
            cols = [st[:, : len(self.zterms)]]
            for blk in blocks:
                cols.append(st[:, blk.start + p, None])
                others = [blk.start + q for q in range(self.P) if q != p]
                if others:
                    cols.append(st[:, others].max(axis=1, keepdims=True))
            if self.lm is not None:
                cols.append(-np.minimum(st[:, self.lm.start + p, None], _BIG))
            keep = _front_per_group(np.concatenate(cols, axis=1), np.zeros(len(st), np.int64))
            out.append((st[keep], rows))
        return out

    def _pairs(self, states: np.ndarray, rows: np.ndarray, keep, counter: list):
        """Yield ``(i, j)`` position arrays of the pairs of ``states x rows`` that ``keep``
        accepts (``keep`` takes a pair column accessor), in chunks."""
        step = max(1, CHUNK // max(1, len(rows)))
        for a in range(0, len(states), step):
            blk = states[a : a + step]
            counter[0] += len(blk) * len(rows)
            i, j = np.nonzero(keep(self._pair(blk, rows)))
            yield i + a, j

    def _grow(
        self, states: np.ndarray, rows: np.ndarray, keep, prune, counter: list, merge=None
    ) -> np.ndarray:
        """The states of ``states x rows`` that ``keep`` accepts, thinned by ``prune``.

        The chunks' survivors are thinned together by ``merge`` (default ``prune``): a
        row test ``prune`` applies has already passed on each of them.
        """
        parts = [
            prune(self._combine(states[i], rows[j]))
            for i, j in self._pairs(states, rows, keep, counter)
        ]
        out = np.concatenate(parts) if parts else np.zeros((0, self.W))
        return (merge or prune)(out) if len(parts) > 1 else out

    def _incumbents(self, counter: list) -> np.ndarray:
        """Objective vectors of some feasible designs, found by a greedy pass.

        Built task by task like the suffix states, but thinned on each partial
        design's current values only (an inexact projection), so it is quick. Every
        vector belongs to a real feasible design, so what it strictly dominates is off
        the front.
        """
        order = self.order
        terms = list(dict.fromkeys(self.obj_terms + [j for j, _ in self.con_terms]))

        def thin(st: np.ndarray) -> np.ndarray:
            if len(st) <= 1:
                return st
            vals = np.stack([self._term(j, self._single(st)) for j in terms], axis=1)
            return st[_front_per_group(vals, np.zeros(len(st), dtype=np.int64))]

        st = self.identity[None, :].copy()
        for d, t in enumerate(order):
            rest = order[d + 1 :]
            st = self._grow(
                st,
                self.fronts[t],
                lambda col, r=rest: self._scored(col, r, False)[1],
                thin,
                counter,
            )
        obj = self._objectives(st[self._feasible(st)])
        return np.unique(obj[nondominated(obj)], axis=0) if len(obj) else obj

    def _suffixes(self, counter: list, best: np.ndarray) -> list[np.ndarray]:
        """``suffix[d]``: pruned states of the tasks ``order[d:]`` for ``d >= 1``
        (``suffix[k]``: the empty combination; ``suffix[0]`` is left empty).

        A state is dropped when its optimistic completion is infeasible or strictly
        dominated by ``best`` (objective vectors of real feasible designs), or when
        another state dominates it. Pairs are first kept on feasibility alone, thinned
        to their non-dominated states, and only those are tested against ``best``: a
        state dominated by another fails that test whenever the other one does, so the
        states kept are the same as testing first, at a fraction of the cost.
        """
        k, order = self.k, self.order
        suffix: list[np.ndarray] = [np.zeros((0, self.W))] * (k + 1)
        suffix[k] = self.identity[None, :].copy()
        first = not self.costly_bounds
        for d in range(k - 1, 0, -1):
            rest = order[:d]

            def keep(col, r=rest):
                if first:
                    return self._bounded(col, r, best)
                return self._scored(col, r, False)[1]

            def prune(st, r=rest):
                st = self._prune(st)
                return st if first else st[self._bounded(self._single(st), r, best)]

            suffix[d] = self._grow(
                suffix[d + 1], self.fronts[order[d]], keep, prune, counter, self._prune
            )
        return suffix

    def _front(self, suffix: np.ndarray, counter: list) -> np.ndarray:
        """The exact front: distinct non-dominated objective vectors of the feasible
        designs ``suffix x fronts[order[0]]`` (``suffix``: the states of the other tasks).

        Only objective vectors are needed, so each chunk of pairs is scored and merged
        into the running non-dominated set (moocore); no state is built.
        """
        t = self.order[0]
        pieces = self._last_part(suffix, t)
        if pieces is None:
            pieces = [(suffix, self.fronts[t])]
        run = np.zeros((0, len(self.obj_terms)))
        for states, rows in pieces:
            step = max(1, CHUNK // max(1, len(rows)))
            for a in range(0, len(states), step):
                blk = states[a : a + step]
                counter[0] += len(blk) * len(rows)
                obj, ok = self._scored(self._pair(blk, rows))
                vals = np.stack([np.broadcast_to(v, ok.shape)[ok] for v in obj], axis=1)
                run = np.concatenate([run, vals])
                run = np.unique(run[nondominated(run)], axis=0)
        return run

    # -- step 2: designs attaining the front --------------------------------------------

    def _front_pairs(
        self,
        a: np.ndarray,
        b: np.ndarray,
        tasks_a: Sequence[int],
        tasks_b: Sequence[int],
        index: _FrontIndex,
        counter: list,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(i, j)``: the pairs of states ``a[i]``, ``b[j]`` that make a design on the front.

        ``tasks_a`` and ``tasks_b`` are the tasks each side covers. With objectives that
        are plain sums of parts, a pair can only be on the front if its sums are those of
        a front vector: for each state of the smaller side and each front vector it can
        still reach (its optimistic completion is feasible and no worse in any
        objective), the states of the other side with the missing sums are found on an
        exact-value hash (one or two sums), and only those pairs are scored exactly.
        Otherwise every pair is scored.
        """
        ii, jj = [], []
        join = self._join_plan(a, b, index)
        if join is None:
            for i, j in self._pairs(a, b, lambda col: self._on_front(col, index), counter):
                ii.append(i)
                jj.append(j)
            candidates = ()
        elif len(a) > len(b):
            candidates = self._join(a, b, tasks_a, join)
        else:
            candidates = ((si, bi) for bi, si in self._join(b, a, tasks_b, join))
        for i, j in candidates:
            counter[0] += len(i)
            for p0 in range(0, len(i), CHUNK):
                pi, pj = i[p0 : p0 + CHUNK], j[p0 : p0 + CHUNK]
                hit = self._on_front(self._zipped(a[pi], b[pj]), index)
                ii.append(pi[hit])
                jj.append(pj[hit])
        if not ii:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(ii), np.concatenate(jj)

    def _wanted(self, small: np.ndarray, rest: Sequence[int], join: tuple):
        """Yield ``(s, keys)``: states of ``small`` and the hashed sums a partner must hold.

        One entry per state and front target it can still reach (``rest``: the tasks the
        partner covers), in state-then-target order, at most about ``CHUNK`` at a time.
        """
        cols, targets, worst = join
        obj, ok = self._scored(self._single(small), rest)
        lo = np.stack([np.broadcast_to(v, ok.shape) for v in obj], axis=1)
        step = max(1, CHUNK // len(targets))
        for s0 in range(0, len(small), step):
            reach = np.repeat(ok[s0 : s0 + step, None], len(targets), axis=1)
            for q in range(worst.shape[1]):
                reach &= worst[None, :, q] >= lo[s0 : s0 + step, None, q]
            sl, tl = np.nonzero(reach)
            si = s0 + sl
            yield si, tuple_keys([targets[tl, m] - small[si, c] for m, c in enumerate(cols)])

    def _join(self, big: np.ndarray, small: np.ndarray, rest: Sequence[int], join: tuple):
        """Yield ``(big position, small position)`` arrays of the pairs whose sums hit a target."""
        table = KeyTable(tuple_keys([big[:, c] for c in join[0]]))
        for si, want in self._wanted(small, rest, join):
            query, bi = table.matches(want)
            yield bi, si[query]

    def _join_plan(
        self, a: np.ndarray, b: np.ndarray, index: _FrontIndex
    ) -> tuple[list[int], np.ndarray, np.ndarray] | None:
        """The sum columns to join ``a x b`` on and the front's target sums, or None.

        Estimated pairs scored: one sum joins each small-side state with every big-side
        state holding a front value minus its own (the big side's repeats of a value
        come along); two sums pay one search per front vector and find few pairs.
        """
        if not self.sums or not len(a) or not len(b):
            return None
        small, big = sorted((len(a), len(b)))
        c0, q0 = self.sums[0]
        side = a if len(a) >= len(b) else b
        repeat = big / max(1, len(np.unique(side[:, c0])))
        plans = [(small * len(index.uniq[q0]) * (1.0 + repeat), [c0], [q0])]
        if len(self.sums) > 1:
            (c1, q1) = self.sums[1]
            plans.append((small * len(index.targets([q0, q1])[0]) * 1.5, [c0, c1], [q0, q1]))
        cost, cols, qs = min(plans, key=lambda p: p[0])
        return (cols, *index.targets(qs)) if cost < small * big else None

    def _completes(
        self, st: np.ndarray, suffix: np.ndarray, d: int, index: _FrontIndex, counter: list
    ) -> np.ndarray:
        """For each state of the tasks ``order[:d]``, whether some state of ``suffix`` (the
        tasks ``order[d:]``) completes it onto the front."""
        out = np.zeros(len(st), dtype=bool)
        if len(suffix) and len(st):
            head, tail = self.order[:d], self.order[d:]
            out[self._front_pairs(st, suffix, head, tail, index, counter)[0]] = True
        return out

    def solve(self) -> tuple[np.ndarray, int, dict]:
        k, order = self.k, self.order
        raw = int(np.prod([len(t) for t in self.space.tasks], dtype=object))
        stats: dict = {"raw": raw, "candidates": [len(r) for r in self.rows]}
        empty = np.zeros((0, k), dtype=np.int64)
        if any(len(r) == 0 for r in self.rows):
            return empty, 0, stats
        counter = [0]
        parts = [self._part_front(t) for t in range(k)]
        self.fronts, self.front_procs = [p[0] for p in parts], [p[1] for p in parts]
        stats["part_fronts"] = [len(f) for f in self.fronts]
        best = self._incumbents(counter)
        stats["incumbents"] = int(len(best))
        suffix = self._suffixes(counter, best)
        stats["suffix_states"] = [len(s) for s in suffix[1:k]]
        front = self._front(suffix[1], counter)
        if len(front) == 0:
            return empty, counter[0], stats
        stats["front_vectors"] = int(len(front))
        stats["step1_states"] = counter[0]
        index = _FrontIndex(front)
        # a suffix state is of use only if the earlier tasks at their best can complete it
        # into a feasible design not strictly dominated by the front
        for d in range(1, k):
            suffix[d] = suffix[d][self._bounded(self._single(suffix[d]), order[:d], front)]
        stats["useful_suffix_states"] = [len(s) for s in suffix[1:k]]

        # Step 2, task by task in `order`: keep partial designs some suffix completes.
        prefix = self.identity[None, :].copy()
        idx = np.zeros((1, 0), dtype=np.int64)
        kept, partial = {}, []
        for d, t in enumerate(order):
            others = [u for u in order if u != t]
            # rows of t that can be on the front at all, with every other task at its best
            cpos = np.flatnonzero(self._bounded(self._single(self.states[t]), others, front))
            cand = self.states[t][cpos]
            kept[t] = len(cpos)
            rest = order[d + 1 :]
            new_st, new_idx = [], []
            if rest:
                # when bounds are costly and there are sums to join on, hashing a state
                # in the exact test is cheaper than bounding it first
                def keep(col, r=rest):
                    if self.costly_bounds and self.sums:
                        return self._scored(col, r, False)[1]
                    return self._bounded(col, r, front)

                for i, j in self._pairs(prefix, cand, keep, counter):
                    st = self._combine(prefix[i], cand[j])
                    ok = self._completes(st, suffix[d + 1], d + 1, index, counter)
                    new_st.append(st[ok])
                    new_idx.append(np.concatenate([idx[i[ok]], cpos[j[ok], None]], axis=1))
            else:
                i, j = self._front_pairs(prefix, cand, order[:d], [t], index, counter)
                new_st.append(self._combine(prefix[i], cand[j]))
                new_idx.append(np.concatenate([idx[i], cpos[j, None]], axis=1))
            prefix = np.concatenate(new_st) if new_st else np.zeros((0, self.W))
            idx = np.concatenate(new_idx) if new_idx else np.zeros((0, d + 1), dtype=np.int64)
            partial.append(len(prefix))
            if len(prefix) == 0:
                break
        stats["step2_candidates"] = [kept.get(t, 0) for t in range(k)]
        stats["partial_designs"] = partial
        out = empty
        if idx.shape[1] == k:  # positions follow `order`: back to table rows, in task order
            out = np.empty((len(idx), k), dtype=np.int64)
            for col, t in enumerate(order):
                out[:, t] = self.rows[t][idx[:, col]]
        stats["designs"] = int(len(out))
        stats["scored"] = counter[0]
        return out, counter[0], stats


def _front_per_group(cols: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Mask keeping one row of each non-dominated cost vector within each group.

    Infinite costs are clipped to a large finite value; constant columns are
    dropped (they cannot separate rows); one column needs only its minimum.
    """
    import moocore

    cols = np.where(np.isfinite(cols), cols, np.sign(cols) * _BIG)
    keep = np.zeros(len(cols), dtype=bool)
    groups = np.unique(group)
    for g in groups:
        members = np.flatnonzero(group == g) if len(groups) > 1 else np.arange(len(cols))
        c = cols[members] if len(groups) > 1 else cols
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
