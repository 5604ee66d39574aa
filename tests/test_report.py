"""carin plot and carin show on every example spec that solves feasibly."""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carin.cli import main
from carin.report.plots import MAX_POINTS, html_figure, html_traces
from carin.space import compile_space
from carin.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "spaces").glob("*.yaml"))


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Result folders of every example spec that has a feasible design."""
    base = tmp_path_factory.mktemp("solved")
    out: dict[str, Path] = {}
    for spec in SPECS:
        folder = base / spec.stem
        code = main(["solve", str(spec), "--out", str(folder), "--top", "1"])
        if code == 0:
            out[spec.stem] = folder
    assert out, "no example spec solves feasibly"
    return out


@pytest.fixture(scope="module")
def html_of(solved: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Render each result folder's HTML plot once per module."""
    base = tmp_path_factory.mktemp("html")
    cache: dict[str, Path] = {}

    def render(stem: str) -> Path:
        if stem not in cache:
            out = base / f"{stem}.html"
            assert main(["plot", str(solved[stem]), "-o", str(out)]) == 0
            cache[stem] = out
        return cache[stem]

    return render


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _n(values: object) -> int:
    if isinstance(values, dict):  # plotly's typed-array form
        return len(base64.b64decode(values["bdata"])) // np.dtype(values["dtype"]).itemsize
    return len(values)  # type: ignore[arg-type]


def _points(traces: list[dict], panel: str, kind: str) -> int:
    return sum(
        _n(t["x"])
        for t in traces
        if t.get("meta", {}).get("panel") == panel and t["meta"]["kind"] == kind
    )


def _expected(folder: Path) -> dict:
    """Feasible/infeasible counts and labelled designs, computed without the plot code."""
    summary = json.loads((folder / "summary.json").read_text())
    plan = json.loads((folder / "plan.json").read_text())
    space = compile_space(load_spec(summary["spec"]))
    shape = tuple(len(t) for t in space.tasks)
    idx = np.stack(np.unravel_index(np.arange(space.raw_size), shape), axis=1)
    ev = space.evaluate(idx)
    drawable = np.isfinite(ev.objectives).all(axis=1)
    labelled = {plan["primary"]} | {c["design"] for c in plan["conditions"] if c["design"]}
    axes = set(summary["objectives"])
    bounds = sum(1 for c in plan["constraints"] if c["metric"] in axes)
    ant = space.spec.anticipate
    if space.latency_target.label(space.single) in axes:
        bounds += len(ant.latency_budget_ms)
    if space.memory_target.label(space.single) in axes:
        bounds += len(ant.memory_budget_mb)
    return {
        "space": space,
        "feasible": int(ev.feasible.sum()),
        "infeasible_drawable": int((~ev.feasible & drawable).sum()),
        "pareto": len(pd.read_csv(folder / "pareto.csv")),
        "labelled": len(labelled),
        "bounds": bounds,
    }


@pytest.mark.parametrize("stem", [s.stem for s in SPECS])
def test_png_of_every_example_spec(solved: dict[str, Path], stem: str, tmp_path: Path) -> None:
    if stem not in solved:
        pytest.skip(f"{stem} has no feasible design")
    out = tmp_path / "front.png"
    assert main(["plot", str(solved[stem]), "-o", str(out)]) == 0
    width, height = _png_size(out)
    assert width >= 600 and height >= 400
    assert out.stat().st_size > 20_000  # a drawing, not an empty canvas


