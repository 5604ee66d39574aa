"""Size of the interactive HTML plots and write results/html_pages.md.

For every example spec that solves feasibly, the front is drawn once with
plotly (``render_html``) and written four ways in the same run:

* ``reference``: plotly's own ``to_html`` with plotly.js embedded, as
  ``carin plot -o front.html`` wrote pages before the compact forms;
* ``packed`` (what ``carin plot`` writes now), ``plain`` and ``beside``: the
  forms of ``--html-form`` (see ``carin/report/_html.py``); ``beside`` does not
  count plotly.js, written once per folder next to the pages.

Each page is read back with ``html_figure`` and must give the reference's figure
exactly (every trace, every hover string); the table says so. With Chromium on
the PATH, the reference and the packed page are also drawn headless with the
first Pareto point's hover label open, and the two screenshots compared byte
for byte. Sizes are bytes of the file as written (UTF-8). ``hover`` is what the
per-point hover text weighs in the page: in the reference the JSON strings as
plotly escapes them, in the plain page the dictionaries.

Run: ``python benchmarks/html_pages.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from carin.cli import main  # noqa: E402
from carin.report import _html  # noqa: E402
from carin.report.plots import (  # noqa: E402
    HTML_FORMS,
    html_figure,
    html_page,
    load_front_data,
    render_html,
)

OUT = ROOT / "results" / "html_pages.md"


def reference_page(fig) -> str:  # type: ignore[no-untyped-def]
    """The page as carin wrote it before: plotly's to_html, plotly.js embedded."""
    from html import escape

    html = fig.to_html(
        include_plotlyjs=True,
        full_html=True,
        div_id="carin-front",
        default_width="100%",
        config={"responsive": True},
    )
    page = escape(str(fig.layout.title.text or "carin plot").split("<br>")[0])
    return html.replace("<head>", f"<head><title>{page}</title>", 1)


def _reference_hover(fig) -> int:  # type: ignore[no-untyped-def]
    """Bytes of the per-point hover strings in plotly's JSON (escaped as plotly does)."""
    from plotly.io.json import to_json_plotly

    total = 0
    for trace in json.loads(fig.to_json())["data"]:
        for key in _html.TEXT_KEYS:
            values = trace.get(key)
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                total += len(to_json_plotly(values).encode("utf-8"))
    return total


def _compact_hover(page: str) -> int:
    start = page.index('id="carin-figure">') + len('id="carin-figure">')
    payload = json.loads(page[start : page.index("</script>", start)])
    return len(_html._script_json(payload["hover"]).encode("utf-8"))


