"""The examples in the public API's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

MODULES = [
    "carin",
    "carin.result",
    "carin.spec._parse",
    "carin.report._format",
    "carin.report.plots",
    "carin.report.explain",
    "carin.report.text",
    "carin.report.browse",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples use paths relative to the repository root
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_public_api_examples_exist() -> None:
    """The notebook API documents itself with runnable (not skipped) examples."""
    import carin
    from carin.result import Result, solve

    finder = doctest.DocTestFinder()
    for name, obj in (
        ("carin", carin),
        ("Result.pareto", Result.pareto),
        ("Result.plot", Result.plot),
        ("solve", solve),
    ):
        examples = [
            ex
            for test in finder.find(obj, name=name)
            for ex in test.examples
            if not ex.options.get(doctest.SKIP)
        ]
        assert examples, f"{name} has no runnable example"


def test_tutorial_notebook_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``>>>`` session in docs/tutorial.md prints what the tutorial shows."""
    (tmp_path / "spaces").symlink_to(ROOT / "spaces")
    monkeypatch.chdir(tmp_path)  # the session writes front.html and out/
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testfile(
        str(ROOT / "docs" / "tutorial.md"), module_relative=False, optionflags=flags
    )
    assert result.attempted >= 5
    assert result.failed == 0
    assert (tmp_path / "front.html").stat().st_size > 0
    assert (tmp_path / "out" / "phone-classifier" / "plan.json").exists()


def test_tutorial_console_output_is_real(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The outputs the tutorial shows for the example app are what carin prints now."""
    import shlex

    from doc_console import console_runs

    from carin.cli import main

    for name in ("spaces", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    checked = 0
    for command, expected in console_runs(text):
        if "phone-classifier" not in command:
            continue
        capsys.readouterr()
        main(shlex.split(command)[1:])
        got = {g.rstrip() for g in capsys.readouterr().out.splitlines()}
        for want in expected:
            if want.strip() and want.strip() != "...":
                assert want.rstrip() in got, f"{command}: {want!r}"
                checked += 1
    assert checked >= 30
