"""What a new user sees: one id per design in every output, reports that fit 100 columns,
one wording per condition, a fast and quiet CLI, results that are not silently replaced,
and a way to browse a profile table."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from doc_console import console_runs

import carin
from carin.cli import main
from carin.report._format import condition_text
from carin.report.explain import explain_result_dir, format_explanation
from carin.report.plots import design_labels

ROOT = Path(__file__).resolve().parents[1]
SPACES = ROOT / "spaces"
STEMS = sorted(p.stem for p in SPACES.glob("*.yaml"))
WIDTH = 100


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """``carin solve`` of every example spec: its folder and what it printed."""
    base = tmp_path_factory.mktemp("out")
    out = {}
    for stem in STEMS:
        folder = base / stem
        code, text, _ = _run("solve", str(SPACES / f"{stem}.yaml"), "--out", str(folder))
        assert code == 0
        out[stem] = (folder, text)
    return out


def _report(text: str) -> str:
    """The report part of ``carin solve``'s output (without the 'wrote' line)."""
    return text.split("\nwrote ")[0].rstrip("\n")


# -- one identifier everywhere ----------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_ids_agree_across_outputs(solved, stem: str) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved[stem]
    plan = json.loads((folder / "plan.json").read_text())
    by_id = {d["id"]: d for d in plan["designs"]}
    # plan.json: d<rank>
    assert all(d["id"] == f"d{d['rank']}" for d in plan["designs"])
    # pareto.csv: the plan's Pareto designs by the same ids, same ranks, same models
    csv = pd.read_csv(folder / "pareto.csv")
    assert csv["id"].tolist() == [d["id"] for d in plan["designs"] if d["pareto"]]
    assert csv["rank"].tolist() == [int(i[1:]) for i in csv["id"]]
    for row in csv.to_dict("records"):
        design = by_id[row["id"]]
        for part in design["parts"]:
            prefix = "" if part["task"] == "main" else f"{part['task']}."
            assert str(row[prefix + "model"]) == part["config"]["model"]
    # solve and show print the same report, one row per design, the id beside its model
    code, shown, _ = _run("show", str(folder), "--top", "15")
    assert code == 0 and shown.rstrip("\n") == _report(printed)
    table = shown.split("Anticipated conditions")[0].split(" in full:\n")[0]
    rows = [line for line in table.splitlines() if re.match(r"^\S{0,2}\s+d\d+\s", line)]
    assert len(rows) == min(15, len(plan["designs"]))
    for line, design in zip(rows, plan["designs"], strict=False):
        assert line.split()[1 if line[0] != " " else 0] == design["id"]
        model = design["parts"][0]["config"]["model"]
        assert model in line or f"model: {model}" in table.split("\n\n")[0]
    # explain and the plot labels name the same designs
    info = explain_result_dir(folder)
    assert info["primary"]["id"] == plan["primary"]
    for d in info["next"]:
        metrics = by_id[d["id"]]["metrics"]
        for label, value in d["objectives"].items():
            assert value == pytest.approx(metrics[label], rel=1e-5)
    for did, label in design_labels(plan).items():
        assert label.startswith(did) and did in by_id


# -- scannable reports ------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_reports_fit_100_columns(solved, stem: str) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved[stem]
    _, shown, _ = _run("show", str(folder), "--top", "100")
    for line in _report(printed).splitlines() + shown.splitlines():  # not the paths
        assert len(line) <= WIDTH, line
    # no unit said twice in a header
    assert not re.search(r"_(ms|mb|mj|mw) \((ms|MB|mJ|mW)\)", printed)


def test_constant_columns_go_to_the_header(solved) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved["phone-classifier"]
    plan = json.loads((folder / "plan.json").read_text())
    device = plan["designs"][0]["parts"][0]["config"]["device"]
    head, _, rest = printed.partition("\n\n")
    assert f"device: {device}" in head and "task: image_classification" in head
    columns = rest.splitlines()[0]
    assert "device" not in columns and "task" not in columns
    assert "memory (MB)" in columns and "latency (ms)" in columns
    assert device not in rest  # said once, in the header