@pytest.mark.parametrize("stem", [s.stem for s in SPECS])
def test_html_of_every_example_spec(solved: dict[str, Path], html_of, stem: str) -> None:  # type: ignore[no-untyped-def]
    if stem not in solved:
        pytest.skip(f"{stem} has no feasible design")
    folder = solved[stem]
    out = html_of(stem)
    text = out.read_text(encoding="utf-8")
    _assert_offline(text)
    traces = html_traces(out)
    exp = _expected(folder)
    space = exp["space"]
    # the whole Pareto set, connected by the front line
    assert _points(traces, "app", "pareto") == exp["pareto"]
    assert _points(traces, "app", "front") == exp["pareto"]
    # every feasible design is drawn (all example specs have fewer than MAX_POINTS / 2)
    assert _points(traces, "app", "dominated") + exp["pareto"] == exp["feasible"]
    # power-band rows are drawn apart from the infeasible designs (they count at a power level)
    infeasible = _points(traces, "app", "infeasible") + _points(traces, "app", "band")
    if space.raw_size <= MAX_POINTS:
        assert infeasible == exp["infeasible_drawable"]
    else:
        assert 0 < infeasible <= MAX_POINTS
    assert _points(traces, "app", "design") == exp["labelled"]
    assert (
        sum(1 for t in traces if t["meta"]["panel"] == "app" and t["meta"]["kind"] == "bound")
        == exp["bounds"]
    )
    panels = {t["meta"]["panel"] for t in traces}
    assert panels == {"app"} | ({t.name for t in space.tasks} if not space.single else set())
    # hovering a Pareto point names the design (its plan id), its configuration in words,
    # and its metrics by name with their units, never as raw column=value pairs
    pareto = pd.read_csv(folder / "pareto.csv")
    models = [c for c in pareto.columns if c == "model" or c.endswith(".model")]
    ids = set(pareto["id"])
    app = (t for t in traces if t["meta"]["kind"] == "pareto" and t["meta"]["panel"] == "app")
    for trace in app:
        for hover in trace["text"]:
            first = hover.split("<br>")[0]
            assert (
                first.startswith("<b>d") and first[3:].split("<")[0].split()[0].rstrip(":,") in ids
            )
            assert not re.search(r"\b[a-z_]+=\w", hover.replace("style=", ""))
            assert "latency: " in hover and " ms" in hover
            assert "_ms:" not in hover and "_mb:" not in hover
            row = pareto[pareto["id"] == first[3:].split("<")[0].split()[0].rstrip(":,")].iloc[0]
            assert all(str(row[m]) in hover for m in models)


def _assert_offline(text: str) -> None:
    """The page loads nothing: plotly.js is inside it and no script comes from elsewhere."""
    assert re.search(r"<script[^>]*\bsrc\s*=", text) is None
    assert "<link" not in text  # no style sheet or font from a server either
    bundles = [len(m) for m in re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S)]
    assert max(bundles) > 1_000_000  # plotly.js itself (several MB), embedded
    assert "Plotly.newPlot" in text


def test_html_hover_says_why_and_with_units(solved: dict[str, Path], html_of) -> None:  # type: ignore[no-untyped-def]
    """What hovering shows a person: the limits a design breaks, app and part metrics."""
    traces = html_traces(html_of("phone-classifier"))
    spec = load_spec(ROOT / "spaces" / "phone-classifier.yaml")
    limits = {c.target.metric: c for c in spec.constraints}
    for trace in (t for t in traces if t["meta"]["kind"] == "infeasible"):
        for hover, x, y in zip(trace["text"], trace["x"], trace["y"], strict=True):
            assert hover.startswith("infeasible")
            lat, acc = limits["latency_ms"], limits["accuracy"]
            assert (f"breaks latency <= {lat.value:g} ms" in hover) == (x > lat.value)
            assert (f"breaks accuracy >= {acc.value:g} %" in hover) == (y < acc.value)
    bounds = [t for t in traces if t["meta"]["kind"] == "bound"]
    assert any("latency <= 16 ms" in t["hovertemplate"] for t in bounds)
    # multi-DNN: the app-level values on the axes, then every part named by its task
    traces = html_traces(html_of("phone-multi"))
    space = compile_space(load_spec(ROOT / "spaces" / "phone-multi.yaml"))
    hover = next(t for t in traces if t["meta"]["kind"] == "pareto")["text"][0]
    assert "max latency: " in hover and "mean accuracy: " in hover
    for task in space.tasks:
        assert f"<b>{task.name}</b>: " in hover
    # a task panel's part names the plan designs that use it
    plan = json.loads((solved["phone-multi"] / "plan.json").read_text())
    detect = next(t for t in traces if t["meta"] == {"kind": "pareto", "panel": "detect"})
    users = {d["id"] for d in plan["designs"]}
    assert detect["text"][0].startswith("<b>") and detect["text"][0][3:5] in users
    text = html_of("phone-multi").read_text(encoding="utf-8")
    assert "<title>phone-multi: " in text  # the browser tab names the plot
    # what every design shares is said in the legend, and a one-level colour is not named
    from carin.report.plots import load_front_data, plot_front

    fig = plot_front(load_front_data(solved["nb201-pixel3"]), kind="html")
    heading = fig.layout.legend.title.text
    assert "same in every design:<br>  processor: cpu" in heading
    assert "colour: processor" not in heading


def test_multi_dnn_task_panels(solved: dict[str, Path], html_of) -> None:  # type: ignore[no-untyped-def]
    folder = solved["phone-multi"]
    traces = html_traces(html_of("phone-multi"))
    space = _expected(folder)["space"]
    pareto = pd.read_csv(folder / "pareto.csv")
    for task in space.tasks:
        drawn = sum(_points(traces, task.name, k) for k in ("pareto", "dominated", "infeasible"))
        finite = np.isfinite(task.values("latency_ms")) & np.isfinite(task.values("accuracy"))
        assert drawn == int(finite.sum())
        # highlighted rows are exactly the parts the Pareto designs use
        assert _points(traces, task.name, "pareto") == pareto[f"{task.name}.row"].nunique()


