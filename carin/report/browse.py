"""Browse a profile table: which devices, tasks, processors it holds and how many rows each.

``carin profiles TABLE`` prints what a spec's ``where`` can filter on, so a user can
write one without opening the table in pandas. Filters follow the spec's ``where``
rules (a value matches exactly, or else ignoring case).

Example:
    >>> from carin.profiles import load_profiles
    >>> table = load_profiles("spaces/aihub.csv")
    >>> where = {"device": ["Snapdragon 7 Gen 4 QRD"], "task": ["image_classification"]}
    >>> counts = group_counts(filter_rows(table, where), ["processor"])
    >>> counts[["processor", "rows", "models"]]
      processor  rows  models
    0       cpu    27      24
    1       npu    46      27
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from carin.errors import CarinError
from carin.report._format import fmt, plural

if TYPE_CHECKING:
    from carin.profiles import ProfileTable

__all__ = ["filter_rows", "group_counts", "format_overview", "format_groups", "parse_where"]

_SHOWN_VALUES = 8  # values listed per key column in the overview


def parse_where(items: list[str]) -> dict[str, list[str]]:
    """``["device=Pixel 3", "task=a,b"]`` -> ``{"device": ["Pixel 3"], "task": ["a", "b"]}``.

    Raises:
        CarinError: An item is not ``COLUMN=VALUE[,VALUE...]``.
    """
    out: dict[str, list[str]] = {}
    for item in items:
        column, sep, values = item.partition("=")
        column = column.strip()
        listed = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not column or not listed:
            raise CarinError(
                f"--where {item!r}: expected COLUMN=VALUE or COLUMN=VALUE,VALUE "
                "(e.g. --where 'device=Snapdragon 7 Gen 4 QRD')"
            )
        out.setdefault(column, []).extend(listed)
    return out


def _key_column(table: ProfileTable, column: str, what: str) -> str:
    if column not in table.key_columns:
        raise CarinError(
            f"{what} {column!r}: not a key column of {table.source}; "
            f"it has: {', '.join(table.key_columns)}"
        )
    return column


def filter_rows(table: ProfileTable, where: dict[str, list[str]]) -> pd.DataFrame:
    """The rows of ``table`` that a spec with this ``where`` would keep.

    Raises:
        CarinError: A column is not a key column, or a value matches no row (the
            message lists values the column has).
    """
    from carin.space import where_rows

    def no_match(column: str, values: list[str], sample: str) -> CarinError:
        return CarinError(
            f"--where {column}={','.join(values)}: no row of {table.source} has that "
            f"{column}; values include: {sample}"
        )

    return where_rows(
        table.frame, where.items(), lambda c: _key_column(table, c, "--where"), no_match
    )


def group_counts(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rows, distinct models and the latency range per group, in the order of the groups."""
    groups = frame.groupby(by, sort=False, dropna=False)
    out = groups.size().rename("rows").to_frame()
    if "model" in frame.columns and "model" not in by:
        out["models"] = groups["model"].nunique()
    if "latency_ms" in frame.columns:
        out["min latency (ms)"] = groups["latency_ms"].min()
        out["max latency (ms)"] = groups["latency_ms"].max()
    out = out.reset_index()
    order = np.lexsort([out[c].astype(str).to_numpy() for c in reversed(by)])
    return out.iloc[order].reset_index(drop=True)


def _values_line(series: pd.Series, width: int) -> str:
    counts = series.astype(str).replace("", "(none)").value_counts(sort=False)
    order = np.lexsort([counts.index.to_numpy(dtype=str), -counts.to_numpy()])
    items = [f"{_short(counts.index[i])} ({counts.iloc[i]:,})" for i in order]
    text = ""
    for n, item in enumerate(items[:_SHOWN_VALUES]):
        rest = len(items) - n
        candidate = item if not text else f"{text}, {item}"
        if len(candidate) + len(f", +{rest - 1:,} more") > width and text:
            return f"{text}, +{rest:,} more"
        text = candidate
    if len(items) > _SHOWN_VALUES:
        text += f", +{len(items) - _SHOWN_VALUES:,} more"
    return text


def _short(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


def format_overview(
    table: ProfileTable, frame: pd.DataFrame, where: dict[str, list[str]], width: int = 100
) -> str:
    """Each key column's values (most rows first) and each metric's coverage and range."""
    lines = [_title(table, frame, where), "", "key columns (distinct values: the most rows first)"]
    keys = [c for c in table.key_columns if (frame[c].astype(str) != "").any()]
    pad = max(len(c) for c in keys)
    for c in keys:
        n = frame[c].astype(str).nunique()
        lead = f"  {c:<{pad}}  {n:>5,}  "
        lines.append(lead + _values_line(frame[c], width - len(lead)))
    metrics = [m for m in table.metric_columns if frame[m].notna().any()]
    if metrics:
        pad = max(len(m) for m in metrics)
        lines += ["", "metrics (rows with a value, smallest and largest)"]
        for m in metrics:
            v = frame[m]
            lines.append(
                f"  {m:<{pad}}  {int(v.notna().sum()):>7,}  {fmt(v.min())} .. {fmt(v.max())}"
            )
    lines += [
        "",
        "Narrow it with --where COLUMN=VALUE (as a spec's where: does); count groups with "
        "--by COLUMN,COLUMN.",
    ]
    return "\n".join(lines)


def _title(table: ProfileTable, frame: pd.DataFrame, where: dict[str, list[str]]) -> str:
    head = f"{table.source}: {plural(len(table.frame), 'row')}"
    if not where:
        return head
    pairs = ", ".join(
        f"{k}: {v[0] if len(v) == 1 else '[' + ', '.join(v) + ']'}" for k, v in where.items()
    )
    return f"{head}; {len(frame):,} match where: {{{pairs}}}"


def format_groups(
    table: ProfileTable, frame: pd.DataFrame, where: dict[str, list[str]], by: list[str]
) -> str:
    """The row count (and models, latency range) of each group of ``by`` columns."""
    for column in by:
        _key_column(table, column, "--by")
    counts = group_counts(frame, by)
    cells = counts.astype(object).where(counts.notna(), None)
    headers = list(counts.columns)
    body = [
        [fmt(v) if isinstance(v, float) else str(v) for v in row]
        for row in cells.itertuples(index=False)
    ]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    numeric = [counts[c].dtype.kind in "if" for c in headers]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)
        ).rstrip()

    lines = [_title(table, frame, where), "", line(headers)]
    lines += [line(r) for r in body]
    lines.append(f"{plural(len(counts), 'group')}")
    return "\n".join(lines)
