"""Every plan ``carin solve`` writes is one the runtime loads and the JSON Schema accepts.

A property test over fuzzed specs (objectives, constraints in text and mapping form,
anticipated conditions with combinations, single- and multi-DNN) on real profile
tables: whenever a solve succeeds, the written plan.json passes docs/plan.schema.json,
the runtime's validator, and its condition table equals what the switcher decides.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carin import parse_spec
from carin.errors import InfeasibleError, PlanError, SpecError
from carin.profiles import load_profiles
from carin.result import check_plan, load_result_dir, solve
from carin.runtime import Switcher
from carin.space import compile_space

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs/plan.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
AIHUB = ROOT / "spaces/aihub.csv"
LINUX = ROOT / "examples/linux_app/profiles.csv"
TABLES: dict[Path, object] = {}

# (profile table, where filter, tasks or None, processors the rows use)
SETTINGS = [
    (LINUX, {"threads": 1}, None, ["cpu", "xnnpack"]),
    (AIHUB, {"device": "Snapdragon 7 Gen 4 QRD", "task": "image_classification"}, None, None),
    (AIHUB, {"device": "Samsung Galaxy S24", "task": "image_classification"}, None, None),
    (
        AIHUB,
        {"device": "Snapdragon 7 Gen 4 QRD"},
        [
            {"name": "detect", "where": {"task": "object_detection"}},
            {"name": "classify", "where": {"task": "image_classification"}},
        ],
        None,
    ),
]
PROCESSORS = ["cpu", "npu", "gpu", "xnnpack", "dsp"]


def _table(path: Path):
    if path not in TABLES:
        TABLES[path] = load_profiles(path)
    return TABLES[path]


def _metric(draw, name: str, multi: bool) -> str:
    if not multi:
        return name
    return draw(st.sampled_from([name, f"sum({name})", f"max({name})", f"mean({name})"]))


@st.composite
def specs(draw) -> dict:
    path, where, tasks, _ = draw(st.sampled_from(SETTINGS))
    multi = tasks is not None
    metrics = draw(
        st.lists(
            st.sampled_from(["accuracy", "latency_ms", "memory_mb"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    weighted = draw(st.booleans())
    objectives = []
    for m in metrics:
        goal = "max" if m == "accuracy" else "min"
        text = _metric(draw, m, multi)
        if weighted or draw(st.booleans()):
            item: object = {"metric": text, "goal": goal}
            if weighted:
                item["weight"] = draw(st.floats(0.01, 100))
        else:
            item = f"{goal} {text}"
        objectives.append(item)
    constraints = []
    for m, lo, hi in (("latency_ms", 0.001, 200.0), ("accuracy", 0.0, 90.0), ("memory_mb", 1, 900)):
        if draw(st.booleans()):
            continue
        value = draw(st.floats(lo, hi, allow_nan=False) | st.sampled_from([lo, hi, 1e300]))
        op = ">=" if m == "accuracy" else "<="
        text = _metric(draw, m, multi)
        if draw(st.booleans()):
            constraints.append(f"{text} {op} {value!r}")
        else:
            constraints.append({"metric": text, ("min" if op == ">=" else "max"): value})
    anticipate: dict = {}
    if draw(st.booleans()):
        anticipate["processor_unavailable"] = draw(
            st.lists(st.sampled_from(PROCESSORS), min_size=1, max_size=3, unique=True)
        )
    if draw(st.booleans()):
        anticipate["slowdown"] = draw(
            st.dictionaries(
                st.sampled_from(PROCESSORS),
                st.floats(1.0, 20.0) | st.just(1.0),
                min_size=1,
                max_size=2,
            )
        )
    if draw(st.booleans()):
        anticipate["memory_budget_mb"] = draw(
            st.lists(st.floats(0.5, 1000), min_size=1, max_size=2)
        )
    if draw(st.booleans()):
        anticipate["latency_budget_ms"] = draw(
            st.lists(st.floats(0.01, 100), min_size=1, max_size=2)
        )
    if anticipate and draw(st.booleans()):
        anticipate["combinations"] = draw(st.booleans())
    spec = {
        "name": "fuzz",
        "profiles": str(path),
        "where": where,
        "objectives": objectives,
        "constraints": constraints,
        "preference": "weighted" if weighted else "lexicographic",
    }
    if tasks is not None:
        spec["tasks"] = tasks
        spec["contention"] = draw(st.sampled_from(["time-share", "none"]))
    if anticipate:
        spec["anticipate"] = anticipate
    return spec


def _check_written(raw: dict, out: Path) -> None:
    spec = parse_spec(raw)
    space = compile_space(spec, _table(Path(raw["profiles"])))
    try:
        result = solve(spec, space=space)
    except InfeasibleError:
        return
    result.save(out)
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    VALIDATOR.validate(written)
    switcher = Switcher.from_dict(written)
    assert switcher.cache_mismatches == []
    assert written["designs"][0]["id"] == written["primary"]
    # the ranking mode and, for a weighted one, the weights the spec gave
    assert written["preference"] == spec.preference
    weights = [o.get("weight") for o in written["objectives"]]
    if spec.preference == "weighted":
        assert weights == [o.weight for o in spec.objectives]
    else:
        assert weights == [None] * len(spec.objectives)
    saved = load_result_dir(out)
    assert saved["plan.json"] == written


def _property(examples: int):
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(raw=specs())
    def check(raw, tmp_path_factory):
        _check_written(raw, tmp_path_factory.mktemp("out"))

    return check


test_written_plans_pass_schema_and_runtime = _property(25)
test_written_plans_pass_schema_and_runtime_many = pytest.mark.slow(_property(600))


@pytest.mark.parametrize(
    "line, message",
    [
        ("slowdown: {cpu: 0.5}", "anticipate.slowdown.cpu: got 0.5; expected a factor >= 1"),
        ("slowdown: {cpu: 0}", "expected a factor >= 1"),
        ("slowdown: {npu: 1.0e+999}", "expected a finite number"),
        ("slowdown: {npu: 1e999}", "expected a number, got '1e999'"),
        ("slowdown: {npu: .nan}", "expected a finite number"),
    ],
)
def test_slowdown_below_one_or_not_finite_is_refused_with_file_and_line(tmp_path, line, message):
    path, text = _spec_error(tmp_path, f"objectives: [min latency_ms]\nanticipate:\n  {line}\n")
    assert f"{path}:4: " in text and message in text


def _spec_error(tmp_path: Path, body: str) -> tuple[Path, str]:
    """Load a spec of the Linux app's profiles and ``body``: its path and the SpecError."""
    from carin import load_spec

    path = tmp_path / "s.yaml"
    path.write_text(f"profiles: {LINUX}\n{body}", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return path, str(info.value)


@pytest.mark.parametrize(
    "constraint, field",
    [
        ('"accuracy >= -1e999"', "constraints[0]"),
        ('"latency_ms <= 1e999"', "constraints[0]"),
        ("{metric: latency_ms, max: .inf}", "constraints[0].max"),
        ("{metric: accuracy, min: .nan}", "constraints[0].min"),
        ("{metric: accuracy, min: " + "9" * 400 + "}", "constraints[0].min"),
        ('"accuracy >= ' + "9" * 400 + '"', "constraints[0]"),
    ],
)
def test_limits_that_are_not_finite_are_refused(tmp_path, constraint, field):
    body = f"objectives: [min latency_ms]\nconstraints:\n  - {constraint}\n"
    path, text = _spec_error(tmp_path, body)
    assert f"{path}:4: {field}: expected a finite number" in text
    assert len(text) < 400  # a 400-digit number is described, not echoed


def test_huge_weight_and_budget_are_refused(tmp_path):
    weight = "objectives:\n  - {metric: latency_ms, goal: min, weight: " + "7" * 500 + "}\n"
    _, text = _spec_error(tmp_path, "preference: weighted\n" + weight)
    assert re.search(r"s.yaml:4: objectives\[0\].weight: expected a finite", text)
    budget = "anticipate:\n  memory_budget_mb: [" + "5" * 500 + "]\n"
    _, text = _spec_error(tmp_path, "objectives: [min latency_ms]\n" + budget)
    assert re.search(r"s.yaml:4: anticipate.memory_budget_mb\[0\]: expected", text)


def test_check_plan_refuses_an_inconsistent_plan():
    result = solve(ROOT / "examples/linux_app/app.yaml")
    plan = json.loads(json.dumps(result.plan))
    check_plan(plan)
    # without the delegate the switcher cannot run the primary (on xnnpack)
    entry = next(c for c in plan["conditions"] if c["when"] == {"unavailable": ["xnnpack"]})
    assert entry["design"] != plan["primary"]
    entry["design"] = plan["primary"]
    with pytest.raises(
        PlanError, match=r"x: the plan computed is not one the runtime accepts \(conditions\["
    ):
        check_plan(plan, source="x")
    plan = json.loads(json.dumps(result.plan))
    plan["constraints"][0]["value"] = None
    with pytest.raises(PlanError, match="not one the runtime accepts"):
        check_plan(plan)