def _screenshot(page: Path, trace: int) -> bytes | None:
    """Chromium's picture of a page with the hover label of a trace's first point open."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    hover = (
        "<script>setTimeout(function () { Plotly.Fx.hover('carin-front', "
        f"[{{curveNumber: {trace}, pointNumber: 0}}]); }}, 2500);</script>"
    )
    shot = page.with_name(page.stem + "-shot.html")
    shot.write_text(page.read_text(encoding="utf-8").replace("</body>", hover + "</body>"))
    png = page.with_suffix(".png")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        + ["--window-size=1300,900", "--virtual-time-budget=8000", f"--screenshot={png}"]
        + [shot.as_uri()],
        capture_output=True,
        timeout=300,
        check=True,
    )
    return png.read_bytes()


def measure(stem: str, folder: Path, work: Path) -> dict:
    """The pages of one solved spec, their sizes and whether they draw the same."""
    from plotly.offline import get_plotlyjs

    fig = render_html(load_front_data(folder))
    js = len(get_plotlyjs().encode("utf-8"))
    pages = {"reference": reference_page(fig)}
    pages |= {form: html_page(fig, form=form)[0] for form in HTML_FORMS}
    figures = {}
    for name, text in pages.items():
        path = work / f"{stem}-{name}.html"
        path.write_text(text, encoding="utf-8")
        figures[name] = html_figure(path)
    same = all(f == figures["reference"] for f in figures.values())
    trace = next(
        i for i, t in enumerate(figures["reference"]["data"]) if t["meta"]["kind"] == "pareto"
    )
    shots = [_screenshot(work / f"{stem}-{name}.html", trace) for name in ("reference", "packed")]
    picture = None if shots[0] is None else shots[0] == shots[1]
    return {
        "stem": stem,
        "points": sum(len(t.get("x") or []) for t in figures["reference"]["data"]),
        "js": js,
        "size": {name: len(text.encode("utf-8")) for name, text in pages.items()},
        "hover": {"reference": _reference_hover(fig), "plain": _compact_hover(pages["plain"])},
        "same": same,
        "picture": picture,
    }


def _mb(n: float) -> str:
    return f"{n / 1e6:.2f}" if n >= 100_000 else f"{n / 1e6:.3f}"


def table(rows: list[dict]) -> str:
    """The markdown report."""
    import plotly

    js = rows[0]["js"]
    shots = rows[0]["picture"] is not None
    lines = [
        "# Interactive HTML plots: page size",
        "",
        f"Written by `benchmarks/html_pages.py` (CPython {platform.python_version()}, plotly "
        f"{plotly.__version__}, plotly.js {_mb(js)} MB). Every example spec that solves "
        "feasibly is drawn once and written four ways in the same run: `reference` is "
        "plotly's own `to_html` with plotly.js embedded (how `carin plot -o front.html` wrote "
        "pages before); `packed` is the page `carin plot` writes now (one file: the hover "
        "text kept in dictionaries of distinct lines and pieces, then plotly.js and the "
        "figure gzip-packed in base64, unpacked by the browser when the page opens); `plain` "
        "the same page with nothing packed (`--html-form plain`, any browser); `beside` the "
        "plain page loading plotly.js from a file next to it (`--html-form beside`; that file, "
        "written once per folder, is not counted). Sizes in MB (10^6 bytes); `data` is a page "
        "without plotly.js, `hover` the per-point hover text inside it; ratios are new / "
        "reference. `same figure`: every page, read back, gives the reference's figure, every "
        "trace and every hover string. "
        + (
            "`same picture`: headless Chromium's screenshots of the reference and the packed "
            "page, with the first Pareto point's hover label open, are byte-identical PNGs."
            if shots
            else "(Chromium was not on the PATH: no screenshots compared.)"
        ),
        "",
        "| spec | points | reference MB | data | hover | packed MB | ratio | plain MB | ratio "
        "| data | hover | beside MB | ratio | same figure | same picture |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | --- | --- |",
    ]
    for r in rows:
        size = r["size"]
        ref = size["reference"]
        picture = "-" if r["picture"] is None else ("yes" if r["picture"] else "NO")
        lines.append(
            f"| {r['stem']} | {r['points']:,} | {_mb(ref)} | {_mb(ref - r['js'])} "
            f"| {_mb(r['hover']['reference'])} | {_mb(size['packed'])} "
            f"| {size['packed'] / ref:.2f} | {_mb(size['plain'])} | {size['plain'] / ref:.2f} "
            f"| {_mb(size['plain'] - r['js'])} | {_mb(r['hover']['plain'])} "
            f"| {_mb(size['beside'])} | {size['beside'] / ref:.3f} "
            f"| {'yes' if r['same'] else 'NO'} | {picture} |"
        )
    big = max(rows, key=lambda r: r["size"]["reference"])
    small = min(rows, key=lambda r: r["size"]["reference"])
    lines += [
        "",
        f"The largest page ({big['stem']}, {big['points']:,} points) goes from "
        f"{_mb(big['size']['reference'])} MB to {_mb(big['size']['packed'])} MB packed "
        f"({_mb(big['size']['plain'])} MB plain, {_mb(big['size']['beside'])} MB beside "
        f"plotly.js); a small space's page ({small['stem']}) from "
        f"{_mb(small['size']['reference'])} MB to {_mb(small['size']['packed'])} MB, nearly all "
        "of it plotly.js.",
        "",
    ]
    return "\n".join(lines)


def run() -> list[dict]:
    """Solve every example spec and measure its pages."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec in sorted((ROOT / "spaces").glob("*.yaml")):
            folder = work / spec.stem
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(["solve", str(spec), "--out", str(folder), "--top", "1"])
            if code != 0:
                continue
            rows.append(measure(spec.stem, folder, work))
            print(f"{spec.stem}: {rows[-1]['size']}", file=sys.stderr)
    return rows


if __name__ == "__main__":
    rows = run()
    OUT.write_text(table(rows), encoding="utf-8")
    print(f"wrote {OUT}")
