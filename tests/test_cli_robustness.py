"""No input makes a ``carin`` command print a traceback or hang.

Hand-made bad inputs (tests/badinputs.py: encodings, binary data, deep nesting,
integers with hundreds of digits, /dev/zero, FIFOs, ragged CSV rows, damaged
result folders, bad flags) and hypothesis fuzzing of every CLI entry point:
the exit code is always 0, 2, 3 or 4 and no exception escapes. The default run
takes a share of the hand-made cases and few fuzz examples; ``-m slow`` runs all.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

import badinputs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples/linux_app"
FUZZ = {"deadline": None, "suppress_health_check": list(HealthCheck)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    flat = [argv for argvs in badinputs.cases(tmp).values() for argv in argvs]
    return tmp, flat


def _check(outcome: badinputs.Outcome) -> None:
    assert not outcome.timed_out, f"hangs: {outcome.argv}"
    assert outcome.traceback is None, outcome.traceback
    assert outcome.code in badinputs.ALLOWED, (outcome.argv, outcome.code, outcome.stderr)
    assert "Traceback" not in outcome.stderr


def _must(argv: list[str]) -> bool:
    """Cases always in the default run: the ones that used to hang or blow up."""
    text = " ".join(argv)
    return any(k in text for k in ("/dev/zero", "fifo", "deep", "99999999", "huge", "ragged"))


def test_hand_made_bad_inputs_share(corpus):
    tmp, flat = corpus
    chosen = [a for i, a in enumerate(flat) if i % 4 == 0 or _must(a)]
    assert len(chosen) > 60
    for argv in chosen:
        _check(badinputs.run_case(argv, timeout=120, cwd=tmp))


@pytest.mark.slow
def test_hand_made_bad_inputs_all(corpus):
    tmp, flat = corpus
    for argv in flat:
        _check(badinputs.run_case(argv, timeout=120, cwd=tmp))


def test_errors_name_the_file_and_line(tmp_path, capsys):
    """A few messages checked word for word (the rest: exit 2, no traceback)."""
    from carin.cli import main

    table = tmp_path / "t.csv"
    lines = (APP / "profiles.csv").read_text().splitlines()
    table.write_text("\n".join([lines[0], *lines[1:4], lines[4] + ",9", *lines[5:]]) + "\n")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"profiles: {table}\nobjectives: [min latency_ms]\n")
    assert main(["solve", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{table}: line 5: {len(lines[0].split(',')) + 1} fields, but the header has" in err
    spec.write_bytes("profiles: t.csv\n# caf\u00e9\n".encode("latin-1"))
    assert main(["solve", str(spec)]) == 2
    assert f"{spec}:2: not UTF-8 text (byte 0xe9" in capsys.readouterr().err
    spec.write_text("a: " + "[" * 3000 + "]" * 3000)
    assert main(["solve", str(spec)]) == 2
    assert f"{spec}: nested too deeply" in capsys.readouterr().err
    assert main(["solve", "/dev/zero"]) == 2
    assert "/dev/zero: is a device or socket, not a regular file" in capsys.readouterr().err


# -- fuzzing each entry point -------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_KEYS = [
    "name",
    "profiles",
    "where",
    "objectives",
    "constraints",
    "tasks",
    "anticipate",
    "preference",
    "contention",
]


@st.composite
def spec_texts(draw) -> str:
    """A spec: valid keys with values that are often wrong, or raw junk."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=200))
    spec: dict = {
        "profiles": str(APP / "profiles.csv"),
        "objectives": ["max accuracy", "min latency_ms"],
    }
    for key in draw(st.lists(st.sampled_from(_KEYS), max_size=4, unique=True)):
        spec[key] = draw(
            _json
            | st.sampled_from(
                [
                    ["latency_ms <= 1e999", "accuracy >= -1e999"],
                    [{"metric": "latency_ms", "max": 10**400}],
                    {"slowdown": {"cpu": 0.5}},
                    {"processor_unavailable": [f"p{i}" for i in range(30)]},
                    "../../x",
                ]
            )
        )
    return json.dumps(spec, default=str)  # JSON is YAML


def _pair(case, default: int, many: int, fixtures: tuple[str, ...] = ()):
    """A fuzz test with ``default`` examples and a ``slow`` one with ``many``."""

    def make(examples: int):
        @settings(max_examples=examples, **FUZZ)
        @given(data=st.data())
        def check(data, tmp_path_factory, request):
            extra = {name: request.getfixturevalue(name) for name in fixtures}
            case(data, tmp_path_factory.mktemp("fz"), **extra)

        return check

    return make(default), pytest.mark.slow(make(many))


def _solve_case(data, tmp: Path) -> None:
    spec = tmp / "fuzz.yaml"
    spec.write_bytes(data.draw(spec_texts()).encode("utf-8", "replace"))
    _check(badinputs.run_inline(["solve", str(spec), "--out", str(tmp / "out")]))


test_fuzz_solve, test_fuzz_solve_many = _pair(_solve_case, 30, 1500)


