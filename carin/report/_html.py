"""The interactive HTML page of a plotly figure: small, offline, byte-stable.

plotly's own ``to_html`` writes the hover text of every point as one long
string, HTML-escaped (``<br>`` takes 16 bytes), so a page of 15,000 points
carries 6 MB of hover text. Most of it repeats: a multi-DNN design's parts are
shared by thousands of designs, a status line by every point of a trace, and a
metric's name and many of its values by most rows. The page here keeps the
hover text in two dictionaries instead:

* ``tokens``: the distinct pieces of the lines (a line split after each space,
  ``|`` and ``:``), most used first so the common ones get short numbers;
* ``lines``: each distinct hover line as a list of token numbers;

and each point's hover as a list of line numbers. The page's script joins them
back into exactly the strings the figure holds before calling
``Plotly.newPlot``; :func:`decode` does the same in Python (for tests and
:func:`carin.report.plots.html_traces`).

A page takes one of three forms, all of which open with no network:

* ``packed`` (the default): plotly.js (4.8 MB) and the figure JSON are gzip-
  compressed and base64-encoded inside the page (plotly.js becomes 2 MB); the
  script unpacks them with the browser's ``DecompressionStream`` (browsers from
  2023 on) when the page opens;
* ``plain``: both as text, for any browser;
* ``beside``: the figure as text, plotly.js written once as
  ``plotly-VERSION.min.js`` next to the page, which loads it by that relative
  name: the two files must stay together.

gzip runs with no time stamp, so the same figure gives the same page bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections import Counter
from html import escape
from typing import Any

#: Element ids in the page.
DIV_ID = "carin-front"
DATA_ID = "carin-figure"
#: Trace keys whose per-point strings are stored in the dictionaries.
TEXT_KEYS = ("text", "hovertext")
_TOKEN = re.compile(r"[^ |:]+[ |:]*|[ |:]+")
_BREAK = "<br>"

#: How a page holds plotly.js and its figure (see the module docstring).
FORMS = ("packed", "plain", "beside")
PLOTLY_ID = "carin-plotly"
_PACKED = "gzip+base64"

# Reads an element's text (unpacking it when packed), runs plotly.js if the page holds it,
# joins the hover text back and draws; says what went wrong in the page instead of drawing.
_SCRIPT = """\
(async function () {
  var div = document.getElementById("%(div)s");
  async function read(id) {
    var el = document.getElementById(id);
    if (el.dataset.encoding !== "%(packed)s") return el.textContent;
    var bin = atob(el.textContent), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }
  try {
    if (document.getElementById("%(plotly)s")) {
      if (typeof DecompressionStream === "undefined") throw new Error("%(old)s");
      var lib = document.createElement("script");
      lib.textContent = await read("%(plotly)s");
      document.head.appendChild(lib);
    }
    if (typeof Plotly === "undefined") throw new Error("%(missing)s");
    var fig = JSON.parse(await read("%(data)s")), h = fig.hover;
    var lines = h.lines.map(function (l) {
      return l.map(function (i) { return h.tokens[i]; }).join("");
    });
    h.traces.forEach(function (e) {
      fig.data[e[0]][e[1]] = e[2].map(function (p) {
        return p.map(function (i) { return lines[i]; }).join("%(br)s");
      });
    });
    Plotly.newPlot(div, fig.data, fig.layout, fig.config);
  } catch (err) {
    div.textContent = "This plot could not be drawn: " + err.message;
  }
})();"""


def _pack(text: str) -> str:
    """gzip (no time stamp: the same text gives the same bytes) in base64."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")


def _unpack(text: str) -> str:
    return gzip.decompress(base64.b64decode(text)).decode("utf-8")


def _ranked(seqs: list[list[str]]) -> tuple[list[str], list[list[int]]]:
    """The distinct items of ``seqs``, most frequent first (ties: first seen), and each
    sequence as item numbers."""
    counts = Counter(item for seq in seqs for item in seq)
    order = sorted(counts, key=lambda item: -counts[item])  # sorted() is stable
    number = {item: i for i, item in enumerate(order)}
    return order, [[number[item] for item in seq] for seq in seqs]


