"""Conformance vectors in tests/conformance/ and the brute-force reference they are checked by.

The reference below re-implements the feasibility rule of docs/plan-format.md
one design at a time, with no precomputation, in exact rational arithmetic
(``fractions.Fraction``): plan values at the plan's decimals, factors at 6
decimals, limits and budgets as written (Python's ``repr``). Other runtime tests
import it.
"""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path

import conformance_reasons
import pytest

from carin.runtime import MonitorConfig, PlanError, Switcher

VECTORS = sorted((Path(__file__).parent / "conformance").glob("*.json"))
DECISIONS = [p for p in VECTORS if "error" not in json.loads(p.read_text())]


def _float(value):
    """A number as a float; integers beyond the float range become infinities."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _num(value):
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        return _float(value)
    return None


def _written(x) -> Fraction:
    """A finite limit or budget as written: the shortest decimal that reads back as it."""
    return Fraction(repr(_float(x)))


def _agg(values, how):
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    total = sum(values)
    return total if how == "sum" else total / len(values)


def _decimal_places(value) -> int:
    """Digits after the point of the decimal a float is written as."""
    den = _written(value).denominator
    places = 0
    while 10**places % den:
        places += 1
    return places


def ref_places(plan, column, label, aggregate):
    """Decimal places of a column: the plan's ``decimals``, else the most any of its values is
    written with (at most 12), fewer if the largest value would not fit 2**50 units."""
    given = plan.get("decimals", {}).get(column)
    if given is not None:
        return given
    values = [v for d in plan["designs"] for p in d["parts"] if _num(v := p[column]) is not None]
    app = [v for d in plan["designs"] if _num(v := d["metrics"].get(label)) is not None]
    mean = aggregate == "mean" and len(plan["tasks"]) > 1
    places = min(12, max(map(_decimal_places, values + ([] if mean else app)), default=0))
    top = max(
        [abs(v) for v in values] + [abs(v) * len(plan["tasks"]) ** mean for v in app], default=0
    )
    while places and top * 10**places >= 2**50:
        places -= 1
    return places


def _read(value, places, mult=1):
    """A plan value at ``places`` decimals (a mean over ``mult`` tasks kept as its sum)."""
    scale = 10**places * mult
    return Fraction(round(value * scale), scale)


def ref_factor(slowdown, proc):
    """The factor of ``proc`` at 6 decimals: the largest given for a name equal to it in
    lower case, if > 1; None for an infinite one."""
    best = 1.0
    for name, f in (slowdown or {}).items():
        if isinstance(name, str) and name.lower() == proc and _float(f) > best:
            best = _float(f)
    if best == math.inf or best * 1e6 == math.inf:
        return None
    return Fraction(round(best * 1e6), 10**6)


def ref_latency(plan, design, slowdown):
    """Exact app latency of ``design`` under ``slowdown`` (a Fraction, inf, or None if unknown)."""
    lat = plan["latency"]
    places = ref_places(plan, "latency_ms", lat["metric"], lat["aggregate"])
    parts = design["parts"]
    procs = [p["processor"].lower() for p in parts]
    factors = [ref_factor(slowdown, p) for p in procs]
    if any(_num(p["latency_ms"]) is None for p in parts):
        nominal = _num(design["metrics"].get(lat["metric"]))
        if nominal is None:
            return None
        k = len(plan["tasks"]) if lat["aggregate"] == "mean" else 1
        if any(f is None for f in factors):
            return math.inf
        return _read(nominal, places, k) * max(factors)
    effective = ref_effective(plan, design, slowdown)
    return _agg(effective, lat["aggregate"])


def ref_effective(plan, design, slowdown):
    """Exact effective latency of each part (slowed, then time-shared)."""
    lat = plan["latency"]
    places = ref_places(plan, "latency_ms", lat["metric"], lat["aggregate"])
    parts = design["parts"]
    procs = [p["processor"].lower() for p in parts]
    slowed = []
    for p, proc in zip(parts, procs, strict=True):
        f = ref_factor(slowdown, proc)
        slowed.append(math.inf if f is None else _read(p["latency_ms"], places) * f)
    if lat["contention"] == "time-share":
        return [
            sum(slowed[j] for j in range(len(parts)) if procs[j] == procs[i])
            for i in range(len(parts))
        ]
    return slowed


def ref_memory(plan, design):
    mem = plan["memory"]
    places = ref_places(plan, "memory_mb", mem["metric"], mem["aggregate"])
    k = len(plan["tasks"]) if mem["aggregate"] == "mean" else 1
    value = _num(design["metrics"].get(mem["metric"]))
    if value is not None:
        return _read(value, places, k)
    mems = [_num(p["memory_mb"]) for p in design["parts"]]
    if any(v is None for v in mems):
        return None
    return _agg([_read(v, places) for v in mems], mem["aggregate"])


def _metric(plan, design, metric):
    """An app-level metric named by a constraint: exact when the plan gives its decimals."""
    value = _num(design["metrics"].get(metric))
    match = re.fullmatch(r"(max|min|sum|mean)\((.+)\)", metric)
    column = match.group(2) if match else metric
    places = plan.get("decimals", {}).get(column)
    if value is None or places is None:
        return value
    k = len(plan["tasks"]) if match and match.group(1) == "mean" else 1
    return _read(value, places, k)


def _within(value, budget) -> bool:
    """``value <= budget`` with the budget as written (an infinite one as it is)."""
    if value is None or budget != budget:
        return False
    return value <= budget if math.isinf(budget) else value <= _written(budget)


def _holds(value, op, limit):
    if isinstance(value, float) and math.isfinite(value):
        return value <= limit if op == "<=" else value >= limit
    return value <= _written(limit) if op == "<=" else value >= _written(limit)


def ref_feasible(plan, design, conditions):
    cond = conditions or {}
    procs = {p["processor"].lower() for p in design["parts"]}
    gone = cond.get("unavailable", ())
    if isinstance(gone, str):
        gone = [gone]
    if procs & {name.lower() for name in gone if isinstance(name, str)}:
        return False
    slowdown = cond.get("slowdown")
    latency = ref_latency(plan, design, slowdown)
    for c in plan["constraints"]:
        if c["metric"] == plan["latency"]["metric"]:
            # an upper limit holds the slowed latency; a lower one the nominal latency
            value = latency if c["op"] == "<=" else ref_latency(plan, design, None)
        elif c["metric"] == plan["memory"]["metric"]:
            value = ref_memory(plan, design)
        else:
            value = _metric(plan, design, c["metric"])
        if value is None or not _holds(value, c["op"], c["value"]):
            return False
    for part, effective in zip(
        design["parts"], ref_effective_or_none(plan, design, slowdown), strict=True
    ):
        limit = part.get("max_latency_ms")
        if limit is not None and (effective is None or not effective <= _written(limit)):
            return False
    if "memory_budget_mb" in cond:
        if not _within(ref_memory(plan, design), _float(cond["memory_budget_mb"])):
            return False
    if "latency_budget_ms" in cond:
        if not _within(latency, _float(cond["latency_budget_ms"])):
            return False
    power = cond.get("power_mw")
    if not ref_power_ok(plan, design, None if power is None else _float(power)):
        return False
    return True


def ref_effective_or_none(plan, design, slowdown):
    if any(_num(p["latency_ms"]) is None for p in design["parts"]):
        return [None] * len(design["parts"])
    return ref_effective(plan, design, slowdown)


def _in_band(band, power) -> bool:
    # [lo, hi) with hi null meaning no upper bound, so even an infinite power is in
    return band[0] <= power and (band[1] is None or power < band[1])


def ref_power_ok(plan, design, power) -> bool:
    """Banded designs whose band holds the power level win over unbanded ones; with no
    power level (None or NaN) the unbanded ones count (all, if the plan has none)."""
    bands = [d.get("power_band_mw") for d in plan["designs"]]
    if (
        all(b is None for b in bands)
        or all(b is not None for b in bands)
        and (power is None or power != power)
    ):
        return True
    band = design.get("power_band_mw")
    if power is None or power != power:
        return band is None
    if any(b is not None and _in_band(b, power) for b in bands):
        return band is not None and _in_band(band, power)
    return band is None


def ref_select(plan, conditions):
    """(design id, meets_slo) by scanning the designs best first."""
    for design in plan["designs"]:
        if ref_feasible(plan, design, conditions):
            return design["id"], True
    return plan["fallback"], False


_run = conformance_reasons.run_vector
MISS_TOLERANCE = conformance_reasons.MISS_TOLERANCE
MISSES = [
    p for p in DECISIONS if conformance_reasons.has_miss_probabilities(json.loads(p.read_text()))
]
TABLES = [p for p in VECTORS if "cache_mismatches" in json.loads(p.read_text()).get("error", {})]


def _decision(expected):
    return {"design": expected["design"], "meets_slo": expected["meets_slo"]}


def _same(got, expected):
    """Decisions and reasons equal, miss probabilities within ``MISS_TOLERANCE``."""
    assert len(got) == len(expected)
    for i, (have, want) in enumerate(zip(got, expected, strict=True)):
        assert set(have) == set(want), i
        for key, value in want.items():
            if key == "miss_probabilities":
                assert have[key] == pytest.approx(value, rel=0, abs=MISS_TOLERANCE), i
            else:
                assert have[key] == value, (i, key)


def ref_miss_probability(plan, monitor, estimates, budget, design):
    """P(next latency > limit) of ``design`` from the monitor's estimates (``{processor: (x,
    P)}``): its app latency at the estimated factors and the variance through the latency's
    derivative per processor, tail by ``erfc(z / sqrt 2) / 2`` (not ``1 - Phi``); None for a
    design with only an app-level latency."""
    limit = min(
        [_float(c["value"]) for c in plan["constraints"] if c["metric"] == plan["latency"]["metric"]
         and c["op"] == "<="] + [math.inf if budget is None else _float(budget)]
    )  # fmt: skip
    if limit == math.inf:
        return 0.0
    lats = [_num(part["latency_ms"]) for part in design["parts"]]
    if None in lats:
        return 1.0 if _num(design["metrics"].get(plan["latency"]["metric"])) is None else None
    procs = [part["processor"].lower() for part in design["parts"]]
    est = {p: estimates.get(p, (1.0, monitor.p0)) for p in procs}
    slowed = [lat * est[p][0] for lat, p in zip(lats, procs, strict=True)]
    shared = plan["latency"]["contention"] == "time-share"
    groups = [
        [j for j in range(len(procs)) if procs[j] == procs[i]] if shared else [i]
        for i in range(len(procs))
    ]
    effective = [sum(slowed[j] for j in g) for g in groups]
    how = plan["latency"]["aggregate"]
    if how in ("max", "min"):
        pick = (max if how == "max" else min)(effective)
        chosen, weight = [effective.index(pick)], 1.0
    else:
        chosen, weight = range(len(effective)), 1.0 if how == "sum" else 1.0 / len(effective)
    grad: dict[str, float] = {}
    for i in chosen:
        for j in groups[i]:
            grad[procs[j]] = grad.get(procs[j], 0.0) + weight * lats[j]
    mean = _agg(effective, how)
    sd = math.sqrt(sum(g * g * (est[p][1] + monitor.q + monitor.r) for p, g in grad.items()))
    return 0.5 * math.erfc((limit - mean) / (sd * math.sqrt(2.0)))


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path):
    vector = json.loads(path.read_text())
    assert vector["why"], "each vector explains how its expectations were derived"
    assert len(vector["steps"]) == len(vector["expected"])
    if "error" in vector:
        field = vector["error"]["field"]
        with pytest.raises(PlanError) as info:
            _run(vector)
        assert str(info.value).startswith(field + ": "), str(info.value)
        if "message" in vector["error"]:  # the whole text, where a port must give it too
            assert str(info.value) == vector["error"]["message"]
        if "cache_mismatches" in vector["error"]:  # loaded without validation: every entry listed
            texts = vector["error"]["cache_mismatches"]
            assert conformance_reasons.mismatches(vector) == texts
            more = len(texts) - 1
            assert str(info.value) == texts[0] + (
                f"; and {more} more such entr{'y' if more == 1 else 'ies'}" if more else ""
            )
        return
    switcher, got = _run(vector)
    assert ("miss_probabilities" in vector["expected"][0]) == (path in MISSES)
    _same(got, vector["expected"])
    assert switcher.cache_mismatches == []
    # select_cached gives the same decisions (and reasons), table hit or not
    _same(_run(vector, cached=True)[1], vector["expected"])


@pytest.mark.parametrize("path", MISSES, ids=[p.stem for p in MISSES])
def test_vector_miss_probabilities_match_reference(path):
    """The stored miss probabilities of single-part designs agree with a Gaussian tail computed
    from the monitor's estimates (by erfc, not 1 - Phi) within the vectors' tolerance."""
    vector = json.loads(path.read_text())
    monitor = MonitorConfig.from_dict(vector.get("monitor", {}))
    switcher = Switcher.from_dict(vector["plan"], monitor=monitor)
    budget = None
    checked = 0
    for step, expected in zip(vector["steps"], vector["expected"], strict=True):
        if "conditions" in step:
            switcher.select(step["conditions"])
            budget = step["conditions"].get("latency_budget_ms")
        else:
            switcher.observe(step["observe"].get("design"), step["observe"]["latency_ms"])
        estimates = switcher.estimates()
        for design, stored in zip(
            vector["plan"]["designs"], expected["miss_probabilities"], strict=True
        ):
            want = ref_miss_probability(vector["plan"], monitor, estimates, budget, design)
            if want is not None:
                assert stored == pytest.approx(want, rel=0, abs=MISS_TOLERANCE), design["id"]
                checked += 1
    assert checked


@pytest.mark.parametrize("path", DECISIONS, ids=[p.stem for p in DECISIONS])
def test_vector_expectations_match_reference(path):
    """The hand-derived expectations of condition steps agree with the brute-force scan."""
    vector = json.loads(path.read_text())
    plan = vector["plan"]
    for step, expected in zip(vector["steps"], vector["expected"], strict=True):
        if "conditions" in step:
            design, meets = ref_select(plan, step["conditions"])
            assert {"design": design, "meets_slo": meets} == _decision(expected), step
    for entry in plan["conditions"]:
        assert ref_select(plan, entry["when"])[0] == entry["design"] or (
            entry["design"] is None and not ref_select(plan, entry["when"])[1]
        )


def test_reason_script_checks_and_rewrites(tmp_path, monkeypatch, capsys):
    """tests/conformance_reasons.py finds a stale reason and restores the file exactly."""
    import shutil

    vector = next(p for p in DECISIONS if '"reason"' in p.read_text())
    folder = tmp_path / "conformance"
    folder.mkdir()
    copy = folder / vector.name
    shutil.copy(vector, copy)
    monkeypatch.setattr(conformance_reasons, "HERE", tmp_path)
    assert conformance_reasons.main(["--check"]) == 0
    data = json.loads(copy.read_text())
    data["expected"][0]["reason"] = "stale wording"
    copy.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    assert conformance_reasons.main(["--check"]) == 1
    assert conformance_reasons.main([]) == 0
    assert copy.read_bytes() == vector.read_bytes()
    data["expected"][0]["design"] = "no-such-design"
    copy.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    assert conformance_reasons.main([]) == 2  # a hand-made answer is never overwritten
    assert "step 0" in capsys.readouterr().out
