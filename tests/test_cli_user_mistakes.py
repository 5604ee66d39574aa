"""Mistakes a first-time user makes on the command line: each names what is wrong and what
to do instead, exits 2 and prints no traceback; and every command's --help shows examples
that the parser accepts."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import numpy as np
import pytest

from carin.cli import _commands, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "examples/linux_app/profiles.csv"
MODEL = ROOT / "tests/fixtures/models/mlp_s_fp32.tflite"


def _spec(tmp_path: Path, body: str = "") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"profiles: {LINUX}\nobjectives: [min latency_ms]\n{body}", encoding="utf-8")
    return path


def _solved(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert main(["solve", str(_spec(tmp_path)), "--out", str(out)]) == 0
    return out


def _examples(command: str) -> list[str]:
    """The example command lines under ``carin COMMAND --help``, continuations joined."""
    parser = build_parser([command])
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    help_text = sub.format_help()
    assert "examples:" in help_text, f"carin {command} --help shows no examples"
    lines = help_text.split("examples:", 1)[1].strip().splitlines()
    joined: list[str] = []
    for line in lines:
        if joined and joined[-1].endswith("\\"):
            joined[-1] = joined[-1][:-1] + " " + line.strip()
        else:
            joined.append(line.strip())
    return joined


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_help_shows_examples_the_parser_accepts(command):
    examples = _examples(command)
    assert examples
    for line in examples:
        words = shlex.split(line, comments=True)
        words = words[: words.index(">")] if ">" in words else words
        assert words[0] == "carin" and words[1] == command, line
        build_parser(words[1:]).parse_args(words[1:])  # SystemExit on an unknown flag


def test_top_level_help_shows_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "examples:\n  carin solve spaces/phone-classifier.yaml" in capsys.readouterr().out


def test_unknown_option_is_reported_with_the_usage_of_its_command(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["solve", str(_spec(tmp_path)), "--bogus"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert (
        "usage: carin solve" in err and "carin solve: error: unrecognized arguments: --bogus" in err
    )
    with pytest.raises(SystemExit):
        main(["import", "litert-benchmark", "a.log", "-o", "x.csv", "--bogus"])
    assert "carin import litert-benchmark: error: unrecognized arguments" in capsys.readouterr().err


def test_output_flags_are_spelled_alike(tmp_path):
    """-o and --out name the output of every command that writes one."""
    out = tmp_path / "o"
    assert main(["solve", str(_spec(tmp_path)), "-o", str(out)]) == 0
    for argv in (
        ["switch", "plan.json", "--events", "e.jsonl", "--out", "d.jsonl"],
        ["import", "litert-benchmark", "a.log", "--out", "x.csv"],
        ["profile", "m.tflite", "--out", "x.csv"],
        ["plot", "dir", "--out", "f.png"],
    ):
        args = build_parser(argv).parse_args(argv)
        assert str(getattr(args, "output", None) or args.out).endswith(argv[-1][-5:])


def test_unknown_solver_is_named_before_the_output_folder_is_considered(tmp_path, capsys):
    out = _solved(tmp_path)
    capsys.readouterr()
    assert main(["solve", str(_spec(tmp_path)), "--out", str(out), "--solver", "magic"]) == 2
    err = capsys.readouterr().err
    assert "--solver: unknown solver 'magic'; available:" in err and "rass" in err
    assert "holds an exact result" not in err


def test_budget_and_seed_are_refused_for_an_exact_solver(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["solve", str(_spec(tmp_path)), "--out", str(out), "--budget", "10"]) == 2
    assert "--budget: only the baseline solvers take these" in capsys.readouterr().err
    assert not out.exists()
    argv = ["solve", str(_spec(tmp_path)), "--out", str(out), "--solver", "exhaustive"]
    assert main([*argv, "--seed", "1"]) == 2
    assert "--seed: only the baseline solvers" in capsys.readouterr().err


def test_output_below_a_file_names_the_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["solve", str(_spec(tmp_path)), "-o", str(tmp_path / "afile" / "sub")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'afile'} is a file, not a folder" in err and "Traceback" not in err


def test_profile_refuses_a_bad_output_path_before_measuring(tmp_path, capsys, monkeypatch):
    import carin.profiler

    def measure(*args, **kwargs):
        raise AssertionError("measured before checking -o")

    monkeypatch.setattr(carin.profiler, "profile_models", measure)
    assert main(["profile", str(MODEL), "-o", str(tmp_path / "p.txt")]) == 2
    assert "unknown profile table format" in capsys.readouterr().err
    assert main(["profile", str(MODEL), "-o", str(tmp_path)]) == 2
    assert "is a folder; give a file path" in capsys.readouterr().err


def test_import_refuses_a_bad_output_path_before_reading(tmp_path, capsys):
    missing_log = tmp_path / "none.log"  # reading it would fail with another message
    assert main(["import", "litert-benchmark", str(missing_log), "-o", str(tmp_path / "x")]) == 2
    assert "unknown profile table format" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["npy", "csv"])
def test_profile_dataset_that_is_not_an_npz_is_refused(tmp_path, capsys, kind):
    if kind == "npy":
        data = tmp_path / "d.npy"
        np.save(data, np.zeros((3, 8, 8, 1), dtype=np.float32))
        what = "a single .npy array"
    else:
        data = tmp_path / "d.csv"
        data.write_text("x,y\n1,2\n")
        what = "not an .npz archive"
    argv = ["profile", str(MODEL), "--dataset", str(data), "--in-process", "--quiet"]
    assert main([*argv, "-o", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{data}: {what}" in err and "arrays 'x'" in err
    assert not (tmp_path / "p.csv").exists()


def test_duplicate_yaml_key_is_reported_as_file_and_line(tmp_path, capsys):
    spec = _spec(tmp_path, f"profiles: {LINUX}\n")
    assert main(["solve", str(spec), "--out", str(tmp_path / "o")]) == 2
    assert f"{spec}:3: duplicate key 'profiles'" in capsys.readouterr().err


def test_infinite_profile_value_is_quoted_as_written(tmp_path, capsys):
    (tmp_path / "p.csv").write_text("model,precision,processor,latency_ms\na,fp32,cpu,inf\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("profiles: p.csv\nobjectives: [min latency_ms]\n")
    assert main(["solve", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "row 2, column 'latency_ms': 'inf' is not finite" in err and "np." not in err


def _events(tmp_path: Path) -> str:
    path = tmp_path / "e.jsonl"
    path.write_text('{"t": 0, "conditions": {}}\n{"t": 1, "observe": {"latency_ms": 50}}\n')
    return str(path)


def test_switch_monitor_threshold_setting_keeps_the_hysteresis_below_it(tmp_path, capsys):
    plan = str(_solved(tmp_path) / "plan.json")
    events = _events(tmp_path)
    # the default release (0.02) is above this threshold: lowered as --threshold lowers it
    assert main(["switch", plan, "--events", events, "--monitor", "threshold=0.01"]) == 0
    assert main(["switch", plan, "--events", events, "--threshold", "0.01"]) == 0
    capsys.readouterr()
    argv = ["switch", plan, "--events", events, "--threshold", "0.2"]
    assert main([*argv, "--monitor", "threshold=0.3"]) == 2
    assert "--threshold 0.2 and --monitor threshold=0.3 contradict" in capsys.readouterr().err
    assert main(["switch", plan, "--events", events, "--monitor", "release=0.3"]) == 2
    assert "allowed: 0 < release <= threshold (threshold is 0.1)" in capsys.readouterr().err


def test_switch_given_the_result_folder_names_the_plan_file(tmp_path, capsys):
    out = _solved(tmp_path)
    assert main(["switch", str(out), "--events", _events(tmp_path)]) == 2
    assert f"give the plan file in it, e.g. {out / 'plan.json'}" in capsys.readouterr().err


def test_show_given_a_spec_says_to_solve_it_first(tmp_path, capsys):
    spec = _spec(tmp_path)
    for command in ("show", "explain", "plot"):
        assert main([command, str(spec)]) == 2
        err = capsys.readouterr().err
        assert "is a file, not the --out folder" in err and f"carin solve {spec}" in err


@pytest.mark.parametrize(
    "constraints, lines",
    [
        ("[{metric: latency_ms, min: 5, max: 1}]", (3,)),
        ("\n  - 'latency_ms >= 5'\n  - 'accuracy >= 1'\n  - {metric: latency_ms, max: 1}", (4, 6)),
    ],
)
def test_limits_no_value_can_meet_are_refused(tmp_path, capsys, constraints, lines):
    spec = _spec(tmp_path, f"constraints: {constraints}\n")
    assert main(["solve", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:{lines[-1]}: constraints[" in err
    assert "'latency_ms >= 5'" in err and "'latency_ms <= 1'" in err
    assert "cannot both hold" in err and not (tmp_path / "o").exists()


def test_limits_that_meet_or_concern_other_metrics_are_kept(tmp_path):
    body = "constraints: ['latency_ms >= 0.5', 'latency_ms <= 0.5', 'accuracy <= 0.1']\n"
    # an infeasible spec (exit 3), but not one whose limits contradict each other (exit 2)
    assert main(["solve", str(_spec(tmp_path, body)), "--out", str(tmp_path / "o")]) == 3


def test_weight_without_a_weighted_preference_is_refused(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    objectives = "objectives:\n  - min latency_ms\n  - {metric: memory_mb, goal: min, weight: 2}\n"
    path.write_text(f"profiles: {LINUX}\n{objectives}", encoding="utf-8")
    assert main(["solve", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert (
        f"{path}:4: objectives[1].weight: a weight counts only under 'preference: weighted'" in err
    )
    path.write_text(f"profiles: {LINUX}\n{objectives}preference: weighted\n", encoding="utf-8")
    assert main(["solve", str(path), "--out", str(tmp_path / "o")]) == 0


def test_switch_on_an_infeasible_result_says_there_is_no_plan(tmp_path, capsys):
    out = tmp_path / "o"
    assert (
        main(["solve", str(_spec(tmp_path, "constraints: ['latency_ms <= 0']\n")), "-o", str(out)])
        == 3
    )
    capsys.readouterr()
    assert main(["switch", str(out / "plan.json"), "--events", _events(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "found no feasible design, so it has no plan.json" in err
    assert "not part of the solve" not in err


def _options_without_help(parser: argparse.ArgumentParser, name: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                missing += _options_without_help(sub, f"{name} {sub_name}")
        elif not action.help:
            missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_of_every_command_says_what_it_does():
    missing = []
    for command in sorted(_commands()):
        parser = build_parser([command])
        sub = next(a for a in parser._actions if a.dest == "command").choices[command]
        missing += _options_without_help(sub, f"carin {command}")
    assert missing == []


def test_plot_refuses_one_metric_on_both_axes(tmp_path, capsys):
    out = _solved(tmp_path)
    capsys.readouterr()
    assert main(["plot", str(out), "-x", "latency_ms", "-y", "latency_ms"]) == 2
    assert "-x and -y are both 'latency_ms'" in capsys.readouterr().err
    assert not (out / "front.png").exists()


@pytest.mark.parametrize(
    "header, hint",
    [
        ("model;precision;processor;latency_ms", "columns are separated by commas, not ';'"),
        ("model\tprecision\tprocessor\tlatency_ms", "columns are separated by commas, not '\\t'"),
        ("Model,Precision,processor,latency_ms", "lower case; found 'Model', 'Precision'"),
    ],
)
def test_profile_header_from_a_spreadsheet_says_what_is_off(tmp_path, capsys, header, hint):
    sep = ";" if ";" in header else "\t" if "\t" in header else ","
    row = sep.join(["a", "fp32", "cpu", "3"])
    (tmp_path / "p.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text("profiles: p.csv\nobjectives: [min latency_ms]\n", encoding="utf-8")
    assert main(["solve", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "missing required key column(s)" in err and hint in err


def test_intermittent_keep_without_a_taskset_is_refused(tmp_path, capsys):
    """--keep counts task-set finalists; with --model it used to be ignored silently."""
    out = tmp_path / "rows.csv"
    model = ROOT / "spaces/intermittent/lenet5.yaml"
    argv = ["intermittent", "--model", str(model), "--source", "constant:power_mw=1"]
    assert main([*argv, "--keep", "3", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--keep: only with --taskset" in err and "Traceback" not in err
    assert not out.exists()


def test_rows_no_key_tells_apart_are_warned(tmp_path, capsys):
    """Two measurements of one configuration appended to one table become two designs
    with the same name; the solve says which lines and how to tell them apart."""
    table, spec = tmp_path / "p.csv", tmp_path / "s.yaml"
    spec.write_text(
        "profiles: p.csv\nobjectives: [min latency_ms, max accuracy]\n", encoding="utf-8"
    )

    def solve_err(header: str, *rows: str) -> str:
        table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        assert main(["solve", str(spec), "-o", str(tmp_path / f"out{len(rows)}")]) == 0
        return capsys.readouterr().err

    keys = "model,precision,processor,latency_ms,accuracy"
    err = solve_err(
        keys, "a,fp32,cpu,5.0,70", "b,fp32,cpu,3.0,60", "a,fp32,cpu,4.0,71", "c,int8,cpu,2.0,50"
    )
    assert f"warning: {table}: lines 2, 4 (a/fp32/cpu)" in err
    assert "same model/precision/processor" in err and "variant" in err
    assert "lines 3" not in err and "Traceback" not in err
    # alike rows that no design of the result uses (both dominated) are not reported
    err = solve_err(keys, "a,fp32,cpu,5.0,70", "x,fp32,cpu,9.0,10", "x,fp32,cpu,8.0,20")
    assert "tell apart" not in err
    # a key column that differs settles it: no warning
    with_variant = "model,precision,processor,variant,latency_ms,accuracy"
    rows = (
        "a,fp32,cpu,run1,5.0,70",
        "b,fp32,cpu,run1,3.0,60",
        "a,fp32,cpu,run2,4.0,71",
        "c,int8,cpu,run1,2.0,50",
    )
    assert "tell apart" not in solve_err(with_variant, *rows)


def test_shipped_spaces_have_no_rows_alike() -> None:
    """The embedded tables (intermittent ones by power band) keep every candidate apart."""
    from carin.space import compile_space, indistinguishable_rows
    from carin.spec import load_spec

    for name in ("phone-classifier", "phone-multi", "intermittent-tasks", "local-litert"):
        spec = load_spec(ROOT / "spaces" / f"{name}.yaml")
        assert indistinguishable_rows(compile_space(spec)) == [], name