def encode(figure: dict[str, Any]) -> dict[str, Any]:
    """``figure`` (plain JSON: data, layout, config) with its per-point strings moved into
    the ``hover`` dictionaries; :func:`decode` is the inverse."""
    data = [dict(trace) for trace in figure["data"]]
    where: list[tuple[int, str]] = []
    points: list[list[str]] = []
    for t, trace in enumerate(data):
        for key in TEXT_KEYS:
            values = trace.get(key)
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                where.append((t, key))
                points += [v.split(_BREAK) for v in values]
                del trace[key]
    lines, line_ids = _ranked(points)
    tokens, token_ids = _ranked([_TOKEN.findall(line) for line in lines])
    traces = []
    start = 0
    for t, key in where:
        n = len(figure["data"][t][key])
        traces.append([t, key, line_ids[start : start + n]])
        start += n
    hover = {"tokens": tokens, "lines": token_ids, "traces": traces}
    return {**figure, "data": data, "hover": hover}


def decode(payload: dict[str, Any]) -> dict[str, Any]:
    """The figure an encoded page draws (what its script hands ``Plotly.newPlot``)."""
    hover = payload["hover"]
    tokens = hover["tokens"]
    lines = ["".join(tokens[i] for i in line) for line in hover["lines"]]
    data = [dict(trace) for trace in payload["data"]]
    for t, key, pts in hover["traces"]:
        data[t][key] = [_BREAK.join(lines[i] for i in p) for p in pts]
    return {k: v for k, v in payload.items() if k != "hover"} | {"data": data}


def _script_json(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</`` or ``<!--`` in it)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")


def page(
    figure: dict[str, Any],
    title: str,
    height: int,
    form: str,
    plotly_js: str,
    js_file: str,
) -> str:
    """The whole HTML page of a plain-JSON figure.

    Args:
        figure: ``{"data": ..., "layout": ..., "config": ...}``.
        title: The browser tab's title.
        height: Height of the plot in pixels (the width follows the window).
        form: ``packed``, ``plain`` or ``beside`` (see the module docstring).
        plotly_js: plotly.js itself (to embed, packed or plain).
        js_file: The name of plotly.js beside the page (for ``beside``).
    """
    data = _script_json(encode(figure))
    if form == "packed":
        bundle = (
            f'<script type="text/plain" id="{PLOTLY_ID}" data-encoding="{_PACKED}">'
            f"{_pack(plotly_js)}</script>"
        )
        data_attrs = f' data-encoding="{_PACKED}"'
        data = _pack(data)
    elif form == "plain":
        bundle = f"<script>{plotly_js}</script>"
        data_attrs = ""
    else:
        bundle = f'<script src="{escape(js_file)}"></script>'
        data_attrs = ""
    script = _SCRIPT % {
        "div": DIV_ID,
        "data": DATA_ID,
        "plotly": PLOTLY_ID,
        "packed": _PACKED,
        "br": _BREAK,
        "old": "this page unpacks itself with DecompressionStream (browsers from 2023 on); "
        "for an older browser write it with carin plot --html-form plain",
        "missing": f"plotly.js did not load: keep {js_file} in the same folder as this page",
    }
    return (
        "<!doctype html>\n<html>\n<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        "<style>html, body {height: 100%;}</style>\n"
        "</head>\n<body>\n"
        f'<div id="{DIV_ID}" style="height:{height}px; width:100%;"></div>\n'
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"{bundle}\n"
        f'<script type="application/json" id="{DATA_ID}"{data_attrs}>{data}</script>\n'
        f"<script>\n{script}\n</script>\n"
        "</body>\n</html>\n"
    )


def read(text: str) -> dict[str, Any] | None:
    """The decoded figure of a page :func:`page` wrote; None when ``text`` is not one."""
    m = re.search(
        rf'<script type="application/json" id="{DATA_ID}"([^>]*)>(.*?)</script>', text, re.S
    )
    if m is None:
        return None
    data = _unpack(m.group(2)) if _PACKED in m.group(1) else m.group(2)
    return decode(json.loads(data))


def plotly_js_of(text: str) -> str | None:
    """The plotly.js a page holds (unpacked), or None when it loads it from a file."""
    m = re.search(rf'<script type="text/plain" id="{PLOTLY_ID}"[^>]*>(.*?)</script>', text, re.S)
    if m is not None:
        return _unpack(m.group(1))
    m = re.search(r"<script>(/\*\*\s*\* plotly\.js.*?)</script>", text, re.S)
    return m.group(1) if m else None
