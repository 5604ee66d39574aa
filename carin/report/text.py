"""Plain-text rendering of solve results for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from carin.result import Result


def _design_line(design: dict[str, Any] | None) -> str:
    if design is None:
        return "none"
    parts = []
    for p in design["parts"]:
        cfg = p["config"]
        bits = [str(cfg.get("model", "?")), str(cfg.get("precision", "")), p["processor"]]
        for key in ("runtime", "threads", "cm"):
            if key in cfg:
                bits.append(f"{key}={cfg[key]}")
        name = "" if p["task"] == "main" else f"{p['task']}: "
        parts.append(name + " ".join(b for b in bits if b))
    metrics = ", ".join(f"{k}={v:g}" for k, v in design["metrics"].items() if v is not None)
    return f"{design['id']} [{' | '.join(parts)}] {metrics}"


def _conditions_text(plan: dict[str, Any]) -> list[str]:
    by_id = {d["id"]: d for d in plan["designs"]}
    lines = []
    for entry in plan["conditions"]:
        when = ", ".join(
            f"{k}={','.join(v) if isinstance(v, list) else v}" for k, v in entry["when"].items()
        )
        design = by_id.get(entry["design"]) if entry["design"] else None
        lines.append(f"  if {when}: {_design_line(design) if design else 'no feasible design'}")
    return lines


def _table(frame: pd.DataFrame, top: int) -> str:
    drop = [c for c in frame.columns if c == "row" or c.endswith(".row")]
    shown = frame.drop(columns=drop).head(top)
    shown = shown.loc[:, [c for c in shown.columns if not (shown[c].astype(str) == "").all()]]
    with pd.option_context(
        "display.width", 160, "display.max_columns", 40, "display.max_colwidth", 40
    ):
        text = shown.to_string(index=False, float_format=lambda x: f"{x:.4g}")
    more = len(frame) - len(shown)
    return text + (f"\n... {more} more (see pareto.csv)" if more > 0 else "")


def format_plan_summary(summary: dict[str, Any], plan: dict[str, Any] | None) -> str:
    """The header, primary, fallback and per-condition designs as text."""
    lines = [
        f"{summary['name']}: {summary['pareto_designs']} Pareto designs of "
        f"{summary['raw_designs']:,} ({summary['solver']}"
        f"{', exact' if summary.get('exact') else ''}); objectives: "
        f"{', '.join(summary['objectives'])}; constraints: "
        f"{', '.join(summary['constraints']) or 'none'}",
    ]
    if plan is not None:
        by_id = {d["id"]: d for d in plan["designs"]}
        lines.append(f"primary:  {_design_line(by_id.get(plan['primary']))}")
        fb = by_id.get(plan["fallback"]) if plan.get("fallback") else None
        lines.append(f"fallback: {_design_line(fb) if fb else 'none (no CPU-only design)'}")
        if plan["conditions"]:
            lines.append(f"anticipated conditions ({len(plan['conditions'])}):")
            lines.extend(_conditions_text(plan))
    return "\n".join(lines)


def format_result(result: Result, top: int = 15) -> str:
    """Render a fresh result: ranked Pareto table, then the plan summary."""
    return _table(result.pareto, top) + "\n\n" + format_plan_summary(result.summary(), result.plan)


def format_saved(saved: dict[str, Any], top: int = 15) -> str:
    """Render a saved result folder (see :func:`carin.result.load_result_dir`)."""
    summary = saved["summary.json"]
    if not summary.get("feasible", True):
        lines = [f"{summary['name']}: no design meets the constraints. Nearest misses:"]
        for m in summary.get("nearest_misses", []):
            broken = "; ".join(f"{b['constraint']} (off by {b['by']:g})" for b in m["broken"])
            lines.append(f"  {m['design']}: {broken}")
        return "\n".join(lines)
    frame = saved.get("pareto.csv")
    head = _table(frame, top) + "\n\n" if frame is not None else ""
    return head + format_plan_summary(summary, saved.get("plan.json"))


# -- carin show: the design table in several formats ------------------------------------

_FORMATS = ("table", "csv", "json", "markdown")


def _part_columns(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Per task, key columns worth showing: model, precision, processor and those that vary."""
    seen: dict[str, dict[str, set[str]]] = {}
    for d in plan["designs"]:
        for p in d["parts"]:
            task = seen.setdefault(p["task"], {})
            for k, v in p["config"].items():
                task.setdefault(k, set()).add(str(v))
    always = ["model", "precision"]
    out = {}
    for task, cols in seen.items():
        varying = [k for k in sorted(cols) if k not in always and len(cols[k]) > 1]
        out[task] = [k for k in always if k in cols] + ["processor"] + varying
    return out


def _metric_order(plan: dict[str, Any]) -> list[str]:
    first = [o["metric"] for o in plan.get("objectives", [])]
    rest = sorted({k for d in plan["designs"] for k in d["metrics"]} - set(first))
    return first + rest


def design_table(plan: dict[str, Any]) -> pd.DataFrame:
    """One row per plan design: id, rank, flags, configuration, metrics, conditions.

    Args:
        plan: A ``carin-plan/1`` dict.

    Returns:
        A table in the plan's rank order; multi-DNN configuration columns are
        prefixed by the task name (``detect.model``).
    """
    from carin.report.plots import _condition_short

    cols = _part_columns(plan)
    metrics = _metric_order(plan)
    single = len(plan.get("tasks", ["main"])) == 1
    chosen: dict[str, list[str]] = {}
    for entry in plan.get("conditions", []):
        if entry.get("design"):
            chosen.setdefault(entry["design"], []).append(_condition_short(entry["when"]))
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
                v = p["processor"] if c == "processor" else p["config"].get(c, "")
                row[prefix + c] = v
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


