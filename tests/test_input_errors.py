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
