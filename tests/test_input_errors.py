"""Inputs a user can get wrong give exit 2 with the file, line or field, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from carin.cli import main

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "examples/linux_app/profiles.csv"


def _spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"profiles: {LINUX}\nobjectives: [min latency_ms]\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name, why",
    [
        ("../../x", "contains '/'"),
        ("/tmp/abs", "contains '/'"),
        ("a\\\\b", "contains '\\\\'"),
        ("..", "contains '..'"),
        ("up..", "contains '..'"),
        (".", "is '.'"),
        ("x" * 201, "longer than 200 characters"),
    ],
)
def test_spec_name_that_is_not_one_folder_name_is_refused(tmp_path, capsys, name, why):
    spec = _spec(tmp_path, f'name: "{name}"\n')
    assert main(["solve", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:3: name: " in err and why in err and "Traceback" not in err
    assert not (tmp_path / "x").exists() and not Path("/tmp/abs").exists()


def test_plain_spec_name_is_the_default_output_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path, "name: my app-1.2\n")
    assert main(["solve", str(spec)]) == 0
    assert (tmp_path / "out" / "my app-1.2" / "plan.json").is_file()


def test_too_many_condition_sets_are_counted_not_built(tmp_path, capsys):
    names = ", ".join(f"p{i}" for i in range(60))
    spec = _spec(tmp_path, f"anticipate:\n  processor_unavailable: [{names}]\n")
    assert main(["solve", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:3: anticipate: more than 10^15 condition combinations; at most 512" in err
    spec = _spec(tmp_path, "anticipate:\n  processor_unavailable: [a, b, c, d, e, f, g, h, i, j]\n")
    assert main(["solve", str(spec)]) == 2
    assert "1,023 condition combinations; at most 512" in capsys.readouterr().err


def _intermittent(tmp_path: Path, *extra: str, layers: Path | None = None) -> list[str]:
    trace = tmp_path / "rf-mementos" / "1.txt"
    trace.parent.mkdir(exist_ok=True)
    trace.write_text("".join(f"{i}\t0.07\n" for i in range(100)), encoding="utf-8")
    model = layers or ROOT / "spaces/intermittent/lenet5.yaml"
    return [
        "intermittent",
        "-m",
        str(model),
        "-t",
        str(trace),
        "-o",
        str(tmp_path / "o.csv"),
        *extra,
    ]


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--min-duration", "1e12"], "samples at"),
        (["--min-duration", "nan"], "--min-duration: must be a finite number >= 0 s, got nan"),
        (["--min-duration", "inf"], "--min-duration: must be a finite number >= 0 s, got inf"),
        (["--period", "1e-300"], "jobs on trace"),
        (["--period", "nan"], "--period/--deadline: must be a finite number > 0, got nan"),
    ],
)
def test_intermittent_sizes_refused_before_allocating(tmp_path, capsys, flags, message):
    assert main(_intermittent(tmp_path, *flags)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ("units: 120", "units: 77777777777777777777"),
            "field 'units' is 77777777777777777777; at most 1,048,576",
        ),
        (("[32, 32, 1]", "[100000, 100000, 1000]"), "at most 1e+10 per layer"),
        (("filters: 6", "filters: " + "9" * 400), "an integer with 400 digits; at most 1,048,576"),
    ],
)
def test_huge_layer_sizes_refused_up_front(tmp_path, capsys, edit, message):
    text = (ROOT / "spaces/intermittent/lenet5.yaml").read_text(encoding="utf-8")
    layers = tmp_path / "big.yaml"
    layers.write_text(text.replace(*edit), encoding="utf-8")
    assert main(_intermittent(tmp_path, layers=layers)) == 2
    err = capsys.readouterr().err
    assert message in err and str(layers) in err


def test_huge_cell_in_a_profile_table_is_refused(tmp_path, capsys):
    lines = LINUX.read_text(encoding="utf-8").splitlines()
    table = tmp_path / "t.csv"
    table.write_text(lines[0] + "\n" + "x" * (20 * 1024 * 1024) + lines[1] + "\n", encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"profiles: {table}\nobjectives: [min latency_ms]\n", encoding="utf-8")
    assert main(["solve", str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{table}: line 2: 20,971,6" in err and "a profile row may have at most 65,536" in err
