"""Drift monitor: synthetic latency series through Switcher.observe."""

from __future__ import annotations

import random

import pytest

from carin.runtime import MonitorConfig, Switcher


def _plan(designs, limit=20.0, aggregate="max", contention="none", tasks=("main",)):
    out = []
    for rank, parts in enumerate(designs):
        out.append(
            {
                "id": f"d{rank}",
                "rank": rank,
                "pareto": True,
                "parts": [
                    {"task": t, "processor": p, "latency_ms": lat, "memory_mb": 1.0, "config": {}}
                    for t, (p, lat) in zip(tasks, parts, strict=True)
                ],
                "metrics": {},
            }
        )
    return {
        "format": "carin-plan/1",
        "name": "monitor-test",
        "objectives": [{"metric": "accuracy", "goal": "max"}],
        "constraints": [{"metric": "latency_ms", "op": "<=", "value": limit}],
        "latency": {"metric": "latency_ms", "aggregate": aggregate, "contention": contention},
        "memory": {"metric": "memory_mb", "aggregate": "sum"},
        "tasks": list(tasks),
        "designs": out,
        "primary": "d0",
        # the fallback runs on the cpu only: the first such design, if any
        "fallback": next(
            (d["id"] for d in out if {p["processor"] for p in d["parts"]} == {"cpu"}), None
        ),
        "conditions": [],
    }


# d0: big model on cpu, d1: small model on cpu (holds under a 2.5x cpu slowdown), d2: gpu
CPU_PLAN = _plan([[("cpu", 12.0)], [("cpu", 5.0)], [("gpu", 14.0)]])


def _feed(switcher, true_latency, n, rng, jitter=0.05):
    """Run ``n`` inferences of whatever design is current; return the design ids seen."""
    seen = []
    for _ in range(n):
        design = switcher.current.design
        profiled = design["parts"][0]["latency_ms"]
        proc = design["parts"][0]["processor"]
        measured = profiled * true_latency.get(proc, 1.0) * (1.0 + rng.gauss(0.0, jitter))
        seen.append(switcher.observe(None, measured).design_id)
    return seen


def _changes(ids):
    return sum(a != b for a, b in zip(ids, ids[1:], strict=False))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_step_change_switches_within_few_observations(seed):
    rng = random.Random(seed)
    switcher = Switcher.from_dict(CPU_PLAN)
    assert switcher.select({}).design_id == "d0"
    before = _feed(switcher, {"cpu": 1.0}, 50, rng)
    assert set(before) == {"d0"}
    after = _feed(switcher, {"cpu": 2.5}, 20, rng)
    first = after.index("d1")
    assert first <= 2, after  # 12 ms * 2.5 = 30 ms > 20 ms is caught within 3 observations
    assert set(after[first:]) == {"d1"}  # and it holds: 5 ms * 2.5 = 12.5 ms
    assert switcher.current.meets_slo
    assert switcher.monitor_slowdown["cpu"] > 20.0 / 12.0  # enough to rule d0 out


@pytest.mark.parametrize("seed", [0, 1])
def test_stationary_noise_does_not_flap(seed):
    rng = random.Random(seed)
    switcher = Switcher.from_dict(CPU_PLAN)
    switcher.select({})
    ids = _feed(switcher, {"cpu": 1.0}, 1000, rng)
    assert _changes(ids) == 0
    # a design close to its limit (18 of 20 ms, ~5 % misses) may leave once but never comes back
    near = Switcher.from_dict(_plan([[("cpu", 18.0)], [("cpu", 5.0)]]))
    near.select({})
    ids = _feed(near, {"cpu": 1.0}, 2000, rng)
    assert _changes(ids) <= 1


def test_recovery_reverts_with_hysteresis():
    rng = random.Random(7)
    cfg = MonitorConfig(revert_after=10)
    switcher = Switcher.from_dict(CPU_PLAN, monitor=cfg)
    switcher.select({})
    changes = []
    switcher.on_change(lambda new, old: changes.append((old and old.design_id, new.design_id)))
    _feed(switcher, {"cpu": 1.0}, 20, rng)
    slow = _feed(switcher, {"cpu": 2.5}, 40, rng)
    assert slow[-1] == "d1"
    recovered = _feed(switcher, {"cpu": 1.0}, 60, rng)
    back = recovered.index("d0")
    # hysteresis: not before revert_after consecutive good observations, but soon after
    assert cfg.revert_after - 1 <= back <= cfg.revert_after + 15, recovered
    assert set(recovered[back:]) == {"d0"}
    assert changes == [("d0", "d1"), ("d1", "d0")]
    assert switcher.monitor_slowdown == {}


def test_left_processor_is_retried_after_relaxing():
    """After moving off a slow cpu to the gpu, the cpu estimate relaxes and d0 is retried."""
    plan = _plan([[("cpu", 12.0)], [("gpu", 14.0)]])
    rng = random.Random(3)
    switcher = Switcher.from_dict(plan)
    switcher.select({})
    ids = _feed(switcher, {"cpu": 2.5}, 5, rng)
    assert ids[-1] == "d1"
    ids = _feed(switcher, {"cpu": 1.0}, 80, rng)
    assert ids[-1] == "d0"
    assert _changes(ids) == 1


