"""The pictures: label placement, legends that match the marks, the front line, grids,
decision encodings, infeasible results, HTML layout and output formats."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from carin.cli import main
from carin.report import _labels
from carin.report.plots import html_figure, html_traces, load_front_data, plot_front

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(p.stem for p in (ROOT / "spaces").glob("*.yaml"))

THREE = """\
name: three
profiles: {profiles}
where: {{device: Samsung Galaxy S24, task: image_classification}}
objectives: ["max accuracy", "min latency_ms", "min memory_mb"]
constraints: ["latency_ms <= 2", "accuracy >= 75"]
anticipate: {{memory_budget_mb: [150, 100]}}
"""


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Result folders: every example spec (feasible or not) and a three-objective spec."""
    base = tmp_path_factory.mktemp("solved")
    out: dict[str, Path] = {}
    for stem in SPECS:
        folder = base / stem
        assert main(["solve", str(ROOT / "spaces" / f"{stem}.yaml"), "--out", str(folder)]) in (
            0,
            3,
        )
        out[stem] = folder
    spec = base / "three.yaml"
    spec.write_text(THREE.format(profiles=ROOT / "spaces" / "aihub.csv"))
    assert main(["solve", str(spec), "--out", str(base / "three")]) == 0
    out["three"] = base / "three"
    # an infeasible variant of a power-banded spec
    text = (ROOT / "spaces" / "intermittent-react.yaml").read_text()
    text = text.replace(
        "profiles: intermittent-react.csv",
        f"profiles: {ROOT / 'spaces' / 'intermittent-react.csv'}",
    ).replace('"success_rate >= 90"', '"success_rate >= 99"')
    spec = base / "infeasible.yaml"
    spec.write_text(text)
    assert main(["solve", str(spec), "--out", str(base / "infeasible")]) == 3
    out["infeasible"] = base / "infeasible"
    return out


CASES = [(s, None) for s in SPECS] + [
    ("phone-classifier", "memory_mb"),
    ("three", None),
    ("infeasible", None),
]


_FIGURES: dict[tuple[str, str | None], object] = {}


def _figure(solved: dict[str, Path], stem: str, x: str | None):  # type: ignore[no-untyped-def]
    """The matplotlib figure of a result, drawn once per module (figures are not changed)."""
    key = (stem, x)
    if key not in _FIGURES:
        fig = plot_front(load_front_data(solved[stem]), x=x, kind="png")
        fig.canvas.draw()
        _FIGURES[key] = fig
    return _FIGURES[key]


def _label_boxes(fig) -> list[tuple[object, list[np.ndarray]]]:  # type: ignore[no-untyped-def]
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        boxes = []
        for text in ax.texts:
            patch = text.get_bbox_patch()
            if patch is not None and text.get_visible():
                e = patch.get_window_extent(renderer)
                boxes.append(np.array([e.x0, e.y0, e.x1, e.y1]))
        out.append((ax, boxes))
    return out


@pytest.mark.parametrize(("stem", "x"), CASES)
def test_labels_do_not_overlap(solved: dict[str, Path], stem: str, x: str | None) -> None:
    fig = _figure(solved, stem, x)
    renderer = fig.canvas.get_renderer()
    labelled = 0
    for ax, boxes in _label_boxes(fig):
        frame = ax.get_window_extent(renderer)
        for box in boxes:  # inside the panel
            assert frame.x0 <= box[0] and box[2] <= frame.x1, (stem, box, frame)
            assert frame.y0 <= box[1] and box[3] <= frame.y1, (stem, box, frame)
        for a, b in itertools.combinations(boxes, 2):
            assert not _labels.overlaps(a, b)[0, 0], (stem, a, b)
        labelled += len(boxes)
    summary = json.loads((solved[stem] / "summary.json").read_text())
    if summary.get("feasible", True):
        plan = json.loads((solved[stem] / "plan.json").read_text())
        designs = {plan["primary"]} | {c["design"] for c in plan["conditions"] if c["design"]}
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        for did in designs:  # every plan design is labelled on the app panel
            assert any(t.startswith(f"{did} ") or t.startswith(f"{did}:") for t in texts), did
    assert labelled > 0


