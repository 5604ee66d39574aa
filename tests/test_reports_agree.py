"""explain, switch and the nearest misses speak as solve/show do: 100 columns, the plan's
ids, designs named by the key columns that vary, and one wording per condition."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from carin.cli import main
from carin.profiles import KEY_COLUMNS
from carin.report._format import condition_text, short_words
from carin.report.plots import load_front_data
from carin.space import compile_space
from carin.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPACES = ROOT / "spaces"
EVENTS = ROOT / "examples" / "events"
STEMS = sorted(p.stem for p in SPACES.glob("*.yaml"))
WIDTH = 100

sys.path.insert(0, str(Path(__file__).parent))
from test_explain import INFEASIBLE, _variant  # noqa: E402
from test_output import _run  # noqa: E402


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every example spec solved into a temporary folder."""
    base = tmp_path_factory.mktemp("solved")
    for stem in STEMS:
        code, _, _ = _run("solve", str(SPACES / f"{stem}.yaml"), "--out", str(base / stem))
        assert code == 0
    return {stem: base / stem for stem in STEMS}


def _section(text: str, head: str) -> list[str]:
    """The lines of the paragraph starting with ``head``, continuation lines joined."""
    lines = text.split(head, 1)[1].split("\n\n")[0].splitlines()[1:]
    joined: list[str] = []
    for line in lines:
        if line.startswith("  ") and not line.startswith("   ") or not joined:
            joined.append(line)
        else:
            joined[-1] += " " + line.strip()
    return joined


def _conditions(text: str, labelled: bool) -> dict[str, list[str]]:
    """``{design id or 'none': [condition texts]}`` of a report's conditions section."""
    out = {}
    for line in _section(text, "Anticipated conditions"):
        m = re.match(r"^  no feasible design \((\d+)\): (.*)$", line)
        if m:
            out["none"] = m.group(2).split("; ")
            assert len(out["none"]) == int(m.group(1))
            continue
        m = re.match(r"^  (d\d+) +(.*)$", line)
        assert m, line
        rest = _split_label(m.group(2))[1] if labelled else m.group(2)
        out[m.group(1)] = rest.split("; ")
    return out


def _split_label(text: str) -> tuple[str, str]:
    """``label: conditions`` (a multi-DNN label holds ``task: `` prefixes itself)."""
    label, _, rest = text.rpartition(": ") if " | " in text else text.partition(": ")
    return label, rest


