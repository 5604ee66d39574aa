"""Checking a frame against the profile-table contract and normalising its dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carin.errors import ProfileError
from carin.profiles._columns import (
    KEY_COLUMNS,
    KNOWN_METRICS,
    REQUIRED_KEYS,
    is_non_negative_metric,
    is_percent_metric,
)
from carin.profiles._table import ProfileTable

# A frame row at position i is line i + 2 of its CSV file (line 1 is the header).
_FIRST_ROW = 2


def _where(source: str, position: int | None = None, column: str | None = None) -> str:
    parts = [source]
    if position is not None:
        parts.append(f"row {position + _FIRST_ROW}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ": ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else source


def _blank(values: pd.Series) -> np.ndarray:
    """Cells that are missing: NaN/None or text that is empty after stripping."""
    missing = values.isna().to_numpy()
    text = values.astype(str).str.strip().to_numpy()
    return missing | (text == "")


def _key_column(frame: pd.DataFrame, name: str, source: str) -> pd.Series:
    # Key columns repeat few values over many rows: strip and check each distinct value
    # once, then spread the results back by the rows' codes (no per-row Python work).
    col = frame[name]
    if isinstance(col.dtype, pd.CategoricalDtype):  # the CSV reader parses keys so
        codes = col.cat.codes.to_numpy()  # (-1 for a missing cell, as factorize)
        uniques = col.cat.categories
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    text = pd.Index(uniques, dtype=object).astype(str).str.strip()
    # one more value for missing cells, so every row has a code
    text = text.append(pd.Index([""]))
    codes = np.where(codes < 0, len(text) - 1, codes)
    blank = (text == "")[codes]
    if name in REQUIRED_KEYS and blank.any():
        pos = int(np.flatnonzero(blank)[0])
        raise ProfileError(
            f"{_where(source, pos, name)}: empty value; the required key columns "
            f"{', '.join(REQUIRED_KEYS)} need a value in every row"
        )
    if name == "threads" and not blank.any():
        as_num = pd.to_numeric(pd.Series(text[:-1]), errors="coerce")
        values = as_num.to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(values).all() and (values == np.round(values)).all():
            return pd.Series(values.astype(np.int64)[codes], index=col.index, name=name)
    return pd.Series(text.astype(str), name=name).take(codes).set_axis(col.index)


def _metric_column(frame: pd.DataFrame, name: str, source: str) -> pd.Series:
    col = frame[name]
    if pd.api.types.is_bool_dtype(col):
        col = col.astype(float)
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=float, na_value=np.nan)
    else:
        blank = _blank(col)
        parsed = pd.to_numeric(col.where(~blank), errors="coerce")
        values = parsed.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isnan(values) & ~blank
        if bad.any():
            if name not in KNOWN_METRICS and bad.sum() == (~blank).sum():
                raise ProfileError(
                    f"{_where(source, column=name)}: neither a key column nor numeric "
                    f"(first value {str(col.iloc[int(np.flatnonzero(bad)[0])])!r}); "
                    f"allowed key columns are {', '.join(KEY_COLUMNS)}, every other "
                    "column must hold numbers"
                )
            pos = int(np.flatnonzero(bad)[0])
            raise ProfileError(
                f"{_where(source, pos, name)}: {str(col.iloc[pos])!r} is not a number; "
                "metric cells hold a number or stay empty"
            )
    inf = np.isinf(values)
    if inf.any():
        pos = int(np.flatnonzero(inf)[0])
        raise ProfileError(
            f"{_where(source, pos, name)}: {str(col.iloc[pos])!r} is not finite; "
            "metric cells hold a finite number or stay empty"
        )
    with np.errstate(invalid="ignore"):
        if is_non_negative_metric(name):
            bad = values < 0
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise ProfileError(
                    f"{_where(source, pos, name)}: {values[pos]:g} is negative; {name} must be >= 0"
                )
        if is_percent_metric(name):
            bad = (values < 0) | (values > 100)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise ProfileError(
                    f"{_where(source, pos, name)}: {values[pos]:g} is outside [0, 100]; "
                    f"{name} is a percentage"
                )
    return pd.Series(values, index=col.index, name=name, dtype=np.float64)


def _header_hint(columns: list[str], missing: list[str]) -> str:
    """Why a header lacks the key columns, when it tells: another separator, capitals."""
    if len(columns) == 1:
        sep = next((c for c in (";", "\t", "|") if c in columns[0]), None)
        if sep is not None:
            return (
                f" (the header is one column, {columns[0][:60]!r}: columns are separated "
                f"by commas, not {sep!r})"
            )
    near = [c for c in columns if c.strip().lower() in missing]
    if near:
        return f" (column names are lower case; found {', '.join(map(repr, near))})"
    return ""


def validate_profiles(frame: pd.DataFrame, *, source: str = "<profiles>") -> ProfileTable:
    """Check a frame against the profile-table contract and normalise its dtypes.

    Key columns become strings (``threads`` becomes ``int64`` when every value is an
    integer); every other column must be numeric and becomes ``float64``. Empty or
    NaN metric cells are allowed and mean "not measured".

    Args:
        frame: One row per measured configuration, rows in file order.
        source: Name used in error messages (usually the file path).

    Returns:
        A new :class:`ProfileTable` (the input frame is not modified).

    Raises:
        ProfileError: The table is empty, lacks a required key column or value,
            has a non-numeric metric cell or column, or a value outside its range
            (negative latency/energy/memory/size/power, accuracy or success_rate
            outside [0, 100]). The message names the source, row (as in the file:
            header is line 1) and column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ProfileError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise ProfileError(f"{source}: duplicated column(s) {', '.join(duplicated)}")
    missing = [k for k in REQUIRED_KEYS if k not in columns]
    if missing:
        raise ProfileError(
            f"{source}: missing required key column(s) {', '.join(missing)}; "
            f"a profile table needs {', '.join(REQUIRED_KEYS)} and may have "
            f"{', '.join(k for k in KEY_COLUMNS if k not in REQUIRED_KEYS)}"
            + _header_hint(columns, missing)
        )
    if len(frame) == 0:
        raise ProfileError(f"{source}: the table has no rows; at least one configuration needed")
    frame = frame.reset_index(drop=True)
    frame.columns = columns
    keys = set(KEY_COLUMNS)
    out = {}
    for name in columns:
        if name in keys:
            out[name] = _key_column(frame, name, source)
        else:
            out[name] = _metric_column(frame, name, source)
    return ProfileTable(frame=pd.DataFrame(out, columns=columns), source=source)