def _cells(frame: pd.DataFrame, units: bool) -> tuple[list[str], list[list[str]]]:
    from carin.report._format import fmt, with_unit

    metric_cols = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    headers = []
    for c in frame.columns:
        headers.append(with_unit(c) if units and c in metric_cols else c)
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


def _display_frame(frame: pd.DataFrame, star: str = "*") -> pd.DataFrame:
    shown = frame.drop(columns=["primary", "fallback"])
    shown.insert(0, "", np.where(frame["primary"], star, np.where(frame["fallback"], "f", "")))
    counts = [len(c.split("; ")) if c else 0 for c in frame["conditions"]]
    shown["conditions"] = [str(n) if n else "" for n in counts]
    return shown


def _text_grid(headers: list[str], body: list[list[str]], bold: set[int], tty: bool) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    right = [
        all(_is_number(r[i]) for r in body if r[i] not in ("", "-")) and any(r[i] for r in body)
        for i in range(len(headers))
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    for n, r in enumerate(body):
        text = line(r)
        out.append(f"\033[1m{text}\033[0m" if tty and n in bold else text)
    return "\n".join(out)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _markdown_grid(headers: list[str], body: list[list[str]], bold: set[int]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|")

    out = ["| " + " | ".join(esc(h) for h in headers) + " |"]
    out.append("|" + "|".join(" --- " for _ in headers) + "|")
    for n, r in enumerate(body):
        cells = [f"**{esc(c)}**" if n in bold and c and i else esc(c) for i, c in enumerate(r)]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _conditions_frame(plan: dict[str, Any]) -> pd.DataFrame:
    from carin.report.plots import _condition_short

    by_id = {d["id"]: d for d in plan["designs"]}
    primary = by_id.get(plan.get("primary"))
    metrics = [o["metric"] for o in plan.get("objectives", [])]
    rows = []
    for entry in plan.get("conditions", []):
        d = by_id.get(entry.get("design"))
        row: dict[str, Any] = {
            "condition": _condition_short(entry["when"]),
            "design": d["id"] if d else "none",
        }
        parts = []
        if d:
            for p in d["parts"]:
                bits = [str(p["config"].get("model", "?")), p["processor"]]
                parts.append(("" if p["task"] == "main" else p["task"] + ": ") + " ".join(bits))
        row["configuration"] = " | ".join(parts) if d else "no feasible design"
        for m in metrics:
            v = d["metrics"].get(m) if d else None
            row[m] = v
            if primary is not None and v is not None and primary["metrics"].get(m) is not None:
                row[f"vs primary: {m}"] = v - primary["metrics"][m]
            else:
                row[f"vs primary: {m}"] = None
        rows.append(row)
    frame = pd.DataFrame(rows)
    for c in frame.columns:
        if c in metrics or c.startswith("vs primary"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame


def format_show(
    saved: dict[str, Any],
    *,
    fmt: str = "table",
    sort: str | None = None,
    top: int | None = 15,
    tty: bool = False,
) -> str:
    """Render a saved result folder for ``carin show``.

    Args:
        saved: :func:`carin.result.load_result_dir` output.
        fmt: ``table`` (aligned text with units), ``csv``, ``json`` or ``markdown``.
        sort: Metric to sort by (best first for objectives; prefix ``-`` to reverse).
        top: Rows of the design table (None = all; csv and json always give all).
        tty: Bold the primary design with ANSI codes.

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
        return _format_misses(summary, fmt) if fmt != "table" else format_saved(saved, top or 15)
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
    star = "\\*" if fmt == "markdown" else "*"
    headers, body = _cells(_display_frame(shown, star), units=True)
    cond = _conditions_frame(plan)
    more = len(frame) - len(shown)
    lines: list[str] = [format_plan_summary(summary, None)]
    if fmt == "markdown":
        lines += ["", _markdown_grid(headers, body, bold)]
        if more > 0:
            lines.append(f"\n{more} more designs (use --top)")
        lines.append(
            "\n`*` primary design, `f` CPU-only fallback; conditions: how many anticipated "
            "conditions pick the design."
        )
        if len(cond):
            ch, cb = _cells(cond, units=True)
            lines += ["", "Per-condition alternatives:", "", _markdown_grid(ch, cb, set())]
        return "\n".join(lines)
    lines += ["", _text_grid(headers, body, bold, tty)]
    if more > 0:
        lines.append(f"... {more} more designs (use --top)")
    lines.append(
        "* primary design, f CPU-only fallback; conditions: how many anticipated conditions "
        "pick the design"
    )
    if len(cond):
        ch, cb = _cells(cond, units=True)
        lines += ["", "Per-condition alternatives:", _text_grid(ch, cb, set(), tty)]
    return "\n".join(lines)


def _format_misses(summary: dict[str, Any], fmt: str) -> str:
    import json

    if fmt == "json":
        keep = {k: summary.get(k) for k in ("name", "feasible", "nearest_misses")}
        return json.dumps(keep, indent=2, sort_keys=True, ensure_ascii=False)
    rows = [
        {"design": m["design"], "constraint": b["constraint"], "value": b["value"], "by": b["by"]}
        for m in summary.get("nearest_misses", [])
        for b in m["broken"]
    ]
    frame = pd.DataFrame(rows, columns=["design", "constraint", "value", "by"])
    if fmt == "csv":
        return frame.to_csv(index=False, float_format="%.6g", lineterminator="\n").rstrip("\n")
    headers, body = _cells(frame, units=False)
    return f"{summary['name']}: no design meets the constraints. Nearest misses:\n\n" + (
        _markdown_grid(headers, body, set())
    )