def _plan_conditions(plan: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in plan["conditions"]:
        out.setdefault(entry["design"] or "none", []).append(condition_text(entry["when"]))
    return out


def _key_values(design: dict) -> set[str]:
    """Every key-column value of a plan design, as words (a CM plan holds spaces)."""
    values = set()
    for part in design["parts"]:
        values.add(part["processor"])
        for v in part["config"].values():
            values |= set(str(v).split(" "))
    return values


def _label_words(label: str) -> list[str]:
    """The key values a label is made of (task prefixes, thread and band words left out)."""
    label = re.sub(r" \((overall|[\d.>=-]+ mW)\)$", "", label)
    words = []
    for part in label.split(" | "):
        part = re.sub(r"^\w+: ", "", part)
        part = re.sub(r"(\d+) threads?\b", r"\1", part)
        words += part.split(" ")
    return words


# -- carin explain on every example spec ----------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_explain_fits_and_names_designs_as_the_plan(solved, stem: str) -> None:  # type: ignore[no-untyped-def]
    folder = solved[stem]
    plan = json.loads((folder / "plan.json").read_text())
    by_id = {d["id"]: d for d in plan["designs"]}
    code, text, _ = _run("explain", str(folder))
    assert code == 0
    for line in text.splitlines():
        assert len(line) <= WIDTH, line
    # no unit said twice ("latency_ms 7.7 ms") and no plural of one
    assert not re.search(r"_(ms|mb|mj|mw) [\d.]+ (ms|MB|mJ|mW)", text)
    assert not re.search(r"\b1 Pareto designs\b", text)
    # the primary design: the plan's id, named by the key columns of its row in the plan
    first = text.splitlines()[0]
    m = re.match(rf"^{re.escape(plan['name'])}: primary design (d\d+) = (.*)$", first)
    assert m and m.group(1) == plan["primary"], first
    primary = by_id[plan["primary"]]
    words = [w for w in _label_words(m.group(2)) if not w.endswith("...")]
    assert words and set(words) <= _key_values(primary)
    # the runners-up: plan ids in rank order, each named from its own configuration
    trade = _section(text, "The next designs trade:") if "The next designs" in text else []
    ids = [re.match(r"^  (d\d+)  ", line).group(1) for line in trade if re.match(r"^  d\d+", line)]
    assert ids == sorted(ids, key=lambda d: int(d[1:]))
    for line in trade:
        if re.match(r"^  d\d+", line):
            did, label = line.split(maxsplit=1)
            label = re.split(r" (?:gives up|for|same): ", label)[0]
            kept = [w for w in _label_words(label) if not w.endswith("...")]
            assert set(kept) <= _key_values(by_id[did]), line
    # conditions: the same grouping and the same wording as 'carin show' and the plan
    code, shown, _ = _run("show", str(folder), "--top", "100")
    if plan["conditions"]:
        assert _conditions(text, labelled=True) == _plan_conditions(plan)
        assert _conditions(shown, labelled=False) == _plan_conditions(plan)
        # the label after each id is the design's, the same one 'carin switch' prints
        for line in _section(text, "Anticipated conditions"):
            m = re.match(r"^  (d\d+) +(.*)$", line)
            if m:
                label = _split_label(m.group(2))[0]
                kept = [w for w in _label_words(label) if not w.endswith("...")]
                assert kept and set(kept) <= _key_values(by_id[m.group(1)]), line
    # the columns every plan design shares are said once, as in the report's header
    head_show = shown.split("\n\n")[0].splitlines()[1]
    assert head_show in text.split("\n\n")[0].splitlines()


def test_plan_labels_tell_the_designs_apart(solved) -> None:  # type: ignore[no-untyped-def]
    from carin.report._designs import plan_labels

    for stem, folder in solved.items():
        plan = json.loads((folder / "plan.json").read_text())
        labels = plan_labels(plan)
        seen: dict[str, tuple] = {}
        for d in plan["designs"]:
            what = (
                json.dumps([(p["processor"], p["config"]) for p in d["parts"]], sort_keys=True),
                json.dumps(d.get("power_band_mw")),
            )
            assert seen.setdefault(labels[d["id"]], what) == what, (stem, labels[d["id"]])
        # nothing shared by every design is repeated in a label (the header says it)
        device = plan["designs"][0]["parts"][0]["config"].get("device")
        assert not any(device and device in label for label in labels.values()), stem


# -- carin switch ---------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_switch_speaks_the_report_wording(solved, stem: str) -> None:  # type: ignore[no-untyped-def]
    from carin.report._designs import plan_labels

    folder = solved[stem]
    plan = json.loads((folder / "plan.json").read_text())
    events = [json.loads(x) for x in (EVENTS / f"{stem}.jsonl").read_text().splitlines() if x]
    code, text, _ = _run(
        "switch", str(folder / "plan.json"), "--events", str(EVENTS / f"{stem}.jsonl")
    )
    assert code == 0
    for line in text.splitlines():
        assert len(line) <= WIDTH, line
    assert "{" not in text and '"' not in text  # no JSON
    starts = [line for line in text.splitlines() if line.startswith("t=")]
    assert len(starts) == len(events)
    for event, line in zip(events, starts, strict=True):
        if "conditions" in event:
            wording = condition_text(event["conditions"]) or "nominal"
            assert f" conditions: {wording} -> " in line, line
        else:
            assert f" observed latency {event['observe']['latency_ms']:g} ms" in line, line
        # the id is not said twice ("-> d0: d0: ...")
        assert not re.search(r"-> (d\d+)(?: \[[^]]*\])?: \1:", line), line
    # the designs it ran, named as explain names them
    ran = text.split("Designs it ran:\n", 1)[1].splitlines()
    labels = plan_labels(plan)
    for line in ran:
        did, label = line.split(maxsplit=1)
        assert label == short_words(labels[did])


def test_switch_says_a_reason_once_while_it_holds(tmp_path: Path) -> None:
    assert main(["solve", str(SPACES / "phone-classifier.yaml"), "--out", str(tmp_path)]) == 0
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"t": 0, "conditions": {}}\n'
        '{"t": 1, "observe": {"latency_ms": 7.7}}\n'
        '{"t": 2, "conditions": {"unavailable": ["npu"], "memory_budget_mb": 50}}\n'
        '{"t": 3, "observe": {"latency_ms": 13.0}}\n'
    )
    code, text, _ = _run("switch", str(tmp_path / "plan.json"), "--events", str(events))
    assert code == 0
    lines = [line for line in text.splitlines() if line.startswith("t=")]
    assert lines[0].startswith("t=0       * conditions: nominal -> d0: best-ranked design")
    assert lines[1] == "t=1         observed latency 7.7 ms -> d0 (as before)"
    assert "conditions: no npu, mem<=50MB -> d4: best feasible design" in lines[2]
    assert lines[3] == "t=3         observed latency 13 ms -> d4 (as before)"