def test_header_names_the_tolerances(solved) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved["phone-tolerance"]
    _, shown, _ = _run("show", str(folder))
    for text in (printed, shown):
        head = text.partition("\n\n")[0]
        assert "objectives: max accuracy (tolerance 0.5), min latency_ms" in head
    _, plain, _ = _run("show", str(solved["phone-classifier"][0]))
    assert "objectives: max accuracy, min latency_ms" in plain.partition("\n\n")[0]


def test_long_objectives_break_after_commas_within_100_columns() -> None:
    from carin.report.text import _header_lines

    objectives = [
        {"metric": f"{task}.accuracy", "goal": "max", "tolerance": 0.125}
        for task in ("classify", "detect", "segment", "depth")
    ] + [{"metric": "max(latency_ms)", "goal": "min"}]
    design = {"id": "d0", "rank": 0, "pareto": True, "parts": [], "metrics": {}}
    plan = {"objectives": objectives, "designs": [design]}
    summary = {"name": "app", "pareto_designs": 1, "raw_designs": 1, "solver": "rass"}
    summary["constraints"] = ["max(latency_ms) <= 10"]
    lines = _header_lines(summary, plan)
    assert all(len(line) <= WIDTH for line in lines), lines
    start = next(i for i, line in enumerate(lines) if "objectives:" in line)
    end = next(i for i, line in enumerate(lines) if "constraints:" in line)
    assert end - start >= 2  # the objectives took more than one line
    # continuation lines start under the first objective, and every objective is said once
    assert all(line.startswith(" " * len("  objectives: ")) for line in lines[start + 1 : end])
    said = " ".join(line.strip() for line in lines[start:end])
    goals = [f"max {o['metric']} (tolerance 0.125)" for o in objectives[:-1]]
    assert said == "objectives: " + ", ".join([*goals, "min max(latency_ms)"])


def test_counts_are_singular_or_plural(solved) -> None:  # type: ignore[no-untyped-def]
    plans = {s: json.loads((solved[s][0] / "summary.json").read_text()) for s in STEMS}
    for stem, summary in plans.items():
        n = summary["pareto_designs"]
        word = "design" if n == 1 else "designs"
        assert f": {n:,} Pareto {word} of " in solved[stem][1].splitlines()[0]
    assert any(p["pareto_designs"] == 1 for p in plans.values())  # the singular is checked


def test_conditions_without_a_design_share_one_line(solved) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved["phone-multi"]
    plan = json.loads((folder / "plan.json").read_text())
    missing = [condition_text(c["when"]) for c in plan["conditions"] if c["design"] is None]
    assert len(missing) >= 2
    section = printed.split("Anticipated conditions")[1]
    lines = [x for x in section.splitlines() if "no feasible design" in x]
    assert lines == [f"  no feasible design ({len(missing)}): " + "; ".join(missing)]


def test_one_wording_per_condition(solved) -> None:  # type: ignore[no-untyped-def]
    folder, printed = solved["phone-classifier"]
    plan = json.loads((folder / "plan.json").read_text())
    explained = format_explanation(explain_result_dir(folder))
    labels = " ".join(design_labels(plan).values())
    section = printed.split("Anticipated conditions")[1]
    for entry in plan["conditions"]:
        text = condition_text(entry["when"])
        assert text in section and text in explained
        # the wording does not depend on the order of the keys in the plan
        assert condition_text(dict(reversed(list(entry["when"].items())))) == text
    assert "mem<=100MB" in labels
    assert "memory_budget_mb=" not in printed and "unavailable=" not in printed