def test_label_placement_in_a_crowd() -> None:
    """Twelve labels on points a few pixels apart still get separate boxes."""
    rng = np.random.default_rng(0)
    anchors = np.array([200.0, 150.0]) + rng.normal(0, 3, size=(12, 2))
    crowd = rng.uniform([0, 0], [400, 300], size=(3000, 2))
    obstacles = _labels.Obstacles(
        crowd, np.ones(len(crowd)), np.array([[210.0, 0, 300]]), np.zeros((0, 3)), np.zeros((0, 4))
    )
    sizes = [(90.0 + 5 * i, 14.0) for i in range(12)]
    boxes = _labels.place_point_labels(anchors, sizes, (0, 0, 400, 300), obstacles)
    hits = _labels.overlaps(boxes, boxes)
    np.fill_diagonal(hits, False)
    assert not hits.any()
    assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= 400).all()
    assert np.allclose(boxes[:, 2] - boxes[:, 0], [s[0] for s in sizes])
    # deterministic
    again = _labels.place_point_labels(anchors, sizes, (0, 0, 400, 300), obstacles)
    assert np.array_equal(boxes, again)


def test_limit_labels_do_not_collide() -> None:
    """Two budget lines 4 px apart: their labels end up apart, each beside its line."""
    lines = [("v", 100.0), ("v", 104.0), ("h", 50.0)]
    sizes = [(60.0, 12.0)] * 3
    boxes = _labels.place_line_labels(lines, sizes, (0, 0, 400, 300), _labels.Obstacles.none())
    hits = _labels.overlaps(boxes, boxes)
    np.fill_diagonal(hits, False)
    assert not hits.any()
    for (axis, value), box in zip(lines, boxes, strict=True):
        if axis == "v":
            assert min(abs(box[0] - value), abs(box[2] - value)) <= 4
        else:
            assert min(abs(box[1] - value), abs(box[3] - value)) <= 3


def _legend_rows(fig) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Legend label -> the artists drawn beside it (what a reader sees)."""
    from matplotlib.offsetbox import DrawingArea, TextArea

    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert len(legends) == 1
    rows: dict[str, list] = {}

    def walk(box) -> None:  # type: ignore[no-untyped-def]
        kids = box.get_children()
        areas = [k for k in kids if isinstance(k, DrawingArea)]
        texts = [k for k in kids if isinstance(k, TextArea)]
        if areas and texts:
            rows[texts[0].get_text()] = list(areas[0].get_children())
            return
        for k in kids:
            walk(k)

    walk(legends[0]._legend_handle_box)  # noqa: SLF001
    return rows


def _marker_rgba(artists: list) -> set[tuple]:  # type: ignore[type-arg]
    from matplotlib.lines import Line2D

    return {
        tuple(np.round(to_rgba(a.get_markerfacecolor(), a.get_alpha()), 3))
        for a in artists
        if isinstance(a, Line2D) and a.get_marker() not in ("", "None", None)
    }


STATUS = (
    "Pareto front",
    "Pareto set",
    "dominated (faded)",
    "infeasible",
    "breaks a limit",
    "power-band row (for its power level)",
)


@pytest.mark.parametrize(("stem", "x"), CASES)
def test_legend_matches_the_marks(solved: dict[str, Path], stem: str, x: str | None) -> None:
    """Every drawn point's colour and opacity is a status entry's, and every entry is drawn."""
    from matplotlib.collections import PathCollection

    fig = _figure(solved, stem, x)
    rows = _legend_rows(fig)
    status = set().union(*(_marker_rgba(rows[k]) for k in STATUS if k in rows))
    drawn: set[tuple] = set()
    for ax in fig.axes:
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and len(coll.get_offsets()):
                drawn |= {tuple(np.round(c, 3)) for c in coll.get_facecolors()}
    assert drawn, stem
    assert drawn == status, (stem, drawn ^ status)
    # faded marks are named dominated in the legend, and drawn as faded there too
    if "dominated (faded)" in rows:
        assert all(rgba[3] < 0.5 for rgba in _marker_rgba(rows["dominated (faded)"]))
    # every colour entry is a colour some point has (alpha aside)
    solid = {rgba[:3] for rgba in drawn}
    for label, artists in rows.items():
        if label in STATUS:
            continue
        for rgba in _marker_rgba(artists):
            # white-filled entries show a shape only, hollow ones a ring
            if rgba[:3] != (1.0, 1.0, 1.0) and rgba[3] > 0:
                assert rgba[:3] in solid, (stem, label, rgba)


def test_front_line_in_objective_order(solved: dict[str, Path], tmp_path: Path) -> None:
    """The front is a monotone staircase on the objectives' axes, and no line in a projection."""
    out = tmp_path / "f.html"
    assert main(["plot", str(solved["nb201-pixel3"]), "-o", str(out)]) == 0
    front = [t for t in html_traces(out) if t["meta"]["kind"] == "front"]
    assert len(front) == 1
    x, y = np.array(front[0]["x"], float), np.array(front[0]["y"], float)
    assert (np.diff(x) >= 0).all() and (np.diff(y) >= 0).all()  # min latency, max accuracy
    assert front[0]["line"]["shape"] == "hv"
    fig = _figure(solved, "nb201-pixel3", None)
    (line,) = [ln for ln in fig.axes[0].get_lines() if ln.get_drawstyle() != "default"]
    assert (np.diff(line.get_xdata()) >= 0).all() and (np.diff(line.get_ydata()) >= 0).all()
    out = tmp_path / "mem.html"
    assert main(["plot", str(solved["phone-classifier"]), "-x", "memory_mb", "-o", str(out)]) == 0
    assert not [t for t in html_traces(out) if t["meta"]["kind"] == "front"]


