"""docs/plan.schema.json validates plans and agrees with the runtime's hand-written validator."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from carin.runtime import PlanError, validate_plan

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs/plan.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
VECTORS = [json.loads(p.read_text()) for p in sorted((ROOT / "tests/conformance").glob("*.json"))]
PLANS = [v["plan"] for v in VECTORS if "error" not in v]  # the rest are malformed on purpose
PLANS += [json.loads(p.read_text()) for p in sorted(ROOT.glob("results/**/plan*.json"))]
PLANS += [json.loads(p.read_text()) for p in sorted(ROOT.glob("spaces/**/*plan*.json"))]
PLANS += [json.loads(p.read_text()) for p in sorted(ROOT.glob("examples/**/plan*.json"))]
BASE = json.loads((ROOT / "tests/conformance/single_unavailable.json").read_text())["plan"]


def test_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("index", range(len(PLANS)))
def test_plans_validate_with_both(index):
    VALIDATOR.validate(PLANS[index])
    validate_plan(PLANS[index])


def _set(path, value):
    def edit(plan):
        target = plan
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return edit


def _delete(path):
    def edit(plan):
        target = plan
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return edit


BROKEN = {
    "format": _set(("format",), "carin-plan/0"),
    "name-type": _set(("name",), 3),
    "name-missing": _delete(("name",)),
    "goal": _set(("objectives", 0, "goal"), "maximise"),
    "tolerance-negative": _set(("objectives", 0, "tolerance"), -0.5),
    "tolerance-text": _set(("objectives", 0, "tolerance"), "0.5"),
    "weight-zero": _set(("objectives", 0, "weight"), 0.0),
    "weight-negative": _set(("objectives", 0, "weight"), -1.0),
    "weight-text": _set(("objectives", 0, "weight"), "2"),
    "preference": _set(("preference",), "pareto"),
    "preference-type": _set(("preference",), 1),
    "op": _set(("constraints", 0, "op"), "=="),
    "value": _set(("constraints", 0, "value"), "20"),
    "aggregate": _set(("latency", "aggregate"), "p95"),
    "contention": _set(("latency", "contention"), "shared"),
    "memory-missing": _delete(("memory",)),
    "tasks-empty": _set(("tasks",), []),
    "tasks-dup": _set(("tasks",), ["main", "main"]),
    "designs-empty": _set(("designs",), []),
    "design-id": _set(("designs", 1, "id"), 1),
    "rank-type": _set(("designs", 1, "rank"), "1"),
    "pareto": _set(("designs", 0, "pareto"), "yes"),
    "parts-empty": _set(("designs", 0, "parts"), []),
    "processor": _set(("designs", 0, "parts", 0, "processor"), None),
    "latency": _set(("designs", 0, "parts", 0, "latency_ms"), "fast"),
    "memory-part-missing": _delete(("designs", 0, "parts", 0, "memory_mb")),
    "metric-value": _set(("designs", 0, "metrics", "accuracy"), "high"),
    "band": _set(("designs", 0, "power_band_mw"), [1.0]),
    "band-type": _set(("designs", 0, "power_band_mw"), ["a", None]),
    "primary": _set(("primary",), None),
    "fallback": _set(("fallback",), 3),
    "conditions": _set(("conditions",), {}),
    "when-key": _set(("conditions", 0, "when"), {"thermal": 1}),
    "when-slowdown": _set(("conditions", 0, "when"), {"slowdown": {"cpu": 0.5}}),
    "when-unavailable": _set(("conditions", 0, "when"), {"unavailable": "npu"}),
    "when-design": _set(("conditions", 0, "design"), 4),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_plans_are_refused_by_both(name):
    plan = copy.deepcopy(BASE)
    BROKEN[name](plan)
    schema_errors = list(VALIDATOR.iter_errors(plan))
    with pytest.raises(PlanError) as info:
        validate_plan(plan)
    assert schema_errors, f"schema accepted {name}"
    # both point at the same place: the schema's path is a prefix of the field the validator names
    path = "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in schema_errors[0].absolute_path
    )
    named = str(info.value).split(":")[0]
    assert ("." + named).replace(".[", "[").startswith(path) or name.endswith("missing"), (
        path,
        str(info.value),
    )


def test_cross_field_rules_are_checked_by_the_validator_only():
    plan = copy.deepcopy(BASE)
    plan["designs"][1]["rank"] = 7
    VALIDATOR.validate(plan)
    with pytest.raises(PlanError, match=r"designs\[1\]\.rank: expected 1"):
        validate_plan(plan)


@pytest.mark.parametrize("tolerance", [0.5, 0, None])
def test_objective_tolerance_is_optional_and_may_be_null(tolerance):
    plan = copy.deepcopy(BASE)
    plan["objectives"][0]["tolerance"] = tolerance
    VALIDATOR.validate(plan)
    validate_plan(plan)


@pytest.mark.parametrize(
    "tolerance, message",
    [
        (float("nan"), "expected a finite number, got nan"),
        (float("inf"), "expected a finite number, got inf"),
        (10**400, "expected a finite number"),
        (-0.5, "expected a number >= 0, got -0.5"),
        ("0.5", "expected a number or null"),
        (True, "expected a number or null"),
    ],
)
def test_objective_tolerance_must_be_a_finite_number_not_below_0(tolerance, message):
    plan = copy.deepcopy(BASE)
    plan["objectives"][1]["tolerance"] = tolerance
    with pytest.raises(PlanError, match=r"^objectives\[1\]\.tolerance: " + re.escape(message)):
        validate_plan(plan)