def test_app_name_is_kept_as_written(tmp_path: Path) -> None:
    spec = tmp_path / "app.yaml"
    spec.write_text(
        (SPACES / "phone-classifier.yaml")
        .read_text()
        .replace("name: phone-classifier", "name: Camera App (v2)")
        .replace("profiles: aihub.csv", f"profiles: {SPACES / 'aihub.csv'}")
    )
    code, printed, _ = _run("solve", str(spec), "--out", str(tmp_path / "out"))
    assert code == 0 and printed.startswith("Camera App (v2): ")
    assert repr(carin.solve(spec)).startswith("Result('Camera App (v2)': ")


# -- the command line itself ------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"carin {carin.__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["solve", "--help"]])
def test_help_does_not_load_the_numeric_stack(argv: list[str]) -> None:
    """What makes ``carin --help`` take a fraction of a second: no pandas, numpy, moocore."""
    code = (
        "import sys\nfrom carin.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas', 'numpy', 'moocore', 'matplotlib', 'carin.space')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_is_listed_and_runs_its_own_parser() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    listed = out.getvalue()
    for name in ("solve", "show", "explain", "plot", "switch", "profiles", "import", "profile"):
        assert re.search(rf"^\s+{name}\s", listed, flags=re.M), name
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["show", "--help"])
    assert "--sort" in out.getvalue()


def test_closed_pipe_ends_quietly(solved) -> None:  # type: ignore[no-untyped-def]
    """``carin show DIR | head``: no 'Broken pipe' error when the reader goes away."""
    folder, _ = solved["nb201-pixel3"]
    cmd = [sys.executable, "-c", "import sys; from carin.cli import main; sys.exit(main())"]
    proc = subprocess.Popen(
        [*cmd, "show", str(folder), "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before carin writes anything
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait() == 141
    assert err == b""


def test_result_repr_is_one_short_line() -> None:
    result = carin.solve(SPACES / "nb201-pixel3.yaml")
    text = repr(result)
    assert "\n" not in text and len(text) < 200
    assert "nb201-pixel3" in text and f"{len(result.front)} Pareto designs" in text
    assert result.primary["parts"][0]["config"]["model"] in text


# -- an exact result is not replaced silently -------------------------------------------


def test_baseline_does_not_replace_an_exact_result_without_force(tmp_path: Path) -> None:
    spec = str(SPACES / "phone-classifier.yaml")
    out = str(tmp_path / "out")
    baseline = ["--solver", "pymoo-nsga2", "--budget", "20", "--seed", "0"]
    assert _run("solve", spec, "--out", out)[0] == 0
    exact_plan = (tmp_path / "out" / "plan.json").read_bytes()
    code, _, err = _run("solve", spec, "--out", out)  # the same exact solve again: silent
    assert code == 0 and "note:" not in err
    code, printed, err = _run("solve", spec, "--out", out, *baseline)
    assert code == 2 and printed == ""
    assert "holds an exact result (rass)" in err and "--force" in err
    assert (tmp_path / "out" / "plan.json").read_bytes() == exact_plan  # untouched
    code, _, err = _run("solve", spec, "--out", out, *baseline, "--force")
    assert code == 0 and "note: replaced the rass result" in err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["solver"] == "pymoo-nsga2"
    assert summary["solver_options"] == {"budget": 20, "seed": 0}
    # a baseline result is replaced by another run, with a note
    code, _, err = _run("solve", spec, "--out", out, *baseline[:-1], "1")
    assert code == 0 and "note: replaced the pymoo-nsga2 --budget 20 --seed 0 result" in err
    # an exact solve replaces a baseline's result
    code, _, err = _run("solve", spec, "--out", out)
    assert code == 0 and "note: replaced the pymoo-nsga2" in err


# -- carin profiles ---------------------------------------------------------------------


def test_profiles_overview_lists_what_where_can_filter() -> None:
    code, printed, _ = _run("profiles", str(SPACES / "aihub.csv"))
    assert code == 0
    frame = pd.read_csv(SPACES / "aihub.csv")
    assert printed.startswith(f"{SPACES / 'aihub.csv'}: {len(frame):,} rows")
    for column in ("model", "precision", "processor", "task", "device", "runtime"):
        line = next(x for x in printed.splitlines() if x.split()[:1] == [column])
        assert int(line.split()[1].replace(",", "")) == frame[column].nunique()
    top = frame["device"].value_counts()
    assert f"{top.index[0]} ({top.iloc[0]:,})" in printed
    assert all(len(line) <= WIDTH for line in printed.splitlines())


def test_profiles_counts_per_group(tmp_path: Path) -> None:
    table = SPACES / "aihub.csv"
    args = ["--where", "task=image_classification", "--by", "device,processor"]
    code, printed, _ = _run("profiles", str(table), *args, "--format", "csv")
    assert code == 0
    got = pd.read_csv(io.StringIO(printed))
    frame = pd.read_csv(table)
    want = frame[frame["task"] == "image_classification"].groupby(["device", "processor"]).size()
    pairs = zip(got["device"], got["processor"], strict=True)
    assert dict(zip(pairs, got["rows"], strict=True)) == want.to_dict()
    code, text, _ = _run("profiles", str(table), *args)
    assert code == 0 and "match where: {task: image_classification}" in text
    assert f"{len(want)} groups" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "colour=red"], "not a key column"),
        (["--where", "device=Nokia 3310"], "values include: Dragonwing"),
        (["--where", "device"], "expected COLUMN=VALUE"),
        (["--by", "latency_ms"], "not a key column"),
    ],
)
def test_profiles_errors_exit_2(args: list[str], message: str) -> None:
    code, _, err = _run("profiles", str(SPACES / "aihub.csv"), *args)
    assert code == 2 and message in err