def test_three_objectives_form_a_grid(solved: dict[str, Path], tmp_path: Path) -> None:
    fig = _figure(solved, "three", None)
    panels = [ax for ax in fig.axes if ax.axison]
    assert len(panels) == 3
    cells = {
        (ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in panels
    }
    assert cells == {(0, 0), (0, 1), (1, 1)}  # upper triangle of a 2x2 grid
    by_cell = {
        (a.get_subplotspec().rowspan.start, a.get_subplotspec().colspan.start): a for a in panels
    }
    # a row shares its y objective, a column its x objective
    assert by_cell[(0, 0)].get_ylabel() == by_cell[(0, 1)].get_ylabel()
    assert by_cell[(0, 1)].get_xlabel() == by_cell[(1, 1)].get_xlabel()
    (spare,) = [ax for ax in fig.axes if not ax.axison]
    assert spare.get_legend() is not None  # the legend fills the empty cell
    width, height = fig.get_size_inches()
    assert 0.8 < width / height < 1.4
    out = tmp_path / "g.html"
    assert main(["plot", str(solved["three"]), "-o", str(out)]) == 0
    fig = plot_front(load_front_data(solved["three"]), kind="html")
    xs = sorted({tuple(fig.layout[k].domain) for k in fig.layout if k.startswith("xaxis")})
    assert len(xs) == 2  # two columns


def test_html_is_responsive_and_labels_are_annotations(
    solved: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "f.html"
    assert main(["plot", str(solved["phone-classifier"]), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert html_figure(out)["config"] == {"responsive": True}
    assert "width:100%" in text.replace(" ", "")
    fig = plot_front(load_front_data(solved["phone-classifier"]), kind="html")
    assert fig.layout.width is None and fig.layout.autosize
    notes = [a for a in fig.layout.annotations if (a.name or "").startswith("design:")]
    plan = json.loads((solved["phone-classifier"] / "plan.json").read_text())
    designs = {plan["primary"]} | {c["design"] for c in plan["conditions"] if c["design"]}
    assert len(notes) == len(designs)


def _html_label_boxes(fig, width: float) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    """Pixel boxes of the label annotations in a window ``width`` px wide (y up)."""
    from carin.report import _plotly

    m, height = fig.layout.margin, fig.layout.height
    plot_w, plot_h = width - m.l - m.r, height - m.t - m.b
    boxes = []
    for a in fig.layout.annotations:
        if not (a.name or "").startswith(("design:", "limit:")):
            continue
        xa = fig.layout["xaxis" + a.xref[1:]]
        ya = fig.layout["yaxis" + a.yref[1:]]
        cx, cy = (a.ax, a.ay) if a.showarrow else (a.x, a.y)
        fx = (cx - xa.range[0]) / (xa.range[1] - xa.range[0])
        fy = (cy - ya.range[0]) / (ya.range[1] - ya.range[0])
        px = m.l + (xa.domain[0] + fx * (xa.domain[1] - xa.domain[0])) * plot_w
        py = m.b + (ya.domain[0] + fy * (ya.domain[1] - ya.domain[0])) * plot_h
        w, h = _plotly.text_box(a.text, a.font.size)
        box = np.array([px - w / 2, py - h / 2, px + w / 2, py + h / 2])
        # inside the panel
        assert (
            m.l + xa.domain[0] * plot_w - 1 <= box[0] and box[2] <= m.l + xa.domain[1] * plot_w + 1
        )
        assert (
            m.b + ya.domain[0] * plot_h - 1 <= box[1] and box[3] <= m.b + ya.domain[1] * plot_h + 1
        )
        boxes.append(box)
    return boxes


@pytest.mark.parametrize("stem", ["phone-classifier", "local-litert", "three", "phone-multi"])
def test_html_labels_do_not_overlap(solved: dict[str, Path], stem: str) -> None:
    """At the nominal laptop width and wider, the label boxes keep clear of each other."""
    from carin.report import _plotly

    fig = plot_front(load_front_data(solved[stem]), kind="html")
    for width in (_plotly.NOMINAL_WIDTH, 1600):
        boxes = _html_label_boxes(fig, width)
        assert boxes
        for a, b in itertools.combinations(boxes, 2):
            assert not _labels.overlaps(a, b)[0, 0], (stem, width, a, b)


def test_decisions_that_vary_are_encoded(solved: dict[str, Path]) -> None:
    fig = _figure(solved, "local-litert", None)
    labels = list(_legend_rows(fig))
    assert "precision" in labels and "runtime / threads" in labels
    assert "processor: cpu" in labels  # constant: listed once, not as a colour
    assert "litert-xnnpack / 2" in labels
    fig = _figure(solved, "intermittent-react", None)
    labels = list(_legend_rows(fig))
    assert "cm" in labels and "TTTTTTT" in labels


def test_infeasible_result_is_drawn(solved: dict[str, Path], tmp_path: Path) -> None:
    folder = solved["infeasible"]
    png = tmp_path / "inf.png"
    assert main(["plot", str(folder), "-o", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    fig = _figure(solved, "infeasible", None)
    assert "no feasible design" in fig._suptitle.get_text()  # noqa: SLF001
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert ">= 99 %" in texts  # the limit that excludes them, labelled on its line, with its unit
    assert "zoomed to the feasible region" not in fig._suptitle.get_text()  # noqa: SLF001
    misses = [t for t in texts if t.startswith("miss ")]
    assert len(misses) == 3 and "success_rate off by" in misses[0] and misses[0].endswith(" %")
    html = tmp_path / "inf.html"
    assert main(["plot", str(folder), "-o", str(html)]) == 0
    traces = html_traces(html)
    drawn = sum(len(t["x"]) for t in traces if t["meta"]["kind"] == "infeasible")
    summary = json.loads((folder / "summary.json").read_text())
    assert drawn > 0 and summary["feasible"] is False
    assert any(t["meta"]["kind"] == "bound" for t in traces)


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_vector_formats_are_deterministic(
    solved: dict[str, Path], tmp_path: Path, fmt: str, magic: bytes
) -> None:
    folder = solved["local-litert"]
    a, b = tmp_path / f"a.{fmt}", folder / f"front.{fmt}"
    assert main(["plot", str(folder), "-o", str(a)]) == 0
    assert main(["plot", str(folder), "--format", fmt]) == 0  # RESULT_DIR/front.FORMAT
    assert a.read_bytes()[:5].startswith(magic[:4])
    assert a.read_bytes() == b.read_bytes()


def test_format_errors(
    solved: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    folder = solved["local-litert"]
    assert main(["plot", str(folder), "-o", str(tmp_path / "f.svg"), "--format", "pdf"]) == 2
    assert "says svg, not pdf" in capsys.readouterr().err
    assert main(["plot", str(folder), "-o", str(tmp_path / "f.jpg")]) == 2
    assert ".png, .svg, .pdf, .html" in capsys.readouterr().err


@pytest.mark.slow
def test_docs_figures_are_current(tmp_path: Path) -> None:
    """docs/make_figures.py regenerates docs/img byte for byte (run with -m slow)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_figures", ROOT / "docs" / "make_figures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.build(tmp_path)
    assert {p.name for p in written} == {p.name for p in (ROOT / "docs" / "img").glob("*.png")}
    for path in written:
        assert path.read_bytes() == (ROOT / "docs" / "img" / path.name).read_bytes(), path.name
