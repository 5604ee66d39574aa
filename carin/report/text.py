"""Plain-text rendering of solve results for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