def test_spec_doc_shows_what_carin_profiles_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/spec.md's ``carin profiles`` listing: its lines, in order ('...' skips some)."""
    (tmp_path / "spaces").symlink_to(SPACES)
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    runs = [(c, shown) for c, shown in console_runs(text) if c.startswith("carin profiles")]
    runs = [(c, shown) for c, shown in runs if shown]
    assert runs
    for command, shown in runs:
        code, printed, _ = _run(*command.split()[1:])
        assert code == 0
        lines = iter(line.rstrip() for line in printed.splitlines())
        for want in shown:
            if want != "...":
                assert want.rstrip() in lines, want  # found after the lines before it


# -- the outputs README.md and the tutorial show are what carin prints ------------------


def _console(path: Path) -> list[tuple[str, list[str]]]:
    """``(command, printed lines)`` of each ``$ `` line in the file's console blocks."""
    return console_runs(path.read_text(encoding="utf-8"))


def test_readme_gives_two_set_up_commands_and_ci_runs_the_second() -> None:
    """README's set-up: one line that installs and solves the embedded example, one that
    installs the test extras and runs the tests, which .ci/run runs verbatim."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Set-up\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, flags=re.S)
    assert [len(b.strip().splitlines()) for b in blocks] == [1, 1]
    first, second = (b.strip() for b in blocks)
    install, solve = first.split(" && ")
    assert install == "pip install -e ."
    assert solve == _console(ROOT / "README.md")[0][0]  # the solve whose output README shows
    assert (ROOT / solve.split()[-1]).is_file()
    assert second == 'pip install -e ".[test]" && pytest'
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert second in ci


def test_readme_first_solve_prints_what_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "spaces").symlink_to(SPACES)
    monkeypatch.chdir(tmp_path)
    shown = [(c, lines) for c, lines in _console(ROOT / "README.md") if c.startswith("carin ")]
    assert shown and shown[0][0] == "carin solve spaces/phone-classifier.yaml"
    for command, lines in shown:
        code, printed, _ = _run(*command.split()[1:])
        assert code == 0
        assert printed.rstrip("\n").split("\n") == lines, command


def test_tutorial_own_spec_prints_what_the_tutorial_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Section 4 of the tutorial: the infeasible spec, then the relaxed one."""
    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    section = text.split("## 4. Write your own spec")[1].split("## 5.")[0]
    spec = re.search(r"```yaml\n(.*?)```", section, flags=re.S).group(1)
    (tmp_path / "spaces").symlink_to(SPACES)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "my-app.yaml"
    path.write_text(spec)
    runs = [(c, lines) for c, lines in _console(ROOT / "docs" / "tutorial.md") if "my-app" in c]
    assert [c for c, _ in runs] == ["carin solve my-app.yaml", "carin solve my-app.yaml"]
    code, _, err = _run(*runs[0][0].split()[1:])
    assert code == 3
    got = {line.rstrip() for line in err.splitlines()}
    want = [x.removeprefix("error: ") for x in runs[0][1] if x.strip() != "..."]
    assert [w for w in want if w not in got and "error: " + w not in got] == []
    path.write_text(spec.replace("latency_ms <= 0.5", "latency_ms <= 0.7"))
    code, printed, _ = _run(*runs[1][0].split()[1:])
    assert code == 0 and printed.rstrip("\n").split("\n") == runs[1][1]