def test_three_objectives_give_a_pair_grid(tmp_path: Path) -> None:
    spec = tmp_path / "three.yaml"
    spec.write_text(
        f"name: three\nprofiles: {ROOT / 'spaces' / 'aihub.csv'}\n"
        "where: {device: Samsung Galaxy S24, task: image_classification}\n"
        "objectives: ['max accuracy', 'min latency_ms', 'min memory_mb']\n"
        "constraints: ['latency_ms <= 5']\n"
    )
    folder = tmp_path / "out"
    assert main(["solve", str(spec), "--out", str(folder), "--top", "1"]) == 0
    n_pareto = len(pd.read_csv(folder / "pareto.csv"))
    html = tmp_path / "grid.html"
    assert main(["plot", str(folder), "-o", str(html)]) == 0
    traces = html_traces(html)
    panels = {t["meta"]["panel"] for t in traces}
    assert len(panels) == 3  # accuracy-latency, accuracy-memory, latency-memory
    for panel in panels:
        assert _points(traces, panel, "pareto") == n_pareto
    assert not any(t["meta"]["kind"] == "front" for t in traces)  # no line in projections
    png = tmp_path / "grid.png"
    assert main(["plot", str(folder), "-o", str(png)]) == 0
    width, height = _png_size(png)
    assert 0.8 * height < width < 1.4 * height  # a 2x2 grid, not a strip


def test_axes_can_be_chosen(solved: dict[str, Path], tmp_path: Path) -> None:
    folder = solved["phone-classifier"]
    out = tmp_path / "mem.html"
    assert main(["plot", str(folder), "-x", "memory_mb", "-y", "accuracy", "-o", str(out)]) == 0
    layout = html_figure(out)["layout"]
    assert layout["xaxis"]["title"]["text"].startswith("memory (MB)")
    traces = html_traces(out)
    pareto = pd.read_csv(folder / "pareto.csv")
    xs = sorted(x for t in traces if t["meta"]["kind"] == "pareto" for x in t["x"])
    plan = json.loads((folder / "plan.json").read_text())
    mem = sorted(d["metrics"]["memory_mb"] for d in plan["designs"] if d["pareto"])
    assert len(xs) == len(pareto)
    assert np.allclose(xs, mem, rtol=1e-5)


def test_plots_are_deterministic(solved: dict[str, Path], tmp_path: Path) -> None:
    folder = solved["local-litert"]
    for suffix in ("png", "html"):
        a, b = tmp_path / f"a.{suffix}", tmp_path / f"b.{suffix}"
        assert main(["plot", str(folder), "-o", str(a)]) == 0
        assert main(["plot", str(folder), "-o", str(b)]) == 0
        assert a.read_bytes() == b.read_bytes()