# -- nearest misses -------------------------------------------------------------------


@pytest.mark.parametrize("stem", sorted(INFEASIBLE))
def test_nearest_misses_are_labelled_by_what_varies(
    stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _variant(tmp_path, stem, stem, INFEASIBLE[stem])
    monkeypatch.chdir(tmp_path)  # a short relative spec path, as a user types it
    code, _, err = _run("solve", path.name, "--out", "out")
    assert code == 3
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    misses = summary["nearest_misses"]
    assert misses
    data = load_front_data(tmp_path / "out")
    space = data.space
    # the key plots and explain find the designs by is kept: every miss is found by it
    assert len(data.misses) == min(3, len(misses))
    keys = {str(k) for t in space.tasks for k in t.keys.tolist()}
    for m in misses:
        assert all(part in keys for part in m["design"].split(" + "))
    # the label: short, and made of the key columns that vary among the misses
    rows = []
    for m in misses:
        parts = m["design"].split(" + ")
        rows.append(
            [
                task.frame.iloc[list(map(str, task.keys.tolist())).index(part)]
                for task, part in zip(space.tasks, parts, strict=True)
            ]
        )
    for t, task in enumerate(space.tasks):
        cols = [c for c in KEY_COLUMNS if c in task.frame.columns]
        varying = {c for c in cols if len({str(r[t][c]) for r in rows}) > 1}
        shared = {c: str(rows[0][t][c]) for c in cols if c not in varying}
        for m, r in zip(misses, rows, strict=True):
            part = m["label"].split(" | ")[t] if not space.single else m["label"]
            part = re.sub(r"^\w+: ", "", part)
            assert len(m["label"]) < len(m["design"])
            for c in varying:
                assert str(r[t][c]) in part.split(" "), (m["label"], c)
            for c, v in shared.items():
                if v and (c != "model" or varying):
                    assert v not in part.split(" "), (m["label"], c)
    assert len({m["label"] for m in misses}) == len({m["design"] for m in misses})
    # every printer shows the label, never the long key, and fits 100 columns
    code, explained, _ = _run("explain", "out")
    code2, shown, _ = _run("show", "out")
    assert code == code2 == 0
    for text in (err, explained, shown):
        for m in misses:
            assert m["design"] not in text
            first = m["label"] if len(m["label"]) < 48 else m["label"][:20]
            assert first in text
        for line in text.splitlines():
            assert len(line) <= WIDTH, line
    # the columns every miss shares are said once, where the spec is at hand
    device = str(rows[0][0]["device"])
    assert f"device {device}" in " ".join(err.split())
    assert f"device {device}" in " ".join(explained.split())


@pytest.mark.parametrize("stem", sorted(INFEASIBLE))
def test_show_of_an_infeasible_solve_says_what_solve_said(
    stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``carin show`` reprints the exit-3 message of ``carin solve`` from the folder alone:
    the size of the space, what the misses share, the misses and the relaxations."""
    path = _variant(tmp_path, stem, stem, INFEASIBLE[stem])
    monkeypatch.chdir(tmp_path)
    code, _, err = _run("solve", path.name, "--out", "out")
    assert code == 3
    said = err.rstrip("\n").split("\n")
    size = compile_space(load_spec(path)).raw_size
    assert (
        said[0]
        == f"error: {path.name}: no design meets the constraints ({size:,} designs considered)."
    )
    assert said[-1] == "See 'carin explain out' for details."
    assert any(line.startswith("  all have ") for line in said)
    assert "Smallest single relaxations (each alone, the other limits kept):" in said
    name = json.loads((tmp_path / "out" / "summary.json").read_text())["name"]
    want = [said[0].replace(f"error: {path.name}: ", f"{name}: "), *said[1:-1]]
    path.unlink()  # show reads the folder only, never the spec
    code, shown, _ = _run("show", "out")
    assert code == 0 and shown.rstrip("\n").split("\n") == want
    # explain without the spec falls back on the same record: the same relaxations
    code, explained, _ = _run("explain", "out")
    assert code == 0
    relax = [line for line in want if " -> " in line or "relaxing it alone" in line]
    assert relax and all(line in explained.splitlines() for line in relax)


def test_a_baseline_that_finds_nothing_says_rass_confirms_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 3 after a baseline only when RASS finds nothing either (else exit 4), so the
    message says so; the rest is the exact solve's message."""
    path = _variant(tmp_path, "phone-classifier", "tight", INFEASIBLE["phone-classifier"])
    monkeypatch.chdir(tmp_path)
    code, _, exact = _run("solve", path.name, "--out", "exact")
    assert code == 3
    baseline = ["--solver", "pymoo-nsga2", "--budget", "20", "--seed", "0"]
    code, _, err = _run("solve", path.name, "--out", "base", *baseline)
    assert code == 3
    note = (
        "pymoo-nsga2 found no feasible design, and the exact solver (rass) confirms that "
        "there is none: a larger --budget would not help."
    )
    said = err.rstrip("\n").split("\n")
    want = exact.rstrip("\n").split("\n")
    at = want.index("Smallest single relaxations (each alone, the other limits kept):")
    extra = len(said) - len(want)  # the note, wrapped to 100 columns
    assert extra >= 1 and " ".join(" ".join(said[at : at + extra]).split()) == note
    assert said[:at] == want[:at] and said[at + extra : -1] == want[at:-1]
    assert said[-1] == "See 'carin explain base' for details."


def test_summaries_without_labels_still_print() -> None:
    """A summary.json written before labels existed shows its design keys."""
    from carin.report.explain import nearest_miss_lines

    misses = [{"design": "a/b/c", "broken": [{"constraint": "x <= 1", "value": 2, "by": 1}]}]
    assert nearest_miss_lines(misses)[1] == "  a/b/c breaks x <= 1 (is 2, off by 1)"


# -- the zoo extra --------------------------------------------------------------------


def test_zoo_extra_installs_everything_zoo_build_needs() -> None:
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {re.split(r"[<>=;\[ ]", req)[0].lower() for req in extras["zoo"]}
    assert {"tensorflow-cpu", "scikit-learn"} <= names
    for doc in (ROOT / "README.md", ROOT / "docs" / "profiling.md"):
        for line in doc.read_text().splitlines():
            if "pip install" in line and "[zoo]" in line:
                assert "scikit-learn" not in line.split("#")[0], (doc.name, line)
