"""The interactive HTML page: compact hover text that the page joins back exactly, no
network at view time (plotly.js packed or plain in the page, or beside it), byte-stable
output."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from carin.cli import main
from carin.report import _html
from carin.report._format import fmt
from carin.report.plots import (
    html_figure,
    html_traces,
    load_front_data,
    plot_front,
    render_html,
    write_html,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A single-DNN space of 15,625 designs and a multi-DNN product."""
    base = tmp_path_factory.mktemp("solved")
    out = {}
    for stem in ("nb201-pixel3", "phone-multi"):
        spec = ROOT / "spaces" / f"{stem}.yaml"
        assert main(["solve", str(spec), "--out", str(base / stem), "--top", "1"]) == 0
        out[stem] = base / stem
    return out


@pytest.fixture(scope="module")
def pages(solved: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each space's figure and its page in the default (packed) and the plain form."""
    base = tmp_path_factory.mktemp("pages")
    out = {}
    for stem, folder in solved.items():
        packed, plain = base / f"{stem}.html", base / f"{stem}-plain.html"
        fig = plot_front(load_front_data(folder), packed)
        write_html(fig, plain, form="plain")
        out[stem] = (fig, packed, plain)
    return out


def _data_json(text: str) -> str:
    m = re.search(r'<script type="application/json" id="carin-figure">(.*?)</script>', text, re.S)
    assert m is not None
    return m.group(1)


@pytest.mark.parametrize("stem", ["nb201-pixel3", "phone-multi"])
def test_page_hover_is_the_figures(pages: dict, stem: str) -> None:
    """The page holds every trace as the figure has it, hover text joined back letter for
    letter, though it stores that text in a fraction of the bytes."""
    from plotly.offline import get_plotlyjs

    fig, packed, plain = pages[stem]
    want = json.loads(fig.to_json())["data"]
    got = html_traces(packed)
    assert len(got) == len(want)
    hovers = 0
    for a, b in zip(got, want, strict=True):
        assert a == b
        hovers += sum(len(b.get(k) or []) for k in ("text", "hovertext"))
    assert hovers > 8000  # thousands of points, each with its hover text
    assert html_figure(plain) == html_figure(packed)
    # the plain page's data is a fraction of what plotly writes for the same figure
    text = plain.read_text(encoding="utf-8")
    assert _html.plotly_js_of(text) == get_plotlyjs()
    data = _data_json(text)
    assert len(data) < 0.4 * len(fig.to_html(include_plotlyjs=False, full_html=False))
    assert "</" not in data  # nothing in the data can close its script element
    # packed, the whole page is smaller than plotly.js alone, which it still holds in full
    packed_text = packed.read_text(encoding="utf-8")
    assert _html.plotly_js_of(packed_text) == get_plotlyjs()
    assert len(packed_text.encode("utf-8")) < len(get_plotlyjs().encode("utf-8"))


def test_hover_says_what_the_table_says(solved: dict[str, Path], pages: dict) -> None:
    """A Pareto point's hover names its configuration and its metrics as the table has them."""
    folder = solved["nb201-pixel3"]
    pareto = pd.read_csv(folder / "pareto.csv")
    table = pd.read_csv(ROOT / "spaces" / "nb201.csv.gz")
    traces = [t for t in html_traces(pages["nb201-pixel3"][1]) if t["meta"]["kind"] == "pareto"]
    hovers = {h[3:].split("<")[0].split()[0].rstrip(":,"): h for t in traces for h in t["text"]}
    assert len(hovers) == len(pareto)
    for _, row in pareto.iterrows():
        hover = hovers[row["id"]]
        assert f"{row['model']} fp32 cpu {row['variant']}" in hover
        source = table[(table["model"] == row["model"]) & (table["device"] == "pixel3")].iloc[0]
        assert f"<b>accuracy: {fmt(source['accuracy'])} %</b>" in hover
        assert f"<b>latency: {fmt(source['latency_ms'])} ms</b>" in hover
        for metric in ("accuracy_cifar100", "accuracy_imagenet16"):
            assert f"{metric}: {fmt(source[metric])} %" in hover


# The page's last script run by node, with the few browser objects it touches stubbed: it
# prints what it hands Plotly.newPlot and the SHA-256 of the plotly.js it unpacked and ran.
_RUNNER = """\
const fs = require("fs"), crypto = require("crypto");
const page = fs.readFileSync(process.argv[2], "utf8");
const byId = {}, div = {};
for (const m of page.matchAll(/<script([^>]*) id="([^"]+)"([^>]*)>([\\s\\S]*?)<\\/script>/g)) {
  const attrs = m[1] + m[3], enc = attrs.match(/data-encoding="([^"]*)"/);
  byId[m[2]] = {textContent: m[4], dataset: {encoding: enc ? enc[1] : undefined}};
}
let ran = null;
const plotly = {newPlot: (d, data, layout, config) => process.stdout.write(
  JSON.stringify({same: d === div, ran: ran, data: data, layout: layout, config: config}))};
if (!byId["carin-plotly"]) global.Plotly = plotly;
global.document = {
  getElementById: (id) => id === "carin-front" ? div : byId[id],
  createElement: () => ({}),
  head: {appendChild: (s) => {
    ran = crypto.createHash("sha256").update(s.textContent).digest("hex");
    global.Plotly = plotly;
  }},
};
const scripts = [...page.matchAll(/<script>([\\s\\S]*?)<\\/script>/g)];
eval(scripts[scripts.length - 1][1]);
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
@pytest.mark.parametrize("form", ["packed", "plain"])
def test_page_script_hands_plotly_the_same_figure(pages: dict, form: str, tmp_path: Path) -> None:
    """The page's own JavaScript unpacks plotly.js and rebuilds the hover text exactly as
    html_figure reads them."""
    from plotly.offline import get_plotlyjs

    _fig, packed, plain = pages["phone-multi"]
    page = packed if form == "packed" else plain
    runner = tmp_path / "run.js"
    runner.write_text(_RUNNER)
    run = subprocess.run(["node", str(runner), str(page)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    drawn = json.loads(run.stdout)
    assert drawn.pop("same")
    ran = drawn.pop("ran")
    if form == "packed":
        assert ran == hashlib.sha256(get_plotlyjs().encode("utf-8")).hexdigest()
    else:
        assert ran is None  # plotly.js is a plain script of the page, run by the browser
    assert drawn == html_figure(page)


def test_plotly_js_beside_the_page(solved: dict[str, Path], tmp_path: Path) -> None:
    """--html-form beside: pages load plotly.js from one file next to them, by a relative
    name; it is written once per folder; the same inputs give the same bytes."""
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    folder = solved["phone-multi"]
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert main(["plot", str(folder), "--html-form", "beside", "-o", str(a)]) == 0
    js = tmp_path / f"plotly-{get_plotlyjs_version()}.min.js"
    assert js.read_text(encoding="utf-8") == get_plotlyjs()
    inode = js.stat().st_ino
    assert main(["plot", str(folder), "--html-form", "beside", "-o", str(b)]) == 0
    assert js.stat().st_ino == inode  # not written again
    assert a.read_bytes() == b.read_bytes()
    text = a.read_text(encoding="utf-8")
    sources = re.findall(r"<script[^>]*\bsrc\s*=\s*\"([^\"]*)\"", text)
    assert sources == [js.name]
    assert "http" not in text.split('id="carin-figure"')[0]
    assert "<link" not in text
    assert _html.plotly_js_of(text) is None
    assert len(text) < 1_000_000  # the data only
    packed = tmp_path / "packed.html"
    assert main(["plot", str(folder), "-o", str(packed)]) == 0
    assert html_figure(packed) == html_figure(a)
    assert "src=" not in packed.read_text(encoding="utf-8")  # one file, nothing loaded


def test_html_form_is_checked(solved: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    from carin.errors import CarinError
    from carin.report.plots import html_page

    fig = render_html(load_front_data(solved["phone-multi"]), max_points=50)
    with pytest.raises(CarinError, match="allowed: packed, plain, beside"):
        html_page(fig, form="cdn")
    with pytest.raises(SystemExit):
        main(["plot", str(solved["phone-multi"]), "--html-form", "cdn"])
    assert "invalid choice: 'cdn'" in capsys.readouterr().err