def test_plot_errors_exit_2(
    solved: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = solved["local-litert"]
    assert main(["plot", str(folder), "-o", str(tmp_path / "f.gif")]) == 2
    assert ".png, .svg, .pdf, .html" in capsys.readouterr().err
    assert main(["plot", str(folder), "-x", "speed", "-o", str(tmp_path / "f.png")]) == 2
    assert "latency_ms" in capsys.readouterr().err  # lists the metrics there are
    assert main(["plot", str(tmp_path / "nowhere")]) == 2
    infeasible = tmp_path / "inf.yaml"
    infeasible.write_text(
        (ROOT / "spaces" / "local-litert.yaml")
        .read_text()
        .replace("profiles: local-litert.csv", f"profiles: {ROOT / 'spaces/local-litert.csv'}")
        .replace('"accuracy >= 95"', '"accuracy >= 99.9"')
    )
    assert main(["solve", str(infeasible), "--out", str(tmp_path / "inf")]) == 3
    capsys.readouterr()
    # nothing feasible: drawn anyway, with the limits that exclude every design
    assert main(["plot", str(tmp_path / "inf")]) == 0
    assert (tmp_path / "inf" / "front.png").exists()


def test_result_plot_api(tmp_path: Path) -> None:
    import carin

    result = carin.solve(ROOT / "spaces" / "local-litert.yaml")
    fig = result.plot(tmp_path / "api.png")
    assert fig.axes and _png_size(tmp_path / "api.png")[0] > 0
    fig = result.plot(kind="html")
    kinds = [t.meta["kind"] for t in fig.data]
    assert kinds.count("front") == 1
    assert sum(len(t.x) for t in fig.data if t.meta["kind"] == "pareto") == len(result.pareto)


# -- carin show -------------------------------------------------------------------------


def _show(folder: Path, capsys: pytest.CaptureFixture, *args: str) -> str:
    capsys.readouterr()
    assert main(["show", str(folder), *args]) == 0
    return capsys.readouterr().out


def test_show_formats(solved: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    folder = solved["phone-classifier"]
    plan = json.loads((folder / "plan.json").read_text())
    from io import StringIO

    frame = pd.read_csv(StringIO(_show(folder, capsys, "--format", "csv")))
    assert len(frame) == len(plan["designs"])
    assert frame.loc[frame["primary"], "id"].tolist() == [plan["primary"]]
    chosen = {c["design"] for c in plan["conditions"] if c["design"]}
    assert set(frame.loc[frame["conditions"].notna(), "id"]) == chosen

    data = json.loads(_show(folder, capsys, "--format", "json"))
    assert data["primary"] == plan["primary"]
    assert [d["id"] for d in data["designs"]] == [d["id"] for d in plan["designs"]]

    md = _show(folder, capsys, "--format", "markdown")
    header = next(line for line in md.splitlines() if line.startswith("| "))
    assert "| latency (ms) |" in header and "| accuracy (%) |" in header  # unit said once
    assert f"| **{plan['primary']}** |" in md
    # the primary's marker renders as one literal '*' (escaped once), as in the legend
    marks = [line.split("|")[1].strip() for line in md.splitlines() if line.startswith("| ")]
    assert "\\*" in marks and "\\\\*" not in md
    assert "\\* primary" in md
    assert "Anticipated conditions" in md

    table = _show(folder, capsys)
    primary_line = next(line for line in table.splitlines() if line.startswith("*"))
    assert f" {plan['primary']} " in primary_line
    # one line per design the conditions pick, plus one for the conditions with none
    chosen = {c["design"] for c in plan["conditions"]}
    lines = table.split("Anticipated conditions")[1].splitlines()[1:]
    assert len([x for x in lines if x.startswith("  ") and not x.startswith("    ")]) == len(chosen)


def test_show_sort(solved: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    from io import StringIO

    folder = solved["nb201-pixel3"]
    up = pd.read_csv(StringIO(_show(folder, capsys, "--format", "csv", "--sort", "latency_ms")))
    assert up["latency_ms"].is_monotonic_increasing
    down = pd.read_csv(StringIO(_show(folder, capsys, "--format", "csv", "--sort=-latency_ms")))
    assert down["latency_ms"].is_monotonic_decreasing
    best = pd.read_csv(StringIO(_show(folder, capsys, "--format", "csv", "--sort", "accuracy")))
    assert best["accuracy"].is_monotonic_decreasing  # an objective to maximise: best first
    assert main(["show", str(folder), "--sort", "speed"]) == 2
    assert "latency_ms" in capsys.readouterr().err


def test_sampled_products(
    solved: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Products above the enumeration limit are drawn from a deterministic sample."""
    import carin.report.plots as plots

    monkeypatch.setattr(plots, "ENUMERATE_LIMIT", 1000)
    folder = solved["phone-multi"]
    data = plots.load_front_data(folder)
    cloud = plots.design_cloud(data, max_points=3000)
    assert cloud.sampled and cloud.usable is None and cloud.feasible_total is None
    assert cloud.pareto.sum() == len(data.pareto)  # the front is always drawn
    again = plots.design_cloud(data, max_points=3000)
    assert np.array_equal(cloud.index, again.index)
    out = tmp_path / "sampled.html"
    assert main(["plot", str(folder), "--max-points", "3000", "-o", str(out)]) == 0
    traces = html_traces(out)
    assert _points(traces, "app", "pareto") == len(data.pareto)
    drawn = sum(_points(traces, "app", k) for k in ("pareto", "dominated", "infeasible"))
    assert drawn <= 3000 + len(data.plan_index) + len(data.pareto)
    assert "showing a sample" in html_figure(out)["layout"]["title"]["text"]


def test_relative_spec_path_found_from_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "spaces").symlink_to(ROOT / "spaces")
    monkeypatch.chdir(tmp_path)
    assert main(["solve", "spaces/local-litert.yaml", "--top", "1"]) == 0  # out/local-litert
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["plot", str(tmp_path / "out" / "local-litert"), "-o", "f.png"]) == 0
    (tmp_path / "spaces").unlink()
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "out" / "local-litert")]) == 2
    assert "does not exist" in capsys.readouterr().err