def test_long_metric_headers_break_at_underscores() -> None:
    """A too-wide table breaks long metric names over two header lines before it cuts
    a text cell, and leaves the headers whole when the table fits."""
    from carin.report.text import _text_grid

    plan = "kws:DD lenet:DDRRRRR dscnn:TTTTTTTTTRR"
    headers = ["id", "cm", "resampled_weighted_success", "resampled_latency (ms)", "jobs"]
    body = [["d0", plan, "83.24", "3029", "111"], ["d1", plan.lower(), "92.31", "2252", "18"]]
    wide = _text_grid(headers, body, set(), False, 200)[0].splitlines()
    assert len(wide) == 3 and "resampled_weighted_success" in wide[0]
    assert "resampled_latency (ms)" in wide[0]

    # the plans need 2 + 38 + 4 + 8 columns with the gaps; whole names need 26 + 17 more
    narrow, cut = _text_grid(headers, body, set(), False, 80)
    narrow = narrow.splitlines()
    assert cut == []
    top, head, rows = narrow[0], narrow[1], narrow[2:]
    assert all(len(line) <= 80 for line in narrow)
    assert plan in rows[0] and plan.lower() in rows[1]  # the headers gave way, not the plans
    # each broken name reads on: its first piece on the top line, the rest below it
    for up, down in (("resampled_", "weighted_success"), ("resampled_", "latency (ms)")):
        col = head.index(down)
        assert top[col:].lstrip().startswith(up)
    # one column narrower and nothing is left to break: the plans are cut
    text, cut = _text_grid(headers, body, set(), False, 79)
    assert plan not in text and cut == [1]


def test_cut_cells_are_listed_in_full(solved) -> None:  # type: ignore[no-untyped-def]
    """A table too wide for 100 columns cuts long text cells (the per-task plans of the
    intermittent task set), then lists them in full under it by design id."""
    from carin.report.text import format_show
    from carin.result import load_result_dir

    folder, text = solved["intermittent-tasks"]
    plan = json.loads((folder / "plan.json").read_text())
    cms = {d["id"]: d["parts"][0]["config"]["cm"] for d in plan["designs"]}
    lines = _report(text).splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    start = lines.index("cm in full:")
    table = lines[:start]
    assert not any(cm in line for line in table for cm in cms.values())  # cut in the table
    listed = lines[start + 1 : start + 1 + len(cms)]
    assert listed == [f"  {d}  {cm}" for d, cm in cms.items()]  # whole below it
    wide = format_show(load_result_dir(folder), width=None)
    assert all(cm in wide for cm in cms.values()) and "in full" not in wide
