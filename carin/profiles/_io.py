"""Reading and writing profile tables (.csv, .csv.gz, .parquet)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import tempfile
import zlib
from pathlib import Path

import numpy as np
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


def check_table_path(path: str | os.PathLike[str]) -> Path:
    """Refuse, before any work, a path :func:`write_profiles` could not write.

    Raises:
        ProfileError: The suffix is not a profile table's.
        CarinError: The path is a folder, or a file stands where a folder is needed.
    """
    from carin._files import check_output_path

    path = Path(path)
    check_output_path(path, folder=False)
    if _suffix(path) == ".parquet":
        _require_pyarrow(path)
    return path


def _require_pyarrow(path: Path) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        raise ProfileError(
            f"{path}: reading or writing .parquet needs the pyarrow package "
            "(pip install pyarrow); or use .csv / .csv.gz"
        ) from exc


#: Largest profile table accepted, uncompressed (the biggest shipped one is ~70 MB).
MAX_TABLE_BYTES = 1024 * 1024 * 1024
#: Longest line of a profile table: real rows are a few hundred bytes; a huge cell
#: would become a fixed-width text array as wide as itself for every row.
MAX_LINE_BYTES = 64 * 1024


def _read_bytes(path: Path, suffix: str) -> bytes:
    """The table's bytes, uncompressed, refusing non-regular files and oversize data."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise ProfileError(f"{path}: not a regular file (a FIFO or device?); give a table file")
    opener = gzip.open if suffix == ".csv.gz" else open
    with opener(path, "rb") as fh:
        data = fh.read(MAX_TABLE_BYTES + 1)
    if len(data) > MAX_TABLE_BYTES:
        raise ProfileError(f"{path}: more than {MAX_TABLE_BYTES:,} bytes of table; too large")
    return data


def _check_rows(data: bytes, header: list[str], path: Path) -> None:
    """Refuse over-long lines and rows whose field count differs from the header's.

    pandas would take an extra field of a row as an index or fill a short row with
    missing values; either misreads the table silently.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not len(ends) or ends[-1] != len(arr) - 1:
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts
    long = np.flatnonzero(lengths > MAX_LINE_BYTES)
    if len(long):
        raise ProfileError(
            f"{path}: line {long[0] + 1}: {lengths[long[0]]:,} bytes; a profile row may have at "
            f"most {MAX_LINE_BYTES:,} (is a cell holding something else?)"
        )
    if data.find(b'"') >= 0:  # quoted fields may hold commas and newlines: parse properly
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        for row in reader:
            if row and len(row) != len(header):
                _ragged(path, reader.line_num, len(row), len(header))
        return
    commas = np.flatnonzero(arr == 44)
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    blank = (lengths == 0) | ((lengths == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13))
    bad = np.flatnonzero((fields != len(header)) & ~blank)
    if len(bad):
        _ragged(path, int(bad[0]) + 1, int(fields[bad[0]]), len(header))


def _ragged(path: Path, line: int, got: int, want: int) -> None:
    raise ProfileError(
        f"{path}: line {line}: {got} fields, but the header has {want}; every row needs one "
        "value per column (leave a cell empty for a missing value)"
    )


def _read_csv(path: Path, suffix: str) -> pd.DataFrame:
    from carin._files import decode_text

    data = _read_bytes(path, suffix)
    # decoded once to check the encoding; parsed from the bytes (a text buffer of a
    # 70 MB table would hold 4 bytes a character: 280 MB more at the peak)
    head = decode_text(data, path, what="profile table", error=ProfileError)[: MAX_LINE_BYTES + 1]
    header = next(csv.reader(io.StringIO(head, newline="")), None)
    if header is None:
        raise ProfileError(f"{path}: the file is empty; expected a header line with column names")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise ProfileError(f"{path}: line 1: duplicated column(s) {', '.join(duplicated)}")
    _check_rows(data, header, path)
    keys = set(KEY_COLUMNS)
    # Key columns keep their text ("NA" is a valid name); only an empty cell is missing.
    na_values = {
        c: ([""] if c in keys else ["", "nan", "NaN", "NA", "N/A", "null"]) for c in header
    }
    # as categories: parsed as text (never numbers), and coded once by the parser, so
    # validation checks each distinct name once without factorizing every row again
    dtype = {c: "category" for c in header if c in keys}
    return pd.read_csv(
        io.BytesIO(data),
        encoding="utf-8",  # pandas drops a byte-order mark itself (tested)
        dtype=dtype,
        keep_default_na=False,
        na_values=na_values,
        skipinitialspace=True,
        index_col=False,
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
        csv.Error,
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
