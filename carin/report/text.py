"""Plain-text rendering of solve results for the terminal (``carin solve``, ``carin show``).

``carin solve`` and ``carin show`` print the same report: a header (counts, the key
columns every design shares, objectives and constraints), one row per plan design
named by its plan id (``d3`` is rank 3), and the design each anticipated condition
runs, grouped by design; conditions with no feasible design share one line.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carin.report._designs import band_text, key_columns, shared_bits
from carin.report._format import condition_text, fmt, plural, with_unit

if TYPE_CHECKING:
    from carin.result import Result

#: Width the text report fits in (the example specs' reports fit it).
WIDTH = 100
_MIN_CELL = 12  # a text column is never cut narrower than this
_FORMATS = ("table", "csv", "json", "markdown")


def format_result(result: Result, top: int = 15) -> str:
    """Render a fresh result as ``carin solve`` prints it (the report of ``carin show``)."""
    saved = {"summary.json": result.summary(), "plan.json": result.plan}
    return format_show(saved, top=top)


def format_saved(saved: dict[str, Any], top: int = 15) -> str:
    """Render a saved result folder (see :func:`carin.result.load_result_dir`)."""
    return format_show(saved, top=top)


# -- the pieces of the report -----------------------------------------------------------


def _metric_order(plan: dict[str, Any]) -> list[str]:
    first = [o["metric"] for o in plan.get("objectives", [])]
    rest = sorted({k for d in plan["designs"] for k in d["metrics"]} - set(first))
    return first + rest


def design_table(plan: dict[str, Any]) -> pd.DataFrame:
    """One row per plan design: id, rank, flags, configuration, metrics, conditions.

    Args:
        plan: A ``carin-plan/1`` dict.

    Returns:
        A table in the plan's rank order (id ``d<rank>``); multi-DNN configuration
        columns are prefixed by the task name (``detect.model``). Key columns with one
        value over the whole plan are left out (see :func:`format_show`'s header).
    """
    cols, _ = key_columns(plan["designs"])
    metrics = _metric_order(plan)
    single = len(plan.get("tasks", ["main"])) == 1
    banded = any(d.get("power_band_mw") is not None for d in plan["designs"])
    chosen: dict[str, list[str]] = {}
    for entry in plan.get("conditions", []):
        if entry.get("design"):
            chosen.setdefault(entry["design"], []).append(condition_text(entry["when"]))
    rows = []
    for d in plan["designs"]:
        row: dict[str, Any] = {
            "id": d["id"],
            "rank": d["rank"],
            "primary": d["id"] == plan.get("primary"),
            "fallback": d["id"] == plan.get("fallback"),
            "pareto": bool(d.get("pareto", True)),
        }
        for p in d["parts"]:
            prefix = "" if single else f"{p['task']}."
            for c in cols[p["task"]]:
                row[prefix + c] = p["processor"] if c == "processor" else p["config"].get(c, "")
        if banded:
            row["power_band_mw"] = band_text(d)
        for m in metrics:
            row[m] = d["metrics"].get(m)
        row["conditions"] = "; ".join(chosen.get(d["id"], []))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for m in metrics:
        frame[m] = pd.to_numeric(frame[m], errors="coerce").astype(float)
    return frame


def sort_designs(frame: pd.DataFrame, plan: dict[str, Any], metric: str) -> pd.DataFrame:
    """Sort by a metric: best first for an objective, ascending otherwise; ``-m`` reverses.

    Raises:
        CarinError: The metric is not a column of the table.
    """
    from carin.report._format import resolve_metric

    reverse = metric.startswith("-")
    name = metric[1:] if reverse else metric
    choices = _metric_order(plan) + ["rank"]
    label = resolve_metric(name, choices, "--sort")
    goals = {o["metric"]: o["goal"] for o in plan.get("objectives", [])}
    ascending = goals.get(label, "min") == "min"
    if reverse:
        ascending = not ascending
    return frame.sort_values(
        [label, "rank"], ascending=[ascending, True], kind="mergesort", na_position="last"
    )


def _header_lines(summary: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    """Counts, then the shared key columns, then the goals."""
    n_plan = len(plan["designs"])
    extra = n_plan - sum(1 for d in plan["designs"] if d.get("pareto", True))
    exact = ", exact" if summary.get("exact") else ""
    first = (
        f"{summary['name']}: {plural(summary['pareto_designs'], 'Pareto design')} of "
        f"{summary['raw_designs']:,} ({summary['solver']}{exact})"
    )
    if extra:
        first += f"; the plan adds {plural(extra, 'design')} for conditions"
    lines = [first]
    lines += _pack(shared_bits(key_columns(plan["designs"])[1]))
    goals = ", ".join(objective_text(o) for o in plan.get("objectives", []))
    limits = ", ".join(summary.get("constraints", [])) or "none"
    lines += _pack([f"objectives: {goals}", f"constraints: {limits}"])
    return lines


def objective_text(objective: dict[str, Any]) -> str:
    """A plan objective as the reports say it, with its ranking tolerance if it has one.

    Example:
        >>> objective_text({"metric": "accuracy", "goal": "max", "tolerance": 0.5})
        'max accuracy (tolerance 0.5)'
        >>> objective_text({"metric": "latency_ms", "goal": "min"})
        'min latency_ms'
    """
    text = f"{objective['goal']} {objective['metric']}"
    tolerance = objective.get("tolerance")
    return f"{text} (tolerance {float(tolerance):.12g})" if tolerance else text


def _pack(items: list[str], width: int = WIDTH) -> list[str]:
    """``items`` joined by ``; `` into indented lines of at most ``width``.

    An item is kept whole on a line when it fits one; a longer one (many objectives with
    tolerances) is broken after its commas, continuation lines under its first value.
    """
    lines: list[str] = []
    broken = False  # the last item was broken: the next one starts its own line
    for item in items:
        if lines and not broken and len(lines[-1]) + 2 + len(item) <= width:
            lines[-1] += "; " + item
            continue
        indent = "  " if not lines else "    "
        line = indent + item
        pieces = item.split(", ")
        broken = len(line) > width and len(pieces) > 1
        if not broken:
            lines.append(line)
            continue
        label = item.find(": ")  # continuation lines start under the first value
        hang = " " * (len(indent) + (label + 2 if 0 < label < width // 3 else 2))
        line = indent + pieces[0]
        for piece in pieces[1:]:
            if len(line) + 2 + len(piece) <= width:
                line += ", " + piece
            else:
                lines.append(line + ",")
                line = hang + piece
        lines.append(line)
    return lines


def _cells(frame: pd.DataFrame, units: bool) -> tuple[list[str], list[list[str]]]:
    metric_cols = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    headers = [with_unit(c) if units and c in metric_cols else c for c in frame.columns]
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, rec, strict=True):
            if isinstance(v, bool | np.bool_):
                cells.append("yes" if v else "")
            else:
                cells.append(fmt(v) if c in metric_cols else str(v))
        body.append(cells)
    return headers, body


def _display_frame(frame: pd.DataFrame, plan: dict[str, Any], star: str = "*") -> pd.DataFrame:
    """The design table as shown: a mark column, multi-DNN parts one column per task."""
    shown = frame.drop(columns=["primary", "fallback", "rank", "conditions", "pareto"])
    marks = [
        (star if p else "") + ("f" if f else "") + ("" if o else "+")
        for p, f, o in zip(frame["primary"], frame["fallback"], frame["pareto"], strict=True)
    ]
    shown.insert(0, "", marks)
    if "power_band_mw" in shown.columns:
        shown = shown.rename(columns={"power_band_mw": "power (mW)"})
    tasks = plan.get("tasks", ["main"])
    if len(tasks) > 1:
        for t in tasks:
            cols = [c for c in shown.columns if c.startswith(f"{t}.")]
            if not cols:
                continue
            joined = shown[cols].astype(str).agg(" ".join, axis=1).str.strip()
            at = shown.columns.get_loc(cols[0])
            shown = shown.drop(columns=cols)
            shown.insert(at, t, joined)
    return shown


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _text_grid(
    headers: list[str], body: list[list[str]], bold: set[int], tty: bool, width: int | None
) -> tuple[str, list[int]]:
    """The aligned table text and the positions of the columns whose cells were cut."""
    right = [
        all(_is_number(r[i]) for r in body if r[i] not in ("", "-")) and any(r[i] for r in body)
        for i in range(len(headers))
    ]
    top = [""] * len(headers)

    def widths_of(heads: list[str]) -> list[int]:
        return [
            max([len(h), len(t)] + [len(r[i]) for r in body])
            for i, (h, t) in enumerate(zip(heads, top, strict=True))
        ]

    widths = widths_of(headers)
    full = list(headers)

    def too_wide() -> bool:
        return width is not None and sum(widths) + 2 * (len(widths) - 1) > width

    if too_wide():
        # too wide: units on a second header line ("latency" over "(ms)")
        split = [
            h.rpartition(" (") if h.endswith(")") and " (" in h else ("", "", h) for h in headers
        ]
        top = [a for a, _, _ in split]
        headers = [f"({c}" if a else c for a, _, c in split]
        widths = widths_of(headers)
    if too_wide():
        # still too wide: a header wider than its cells breaks at an underscore instead
        # ("resampled_" over "latency (ms)"), where that narrows its column
        for i, h in enumerate(full):
            cells = max((len(r[i]) for r in body), default=0)
            name, unit = (h[: h.rindex(" (")], h[h.rindex(" (") :]) if top[i] else (h, "")
            for k in [k for k, ch in enumerate(name[:-1]) if ch == "_" and k > 0]:
                up, down = name[: k + 1], name[k + 1 :] + unit
                if max(len(up), len(down), cells) < widths[i]:
                    widths[i], top[i], headers[i] = max(len(up), len(down), cells), up, down
    cut: list[int] = []
    if width is not None:
        # narrow the widest text column until the table fits (cells cut with "..."); the
        # model names a design, so it is cut only once no other text column can give way
        while sum(widths) + 2 * (len(widths) - 1) > width:
            cands = [i for i, w in enumerate(widths) if not right[i] and w > _MIN_CELL]
            if not cands:
                break
            others = [i for i in cands if headers[i] != "model"]
            i = max(others or cands, key=lambda k: widths[k])
            widths[i] -= 1
        cut = [i for i, w in enumerate(widths) if any(len(r[i]) > w for r in body)]
        body = [[_cut(c, w) for c, w in zip(r, widths, strict=True)] for r in body]
        headers = [_cut(h, w) for h, w in zip(headers, widths, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    out = [line(top)] if any(top) else []
    out.append(line(headers))
    for n, r in enumerate(body):
        text = line(r)
        out.append(f"\033[1m{text}\033[0m" if tty and n in bold else text)
    return "\n".join(out), cut


def _cut_in_full(
    headers: list[str], body: list[list[str]], cut: list[int], width: int | None
) -> list[str]:
    """The cells a too-wide table cut, in full under it, one line (wrapped) per design."""
    ids = headers.index("id") if "id" in headers else None
    lines: list[str] = []
    for i in cut:
        rows = [r for r in body if r[i]]
        lines.append(f"{headers[i]} in full:")
        pad = max(len(r[ids]) for r in rows) if ids is not None else 0
        for n, r in enumerate(rows):
            lead = f"  {r[ids] if ids is not None else n + 1:<{pad}}  "
            if width is None:
                lines.append(lead + r[i])
                continue
            lines += textwrap.wrap(
                r[i],
                width=width,
                initial_indent=lead,
                subsequent_indent=" " * len(lead),
                break_on_hyphens=False,
            )
    return lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _markdown_grid(headers: list[str], body: list[list[str]], bold: set[int]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|").replace("*", "\\*")

    out = ["| " + " | ".join(esc(h) for h in headers) + " |"]
    out.append("|" + "|".join(" --- " for _ in headers) + "|")
    for n, r in enumerate(body):
        cells = [f"**{esc(c)}**" if n in bold and c and i else esc(c) for i, c in enumerate(r)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def condition_groups(plan: dict[str, Any]) -> list[tuple[str | None, list[str]]]:
    """The anticipated conditions grouped by the design each one runs, best-ranked first.

    Returns:
        ``(design id, condition texts)`` pairs; the conditions with no feasible design
        come last as one ``(None, texts)`` pair.
    """
    by_design: dict[str, list[str]] = {}
    none: list[str] = []
    for entry in plan.get("conditions", []):
        text = condition_text(entry["when"])
        if entry.get("design"):
            by_design.setdefault(entry["design"], []).append(text)
        else:
            none.append(text)
    ids = sorted(by_design, key=lambda d: int(d[1:]) if d[1:].isdigit() else 0)
    groups: list[tuple[str | None, list[str]]] = [(d, by_design[d]) for d in ids]
    return groups + ([(None, none)] if none else [])


def condition_lines(
    plan: dict[str, Any], width: int | None = WIDTH, labels: dict[str, str] | None = None
) -> list[str]:
    """The design each anticipated condition runs, one line per design, best-ranked first.

    Conditions with no feasible design share one last line.
    """
    return group_lines(condition_groups(plan), width, labels)


def group_lines(
    groups: list[tuple[str | None, list[str]]],
    width: int | None = WIDTH,
    labels: dict[str, str] | None = None,
) -> list[str]:
    """Lines of :func:`condition_groups`; ``labels`` (id -> label) names each design."""
    if not groups:
        return []
    n = sum(len(whens) for _, whens in groups)
    lines = [f"Anticipated conditions ({n}) and the design each one runs:"]
    pad = max([len(d) for d, _ in groups if d] + [0])
    labels = labels or {}
    for design, whens in groups:
        if design is None:
            lead, name = f"no feasible design ({len(whens)}): ", ""
        else:
            lead, name = f"{design:<{pad}}  ", f"{labels[design]}: " if design in labels else ""
        if width is None:
            lines.append(f"  {lead}{name}{'; '.join(whens)}")
            continue
        # lines break between conditions, never inside one (no-break spaces while wrapping)
        text = name + "; ".join(w.replace(" ", "\xa0") for w in whens)
        wrapped = textwrap.wrap(
            text,
            width=width,
            initial_indent=f"  {lead}",
            subsequent_indent=" " * (2 + len(lead)),
            break_on_hyphens=False,
        )
        lines.extend(line.replace("\xa0", " ") for line in wrapped)
    return lines


def _legend(plan: dict[str, Any], star: str = "*") -> str:
    bits = [f"{star} primary"]
    bits.append("f CPU-only fallback" if plan.get("fallback") else "no CPU-only fallback")
    if any(not d.get("pareto", True) for d in plan["designs"]):
        bits.append("+ not Pareto-optimal, run only under a condition")
    return ", ".join(bits)


def format_show(
    saved: dict[str, Any],
    *,
    fmt: str = "table",
    sort: str | None = None,
    top: int | None = 15,
    tty: bool = False,
    width: int | None = WIDTH,
) -> str:
    """Render a result for ``carin solve`` and ``carin show``.

    Args:
        saved: :func:`carin.result.load_result_dir` output (or the same keys of a
            fresh result: ``summary.json`` and ``plan.json``).
        fmt: ``table`` (aligned text with units), ``csv``, ``json`` or ``markdown``.
        sort: Metric to sort by (best first for objectives; prefix ``-`` to reverse).
        top: Rows of the design table (None = all; csv and json always give all).
        tty: Bold the primary design with ANSI codes.
        width: Columns the table text fits in (long text cells are cut with ``...``);
            None for no limit.

    Raises:
        CarinError: Unknown format or sort metric.
    """
    import json

    from carin.errors import CarinError

    if fmt not in _FORMATS:
        raise CarinError(f"--format {fmt!r}: allowed: {', '.join(_FORMATS)}")
    summary = saved["summary.json"]
    plan = saved.get("plan.json")
    if not summary.get("feasible", True) or plan is None:
        return _format_misses(summary, fmt, width)
    frame = design_table(plan)
    if sort:
        frame = sort_designs(frame, plan, sort)
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g", lineterminator="\n").rstrip("\n")
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", double_precision=10))
        out = {
            "name": summary["name"],
            "objectives": plan.get("objectives", []),
            "constraints": plan.get("constraints", []),
            "primary": plan.get("primary"),
            "fallback": plan.get("fallback"),
            "designs": records,
            "conditions": plan.get("conditions", []),
        }
        return json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False)
    shown = frame if top is None else frame.head(top)
    bold = {n for n, v in enumerate(shown["primary"].tolist()) if v}
    markdown = fmt == "markdown"
    # the markdown grid escapes its cells itself (a pre-escaped marker showed as \*)
    headers, body = _cells(_display_frame(shown, plan, "*"), units=True)
    more = len(frame) - len(shown)
    lines = _header_lines(summary, plan) + [""]
    cut: list[int] = []
    if markdown:
        lines.append(_markdown_grid(headers, body, bold))
        lines.append("")
    else:
        text, cut = _text_grid(headers, body, bold, tty, width)
        lines.append(text)
    if more > 0:
        lines.append(f"... {plural(more, 'more design')} (use --top)")
    lines.append(_legend(plan, "\\*" if markdown else "*"))
    if cut:
        lines += ["", *_cut_in_full(headers, body, cut, width)]
    cond = condition_lines(plan, None if markdown else width)
    if cond:
        lines += ["", *cond]
    return "\n".join(lines)


#: What ``--format json`` shows of an infeasible solve's summary.json.
_INFEASIBLE_KEYS = (
    "name",
    "feasible",
    "raw_designs",
    "considered",
    "nearest_misses",
    "shared",
    "relaxations",
)


def _format_misses(summary: dict[str, Any], fmt: str, width: int | None = WIDTH) -> str:
    import json

    if fmt == "json":
        keep = {k: summary[k] for k in _INFEASIBLE_KEYS if k in summary}
        return json.dumps(keep, indent=2, sort_keys=True, ensure_ascii=False)
    rows = [
        {
            "design": m["design"],
            "label": m.get("label") or m["design"],
            "constraint": b["constraint"],
            "value": b["value"],
            "by": b["by"],
        }
        for m in summary.get("nearest_misses", [])
        for b in m["broken"]
    ]
    frame = pd.DataFrame(rows, columns=["design", "label", "constraint", "value", "by"])
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g", lineterminator="\n").rstrip("\n")
    from carin.report.explain import infeasible_lines

    lines = infeasible_lines(summary["name"], summary, width=width or WIDTH)
    if fmt == "markdown":
        headers, body = _cells(frame.drop(columns="design"), units=False)
        return lines[0] + " Nearest misses:\n\n" + _markdown_grid(headers, body, set())
    return "\n".join(lines)