def test_multi_part_attribution_follows_the_critical_path():
    plan = _plan([[("npu", 10.0), ("cpu", 20.0)]], limit=100.0, aggregate="max", tasks=("a", "b"))
    switcher = Switcher.from_dict(plan)
    switcher.select({})
    for _ in range(30):
        switcher.observe("d0", 40.0)
    est = switcher.estimates()
    assert est["cpu"][0] == pytest.approx(2.0, rel=0.02)  # cpu part is the max: all of it
    assert "npu" not in est  # the npu part is off the critical path: no update
    summed = _plan([[("npu", 10.0), ("cpu", 30.0)]], limit=100.0, aggregate="sum", tasks=("a", "b"))
    switcher = Switcher.from_dict(summed)
    switcher.select({})
    for _ in range(60):
        switcher.observe("d0", 60.0)  # 1.5x the profiled 40 ms
    est = switcher.estimates()
    # one latency cannot separate two factors: both move up, the larger share (cpu) more
    assert est["cpu"][0] > est["npu"][0] > 1.0
    mean, _ = switcher._models[0].latency_gradient({p: v[0] for p, v in est.items()})
    assert mean == pytest.approx(60.0, rel=0.02)


def test_kalman_update_matches_the_documented_equations():
    cfg = MonitorConfig(q=0.002, r=0.01, p0=0.05)
    switcher = Switcher.from_dict(_plan([[("cpu", 10.0)]], limit=1000.0), monitor=cfg)
    switcher.select({})
    switcher.observe("d0", 13.0)
    prior = 0.05 + 0.002
    gain = prior / (prior + 0.01)
    x, p = switcher.estimates()["cpu"]
    assert x == pytest.approx(1.0 + gain * 0.3)
    assert p == pytest.approx((1.0 - gain) * prior)


def test_bad_observations_are_ignored():
    switcher = Switcher.from_dict(CPU_PLAN)
    switcher.select({})
    for value in (float("nan"), -1.0, 0.0, float("inf")):
        assert switcher.observe(None, value).design_id == "d0"
    assert switcher.estimates() == {}
    assert switcher.observe("no-such-design", 99.0).design_id == "d0"


def test_without_fallback_the_monitor_never_leaves_nothing_running():
    """All designs on one processor, no fallback: a slowdown ruling all out keeps one running."""
    plan = _plan([[("npu", 12.0)], [("npu", 16.0)], [("cpu", 45.0)]])
    plan["fallback"] = None
    rng = random.Random(11)
    switcher = Switcher.from_dict(plan)
    switcher.select({})
    slow = _feed(switcher, {"npu": 3.0}, 30, rng)
    assert None not in slow  # observations keep flowing, so recovery stays possible
    recovered = _feed(switcher, {"npu": 1.0}, 40, rng)
    assert recovered[-1] == "d0" and switcher.monitor_slowdown == {}
    # with a fallback (the cpu design, over the limit even at nominal conditions) the same
    # slowdown moves to it, flagged
    plan["fallback"] = "d2"
    switcher = Switcher.from_dict(plan)
    switcher.select({})
    _feed(switcher, {"npu": 3.0}, 5, rng)
    assert switcher.current.design_id == "d2" and not switcher.current.meets_slo


def test_flagged_fallback_that_misses_too_is_released_when_another_design_holds():
    """Nothing holds under x3, so fallback d0 runs flagged; at x1.3 it still misses, d1 holds."""
    plan = _plan([[("cpu", 18.0)], [("cpu", 8.0)]])  # fallback d0
    rng = random.Random(5)
    switcher = Switcher.from_dict(plan)
    switcher.select({})
    _feed(switcher, {"cpu": 3.0}, 20, rng)
    assert switcher.current.design_id == "d0" and not switcher.current.meets_slo
    eased = _feed(switcher, {"cpu": 1.3}, 40, rng)
    assert eased[-1] == "d1" and switcher.current.meets_slo
    assert _changes(eased) == 1


def test_slowdown_on_one_processor_does_not_hold_back_an_idle_one():
    """The gpu was seen at its profiled speed and is idle now: a cpu slowdown must not
    put a condition on it just because its estimate has grown uncertain."""
    plan = _plan([[("cpu", 12.0)], [("gpu", 17.8)], [("cpu", 5.0)]])
    rng = random.Random(2)
    switcher = Switcher.from_dict(plan)
    switcher.select({"unavailable": ["cpu"]})
    assert set(_feed(switcher, {}, 20, rng, jitter=0.01)) == {"d1"}
    switcher.select({})
    _feed(switcher, {}, 30, rng, jitter=0.01)  # the gpu estimate relaxes and widens
    ids = _feed(switcher, {"cpu": 2.5}, 10, rng, jitter=0.01)
    assert ids[-1] == "d1", ids  # 17.8 ms on the gpu holds; nothing says the gpu is slow
    assert "gpu" not in switcher.monitor_slowdown
