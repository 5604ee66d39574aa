"""Reading and writing profile tables (.csv, .csv.gz, .parquet)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
import zlib
from pathlib import Path

import pandas as pd

from carin.errors import ProfileError
from carin.profiles._columns import KEY_COLUMNS
from carin.profiles._table import ProfileTable
from carin.profiles._validate import validate_profiles

SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet")
"""File name endings :func:`load_profiles` and :func:`write_profiles` understand."""

FLOAT_FORMAT = "%.6g"
"""How metric values are written: six significant digits, so output is stable."""


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise ProfileError(
        f"{path}: unknown profile table format; use a file ending in {', '.join(SUFFIXES)}"
    )


def _require_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ProfileError(
            f"{path}: reading or writing .parquet needs the pyarrow package "
            "(pip install pyarrow); or use .csv / .csv.gz"
        ) from exc


def _read_csv(path: Path, suffix: str) -> pd.DataFrame:
    opener = gzip.open if suffix == ".csv.gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), None)
    if header is None:
        raise ProfileError(f"{path}: the file is empty; expected a header line with column names")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise ProfileError(f"{path}: line 1: duplicated column(s) {', '.join(duplicated)}")
    keys = set(KEY_COLUMNS)
    # Key columns keep their text ("NA" is a valid name); only an empty cell is missing.
    na_values = {
        c: ([""] if c in keys else ["", "nan", "NaN", "NA", "N/A", "null"]) for c in header
    }
    dtype = {c: str for c in header if c in keys}
    return pd.read_csv(
        path,
        dtype=dtype,
        keep_default_na=False,
        na_values=na_values,
        skipinitialspace=True,
    )


def load_profiles(path: str | os.PathLike[str]) -> ProfileTable:
    """Load and validate a profile table.

    Args:
        path: A ``.csv``, ``.csv.gz`` or ``.parquet`` file (parquet needs pyarrow).

    Returns:
        The validated :class:`ProfileTable`; its ``source`` is the path as given.

    Raises:
        ProfileError: The file is missing, unreadable, or breaks the contract
            checked by :func:`validate_profiles`; the message names the file,
            row and column.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise ProfileError(f"{source}: no such profile table")
    if path.is_dir():
        raise ProfileError(f"{source}: is a folder; expected a profile table file")
    suffix = _suffix(path)
    try:
        if suffix == ".parquet":
            _require_pyarrow(path)
            frame = pd.read_parquet(path)
        else:
            frame = _read_csv(path, suffix)
    except ProfileError:
        raise
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        gzip.BadGzipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
    ) as exc:
        raise ProfileError(f"{source}: cannot read the table ({exc})") from exc
    return validate_profiles(frame, source=source)


def _ordered(table: ProfileTable) -> pd.DataFrame:
    keys = table.key_columns
    metrics = table.metric_columns
    frame = table.frame[keys + metrics]
    if keys:
        frame = frame.sort_values(keys, kind="mergesort", ignore_index=True)
    return frame


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        # mkstemp creates the file private (0600); give it the usual umask-based mode.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_profiles(table: ProfileTable | pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a profile table deterministically and atomically.

    Rows are sorted by the key columns (canonical order), columns are keys then
    metrics, floats use ``%.6g``, and ``.csv.gz`` files carry no timestamp, so the
    same table always gives the same bytes.

    Args:
        table: A :class:`ProfileTable`, or a frame that is validated first.
        path: Destination ending in ``.csv``, ``.csv.gz`` or ``.parquet``.

    Returns:
        The path written.

    Raises:
        ProfileError: The frame breaks the contract, or the format is unknown.
    """
    path = Path(path)
    suffix = _suffix(path)
    if not isinstance(table, ProfileTable):
        table = validate_profiles(table, source=str(path))
    frame = _ordered(table)
    if suffix == ".parquet":
        _require_pyarrow(path)
        _write_atomic(path, lambda fh: frame.to_parquet(fh, index=False))
        return path
    data = _csv_bytes(frame)
    if suffix == ".csv.gz":

        def write(fh):
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
                gz.write(data)

    else:

        def write(fh):
            fh.write(data)

    _write_atomic(path, write)
    return path