@pytest.fixture(scope="module")
def good_result(tmp_path_factory):
    from carin.result import solve

    folder = tmp_path_factory.mktemp("good") / "r"
    solve(APP / "app.yaml").save(folder)
    return folder


_file_bytes = st.binary(max_size=300) | _json.map(lambda v: json.dumps(v, default=str).encode())


def _mutated_json(good: Path, file: str):
    obj = json.loads((good / file).read_text())

    @st.composite
    def mutate(draw):
        value = json.loads(json.dumps(obj))
        for _ in range(draw(st.integers(1, 3))):
            target = value
            while True:
                keys = sorted(target) if isinstance(target, dict) else list(range(len(target)))
                if not keys:
                    break
                key = draw(st.sampled_from(keys))
                if isinstance(target[key], dict | list) and target[key] and draw(st.booleans()):
                    target = target[key]
                    continue
                target[key] = draw(_json)
                break
        return json.dumps(value, default=str).encode()

    return mutate()


def _reader_case(data, tmp: Path, good_result: Path) -> None:
    file = data.draw(st.sampled_from(["summary.json", "plan.json", "pareto.csv", "manifest.json"]))
    if file.endswith(".json") and data.draw(st.booleans()):
        payload = data.draw(_mutated_json(good_result, file))
    else:
        payload = data.draw(_file_bytes)
    command = data.draw(st.sampled_from(["show", "explain", "show", "explain", "plot"]))
    folder = tmp / "r"
    shutil.copytree(good_result, folder)
    (folder / file).write_bytes(payload)
    if file != "manifest.json":  # the manifest made to fit, so the readers parse the file
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"][file] = hashlib.sha256(payload).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest))
    argv = [command, str(folder)] + (["-o", str(tmp / "f.png")] if command == "plot" else [])
    _check(badinputs.run_inline(argv))


test_fuzz_show_explain_plot, test_fuzz_show_explain_plot_many = _pair(
    _reader_case, 25, 800, ("good_result",)
)

_event = st.fixed_dictionaries(
    {"t": _scalars},
    optional={
        "conditions": _json
        | st.fixed_dictionaries(
            {},
            optional={
                "unavailable": _json,
                "slowdown": st.dictionaries(st.sampled_from(["cpu", "xnnpack", "CPU"]), _scalars),
                "memory_budget_mb": _scalars,
                "latency_budget_ms": _scalars,
                "power_mw": _scalars,
            },
        ),
        "observe": _json
        | st.fixed_dictionaries({"latency_ms": _scalars}, optional={"design": _json}),
    },
)


def _switch_case(data, tmp: Path) -> None:
    good = (APP / "plan.json").read_bytes()
    plan = data.draw(st.just(good) | _mutated_json(APP, "plan.json") | _file_bytes)
    events = data.draw(st.lists(_event | _json, max_size=6))
    p, e = tmp / "plan.json", tmp / "events.jsonl"
    p.write_bytes(plan)
    e.write_text("".join(json.dumps(x, default=str) + "\n" for x in events), encoding="utf-8")
    _check(badinputs.run_inline(["switch", str(p), "--events", str(e)]))


test_fuzz_switch, test_fuzz_switch_many = _pair(_switch_case, 40, 2000)

_layer = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["conv2d", "dense", "maxpool", "avgpool", "flatten", "custom", "conv1d", "nope"]
        )
    },
    optional={
        k: st.integers(-3, 10**30) | _scalars
        for k in (
            "filters",
            "kernel",
            "units",
            "pool",
            "stride",
            "macs",
            "weights",
            "input",
            "output",
        )
    },
)


def _intermittent_case(data, tmp: Path) -> None:
    shape = data.draw(st.lists(st.integers(-1, 10**7), min_size=1, max_size=3) | _json)
    layers = {"name": "fz", "input": shape, "layers": data.draw(st.lists(_layer, max_size=4))}
    model = tmp / "m.yaml"
    model.write_text(json.dumps(layers, default=str), encoding="utf-8")
    trace = tmp / "t.txt"
    rows = data.draw(st.lists(st.tuples(_scalars, _scalars), max_size=30))
    trace.write_bytes("".join(f"{a}\t{b}\n" for a, b in rows).encode("utf-8", "replace"))
    flags = []
    for flag in ("--period", "--min-duration", "--deadline"):
        if data.draw(st.booleans()):
            flags += [flag, repr(data.draw(st.floats(allow_nan=True, allow_infinity=True)))]
    argv = ["intermittent", "-m", str(model), "-t", str(trace), "-o", str(tmp / "o.csv")]
    _check(badinputs.run_inline(argv + flags))


test_fuzz_intermittent, test_fuzz_intermittent_many = _pair(_intermittent_case, 25, 600)


def _import_case(data, tmp: Path) -> None:
    payload = data.draw(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    source = data.draw(st.sampled_from(["litert-benchmark", "nb201", "aihub"]))
    path = tmp / "in.log"
    path.write_bytes(payload)
    _check(badinputs.run_inline(["import", source, str(path), "-o", str(tmp / "o.csv")]))


test_fuzz_import, test_fuzz_import_many = _pair(_import_case, 20, 500)
